/* mcu_kernels: the int8 kernel library that mcutune's generated C calls.
 *
 * Generated code is straight-line calls with constant parameters:
 *
 *   static const mcuk_conv_params kOp3 = { ...shapes, &kOp3Filter[0], ... };
 *   mcuk_conv2d(&kOp3, &in_view, &out_view, &region, scratch);
 *
 * Every kernel is bit-exact with mcutune's reference interpreter
 * (graph/kernels/) in the requantization mode its parameters carry; the
 * host-side helper codegen/kernel_params.h computes the parameter values from
 * a graph operator, so the emitter and the tests share one source of truth.
 *
 * Conventions
 * - Activations are int8 NHWC with batch 1; a tensor of another rank is seen
 *   as 1 x 1 x elements. Channels of one pixel are contiguous.
 * - REGIONS AND VIEWS. A spatial kernel computes the output rows [y0, y1) x
 *   columns [x0, x1) (all channels) of an operator whose full input and
 *   output sizes are in its parameters. Input and output live in "views":
 *   buffers holding only a window of the full tensor (a patch, a stream
 *   buffer, or the whole tensor for layer-wise calls):
 *
 *       full tensor (H x W)          view: data -> element (y0, x0, ch 0)
 *       +-----------------------+    window rows [y0, y0 + h),
 *       |      +--------+       |           cols [x0, x0 + w),
 *       |      | window |       |    row_stride elements between rows
 *       |      +--------+       |    (>= w * channels; pixels are dense)
 *       +-----------------------+
 *
 *   Image-border padding (TFLite SAME, pad-before in the parameters) is
 *   emulated inside the kernels: positions outside the image read as the
 *   input zero point, and no padded copy is ever made. Reading a position
 *   inside the image but outside the input window is a caller bug, caught by
 *   MCUK_ASSERT in debug builds (define MCUK_ENABLE_ASSERT and provide
 *   mcuk_assert_failed()).
 * - REQUANTIZATION. mcuk_requant carries the mode:
 *     MCUK_REQUANT_SINGLE  the TFLite (XNNPACK) runtime of the golden files:
 *                          v = (float)acc * scale[c], clamped to the
 *                          activation range minus zp_out, rounded half to
 *                          even (exact without libm for |v| < 2^22), + zp_out;
 *     MCUK_REQUANT_DOUBLE  TFLite Micro / CMSIS-NN: doubling high multiply
 *                          by multiplier[c], then rounding shift by shift[c].
 *   A build may pin one mode with -DMCUK_REQUANT_MODE=MCUK_REQUANT_SINGLE (or
 *   _DOUBLE): the other path is compiled out and the mode field is ignored.
 * - ZERO POINTS are hoisted: bias arrays hold bias - zp_in * sum(w) (and, for
 *   fully connected, + depth * zp_in * zp_w), so hot loops are plain int8 dot
 *   products.
 * - PATHS. With __ARM_FEATURE_DSP (Cortex-M4/M7/M33) the inner loops use
 *   ACLE SIMD32 intrinsics (SXTB16, SMLAD, SMLABB/SMLATT); -DMCUK_PORTABLE
 *   forces the portable C loops. Both are bit-exact.
 * - Build flags: C99, IEEE float (no -ffast-math), -ffp-contract=off (a fused
 *   multiply-add would change the float requantization and softmax).
 * - Nothing allocates; scratch memory is passed in by the caller, sized by
 *   the *_scratch_bytes functions. Kernels keep no state and are reentrant.
 */
#ifndef MCUTUNE_CODEGEN_KERNELS_MCU_KERNELS_H_
#define MCUTUNE_CODEGEN_KERNELS_MCU_KERNELS_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Views and regions ------------------------------------------------ */

/* A read-only window of an NHWC tensor (see the header comment). */
typedef struct {
  const int8_t* data; /* element (y0, x0, channel 0) */
  int32_t y0, x0;     /* full-tensor coordinates of the window origin */
  int32_t h, w;       /* window rows and columns */
  int32_t row_stride; /* elements between consecutive window rows */
} mcuk_cview;

