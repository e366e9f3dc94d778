/* AVERAGE_POOL_2D and MAX_POOL_2D over a region, and MEAN over H and W.
 *
 * Pooling windows are clipped to the image (TFLite does not count padded
 * positions), so the border needs no padding at all; an average divides by
 * the number of valid taps rounding half away from zero. Input and output
 * share one quantization, so nothing is requantized; the fused activation
 * clamps. Channels are processed in blocks of 8 with the accumulators on
 * the stack, reading 8 contiguous bytes per tap.
 *
 * MEAN (global average pooling) sums (x - zp_in) per channel over the whole
 * input, then
 *   single mode: fp32 rescale by s_in / (s_out * n), ties to even (XNNPACK);
 *   double mode: double-rounding multiply by s_in / s_out, then division by
 *                n rounding half away from zero (TFLite Micro).
 *
 * Row blocks (TinyOps streams a reduction over H through SRAM in blocks of
 * input rows): *_rows folds rows [y0, y1) into one accumulator per output
 * value, *_finish applies exactly the whole-tensor kernel's final step. Sums
 * of int8 are exact in int32 and the maximum is associative, so any split of
 * the rows gives the whole-tensor kernel's bytes.
 */
#include "codegen/kernels/internal/kernel_common.h"

#define MCUK_POOL_BLOCK 8

static void pool_region(const mcuk_pool_params* p, const mcuk_cview* in,
                        const mcuk_view* out, const mcuk_region* r,
                        int average) {
  const int32_t ch = p->channels;
  int32_t oy, ox, y, x, c0, k;
  mcuk_check_region(r, out, p->out_h, p->out_w);
  if (r->y0 >= r->y1 || r->x0 >= r->x1) return;
  mcuk_check_window(in, r->y0 * p->stride_h - p->pad_top,
                    (r->y1 - 1) * p->stride_h - p->pad_top + p->filter_h - 1,
                    r->x0 * p->stride_w - p->pad_left,
                    (r->x1 - 1) * p->stride_w - p->pad_left + p->filter_w - 1,
                    p->in_h, p->in_w);
  for (oy = r->y0; oy < r->y1; ++oy) {
    const int32_t wy = oy * p->stride_h - p->pad_top;
    const int32_t y_begin = MCUK_MAX(wy, 0);
    const int32_t y_end = MCUK_MIN(wy + p->filter_h, p->in_h);
    for (ox = r->x0; ox < r->x1; ++ox) {
      const int32_t wx = ox * p->stride_w - p->pad_left;
      const int32_t x_begin = MCUK_MAX(wx, 0);
      const int32_t x_end = MCUK_MIN(wx + p->filter_w, p->in_w);
      const int32_t count = (y_end - y_begin) * (x_end - x_begin);
      int8_t* o = mcuk_view_at(out, oy, ox, ch);
      if (y_end <= y_begin || x_end <= x_begin) { /* window all padding */
        memset(o, (int8_t)p->act_min, (size_t)ch);
        continue;
      }
      for (c0 = 0; c0 < ch; c0 += MCUK_POOL_BLOCK) {
        const int32_t n = MCUK_MIN(MCUK_POOL_BLOCK, ch - c0);
        int32_t acc[MCUK_POOL_BLOCK];
        for (k = 0; k < MCUK_POOL_BLOCK; ++k) acc[k] = average ? 0 : -128;
        for (y = y_begin; y < y_end; ++y) {
          const int8_t* px = mcuk_cview_at(in, y, x_begin, ch) + c0;
          for (x = x_begin; x < x_end; ++x, px += ch) {
            if (average) {
              for (k = 0; k < n; ++k) acc[k] += px[k];
            } else {
              for (k = 0; k < n; ++k) acc[k] = MCUK_MAX(acc[k], px[k]);
            }
          }
        }
        for (k = 0; k < n; ++k) {
          int32_t v = acc[k];
          if (average) {
            v = v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
          }
          o[c0 + k] = (int8_t)mcuk_clamp(v, p->act_min, p->act_max);
        }
      }
    }
  }
}

