/* SOFTMAX over the last dimension, as TFLite's optimized int8 kernel (the
 * runtime of the golden files) computes it, without libm:
 *   - exp_table[255 - d] = exp(-beta * s_in * d) for every distance
 *     d = max - x, computed on the host when the parameters are made;
 *   - the row's table values summed in float, in element order;
 *   - out = round(e / (sum * s_out)) + zp_out, round half away from zero,
 *     clamped to int8.
 * Float operations are the same IEEE single-precision operations in the
 * same order as the reference, so results are bit-exact (FPU or soft-float).
 */
#include "codegen/kernels/internal/kernel_common.h"

/* std::round for 0 <= v < 2^22: the fraction is exact below 2^23. */
MCUK_INLINE int32_t round_half_away_nonneg(float v) {
  const int32_t t = (int32_t)v;
  return (v - (float)t) >= 0.5f ? t + 1 : t;
}

void mcuk_softmax(const mcuk_softmax_params* p, const int8_t* in,
                  int8_t* out) {
  const int32_t depth = p->depth;
  int32_t r, j;
  for (r = 0; r < p->rows; ++r, in += depth, out += depth) {
    int32_t max_val = -128;
    const float* e;
    float sum = 0.0f, inv;
    for (j = 0; j < depth; ++j) max_val = MCUK_MAX(max_val, in[j]);
    e = p->exp_table + 255 - max_val; /* e[x] = exp(-beta s (max - x)) */
    for (j = 0; j < depth; ++j) sum += e[in[j]];
    inv = 1.0f / (sum * p->output_scale);
    for (j = 0; j < depth; ++j) {
      float v = e[in[j]] * inv;
      int32_t q;
      /* Anything >= 512 saturates to 127 after adding any int8 zp. */
      if (v > 512.0f) v = 512.0f;
      q = round_half_away_nonneg(v) + p->zp_out;
      out[j] = (int8_t)mcuk_clamp(q, -128, 127);
    }
  }
}
