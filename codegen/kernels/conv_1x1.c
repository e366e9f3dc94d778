/* CONV_2D with a 1x1 filter (pointwise), the bulk of MobileNet-style MACs.
 *
 * - A 1x1 window never needs padding (TFLite's SAME padding is 0 for it), so
 *   every output pixel's receptive field is one input pixel, read in place:
 *   no im2col, no scratch.
 * - Output pixels go in pairs in raster order over the whole region (a pair
 *   may span two rows), so odd region widths waste nothing; only a last odd
 *   pixel of the region runs alone, with one-column dot products. Each pair
 *   runs two filter rows at a time through mcuk_dot_2x2, which on the DSP
 *   path widens each loaded word once for four products; when the second
 *   pixel's input directly follows the first one's (stride 1, same row: the
 *   common case), mcuk_dot_2x2_adj addresses both pixels and both filter
 *   rows through one offset, which leaves the DSP loop free of spills.
 * - The requantization parameters are copied into locals once per call, with
 *   the single-mode clamp bounds converted to float once, and the mode is
 *   tested once per call rather than per output (same arithmetic as
 *   mcuk_requant_one, so bit-exact with it).
 * - Any stride works (a strided pointwise convolution reads every
 *   stride-th pixel).
 */
#include "codegen/kernels/internal/dot.h"

typedef struct {
  float flo, fhi;  /* single mode: clamp bounds minus the zero point */
  int32_t zp, lo, hi;
  const float* scale;
  const int32_t* multiplier;
  const int32_t* shift;
} mcuk_1x1_rq;

MCUK_INLINE int8_t mcuk_1x1_requant(const mcuk_1x1_rq* q, int single,
                                    int32_t acc, int32_t c) {
  if (single) {
    float v = (float)acc * q->scale[c];
    v = v < q->flo ? q->flo : (v > q->fhi ? q->fhi : v);
    return (int8_t)((int32_t)mcuk_round_half_even(v) + q->zp);
  }
  return (int8_t)mcuk_clamp(
      mcuk_mul_double(acc, q->multiplier[c], q->shift[c]) + q->zp, q->lo,
      q->hi);
}

/* Every output channel of two pixels (inputs a0 / a1, outputs o0 / o1);
 * adj (a constant after inlining): a1 == a0 + in_c. */
MCUK_INLINE void mcuk_1x1_pair(const mcuk_conv_params* p, const mcuk_1x1_rq* q,
                               int single, int adj, const int8_t* a0,
                               const int8_t* a1, int8_t* o0, int8_t* o1) {
  const int32_t cin = p->in_c, cout = p->out_c;
  const int8_t* w = p->filter;
  const int32_t* bias = p->bias;
  int32_t co = 0;
  for (; co + 2 <= cout; co += 2, w += 2 * cin) {
    int32_t d[4];
    const int32_t b0 = bias[co], b1 = bias[co + 1];
    if (adj) {
      mcuk_dot_2x2_adj(a0, w, cin, cin, d);
    } else {
      mcuk_dot_2x2(a0, a1, w, w + cin, cin, d);
    }
    o0[co] = mcuk_1x1_requant(q, single, b0 + d[0], co);
    o1[co] = mcuk_1x1_requant(q, single, b0 + d[1], co);
    o0[co + 1] = mcuk_1x1_requant(q, single, b1 + d[2], co + 1);
    o1[co + 1] = mcuk_1x1_requant(q, single, b1 + d[3], co + 1);
  }
  if (co < cout) {
    int32_t d[2];
    mcuk_dot_1x2(w, a0, a1, cin, d);
    o0[co] = mcuk_1x1_requant(q, single, bias[co] + d[0], co);
    o1[co] = mcuk_1x1_requant(q, single, bias[co] + d[1], co);
  }
}