void mcuk_avg_pool(const mcuk_pool_params* p, const mcuk_cview* in,
                   const mcuk_view* out, const mcuk_region* r) {
  pool_region(p, in, out, r, 1);
}

void mcuk_max_pool(const mcuk_pool_params* p, const mcuk_cview* in,
                   const mcuk_view* out, const mcuk_region* r) {
  pool_region(p, in, out, r, 0);
}

/* The output value of a channel whose raw input sum is `sum`. */
static int8_t mean_value(const mcuk_mean_params* p, int32_t sum) {
  const int32_t n = p->count, centered = sum - n * p->zp_in;
  int32_t v;
  if (MCUK_MODE_OF(p->mode) == MCUK_REQUANT_SINGLE) {
    v = mcuk_requant_float(centered, p->scale, p->zp_out, -128, 127);
  } else {
    v = mcuk_mul_double(centered, p->multiplier, p->shift);
    v = v > 0 ? (v + n / 2) / n : (v - n / 2) / n;
    v = mcuk_clamp(v + p->zp_out, -128, 127);
  }
  return (int8_t)v;
}

void mcuk_mean_hw(const mcuk_mean_params* p, const mcuk_cview* in,
                  int8_t* out) {
  const int32_t ch = p->channels;
  int32_t c0, k, y, x;
  mcuk_check_window(in, 0, p->in_h - 1, 0, p->in_w - 1, p->in_h, p->in_w);
  for (c0 = 0; c0 < ch; c0 += MCUK_POOL_BLOCK) {
    const int32_t nc = MCUK_MIN(MCUK_POOL_BLOCK, ch - c0);
    int32_t acc[MCUK_POOL_BLOCK] = {0};
    for (y = 0; y < p->in_h; ++y) {
      const int8_t* px = mcuk_cview_at(in, y, 0, ch) + c0;
      for (x = 0; x < p->in_w; ++x, px += ch) {
        for (k = 0; k < nc; ++k) acc[k] += px[k];
      }
    }
    for (k = 0; k < nc; ++k) out[c0 + k] = mean_value(p, acc[k]);
  }
}

/* ---- Row blocks ---------------------------------------------------------- */

void mcuk_mean_hw_rows(const mcuk_mean_params* p, const mcuk_cview* in,
                       int32_t y0, int32_t y1, int32_t first, int32_t* acc) {
  const int32_t ch = p->channels;
  int32_t y, x, c;
  y0 = MCUK_MAX(y0, 0);
  y1 = MCUK_MIN(y1, p->in_h);
  if (first) memset(acc, 0, (size_t)ch * sizeof(int32_t));
  if (y0 >= y1) return;
  mcuk_check_window(in, y0, y1 - 1, 0, p->in_w - 1, p->in_h, p->in_w);
  for (y = y0; y < y1; ++y) {
    const int8_t* px = mcuk_cview_at(in, y, 0, ch);
    for (x = 0; x < p->in_w; ++x, px += ch) {
      for (c = 0; c < ch; ++c) acc[c] += px[c];
    }
  }
}

void mcuk_mean_hw_finish(const mcuk_mean_params* p, const int32_t* acc,
                         int8_t* out) {
  int32_t c;
  for (c = 0; c < p->channels; ++c) out[c] = mean_value(p, acc[c]);
}

/* Input rows [*y_begin, *y_end) of output row 0's windows. */
static void pool_rows_of_row0(const mcuk_pool_params* p, int32_t* y_begin,
                              int32_t* y_end) {
  *y_begin = MCUK_MAX(-p->pad_top, 0);
  *y_end = MCUK_MIN(p->filter_h - p->pad_top, p->in_h);
}

