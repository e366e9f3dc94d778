/* The channel-paired pointwise kernel's inline-assembly loops (included by
 * pointwise.h when MCUK_1X1P_ASM). conv_1x1_paired.c has the same
 * arithmetic in C for every other build; the host tests check that, the
 * QEMU tests (tests/codegen/pointwise_qemu_test.cc) these.
 *
 * - Dot products of three pixels (mcuk_1x1p_dots3): per group of four input
 *   channels, 2 LDM + 1 LDRD + 2 SXTB16 + 12 SMLAD = 17 instructions for 24
 *   MACs. The loop needs 14 registers: accumulators r0-r5 (so one STM
 *   stores them), input words r8-r10, the pointers, the inputs' end and
 *   two weight words; its other counters live in memory
 *   (mcuk_1x1p_state). It runs over a chunk of channel pairs, storing each
 *   pair's accumulators (D = A - B, three SUBs) while loading the next
 *   pair's biases: 11 instructions per channel pair besides the groups.
 *   Single groups (in_c / 4 not a multiple of four, above four) run first,
 *   unrolled, then the loop of four (or eight) groups.
 * - Two and one pixels (mcuk_1x1p_dot2 / _dot1): one channel pair per call,
 *   12 and 8 instructions per group.
 * - Widening three pixels (mcuk_1x1p_widen3): 12 instructions per group.
 * - Requantization (single mode, FPU), per pixel and channel pair: VCVT (D
 *   as a Q8 fixed-point value: exactly (float)(D / 256), the same rounding
 *   as (float)(int)), VMUL, VCVTR (half to even under the default FPSCR).
 *   Clamped activation ranges (mcuk_1x1p_requant3 / 2): QADD of the zero
 *   point, SSAT 8, then SSUB8 / SEL clamp four bytes to the range (rounding
 *   then clamping to integer bounds equals clamping then rounding): 58 /
 *   39 instructions per channel pair for three / two pixels. The full
 *   range (mcuk_1x1p_requant_full): the accumulators go straight into the
 *   FPU by one VLDM; USAT 8 then EOR 0x80 per byte for zero point -128,
 *   QADD + SSAT 8 otherwise: 40 / 43 (three pixels), 28 / 30 (two).
 */
#ifndef MCUTUNE_CODEGEN_KERNELS_INTERNAL_POINTWISE_ASM_H_
#define MCUTUNE_CODEGEN_KERNELS_INTERNAL_POINTWISE_ASM_H_

/* ---- Requantization ------------------------------------------------------ */

/* Rounded, unclamped results of one pixel -> two int8 (low halfword). */
MCUK_INLINE uint32_t mcuk_1x1p_bytes(int32_t zp, int32_t r0, int32_t r1) {
  uint32_t w = (uint32_t)__ssat(__qadd(r0, zp), 8);
  __asm__("bfi %0, %1, #8, #24" : "+r"(w) : "r"(__ssat(__qadd(r1, zp), 8)));
  return w;
}

/* Bytes clamped to [lo, hi] (bytewise in lo4 / hi4). */
MCUK_INLINE uint32_t mcuk_1x1p_clamp(uint32_t w, uint32_t lo4, uint32_t hi4) {
  uint32_t t;
  __asm__("ssub8 %[t], %[w], %[lo]\n\t"
          "sel %[w], %[w], %[lo]\n\t"
          "ssub8 %[t], %[w], %[hi]\n\t"
          "sel %[w], %[hi], %[w]"
          : [w] "+r"(w), [t] "=&r"(t)
          : [lo] "r"(lo4), [hi] "r"(hi4));
  (void)t;
  return w;
}

MCUK_INLINE void mcuk_store2(int8_t* o, uint32_t v) {
  const uint16_t h = (uint16_t)v;
  memcpy(o, &h, 2);
}

/* One pixel's (A, B) of channels (c, c + 1) -> its two rounded results in
 * the low halfword, unclamped. fpu: single mode by the FPU sequence (s0,
 * s1: the scales); else mcuk_1x1p_one / the double-rounding arithmetic. */
