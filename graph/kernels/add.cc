// ADD, int8, with numpy-style broadcasting and differing input / output
// quantization.
//
// Arithmetic:
//   kSingleRounding (XNNPACK's int8 add, which the WASM runtime runs):
//     r_i = s_i / s_out in float; shift = 20 - exponent(max(r_a, r_b));
//     m_i = lrintf(r_i * 2^shift) (about 20-bit multipliers);
//     out = ((2^(shift-1) - m_a zp_a - m_b zp_b + a m_a + b m_b) >> shift)
//           + zp_out, one rounding, ties up. Ratios XNNPACK refuses
//     (shift outside [12, 30]) fall back to TFLite's own kernel, i.e. the
//     double-rounding form below.
//   kDoubleRounding (TFLite / TFLite Micro integer ADD): both inputs offset
//     by their zero points, shifted left 20 bits, scaled by
//     s_i / (2 max(s_a, s_b)); the sum scaled by 2 max(s_a, s_b) /
//     (2^20 s_out); every multiply with double rounding.
// The output zero point is added and the fused activation applied last.
// Broadcasting: shapes are right-aligned; a dimension of size 1 repeats.
// Equal shapes take a flat loop.
#include <algorithm>
#include <cmath>
#include <vector>

#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

constexpr int kLeftShift = 20;

struct AddParams {
  int32_t zp_a, zp_b, zp_out;
  QuantizedMultiplier m_a, m_b, m_out;  // double-rounding form
  bool xnnpack = false;                 // single: XNNPACK form usable
  int32_t xa = 0, xb = 0, xbias = 0, xshift = 0;  // XNNPACK form
  ActivationRange range;
};

template <RequantMode kMode>
inline int8_t AddOne(const AddParams& p, int8_t a, int8_t b) {
  if (kMode == RequantMode::kSingleRounding && p.xnnpack) {
    const int32_t v =
        ((p.xbias + a * p.xa + b * p.xb) >> p.xshift) + p.zp_out;
    return static_cast<int8_t>(std::clamp(v, p.range.min, p.range.max));
  }
  constexpr RequantMode kInt = RequantMode::kDoubleRounding;
  const int32_t sa = MultiplyByQuantizedMultiplier<kInt>(
      (a - p.zp_a) * (1 << kLeftShift), p.m_a.multiplier, p.m_a.shift);
  const int32_t sb = MultiplyByQuantizedMultiplier<kInt>(
      (b - p.zp_b) * (1 << kLeftShift), p.m_b.multiplier, p.m_b.shift);
  const int32_t v = MultiplyByQuantizedMultiplier<kInt>(
                        sa + sb, p.m_out.multiplier, p.m_out.shift) +
                    p.zp_out;
  return static_cast<int8_t>(std::clamp(v, p.range.min, p.range.max));
}

class AddKernel : public OpKernel {
 public:
  AddKernel(AddParams params, RequantMode mode, std::vector<int32_t> out_shape,
            std::vector<int64_t> stride_a, std::vector<int64_t> stride_b,
            bool same_shape)
      : p_(params),
        mode_(mode),
        out_shape_(std::move(out_shape)),
        stride_a_(std::move(stride_a)),
        stride_b_(std::move(stride_b)),
        same_shape_(same_shape) {}

  void Run(absl::Span<const int8_t* const> inputs,
           int8_t* output) const override {
    if (mode_ == RequantMode::kSingleRounding) {
      RunMode<RequantMode::kSingleRounding>(inputs[0], inputs[1], output);
    } else {
      RunMode<RequantMode::kDoubleRounding>(inputs[0], inputs[1], output);
    }
  }

