/* Shared by the channel-paired pointwise kernel (conv_1x1_paired.c, which
 * explains the arithmetic): its requantization parameters, the state of a
 * block's dot products, the C forms of the per-output arithmetic, and, for
 * GCC on Arm with the DSP extension (optimized builds), its inline-assembly
 * loops (pointwise_asm.h). Never included by generated code. */
#ifndef MCUTUNE_CODEGEN_KERNELS_INTERNAL_POINTWISE_H_
#define MCUTUNE_CODEGEN_KERNELS_INTERNAL_POINTWISE_H_

#include "codegen/kernels/internal/dot.h"

/* The assembly loops: GCC (its operand syntax), an Arm target with the DSP
 * extension (not the host tests' emulation), optimized (an unoptimized
 * build keeps a frame pointer and spills). MCUK_1X1P_FPU: and a
 * single-precision FPU for the requantization sequence. */
#if MCUK_DSP && defined(__GNUC__) && defined(__arm__) && \
    defined(__OPTIMIZE__) && !defined(MCUK_EMULATE_ACLE)
#define MCUK_1X1P_ASM 1
#else
#define MCUK_1X1P_ASM 0
#endif
#if MCUK_1X1P_ASM && defined(__ARM_FP) && (__ARM_FP & 4)
#define MCUK_1X1P_FPU 1
#else
#define MCUK_1X1P_FPU 0
#endif

/* Requantization parameters of one call, in locals' form. */
typedef struct {
  int32_t single;     /* MCUK_REQUANT_SINGLE */
  int32_t full;       /* single, activation range [-128, 127] */
  int32_t zp, lo, hi; /* output zero point, activation range */
  float flo, fhi;     /* single mode: range minus the zero point */
  uint32_t lo4, hi4;  /* act_min / act_max in every byte */
  const float* scale;
  const int32_t* multiplier;
  const int32_t* shift;
} mcuk_1x1p_rq;

/* The dot products of one block of n pixels (DSP path), as memory operands
 * of the assembly loops. Accumulators go to `acc` as {D0, B0, .., Dn-1,
 * Bn-1} per channel pair. */
typedef struct {
  const int32_t* s;   /* the widened inputs: [E0..En-1][O0..On-1] per group */
  const int32_t* end; /* s + 2 n groups */
  /* ba[0]: the next biases (const int32_t*); ba[1]: where the previous
   * channel pair's accumulators go (int32_t*: one slot, a dummy, before
   * the chunk's first pair on entry). */
  void* ba[2];
  const int8_t* w_end; /* the chunk's end in the filter */
} mcuk_1x1p_state;

/* The accumulator buffers hold {D, B} per pixel and channel pair, D = A - B
 * (mod 2^32) = 256 x channel c1's accumulator (the dot loops subtract
 * before storing). Channel c1's accumulator from D: */
MCUK_INLINE int32_t mcuk_1x1p_high(int32_t d) { return d >> 8; }

/* D from A and B. */
MCUK_INLINE int32_t mcuk_1x1p_d(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* One output of channel c (mcuk_requant_one's arithmetic). */
MCUK_INLINE int8_t mcuk_1x1p_one(const mcuk_1x1p_rq* q, int32_t acc,
                                 int32_t c) {
  if (q->single) {
    float v = (float)acc * q->scale[c];
    v = v < q->flo ? q->flo : (v > q->fhi ? q->fhi : v);
    return (int8_t)((int32_t)mcuk_round_half_even(v) + q->zp);
  }
  return (int8_t)mcuk_clamp(
      mcuk_mul_double(acc, q->multiplier[c], q->shift[c]) + q->zp, q->lo,
      q->hi);
}

#if MCUK_1X1P_ASM
#include "codegen/kernels/internal/pointwise_asm.h"
#endif

#endif /* MCUTUNE_CODEGEN_KERNELS_INTERNAL_POINTWISE_H_ */
