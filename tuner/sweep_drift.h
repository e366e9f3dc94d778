// Drift detection of nightly sweeps: is a measurement of this run really
// different from the same thing measured before, or is it noise?
//
//   repeats of one firmware ──RelativeSpread──► spread = (max - min) / median
//   two measurements ──NoiseBand──► band = max(noise_floor,
//                                      spread_factor * max(spread_a, spread_b))
//   previous point, current point (same item, same candidate)
//        ──FrontRegression──► alert when current / previous > 1 + band
//   same-artifact pairs of one board kind (same firmware measured again)
//        ──BoardShift──► alert when |median ratio - 1| > median band
//   cost model MAPE on this run's measurements vs its reference
//        ──CostModelErrorGrowth──► alert when MAPE > reference +
//                                   max(abs_growth, rel_growth * reference)
//
// The band comes from the measured spread of repeats because boards differ:
// QEMU counts instructions (spread 0, so the floor decides: default 2%),
// silicon with caches and interrupts varies run to run. A regression of a
// point whose artifact is unchanged is the board's doing (see BoardShift);
// with a new artifact it is the code's or the toolchain's.
// Severity: "critical" beyond 1 + max(10%, 3 * band), else "warning";
// a board that got faster is "info".
// Pure functions; thread-safe.
#ifndef MCUTUNE_TUNER_SWEEP_DRIFT_H_
#define MCUTUNE_TUNER_SWEEP_DRIFT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tuner/sweep_definition.h"
#include "tuner/sweep_store.h"

namespace mcutune::tuner {

double Median(std::vector<double> values);  // 0 for none
// (max - min) / median of positive values; 0 for fewer than two.
double RelativeSpread(const std::vector<double>& values);
double NoiseBand(double spread_a, double spread_b, const DriftOptions& options);

// An alert (kind "front_regression", key/candidate/unit from `current`)
// when `current` is slower than `previous` beyond the band; nullopt when
// within it, faster, or in another unit.
std::optional<SweepAlert> FrontRegression(const SweepPoint& previous,
                                          const SweepPoint& current,
                                          const DriftOptions& options);

// Pairs (previous, current) of the same artifact measured on one board kind.
// An alert (kind "board_shift") when at least min_board_pairs pairs agree
// on a shift beyond the band; nullopt otherwise.
std::optional<SweepAlert> BoardShift(
    const std::string& board_kind,
    const std::vector<std::pair<SweepPoint, SweepPoint>>& pairs,
    const DriftOptions& options);

// An alert (kind "cost_model_error") when `mape` grew beyond the allowed
// growth over `reference` (both fractions, e.g. 0.08; negative = unknown,
// never an alert).
std::optional<SweepAlert> CostModelErrorGrowth(
    const std::string& board_kind, int version, double mape, double reference,
    const std::string& reference_what, const DriftOptions& options);

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_SWEEP_DRIFT_H_
