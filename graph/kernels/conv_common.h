// Building blocks shared by the convolution-like kernels (CONV_2D,
// DEPTHWISE_CONV_2D, FULLY_CONNECTED).
//
// Zero points are hoisted out of the hot loops: with padded positions filled
// by the input zero point, every output sums over all filter taps, so
//   sum (x - zp_in) * w  =  sum x * w  -  zp_in * sum w
// and `zp_in * sum w` folds into the bias once per channel at Prepare time.
// The spatial border is handled by copying the input once into a buffer
// padded with zp_in (SpatialPad), which leaves one branch-free loop nest for
// interior and border alike. Dot products run over contiguous int8 runs in
// fixed-size blocks the compiler turns into SIMD code.
#ifndef MCUTUNE_GRAPH_KERNELS_CONV_COMMON_H_
#define MCUTUNE_GRAPH_KERNELS_CONV_COMMON_H_

#include <cstdint>
#include <vector>

namespace mcutune::graph {

// sum a[i] * b[i] for i < n.
inline int32_t DotInt8(const int8_t* a, const int8_t* b, int n) {
  constexpr int kBlock = 32;
  int32_t total = 0;
  int i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    int32_t block = 0;
    for (int k = 0; k < kBlock; ++k) {
      block += int32_t{a[i + k]} * int32_t{b[i + k]};
    }
    total += block;
  }
  for (; i < n; ++i) total += int32_t{a[i]} * int32_t{b[i]};
  return total;
}

// Four dot products sharing `w`: out[k] = sum a[k][i] * w[i]. Loads each
// weight once for four output pixels.
inline void DotInt8x4(const int8_t* const a[4], const int8_t* w, int n,
                      int32_t out[4]) {
  constexpr int kBlock = 16;
  int32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  const int8_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
  int i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    int32_t b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    for (int k = 0; k < kBlock; ++k) {
      const int32_t wk = w[i + k];
      b0 += int32_t{a0[i + k]} * wk;
      b1 += int32_t{a1[i + k]} * wk;
      b2 += int32_t{a2[i + k]} * wk;
      b3 += int32_t{a3[i + k]} * wk;
    }
    t0 += b0, t1 += b1, t2 += b2, t3 += b3;
  }
  for (; i < n; ++i) {
    const int32_t wi = w[i];
    t0 += a0[i] * wi, t1 += a1[i] * wi, t2 += a2[i] * wi, t3 += a3[i] * wi;
  }
  out[0] = t0, out[1] = t1, out[2] = t2, out[3] = t3;
}

// acc[i] += x[i] * w[i] for i < n (the depthwise inner loop), in fixed-size
// blocks so the compiler vectorizes it.
inline void MultiplyAccumulate(const int8_t* __restrict x,
                               const int8_t* __restrict w,
                               int32_t* __restrict acc, int n) {
  constexpr int kBlock = 16;
  int i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    for (int k = 0; k < kBlock; ++k) {
      acc[i + k] += int32_t{x[i + k]} * int32_t{w[i + k]};
    }
  }
  for (; i < n; ++i) acc[i] += int32_t{x[i]} * int32_t{w[i]};
}

// NHWC geometry of a 2-D window operator.
struct SpatialGeometry {
  int batches = 1, in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int filter_h = 1, filter_w = 1;
  int stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;

  // Rows / columns the padded input must have so that every window fits.
  int padded_h() const {
    return (out_h - 1) * stride_h + (filter_h - 1) * dilation_h + 1;
  }
  int padded_w() const {
    return (out_w - 1) * stride_w + (filter_w - 1) * dilation_w + 1;
  }
  bool needs_padding() const {
    return pad_top > 0 || pad_left > 0 || padded_h() > in_h ||
           padded_w() > in_w;
  }
};

// Copies one batch image (in_h x in_w x in_c) into `padded`
// (padded_h x padded_w x in_c), surrounded by `fill`.
void SpatialPad(const SpatialGeometry& g, const int8_t* image, int8_t fill,
                std::vector<int8_t>* padded);

}  // namespace mcutune::graph

#endif  // MCUTUNE_GRAPH_KERNELS_CONV_COMMON_H_
