/* CONV_2D 1x1 with the channel-paired filter layout (MCUK_FILTER_1X1_PAIRED
 * in mcu_kernels.h), which the emitter gives pointwise convolutions whose
 * in_c is a multiple of 4 and out_c even (kernel_params.cc).
 *
 * One int16 weight carries two output channels: V[k] = w0[k] + 256 w1[k]
 * (w0 / w1: channels c0 = 2j / c1 = 2j + 1). For an input pixel x,
 *   A = bias[c1] + sum_k x[k] V[k]      = b0 + 256 b1 + D0 + 256 D1
 *   B = bias[c0] + sum_k x[k] lo8(V[k]) = b0 + D0      (lo8(V[k]) = w0[k])
 * so channel c0's accumulator is B and channel c1's is (A - B) / 256, exact
 * modulo 2^32 while |b1 + D1| < 2^23 (kernel_params checks the bound). One
 * SMLAD on a raw weight word thus does four MACs (two channels x two input
 * channels); SXTB16 of the word gives the lanes for B.
 *
 * DSP path. Output pixels go in blocks of three (then pairs; a single
 * pixel only for a one-pixel region) in raster order over the region. A
 * block's input pixels are first sign-extended into the scratch, per group
 * of four input channels [E0 E1 E2][O0 O1 O2] with E = SXTB16(x) = (x0, x2)
 * and O = SXTB16(x ROR 8) = (x1, x3), which the weight order (k = 4g, 4g+2
 * | 4g+1, 4g+3) matches. Then, per chunk of channel pairs, the dot products
 * (17 instructions per group of three pixels: 24 MACs) into a small
 * accumulator buffer, then their requantization (pointwise_asm.h has the
 * instruction counts). Hosts, other compilers and unoptimized builds run the
 * same arithmetic in C (acle_emulation.h for the host tests).
 *
 * Portable path: the same A / B arithmetic in C, two pixels at a time,
 * straight from the input (no scratch).
 *
 * Border pixels (a padded 1x1 convolution: a PAD fused into it) read the
 * input zero point on both paths.
 */
#include "codegen/kernels/internal/pointwise.h"

/* ---- Requantization: acc = {D0, B0, D1, B1, ..} of n pixels per channel
 * pair, from channel c on; o[i]: pixel i's output row. ------------------- */

MCUK_INLINE void mcuk_1x1p_requant(const mcuk_1x1p_rq* q, const int32_t* ap,
                                   const int32_t* aend, int n, int32_t c,
                                   int8_t* const* o) {
#if MCUK_1X1P_FPU
  if (q->full && n >= 2) {
    mcuk_1x1p_requant_full(q, ap, aend, n, c, o);
    return;
  }
  if (q->single && n >= 2) {
    if (n == 3) {
      mcuk_1x1p_requant3(q, ap, aend, c, o);
    } else {
      mcuk_1x1p_requant2(q, ap, aend, c, o);
    }
    return;
  }
#endif
#if MCUK_1X1P_ASM
  mcuk_1x1p_requant_any(q, ap, aend, n, c, o);
#else
  for (; ap != aend; ap += 2 * n, c += 2) {
    int i;
    for (i = 0; i < n; ++i) {
      o[i][c] = mcuk_1x1p_one(q, ap[2 * i + 1], c);
      o[i][c + 1] = mcuk_1x1p_one(q, mcuk_1x1p_high(ap[2 * i]), c + 1);
    }
  }
#endif
}

#if MCUK_DSP
/* ---- DSP path ------------------------------------------------------------ */

#define MCUK_1X1P_BLOCK 3
/* Channel pairs per pass of dot products then requantization. */
#define MCUK_1X1P_CHUNK 32

/* Sign-extends `groups` groups of four input channels of n pixels into s
 * ([E0 .. En-1][O0 .. On-1] per group). a[i] advances by st[i]: 4, or 0 for
 * a border pixel (a[i] then points at the zero-point word). */
