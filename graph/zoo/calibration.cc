// Calibration statistics and output quantization (rules in calibration.h).
// Percentiles use nth_element on a copy: exact and deterministic.
#include "graph/zoo/calibration.h"

#include <algorithm>
#include <cmath>

namespace mcutune::graph::zoo {
namespace {

constexpr double kLowPercentile = 0.001;
constexpr double kHighPercentile = 0.999;
constexpr size_t kFewValues = 4096;

float Percentile(std::vector<float> v, double p) {
  if (v.empty()) return 0.0f;
  const size_t k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

}  // namespace

ChannelStats ChannelStatsOf(const std::vector<FloatMap>& samples) {
  const int c = samples[0].c;
  std::vector<double> sum(c, 0.0), sq(c, 0.0);
  size_t n = 0;
  for (const FloatMap& m : samples) {
    for (size_t i = 0; i < m.v.size(); ++i) {
      sum[i % c] += m.v[i];
      sq[i % c] += static_cast<double>(m.v[i]) * m.v[i];
    }
    n += m.v.size() / c;
  }
  ChannelStats st{std::vector<double>(c), std::vector<double>(c)};
  for (int ch = 0; ch < c; ++ch) {
    st.mean[ch] = sum[ch] / n;
    st.stddev[ch] =
        std::sqrt(std::max(0.0, sq[ch] / n - st.mean[ch] * st.mean[ch]));
  }
  return st;
}

float ApplyActivation(Activation act, float x) {
  switch (act) {
    case Activation::kRelu:
      return std::max(x, 0.0f);
    case Activation::kRelu6:
      return std::min(std::max(x, 0.0f), 6.0f);
    case Activation::kReluN1To1:
      return std::min(std::max(x, -1.0f), 1.0f);
    case Activation::kNone:
      break;
  }
  return x;
}

Quantization CalibrateActivation(std::vector<FloatMap>* samples,
                                 Activation act) {
  std::vector<float> all;
  for (FloatMap& m : *samples) {
    for (float& x : m.v) x = ApplyActivation(act, x);
    all.insert(all.end(), m.v.begin(), m.v.end());
  }
  float lo = std::min(0.0f, Percentile(all, kLowPercentile));
  float hi = std::max(0.0f, Percentile(all, kHighPercentile));
  if (!all.empty() && all.size() < kFewValues) {
    const auto [mn, mx] = std::minmax_element(all.begin(), all.end());
    const float margin = 0.25f * (*mx - *mn);
    lo = std::min(0.0f, *mn - margin);
    hi = std::max(0.0f, *mx + margin);
  }
  if (act == Activation::kRelu6) hi = std::min(hi, 6.0f);
  if (act == Activation::kRelu || act == Activation::kRelu6) lo = 0.0f;
  if (hi - lo < 1e-6f)
    hi = lo + 1e-6f;  // a dead layer still gets a valid scale
  Quantization q;
  const float scale = (hi - lo) / 255.0f;
  q.scale = {scale};
  const long zp = std::lround(-128.0 - static_cast<double>(lo) / scale);
  q.zero_point = {std::min(127L, std::max(-128L, zp))};
  FakeQuantize(samples, q);
  return q;
}

void FakeQuantize(std::vector<FloatMap>* samples, const Quantization& q) {
  const float s = q.scale[0];
  const float zp = static_cast<float>(q.zero_point[0]);
  for (FloatMap& m : *samples) {
    for (float& x : m.v) {
      const float v =
          std::min(127.0f, std::max(-128.0f, std::round(x / s) + zp));
      x = (v - zp) * s;
    }
  }
}

}  // namespace mcutune::graph::zoo
