/* Cortex-M DSP-extension inner loops (see dot.h), ACLE SIMD32 intrinsics.
 *
 * Four int8 values loaded as one word w = [b0 b1 b2 b3] widen with
 *   __sxtb16(w)             -> int16 pair (b0, b2)
 *   __sxtb16(w ror 8)       -> int16 pair (b1, b3)   (one SXTB16 ROR #8)
 * and SMLAD adds both products of two such pairs to an accumulator, so a
 * dot product over 4 elements costs 2 SMLAD per operand pair once both
 * operands are widened the same way. Blocking 2 inputs x 2 weight rows
 * shares every widened word between two products: 4 word loads, 8 SXTB16
 * and 8 SMLAD per 16 multiply-accumulates.
 * Unaligned word loads go through memcpy, which armv7e-m/armv8-m compile to
 * one LDR (unaligned access is architectural there).
 */
#ifndef MCUTUNE_CODEGEN_KERNELS_INTERNAL_DOT_DSP_H_
#define MCUTUNE_CODEGEN_KERNELS_INTERNAL_DOT_DSP_H_

#ifdef MCUK_EMULATE_ACLE
#include "codegen/kernels/internal/acle_emulation.h"
#else
#include <arm_acle.h>
#endif

#include "codegen/kernels/internal/kernel_common.h"

MCUK_INLINE int32_t mcuk_load4(const int8_t* p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

MCUK_INLINE int16x2_t mcuk_even(int32_t w) { return __sxtb16(w); }
MCUK_INLINE int16x2_t mcuk_odd(int32_t w) {
#ifdef MCUK_EMULATE_ACLE
  const uint32_t u = (uint32_t)w;
  return __sxtb16((int32_t)((u >> 8) | (u << 24)));
#else
  /* GCC 12 neither offers ACLE's __ror nor folds a rotate into SXTB16. */
  int16x2_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
  return r;
#endif
}

MCUK_INLINE void mcuk_dot_2x2(const int8_t* a0, const int8_t* a1,
                              const int8_t* w0, const int8_t* w1, int32_t n,
                              int32_t out[4]) {
  int32_t s00 = 0, s10 = 0, s01 = 0, s11 = 0;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int32_t x0 = mcuk_load4(a0 + i), x1 = mcuk_load4(a1 + i);
    const int32_t y0 = mcuk_load4(w0 + i), y1 = mcuk_load4(w1 + i);
    const int16x2_t x0e = mcuk_even(x0), x0o = mcuk_odd(x0);
    const int16x2_t x1e = mcuk_even(x1), x1o = mcuk_odd(x1);
    const int16x2_t y0e = mcuk_even(y0), y0o = mcuk_odd(y0);
    const int16x2_t y1e = mcuk_even(y1), y1o = mcuk_odd(y1);
    s00 = __smlad(x0e, y0e, s00);
    s00 = __smlad(x0o, y0o, s00);
    s10 = __smlad(x1e, y0e, s10);
    s10 = __smlad(x1o, y0o, s10);
    s01 = __smlad(x0e, y1e, s01);
    s01 = __smlad(x0o, y1o, s01);
    s11 = __smlad(x1e, y1e, s11);
    s11 = __smlad(x1o, y1o, s11);
  }
  for (; i < n; ++i) {
    const int32_t x0 = a0[i], x1 = a1[i], y0 = w0[i], y1 = w1[i];
    s00 += x0 * y0, s10 += x1 * y0, s01 += x0 * y1, s11 += x1 * y1;
  }
  out[0] = s00, out[1] = s10, out[2] = s01, out[3] = s11;
}

/* Two columns of one 2x2 step (four elements): x0 / x1 against y0 / y1,
 * each widened word used twice; ordered so that at most six widened values
 * are live at once (the adjacent 2x2 loop below keeps its pointers and its
 * four sums in registers next to them). */
#define MCUK_DSP_STEP_2X2(x0, x1, y0, y1, s00, s10, s01, s11) \
  do {                                                        \
    const int16x2_t x0e_ = mcuk_even(x0), x0o_ = mcuk_odd(x0); \
    const int16x2_t y0e_ = mcuk_even(y0), y0o_ = mcuk_odd(y0); \
    s00 = __smlad(x0e_, y0e_, s00);                            \
    s00 = __smlad(x0o_, y0o_, s00);                            \
    const int16x2_t y1e_ = mcuk_even(y1), y1o_ = mcuk_odd(y1); \
    s01 = __smlad(x0e_, y1e_, s01);                            \
    s01 = __smlad(x0o_, y1o_, s01);                            \
    const int16x2_t x1e_ = mcuk_even(x1), x1o_ = mcuk_odd(x1); \
    s10 = __smlad(x1e_, y0e_, s10);                            \
    s10 = __smlad(x1o_, y0o_, s10);                            \
    s11 = __smlad(x1e_, y1e_, s11);                            \
    s11 = __smlad(x1o_, y1o_, s11);                            \
  } while (0)