MCUK_INLINE uint32_t mcuk_1x1p_round2(const mcuk_1x1p_rq* q, int fpu,
                                      int32_t d, int32_t b, int32_t c,
                                      float s0, float s1) {
#if MCUK_1X1P_FPU
  if (fpu) {
    int32_t r0, r1;
    __asm__("vmov s0, s1, %[b], %[d]\n\t"
            "vcvt.f32.s32 s0, s0\n\t"
            "vcvt.f32.s32 s1, s1, #8\n\t"
            "vmul.f32 s0, s0, %[s0]\n\t"
            "vmul.f32 s1, s1, %[s1]\n\t"
            "vcvtr.s32.f32 s0, s0\n\t"
            "vcvtr.s32.f32 s1, s1\n\t"
            "vmov %[r0], %[r1], s0, s1"
            : [r0] "=r"(r0), [r1] "=r"(r1)
            : [b] "r"(b), [d] "r"(d), [s0] "t"(s0), [s1] "t"(s1)
            : "s0", "s1");
    return mcuk_1x1p_bytes(q->zp, r0, r1);
  }
#else
  (void)fpu, (void)s0, (void)s1;
#endif
  if (q->single) {
    return (uint32_t)(uint8_t)mcuk_1x1p_one(q, b, c) |
           ((uint32_t)(uint8_t)mcuk_1x1p_one(q, mcuk_1x1p_high(d), c + 1)
            << 8);
  }
  return mcuk_1x1p_bytes(
      q->zp, mcuk_mul_double(b, q->multiplier[c], q->shift[c]),
      mcuk_mul_double(mcuk_1x1p_high(d), q->multiplier[c + 1],
                      q->shift[c + 1]));
}

/* Any form, one pixel at a time: acc = {D0, B0, ..} of n pixels per channel
 * pair from channel c on. Out of line (one register allocation). */
__attribute__((noinline)) static void mcuk_1x1p_requant_any(
    const mcuk_1x1p_rq* q, const int32_t* ap, const int32_t* aend, int n,
    int32_t c, int8_t* const* o) {
  const int fpu = MCUK_1X1P_FPU && q->single;
  for (; ap != aend; ap += 2 * n, c += 2) {
    const float s0 = fpu ? q->scale[c] : 0.0f;
    const float s1 = fpu ? q->scale[c + 1] : 0.0f;
    int i;
    for (i = 0; i < n; ++i) {
      const uint32_t h =
          mcuk_1x1p_round2(q, fpu, ap[2 * i], ap[2 * i + 1], c, s0, s1);
      mcuk_store2(o[i] + c, mcuk_1x1p_clamp(h, q->lo4, q->hi4));
    }
  }
}

#if MCUK_1X1P_FPU
/* One pixel's (A, B) at ap -> its two rounded, saturated int8 in the low
 * halfword of T (s4 / s5: the channel pair's scales). */
#define MCUK_1X1P_RQ_PIXEL(T, U)       \
  "ldrd " T ", " U ", [%[ap]], #8\n\t" \
  "vmov s0, s1, " U ", " T "\n\t"      \
  "vcvt.f32.s32 s0, s0\n\t"            \
  "vcvt.f32.s32 s1, s1, #8\n\t"        \
  "vmul.f32 s0, s0, s4\n\t"            \
  "vmul.f32 s1, s1, s5\n\t"            \
  "vcvtr.s32.f32 s0, s0\n\t"           \
  "vcvtr.s32.f32 s1, s1\n\t"           \
  "vmov " T ", " U ", s0, s1\n\t"      \
  "qadd " T ", " T ", %[zp]\n\t"       \
  "qadd " U ", " U ", %[zp]\n\t"       \
  "ssat " T ", #8, " T "\n\t"          \
  "ssat " U ", #8, " U "\n\t"          \
  "bfi " T ", " U ", #8, #24\n\t"
#define MCUK_1X1P_RQ_CLAMP(T)      \
  "ssub8 %[u0], " T ", %[lo]\n\t"  \
  "sel " T ", " T ", %[lo]\n\t"    \
  "ssub8 %[u0], " T ", %[hi]\n\t"  \
  "sel " T ", %[hi], " T "\n\t"
/* Pixels 0 and 1: both halfwords in one word, clamped, stored. */
#define MCUK_1X1P_RQ_TWO                    \
  MCUK_1X1P_RQ_PIXEL("%[t0]", "%[u0]")      \
  MCUK_1X1P_RQ_PIXEL("%[t1]", "%[u1]")      \
  "bfi %[t0], %[t1], #16, #16\n\t"          \
  MCUK_1X1P_RQ_CLAMP("%[t0]")               \
  "strh %[t0], [%[o0]], #2\n\t"             \
  "lsr %[t0], %[t0], #16\n\t"               \
  "strh %[t0], [%[o1]], #2\n\t"

