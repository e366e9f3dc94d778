// Active selection: which candidates of a tuning job to measure next.
//
//   job candidates + predictions ──SelectBatch──► batch to build and measure
//        ▲                                             │
//        └── ActiveSearch::Record + Refit ◄─ measured ─┘   (repeat until the
//                                                          batch is empty)
//
// SelectBatch (one round):
//   1. latency L = measured count when measured, else the predicted mean;
//      the predicted Pareto front over (L, peak SRAM, flash) of all
//      candidates;
//   2. exploit: unmeasured front members, fastest first, up to
//      batch_size - explore slots;
//   3. explore: the "plausible" unmeasured candidates — those that no front
//      member beats for certain (a front member with <= SRAM and flash whose
//      pessimistic latency, measured or upper bound, is below the
//      candidate's lower bound) — with the widest relative intervals first;
//      explore slots left unused by exploit-less rounds are filled too.
//   The batch is empty when every plausible candidate is measured: the
//   measured front can no longer change given the model's intervals.
// ActiveSearch wraps the loop for the tuner: it fits on the board kind's
// calibration samples, and refits with the job's own measurements added
// (weighted job_weight, grouped under the job's network) after each batch.
//
// Thread-safety: SelectBatch is a pure function; an ActiveSearch is used by
// one thread at a time. Call order: NextBatch, Record each result, Refit,
// NextBatch, ...
#ifndef MCUTUNE_COST_MODEL_ACTIVE_SELECTION_H_
#define MCUTUNE_COST_MODEL_ACTIVE_SELECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cost_model/cost_model.h"

namespace mcutune::cost_model {

struct SelectionCandidate {
  Prediction latency;              // ignored once measured
  std::optional<double> measured;  // count per inference
  int64_t peak_sram_bytes = 0;
  int64_t flash_bytes = 0;
};

struct SelectionOptions {
  int batch_size = 4;
  // Batch slots reserved for exploration (at least 1 when batch_size >= 2,
  // none when batch_size is 1).
  double explore_fraction = 0.25;
};

// Indices into `candidates` to measure next (distinct, unmeasured; exploit
// picks first, then explore picks).
std::vector<int> SelectBatch(const std::vector<SelectionCandidate>& candidates,
                             const SelectionOptions& options = {});

struct SearchCandidate {
  std::string id;
  FeatureVector features;
  int64_t peak_sram_bytes = 0;
  int64_t flash_bytes = 0;
};

struct ActiveSearchOptions {
  CostModelOptions model;
  SelectionOptions selection;
  // Weight of the job's own measurements relative to a calibration sample.
  double job_weight = 4;
};

class ActiveSearch {
 public:
  // `prior`: the board kind's calibration samples; `network`: the job's
  // network name (its samples' group). Fits on `prior` and predicts every
  // candidate; the fit's error (e.g. too few samples) otherwise.
  static absl::StatusOr<std::unique_ptr<ActiveSearch>> Create(
      std::vector<Sample> prior, std::vector<SearchCandidate> candidates,
      std::string network, ActiveSearchOptions options = {});

  std::vector<int> NextBatch() const;
  // INVALID_ARGUMENT for an index out of range or a count that is not > 0.
  absl::Status Record(int candidate, double measured);
  // Refits on prior + recorded measurements and re-predicts.
  absl::Status Refit();

  const std::vector<Prediction>& predictions() const { return predictions_; }
  int measured_count() const { return measured_count_; }
  // The fastest measured candidate so far.
  std::optional<int> best_measured() const;

 private:
  ActiveSearch() = default;
  void Predict();

  std::vector<Sample> prior_;
  std::vector<SearchCandidate> candidates_;
  std::string network_;
  ActiveSearchOptions options_;
  std::unique_ptr<CostModel> model_;
  std::vector<std::optional<double>> measured_;
  std::vector<Prediction> predictions_;
  int measured_count_ = 0;
};

// Replays ActiveSearch on a network whose candidates were all measured
// (`job`; e.g. calibration samples): prior = `prior`, measurements revealed
// batch by batch. Returns how many measurements it took until a
// measured-best candidate of `job` was measured, counting whole batches
// (job.size() + 1 if never).
absl::StatusOr<int> MeasurementsToBest(const std::vector<Sample>& prior,
                                       const std::vector<Sample>& job,
                                       const ActiveSearchOptions& options = {});

// Expected measurements until the best is measured when measuring in random
// order: (n + 1) / (b + 1) for n candidates of which b tie for the best.
double RandomMeasurementsToBest(const std::vector<Sample>& job);

}  // namespace mcutune::cost_model

#endif  // MCUTUNE_COST_MODEL_ACTIVE_SELECTION_H_