/* A writable window; same fields as mcuk_cview. */
typedef struct {
  int8_t* data;
  int32_t y0, x0;
  int32_t h, w;
  int32_t row_stride;
} mcuk_view;

/* Output rows [y0, y1) x columns [x0, x1), full-tensor coordinates. */
typedef struct {
  int32_t y0, y1, x0, x1;
} mcuk_region;

/* ---- Requantization ------------------------------------------------------ */

#define MCUK_REQUANT_SINGLE 0
#define MCUK_REQUANT_DOUBLE 1

typedef struct {
  int32_t mode;              /* MCUK_REQUANT_SINGLE or MCUK_REQUANT_DOUBLE */
  int32_t output_zero_point;
  int32_t act_min, act_max;  /* fused activation range, int8 */
  const float* scale;        /* [channels], single mode (NULL otherwise) */
  const int32_t* multiplier; /* [channels], double mode (NULL otherwise) */
  const int32_t* shift;      /* [channels], double mode; > 0: left shift */
} mcuk_requant;

/* ---- Convolution and depthwise convolution ------------------------------ */

/* CONV_2D filter layouts (mcuk_conv_params.filter_layout). */
#define MCUK_FILTER_OHWI 0 /* [out_c][filter_h][filter_w][in_c] int8 */
/* 1x1 filters, in_c % 4 == 0, out_c even: per output-channel pair
 * (c0 = 2j, c1 = 2j + 1) in_c little-endian int16 V[k] = w[c0][k] +
 * 256 * w[c1][k], ordered k = 4g, 4g+2, 4g+1, 4g+3 in every group g of four
 * input channels; bias[c0] = b[c0], bias[c1] = b[c0] + 256 * b[c1] (mod
 * 2^32). Same size as OHWI. Valid when no V leaves int16 and
 * |b[c1]| + 128 * sum_k |w[c1][k]| < 2^23 (codegen/kernel_params.cc checks
 * both; conv_1x1_paired.c explains the arithmetic). */
#define MCUK_FILTER_1X1_PAIRED 1

typedef struct {
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t filter_h, filter_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left; /* padding before (0 for VALID) */
  int32_t depth_multiplier;  /* depthwise: out_c = in_c * multiplier */
  int32_t input_zero_point;
  /* CONV_2D: as filter_layout says (OHWI unless paired).
   * DEPTHWISE_CONV_2D: [filter_h][filter_w][out_c]. */
  const int8_t* filter;
  const int32_t* bias; /* [out_c], zp_in * sum(w) subtracted */
  mcuk_requant requant;
  int32_t filter_layout; /* CONV_2D: MCUK_FILTER_OHWI or _1X1_PAIRED */
} mcuk_conv_params;

/* CONV_2D over `region`. Dispatches to the paired 1x1 kernel, or to the
 * general one for OHWI filters (1x1 included). */
void mcuk_conv2d(const mcuk_conv_params* p, const mcuk_cview* in,
                 const mcuk_view* out, const mcuk_region* region,
                 int8_t* scratch);
/* Pointwise with the paired layout (any stride and padding; scratch: the
 * widened inputs of three pixels), pointwise OHWI (any stride, no padding;
 * for direct callers) and general (OHWI) variants. */
void mcuk_conv2d_1x1_paired(const mcuk_conv_params* p, const mcuk_cview* in,
                            const mcuk_view* out, const mcuk_region* region,
                            int8_t* scratch);
void mcuk_conv2d_1x1(const mcuk_conv_params* p, const mcuk_cview* in,
                     const mcuk_view* out, const mcuk_region* region);
void mcuk_conv2d_generic(const mcuk_conv_params* p, const mcuk_cview* in,
                         const mcuk_view* out, const mcuk_region* region,
                         int8_t* scratch);
/* Bytes of scratch mcuk_conv2d needs: 6 * in_c + 4 for 1x1 filters (three
 * widened input pixels, word-aligned; any layout, enough for the generic
 * kernel too when a 1x1 filter is padded), else
 * 2 * filter_h * filter_w * in_c. */
int32_t mcuk_conv2d_scratch_bytes(const mcuk_conv_params* p);