/* Single mode, three / two pixels; pairs >= 1. */
__attribute__((noinline)) static void mcuk_1x1p_requant3(
    const mcuk_1x1p_rq* q, const int32_t* ap, const int32_t* aend, int32_t c,
    int8_t* const* o) {
  const float* sc = q->scale + c;
  int8_t* o0 = o[0] + c;
  int8_t* o1 = o[1] + c;
  int8_t* o2 = o[2] + c;
  int32_t t0, u0, t1, u1;
  __asm__ volatile(
      "1:\n\t"
      "vldmia %[sc]!, {s4, s5}\n\t" MCUK_1X1P_RQ_TWO
      MCUK_1X1P_RQ_PIXEL("%[t0]", "%[u1]") MCUK_1X1P_RQ_CLAMP("%[t0]")
      "strh %[t0], [%[o2]], #2\n\t"
      "cmp %[ap], %[aend]\n\t"
      "bne 1b"
      : [ap] "+r"(ap), [sc] "+r"(sc), [o0] "+r"(o0), [o1] "+r"(o1),
        [o2] "+r"(o2), [t0] "=&r"(t0), [u0] "=&r"(u0), [t1] "=&r"(t1),
        [u1] "=&r"(u1)
      : [aend] "r"(aend), [zp] "r"(q->zp), [lo] "r"(q->lo4), [hi] "r"(q->hi4)
      : "s0", "s1", "s4", "s5", "cc", "memory");
}
__attribute__((noinline)) static void mcuk_1x1p_requant2(
    const mcuk_1x1p_rq* q, const int32_t* ap, const int32_t* aend, int32_t c,
    int8_t* const* o) {
  const float* sc = q->scale + c;
  int8_t* o0 = o[0] + c;
  int8_t* o1 = o[1] + c;
  int32_t t0, u0, t1, u1;
  __asm__ volatile(
      "1:\n\t"
      "vldmia %[sc]!, {s4, s5}\n\t" MCUK_1X1P_RQ_TWO
      "cmp %[ap], %[aend]\n\t"
      "bne 1b"
      : [ap] "+r"(ap), [sc] "+r"(sc), [o0] "+r"(o0), [o1] "+r"(o1),
        [t0] "=&r"(t0), [u0] "=&r"(u0), [t1] "=&r"(t1), [u1] "=&r"(u1)
      : [aend] "r"(aend), [zp] "r"(q->zp), [lo] "r"(q->lo4), [hi] "r"(q->hi4)
      : "s0", "s1", "s4", "s5", "cc", "memory");
}

/* Full activation range ([-128, 127]: no activation, or a ReLU / ReLU6
 * whose range covers every code): no bytewise clamp. The accumulators of a
 * channel pair come in by one LDM. A zero point of -128 (ReLU outputs)
 * saturates unsigned (USAT 8: clamp(r - 128) = USAT(r) - 128) and flips
 * the sign bits of the packed bytes (EOR 0x80 per byte); any other zero
 * point adds it (QADD) and saturates signed. Per channel pair and three
 * pixels 46 (USAT) / 49 instructions, two pixels 32 / 34. */
#define MCUK_1X1P_FR_CVT(SD, SB)     \
  "vcvt.f32.s32 " SB ", " SB "\n\t"     \
  "vcvt.f32.s32 " SD ", " SD ", #8\n\t" \
  "vmul.f32 " SB ", " SB ", s8\n\t"     \
  "vmul.f32 " SD ", " SD ", s9\n\t"     \
  "vcvtr.s32.f32 " SB ", " SB "\n\t"    \
  "vcvtr.s32.f32 " SD ", " SD "\n\t"
#define MCUK_1X1P_FR_U(A, B, O)  \
  "usat " A ", #8, " A "\n\t"      \
  "usat " B ", #8, " B "\n\t"      \
  "bfi " A ", " B ", #8, #8\n\t"   \
  "eor " A ", " A ", #0x80808080\n\t" \
  "strh " A ", [" O "], #2\n\t"
#define MCUK_1X1P_FR_S(A, B, O)      \
  "qadd " A ", " A ", %[zp]\n\t"       \
  "qadd " B ", " B ", %[zp]\n\t"       \
  "ssat " A ", #8, " A "\n\t"          \
  "ssat " B ", #8, " B "\n\t"          \
  "bfi " A ", " B ", #8, #8\n\t"       \
  "strh " A ", [" O "], #2\n\t"
