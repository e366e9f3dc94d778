// PAD, int8: constant padding with the zero point (the quantized 0.0), as
// TFLite's PAD does for quantized tensors. paddings is a constant int32
// [rank, 2] tensor of (before, after) counts, all >= 0. Run fills the output
// with the zero point and copies each innermost input row to its place.
#include <cstring>
#include <vector>

#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

class PadKernel : public OpKernel {
 public:
  PadKernel(std::vector<int32_t> in_shape, std::vector<int64_t> out_strides,
            int64_t base_offset, int64_t out_elements, int8_t fill)
      : in_shape_(std::move(in_shape)),
        out_strides_(std::move(out_strides)),
        base_offset_(base_offset),
        out_elements_(out_elements),
        fill_(fill) {}

  void Run(absl::Span<const int8_t* const> inputs,
           int8_t* output) const override {
    std::memset(output, fill_, out_elements_);
    const int rank = static_cast<int>(in_shape_.size());
    const int inner = in_shape_[rank - 1];
    int64_t total = 1;
    for (int32_t d : in_shape_) total *= d;
    if (total == 0) return;
    std::vector<int32_t> index(rank, 0);
    for (int64_t done = 0; done < total; done += inner) {
      int64_t offset = base_offset_;
      for (int d = 0; d < rank - 1; ++d) offset += index[d] * out_strides_[d];
      std::memcpy(output + offset, inputs[0] + done, inner);
      for (int d = rank - 2; d >= 0; --d) {
        if (++index[d] < in_shape_[d]) break;
        index[d] = 0;
      }
    }
  }

 private:
  std::vector<int32_t> in_shape_;
  std::vector<int64_t> out_strides_;
  int64_t base_offset_;  // output offset of input element 0
  int64_t out_elements_;
  int8_t fill_;
};

}  // namespace

OpKernelOr PreparePad(const KernelContext& ctx) {
  if (auto s = ctx.ExpectOperands(2, 2); !s.ok()) return s;
  const Tensor& in = ctx.input(0);
  const Tensor& out = ctx.output();
  if (auto s = ctx.ExpectInt8PerTensor(in, "input"); !s.ok()) return s;
  absl::StatusOr<std::vector<int32_t>> pads = ctx.Int32Constant(1);
  if (!pads.ok()) return pads.status();
  const int rank = static_cast<int>(in.shape.size());
  if (rank == 0 || static_cast<int>(pads->size()) != 2 * rank ||
      static_cast<int>(out.shape.size()) != rank) {
    return ctx.Error("paddings must be [rank, 2] for an input of rank >= 1");
  }
  if (Scale(in) != Scale(out) || ZeroPoint(in) != ZeroPoint(out)) {
    return ctx.Error("input and output quantization must be equal");
  }
  std::vector<int64_t> strides(rank, 1);
  for (int d = rank - 2; d >= 0; --d) strides[d] = strides[d + 1] * out.shape[d + 1];
  int64_t base = 0;
  for (int d = 0; d < rank; ++d) {
    const int32_t before = (*pads)[2 * d], after = (*pads)[2 * d + 1];
    if (before < 0 || after < 0 ||
        int64_t{in.shape[d]} + before + after != out.shape[d]) {
      return ctx.Error("paddings do not match the output shape");
    }
    base += before * strides[d];
  }
  return std::make_unique<PadKernel>(in.shape, std::move(strides), base,
                                     out.num_elements(),
                                     static_cast<int8_t>(ZeroPoint(out)));
}

}  // namespace mcutune::graph
