/* Host emulation of the ACLE SIMD32 intrinsics the DSP path uses, so that
 * its loop structure, lane order and tails are tested bit for bit on the
 * host (tests build the kernels a second time with -DMCUK_EMULATE_ACLE).
 * Semantics follow the Armv7-M Architecture Reference Manual: int16x2_t is a
 * 32-bit word holding two int16 lanes (bottom = bits 0-15); accumulations
 * wrap modulo 2^32 (the Q flag is not modelled). Never used on a target. */
#ifndef MCUTUNE_CODEGEN_KERNELS_INTERNAL_ACLE_EMULATION_H_
#define MCUTUNE_CODEGEN_KERNELS_INTERNAL_ACLE_EMULATION_H_

#include <stdint.h>

typedef int32_t int16x2_t;

static inline int32_t mcuk_emu_lo(int16x2_t v) {
  return (int16_t)(uint16_t)((uint32_t)v & 0xffffu);
}
static inline int32_t mcuk_emu_hi(int16x2_t v) {
  return (int16_t)(uint16_t)((uint32_t)v >> 16);
}
static inline int32_t mcuk_emu_wrap(int64_t v) {
  return (int32_t)(uint32_t)(uint64_t)v;
}

/* Bytes 0 and 2 sign-extended into the two int16 lanes. */
static inline int16x2_t __sxtb16(int32_t x) {
  const uint32_t u = (uint32_t)x;
  const uint32_t lo = (uint16_t)(int16_t)(int8_t)(u & 0xffu);
  const uint32_t hi = (uint16_t)(int16_t)(int8_t)((u >> 16) & 0xffu);
  return (int32_t)(lo | (hi << 16));
}
static inline int32_t __smlad(int16x2_t a, int16x2_t b, int32_t acc) {
  return mcuk_emu_wrap((int64_t)acc + mcuk_emu_lo(a) * mcuk_emu_lo(b) +
                       mcuk_emu_hi(a) * mcuk_emu_hi(b));
}
static inline int32_t __smlabb(int32_t a, int32_t b, int32_t acc) {
  return mcuk_emu_wrap((int64_t)acc + mcuk_emu_lo(a) * mcuk_emu_lo(b));
}
static inline int32_t __smlatt(int32_t a, int32_t b, int32_t acc) {
  return mcuk_emu_wrap((int64_t)acc + mcuk_emu_hi(a) * mcuk_emu_hi(b));
}

#endif /* MCUTUNE_CODEGEN_KERNELS_INTERNAL_ACLE_EMULATION_H_ */