/* The loop bodies: the accumulators {D0, B0, D1, B1[, D2, B2]} straight
 * into s0-s5, the results of pixel i in r(2i) (channel c1), r(2i+1). */
#define MCUK_1X1P_FR3(OUT)                                              \
  "1:\n\t"                                                              \
  "vldmia %[sc]!, {s8, s9}\n\t"                                         \
  "vldmia %[ap]!, {s0, s1, s2, s3, s4, s5}\n\t" MCUK_1X1P_FR_CVT(        \
      "s0", "s1") MCUK_1X1P_FR_CVT("s2", "s3") MCUK_1X1P_FR_CVT("s4", "s5") \
      "vmov r0, r1, s0, s1\n\t"                                           \
      "vmov r2, r3, s2, s3\n\t"                                           \
      "vmov r4, r5, s4, s5\n\t" OUT("r1", "r0", "%[o0]")                   \
          OUT("r3", "r2", "%[o1]") OUT("r5", "r4", "%[o2]")                 \
              "cmp %[ap], %[aend]\n\t"                                      \
              "bne 1b"
#define MCUK_1X1P_FR2(OUT)                                                 \
  "1:\n\t"                                                                 \
  "vldmia %[sc]!, {s8, s9}\n\t"                                            \
  "vldmia %[ap]!, {s0, s1, s2, s3}\n\t" MCUK_1X1P_FR_CVT("s0", "s1")        \
      MCUK_1X1P_FR_CVT("s2", "s3") "vmov r0, r1, s0, s1\n\t"                 \
                                   "vmov r2, r3, s2, s3\n\t" OUT(            \
                                       "r1", "r0", "%[o0]")                   \
                                       OUT("r3", "r2", "%[o1]")               \
                                           "cmp %[ap], %[aend]\n\t"           \
                                           "bne 1b"
#define MCUK_1X1P_FR_OPERANDS                                        \
  : [ap] "+r"(ap), [sc] "+r"(sc), [o0] "+r"(o0), [o1] "+r"(o1),        \
    [o2] "+r"(o2)                                                      \
  : [aend] "r"(aend), [zp] "r"(q->zp)                                  \
  : "r0", "r1", "r2", "r3", "r4", "r5", "s0", "s1", "s2", "s3", "s4", \
    "s5", "s8", "s9", "cc", "memory"

/* n = 2 or 3 pixels; pairs >= 1. */
__attribute__((noinline)) static void mcuk_1x1p_requant_full(
    const mcuk_1x1p_rq* q, const int32_t* ap, const int32_t* aend, int n,
    int32_t c, int8_t* const* o) {
  const float* sc = q->scale + c;
  int8_t* o0 = o[0] + c;
  int8_t* o1 = o[1] + c;
  int8_t* o2 = o[n - 1] + c;
  if (q->zp == -128) {
    if (n == 3) {
      __asm__ volatile(MCUK_1X1P_FR3(MCUK_1X1P_FR_U) MCUK_1X1P_FR_OPERANDS);
    } else {
      __asm__ volatile(MCUK_1X1P_FR2(MCUK_1X1P_FR_U) MCUK_1X1P_FR_OPERANDS);
    }
  } else if (n == 3) {
    __asm__ volatile(MCUK_1X1P_FR3(MCUK_1X1P_FR_S) MCUK_1X1P_FR_OPERANDS);
  } else {
    __asm__ volatile(MCUK_1X1P_FR2(MCUK_1X1P_FR_S) MCUK_1X1P_FR_OPERANDS);
  }
}
#endif

/* ---- Widening ------------------------------------------------------------ */

/* Three interior pixels' groups of four input channels -> s (E0 E1 E2 O0
 * O1 O2 per group) until end. */
