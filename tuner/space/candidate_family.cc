// Planning context, the family registry and dispatch by strategy.
#include "tuner/space/candidate_family.h"

#include <algorithm>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tuner/space/execution_order.h"
#include "tuner/space/layerwise_planner.h"
#include "tuner/space/patch_planner.h"
#include "tuner/space/patch_skeleton.h"
#include "tuner/space/tinyops_planner.h"

namespace mcutune::space {

int64_t PlanningContext::sram_limit() const {
  const int64_t usable = board.usable_sram_bytes();
  return constraints.sram_budget > 0
             ? std::min(usable, constraints.sram_budget)
             : usable;
}

int64_t PlanningContext::flash_limit() const {
  const int64_t usable = board.usable_flash_bytes();
  return constraints.flash_budget > 0
             ? std::min(usable, constraints.flash_budget)
             : usable;
}

PlanningContext MakePlanningContext(const graph::Graph& graph,
                                    const BoardSpec& board,
                                    const Constraints& constraints) {
  PlanningContext ctx;
  ctx.graph = &graph;
  ctx.analysis = graph::Analyze(graph);
  ctx.patch_stage = AnalyzePatchStage(graph, ctx.analysis);
  ctx.has_patch_stage = true;
  ctx.patch_cache = MakePatchPlanCache(graph);
  ctx.board = board;
  ctx.constraints = constraints;
  ExecutionOrder model;
  model.ops.resize(graph.ops.size());
  std::iota(model.ops.begin(), model.ops.end(), 0);
  model.source = OrderSource::kModel;
  model.searched_peak_bytes =
      OrderPeakBytes(graph, model.ops, /*inplace_depthwise=*/true);
  if (constraints.search_execution_order) {
    OrderSearchOptions options;
    options.max_states = constraints.order_search_max_states;
    options.time_limit_s = constraints.order_search_time_limit_s;
    ExecutionOrder searched = FindExecutionOrder(graph, options);
    if (searched.ops == model.ops) {
      model.proven_optimal = searched.proven_optimal;
      ctx.orders.push_back(model);
    } else {
      ctx.orders.push_back(model);
      ctx.orders.push_back(std::move(searched));
    }
  } else {
    ctx.orders.push_back(model);
  }
  return ctx;
}

std::vector<std::unique_ptr<CandidateFamily>> AllCandidateFamilies() {
  std::vector<std::unique_ptr<CandidateFamily>> families;
  families.push_back(MakeLayerwiseFamily());
  // Patch / stream / hybrid and tinyops families register here.
  families.push_back(MakePatchFamily());
  families.push_back(MakeTinyOpsFamily());
  return families;
}

absl::StatusOr<Plan> PlanCandidate(const PlanningContext& ctx,
                                   const Candidate& candidate) {
  for (const auto& family : AllCandidateFamilies()) {
    if (family->Handles(candidate.strategy)) {
      return family->MakePlan(ctx, candidate);
    }
  }
  return absl::UnimplementedError(
      absl::StrCat("strategy '", StrategyName(candidate.strategy),
                   "' is not implemented yet"));
}

}  // namespace mcutune::space
