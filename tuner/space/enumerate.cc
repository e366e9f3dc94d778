// Enumerate: validate, build the context once, run every family.
#include "tuner/space/enumerate.h"

#include <utility>

#include "tuner/space/candidate_family.h"
#include "tuner/space/pareto.h"
#include "tuner/space/plan_metrics.h"

namespace mcutune::space {

absl::StatusOr<SpaceResult> Enumerate(const graph::Graph& graph,
                                      const BoardSpec& board,
                                      const Constraints& constraints) {
  if (absl::Status s = graph::ValidateGraph(graph); !s.ok()) return s;
  if (graph.ops.empty()) {
    return absl::InvalidArgumentError("graph has no operators");
  }
  const PlanningContext ctx = MakePlanningContext(graph, board, constraints);
  SpaceResult result;
  result.searched_order = ctx.orders.back();
  for (const auto& family : AllCandidateFamilies()) {
    for (const Candidate& c : family->Candidates(ctx)) {
      absl::StatusOr<Plan> plan = family->MakePlan(ctx, c);
      if (!plan.ok()) {
        result.failures.push_back({c.Id(), plan.status()});
        continue;
      }
      if (!plan->metrics.fits && !constraints.keep_unfit) continue;
      if (!constraints.keep_plan_details) DropPlanDetails(&*plan);
      result.plans.push_back(*std::move(plan));
    }
  }
  result.pareto = ParetoFront(result.plans);
  return result;
}

}  // namespace mcutune::space
