// A candidate family: one strategy (or a few related ones) of the design
// space, able to list its candidates and plan each of them.
//
//   Enumerate(graph, board, constraints)                     (enumerate.h)
//     ├─ PlanningContext: graph, analysis, board, limits, execution orders
//     └─ for each family of AllCandidateFamilies():
//          Candidates(ctx) ──► [Candidate] ──MakePlan(ctx, c)──► Plan
//
// Families: layer-wise (layerwise_planner.h), patch/stream/hybrid and tinyops
// (added by their planners). A family is registered by adding its factory to
// AllCandidateFamilies() in candidate_family.cc.
//
// Contract for implementations:
// - Candidates() is cheap (no planning) and deterministic; every returned
//   Candidate has a distinct Id() within the family.
// - MakePlan() returns a complete Plan: steps, buffers with offsets (SRAM
//   arena placed with PlanArena of arena_planner.h), the MemoryBreakdown and
//   the Metrics, finished with FinishPlan() (plan_metrics.h) so flash, fit
//   and peak are computed the same way for every family. The Plan must pass
//   CheckMemoryPlan() (plan_checker.h).
//   INVALID_ARGUMENT when the candidate's parameters are impossible for the
//   graph (e.g. split_idx past the last operator), UNIMPLEMENTED for
//   strategies the family does not plan. A plan that does not fit the board
//   is NOT an error: it is returned with metrics.fits = false.
// - Implementations are stateless and thread-safe.
#ifndef MCUTUNE_TUNER_SPACE_CANDIDATE_FAMILY_H_
#define MCUTUNE_TUNER_SPACE_CANDIDATE_FAMILY_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/analysis.h"
#include "graph/graph.h"
#include "tuner/space/board.h"
#include "tuner/space/patch_geometry.h"
#include "tuner/space/plan.h"

namespace mcutune::space {

class PatchPlanCache;  // patch_skeleton.h

// Everything a family needs, computed once per Enumerate() call.
struct PlanningContext {
  const graph::Graph* graph = nullptr;  // validated; outlives the context
  graph::Analysis analysis;             // Analyze(*graph), model order
  BoardSpec board;
  Constraints constraints;
  // Distinct execution orders worth planning, model order first, then the
  // searched one when it differs (ExecutionOrder::ops never empty here).
  std::vector<ExecutionOrder> orders;
  // AnalyzePatchStage(*graph, analysis), computed once by
  // MakePlanningContext (has_patch_stage); planners recompute it when a
  // context was assembled by hand.
  PatchStageInfo patch_stage;
  bool has_patch_stage = false;
  // Work the patch family shares between candidates of this context
  // (patch_skeleton.h), made by MakePlanningContext; thread-safe, only a
  // memo: planners compute everything themselves when it is null. Copies
  // of the context share it: a copy may change the board and constraints
  // but must keep the graph and analysis.
  std::shared_ptr<PatchPlanCache> patch_cache;

  // Effective limits: the constraint when set, else the board's usable size.
  int64_t sram_limit() const;
  int64_t flash_limit() const;
};

// Builds a context: analysis, and (when constraints.search_execution_order)
// the execution-order search of execution_order.h.
PlanningContext MakePlanningContext(const graph::Graph& graph,
                                    const BoardSpec& board,
                                    const Constraints& constraints);

class CandidateFamily {
 public:
  virtual ~CandidateFamily() = default;
  // Short name for logs and errors, e.g. "layerwise".
  virtual std::string_view name() const = 0;
  // True if MakePlan() plans candidates of `strategy`.
  virtual bool Handles(Strategy strategy) const = 0;
  virtual std::vector<Candidate> Candidates(
      const PlanningContext& ctx) const = 0;
  virtual absl::StatusOr<Plan> MakePlan(const PlanningContext& ctx,
                                        const Candidate& candidate) const = 0;
};

// Every registered family, in a fixed order (layer-wise first).
std::vector<std::unique_ptr<CandidateFamily>> AllCandidateFamilies();

// Plans `candidate` with the family that handles its strategy. UNIMPLEMENTED
// when no registered family handles it.
absl::StatusOr<Plan> PlanCandidate(const PlanningContext& ctx,
                                   const Candidate& candidate);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_CANDIDATE_FAMILY_H_
