// DEPTHWISE_CONV_2D, int8 with per-channel filter quantization.
//
// Output channel oc = ic * depth_multiplier + m reads input channel ic.
// Prepare folds zp_in * sum w into the bias (as conv.cc) and, for
// depth_multiplier > 1, nothing else: Run widens each input pixel to the
// output channel count once, so the tap loop is the same contiguous
// multiply-accumulate over all output channels either way:
//   for each output pixel: acc = bias'; for each tap: acc[oc] += x[oc] * w[oc]
// The input is copied once into a buffer padded with zp_in when a window
// crosses the border.
#include <vector>

#include "graph/kernels/conv_common.h"
#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

class DepthwiseConv2DKernel : public OpKernel {
 public:
  DepthwiseConv2DKernel(SpatialGeometry g, int depth_multiplier,
                        std::vector<int8_t> filter, std::vector<int32_t> bias,
                        int8_t input_zero_point, ChannelRequant requant)
      : g_(g),
        depth_multiplier_(depth_multiplier),
        filter_(std::move(filter)),
        bias_(std::move(bias)),
        input_zero_point_(input_zero_point),
        requant_(std::move(requant)) {}

  void Run(absl::Span<const int8_t* const> inputs,
           int8_t* output) const override {
    const bool padded = g_.needs_padding();
    std::vector<int8_t> padded_image, widened;
    std::vector<int32_t> acc(g_.out_c);
    const size_t image_size = static_cast<size_t>(g_.in_h) * g_.in_w * g_.in_c;
    for (int b = 0; b < g_.batches; ++b) {
      const int8_t* image = inputs[0] + b * image_size;
      int ih = g_.in_h, iw = g_.in_w;
      if (padded) {
        SpatialPad(g_, image, input_zero_point_, &padded_image);
        image = padded_image.data();
        ih = g_.padded_h();
        iw = g_.padded_w();
      }
      if (depth_multiplier_ > 1) {
        Widen(image, static_cast<size_t>(ih) * iw, &widened);
        image = widened.data();
      }
      const int c = g_.out_c;  // channels per (widened) pixel
      const size_t row_stride = static_cast<size_t>(iw) * c;
      for (int oy = 0; oy < g_.out_h; ++oy) {
        for (int ox = 0; ox < g_.out_w; ++ox) {
          std::copy(bias_.begin(), bias_.end(), acc.begin());
          const int8_t* origin = image + oy * g_.stride_h * row_stride +
                                 static_cast<size_t>(ox * g_.stride_w) * c;
          const int8_t* w = filter_.data();
          for (int ky = 0; ky < g_.filter_h; ++ky) {
            const int8_t* row = origin + ky * g_.dilation_h * row_stride;
            for (int kx = 0; kx < g_.filter_w; ++kx, w += c) {
              MultiplyAccumulate(row + kx * g_.dilation_w * c, w, acc.data(),
                                 c);
            }
          }
          int8_t* out = output + ((static_cast<size_t>(b) * g_.out_h + oy) *
                                      g_.out_w + ox) * c;
          requant_.Apply(acc.data(), out, c);
        }
      }
    }
  }

 private:
  // Repeats every input channel depth_multiplier times.
  void Widen(const int8_t* image, size_t pixels,
             std::vector<int8_t>* widened) const {
    const int m = depth_multiplier_;
    widened->resize(pixels * g_.out_c);
    int8_t* dst = widened->data();
    for (size_t p = 0; p < pixels; ++p) {
      for (int ic = 0; ic < g_.in_c; ++ic) {
        const int8_t v = image[p * g_.in_c + ic];
        for (int k = 0; k < m; ++k) *dst++ = v;
      }
    }
  }

  SpatialGeometry g_;
  int depth_multiplier_;
  std::vector<int8_t> filter_;  // [kh][kw][Cout]
  std::vector<int32_t> bias_;   // zp_in * sum w already subtracted
  int8_t input_zero_point_;
  ChannelRequant requant_;
};

}  // namespace

