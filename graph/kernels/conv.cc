// CONV_2D, int8 with per-channel (or per-tensor) filter quantization.
//
// Prepare: checks shapes (input NHWC, filter OHWI, bias [Cout] int32),
// computes TFLite's SAME/VALID padding, per-channel multipliers and the bias
// with the input zero point folded in (bias[c] - zp_in * sum w[c]).
// Run, per group of four output pixels:
//   - gathers each receptive field into one contiguous patch (im2col; a 1x1
//     convolution reads the input pixel in place), from an input copy padded
//     with zp_in when a window crosses a border;
//   - acc[k][co] = bias'[co] + dot(patch[k], filter[co]), the four dot
//     products sharing each filter row load;
//   - requantizes each row of Cout accumulators.
#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/kernels/conv_common.h"
#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

class Conv2DKernel : public OpKernel {
 public:
  Conv2DKernel(SpatialGeometry g, std::vector<int8_t> filter,
               std::vector<int32_t> bias, int8_t input_zero_point,
               ChannelRequant requant)
      : g_(g),
        filter_(std::move(filter)),
        bias_(std::move(bias)),
        input_zero_point_(input_zero_point),
        requant_(std::move(requant)) {}

  void Run(absl::Span<const int8_t* const> inputs,
           int8_t* output) const override {
    const int patch_len = g_.filter_h * g_.filter_w * g_.in_c;
    const bool pointwise = g_.filter_h == 1 && g_.filter_w == 1;
    const bool padded = g_.needs_padding();
    std::vector<int8_t> padded_image;
    std::vector<int8_t> patches(4 * static_cast<size_t>(patch_len));
    std::vector<int32_t> acc(4 * static_cast<size_t>(g_.out_c));
    const size_t image_size = static_cast<size_t>(g_.in_h) * g_.in_w * g_.in_c;
    for (int b = 0; b < g_.batches; ++b) {
      const int8_t* image = inputs[0] + b * image_size;
      int row_w = g_.in_w;
      if (padded) {
        SpatialPad(g_, image, input_zero_point_, &padded_image);
        image = padded_image.data();
        row_w = g_.padded_w();
      }
      const size_t row_stride = static_cast<size_t>(row_w) * g_.in_c;
      // Output pixels in groups of four (row-major over the output map), so
      // each filter row is loaded once per group.
      const int pixels = g_.out_h * g_.out_w;
      int8_t* out_image =
          output + static_cast<size_t>(b) * pixels * g_.out_c;
      for (int p0 = 0; p0 < pixels; p0 += 4) {
        const int group = std::min(4, pixels - p0);
        const int8_t* src[4];
        for (int k = 0; k < 4; ++k) {
          const int p = p0 + std::min(k, group - 1);
          const int oy = p / g_.out_w, ox = p % g_.out_w;
          const int8_t* origin =
              image + (oy * g_.stride_h) * row_stride +
              static_cast<size_t>(ox * g_.stride_w) * g_.in_c;
          if (pointwise) {
            src[k] = origin;
          } else {
            Gather(origin, row_stride, patches.data() + k * patch_len);
            src[k] = patches.data() + k * patch_len;
          }
        }
        const int8_t* w = filter_.data();
        for (int co = 0; co < g_.out_c; ++co, w += patch_len) {
          int32_t dots[4];
          DotInt8x4(src, w, patch_len, dots);
          for (int k = 0; k < 4; ++k) acc[k * g_.out_c + co] = bias_[co] + dots[k];
        }
        for (int k = 0; k < group; ++k) {
          requant_.Apply(acc.data() + k * g_.out_c,
                         out_image + static_cast<size_t>(p0 + k) * g_.out_c,
                         g_.out_c);
        }
      }
    }
  }

