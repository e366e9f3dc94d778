// Which candidates of a network to measure for calibration.
//
//   Enumerate(graph, board) ──fitting plans──► SelectCalibrationSet(n) ──► ids
//
// A calibration set should exercise every cost the model has a feature for
// (kernel classes, in-place depthwise, patch-stage calls and recomputation,
// stream copies, DMA) at modest cost, and hold enough near-optimal
// candidates that ranking them is a real test. Deterministic:
//   1. "layerwise" and "layerwise-noip" (in-place vs out-of-place depthwise)
//      when they fit and layerwise is allowed;
//   2. the rest of the quota round-robin over the non-empty families, in the
//      order stream2d, patch, stream1d, hybrid, tinyops, layerwise (other
//      execution orders);
//   3. inside a family, candidates sorted by (split_idx, n_patch, id) and
//      picked evenly spaced, so small and large patch grids and splits are
//      both represented.
// Thread-safe (pure function).
#ifndef MCUTUNE_COST_MODEL_CALIBRATION_SET_H_
#define MCUTUNE_COST_MODEL_CALIBRATION_SET_H_

#include <set>
#include <vector>

#include "tuner/space/plan.h"

namespace mcutune::cost_model {

// Indices into `plans` (ascending) of at most `n` fitting plans whose
// strategy is in `strategies` (empty = every strategy) and that make at most
// `max_kernel_calls` kernel calls (0 = no limit): generated code is
// straight-line, so its build time grows faster than linearly with the
// calls, and deep splits on fine grids (thousands of calls) would dominate
// a calibration run.
std::vector<int> SelectCalibrationSet(
    const std::vector<space::Plan>& plans, int n,
    const std::set<space::Strategy>& strategies = {},
    int64_t max_kernel_calls = 0);

}  // namespace mcutune::cost_model

#endif  // MCUTUNE_COST_MODEL_CALIBRATION_SET_H_