/* Columns [*x_begin, *x_end) of output column ox's window. */
static void pool_cols(const mcuk_pool_params* p, int32_t ox,
                      int32_t* x_begin, int32_t* x_end) {
  const int32_t wx = ox * p->stride_w - p->pad_left;
  *x_begin = MCUK_MAX(wx, 0);
  *x_end = MCUK_MIN(wx + p->filter_w, p->in_w);
}

static void pool_rows(const mcuk_pool_params* p, const mcuk_cview* in,
                      int32_t y0, int32_t y1, int32_t first, int32_t* sum,
                      int8_t* max) {
  const int32_t ch = p->channels, n = p->out_w * ch;
  int32_t yb, ye, y, ox, x, x_begin, x_end, c;
  MCUK_ASSERT(p->out_h == 1);
  pool_rows_of_row0(p, &yb, &ye);
  y0 = MCUK_MAX(y0, yb);
  y1 = MCUK_MIN(y1, ye);
  if (first && sum) memset(sum, 0, (size_t)n * sizeof(int32_t));
  if (first && max) memset(max, -128, (size_t)n);
  if (y0 >= y1) return;
  mcuk_check_window(in, y0, y1 - 1, 0, p->in_w - 1, p->in_h, p->in_w);
  for (ox = 0; ox < p->out_w; ++ox) {
    pool_cols(p, ox, &x_begin, &x_end);
    for (y = y0; y < y1 && x_begin < x_end; ++y) {
      const int8_t* px = mcuk_cview_at(in, y, x_begin, ch);
      for (x = x_begin; x < x_end; ++x, px += ch) {
        if (sum) {
          for (c = 0; c < ch; ++c) sum[ox * ch + c] += px[c];
        } else {
          for (c = 0; c < ch; ++c) {
            max[ox * ch + c] = (int8_t)MCUK_MAX(max[ox * ch + c], px[c]);
          }
        }
      }
    }
  }
}

static void pool_finish(const mcuk_pool_params* p, const int32_t* sum,
                        const int8_t* max, const mcuk_view* out) {
  const int32_t ch = p->channels;
  const mcuk_region whole = {0, 1, 0, p->out_w};
  int32_t yb, ye, ox, x_begin, x_end, c;
  mcuk_check_region(&whole, out, p->out_h, p->out_w);
  pool_rows_of_row0(p, &yb, &ye);
  for (ox = 0; ox < p->out_w; ++ox) {
    int8_t* o = mcuk_view_at(out, 0, ox, ch);
    int32_t count;
    pool_cols(p, ox, &x_begin, &x_end);
    count = (ye - yb) * (x_end - x_begin);
    if (ye <= yb || x_end <= x_begin) { /* window all padding */
      memset(o, (int8_t)p->act_min, (size_t)ch);
      continue;
    }
    for (c = 0; c < ch; ++c) {
      int32_t v = max ? max[ox * ch + c] : sum[ox * ch + c];
      if (!max) {
        v = v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
      }
      o[c] = (int8_t)mcuk_clamp(v, p->act_min, p->act_max);
    }
  }
}

void mcuk_avg_pool_rows(const mcuk_pool_params* p, const mcuk_cview* in,
                        int32_t y0, int32_t y1, int32_t first, int32_t* acc) {
  pool_rows(p, in, y0, y1, first, acc, NULL);
}

void mcuk_avg_pool_finish(const mcuk_pool_params* p, const int32_t* acc,
                          const mcuk_view* out) {
  pool_finish(p, acc, NULL, out);
}

void mcuk_max_pool_rows(const mcuk_pool_params* p, const mcuk_cview* in,
                        int32_t y0, int32_t y1, int32_t first, int8_t* acc) {
  pool_rows(p, in, y0, y1, first, NULL, acc);
}

void mcuk_max_pool_finish(const mcuk_pool_params* p, const int8_t* acc,
                          const mcuk_view* out) {
  pool_finish(p, NULL, acc, out);
}