 private:
  template <RequantMode kMode>
  void RunMode(const int8_t* a, const int8_t* b, int8_t* out) const {
    int64_t total = 1;
    for (int32_t d : out_shape_) total *= d;
    if (same_shape_) {
      for (int64_t i = 0; i < total; ++i) out[i] = AddOne<kMode>(p_, a[i], b[i]);
      return;
    }
    // Odometer over the output index; inner dimension in a tight loop.
    const int rank = static_cast<int>(out_shape_.size());
    const int inner = out_shape_[rank - 1];
    const int64_t ia_step = stride_a_[rank - 1], ib_step = stride_b_[rank - 1];
    std::vector<int32_t> index(rank, 0);
    for (int64_t done = 0; done < total; done += inner) {
      int64_t oa = 0, ob = 0;
      for (int d = 0; d < rank - 1; ++d) {
        oa += index[d] * stride_a_[d];
        ob += index[d] * stride_b_[d];
      }
      for (int i = 0; i < inner; ++i) {
        out[done + i] = AddOne<kMode>(p_, a[oa + i * ia_step], b[ob + i * ib_step]);
      }
      for (int d = rank - 2; d >= 0; --d) {
        if (++index[d] < out_shape_[d]) break;
        index[d] = 0;
      }
    }
  }

  AddParams p_;
  RequantMode mode_;
  std::vector<int32_t> out_shape_;
  std::vector<int64_t> stride_a_, stride_b_;  // 0 where broadcast
  bool same_shape_;
};

// Element strides of `shape` seen through `out_shape` (right-aligned), or an
// empty vector when the shapes do not broadcast.
std::vector<int64_t> BroadcastStrides(const std::vector<int32_t>& shape,
                                      const std::vector<int32_t>& out_shape) {
  const int rank = static_cast<int>(out_shape.size());
  const int offset = rank - static_cast<int>(shape.size());
  if (offset < 0) return {};
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (int d = rank - 1; d >= offset; --d) {
    const int32_t n = shape[d - offset];
    if (n == out_shape[d]) {
      strides[d] = n == 1 ? 0 : stride;
    } else if (n != 1) {
      return {};
    }
    stride *= n;
  }
  return strides;
}

}  // namespace

OpKernelOr PrepareAdd(const KernelContext& ctx) {
  if (auto s = ctx.ExpectOperands(2, 2); !s.ok()) return s;
  if (!ctx.has_input(1)) return ctx.Error("input 1 absent");
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  const Tensor& out = ctx.output();
  if (auto s = ctx.ExpectInt8PerTensor(a, "input 0"); !s.ok()) return s;
  if (auto s = ctx.ExpectInt8PerTensor(b, "input 1"); !s.ok()) return s;
  std::vector<int32_t> out_shape = out.shape;
  if (out_shape.empty()) out_shape = {1};
  std::vector<int64_t> sa = BroadcastStrides(a.shape, out_shape);
  std::vector<int64_t> sb = BroadcastStrides(b.shape, out_shape);
  if (sa.empty() || sb.empty() || out.num_elements() == 0) {
    return ctx.Error("input shapes do not broadcast to the output shape");
  }
  AddParams p;
  p.zp_a = ZeroPoint(a), p.zp_b = ZeroPoint(b), p.zp_out = ZeroPoint(out);
  const double twice_max = 2.0 * std::max<double>(Scale(a), Scale(b));
  p.m_a = QuantizeMultiplier(Scale(a) / twice_max);
  p.m_b = QuantizeMultiplier(Scale(b) / twice_max);
  p.m_out = QuantizeMultiplier(twice_max /
                               ((1 << kLeftShift) * double{Scale(out)}));
  p.range = ComputeActivationRange(ctx.op.options.activation, Scale(out),
                                   p.zp_out);
  // XNNPACK's form: ~20-bit multipliers sharing one shift.
  const float ra = Scale(a) / Scale(out), rb = Scale(b) / Scale(out);
  const int exponent = std::ilogb(std::max(ra, rb));
  const int shift = 20 - exponent;
  if (shift >= 12 && shift <= 30 && std::min(ra, rb) >= 0x1.0p-10f) {
    p.xnnpack = true;
    p.xshift = shift;
    p.xa = static_cast<int32_t>(std::lrint(std::ldexp(ra, shift)));
    p.xb = static_cast<int32_t>(std::lrint(std::ldexp(rb, shift)));
    p.xbias = (int32_t{1} << (shift - 1)) - p.xa * p.zp_a - p.xb * p.zp_b;
  }
  const bool same = a.shape == out.shape && b.shape == out.shape;
  return std::make_unique<AddKernel>(p, ctx.mode, std::move(out_shape),
                                     std::move(sa), std::move(sb), same);
}

}  // namespace mcutune::graph
