/* The output-channel loop shared by the convolution kernels: two input
 * columns (the receptive fields of two neighbouring output pixels, either
 * in place for 1x1 filters or gathered by im2col) against every filter row,
 * two rows at a time, each widened input word serving four products. */
#ifndef MCUTUNE_CODEGEN_KERNELS_INTERNAL_CONV_BLOCK_H_
#define MCUTUNE_CODEGEN_KERNELS_INTERNAL_CONV_BLOCK_H_

#include "codegen/kernels/internal/dot.h"

/* o0 / o1: the two output pixels (o1 unused when !two); a1 may equal a0. */
MCUK_INLINE void mcuk_conv_two_pixels(const mcuk_conv_params* p,
                                      const int8_t* a0, const int8_t* a1,
                                      int32_t len, int two, int8_t* o0,
                                      int8_t* o1) {
  const int32_t cout = p->out_c;
  const int8_t* w = p->filter;
  const int32_t* bias = p->bias;
  const mcuk_requant* rq = &p->requant;
  int32_t co = 0;
  for (; co + 2 <= cout; co += 2, w += 2 * len) {
    int32_t d[4];
    mcuk_dot_2x2(a0, a1, w, w + len, len, d);
    o0[co] = mcuk_requant_one(rq, bias[co] + d[0], co);
    o0[co + 1] = mcuk_requant_one(rq, bias[co + 1] + d[2], co + 1);
    if (two) {
      o1[co] = mcuk_requant_one(rq, bias[co] + d[1], co);
      o1[co + 1] = mcuk_requant_one(rq, bias[co + 1] + d[3], co + 1);
    }
  }
  if (co < cout) {
    int32_t d[2];
    mcuk_dot_1x2(w, a0, a1, len, d);
    o0[co] = mcuk_requant_one(rq, bias[co] + d[0], co);
    if (two) o1[co] = mcuk_requant_one(rq, bias[co] + d[1], co);
  }
}

#endif /* MCUTUNE_CODEGEN_KERNELS_INTERNAL_CONV_BLOCK_H_ */
