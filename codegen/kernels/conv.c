/* CONV_2D, general filters (k x k, strided, dilated), and the dispatcher.
 *
 * - Output pixels go in pairs along the row. Each pixel's receptive field is
 *   gathered into the caller's scratch in filter order (ky, kx, ci) (im2col,
 *   2 * filter_h * filter_w * in_c bytes): runs that lie inside the image are
 *   copied from the input view, the rest (image border) is filled with the
 *   input zero point, so the border needs no padded copy of the input and
 *   the zero-point term folded into the bias stays exact.
 * - The pair then runs the shared two-column channel loop
 *   (internal/conv_block.h) over all output channels.
 */
#include "codegen/kernels/internal/conv_block.h"

/* Copies the receptive field of output pixel (oy, ox) into dst. */
static void gather_window(const mcuk_conv_params* p, const mcuk_cview* in,
                          int32_t oy, int32_t ox, int8_t* dst) {
  const int32_t cin = p->in_c, kh = p->filter_h, kw = p->filter_w;
  const int32_t iy0 = oy * p->stride_h - p->pad_top;
  const int32_t ix0 = ox * p->stride_w - p->pad_left;
  const int8_t zp = (int8_t)p->input_zero_point;
  const int contiguous = p->dilation_w == 1 && ix0 >= 0 && ix0 + kw <= p->in_w;
  int32_t ky, kx;
  for (ky = 0; ky < kh; ++ky) {
    const int32_t iy = iy0 + ky * p->dilation_h;
    if (iy < 0 || iy >= p->in_h) {
      memset(dst, zp, (size_t)(kw * cin));
      dst += kw * cin;
      continue;
    }
    if (contiguous) {
      memcpy(dst, mcuk_cview_at(in, iy, ix0, cin), (size_t)(kw * cin));
      dst += kw * cin;
      continue;
    }
    for (kx = 0; kx < kw; ++kx, dst += cin) {
      const int32_t ix = ix0 + kx * p->dilation_w;
      if (ix < 0 || ix >= p->in_w) {
        memset(dst, zp, (size_t)cin);
      } else {
        memcpy(dst, mcuk_cview_at(in, iy, ix, cin), (size_t)cin);
      }
    }
  }
}

void mcuk_conv2d_generic(const mcuk_conv_params* p, const mcuk_cview* in,
                         const mcuk_view* out, const mcuk_region* r,
                         int8_t* scratch) {
  const int32_t len = p->filter_h * p->filter_w * p->in_c;
  const int32_t cout = p->out_c;
  int8_t* col0 = scratch;
  int8_t* col1 = scratch + len;
  int32_t oy, ox;
  MCUK_ASSERT(p->filter_layout == MCUK_FILTER_OHWI);
  mcuk_check_region(r, out, p->out_h, p->out_w);
  if (r->y0 >= r->y1 || r->x0 >= r->x1) return;
  mcuk_check_window(
      in, r->y0 * p->stride_h - p->pad_top,
      (r->y1 - 1) * p->stride_h - p->pad_top + (p->filter_h - 1) * p->dilation_h,
      r->x0 * p->stride_w - p->pad_left,
      (r->x1 - 1) * p->stride_w - p->pad_left + (p->filter_w - 1) * p->dilation_w,
      p->in_h, p->in_w);
  for (oy = r->y0; oy < r->y1; ++oy) {
    for (ox = r->x0; ox < r->x1; ox += 2) {
      const int two = ox + 1 < r->x1;
      int8_t* o0 = mcuk_view_at(out, oy, ox, cout);
      gather_window(p, in, oy, ox, col0);
      if (two) gather_window(p, in, oy, ox + 1, col1);
      mcuk_conv_two_pixels(p, col0, two ? col1 : col0, len, two, o0,
                           o0 + cout);
    }
  }
}

int32_t mcuk_conv2d_scratch_bytes(const mcuk_conv_params* p) {
  if (p->filter_h == 1 && p->filter_w == 1) return 6 * p->in_c + 4;
  return 2 * p->filter_h * p->filter_w * p->in_c;
}

void mcuk_conv2d(const mcuk_conv_params* p, const mcuk_cview* in,
                 const mcuk_view* out, const mcuk_region* r,
                 int8_t* scratch) {
  /* Pointwise filters the emitter could not pair (odd out_c, in_c not a
   * multiple of 4, out-of-range values: rare) take the general kernel, so
   * that firmware links one pointwise kernel (mcuk_conv2d_1x1 stays
   * available to direct callers). */
  if (p->filter_layout == MCUK_FILTER_1X1_PAIRED) {
    mcuk_conv2d_1x1_paired(p, in, out, r, scratch);
  } else {
    mcuk_conv2d_generic(p, in, out, r, scratch);
  }
}