/* DEPTHWISE_CONV_2D over `region` (any multiplier, stride, dilation). Uses
 * the 3x3 specialisation when the filter is 3x3 with multiplier 1. */
void mcuk_depthwise_conv2d(const mcuk_conv_params* p, const mcuk_cview* in,
                           const mcuk_view* out, const mcuk_region* region);

/* In-place DEPTHWISE_CONV_2D (in_c == out_c, multiplier 1): `out` may
 * overlap `in` (typically the same base pointer) provided both row strides
 * and the distance between the two data pointers are multiples of the
 * channel count, so that output channel c only ever overwrites input
 * channel c. Channel by channel, the input window's channel c is first
 * copied to `channel_tmp` (in->h * in->w bytes), then output channel c is
 * computed from it. */
void mcuk_depthwise_conv2d_inplace(const mcuk_conv_params* p,
                                   const mcuk_cview* in, const mcuk_view* out,
                                   const mcuk_region* region,
                                   int8_t* channel_tmp);

/* ---- Fully connected ----------------------------------------------------- */

typedef struct {
  int32_t batches, depth, units;
  int32_t weight_zero_point; /* != 0: zp_w * sum(x) is subtracted per row */
  const int8_t* weights;     /* [units][depth] */
  const int32_t* bias;       /* [units], zero-point terms folded in */
  mcuk_requant requant;
} mcuk_fc_params;

/* in: [batches][depth], out: [batches][units]. */
void mcuk_fully_connected(const mcuk_fc_params* p, const int8_t* in,
                          int8_t* out);

/* ---- Elementwise add ------------------------------------------------------ */

#define MCUK_ADD_XNNPACK 0 /* ~20-bit multipliers sharing one shift */
#define MCUK_ADD_TFLITE 1  /* TFLite's integer ADD, double rounding */

typedef struct {
  int32_t h, w, c; /* shape of a, b and the output */
  int32_t form;    /* MCUK_ADD_XNNPACK or MCUK_ADD_TFLITE */
  int32_t zp_a, zp_b, zp_out;
  int32_t act_min, act_max;
  /* MCUK_ADD_XNNPACK: out = ((x_bias + a x_mult_a + b x_mult_b) >> x_shift)
   * + zp_out, with x_bias = 2^(x_shift-1) - x_mult_a zp_a - x_mult_b zp_b. */
  int32_t x_mult_a, x_mult_b, x_bias, x_shift;
  /* MCUK_ADD_TFLITE: inputs minus zero points, << 20, times mult_a/b, summed,
   * times mult_out (all double rounding). */
  int32_t mult_a, shift_a, mult_b, shift_b, mult_out, shift_out;
} mcuk_add_params;

/* out = a + b over `region`; out may be the same buffer as a or b when the
 * views coincide. */
void mcuk_add(const mcuk_add_params* p, const mcuk_cview* a,
              const mcuk_cview* b, const mcuk_view* out,
              const mcuk_region* region);

/* ---- Pooling and mean ---------------------------------------------------- */

typedef struct {
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t filter_h, filter_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left;
  int32_t act_min, act_max;
} mcuk_pool_params;

/* Windows are clipped to the image (padding is not counted); the average
 * rounds half away from zero. */
void mcuk_avg_pool(const mcuk_pool_params* p, const mcuk_cview* in,
                   const mcuk_view* out, const mcuk_region* region);
void mcuk_max_pool(const mcuk_pool_params* p, const mcuk_cview* in,
                   const mcuk_view* out, const mcuk_region* region);

typedef struct {
  int32_t in_h, in_w, channels;
  int32_t mode;  /* MCUK_REQUANT_SINGLE or MCUK_REQUANT_DOUBLE */
  int32_t count; /* in_h * in_w */
  int32_t zp_in, zp_out;
  float scale;   /* single: s_in / (s_out * count) */
  int32_t multiplier, shift; /* double: s_in / s_out */
} mcuk_mean_params;

/* MEAN over H and W: out[c] for every channel; `in` must hold the whole
 * input tensor. */
void mcuk_mean_hw(const mcuk_mean_params* p, const mcuk_cview* in,
                  int8_t* out);