/* mcuk_dot_2x2 when both second operands sit s bytes after the first ones
 * (a1 = a0 + s, w1 = w0 + s: neighbouring pixels of a 1x1 convolution
 * against neighbouring filter rows, s = the channel count). One offset
 * register serves both, so two pointers, the offset, the end and the four
 * sums stay in registers; eight elements per iteration. */
MCUK_INLINE void mcuk_dot_2x2_adj(const int8_t* a0, const int8_t* w0,
                                  int32_t s, int32_t n, int32_t out[4]) {
  int32_t s00 = 0, s10 = 0, s01 = 0, s11 = 0;
  const int8_t* const end8 = a0 + (n & ~7);
  const int8_t* const end = a0 + n;
  while (a0 != end8) {
    int32_t x1 = mcuk_load4(a0 + s), y1 = mcuk_load4(w0 + s);
    int32_t x0 = mcuk_load4(a0), y0 = mcuk_load4(w0);
    a0 += 4, w0 += 4;
    MCUK_DSP_STEP_2X2(x0, x1, y0, y1, s00, s10, s01, s11);
    x1 = mcuk_load4(a0 + s), y1 = mcuk_load4(w0 + s);
    x0 = mcuk_load4(a0), y0 = mcuk_load4(w0);
    a0 += 4, w0 += 4;
    MCUK_DSP_STEP_2X2(x0, x1, y0, y1, s00, s10, s01, s11);
  }
  if (end - a0 >= 4) {
    const int32_t x1 = mcuk_load4(a0 + s), y1 = mcuk_load4(w0 + s);
    const int32_t x0 = mcuk_load4(a0), y0 = mcuk_load4(w0);
    a0 += 4, w0 += 4;
    MCUK_DSP_STEP_2X2(x0, x1, y0, y1, s00, s10, s01, s11);
  }
  for (; a0 != end; ++a0, ++w0) {
    const int32_t x0 = a0[0], x1 = a0[s], y0 = w0[0], y1 = w0[s];
    s00 += x0 * y0, s10 += x1 * y0, s01 += x0 * y1, s11 += x1 * y1;
  }
  out[0] = s00, out[1] = s10, out[2] = s01, out[3] = s11;
}

MCUK_INLINE void mcuk_dot_1x2(const int8_t* x, const int8_t* w0,
                              const int8_t* w1, int32_t n, int32_t out[2]) {
  int32_t s0 = 0, s1 = 0;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int32_t v = mcuk_load4(x + i);
    const int32_t y0 = mcuk_load4(w0 + i), y1 = mcuk_load4(w1 + i);
    const int16x2_t ve = mcuk_even(v), vo = mcuk_odd(v);
    s0 = __smlad(ve, mcuk_even(y0), s0);
    s0 = __smlad(vo, mcuk_odd(y0), s0);
    s1 = __smlad(ve, mcuk_even(y1), s1);
    s1 = __smlad(vo, mcuk_odd(y1), s1);
  }
  for (; i < n; ++i) s0 += x[i] * w0[i], s1 += x[i] * w1[i];
  out[0] = s0, out[1] = s1;
}

MCUK_INLINE int32_t mcuk_dot_1x1(const int8_t* x, const int8_t* w,
                                 int32_t n) {
  int32_t s = 0;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int32_t v = mcuk_load4(x + i), y = mcuk_load4(w + i);
    s = __smlad(mcuk_even(v), mcuk_even(y), s);
    s = __smlad(mcuk_odd(v), mcuk_odd(y), s);
  }
  for (; i < n; ++i) s += x[i] * w[i];
  return s;
}

/* Four channels of one tap: SMLABB / SMLATT multiply the bottom / top int16
 * lanes, so each channel keeps its own accumulator. */
MCUK_INLINE void mcuk_mac4(int32_t acc[4], const int8_t* x, const int8_t* w) {
  const int32_t v = mcuk_load4(x), y = mcuk_load4(w);
  const int16x2_t ve = mcuk_even(v), vo = mcuk_odd(v);
  const int16x2_t ye = mcuk_even(y), yo = mcuk_odd(y);
  acc[0] = __smlabb(ve, ye, acc[0]);
  acc[2] = __smlatt(ve, ye, acc[2]);
  acc[1] = __smlabb(vo, yo, acc[1]);
  acc[3] = __smlatt(vo, yo, acc[3]);
}

#endif /* MCUTUNE_CODEGEN_KERNELS_INTERNAL_DOT_DSP_H_ */
