/* ADD of two equally shaped int8 tensors, over a region, in the two forms
 * the reference interpreter uses (graph/kernels/add.cc):
 *
 *   MCUK_ADD_XNNPACK  (single-rounding runtime) ~20-bit multipliers sharing
 *                     one shift, zero points folded into x_bias:
 *                     ((x_bias + a x_mult_a + b x_mult_b) >> x_shift) + zp_out
 *   MCUK_ADD_TFLITE   (TFLite / TFLite Micro, and the single-rounding
 *                     runtime's fallback for ratios XNNPACK refuses):
 *                     (a - zp_a) << 20 and (b - zp_b) << 20 scaled by their
 *                     multipliers, summed, scaled to the output, every
 *                     multiply double-rounded.
 *
 * The fused activation clamps last. The parameter builder picks the form for
 * the requantization mode, so this kernel has no mode of its own. Rows of
 * the region are contiguous runs of (x1 - x0) * c elements.
 */
#include "codegen/kernels/internal/kernel_common.h"

static void add_run_xnnpack(const mcuk_add_params* p, const int8_t* a,
                            const int8_t* b, int8_t* o, int32_t n) {
  const int32_t ma = p->x_mult_a, mb = p->x_mult_b, bias = p->x_bias;
  const int32_t shift = p->x_shift, zp = p->zp_out;
  const int32_t lo = p->act_min, hi = p->act_max;
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t v = ((bias + a[i] * ma + b[i] * mb) >> shift) + zp;
    o[i] = (int8_t)mcuk_clamp(v, lo, hi);
  }
}

static void add_run_tflite(const mcuk_add_params* p, const int8_t* a,
                           const int8_t* b, int8_t* o, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t sa = mcuk_mul_double((a[i] - p->zp_a) * (1 << 20),
                                       p->mult_a, p->shift_a);
    const int32_t sb = mcuk_mul_double((b[i] - p->zp_b) * (1 << 20),
                                       p->mult_b, p->shift_b);
    const int32_t v =
        mcuk_mul_double(sa + sb, p->mult_out, p->shift_out) + p->zp_out;
    o[i] = (int8_t)mcuk_clamp(v, p->act_min, p->act_max);
  }
}

void mcuk_add(const mcuk_add_params* p, const mcuk_cview* a,
              const mcuk_cview* b, const mcuk_view* out,
              const mcuk_region* r) {
  const int32_t c = p->c, n = (r->x1 - r->x0) * c;
  int32_t y;
  mcuk_check_region(r, out, p->h, p->w);
  if (r->y0 >= r->y1 || r->x0 >= r->x1) return;
  mcuk_check_window(a, r->y0, r->y1 - 1, r->x0, r->x1 - 1, p->h, p->w);
  mcuk_check_window(b, r->y0, r->y1 - 1, r->x0, r->x1 - 1, p->h, p->w);
  for (y = r->y0; y < r->y1; ++y) {
    const int8_t* pa = mcuk_cview_at(a, y, r->x0, c);
    const int8_t* pb = mcuk_cview_at(b, y, r->x0, c);
    int8_t* po = mcuk_view_at(out, y, r->x0, c);
    if (p->form == MCUK_ADD_XNNPACK) {
      add_run_xnnpack(p, pa, pb, po, n);
    } else {
      add_run_tflite(p, pa, pb, po, n);
    }
  }
}