MCUK_INLINE void mcuk_1x1p_widen3(const int8_t* a0, const int8_t* a1,
                                  const int8_t* a2, int32_t* s,
                                  const int32_t* end) {
  __asm__ volatile(
      "1:\n\t"
      "ldr r11, [%[a0]], #4\n\t"
      "ldr r12, [%[a1]], #4\n\t"
      "ldr lr, [%[a2]], #4\n\t"
      "sxtb16 r8, r11\n\t"
      "sxtb16 r9, r12\n\t"
      "sxtb16 r10, lr\n\t"
      "sxtb16 r11, r11, ror #8\n\t"
      "sxtb16 r12, r12, ror #8\n\t"
      "sxtb16 lr, lr, ror #8\n\t"
      "stmia %[s]!, {r8, r9, r10, r11, r12, lr}\n\t"
      "cmp %[s], %[end]\n\t"
      "bne 1b"
      : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [s] "+r"(s)
      : [end] "r"(end)
      : "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
}

/* ---- Dot products of three pixels ------------------------------------- */

/* One half group (W: its raw weight word): A += E.W for the three pixels,
 * then W = SXTB16(W) and B += E.W. FIRST: the accumulators start from the
 * biases in a0 / b0 (the other four are written, not read). */
#define MCUK_1X1P_HALF3(W, FIRST)               \
  "ldmia %[s]!, {r8, r9, r10}\n\t"              \
  FIRST("smlad %[a1], r9, " W ", %[a0]\n\t"     \
        "smlad %[a2], r10, " W ", %[a0]\n\t",   \
        "smlad %[a1], r9, " W ", %[a1]\n\t"     \
        "smlad %[a2], r10, " W ", %[a2]\n\t")   \
  "smlad %[a0], r8, " W ", %[a0]\n\t"           \
  "sxtb16 " W ", " W "\n\t"                     \
  FIRST("smlad %[b1], r9, " W ", %[b0]\n\t"     \
        "smlad %[b2], r10, " W ", %[b0]\n\t",   \
        "smlad %[b1], r9, " W ", %[b1]\n\t"     \
        "smlad %[b2], r10, " W ", %[b2]\n\t")   \
  "smlad %[b0], r8, " W ", %[b0]\n\t"
#define MCUK_1X1P_YES(a, b) a
#define MCUK_1X1P_NO(a, b) b
#define MCUK_1X1P_STEP3(FIRST)        \
  "ldrd %[we], %[wo], [%[w]], #8\n\t" \
  MCUK_1X1P_HALF3("%[we]", FIRST) MCUK_1X1P_HALF3("%[wo]", MCUK_1X1P_NO)
#define MCUK_1X1P_STEP3_N MCUK_1X1P_STEP3(MCUK_1X1P_NO)
#define MCUK_1X1P_X4 \
  MCUK_1X1P_STEP3_N MCUK_1X1P_STEP3_N MCUK_1X1P_STEP3_N MCUK_1X1P_STEP3_N
#define MCUK_1X1P_FIRST4                                             \
  MCUK_1X1P_STEP3(MCUK_1X1P_YES) MCUK_1X1P_STEP3_N MCUK_1X1P_STEP3_N \
  MCUK_1X1P_STEP3_N
#define MCUK_1X1P_AT(label, cond) \
  "cmp %[s], %[e]\n\t"            \
  "b" cond " " label "\n"

/* The groups of one channel pair, by in_c / 4 (k): EXACT1..4 unrolled (k <=
 * 4); FORM8 / FORM4 (k % 8 == 0 / k % 4 == 0) start from the biases in
 * their first iteration; FORMR1..3 (other k) below. */
#define MCUK_1X1P_EXACT1 MCUK_1X1P_STEP3(MCUK_1X1P_YES)
#define MCUK_1X1P_EXACT2 MCUK_1X1P_EXACT1 MCUK_1X1P_STEP3_N
#define MCUK_1X1P_EXACT3 MCUK_1X1P_EXACT2 MCUK_1X1P_STEP3_N
#define MCUK_1X1P_EXACT4 MCUK_1X1P_FIRST4
#define MCUK_1X1P_FORM8                                            \
  MCUK_1X1P_FIRST4 MCUK_1X1P_X4 MCUK_1X1P_AT("4f", "eq")    \
  "3:\n\t" MCUK_1X1P_X4 MCUK_1X1P_X4 MCUK_1X1P_AT("3b", "ne") "4:\n\t"
#define MCUK_1X1P_FORM4                                                 \
  MCUK_1X1P_FIRST4 MCUK_1X1P_AT("4f", "eq") "3:\n\t" MCUK_1X1P_X4 \
  MCUK_1X1P_AT("3b", "ne") "4:\n\t"
/* Other k > 4: the k % 4 single groups first (from the biases), then four
 * per iteration (at least one). */
#define MCUK_1X1P_LOOP4 \
  "3:\n\t" MCUK_1X1P_X4 MCUK_1X1P_AT("3b", "ne")
#define MCUK_1X1P_FORMR1 MCUK_1X1P_EXACT1 MCUK_1X1P_LOOP4
#define MCUK_1X1P_FORMR2 MCUK_1X1P_EXACT2 MCUK_1X1P_LOOP4
#define MCUK_1X1P_FORMR3 MCUK_1X1P_EXACT3 MCUK_1X1P_LOOP4

/* Every channel pair of the chunk: store the previous pair's accumulators
 * (the first STM goes to the dummy slot), load the biases, run the groups;
 * until w reaches w_end; then the last pair's accumulators. */
#define MCUK_1X1P_PAIRS3(FORM)                                       \
  __asm__ volatile("0:\n\t"                                          \
                   "ldrd r8, r9, %[ba]\n\t"                          \
                   "sub r0, r0, r1\n\t"                              \
                   "sub r2, r2, r3\n\t"                              \
                   "sub r4, r4, r5\n\t"                              \
                   "stmia r9!, {r0, r1, r2, r3, r4, r5}\n\t"         \
                   "ldrd %[b0], %[a0], [r8], #8\n\t"                 \
                   "strd r8, r9, %[ba]\n\t"                          \
                   "ldr %[s], %[s0]\n\t" FORM                        \
                   "ldr %[we], %[w_end]\n\t"                         \
                   "cmp %[w], %[we]\n\t"                             \
                   "bne 0b\n\t"                                      \
                   "ldr r9, %[ba_acc]\n\t"                           \
                   "sub r0, r0, r1\n\t"                              \
                   "sub r2, r2, r3\n\t"                              \
                   "sub r4, r4, r5\n\t"                              \
                   "stmia r9, {r0, r1, r2, r3, r4, r5}"              \
                   : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), \
                     [b0] "=&r"(b0), [b1] "=&r"(b1), [b2] "=&r"(b2), \
                     [s] "=&r"(s), [w] "+r"(w), [we] "=&r"(we),      \
                     [wo] "=&r"(wo), [ba] "+m"(st->ba)               \
                   : [s0] "m"(st->s), [e] "r"(st->end),              \
                     [w_end] "m"(st->w_end),                         \
                     [ba_acc] "m"(st->ba[1])                         \
                   : "r8", "r9", "r10", "cc", "memory")

