// Layer-wise planning: one kernel call per operator on whole tensors, in a
// given execution order, with optional in-place depthwise convolution and a
// static arena placed by PlanArena.
//
//   step s = order[s]; buffers = activation tensors (graph inputs live from
//   step 0, outputs to the last step); an in-place depthwise output aliases
//   its input (one output channel of temporary as kernel scratch); RESHAPE
//   outputs alias their input (no copy is emitted).
//
// Metrics: MACs from graph/analysis.h; macs_patch_stage = macs_recomputed
// = 0; kernel scratch = max over steps of KernelScratchBytes (plan_metrics.h);
// reference_arena_bytes = ReferenceLayerwiseArena on the same order.
#ifndef MCUTUNE_TUNER_SPACE_LAYERWISE_PLANNER_H_
#define MCUTUNE_TUNER_SPACE_LAYERWISE_PLANNER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/plan.h"

namespace mcutune::space {

// Plans a kLayerwise candidate. INVALID_ARGUMENT if the candidate is not
// layer-wise or its order is not a topological order of the graph.
absl::StatusOr<Plan> PlanLayerwise(const PlanningContext& ctx,
                                   const Candidate& candidate);

// The layer-wise family: one candidate per distinct execution order of the
// context x in-place depthwise on/off (off only when some depthwise operator
// could run in place).
std::unique_ptr<CandidateFamily> MakeLayerwiseFamily();

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_LAYERWISE_PLANNER_H_
