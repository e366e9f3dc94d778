// A sweep run's cost-model step, per board kind (sweep_runner.h):
//
//   the run's points (measured latency per candidate)
//     ── features: the newest stored sample of (kind, model, candidate)
//        (every measured job candidate has one: tuner/cost_model_predictor.h)
//     ── MAPE of the version the run started with on them
//        vs the reference: the previous sweep run's MAPE of this kind (the
//        refit's in-sample MAPE when it refitted) and the MAPE of the version
//        before on the same points ──► cost_model_error alerts
//     ── added as samples (source "sweep", artifact hash, toolchain)
//     ── refit on the kind's newest samples when a point is new information
//        (no sample of it in the version's fit, or a value outside the noise
//        band of the one there) ──► a new "linear" version; old ones stay
// Thread-compatible (one call per run and kind).
#ifndef MCUTUNE_TUNER_SWEEP_COST_MODEL_H_
#define MCUTUNE_TUNER_SWEEP_COST_MODEL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner/sweep_definition.h"
#include "tuner/sweep_store.h"

namespace mcutune::cost_model {
class ModelStore;
}

namespace mcutune::tuner {

struct SweepSamplePoint {
  SweepPoint point;
  std::string model_name;
  std::string model_hash;
};

struct SweepCostOutcome {
  SweepCostRow row;
  std::vector<SweepAlert> alerts;  // kind "cost_model_error"
};

// `version_used` is the kind's newest "linear" version when the run started
// (0 = none); `previous` the sweep's previous cost row of the kind.
absl::StatusOr<SweepCostOutcome> UpdateSweepCostModel(
    cost_model::ModelStore& store, const std::string& board_kind,
    int version_used, const std::vector<SweepSamplePoint>& points,
    const std::optional<SweepCostRow>& previous, const std::string& toolchain,
    const std::string& note, const DriftOptions& drift);

// The newest "linear" version of a kind (0 when none or on error).
int LatestCostModelVersion(cost_model::ModelStore* store,
                           const std::string& board_kind);

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_SWEEP_COST_MODEL_H_
