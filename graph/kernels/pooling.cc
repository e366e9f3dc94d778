// AVERAGE_POOL_2D and MAX_POOL_2D, int8, input and output sharing one
// quantization (TFLite requires it; no requantization happens).
//
// Windows are clipped to the input: padded positions are not counted, so an
// average divides by the number of valid taps, with TFLite's rounding
// (half away from zero). The fused activation clamps the result. The inner
// loop runs over channels, which are contiguous in NHWC.
#include <algorithm>
#include <vector>

#include "graph/kernels/conv_common.h"
#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

class Pool2DKernel : public OpKernel {
 public:
  Pool2DKernel(bool average, SpatialGeometry g, ActivationRange range)
      : average_(average), g_(g), range_(range) {}

  void Run(absl::Span<const int8_t* const> inputs,
           int8_t* output) const override {
    const int c = g_.in_c;
    std::vector<int32_t> acc(c);
    for (int b = 0; b < g_.batches; ++b) {
      const int8_t* image =
          inputs[0] + static_cast<size_t>(b) * g_.in_h * g_.in_w * c;
      for (int oy = 0; oy < g_.out_h; ++oy) {
        const int y0 = oy * g_.stride_h - g_.pad_top;
        const int y_begin = std::max(y0, 0);
        const int y_end = std::min(y0 + g_.filter_h, g_.in_h);
        for (int ox = 0; ox < g_.out_w; ++ox) {
          const int x0 = ox * g_.stride_w - g_.pad_left;
          const int x_begin = std::max(x0, 0);
          const int x_end = std::min(x0 + g_.filter_w, g_.in_w);
          const int count = (y_end - y_begin) * (x_end - x_begin);
          int8_t* out = output + ((static_cast<size_t>(b) * g_.out_h + oy) *
                                      g_.out_w + ox) * c;
          if (count <= 0) {  // window entirely in padding
            std::fill(out, out + c, static_cast<int8_t>(range_.min));
            continue;
          }
          std::fill(acc.begin(), acc.end(), average_ ? 0 : -128);
          for (int y = y_begin; y < y_end; ++y) {
            for (int x = x_begin; x < x_end; ++x) {
              const int8_t* px = image + (static_cast<size_t>(y) * g_.in_w + x) * c;
              if (average_) {
                for (int k = 0; k < c; ++k) acc[k] += px[k];
              } else {
                for (int k = 0; k < c; ++k) acc[k] = std::max<int32_t>(acc[k], px[k]);
              }
            }
          }
          for (int k = 0; k < c; ++k) {
            int32_t v = acc[k];
            if (average_) {
              v = v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
            }
            out[k] = static_cast<int8_t>(std::clamp(v, range_.min, range_.max));
          }
        }
      }
    }
  }

 private:
  bool average_;
  SpatialGeometry g_;
  ActivationRange range_;
};

}  // namespace

OpKernelOr PreparePool2D(const KernelContext& ctx) {
  if (auto s = ctx.ExpectOperands(1, 1); !s.ok()) return s;
  const Tensor& in = ctx.input(0);
  const Tensor& out = ctx.output();
  if (auto s = ctx.ExpectInt8PerTensor(in, "input"); !s.ok()) return s;
  if (in.shape.size() != 4 || out.shape.size() != 4) {
    return ctx.Error("input and output must be 4-D");
  }
  if (Scale(in) != Scale(out) || ZeroPoint(in) != ZeroPoint(out)) {
    return ctx.Error("input and output quantization must be equal");
  }
  const OpOptions& o = ctx.op.options;
  SpatialGeometry g;
  g.batches = in.shape[0];
  g.in_h = in.shape[1], g.in_w = in.shape[2], g.in_c = in.shape[3];
  g.out_h = out.shape[1], g.out_w = out.shape[2], g.out_c = out.shape[3];
  g.filter_h = o.filter_h, g.filter_w = o.filter_w;
  g.stride_h = o.stride_h, g.stride_w = o.stride_w;
  if (g.filter_h < 1 || g.filter_w < 1 || g.stride_h < 1 || g.stride_w < 1) {
    return ctx.Error("filter sizes and strides must be >= 1");
  }
  if (out.shape[0] != g.batches || g.out_c != g.in_c ||
      ComputeOutputSize(o.padding, g.in_h, g.filter_h, g.stride_h, 1) !=
          g.out_h ||
      ComputeOutputSize(o.padding, g.in_w, g.filter_w, g.stride_w, 1) !=
          g.out_w) {
    return ctx.Error("output shape inconsistent with input and window");
  }
  g.pad_top = ComputePaddingBefore(o.padding, g.in_h, g.filter_h, g.stride_h,
                                   1, g.out_h);
  g.pad_left = ComputePaddingBefore(o.padding, g.in_w, g.filter_w, g.stride_w,
                                    1, g.out_w);
  const ActivationRange range =
      ComputeActivationRange(o.activation, Scale(out), ZeroPoint(out));
  return std::make_unique<Pool2DKernel>(
      ctx.op.type == OpType::kAveragePool2D, g, range);
}

}  // namespace mcutune::graph