MCUK_INLINE void mcuk_1x1p_widen(const int8_t* const* a, const int32_t* st,
                                 int n, int32_t groups, int32_t* s) {
  const int8_t* a0 = a[0];
  const int8_t* a1 = a[n > 1 ? 1 : 0];
  const int8_t* a2 = a[n > 2 ? 2 : 0];
  int32_t* const end = s + 2 * n * groups;
#if MCUK_1X1P_ASM
  if (n == 3 && (st[0] & st[1] & st[2]) == 4) { /* no border pixel */
    mcuk_1x1p_widen3(a0, a1, a2, s, end);
    return;
  }
#endif
  for (; s != end; s += 2 * n) {
    const int32_t x0 = mcuk_load4(a0);
    a0 += st[0];
    s[0] = mcuk_even(x0);
    s[n] = mcuk_odd(x0);
    if (n > 1) {
      const int32_t x1 = mcuk_load4(a1);
      a1 += st[1];
      s[1] = mcuk_even(x1);
      s[n + 1] = mcuk_odd(x1);
    }
    if (n > 2) {
      const int32_t x2 = mcuk_load4(a2);
      a2 += st[2];
      s[2] = mcuk_even(x2);
      s[5] = mcuk_odd(x2);
    }
  }
}

/* The accumulators of the channel pairs from st->ba[0] (their biases) until
 * the filter reaches st->w_end, to st->ba[1] + 2n on; advances *wp and
 * st->ba[0]. */
MCUK_INLINE void mcuk_1x1p_dots(mcuk_1x1p_state* st, int n, int32_t groups,
                                const int8_t** wp) {
  const int8_t* w = *wp;
  const int32_t* bias = (const int32_t*)st->ba[0];
  int32_t* acc = (int32_t*)st->ba[1] + 2 * n;
#if MCUK_1X1P_ASM
  if (n == 3) {
    *wp = mcuk_1x1p_dots3(st, groups, w);
    return;
  }
  for (; w != st->w_end; bias += 2, acc += 2 * n) {
    w = n == 2 ? mcuk_1x1p_dot2(st->s, groups, w, bias, acc)
               : mcuk_1x1p_dot1(st->s, groups, w, bias, acc);
  }
#else
  for (; w != st->w_end; bias += 2, acc += 2 * n) {
    const int32_t* s;
    int i;
    for (i = 0; i < n; ++i) acc[2 * i] = bias[1], acc[2 * i + 1] = bias[0];
    for (s = st->s; s != st->end; s += 2 * n, w += 8) {
      const int32_t we = mcuk_load4(w), wo = mcuk_load4(w + 4);
      const int32_t le = mcuk_even(we), lo = mcuk_even(wo);
      for (i = 0; i < n; ++i) {
        acc[2 * i] = __smlad(s[i], we, acc[2 * i]);
        acc[2 * i + 1] = __smlad(s[i], le, acc[2 * i + 1]);
        acc[2 * i] = __smlad(s[n + i], wo, acc[2 * i]);
        acc[2 * i + 1] = __smlad(s[n + i], lo, acc[2 * i + 1]);
      }
    }
    for (i = 0; i < n; ++i) acc[2 * i] = mcuk_1x1p_d(acc[2 * i], acc[2 * i + 1]);
  }
  (void)groups;
#endif
  st->ba[0] = (void*)(uintptr_t)bias;
  *wp = w;
}

/* Every output channel of n = 1..3 pixels. */
MCUK_INLINE void mcuk_1x1p_pixels(const mcuk_conv_params* p,
                                  const mcuk_1x1p_rq* q, int n,
                                  const int8_t* const* a, const int32_t* st,
                                  int8_t* const* o, int32_t* s) {
  const int32_t groups = p->in_c >> 2, cout = p->out_c;
  const int8_t* w = p->filter;
  int32_t acc[6 * (MCUK_1X1P_CHUNK + 1)]; /* a dummy slot, then the chunk */
  mcuk_1x1p_state state;
  int32_t c = 0;
  state.s = s;
  state.end = s + 2 * n * groups;
  state.ba[0] = (void*)(uintptr_t)p->bias;
  mcuk_1x1p_widen(a, st, n, groups, s);
  while (c < cout) {
    const int32_t pairs = MCUK_MIN(MCUK_1X1P_CHUNK, (cout - c) >> 1);
    state.ba[1] = acc;
    state.w_end = w + 8 * groups * pairs;
    mcuk_1x1p_dots(&state, n, groups, &w);
    mcuk_1x1p_requant(q, acc + 2 * n, acc + 2 * n * (pairs + 1), n, c, o);
    c += 2 * pairs;
  }
}