 private:
  // Copies the window at `origin` into `patch` in filter (ky, kx, ci) order.
  void Gather(const int8_t* origin, size_t row_stride, int8_t* patch) const {
    const int c = g_.in_c;
    if (g_.dilation_w == 1) {
      const int run = g_.filter_w * c;
      for (int ky = 0; ky < g_.filter_h; ++ky, patch += run) {
        std::memcpy(patch, origin + ky * g_.dilation_h * row_stride, run);
      }
      return;
    }
    for (int ky = 0; ky < g_.filter_h; ++ky) {
      const int8_t* row = origin + ky * g_.dilation_h * row_stride;
      for (int kx = 0; kx < g_.filter_w; ++kx, patch += c) {
        std::memcpy(patch, row + kx * g_.dilation_w * c, c);
      }
    }
  }

  SpatialGeometry g_;
  std::vector<int8_t> filter_;  // OHWI
  std::vector<int32_t> bias_;   // zp_in * sum w already subtracted
  int8_t input_zero_point_;
  ChannelRequant requant_;
};

}  // namespace

OpKernelOr PrepareConv2D(const KernelContext& ctx) {
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
  SpatialGeometry g;
  g.batches = in.shape[0];
  g.in_h = in.shape[1], g.in_w = in.shape[2], g.in_c = in.shape[3];
  g.out_h = out.shape[1], g.out_w = out.shape[2], g.out_c = out.shape[3];
  g.filter_h = filter.shape[1], g.filter_w = filter.shape[2];
  const OpOptions& o = ctx.op.options;
  g.stride_h = o.stride_h, g.stride_w = o.stride_w;
  g.dilation_h = o.dilation_h, g.dilation_w = o.dilation_w;
  if (filter.shape[0] != g.out_c || filter.shape[3] != g.in_c ||
      out.shape[0] != g.batches) {
    return ctx.Error("filter / output shape does not match the input");
  }
  if (g.stride_h < 1 || g.stride_w < 1 || g.dilation_h < 1 ||
      g.dilation_w < 1) {
    return ctx.Error("strides and dilations must be >= 1");
  }
  g.pad_top = ComputePaddingBefore(o.padding, g.in_h, g.filter_h, g.stride_h,
                                   g.dilation_h, g.out_h);
  g.pad_left = ComputePaddingBefore(o.padding, g.in_w, g.filter_w, g.stride_w,
                                    g.dilation_w, g.out_w);
  if (ComputeOutputSize(o.padding, g.in_h, g.filter_h, g.stride_h,
                        g.dilation_h) != g.out_h ||
      ComputeOutputSize(o.padding, g.in_w, g.filter_w, g.stride_w,
                        g.dilation_w) != g.out_w) {
    return ctx.Error("output shape inconsistent with input and padding");
  }
  const Quantization& fq = filter.quant;
  if (fq.scale.size() != 1 &&
      (static_cast<int>(fq.scale.size()) != g.out_c ||
       fq.quantized_dimension != 0)) {
    return ctx.Error("filter quantization must be per tensor or per output "
                     "channel (dimension 0)");
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
  const int64_t patch_len = int64_t{g.filter_h} * g.filter_w * g.in_c;
  if (static_cast<int64_t>(bytes.size()) != patch_len * g.out_c) {
    return ctx.Error("filter data size mismatch");
  }
  std::vector<int8_t> weights(bytes.begin(), bytes.end());
  const int32_t zp_in = ZeroPoint(in);
  for (int co = 0; co < g.out_c; ++co) {
    int32_t sum = 0;
    for (int64_t k = 0; k < patch_len; ++k) sum += weights[co * patch_len + k];
    bias[co] -= zp_in * sum;
  }
  ChannelRequant requant =
      MakeChannelRequant(Scale(in), fq.scale, out, o.activation, ctx.mode,
                         g.out_c, /*float_product=*/false);
  return std::make_unique<Conv2DKernel>(g, std::move(weights), std::move(bias),
                                        static_cast<int8_t>(zp_in),
                                        std::move(requant));
}

}  // namespace mcutune::graph
