/* CONV_2D with a 1x1 filter (pointwise), the bulk of MobileNet-style MACs.
 *
 * - A 1x1 window never needs padding (TFLite's SAME padding is 0 for it), so
 *   every output pixel's receptive field is one input pixel, read in place:
 *   no im2col, no scratch.
 * - Output pixels go in pairs along the row; each pair runs the shared
 *   two-column channel loop (internal/conv_block.h), which on the DSP path
 *   widens each loaded word once for four products.
 * - Any stride works (a strided pointwise convolution reads every
 *   stride-th pixel).
 */
#include "codegen/kernels/internal/conv_block.h"

void mcuk_conv2d_1x1(const mcuk_conv_params* p, const mcuk_cview* in,
                     const mcuk_view* out, const mcuk_region* r) {
  const int32_t cin = p->in_c, cout = p->out_c;
  int32_t oy, ox;
  MCUK_ASSERT(p->filter_h == 1 && p->filter_w == 1);
  MCUK_ASSERT(p->pad_top == 0 && p->pad_left == 0);
  mcuk_check_region(r, out, p->out_h, p->out_w);
  if (r->y0 >= r->y1 || r->x0 >= r->x1) return;
  mcuk_check_window(in, r->y0 * p->stride_h, (r->y1 - 1) * p->stride_h,
                    r->x0 * p->stride_w, (r->x1 - 1) * p->stride_w, p->in_h,
                    p->in_w);
  for (oy = r->y0; oy < r->y1; ++oy) {
    const int32_t iy = oy * p->stride_h;
    for (ox = r->x0; ox < r->x1; ox += 2) {
      const int two = ox + 1 < r->x1;
      const int8_t* a0 = mcuk_cview_at(in, iy, ox * p->stride_w, cin);
      const int8_t* a1 = two ? a0 + p->stride_w * cin : a0;
      int8_t* o0 = mcuk_view_at(out, oy, ox, cout);
      mcuk_conv_two_pixels(p, a0, a1, cin, two, o0, o0 + cout);
    }
  }
}
