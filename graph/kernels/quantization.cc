// QuantizeMultiplier and the fused-activation range, following TFLite's
// quantization_util and kernel_util.
#include "graph/kernels/quantization.h"

#include <cmath>
#include <limits>

namespace mcutune::graph {

QuantizedMultiplier QuantizeMultiplier(double real_multiplier) {
  QuantizedMultiplier result;
  if (!(real_multiplier > 0.0) || !std::isfinite(real_multiplier)) {
    return result;
  }
  int exponent = 0;
  const double mantissa = std::frexp(real_multiplier, &exponent);
  int64_t q = std::llround(mantissa * static_cast<double>(int64_t{1} << 31));
  if (q == (int64_t{1} << 31)) {
    q /= 2;
    ++exponent;
  }
  if (exponent < -31) return result;  // vanishing multiplier
  if (exponent > 30) {                  // saturate absurdly large ratios
    q = std::numeric_limits<int32_t>::max();
    exponent = 30;
  }
  result.multiplier = static_cast<int32_t>(q);
  result.shift = exponent;
  return result;
}

ActivationRange ComputeActivationRange(Activation activation, float scale,
                                       int32_t zero_point) {
  // real value f quantizes to zero_point + round(f / scale), f / scale in
  // float, ties away from zero (TfLiteRound).
  auto quantize = [&](float f) {
    return zero_point + static_cast<int32_t>(std::round(f / scale));
  };
  ActivationRange range;
  switch (activation) {
    case Activation::kNone:
      break;
    case Activation::kRelu:
      range.min = std::max(range.min, quantize(0.0f));
      break;
    case Activation::kRelu6:
      range.min = std::max(range.min, quantize(0.0f));
      range.max = std::min(range.max, quantize(6.0f));
      break;
    case Activation::kReluN1To1:
      range.min = std::max(range.min, quantize(-1.0f));
      range.max = std::min(range.max, quantize(1.0f));
      break;
  }
  return range;
}


namespace {

void ApplySingle(const ChannelRequant& r, const int32_t* acc, int8_t* out,
                 int channels) {
  const float* scale = r.scale.data();
  const int32_t zp = r.output_zero_point;
  const float lo = static_cast<float>(r.range.min - zp);
  const float hi = static_cast<float>(r.range.max - zp);
  for (int c = 0; c < channels; ++c) {
    float v = static_cast<float>(acc[c]) * scale[c];
    v = v < lo ? lo : (v > hi ? hi : v);
    out[c] = static_cast<int8_t>(static_cast<int32_t>(RoundHalfEvenSmall(v)) + zp);
  }
}

void ApplyDouble(const ChannelRequant& r, const int32_t* acc, int8_t* out,
                 int channels) {
  const int32_t* mult = r.multiplier.data();
  const int32_t* shift = r.shift.data();
  const int32_t zp = r.output_zero_point;
  const int32_t lo = r.range.min, hi = r.range.max;
  for (int c = 0; c < channels; ++c) {
    int32_t v = MultiplyDoubleRounding(acc[c], mult[c], shift[c]) + zp;
    v = v < lo ? lo : (v > hi ? hi : v);
    out[c] = static_cast<int8_t>(v);
  }
}

}  // namespace

void ChannelRequant::Apply(const int32_t* acc, int8_t* out,
                           int channels) const {
  if (mode == RequantMode::kSingleRounding) {
    ApplySingle(*this, acc, out, channels);
  } else {
    ApplyDouble(*this, acc, out, channels);
  }
}

ChannelRequant MakeChannelRequant(float input_scale,
                                  const std::vector<float>& filter_scales,
                                  const Tensor& output, Activation activation,
                                  RequantMode mode, int channels,
                                  bool float_product) {
  ChannelRequant r;
  r.mode = mode;
  r.output_zero_point = static_cast<int32_t>(output.quant.zero_point[0]);
  r.range = ComputeActivationRange(activation, output.quant.scale[0],
                                   r.output_zero_point);
  r.scale.resize(channels);
  r.multiplier.resize(channels);
  r.shift.resize(channels);
  const double out_scale = output.quant.scale[0];
  for (int c = 0; c < channels; ++c) {
    const float w = filter_scales.size() == 1 ? filter_scales[0]
                                              : filter_scales[c];
    r.scale[c] = input_scale * w / output.quant.scale[0];
    const double in_times_w =
        float_product ? static_cast<double>(input_scale * w)
                      : static_cast<double>(input_scale) * w;
    const QuantizedMultiplier q = QuantizeMultiplier(in_times_w / out_scale);
    r.multiplier[c] = q.multiplier;
    r.shift[c] = q.shift;
  }
  return r;
}

}  // namespace mcutune::graph
