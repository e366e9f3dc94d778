/* Shared by the kernel sources (never included by generated code): debug
 * checks, view addressing and the two requantization modes.
 *
 * Requantization must equal graph/kernels/quantization.h bit for bit:
 * - single mode: float multiply, clamp to [act_min - zp, act_max - zp], then
 *   round half to even with the magic-number trick: adding and subtracting
 *   1.5 * 2^23 leaves no fraction bits when |v| < 2^22, which the clamp
 *   guarantees (|v| <= 255). Needs IEEE single precision without FMA
 *   contraction or excess precision (FLT_EVAL_METHOD 0).
 * - double mode: gemmlowp's saturating rounding doubling high multiply, then
 *   a rounding divide by a power of two (ties away from zero).
 * Assumes two's complement and arithmetic right shifts of negative values
 * (gcc and clang on every target mcutune builds for).
 */
#ifndef MCUTUNE_CODEGEN_KERNELS_INTERNAL_KERNEL_COMMON_H_
#define MCUTUNE_CODEGEN_KERNELS_INTERNAL_KERNEL_COMMON_H_

#include <stdint.h>
#include <string.h>

#include "codegen/kernels/mcu_kernels.h"

#ifdef MCUK_ENABLE_ASSERT
#define MCUK_ASSERT(cond) \
  ((cond) ? (void)0 : mcuk_assert_failed(__FILE__, __LINE__, #cond))
#else
#define MCUK_ASSERT(cond) ((void)0)
#endif

#if defined(__GNUC__)
#define MCUK_INLINE static inline __attribute__((always_inline))
#else
#define MCUK_INLINE static inline
#endif

#define MCUK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MCUK_MAX(a, b) ((a) > (b) ? (a) : (b))

/* The requantization mode of a call: pinned at compile time when
 * MCUK_REQUANT_MODE is defined (the other path becomes dead code). */
#ifdef MCUK_REQUANT_MODE
#define MCUK_MODE_OF(mode_field) (MCUK_REQUANT_MODE)
#else
#define MCUK_MODE_OF(mode_field) (mode_field)
#endif

/* Address of full-tensor element (y, x, channel 0) inside a view. */
MCUK_INLINE const int8_t* mcuk_cview_at(const mcuk_cview* v, int32_t y,
                                        int32_t x, int32_t channels) {
  return v->data + (int32_t)(y - v->y0) * v->row_stride +
         (int32_t)(x - v->x0) * channels;
}
MCUK_INLINE int8_t* mcuk_view_at(const mcuk_view* v, int32_t y, int32_t x,
                                 int32_t channels) {
  return v->data + (int32_t)(y - v->y0) * v->row_stride +
         (int32_t)(x - v->x0) * channels;
}

/* Debug check: the input rows [y_lo, y_hi] and columns [x_lo, x_hi] that a
 * call reads, clipped to the image, lie inside the window (empty ranges
 * pass). */
MCUK_INLINE void mcuk_check_window(const mcuk_cview* v, int32_t y_lo,
                                   int32_t y_hi, int32_t x_lo, int32_t x_hi,
                                   int32_t in_h, int32_t in_w) {
  y_lo = MCUK_MAX(y_lo, 0);
  x_lo = MCUK_MAX(x_lo, 0);
  y_hi = MCUK_MIN(y_hi, in_h - 1);
  x_hi = MCUK_MIN(x_hi, in_w - 1);
  if (y_lo > y_hi || x_lo > x_hi) return;
  MCUK_ASSERT(y_lo >= v->y0 && y_hi < v->y0 + v->h);
  MCUK_ASSERT(x_lo >= v->x0 && x_hi < v->x0 + v->w);
  (void)v;
}

MCUK_INLINE void mcuk_check_region(const mcuk_region* r, const mcuk_view* out,
                                   int32_t out_h, int32_t out_w) {
  MCUK_ASSERT(r->y0 >= 0 && r->y1 <= out_h && r->x0 >= 0 && r->x1 <= out_w);
  MCUK_ASSERT(r->y0 >= out->y0 && r->y1 <= out->y0 + out->h);
  MCUK_ASSERT(r->x0 >= out->x0 && r->x1 <= out->x0 + out->w);
  (void)r, (void)out, (void)out_h, (void)out_w;
}

MCUK_INLINE int32_t mcuk_clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

/* round(x * 2^-exponent), ties away from zero; 0 <= exponent <= 31. */
MCUK_INLINE int32_t mcuk_rounding_divide_by_pot(int32_t x, int32_t exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* round(a * b / 2^31), ties up, saturating INT32_MIN * INT32_MIN. */
MCUK_INLINE int32_t mcuk_srdhm(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* TFLite Micro's MultiplyByQuantizedMultiplier (double rounding). */
MCUK_INLINE int32_t mcuk_mul_double(int32_t x, int32_t multiplier,
                                    int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  int64_t shifted = (int64_t)x * ((int64_t)1 << left);
  if (shifted > INT32_MAX) shifted = INT32_MAX;
  if (shifted < INT32_MIN) shifted = INT32_MIN;
  return mcuk_rounding_divide_by_pot(mcuk_srdhm((int32_t)shifted, multiplier),
                                     right);
}

/* x * multiplier * 2^(shift - 31), one rounding, ties up. */
MCUK_INLINE int32_t mcuk_mul_single(int32_t x, int32_t multiplier,
                                    int32_t shift) {
  const int32_t total = 31 - shift;
  const int64_t round = (int64_t)1 << (total - 1);
  return (int32_t)(((int64_t)x * multiplier + round) >> total);
}

/* Nearest integer, ties to even, for |v| < 2^22. */
MCUK_INLINE float mcuk_round_half_even(float v) {
  const float magic = 12582912.0f; /* 1.5 * 2^23 */
  return (v + magic) - magic;
}

/* fp32 requantization with clamp (single mode of conv / fc / mean). */
MCUK_INLINE int32_t mcuk_requant_float(int32_t acc, float scale, int32_t zp,
                                       int32_t lo, int32_t hi) {
  float v = (float)acc * scale;
  const float flo = (float)(lo - zp), fhi = (float)(hi - zp);
  v = v < flo ? flo : (v > fhi ? fhi : v);
  return (int32_t)mcuk_round_half_even(v) + zp;
}

/* Requantizes one accumulator of channel c. */
MCUK_INLINE int8_t mcuk_requant_one(const mcuk_requant* rq, int32_t acc,
                                    int32_t c) {
  if (MCUK_MODE_OF(rq->mode) == MCUK_REQUANT_SINGLE) {
    return (int8_t)mcuk_requant_float(acc, rq->scale[c], rq->output_zero_point,
                                      rq->act_min, rq->act_max);
  }
  const int32_t v =
      mcuk_mul_double(acc, rq->multiplier[c], rq->shift[c]) +
      rq->output_zero_point;
  return (int8_t)mcuk_clamp(v, rq->act_min, rq->act_max);
}

#endif /* MCUTUNE_CODEGEN_KERNELS_INTERNAL_KERNEL_COMMON_H_ */
