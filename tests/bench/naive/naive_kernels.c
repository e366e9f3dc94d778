/* Naive reference build of the compute kernels, for codegen_bench only:
 * textbook loops (output pixel, channel, tap) with a bounds test per tap and
 * no specialisation, replacing conv.c, conv_1x1.c, depthwise_conv.c and
 * fully_connected.c of the kernel library. Same parameters, same
 * requantization (mcuk_requant_one), so the output is bit-exact and only the
 * instruction count differs: the baseline the DSP and portable paths are
 * measured against. */
#include "codegen/kernels/internal/kernel_common.h"

int32_t mcuk_conv2d_scratch_bytes(const mcuk_conv_params* p) {
  (void)p;
  return 0;
}

/* Filter value (oc, tap, ic) and channel bias in either CONV_2D layout
 * (mcu_kernels.h: OHWI or channel-paired 1x1). */
static int32_t Weight(const mcuk_conv_params* p, int32_t oc, int32_t tap,
                      int32_t ic) {
  const uint8_t* b;
  int32_t t, v, lo;
  if (p->filter_layout != MCUK_FILTER_1X1_PAIRED) {
    return p->filter[(oc * p->filter_h * p->filter_w + tap) * p->in_c + ic];
  }
  t = 2 * (ic & 1) + ((ic & 3) >> 1);
  b = (const uint8_t*)p->filter + 2 * (oc / 2) * p->in_c + 8 * (ic / 4) + 2 * t;
  v = (int16_t)(uint16_t)(b[0] | (b[1] << 8));
  lo = (int8_t)b[0];
  return oc % 2 == 0 ? lo : (v - lo) / 256;
}
static int32_t Bias(const mcuk_conv_params* p, int32_t oc) {
  if (p->filter_layout != MCUK_FILTER_1X1_PAIRED || oc % 2 == 0) {
    return p->bias[oc];
  }
  return (int32_t)((uint32_t)p->bias[oc] - (uint32_t)p->bias[oc - 1]) / 256;
}

static int8_t In(const mcuk_conv_params* p, const mcuk_cview* in, int32_t y,
                 int32_t x, int32_t c) {
  if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) {
    return (int8_t)p->input_zero_point;
  }
  return mcuk_cview_at(in, y, x, p->in_c)[c];
}

void mcuk_conv2d_generic(const mcuk_conv_params* p, const mcuk_cview* in,
                         const mcuk_view* out, const mcuk_region* r,
                         int8_t* scratch) {
  int32_t oy, ox, oc, ky, kx, ic;
  (void)scratch;
  for (oy = r->y0; oy < r->y1; ++oy) {
    for (ox = r->x0; ox < r->x1; ++ox) {
      int8_t* o = mcuk_view_at(out, oy, ox, p->out_c);
      for (oc = 0; oc < p->out_c; ++oc) {
        int32_t acc = Bias(p, oc);
        for (ky = 0; ky < p->filter_h; ++ky) {
          for (kx = 0; kx < p->filter_w; ++kx) {
            const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
            const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
            for (ic = 0; ic < p->in_c; ++ic) {
              const int32_t w = Weight(p, oc, ky * p->filter_w + kx, ic);
              /* zero points are folded into the bias: subtract zp back for
               * padded taps as the library does by reading zp_in */
              acc += (int32_t)In(p, in, iy, ix, ic) * w;
            }
          }
        }
        o[oc] = mcuk_requant_one(&p->requant, acc, oc);
      }
    }
  }
}

void mcuk_conv2d_1x1(const mcuk_conv_params* p, const mcuk_cview* in,
                     const mcuk_view* out, const mcuk_region* r) {
  mcuk_conv2d_generic(p, in, out, r, 0);
}

void mcuk_conv2d(const mcuk_conv_params* p, const mcuk_cview* in,
                 const mcuk_view* out, const mcuk_region* r, int8_t* scratch) {
  mcuk_conv2d_generic(p, in, out, r, scratch);
}

void mcuk_depthwise_conv2d(const mcuk_conv_params* p, const mcuk_cview* in,
                           const mcuk_view* out, const mcuk_region* r) {
  int32_t oy, ox, oc, ky, kx;
  for (oy = r->y0; oy < r->y1; ++oy) {
    for (ox = r->x0; ox < r->x1; ++ox) {
      int8_t* o = mcuk_view_at(out, oy, ox, p->out_c);
      for (oc = 0; oc < p->out_c; ++oc) {
        const int32_t ic = oc / p->depth_multiplier;
        int32_t acc = p->bias[oc];
        for (ky = 0; ky < p->filter_h; ++ky) {
          for (kx = 0; kx < p->filter_w; ++kx) {
            const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
            const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
            acc += (int32_t)In(p, in, iy, ix, ic) *
                   p->filter[(ky * p->filter_w + kx) * p->out_c + oc];
          }
        }
        o[oc] = mcuk_requant_one(&p->requant, acc, oc);
      }
    }
  }
}

void mcuk_fully_connected(const mcuk_fc_params* p, const int8_t* in,
                          int8_t* out) {
  int32_t b, u, i;
  for (b = 0; b < p->batches; ++b) {
    for (u = 0; u < p->units; ++u) {
      int32_t acc = p->bias[u];
      for (i = 0; i < p->depth; ++i) {
        acc += (int32_t)in[b * p->depth + i] *
               (p->weights[u * p->depth + i] - p->weight_zero_point);
      }
      out[b * p->units + u] = mcuk_requant_one(&p->requant, acc, u);
    }
  }
}
