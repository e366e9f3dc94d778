/* DEPTHWISE_CONV_2D over a region, any filter / stride / dilation /
 * multiplier, with a 3x3 specialisation.
 *
 * - Output channel oc reads input channel oc / multiplier; the filter is
 *   [kh][kw][out_c], so for multiplier 1 the channel loop is contiguous in
 *   input, filter and output alike and runs four channels per step
 *   (mcuk_mac4: SXTB16 + SMLABB/SMLATT on the DSP path), accumulators in
 *   registers.
 * - Taps outside the image contribute zp_in * w (the bias already holds
 *   -zp_in * sum(w)), so border pixels need no padded copy.
 * - Pixels whose window lies inside the image skip the border checks;
 * - 3x3, multiplier 1: pixels whose window lies inside the image take a
 *   fully unrolled nine-tap loop; border pixels take the general one.
 */
#include "codegen/kernels/internal/dot.h"

/* One output pixel, multiplier 1, any filter; taps outside the image read
 * as zp_in. */
static void dw_pixel_m1(const mcuk_conv_params* p, const mcuk_cview* in,
                        int32_t oy, int32_t ox, int8_t* o) {
  const int32_t c_all = p->out_c, kh = p->filter_h, kw = p->filter_w;
  const int32_t iy0 = oy * p->stride_h - p->pad_top;
  const int32_t ix0 = ox * p->stride_w - p->pad_left;
  const int32_t zp = p->input_zero_point;
  const mcuk_requant* rq = &p->requant;
  int32_t c = 0, ky, kx;
  const int interior =
      iy0 >= 0 && iy0 + (kh - 1) * p->dilation_h < p->in_h && ix0 >= 0 &&
      ix0 + (kw - 1) * p->dilation_w < p->in_w;
  for (; c + 4 <= c_all; c += 4) {
    int32_t acc[4];
    const int8_t* w = p->filter + c;
    acc[0] = p->bias[c], acc[1] = p->bias[c + 1];
    acc[2] = p->bias[c + 2], acc[3] = p->bias[c + 3];
    if (interior) { /* no border checks */
      const int32_t dx = p->dilation_w * c_all;
      for (ky = 0; ky < kh; ++ky) {
        const int8_t* x =
            mcuk_cview_at(in, iy0 + ky * p->dilation_h, ix0, c_all) + c;
        for (kx = 0; kx < kw; ++kx, w += c_all, x += dx) mcuk_mac4(acc, x, w);
      }
      ky = kh; /* skip the checked loop below */
    } else {
      ky = 0;
    }
    for (; ky < kh; ++ky) {
      const int32_t iy = iy0 + ky * p->dilation_h;
      const int row_in = iy >= 0 && iy < p->in_h;
      for (kx = 0; kx < kw; ++kx, w += c_all) {
        const int32_t ix = ix0 + kx * p->dilation_w;
        if (row_in && ix >= 0 && ix < p->in_w) {
          mcuk_mac4(acc, mcuk_cview_at(in, iy, ix, c_all) + c, w);
        } else {
          mcuk_mac4_zp(acc, zp, w);
        }
      }
    }
    o[c] = mcuk_requant_one(rq, acc[0], c);
    o[c + 1] = mcuk_requant_one(rq, acc[1], c + 1);
    o[c + 2] = mcuk_requant_one(rq, acc[2], c + 2);
    o[c + 3] = mcuk_requant_one(rq, acc[3], c + 3);
  }
  for (; c < c_all; ++c) {
    int32_t acc = p->bias[c];
    const int8_t* w = p->filter + c;
    for (ky = 0; ky < kh; ++ky) {
      const int32_t iy = iy0 + ky * p->dilation_h;
      const int row_in = iy >= 0 && iy < p->in_h;
      for (kx = 0; kx < kw; ++kx, w += c_all) {
        const int32_t ix = ix0 + kx * p->dilation_w;
        const int32_t x = row_in && ix >= 0 && ix < p->in_w
                              ? mcuk_cview_at(in, iy, ix, c_all)[c]
                              : zp;
        acc += x * *w;
      }
    }
    o[c] = mcuk_requant_one(rq, acc, c);
  }
}

/* One output pixel, any multiplier (scalar). */
static void dw_pixel_any(const mcuk_conv_params* p, const mcuk_cview* in,
                         int32_t oy, int32_t ox, int8_t* o) {
  const int32_t c_all = p->out_c, m = p->depth_multiplier;
  const int32_t iy0 = oy * p->stride_h - p->pad_top;
  const int32_t ix0 = ox * p->stride_w - p->pad_left;
  int32_t oc, ky, kx;
  for (oc = 0; oc < c_all; ++oc) {
    const int32_t ic = oc / m;
    int32_t acc = p->bias[oc];
    const int8_t* w = p->filter + oc;
    for (ky = 0; ky < p->filter_h; ++ky) {
      const int32_t iy = iy0 + ky * p->dilation_h;
      const int row_in = iy >= 0 && iy < p->in_h;
      for (kx = 0; kx < p->filter_w; ++kx, w += c_all) {
        const int32_t ix = ix0 + kx * p->dilation_w;
        const int32_t x = row_in && ix >= 0 && ix < p->in_w
                              ? mcuk_cview_at(in, iy, ix, p->in_c)[ic]
                              : p->input_zero_point;
        acc += x * *w;
      }
    }
    o[oc] = mcuk_requant_one(&p->requant, acc, oc);
  }
}