#else
/* ---- Portable path ------------------------------------------------------- */

#define MCUK_1X1P_BLOCK 2

/* V[k] of the halfword at w (a little-endian int16). */
MCUK_INLINE int32_t mcuk_1x1p_v(const int8_t* w) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  int16_t v;
  memcpy(&v, w, 2); /* one LDRSH */
  return v;
#else
  return (int32_t)(uint8_t)w[0] + (int32_t)w[1] * 256;
#endif
}

/* Halfword t of a group is its input channel 2 (t & 1) + (t >> 1); A in
 * uint32 (it wraps by design). */
#define MCUK_1X1P_TAP(t, k)                                       \
  do {                                                            \
    const int32_t v_ = mcuk_1x1p_v(w + 2 * (t)), l_ = w[2 * (t)]; \
    const int32_t x0_ = a0[k], x1_ = a1[k];                       \
    ua0 += (uint32_t)(x0_ * v_), ub0 += x0_ * l_;                 \
    ua1 += (uint32_t)(x1_ * v_), ub1 += x1_ * l_;                 \
  } while (0)

/* Every output channel of n = 1..2 pixels (a single pixel runs twice). */
MCUK_INLINE void mcuk_1x1p_pixels(const mcuk_conv_params* p,
                                  const mcuk_1x1p_rq* q, int n,
                                  const int8_t* const* a, const int32_t* st,
                                  int8_t* const* o, int32_t* s) {
  const int32_t groups = p->in_c >> 2, cout = p->out_c;
  const int8_t* w = p->filter;
  const int32_t* bias = p->bias;
  const int32_t st0 = st[0], st1 = st[n - 1];
  int32_t c, g;
  (void)s;
  for (c = 0; c < cout; c += 2) {
    const int8_t* a0 = a[0];
    const int8_t* a1 = a[n - 1];
    uint32_t ua0 = (uint32_t)bias[c + 1], ua1 = ua0;
    int32_t ub0 = bias[c], ub1 = ub0, acc[4];
    for (g = 0; g < groups; ++g, w += 8, a0 += st0, a1 += st1) {
      MCUK_1X1P_TAP(0, 0);
      MCUK_1X1P_TAP(1, 2);
      MCUK_1X1P_TAP(2, 1);
      MCUK_1X1P_TAP(3, 3);
    }
    acc[0] = mcuk_1x1p_d((int32_t)ua0, ub0), acc[1] = ub0;
    acc[2] = mcuk_1x1p_d((int32_t)ua1, ub1), acc[3] = ub1;
    mcuk_1x1p_requant(q, acc, acc + 2 * n, n, c, o);
  }
}
#endif