/* The chunk of channel pairs st->ba[0] .. w_end for three pixels; the
 * filter pointer advances to st->w_end, st->ba[0] past the biases. */
MCUK_INLINE const int8_t* mcuk_1x1p_dots3(mcuk_1x1p_state* st,
                                          int32_t groups, const int8_t* w) {
  /* The accumulators in r0-r5, in their order in memory. */
  register int32_t a0 __asm__("r0");
  register int32_t b0 __asm__("r1");
  register int32_t a1 __asm__("r2");
  register int32_t b1 __asm__("r3");
  register int32_t a2 __asm__("r4");
  register int32_t b2 __asm__("r5");
  const int32_t* s;
  int32_t we, wo;
  if (groups == 4) {
    MCUK_1X1P_PAIRS3(MCUK_1X1P_EXACT4);
  } else if (groups == 3) {
    MCUK_1X1P_PAIRS3(MCUK_1X1P_EXACT3);
  } else if (groups == 2) {
    MCUK_1X1P_PAIRS3(MCUK_1X1P_EXACT2);
  } else if (groups == 1) {
    MCUK_1X1P_PAIRS3(MCUK_1X1P_EXACT1);
  } else if ((groups & 7) == 0) {
    MCUK_1X1P_PAIRS3(MCUK_1X1P_FORM8);
  } else if ((groups & 3) == 0) {
    MCUK_1X1P_PAIRS3(MCUK_1X1P_FORM4);
  } else if ((groups & 3) == 1) {
    MCUK_1X1P_PAIRS3(MCUK_1X1P_FORMR1);
  } else if ((groups & 3) == 2) {
    MCUK_1X1P_PAIRS3(MCUK_1X1P_FORMR2);
  } else {
    MCUK_1X1P_PAIRS3(MCUK_1X1P_FORMR3);
  }
  (void)a0, (void)a1, (void)a2, (void)b0, (void)b1, (void)b2, (void)s;
  (void)we, (void)wo;
  return w;
}

/* ---- Dot products of two or one pixels: one channel pair per call ------- */

