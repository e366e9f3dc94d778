/* The inner loops every kernel is built from, in two sibling variants with
 * the same functions:
 *
 *   dot_portable.h  plain C, written in fixed-size blocks that compilers
 *                   vectorize (host) or unroll (any MCU);
 *   dot_dsp.h       Cortex-M DSP extension (ACLE SIMD32: SXTB16 widens two
 *                   int8 lanes to int16, SMLAD multiplies and accumulates two
 *                   int16 pairs in one instruction).
 *
 * Selected at compile time: the DSP variant when the target has
 * __ARM_FEATURE_DSP and __ARM_FEATURE_SIMD32 and MCUK_PORTABLE is not
 * defined (or MCUK_EMULATE_ACLE, the host tests' build of the DSP path with
 * internal/acle_emulation.h). Integer sums are exact in both (int32 wrap-around aside, which no
 * int8 model reaches), so the paths are bit-exact.
 *
 *   mcuk_dot_2x2(a0, a1, w0, w1, n, out)  out = {a0.w0, a1.w0, a0.w1, a1.w1}
 *   mcuk_dot_2x2_adj(a0, w0, s, n, out)   mcuk_dot_2x2 with a1 = a0 + s,
 *                                         w1 = w0 + s
 *   mcuk_dot_1x2(x, w0, w1, n, out)       out = {x.w0, x.w1}
 *   mcuk_dot_1x1(x, w, n)                 x.w
 *   mcuk_mac4(acc, x, w)                  acc[j] += x[j] * w[j], j < 4
 *   mcuk_mac4_zp(acc, zp, w)              acc[j] += zp * w[j],  j < 4
 */
#ifndef MCUTUNE_CODEGEN_KERNELS_INTERNAL_DOT_H_
#define MCUTUNE_CODEGEN_KERNELS_INTERNAL_DOT_H_

#if ((defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)) || \
     defined(MCUK_EMULATE_ACLE)) &&                                     \
    !defined(MCUK_PORTABLE)
#define MCUK_DSP 1
#include "codegen/kernels/internal/dot_dsp.h"
#else
#define MCUK_DSP 0
#include "codegen/kernels/internal/dot_portable.h"
#endif

MCUK_INLINE void mcuk_mac4_zp(int32_t acc[4], int32_t zp, const int8_t* w) {
  acc[0] += zp * w[0];
  acc[1] += zp * w[1];
  acc[2] += zp * w[2];
  acc[3] += zp * w[3];
}

#endif /* MCUTUNE_CODEGEN_KERNELS_INTERNAL_DOT_H_ */
