// MEAN, int8, over any set of axes (typically the spatial axes {1, 2} of an
// NHWC tensor, as global average pooling), with or without keep_dims.
//
// Run sums (x - zp_in) over the reduced axes into one int32 per output
// element (a single pass over the input, the innermost dimension in a tight
// loop), then rescales by s_in / s_out and divides by the number n of reduced
// elements:
//   kSingleRounding  (XNNPACK, the WASM runtime): one fp32 rounding,
//                    lrintf(acc * (s_in / (s_out * n))), ties to even;
//   kDoubleRounding  (TFLite Micro's integer Mean): acc * M(s_in / s_out) in
//                    double rounding, then division by n rounding half away
//                    from zero.
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

class MeanKernel : public OpKernel {
 public:
  MeanKernel(std::vector<int32_t> in_shape, std::vector<int64_t> out_strides,
             int64_t out_elements, int32_t count, int32_t zp_in,
             int32_t zp_out, float scale, QuantizedMultiplier m,
             RequantMode mode)
      : in_shape_(std::move(in_shape)),
        out_strides_(std::move(out_strides)),
        out_elements_(out_elements),
        count_(count),
        zp_in_(zp_in),
        zp_out_(zp_out),
        scale_(scale),
        m_(m),
        mode_(mode) {}

  void Run(absl::Span<const int8_t* const> inputs,
           int8_t* output) const override {
    std::vector<int32_t> acc(out_elements_, 0);
    const int8_t* x = inputs[0];
    const int rank = static_cast<int>(in_shape_.size());
    const int inner = in_shape_[rank - 1];
    const int64_t inner_stride = out_strides_[rank - 1];
    int64_t total = 1;
    for (int32_t d : in_shape_) total *= d;
    std::vector<int32_t> index(rank, 0);
    for (int64_t done = 0; done < total; done += inner) {
      int64_t base = 0;
      for (int d = 0; d < rank - 1; ++d) base += index[d] * out_strides_[d];
      int32_t* a = acc.data() + base;
      const int8_t* row = x + done;
      if (inner_stride == 0) {
        int32_t sum = 0;
        for (int i = 0; i < inner; ++i) sum += row[i];
        a[0] += sum;
      } else {
        for (int i = 0; i < inner; ++i) a[i] += row[i];
      }
      for (int d = rank - 2; d >= 0; --d) {
        if (++index[d] < in_shape_[d]) break;
        index[d] = 0;
      }
    }
    const int32_t n = count_;
    for (int64_t o = 0; o < out_elements_; ++o) {
      const int32_t centered = acc[o] - n * zp_in_;
      if (mode_ == RequantMode::kSingleRounding) {
        output[o] = static_cast<int8_t>(
            RequantizeFloat(centered, scale_, zp_out_, -128, 127));
        continue;
      }
      int32_t v = MultiplyDoubleRounding(centered, m_.multiplier, m_.shift);
      v = v > 0 ? (v + n / 2) / n : (v - n / 2) / n;
      output[o] = static_cast<int8_t>(std::clamp(v + zp_out_, -128, 127));
    }
  }

 private:
  std::vector<int32_t> in_shape_;
  std::vector<int64_t> out_strides_;  // per input dim; 0 where reduced
  int64_t out_elements_;
  int32_t count_, zp_in_, zp_out_;
  float scale_;  // s_in / (s_out * n), kSingleRounding
  QuantizedMultiplier m_;  // s_in / s_out, kDoubleRounding
  RequantMode mode_;
};

}  // namespace

OpKernelOr PrepareMean(const KernelContext& ctx) {
  if (auto s = ctx.ExpectOperands(2, 2); !s.ok()) return s;
  const Tensor& in = ctx.input(0);
  const Tensor& out = ctx.output();
  if (auto s = ctx.ExpectInt8PerTensor(in, "input"); !s.ok()) return s;
  absl::StatusOr<std::vector<int32_t>> axes = ctx.Int32Constant(1);
  if (!axes.ok()) return axes.status();
  const int rank = static_cast<int>(in.shape.size());
  if (rank == 0) return ctx.Error("input must have rank >= 1");
  std::vector<bool> reduced(rank, false);
  for (int32_t axis : *axes) {
    const int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) return ctx.Error(absl::StrCat("axis ", axis));
    reduced[a] = true;
  }
  // Output element strides over the kept dimensions.
  std::vector<int64_t> out_strides(rank, 0);
  std::vector<int32_t> kept_shape;
  int64_t stride = 1, count = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (reduced[d]) {
      count *= in.shape[d];
      continue;
    }
    out_strides[d] = stride;
    stride *= in.shape[d];
  }
  if (count == 0 || count > (int64_t{1} << 22)) {
    return ctx.Error("unsupported number of reduced elements");
  }
  if (out.num_elements() != stride) {
    return ctx.Error("output shape does not match the reduction");
  }
  const QuantizedMultiplier m =
      QuantizeMultiplier(double{Scale(in)} / double{Scale(out)});
  return std::make_unique<MeanKernel>(
      in.shape, std::move(out_strides), stride, static_cast<int32_t>(count),
      ZeroPoint(in), ZeroPoint(out),
      Scale(in) / (Scale(out) * static_cast<float>(count)), m, ctx.mode);
}

}  // namespace mcutune::graph