/* 3x3, multiplier 1, window inside the image: nine taps unrolled. */
static void dw_pixel_3x3_interior(const mcuk_conv_params* p,
                                  const mcuk_cview* in, int32_t oy,
                                  int32_t ox, int8_t* o) {
  const int32_t c_all = p->out_c;
  const int32_t iy0 = oy * p->stride_h - p->pad_top;
  const int32_t ix0 = ox * p->stride_w - p->pad_left;
  const int32_t dx = p->dilation_w * c_all;
  const int8_t* r0 = mcuk_cview_at(in, iy0, ix0, c_all);
  const int8_t* r1 = r0 + p->dilation_h * in->row_stride;
  const int8_t* r2 = r1 + p->dilation_h * in->row_stride;
  const mcuk_requant* rq = &p->requant;
  int32_t c = 0;
  for (; c + 4 <= c_all; c += 4) {
    const int8_t* w = p->filter + c;
    int32_t acc[4];
    acc[0] = p->bias[c], acc[1] = p->bias[c + 1];
    acc[2] = p->bias[c + 2], acc[3] = p->bias[c + 3];
    mcuk_mac4(acc, r0 + c, w);
    mcuk_mac4(acc, r0 + dx + c, w + c_all);
    mcuk_mac4(acc, r0 + 2 * dx + c, w + 2 * c_all);
    mcuk_mac4(acc, r1 + c, w + 3 * c_all);
    mcuk_mac4(acc, r1 + dx + c, w + 4 * c_all);
    mcuk_mac4(acc, r1 + 2 * dx + c, w + 5 * c_all);
    mcuk_mac4(acc, r2 + c, w + 6 * c_all);
    mcuk_mac4(acc, r2 + dx + c, w + 7 * c_all);
    mcuk_mac4(acc, r2 + 2 * dx + c, w + 8 * c_all);
    o[c] = mcuk_requant_one(rq, acc[0], c);
    o[c + 1] = mcuk_requant_one(rq, acc[1], c + 1);
    o[c + 2] = mcuk_requant_one(rq, acc[2], c + 2);
    o[c + 3] = mcuk_requant_one(rq, acc[3], c + 3);
  }
  for (; c < c_all; ++c) {
    const int8_t* w = p->filter + c;
    int32_t acc = p->bias[c];
    acc += r0[c] * w[0] + r0[dx + c] * w[c_all] + r0[2 * dx + c] * w[2 * c_all];
    acc += r1[c] * w[3 * c_all] + r1[dx + c] * w[4 * c_all] +
           r1[2 * dx + c] * w[5 * c_all];
    acc += r2[c] * w[6 * c_all] + r2[dx + c] * w[7 * c_all] +
           r2[2 * dx + c] * w[8 * c_all];
    o[c] = mcuk_requant_one(rq, acc, c);
  }
}

void mcuk_depthwise_conv2d(const mcuk_conv_params* p, const mcuk_cview* in,
                           const mcuk_view* out, const mcuk_region* r) {
  const int32_t kh = p->filter_h, kw = p->filter_w;
  const int32_t span_h = (kh - 1) * p->dilation_h;
  const int32_t span_w = (kw - 1) * p->dilation_w;
  const int m1 = p->depth_multiplier == 1;
  const int is3x3 = m1 && kh == 3 && kw == 3;
  int32_t oy, ox;
  mcuk_check_region(r, out, p->out_h, p->out_w);
  if (r->y0 >= r->y1 || r->x0 >= r->x1) return;
  mcuk_check_window(in, r->y0 * p->stride_h - p->pad_top,
                    (r->y1 - 1) * p->stride_h - p->pad_top + span_h,
                    r->x0 * p->stride_w - p->pad_left,
                    (r->x1 - 1) * p->stride_w - p->pad_left + span_w, p->in_h,
                    p->in_w);
  for (oy = r->y0; oy < r->y1; ++oy) {
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int rows_inside = iy0 >= 0 && iy0 + span_h < p->in_h;
    int8_t* o = mcuk_view_at(out, oy, r->x0, p->out_c);
    for (ox = r->x0; ox < r->x1; ++ox, o += p->out_c) {
      const int32_t ix0 = ox * p->stride_w - p->pad_left;
      if (is3x3 && rows_inside && ix0 >= 0 && ix0 + span_w < p->in_w) {
        dw_pixel_3x3_interior(p, in, oy, ox, o);
      } else if (m1) {
        dw_pixel_m1(p, in, oy, ox, o);
      } else {
        dw_pixel_any(p, in, oy, ox, o);
      }
    }
  }
}
