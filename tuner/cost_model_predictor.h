// The cost model (cost_model/) behind the tuner's Predictor and
// SearchStrategy seams.
//
//   Predictor::Fit(board, job measurements)
//     samples = the board kind's calibration samples (ModelStore) +
//               the job's measurements (weight job_weight, group = network)
//     ──► cost_model::CostModel::Fit ──► Predict(features) per candidate
//   job measurements are also added to the ModelStore (source "job"), so
//   the next job of the kind starts from a better model.
//   SearchStrategy::NextBatch ──► cost_model::SelectBatch per board kind
//     (exploit the predicted front, explore the widest plausible intervals)
//
// Features need full plans (steps): the job hands a PlanSource that re-plans
// a candidate with details; features are cached per (board, candidate).
// With fewer than two samples for a board kind the predictor answers like
// MakeLinearPredictor (MAC ranking, unit "macs") and the strategy falls back
// to MakeFrontierSearch for that kind.
// Thread-compatibility: one instance per job.
#ifndef MCUTUNE_TUNER_COST_MODEL_PREDICTOR_H_
#define MCUTUNE_TUNER_COST_MODEL_PREDICTOR_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "tuner/predictor.h"
#include "tuner/search_strategy.h"

namespace mcutune::cost_model {
class ModelStore;
}

namespace mcutune::tuner {

struct CostModelPredictorOptions {
  cost_model::ModelStore* store = nullptr;  // prior samples; may be null
  std::string network;     // the job's model name (sample group)
  std::string model_hash;  // SHA-256 of the .tflite (sample identity)
  double job_weight = 4;
  bool record_samples = true;  // add job measurements to the store
};

std::unique_ptr<Predictor> MakeCostModelPredictor(
    const graph::Graph& graph, PlanSource plans,
    const CostModelPredictorOptions& options);

// cost_model::SelectBatch per board kind (batch slots shared round-robin);
// boards whose predictions are not in the measured unit use
// MakeFrontierSearch(fallback). Stops after `fallback.patience` rounds
// without a front change, like the frontier search.
std::unique_ptr<SearchStrategy> MakeCostModelSelection(
    const FrontierSearchOptions& fallback);

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_COST_MODEL_PREDICTOR_H_