/* Every output channel of one pixel. */
MCUK_INLINE void mcuk_1x1_single(const mcuk_conv_params* p,
                                 const mcuk_1x1_rq* q, int single,
                                 const int8_t* a, int8_t* o) {
  const int32_t cin = p->in_c, cout = p->out_c;
  const int8_t* w = p->filter;
  const int32_t* bias = p->bias;
  int32_t co = 0;
  for (; co + 2 <= cout; co += 2, w += 2 * cin) {
    int32_t d[2];
    mcuk_dot_1x2(a, w, w + cin, cin, d);
    o[co] = mcuk_1x1_requant(q, single, bias[co] + d[0], co);
    o[co + 1] = mcuk_1x1_requant(q, single, bias[co + 1] + d[1], co + 1);
  }
  if (co < cout) {
    o[co] = mcuk_1x1_requant(q, single, bias[co] + mcuk_dot_1x1(a, w, cin), co);
  }
}

MCUK_INLINE void mcuk_1x1_region(const mcuk_conv_params* p,
                                 const mcuk_1x1_rq* q, int single,
                                 const mcuk_cview* in, const mcuk_view* out,
                                 const mcuk_region* r) {
  const int32_t cin = p->in_c, cout = p->out_c;
  int32_t oy = r->y0, ox = r->x0;
  int32_t left = (r->y1 - r->y0) * (r->x1 - r->x0);
  for (; left >= 2; left -= 2) {
    const int8_t* a0 = mcuk_cview_at(in, oy * p->stride_h, ox * p->stride_w, cin);
    int8_t* o0 = mcuk_view_at(out, oy, ox, cout);
    const int8_t* a1;
    int8_t* o1;
    if (++ox == r->x1) ox = r->x0, ++oy;
    a1 = mcuk_cview_at(in, oy * p->stride_h, ox * p->stride_w, cin);
    o1 = mcuk_view_at(out, oy, ox, cout);
    if (++ox == r->x1) ox = r->x0, ++oy;
    /* Below ~32 channels the adjacent loop's longer set-up outweighs it. */
    if (a1 == a0 + cin && cin >= 32) {
      mcuk_1x1_pair(p, q, single, 1, a0, a1, o0, o1);
    } else {
      mcuk_1x1_pair(p, q, single, 0, a0, a1, o0, o1);
    }
  }
  if (left) {
    mcuk_1x1_single(p, q, single,
                    mcuk_cview_at(in, oy * p->stride_h, ox * p->stride_w, cin),
                    mcuk_view_at(out, oy, ox, cout));
  }
}

void mcuk_conv2d_1x1(const mcuk_conv_params* p, const mcuk_cview* in,
                     const mcuk_view* out, const mcuk_region* r) {
  const mcuk_requant* rq = &p->requant;
  mcuk_1x1_rq q;
  MCUK_ASSERT(p->filter_h == 1 && p->filter_w == 1);
  MCUK_ASSERT(p->filter_layout == MCUK_FILTER_OHWI);
  MCUK_ASSERT(p->pad_top == 0 && p->pad_left == 0);
  mcuk_check_region(r, out, p->out_h, p->out_w);
  if (r->y0 >= r->y1 || r->x0 >= r->x1) return;
  mcuk_check_window(in, r->y0 * p->stride_h, (r->y1 - 1) * p->stride_h,
                    r->x0 * p->stride_w, (r->x1 - 1) * p->stride_w, p->in_h,
                    p->in_w);
  q.zp = rq->output_zero_point;
  q.lo = rq->act_min;
  q.hi = rq->act_max;
  q.flo = (float)(rq->act_min - rq->output_zero_point);
  q.fhi = (float)(rq->act_max - rq->output_zero_point);
  q.scale = rq->scale;
  q.multiplier = rq->multiplier;
  q.shift = rq->shift;
  if (MCUK_MODE_OF(rq->mode) == MCUK_REQUANT_SINGLE) {
    mcuk_1x1_region(p, &q, 1, in, out, r);
  } else {
    mcuk_1x1_region(p, &q, 0, in, out, r);
  }
}
