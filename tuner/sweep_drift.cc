// Drift rules (sweep_drift.h). Messages are written for the report: they
// say what was compared, by how much it moved and what the band was.
#include "tuner/sweep_drift.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace mcutune::tuner {
namespace {

std::string Percent(double fraction) {
  return absl::StrFormat("%.1f%%", fraction * 100);
}

std::string Severity(double ratio, double band) {
  return ratio > 1 + std::max(0.10, 3 * band) ? "critical" : "warning";
}

}  // namespace

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double RelativeSpread(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double med = Median(values);
  if (!(med > 0)) return 0;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return (*hi - *lo) / med;
}

double NoiseBand(double spread_a, double spread_b, const DriftOptions& o) {
  return std::max(o.noise_floor,
                  o.spread_factor * std::max(spread_a, spread_b));
}

std::optional<SweepAlert> FrontRegression(const SweepPoint& previous,
                                          const SweepPoint& current,
                                          const DriftOptions& o) {
  if (previous.unit != current.unit || !(previous.latency > 0) ||
      !(current.latency > 0)) {
    return std::nullopt;
  }
  const double ratio = current.latency / previous.latency;
  const double band = NoiseBand(previous.spread, current.spread, o);
  if (!(ratio > 1 + band)) return std::nullopt;
  SweepAlert a;
  a.kind = "front_regression";
  a.severity = Severity(ratio, band);
  a.key = current.key;
  a.candidate = current.candidate;
  a.previous = previous.latency;
  a.current = current.latency;
  a.ratio = ratio;
  a.band = band;
  a.unit = current.unit;
  const bool same = !current.artifact_sha256.empty() &&
                    current.artifact_sha256 == previous.artifact_sha256;
  a.message = absl::StrFormat(
      "%s on %s is %s slower than in run %s (%.0f -> %.0f %s; noise band "
      "%s): %s",
      current.candidate, current.key, Percent(ratio - 1), previous.run_id,
      previous.latency, current.latency, current.unit, Percent(band),
      same ? "same firmware, so the board changed (see board_shift)"
           : "new firmware (code, toolchain or plan changed)");
  return a;
}

std::optional<SweepAlert> BoardShift(
    const std::string& board_kind,
    const std::vector<std::pair<SweepPoint, SweepPoint>>& pairs,
    const DriftOptions& o) {
  std::vector<double> ratios, bands;
  for (const auto& [prev, cur] : pairs) {
    if (prev.unit != cur.unit || !(prev.latency > 0) || !(cur.latency > 0))
      continue;
    ratios.push_back(cur.latency / prev.latency);
    bands.push_back(NoiseBand(prev.spread, cur.spread, o));
  }
  if (static_cast<int>(ratios.size()) < std::max(1, o.min_board_pairs)) {
    return std::nullopt;
  }
  const double ratio = Median(ratios);
  const double band = Median(bands);
  if (!(std::abs(ratio - 1) > band)) return std::nullopt;
  SweepAlert a;
  a.kind = "board_shift";
  a.board_kind = board_kind;
  a.severity = ratio < 1 ? "info" : Severity(ratio, band);
  a.previous = 1;
  a.current = ratio;
  a.ratio = ratio;
  a.band = band;
  a.unit = pairs.front().second.unit;
  a.message = absl::StrFormat(
      "board kind %s measures the same firmware %s %s than before (median "
      "ratio %.3f over %d re-measured artifacts; noise band %s)",
      board_kind, Percent(std::abs(ratio - 1)), ratio > 1 ? "slower" : "faster",
      ratio, static_cast<int>(ratios.size()), Percent(band));
  return a;
}

std::optional<SweepAlert> CostModelErrorGrowth(
    const std::string& board_kind, int version, double mape, double reference,
    const std::string& reference_what, const DriftOptions& o) {
  if (mape < 0 || reference < 0) return std::nullopt;
  const double allowed =
      reference +
      std::max(o.cost_model_abs_growth, o.cost_model_rel_growth * reference);
  if (!(mape > allowed)) return std::nullopt;
  SweepAlert a;
  a.kind = "cost_model_error";
  a.severity = "warning";
  a.board_kind = board_kind;
  a.previous = reference;
  a.current = mape;
  a.ratio = reference > 0 ? mape / reference : 0;
  a.band = allowed - reference;
  a.unit = "mape";
  a.message = absl::StrFormat(
      "cost model v%d of %s: MAPE %s on this run's measurements, up from %s "
      "(%s; allowed up to %s)",
      version, board_kind, Percent(mape), Percent(reference), reference_what,
      Percent(allowed));
  return a;
}

}  // namespace mcutune::tuner
