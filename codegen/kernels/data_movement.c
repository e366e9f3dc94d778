/* Kernels that move bytes: PAD (region-aware, zero-point fill), strided 2-D
 * block copies (concatenation along any axis is one copy per input: `outer`
 * rows of the input's slab into a wider destination row; also reshape and
 * patch / stream-buffer copies), TRANSPOSE as a strided permutation, and the
 * requantizing copy for concatenation inputs whose quantization differs
 * from the output's (integer multiply, single or double rounding).
 */
#include "codegen/kernels/internal/dot.h"

void mcuk_pad(const mcuk_pad_params* p, const mcuk_cview* in,
              const mcuk_view* out, const mcuk_region* r) {
  const int32_t cout = p->out_c, cin = p->in_c;
  const int8_t zp = (int8_t)p->zero_point;
  int32_t oy, ox;
  mcuk_check_region(r, out, p->out_h, p->out_w);
  if (r->y0 >= r->y1 || r->x0 >= r->x1) return;
  mcuk_check_window(in, r->y0 - p->pad_top, r->y1 - 1 - p->pad_top,
                    r->x0 - p->pad_left, r->x1 - 1 - p->pad_left, p->in_h,
                    p->in_w);
  for (oy = r->y0; oy < r->y1; ++oy) {
    const int32_t iy = oy - p->pad_top;
    int8_t* o = mcuk_view_at(out, oy, r->x0, cout);
    int32_t x_lo, x_hi;
    if (iy < 0 || iy >= p->in_h) {
      memset(o, zp, (size_t)((r->x1 - r->x0) * cout));
      continue;
    }
    /* Output columns [x_lo, x_hi) come from the image. */
    x_lo = MCUK_MIN(MCUK_MAX(r->x0, p->pad_left), r->x1);
    x_hi = MCUK_MAX(MCUK_MIN(r->x1, p->pad_left + p->in_w), x_lo);
    if (x_lo > r->x0) memset(o, zp, (size_t)((x_lo - r->x0) * cout));
    if (cin == cout) {
      if (x_hi > x_lo) {
        memcpy(o + (x_lo - r->x0) * cout,
               mcuk_cview_at(in, iy, x_lo - p->pad_left, cin),
               (size_t)((x_hi - x_lo) * cin));
      }
    } else {
      const int32_t after = cout - cin - p->pad_channels;
      for (ox = x_lo; ox < x_hi; ++ox) {
        int8_t* po = o + (ox - r->x0) * cout;
        memset(po, zp, (size_t)p->pad_channels);
        memcpy(po + p->pad_channels,
               mcuk_cview_at(in, iy, ox - p->pad_left, cin), (size_t)cin);
        memset(po + p->pad_channels + cin, zp, (size_t)after);
      }
    }
    if (x_hi < r->x1) {
      memset(o + (x_hi - r->x0) * cout, zp, (size_t)((r->x1 - x_hi) * cout));
    }
  }
}

void mcuk_copy_2d(int8_t* dst, int32_t dst_stride, const int8_t* src,
                  int32_t src_stride, int32_t rows, int32_t row_bytes) {
  int32_t i;
  if (dst_stride == row_bytes && src_stride == row_bytes) {
    memmove(dst, src, (size_t)rows * (size_t)row_bytes);
    return;
  }
  for (i = 0; i < rows; ++i) {
    memmove(dst + i * dst_stride, src + i * src_stride, (size_t)row_bytes);
  }
}

void mcuk_permute(const mcuk_permute_params* p, const int8_t* in,
                  int8_t* out) {
  int32_t index[MCUK_MAX_RANK] = {0};
  const int32_t rank = p->rank;
  const int32_t inner = p->shape[rank - 1];
  const int32_t inner_stride = p->in_stride[rank - 1];
  int32_t total = 1, done, d, i;
  for (d = 0; d < rank; ++d) total *= p->shape[d];
  for (done = 0; done < total; done += inner) {
    int32_t offset = 0;
    for (d = 0; d < rank - 1; ++d) offset += index[d] * p->in_stride[d];
    for (i = 0; i < inner; ++i) out[done + i] = in[offset + i * inner_stride];
    for (d = rank - 2; d >= 0; --d) {
      if (++index[d] < p->shape[d]) break;
      index[d] = 0;
    }
  }
}

void mcuk_rescale_2d(const mcuk_rescale_params* p, int8_t* dst,
                     int32_t dst_stride, const int8_t* src,
                     int32_t src_stride, int32_t rows, int32_t row_elems) {
  int32_t i, k;
  for (i = 0; i < rows; ++i) {
    const int8_t* s = src + i * src_stride;
    int8_t* o = dst + i * dst_stride;
    for (k = 0; k < row_elems; ++k) {
      const int32_t x = s[k] - p->zp_in;
      const int32_t m = MCUK_MODE_OF(p->mode) == MCUK_REQUANT_SINGLE
                            ? mcuk_mul_single(x, p->multiplier, p->shift)
                            : mcuk_mul_double(x, p->multiplier, p->shift);
      o[k] = (int8_t)mcuk_clamp(p->zp_out + m, p->act_min, p->act_max);
    }
  }
}

const char* mcuk_path_name(void) {
#if defined(MCUK_EMULATE_ACLE) && !defined(MCUK_PORTABLE)
  return "dsp-emulated";
#elif defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32) && \
    !defined(MCUK_PORTABLE)
  return "dsp";
#else
  return "portable";
#endif
}
