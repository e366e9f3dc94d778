// Enumerate: the whole design space of one (graph, board, constraints).
//
//   Enumerate ─► PlanningContext ─► each CandidateFamily (candidate_family.h)
//                                     Candidates() ─► MakePlan() ─► Plan
//            ─► SpaceResult {plans, pareto indices, failures}
//
// A candidate whose planning fails is recorded in `failures` (its id and the
// status) and the enumeration goes on; plans that do not fit are kept
// (fits = false) when constraints.keep_unfit, dropped otherwise.
// Thread-safe.
#ifndef MCUTUNE_TUNER_SPACE_ENUMERATE_H_
#define MCUTUNE_TUNER_SPACE_ENUMERATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "tuner/space/board.h"
#include "tuner/space/plan.h"

namespace mcutune::space {

struct CandidateFailure {
  std::string candidate_id;
  absl::Status status;
};

struct SpaceResult {
  std::vector<Plan> plans;     // in family order, then candidate order
  std::vector<int> pareto;     // ParetoFront(plans)
  std::vector<CandidateFailure> failures;
  ExecutionOrder searched_order;  // result of the order search (or model)
};

// INVALID_ARGUMENT if the graph fails ValidateGraph.
absl::StatusOr<SpaceResult> Enumerate(const graph::Graph& graph,
                                      const BoardSpec& board,
                                      const Constraints& constraints = {});

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_ENUMERATE_H_