#define MCUK_1X1P_STEP2                 \
  "ldmia %[s]!, {r8, r9, r10, r11}\n\t" \
  "ldrd %[we], %[wo], [%[w]], #8\n\t"   \
  "smlad %[a0], r8, %[we], %[a0]\n\t"   \
  "smlad %[a1], r9, %[we], %[a1]\n\t"   \
  "sxtb16 %[we], %[we]\n\t"             \
  "smlad %[b0], r8, %[we], %[b0]\n\t"   \
  "smlad %[b1], r9, %[we], %[b1]\n\t"   \
  "smlad %[a0], r10, %[wo], %[a0]\n\t"  \
  "smlad %[a1], r11, %[wo], %[a1]\n\t"  \
  "sxtb16 %[wo], %[wo]\n\t"             \
  "smlad %[b0], r10, %[wo], %[b0]\n\t"  \
  "smlad %[b1], r11, %[wo], %[b1]\n\t"
#define MCUK_1X1P_STEP1                  \
  "ldrd %[x0], %[x1], [%[s]], #8\n\t"    \
  "ldrd %[we], %[wo], [%[w]], #8\n\t"    \
  "smlad %[a0], %[x0], %[we], %[a0]\n\t" \
  "sxtb16 %[we], %[we]\n\t"              \
  "smlad %[b0], %[x0], %[we], %[b0]\n\t" \
  "smlad %[a0], %[x1], %[wo], %[a0]\n\t" \
  "sxtb16 %[wo], %[wo]\n\t"              \
  "smlad %[b0], %[x1], %[wo], %[b0]\n\t"
/* Four groups per iteration, then one at a time; n >= 0. */
#define MCUK_1X1P_LOOP_N(STEP) \
  "subs %[n], %[n], #4\n\t"    \
  "bmi 2f\n"                   \
  "1:\n\t" STEP STEP STEP STEP \
  "subs %[n], %[n], #4\n\t"    \
  "bpl 1b\n"                   \
  "2:\n\t"                     \
  "adds %[n], %[n], #4\n\t"    \
  "beq 4f\n"                   \
  "3:\n\t" STEP                \
  "subs %[n], %[n], #1\n\t"    \
  "bne 3b\n"                   \
  "4:\n\t"

/* acc[0..3] = {A0, B0, A1, B1}: the biases, then the groups; returns the
 * filter pointer past the channel pair. */
MCUK_INLINE const int8_t* mcuk_1x1p_dot2(const int32_t* s, int32_t groups,
                                         const int8_t* w, const int32_t* bias,
                                         int32_t* acc) {
  int32_t a0 = bias[1], a1 = a0, b0 = bias[0], b1 = b0, k = groups, we, wo;
  __asm__(MCUK_1X1P_LOOP_N(MCUK_1X1P_STEP2)
          : [a0] "+r"(a0), [a1] "+r"(a1), [b0] "+r"(b0), [b1] "+r"(b1),
            [s] "+r"(s), [w] "+r"(w), [n] "+r"(k), [we] "=&r"(we),
            [wo] "=&r"(wo)
          : "m"(*(const int32_t(*)[4 * groups])s),
            "m"(*(const int8_t(*)[8 * groups])w)
          : "r8", "r9", "r10", "r11", "cc");
  acc[0] = mcuk_1x1p_d(a0, b0), acc[1] = b0;
  acc[2] = mcuk_1x1p_d(a1, b1), acc[3] = b1;
  return w;
}
MCUK_INLINE const int8_t* mcuk_1x1p_dot1(const int32_t* s, int32_t groups,
                                         const int8_t* w, const int32_t* bias,
                                         int32_t* acc) {
  int32_t a0 = bias[1], b0 = bias[0], k = groups, we, wo, x0, x1;
  __asm__(MCUK_1X1P_LOOP_N(MCUK_1X1P_STEP1)
          : [a0] "+r"(a0), [b0] "+r"(b0), [s] "+r"(s), [w] "+r"(w),
            [n] "+r"(k), [we] "=&r"(we), [wo] "=&r"(wo), [x0] "=&r"(x0),
            [x1] "=&r"(x1)
          : "m"(*(const int32_t(*)[2 * groups])s),
            "m"(*(const int8_t(*)[8 * groups])w)
          : "cc");
  acc[0] = mcuk_1x1p_d(a0, b0), acc[1] = b0;
  return w;
}

#endif /* MCUTUNE_CODEGEN_KERNELS_INTERNAL_POINTWISE_ASM_H_ */
