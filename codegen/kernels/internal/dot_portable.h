/* Portable inner loops (see dot.h). Blocks of 16 let host compilers emit
 * SIMD code; on an MCU they unroll into loads and multiply-accumulates. */
#ifndef MCUTUNE_CODEGEN_KERNELS_INTERNAL_DOT_PORTABLE_H_
#define MCUTUNE_CODEGEN_KERNELS_INTERNAL_DOT_PORTABLE_H_

#include "codegen/kernels/internal/kernel_common.h"

#define MCUK_DOT_BLOCK 16

MCUK_INLINE void mcuk_dot_2x2(const int8_t* a0, const int8_t* a1,
                              const int8_t* w0, const int8_t* w1, int32_t n,
                              int32_t out[4]) {
  int32_t s00 = 0, s10 = 0, s01 = 0, s11 = 0;
  int32_t i = 0;
  for (; i + MCUK_DOT_BLOCK <= n; i += MCUK_DOT_BLOCK) {
    int32_t b00 = 0, b10 = 0, b01 = 0, b11 = 0;
    int32_t k;
    for (k = 0; k < MCUK_DOT_BLOCK; ++k) {
      const int32_t x0 = a0[i + k], x1 = a1[i + k];
      const int32_t y0 = w0[i + k], y1 = w1[i + k];
      b00 += x0 * y0;
      b10 += x1 * y0;
      b01 += x0 * y1;
      b11 += x1 * y1;
    }
    s00 += b00, s10 += b10, s01 += b01, s11 += b11;
  }
  for (; i < n; ++i) {
    const int32_t x0 = a0[i], x1 = a1[i], y0 = w0[i], y1 = w1[i];
    s00 += x0 * y0, s10 += x1 * y0, s01 += x0 * y1, s11 += x1 * y1;
  }
  out[0] = s00, out[1] = s10, out[2] = s01, out[3] = s11;
}

/* mcuk_dot_2x2 with a1 = a0 + s, w1 = w0 + s. */
MCUK_INLINE void mcuk_dot_2x2_adj(const int8_t* a0, const int8_t* w0,
                                  int32_t s, int32_t n, int32_t out[4]) {
  mcuk_dot_2x2(a0, a0 + s, w0, w0 + s, n, out);
}

MCUK_INLINE void mcuk_dot_1x2(const int8_t* x, const int8_t* w0,
                              const int8_t* w1, int32_t n, int32_t out[2]) {
  int32_t s0 = 0, s1 = 0;
  int32_t i = 0;
  for (; i + MCUK_DOT_BLOCK <= n; i += MCUK_DOT_BLOCK) {
    int32_t b0 = 0, b1 = 0;
    int32_t k;
    for (k = 0; k < MCUK_DOT_BLOCK; ++k) {
      const int32_t v = x[i + k];
      b0 += v * w0[i + k];
      b1 += v * w1[i + k];
    }
    s0 += b0, s1 += b1;
  }
  for (; i < n; ++i) s0 += x[i] * w0[i], s1 += x[i] * w1[i];
  out[0] = s0, out[1] = s1;
}

MCUK_INLINE int32_t mcuk_dot_1x1(const int8_t* x, const int8_t* w,
                                 int32_t n) {
  int32_t s = 0;
  int32_t i = 0;
  for (; i + MCUK_DOT_BLOCK <= n; i += MCUK_DOT_BLOCK) {
    int32_t b = 0;
    int32_t k;
    for (k = 0; k < MCUK_DOT_BLOCK; ++k) b += x[i + k] * w[i + k];
    s += b;
  }
  for (; i < n; ++i) s += x[i] * w[i];
  return s;
}

MCUK_INLINE void mcuk_mac4(int32_t acc[4], const int8_t* x, const int8_t* w) {
  acc[0] += x[0] * w[0];
  acc[1] += x[1] * w[1];
  acc[2] += x[2] * w[2];
  acc[3] += x[3] * w[3];
}

#endif /* MCUTUNE_CODEGEN_KERNELS_INTERNAL_DOT_PORTABLE_H_ */
