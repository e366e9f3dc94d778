// SOFTMAX, int8 in and out, over the last dimension.
//
// TFLite's optimized int8 softmax, which the WASM runtime runs: a table of
// 256 floats exp(-beta * s_in * d) for every possible distance d = max - x
// (computed once at Prepare), a float sum of the row's table entries in
// element order, then out = round(e / (sum * s_out)) + zp_out (round half
// away from zero), clamped to int8. No requantization multiplier is involved,
// so both RequantModes run the same arithmetic.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

class SoftmaxKernel : public OpKernel {
 public:
  SoftmaxKernel(int64_t rows, int depth, std::array<float, 256> table,
                float output_scale, int32_t output_zero_point)
      : rows_(rows),
        depth_(depth),
        table_(table),
        output_scale_(output_scale),
        output_zero_point_(output_zero_point) {}

  void Run(absl::Span<const int8_t* const> inputs,
           int8_t* output) const override {
    const int8_t* x = inputs[0];
    for (int64_t r = 0; r < rows_; ++r, x += depth_, output += depth_) {
      int32_t max_val = -128;
      for (int j = 0; j < depth_; ++j) max_val = std::max<int32_t>(max_val, x[j]);
      // exp(-beta * s * (max - x)) sits at table_[255 - (max - x)].
      const float* e = table_.data() + 255 - max_val;
      float sum = 0.0f;
      for (int j = 0; j < depth_; ++j) sum += e[x[j]];
      const float inv = 1.0f / (sum * output_scale_);
      for (int j = 0; j < depth_; ++j) {
        const int32_t q =
            static_cast<int32_t>(std::round(e[x[j]] * inv)) + output_zero_point_;
        output[j] = static_cast<int8_t>(std::clamp(q, -128, 127));
      }
    }
  }

 private:
  int64_t rows_;
  int depth_;
  std::array<float, 256> table_;
  float output_scale_;
  int32_t output_zero_point_;
};

}  // namespace

OpKernelOr PrepareSoftmax(const KernelContext& ctx) {
  if (auto s = ctx.ExpectOperands(1, 1); !s.ok()) return s;
  const Tensor& in = ctx.input(0);
  const Tensor& out = ctx.output();
  if (auto s = ctx.ExpectInt8PerTensor(in, "input"); !s.ok()) return s;
  if (in.shape.empty() || in.shape != out.shape || in.shape.back() < 1) {
    return ctx.Error("input and output shapes must be equal, rank >= 1");
  }
  const int depth = in.shape.back();
  const float scale = -Scale(in) * ctx.op.options.beta;
  std::array<float, 256> table;
  for (int d = 0; d <= 255; ++d) table[255 - d] = std::exp(scale * d);
  return std::make_unique<SoftmaxKernel>(in.num_elements() / depth, depth,
                                         table, Scale(out), ZeroPoint(out));
}

}  // namespace mcutune::graph
