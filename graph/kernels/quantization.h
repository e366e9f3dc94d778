// Requantization shared by the int8 kernels.
//
// An int8 kernel accumulates in int32 and must map the accumulator back to
// int8: q_out = zp_out + acc * (s_in * s_w / s_out). RequantMode selects how:
//
//   kSingleRounding  one rounding step, exactly as the TFLite WASM runtime of
//                    the golden files does it. For CONV_2D,
//                    DEPTHWISE_CONV_2D, FULLY_CONNECTED and MEAN (run there by
//                    XNNPACK) that is fp32 requantization:
//                    lrintf((float)acc * scale) with scale = s_in * s_w / s_out
//                    evaluated in float, ties to even. For ADD and rescaling
//                    CONCATENATION it is the integer form
//                    (x * M + 2^(30-shift)) >> (31-shift), ties up.
//   kDoubleRounding  TFLite Micro / CMSIS-NN: SaturatingRoundingDoublingHighMul
//                    then RoundingDivideByPOT, both rounding (ties away from
//                    zero), with the multiplier M, shift from QuantizeMultiplier.
//
// docs/tflite_runtime_arithmetic.md records the evidence per operator.
#ifndef MCUTUNE_GRAPH_KERNELS_QUANTIZATION_H_
#define MCUTUNE_GRAPH_KERNELS_QUANTIZATION_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "graph/graph.h"

namespace mcutune::graph {

enum class RequantMode { kSingleRounding, kDoubleRounding };

// A real multiplier as multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)
// (or 0 for a zero / vanishing multiplier). `shift` > 0 means a left shift.
struct QuantizedMultiplier {
  int32_t multiplier = 0;
  int shift = 0;
};

// TFLite's QuantizeMultiplier: frexp, mantissa rounded to 31 bits. Multipliers
// so small that shift < -31 become zero (as in TFLite). Requires real >= 0.
QuantizedMultiplier QuantizeMultiplier(double real_multiplier);

// x * 2^-exponent rounded to nearest, ties away from zero (gemmlowp's
// RoundingDivideByPOT). 0 <= exponent <= 31.
inline int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// gemmlowp's SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties
// away from zero, saturating the single overflow case.
inline int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) {
    return std::numeric_limits<int32_t>::max();
  }
  const int64_t ab = int64_t{a} * int64_t{b};
  const int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  // Division truncating toward zero, as in gemmlowp.
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
}

// x * multiplier * 2^(shift-31) with one rounding, half up (toward +inf).
// Valid for shift in [-31, 30].
inline int32_t MultiplySingleRounding(int32_t x, int32_t multiplier,
                                      int shift) {
  const int total_shift = 31 - shift;
  const int64_t round = int64_t{1} << (total_shift - 1);
  return static_cast<int32_t>((int64_t{x} * multiplier + round) >>
                              total_shift);
}

// TFLite Micro / CMSIS-NN arithmetic: left shift (if any) before the high
// multiply, rounding right shift after it.
inline int32_t MultiplyDoubleRounding(int32_t x, int32_t multiplier,
                                      int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const int64_t shifted = int64_t{x} * (int64_t{1} << left);
  const int32_t clamped = static_cast<int32_t>(std::clamp<int64_t>(
      shifted, std::numeric_limits<int32_t>::min(),
      std::numeric_limits<int32_t>::max()));
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(clamped, multiplier), right);
}

template <RequantMode kMode>
inline int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier,
                                             int shift) {
  if constexpr (kMode == RequantMode::kSingleRounding) {
    return MultiplySingleRounding(x, multiplier, shift);
  } else {
    return MultiplyDoubleRounding(x, multiplier, shift);
  }
}

inline int32_t MultiplyByQuantizedMultiplier(int32_t x, QuantizedMultiplier m,
                                             RequantMode mode) {
  return mode == RequantMode::kSingleRounding
             ? MultiplySingleRounding(x, m.multiplier, m.shift)
             : MultiplyDoubleRounding(x, m.multiplier, m.shift);
}

// The int8 output range [min, max] left by a fused activation, as TFLite's
// CalculateActivationRangeQuantized computes it.
struct ActivationRange {
  int32_t min = -128;
  int32_t max = 127;
};
ActivationRange ComputeActivationRange(Activation activation, float scale,
                                       int32_t zero_point);


// Requantization of a row of per-channel int32 accumulators (conv,
// depthwise conv, fully connected), with the fused activation applied:
// out[c] = clamp(zp_out + acc[c] * M[c]). Built once per operator.
struct ChannelRequant {
  std::vector<float> scale;         // per channel (kSingleRounding)
  std::vector<int32_t> multiplier;  // per channel (kDoubleRounding)
  std::vector<int32_t> shift;       // per channel (kDoubleRounding)
  int32_t output_zero_point = 0;
  ActivationRange range;
  RequantMode mode = RequantMode::kSingleRounding;

  // Requantizes acc[0..channels) into out[0..channels).
  void Apply(const int32_t* acc, int8_t* out, int channels) const;
};

// Rounds v to the nearest integer, ties to even, for |v| < 2^22: adding and
// subtracting 1.5 * 2^23 leaves no fraction bits (XNNPACK's "magic bias").
// Vectorizes, unlike lrintf. Needs IEEE float semantics (no -ffast-math).
inline float RoundHalfEvenSmall(float v) {
  constexpr float kMagic = 12582912.0f;
  return (v + kMagic) - kMagic;
}

// fp32 requantization (the kSingleRounding form of the convolution-like
// operators and MEAN): round-half-even of (float)acc * scale after clamping
// to [lo - zp, hi - zp], plus zp.
inline int32_t RequantizeFloat(int32_t acc, float scale, int32_t zp,
                               int32_t lo, int32_t hi) {
  float v = static_cast<float>(acc) * scale;
  v = std::min(std::max(v, static_cast<float>(lo - zp)),
               static_cast<float>(hi - zp));
  return static_cast<int32_t>(RoundHalfEvenSmall(v)) + zp;
}

// Scales for ChannelRequant: s_in * s_w[c] / s_out, filter_scales holding one
// entry per channel or one for all. kSingleRounding evaluates it in float, as
// XNNPACK does. kDoubleRounding forms the fixed-point multiplier as TFLite
// Micro does: in double for convolutions; for fully connected s_in * s_w is
// first multiplied in float (`float_product`).
ChannelRequant MakeChannelRequant(float input_scale,
                                  const std::vector<float>& filter_scales,
                                  const Tensor& output, Activation activation,
                                  RequantMode mode, int channels,
                                  bool float_product);

}  // namespace mcutune::graph

#endif  // MCUTUNE_GRAPH_KERNELS_QUANTIZATION_H_
