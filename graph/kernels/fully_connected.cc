// FULLY_CONNECTED, int8: out[b][o] = requant(bias[o] + sum_i (x - zp_in) *
// (w[o][i] - zp_w)).
//
// The input is read as [batches, depth] with depth = weights.shape[1] and
// batches = input elements / depth (TFLite flattens every leading dimension);
// keep_num_dims only changes the output shape, which the graph carries.
// Prepare expands the product so the hot loop is a plain int8 dot product:
//   sum x*w - zp_in * sum_i w[o] - zp_w * sum_i x + depth * zp_in * zp_w
// with everything but sum x*w and (for zp_w != 0) sum x folded into the bias.
// The requantization multiplier is formed as TFLite does for this operator:
// (float)(s_in * s_w) / s_out in double.
#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/kernels/conv_common.h"
#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

class FullyConnectedKernel : public OpKernel {
 public:
  FullyConnectedKernel(int batches, int depth, int units,
                       std::vector<int8_t> weights, std::vector<int32_t> bias,
                       int32_t weight_zero_point, ChannelRequant requant)
      : batches_(batches),
        depth_(depth),
        units_(units),
        weights_(std::move(weights)),
        bias_(std::move(bias)),
        weight_zero_point_(weight_zero_point),
        requant_(std::move(requant)) {}

  void Run(absl::Span<const int8_t* const> inputs,
           int8_t* output) const override {
    std::vector<int32_t> acc(units_);
    for (int b = 0; b < batches_; ++b) {
      const int8_t* x = inputs[0] + static_cast<size_t>(b) * depth_;
      int32_t x_term = 0;
      if (weight_zero_point_ != 0) {
        int32_t sum = 0;
        for (int i = 0; i < depth_; ++i) sum += x[i];
        x_term = weight_zero_point_ * sum;
      }
      const int8_t* w = weights_.data();
      for (int o = 0; o < units_; ++o, w += depth_) {
        acc[o] = bias_[o] + DotInt8(x, w, depth_) - x_term;
      }
      requant_.Apply(acc.data(), output + static_cast<size_t>(b) * units_,
                     units_);
    }
  }

 private:
  int batches_, depth_, units_;
  std::vector<int8_t> weights_;  // [units][depth]
  std::vector<int32_t> bias_;    // zero-point terms folded in
  int32_t weight_zero_point_;
  ChannelRequant requant_;
};

}  // namespace

OpKernelOr PrepareFullyConnected(const KernelContext& ctx) {
  if (auto s = ctx.ExpectOperands(2, 3); !s.ok()) return s;
  const Tensor& in = ctx.input(0);
  const Tensor& weights = ctx.input(1);
  const Tensor& out = ctx.output();
  if (auto s = ctx.ExpectInt8PerTensor(in, "input"); !s.ok()) return s;
  if (weights.type != DataType::kInt8 || !weights.is_constant() ||
      weights.shape.size() != 2) {
    return ctx.Error("weights must be a constant 2-D INT8 tensor");
  }
  const int units = weights.shape[0];
  const int depth = weights.shape[1];
  if (units < 1 || depth < 1 || in.num_elements() % depth != 0) {
    return ctx.Error(absl::StrCat("input of ", in.num_elements(),
                                  " elements does not split into rows of ",
                                  depth));
  }
  const int64_t batches = in.num_elements() / depth;
  if (out.num_elements() != batches * units || out.shape.empty() ||
      out.shape.back() != units) {
    return ctx.Error("output shape does not match batches x units");
  }
  const Quantization& wq = weights.quant;
  const bool per_channel = wq.scale.size() > 1;
  if (wq.scale.empty() || wq.zero_point.size() != wq.scale.size() ||
      (per_channel && (static_cast<int>(wq.scale.size()) != units ||
                       wq.quantized_dimension != 0))) {
    return ctx.Error("weights quantization must be per tensor or per unit");
  }
  const int32_t zp_w = static_cast<int32_t>(wq.zero_point[0]);
  for (int64_t zp : wq.zero_point) {
    if (zp != zp_w || (per_channel && zp != 0) || zp < -128 || zp > 127) {
      return ctx.Error("unsupported weights zero point");
    }
  }
  std::vector<int32_t> bias(units, 0);
  if (ctx.has_input(2)) {
    absl::StatusOr<std::vector<int32_t>> b = ctx.Int32Constant(2);
    if (!b.ok()) return b.status();
    if (static_cast<int>(b->size()) != units) {
      return ctx.Error("bias size differs from the number of units");
    }
    bias = *std::move(b);
  }
  const std::vector<uint8_t>& bytes = ctx.graph.buffers[weights.buffer];
  if (static_cast<int64_t>(bytes.size()) != int64_t{units} * depth) {
    return ctx.Error("weights data size mismatch");
  }
  std::vector<int8_t> w(bytes.begin(), bytes.end());
  const int32_t zp_in = ZeroPoint(in);
  for (int o = 0; o < units; ++o) {
    int32_t sum = 0;
    for (int i = 0; i < depth; ++i) sum += w[static_cast<size_t>(o) * depth + i];
    bias[o] += -zp_in * sum + depth * zp_in * zp_w;
  }
  ChannelRequant requant =
      MakeChannelRequant(Scale(in), wq.scale, out, ctx.op.options.activation,
                         ctx.mode, units, /*float_product=*/true);
  return std::make_unique<FullyConnectedKernel>(
      static_cast<int>(batches), depth, units, std::move(w), std::move(bias),
      zp_w, std::move(requant));
}

}  // namespace mcutune::graph
