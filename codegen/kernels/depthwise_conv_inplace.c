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
 * reading as zp_in, exactly as the out-of-place kernel. Outputs whose whole
 * window lies inside the image (all but the border) skip the bounds checks;
 * 3x3 windows with dilation 1 keep the channel's nine taps in registers and
 * are fully unrolled.
 */
#include "codegen/kernels/internal/kernel_common.h"

/* One output of channel c from the temporary; (iy0, ix0) = the window's
 * top-left input position (may be outside the image). */
static int32_t tap_sum_checked(const mcuk_conv_params* p, const mcuk_cview* in,
                               const int8_t* tmp, const int8_t* w,
                               int32_t iy0, int32_t ix0, int32_t acc) {
  const int32_t c_all = p->out_c, kh = p->filter_h, kw = p->filter_w;
  const int32_t win_w = in->w, zp = p->input_zero_point;
  int32_t ky, kx;
  for (ky = 0; ky < kh; ++ky) {
    const int32_t iy = iy0 + ky * p->dilation_h;
    const int row_in = iy >= 0 && iy < p->in_h;
    const int32_t row = (iy - in->y0) * win_w - in->x0;
    for (kx = 0; kx < kw; ++kx) {
      const int32_t ix = ix0 + kx * p->dilation_w;
      const int32_t v =
          row_in && ix >= 0 && ix < p->in_w ? tmp[row + ix] : zp;
      acc += v * w[(ky * kw + kx) * c_all];
    }
  }
  return acc;
}

/* Outputs [x_lo, x_hi) of row oy whose windows are all inside the image:
 * 3x3 with dilation 1, the taps in locals. */
static void row_interior_3x3(const mcuk_conv_params* p, const mcuk_cview* in,
                             const int8_t* tmp, const int8_t* w, int32_t c,
                             int32_t iy0, int32_t x_lo, int32_t x_hi,
                             int8_t* o) {
  const int32_t c_all = p->out_c, win_w = in->w, sw = p->stride_w;
  const int32_t w0 = w[0], w1 = w[c_all], w2 = w[2 * c_all];
  const int32_t w3 = w[3 * c_all], w4 = w[4 * c_all], w5 = w[5 * c_all];
  const int32_t w6 = w[6 * c_all], w7 = w[7 * c_all], w8 = w[8 * c_all];
  const int32_t bias = p->bias[c];
  const int8_t* t = tmp + (iy0 - in->y0) * win_w +
                    (x_lo * sw - p->pad_left - in->x0);
  int32_t ox;
  for (ox = x_lo; ox < x_hi; ++ox, t += sw, o += c_all) {
    const int8_t* t1 = t + win_w;
    const int8_t* t2 = t1 + win_w;
    int32_t acc = bias + t[0] * w0 + t[1] * w1 + t[2] * w2;
    acc += t1[0] * w3 + t1[1] * w4 + t1[2] * w5;
    acc += t2[0] * w6 + t2[1] * w7 + t2[2] * w8;
    *o = mcuk_requant_one(&p->requant, acc, c);
  }
}

/* Outputs [x_lo, x_hi) of row oy whose windows are all inside the image,
 * any window shape. */
static void row_interior(const mcuk_conv_params* p, const mcuk_cview* in,
                         const int8_t* tmp, const int8_t* w, int32_t c,
                         int32_t iy0, int32_t x_lo, int32_t x_hi, int8_t* o) {
  const int32_t c_all = p->out_c, kh = p->filter_h, kw = p->filter_w;
  const int32_t win_w = in->w, sw = p->stride_w;
  const int32_t dy = p->dilation_h * win_w, dx = p->dilation_w;
  const int8_t* t = tmp + (iy0 - in->y0) * win_w +
                    (x_lo * sw - p->pad_left - in->x0);
  int32_t ox, ky, kx;
  for (ox = x_lo; ox < x_hi; ++ox, t += sw, o += c_all) {
    int32_t acc = p->bias[c];
    const int8_t* wk = w;
    for (ky = 0; ky < kh; ++ky) {
      const int8_t* tr = t + ky * dy;
      for (kx = 0; kx < kw; ++kx, wk += c_all) acc += tr[kx * dx] * *wk;
    }
    *o = mcuk_requant_one(&p->requant, acc, c);
  }
}

/* Ceiling division for a >= 0 or any sign, b > 0. */
static int32_t div_up(int32_t a, int32_t b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

void mcuk_depthwise_conv2d_inplace(const mcuk_conv_params* p,
                                   const mcuk_cview* in, const mcuk_view* out,
                                   const mcuk_region* r,
                                   int8_t* channel_tmp) {
  const int32_t c_all = p->out_c, kh = p->filter_h, kw = p->filter_w;
  const int32_t win_h = in->h, win_w = in->w;
  const int32_t span_w = (kw - 1) * p->dilation_w, span_h = (kh - 1) * p->dilation_h;
  const int three = kh == 3 && kw == 3 && p->dilation_h == 1 && p->dilation_w == 1;
  int32_t c, y, x, oy, ox, x_lo, x_hi;
  MCUK_ASSERT(p->depth_multiplier == 1 && p->in_c == p->out_c);
  MCUK_ASSERT(in->row_stride % c_all == 0 && out->row_stride % c_all == 0);
  MCUK_ASSERT((out->data - in->data) % c_all == 0);
  mcuk_check_region(r, out, p->out_h, p->out_w);
  if (r->y0 >= r->y1 || r->x0 >= r->x1) return;
  mcuk_check_window(
      in, r->y0 * p->stride_h - p->pad_top,
      (r->y1 - 1) * p->stride_h - p->pad_top + span_h,
      r->x0 * p->stride_w - p->pad_left,
      (r->x1 - 1) * p->stride_w - p->pad_left + span_w,
      p->in_h, p->in_w);
  /* Output columns whose windows are inside the image: ox * s - pad >= 0 and
   * ox * s - pad + span_w < in_w, within the region. */
  x_lo = MCUK_MAX(r->x0, div_up(p->pad_left, p->stride_w));
  x_hi = MCUK_MIN(r->x1, div_up(p->in_w - span_w + p->pad_left, p->stride_w));
  if (x_hi < x_lo) x_hi = x_lo;
  for (c = 0; c < c_all; ++c) {
    const int8_t* w = p->filter + c;
    for (y = 0; y < win_h; ++y) {
      const int8_t* src = in->data + y * in->row_stride + c;
      int8_t* dst = channel_tmp + y * win_w;
      for (x = 0; x < win_w; ++x) dst[x] = src[x * c_all];
    }
    for (oy = r->y0; oy < r->y1; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_top;
      const int row_inside = iy0 >= 0 && iy0 + span_h < p->in_h;
      int8_t* o = mcuk_view_at(out, oy, r->x0, c_all) + c;
      for (ox = r->x0; ox < r->x1; ++ox, o += c_all) {
        if (row_inside && ox == x_lo && x_lo < x_hi) {
          if (three) {
            row_interior_3x3(p, in, channel_tmp, w, c, iy0, x_lo, x_hi, o);
          } else {
            row_interior(p, in, channel_tmp, w, c, iy0, x_lo, x_hi, o);
          }
          o += (x_hi - x_lo - 1) * c_all;
          ox = x_hi - 1;
          continue;
        }
        *o = mcuk_requant_one(
            &p->requant,
            tap_sum_checked(p, in, channel_tmp, w, iy0,
                            ox * p->stride_w - p->pad_left, p->bias[c]),
            c);
      }
    }
  }
}
