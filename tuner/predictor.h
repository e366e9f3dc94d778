// Predictor: the tuning loop's view of the cost model.
//
//   TuneJob ── Fit(board, measured so far) ──► Predictor
//           ── Predict(board, unmeasured plans) ──► latency + interval
//           ──► SearchStrategy ranks and prunes with them
//
// The loop only needs "how fast will this plan run on this board kind, and
// how sure are you": a point estimate and an interval in the unit the farm
// measures for the kind (instructions on QEMU, cycles on silicon). Before
// the first fit a predictor may answer in another unit (e.g. "macs"): the
// strategy then only ranks by it and never prunes against measured values.
//
// Implementations: MakeLinearPredictor (least squares on plan metrics, the
// fallback and the test double) and MakeCostModelPredictor over cost_model/
// (cost_model_predictor.h).
// Thread-compatibility: one Predictor per job (not shared between threads).
#ifndef MCUTUNE_TUNER_PREDICTOR_H_
#define MCUTUNE_TUNER_PREDICTOR_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "tuner/space/board.h"
#include "tuner/space/plan.h"

namespace mcutune::tuner {

struct Prediction {
  double latency = 0;  // per inference, in `unit`
  double low = 0;      // the interval the predictor believes in
  double high = 0;
  std::string unit;   // "instructions" | "cycles" | "macs" (unfitted)
  std::string model;  // which predictor, e.g. "linear-v1"
};

struct Observation {
  const space::Plan* plan = nullptr;  // metrics at least (details optional)
  double latency = 0;                 // measured per inference
  std::string unit;                   // of the measurement
};

class Predictor {
 public:
  virtual ~Predictor() = default;
  // Refits on every measurement of `board` so far (called with the whole
  // set each round, not increments). INVALID_ARGUMENT on mixed units.
  virtual absl::Status Fit(const space::BoardSpec& board,
                           const std::vector<Observation>& observations) = 0;
  // One prediction per plan, same order. Never fails: without a fit the
  // answer is a MAC-based ranking in unit "macs".
  virtual std::vector<Prediction> Predict(
      const space::BoardSpec& board,
      const std::vector<const space::Plan*>& plans) const = 0;
};

// Re-plans `candidate` for `board` with steps and buffers (what feature
// extraction needs; the loop keeps metrics-only plans).
using PlanSource = std::function<absl::StatusOr<space::Plan>(
    const space::BoardSpec& board, const space::Candidate& candidate)>;

// Per board kind: latency ≈ a·MACs + b·kernel calls + c·external-memory
// bytes + d, fitted by ridge-regularised least squares on the observations;
// the interval is ±(2·RMS residual + 10 %). With one observation only the
// MAC rate is fitted.
std::unique_ptr<Predictor> MakeLinearPredictor();

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_PREDICTOR_H_