void mcuk_conv2d_1x1_paired(const mcuk_conv_params* p, const mcuk_cview* in,
                            const mcuk_view* out, const mcuk_region* r,
                            int8_t* scratch) {
  const mcuk_requant* rq = &p->requant;
  const int32_t cout = p->out_c;
  const int32_t a_step = p->stride_w * p->in_c;
  /* Interior convolutions (no padding: every pixel inside the image) step
   * their input pointer; a padded one places every pixel. */
  const int border = p->pad_top != 0 || p->pad_left != 0;
  int32_t* s = (int32_t*)(void*)(((uintptr_t)scratch + 3u) & ~(uintptr_t)3u);
  mcuk_1x1p_rq q;
  int8_t zpw[4];
  int32_t oy = r->y0, ox = r->x0, left;
  const int8_t* next_a = zpw;
  int8_t* next_o = out->data;
  MCUK_ASSERT(p->filter_h == 1 && p->filter_w == 1);
  MCUK_ASSERT(p->in_c % 4 == 0 && p->out_c % 2 == 0);
  MCUK_ASSERT(((uintptr_t)p->filter & 3u) == 0);
  mcuk_check_region(r, out, p->out_h, p->out_w);
  if (r->y0 >= r->y1 || r->x0 >= r->x1) return;
  mcuk_check_window(in, r->y0 * p->stride_h - p->pad_top,
                    (r->y1 - 1) * p->stride_h - p->pad_top,
                    r->x0 * p->stride_w - p->pad_left,
                    (r->x1 - 1) * p->stride_w - p->pad_left, p->in_h, p->in_w);
  memset(zpw, (int8_t)p->input_zero_point, sizeof(zpw));
  q.single = MCUK_MODE_OF(rq->mode) == MCUK_REQUANT_SINGLE;
  q.zp = rq->output_zero_point;
  q.lo = rq->act_min;
  q.hi = rq->act_max;
  q.flo = (float)(rq->act_min - rq->output_zero_point);
  q.fhi = (float)(rq->act_max - rq->output_zero_point);
  q.lo4 = 0x01010101u * ((uint32_t)rq->act_min & 0xffu);
  q.hi4 = 0x01010101u * ((uint32_t)rq->act_max & 0xffu);
  q.full = q.single && rq->act_min == -128 && rq->act_max == 127;
  q.scale = rq->scale;
  q.multiplier = rq->multiplier;
  q.shift = rq->shift;
  for (left = (r->y1 - r->y0) * (r->x1 - r->x0); left > 0;) {
    /* Blocks of MCUK_1X1P_BLOCK, the rest in pairs (4 = 2 + 2, not 3 + 1):
     * a single pixel only when the region has one. */
    const int n = left == 4 || left < MCUK_1X1P_BLOCK ? (int)MCUK_MIN(left, 2)
                                                      : MCUK_1X1P_BLOCK;
    const int8_t* a[MCUK_1X1P_BLOCK];
    int32_t st[MCUK_1X1P_BLOCK];
    int8_t* o[MCUK_1X1P_BLOCK];
    int i;
    if (!border && n == MCUK_1X1P_BLOCK && r->x1 - ox >= MCUK_1X1P_BLOCK) {
      /* A whole block in one row of an unpadded convolution: consecutive
       * input and output pixels. */
      if (ox == r->x0) {
        next_o = mcuk_view_at(out, oy, ox, cout);
        next_a =
            mcuk_cview_at(in, oy * p->stride_h, ox * p->stride_w, p->in_c);
      }
      st[0] = st[1] = 4; /* unrolled: a loop costs ~20 instructions here */
      a[0] = next_a, a[1] = next_a + a_step;
      o[0] = next_o, o[1] = next_o + cout;
#if MCUK_1X1P_BLOCK == 3
      st[2] = 4;
      a[2] = next_a + 2 * a_step;
      o[2] = next_o + 2 * cout;
#endif
      ox += MCUK_1X1P_BLOCK;
      if (ox == r->x1) {
        ox = r->x0, ++oy;
      } else {
        next_o += MCUK_1X1P_BLOCK * cout;
        next_a += MCUK_1X1P_BLOCK * a_step;
      }
    } else {
      for (i = 0; i < n; ++i) {
        st[i] = 4;
        if (ox == r->x0) { /* a new row */
          next_o = mcuk_view_at(out, oy, ox, cout);
          if (!border) {
            next_a =
                mcuk_cview_at(in, oy * p->stride_h, ox * p->stride_w, p->in_c);
          }
        }
        if (border) {
          const int32_t iy = oy * p->stride_h - p->pad_top;
          const int32_t ix = ox * p->stride_w - p->pad_left;
          if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
            next_a = zpw, st[i] = 0;
          } else {
            next_a = mcuk_cview_at(in, iy, ix, p->in_c);
          }
        }
        a[i] = next_a;
        o[i] = next_o;
        if (++ox == r->x1) {
          ox = r->x0, ++oy;
        } else {
          next_o += cout;
          if (!border) next_a += a_step;
        }
      }
    }
    if (n == MCUK_1X1P_BLOCK) {
      mcuk_1x1p_pixels(p, &q, MCUK_1X1P_BLOCK, a, st, o, s);
    } else if (n == 2) {
      mcuk_1x1p_pixels(p, &q, 2, a, st, o, s);
    } else {
      mcuk_1x1p_pixels(p, &q, 1, a, st, o, s);
    }
    left -= n;
  }
}
