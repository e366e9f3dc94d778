// CONCATENATION, int8, along one axis.
//
// The output is a sequence of `outer` blocks (the product of the dimensions
// before the axis); each block holds every input's slab of
// shape[axis] * inner elements in input order. An input whose quantization
// equals the output's is copied; otherwise each value is requantized:
// out = zp_out + (x - zp_in) * s_in / s_out (fixed-point multiplier in the
// selected rounding mode), then clamped by the fused activation. (TFLite
// itself rejects int8 inputs with differing quantization; its uint8 path
// rescales in float. mcutune accepts such graphs and rescales as above.)
#include <algorithm>
#include <cstring>
#include <vector>

#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

struct ConcatInput {
  int64_t slab;  // elements per outer block
  bool rescale;
  int32_t zero_point;
  QuantizedMultiplier m;
};

class ConcatenationKernel : public OpKernel {
 public:
  ConcatenationKernel(int64_t outer, std::vector<ConcatInput> parts,
                      int32_t zp_out, ActivationRange range, RequantMode mode)
      : outer_(outer),
        parts_(std::move(parts)),
        zp_out_(zp_out),
        range_(range),
        mode_(mode) {}

  void Run(absl::Span<const int8_t* const> inputs,
           int8_t* output) const override {
    for (int64_t o = 0; o < outer_; ++o) {
      for (size_t i = 0; i < parts_.size(); ++i) {
        const ConcatInput& part = parts_[i];
        const int8_t* src = inputs[i] + o * part.slab;
        if (!part.rescale) {
          std::memcpy(output, src, part.slab);
        } else {
          for (int64_t k = 0; k < part.slab; ++k) {
            const int32_t v = zp_out_ + MultiplyByQuantizedMultiplier(
                                            src[k] - part.zero_point, part.m,
                                            mode_);
            output[k] = static_cast<int8_t>(std::clamp(v, range_.min, range_.max));
          }
        }
        output += part.slab;
      }
    }
  }

 private:
  int64_t outer_;
  std::vector<ConcatInput> parts_;
  int32_t zp_out_;
  ActivationRange range_;
  RequantMode mode_;
};

}  // namespace

OpKernelOr PrepareConcatenation(const KernelContext& ctx) {
  if (auto s = ctx.ExpectOperands(1, 1 << 16); !s.ok()) return s;
  const Tensor& out = ctx.output();
  const int rank = static_cast<int>(out.shape.size());
  int axis = ctx.op.options.axis;
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return ctx.Error("axis out of range");
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= out.shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= out.shape[d];
  const ActivationRange range = ComputeActivationRange(
      ctx.op.options.activation, Scale(out), ZeroPoint(out));
  const bool clamps = range.min > -128 || range.max < 127;
  std::vector<ConcatInput> parts;
  int64_t axis_total = 0;
  for (size_t i = 0; i < ctx.op.inputs.size(); ++i) {
    if (!ctx.has_input(static_cast<int>(i))) return ctx.Error("input absent");
    const Tensor& in = ctx.input(static_cast<int>(i));
    if (auto s = ctx.ExpectInt8PerTensor(in, "input"); !s.ok()) return s;
    if (static_cast<int>(in.shape.size()) != rank) {
      return ctx.Error("inputs must have the output's rank");
    }
    for (int d = 0; d < rank; ++d) {
      if (d != axis && in.shape[d] != out.shape[d]) {
        return ctx.Error("inputs differ from the output off the axis");
      }
    }
    axis_total += in.shape[axis];
    ConcatInput part;
    part.slab = in.shape[axis] * inner;
    part.zero_point = ZeroPoint(in);
    part.rescale = clamps || Scale(in) != Scale(out) ||
                   ZeroPoint(in) != ZeroPoint(out);
    part.m = QuantizeMultiplier(double{Scale(in)} / double{Scale(out)});
    parts.push_back(part);
  }
  if (axis_total != out.shape[axis]) {
    return ctx.Error("input sizes along the axis do not add up");
  }
  return std::make_unique<ConcatenationKernel>(
      outer, std::move(parts), ZeroPoint(out), range, ctx.mode);
}

}  // namespace mcutune::graph