/* Reductions over H in blocks of input rows (TinyOps): a MEAN over H and W,
 * or a pooling whose output has one row. *_rows folds rows [y0, y1) of the
 * input (held by `in`; rows outside the reduction are ignored) into `acc`,
 * one accumulator per output value (channels for MEAN, out_w * channels for
 * pooling), starting from scratch when `first`; *_finish writes the output.
 * Any split of the rows gives the whole-tensor kernel's output. */
void mcuk_mean_hw_rows(const mcuk_mean_params* p, const mcuk_cview* in,
                       int32_t y0, int32_t y1, int32_t first, int32_t* acc);
void mcuk_mean_hw_finish(const mcuk_mean_params* p, const int32_t* acc,
                         int8_t* out);
void mcuk_avg_pool_rows(const mcuk_pool_params* p, const mcuk_cview* in,
                        int32_t y0, int32_t y1, int32_t first, int32_t* acc);
void mcuk_avg_pool_finish(const mcuk_pool_params* p, const int32_t* acc,
                          const mcuk_view* out);
void mcuk_max_pool_rows(const mcuk_pool_params* p, const mcuk_cview* in,
                        int32_t y0, int32_t y1, int32_t first, int8_t* acc);
void mcuk_max_pool_finish(const mcuk_pool_params* p, const int8_t* acc,
                          const mcuk_view* out);

/* ---- Softmax ------------------------------------------------------------- */

typedef struct {
  int32_t rows, depth;
  int32_t zp_out;
  float output_scale;
  const float* exp_table; /* [256]: exp_table[255 - d] = exp(-beta s_in d) */
} mcuk_softmax_params;

void mcuk_softmax(const mcuk_softmax_params* p, const int8_t* in,
                  int8_t* out);

/* ---- Data movement ------------------------------------------------------- */

typedef struct {
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t pad_top, pad_left, pad_channels; /* before, per axis */
  int32_t zero_point;
} mcuk_pad_params;

/* PAD of an NHWC tensor (H, W and C axes) with the zero point, over the
 * output region. */
void mcuk_pad(const mcuk_pad_params* p, const mcuk_cview* in,
              const mcuk_view* out, const mcuk_region* region);

/* `rows` rows of `row_bytes` bytes (concatenation, reshape, patch and
 * stream-buffer copies). */
void mcuk_copy_2d(int8_t* dst, int32_t dst_stride, const int8_t* src,
                  int32_t src_stride, int32_t rows, int32_t row_bytes);

#define MCUK_MAX_RANK 6

typedef struct {
  int32_t rank;
  int32_t shape[MCUK_MAX_RANK];      /* output dimensions */
  int32_t in_stride[MCUK_MAX_RANK];  /* input stride of each output dim */
} mcuk_permute_params;

/* TRANSPOSE: out (dense, row-major) [i...] = in[sum i_d * in_stride[d]]. */
void mcuk_permute(const mcuk_permute_params* p, const int8_t* in,
                  int8_t* out);

typedef struct {
  int32_t mode; /* MCUK_REQUANT_SINGLE: one rounding, ties up (integer) */
  int32_t zp_in, zp_out;
  int32_t multiplier, shift; /* s_in / s_out */
  int32_t act_min, act_max;
} mcuk_rescale_params;

/* Like mcuk_copy_2d, requantizing every value (CONCATENATION of inputs
 * whose quantization differs from the output's). */
void mcuk_rescale_2d(const mcuk_rescale_params* p, int8_t* dst,
                     int32_t dst_stride, const int8_t* src,
                     int32_t src_stride, int32_t rows, int32_t row_elems);

/* ---- Debug checks -------------------------------------------------------- */

/* Called when MCUK_ENABLE_ASSERT is defined and a check fails; provided by
 * the application (firmware: trap; host tests: record). */
void mcuk_assert_failed(const char* file, int line, const char* condition);

/* "portable" or "dsp": the inner-loop path this library was built with. */
const char* mcuk_path_name(void);

#ifdef __cplusplus
}
#endif

#endif /* MCUTUNE_CODEGEN_KERNELS_MCU_KERNELS_H_ */
