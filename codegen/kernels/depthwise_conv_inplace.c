/* In-place DEPTHWISE_CONV_2D (multiplier 1): the output overwrites the input
 * buffer, so a depthwise layer needs no second activation buffer (the
 * MCUNetV2 / TinyEngine memory saving), only a one-channel temporary.
 *
 * Why it is safe: with pixels of C channels and row strides that are
 * multiples of C, output element (y, x, c) can only alias an input element
 * of the same channel c. Channels are processed in order; channel c of the
 * whole input window is copied to the temporary before any output of
 * channel c is written, and later channels are untouched until their turn.
 *
 * Per channel the computation is a scalar 2-D convolution over the
 * temporary (dense rows of the window width), taps outside the image
 * reading as zp_in, exactly as the out-of-place kernel.
 */
#include "codegen/kernels/internal/kernel_common.h"

void mcuk_depthwise_conv2d_inplace(const mcuk_conv_params* p,
                                   const mcuk_cview* in, const mcuk_view* out,
                                   const mcuk_region* r,
                                   int8_t* channel_tmp) {
  const int32_t c_all = p->out_c, kh = p->filter_h, kw = p->filter_w;
  const int32_t win_h = in->h, win_w = in->w;
  const int32_t zp = p->input_zero_point;
  int32_t c, y, x, oy, ox, ky, kx;
  MCUK_ASSERT(p->depth_multiplier == 1 && p->in_c == p->out_c);
  MCUK_ASSERT(in->row_stride % c_all == 0 && out->row_stride % c_all == 0);
  MCUK_ASSERT((out->data - in->data) % c_all == 0);
  mcuk_check_region(r, out, p->out_h, p->out_w);
  if (r->y0 >= r->y1 || r->x0 >= r->x1) return;
  mcuk_check_window(
      in, r->y0 * p->stride_h - p->pad_top,
      (r->y1 - 1) * p->stride_h - p->pad_top + (kh - 1) * p->dilation_h,
      r->x0 * p->stride_w - p->pad_left,
      (r->x1 - 1) * p->stride_w - p->pad_left + (kw - 1) * p->dilation_w,
      p->in_h, p->in_w);
  for (c = 0; c < c_all; ++c) {
    const int8_t* w = p->filter + c;
    for (y = 0; y < win_h; ++y) {
      const int8_t* src = in->data + y * in->row_stride + c;
      int8_t* dst = channel_tmp + y * win_w;
      for (x = 0; x < win_w; ++x) dst[x] = src[x * c_all];
    }
    for (oy = r->y0; oy < r->y1; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_top;
      int8_t* o = mcuk_view_at(out, oy, r->x0, c_all) + c;
      for (ox = r->x0; ox < r->x1; ++ox, o += c_all) {
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        int32_t acc = p->bias[c];
        for (ky = 0; ky < kh; ++ky) {
          const int32_t iy = iy0 + ky * p->dilation_h;
          const int row_in = iy >= 0 && iy < p->in_h;
          const int32_t row = (iy - in->y0) * win_w - in->x0;
          for (kx = 0; kx < kw; ++kx) {
            const int32_t ix = ix0 + kx * p->dilation_w;
            const int32_t v =
                row_in && ix >= 0 && ix < p->in_w ? channel_tmp[row + ix] : zp;
            acc += v * w[(ky * kw + kx) * c_all];
          }
        }
        *o = mcuk_requant_one(&p->requant, acc, c);
      }
    }
  }
}