OpKernelOr PrepareDepthwiseConv2D(const KernelContext& ctx) {
  if (auto s = ctx.ExpectOperands(2, 3); !s.ok()) return s;
  const Tensor& in = ctx.input(0);
  const Tensor& filter = ctx.input(1);
  const Tensor& out = ctx.output();
  if (auto s = ctx.ExpectInt8PerTensor(in, "input"); !s.ok()) return s;
  if (in.shape.size() != 4 || filter.shape.size() != 4 ||
      out.shape.size() != 4) {
    return ctx.Error("input, filter and output must be 4-D");
  }
  if (filter.type != DataType::kInt8 || !filter.is_constant()) {
    return ctx.Error("filter must be a constant INT8 tensor");
  }
  const OpOptions& o = ctx.op.options;
  SpatialGeometry g;
  g.batches = in.shape[0];
  g.in_h = in.shape[1], g.in_w = in.shape[2], g.in_c = in.shape[3];
  g.out_h = out.shape[1], g.out_w = out.shape[2], g.out_c = out.shape[3];
  g.filter_h = filter.shape[1], g.filter_w = filter.shape[2];
  g.stride_h = o.stride_h, g.stride_w = o.stride_w;
  g.dilation_h = o.dilation_h, g.dilation_w = o.dilation_w;
  const int m = o.depth_multiplier;
  if (m < 1 || int64_t{g.in_c} * m != g.out_c || filter.shape[0] != 1 ||
      filter.shape[3] != g.out_c || out.shape[0] != g.batches) {
    return ctx.Error("filter / output shape does not match the input and "
                     "depth_multiplier");
  }
  if (g.stride_h < 1 || g.stride_w < 1 || g.dilation_h < 1 ||
      g.dilation_w < 1) {
    return ctx.Error("strides and dilations must be >= 1");
  }
  if (ComputeOutputSize(o.padding, g.in_h, g.filter_h, g.stride_h,
                        g.dilation_h) != g.out_h ||
      ComputeOutputSize(o.padding, g.in_w, g.filter_w, g.stride_w,
                        g.dilation_w) != g.out_w) {
    return ctx.Error("output shape inconsistent with input and padding");
  }
  g.pad_top = ComputePaddingBefore(o.padding, g.in_h, g.filter_h, g.stride_h,
                                   g.dilation_h, g.out_h);
  g.pad_left = ComputePaddingBefore(o.padding, g.in_w, g.filter_w, g.stride_w,
                                    g.dilation_w, g.out_w);
  const Quantization& fq = filter.quant;
  if (fq.scale.size() != 1 &&
      (static_cast<int>(fq.scale.size()) != g.out_c ||
       fq.quantized_dimension != 3)) {
    return ctx.Error("filter quantization must be per tensor or per output "
                     "channel (dimension 3)");
  }
  for (int64_t zp : fq.zero_point) {
    if (zp != 0) return ctx.Error("filter zero points must be 0");
  }
  std::vector<int32_t> bias(g.out_c, 0);
  if (ctx.has_input(2)) {
    absl::StatusOr<std::vector<int32_t>> b = ctx.Int32Constant(2);
    if (!b.ok()) return b.status();
    if (static_cast<int>(b->size()) != g.out_c) {
      return ctx.Error("bias size differs from output channels");
    }
    bias = *std::move(b);
  }
  const std::vector<uint8_t>& bytes = ctx.graph.buffers[filter.buffer];
  const int64_t taps = int64_t{g.filter_h} * g.filter_w;
  if (static_cast<int64_t>(bytes.size()) != taps * g.out_c) {
    return ctx.Error("filter data size mismatch");
  }
  std::vector<int8_t> weights(bytes.begin(), bytes.end());
  const int32_t zp_in = ZeroPoint(in);
  for (int oc = 0; oc < g.out_c; ++oc) {
    int32_t sum = 0;
    for (int64_t t = 0; t < taps; ++t) sum += weights[t * g.out_c + oc];
    bias[oc] -= zp_in * sum;
  }
  ChannelRequant requant =
      MakeChannelRequant(Scale(in), fq.scale, out, o.activation, ctx.mode,
                         g.out_c, /*float_product=*/false);
  return std::make_unique<DepthwiseConv2DKernel>(
      g, m, std::move(weights), std::move(bias), static_cast<int8_t>(zp_in),
      std::move(requant));
}

}  // namespace mcutune::graph
