// Float reference kernels for the synthesizer's calibration pass.
//
// To choose activation scales the synthesizer runs the network it is building
// in float, layer by layer, on a few calibration inputs (fake quantization:
// each layer reads the dequantized int8 values of its input, so scales are
// picked for the values the int8 model really sees). These kernels are plain
// and deterministic (fixed accumulation order); they are not the reference
// interpreter and make no claim of matching TFLite's integer arithmetic.
// Padding follows TFLite SAME (output ceil(in / stride), pad_before =
// total_pad / 2).
#ifndef MCUTUNE_GRAPH_ZOO_FLOAT_KERNELS_H_
#define MCUTUNE_GRAPH_ZOO_FLOAT_KERNELS_H_

#include <vector>

namespace mcutune::graph::zoo {

// One activation of batch 1, NHWC; a flat vector is h = w = 1.
struct FloatMap {
  int h = 0;
  int w = 0;
  int c = 0;
  std::vector<float> v;  // h * w * c values
};

// Convolution with filter `w_ohwi` (TFLite layout [cout][kh][kw][cin]) and
// optional per-output-channel `bias` (empty: none).
FloatMap ConvSame(const FloatMap& in, const std::vector<float>& w_ohwi,
                  const std::vector<float>& bias, int kh, int kw, int stride,
                  int cout);

// Depthwise convolution (multiplier 1), filter [kh][kw][c].
FloatMap DepthwiseSame(const FloatMap& in, const std::vector<float>& w_hwc,
                       const std::vector<float>& bias, int kh, int kw,
                       int stride);

// out[o] = sum_i in[i] * w[o][i] + bias[o]; `in` is read as a flat vector.
FloatMap FullyConnected(const FloatMap& in, const std::vector<float>& w_oi,
                        const std::vector<float>& bias, int units);

// Average over all spatial positions -> 1 x 1 x c.
FloatMap GlobalAverage(const FloatMap& in);

// Elementwise a + b (same shape).
FloatMap Sum(const FloatMap& a, const FloatMap& b);

}  // namespace mcutune::graph::zoo

#endif  // MCUTUNE_GRAPH_ZOO_FLOAT_KERNELS_H_
