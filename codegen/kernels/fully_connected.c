/* FULLY_CONNECTED: out[b][u] = requant(bias'[u] + sum_i x[b][i] w[u][i]
 *                                       - zp_w * sum_i x[b][i]).
 *
 * bias' already holds -zp_in * sum(w[u]) + depth * zp_in * zp_w, so the hot
 * loop is a plain int8 dot product; the zp_w term (non-zero only for
 * asymmetric weights, rare) costs one extra pass over the input row.
 * Units go in pairs sharing every widened input word (mcuk_dot_1x2).
 */
#include "codegen/kernels/internal/dot.h"

void mcuk_fully_connected(const mcuk_fc_params* p, const int8_t* in,
                          int8_t* out) {
  const int32_t depth = p->depth, units = p->units;
  const mcuk_requant* rq = &p->requant;
  int32_t b, u, i;
  for (b = 0; b < p->batches; ++b, in += depth, out += units) {
    const int8_t* w = p->weights;
    int32_t x_term = 0;
    if (p->weight_zero_point != 0) {
      int32_t sum = 0;
      for (i = 0; i < depth; ++i) sum += in[i];
      x_term = p->weight_zero_point * sum;
    }
    for (u = 0; u + 2 <= units; u += 2, w += 2 * depth) {
      int32_t d[2];
      mcuk_dot_1x2(in, w, w + depth, depth, d);
      out[u] = mcuk_requant_one(rq, p->bias[u] + d[0] - x_term, u);
      out[u + 1] = mcuk_requant_one(rq, p->bias[u + 1] + d[1] - x_term, u + 1);
    }
    if (u < units) {
      const int32_t d = mcuk_dot_1x1(in, w, depth);
      out[u] = mcuk_requant_one(rq, p->bias[u] + d - x_term, u);
    }
  }
}
