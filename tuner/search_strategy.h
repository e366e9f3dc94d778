// SearchStrategy: which candidates the tuning loop builds and measures next.
//
//   pool (every fitting candidate of the job: prediction, planned memory,
//         measured latency when done)
//     ──NextBatch(pool, max)──► indices to build + measure this round
//     ... build, verify, measure, store, refit ...
//     ──NotifyResults(batch, front_changed)──►
//   NextBatch returns nothing when no candidate could still join the
//   measured Pareto front, or the front has not changed for `patience`
//   rounds: the job then ends (the measurement budget is the loop's other
//   stop).
//
// Objectives: measured latency plus the job's other objectives (planned peak
// SRAM, flash), which are known before measuring. Fronts are per board kind
// (latencies of different kinds are not comparable).
// MakeFrontierSearch is the default (optimistic pruning + predicted-front
// exploitation + seeded exploration, below); the cost model's own active
// selection plugs in behind the same interface.
// Thread-compatibility: one strategy per job.
#ifndef MCUTUNE_TUNER_SEARCH_STRATEGY_H_
#define MCUTUNE_TUNER_SEARCH_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tuner/predictor.h"

namespace mcutune::tuner {

struct PoolEntry {
  std::string board_kind;
  bool done = false;      // measured, or failed to build / verify / measure
  bool measured = false;  // done with a valid latency
  double latency = 0;     // measured per inference (when measured)
  std::string unit;       // of `latency`
  Prediction predicted;   // for entries not done
  // The objectives other than latency (smaller is better), same order for
  // every entry: e.g. {peak SRAM, flash}.
  std::vector<double> other_objectives;
};

class SearchStrategy {
 public:
  virtual ~SearchStrategy() = default;
  // At most `max` distinct indices of entries with done == false.
  virtual std::vector<int> NextBatch(const std::vector<PoolEntry>& pool,
                                     int max) = 0;
  virtual void NotifyResults(const std::vector<int>& batch,
                             bool front_changed) = 0;
};

struct FrontierSearchOptions {
  uint64_t seed = 1;
  // Share of each batch drawn at random from the still-promising candidates.
  double explore_fraction = 0.25;
  // Rounds without a change of the measured front before stopping.
  int patience = 3;
};

// - promising: not done, and its optimistic point (predicted low latency
//   when the prediction is in the measured unit, else -inf; its other
//   objectives) is not dominated by a measured point of its board kind;
// - exploitation: per board, the predicted Pareto front of the promising
//   entries, taken alternately from its fastest and its smallest end, then
//   the rest by predicted latency; boards served round-robin;
// - exploration: floor(max * explore_fraction) uniform picks among the
//   promising entries left (std::mt19937_64 seeded with `seed`).
std::unique_ptr<SearchStrategy> MakeFrontierSearch(
    const FrontierSearchOptions& options);

// a dominates b: no worse in every objective and better in one.
bool Dominates(const std::vector<double>& a, const std::vector<double>& b);
// Per board kind, whether each point is on the Pareto front of the points
// of its kind (equal points are all kept). `include[i]` false excludes a
// point (neither on the front nor dominating).
std::vector<bool> ParetoMask(const std::vector<std::string>& board_kinds,
                             const std::vector<std::vector<double>>& objectives,
                             const std::vector<bool>& include);

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_SEARCH_STRATEGY_H_
