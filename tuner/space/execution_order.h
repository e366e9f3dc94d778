// Execution-order search: the topological order of a branched graph that
// minimises the peak of live activation bytes (EXEC_ORDER.md).
//
// On a chain there is one order; on branched graphs (inception blocks, long
// skips, several heads) the order decides which tensors are alive together.
//
//   Graph ──FindExecutionOrder──► ExecutionOrder {ops, source, proven}
//
// Algorithm (execution_order.cc): depth-first branch and bound over the sets
// of executed operators, memoised on the executed set (the live set is a
// function of it) with the best peak that reached it, pruned by the best
// complete order found so far (seeded with the better of the model order
// and a greedy order). Past `max_states` memo entries or `time_limit_s` the
// search stops and returns the best order found (proven_optimal = false).
//
// Memory model (the same as the layer-wise planner): a tensor is live from
// its producer (graph inputs: from the start) to its last consumer (graph
// outputs: to the end); during an operator its inputs, outputs and all other
// live tensors count; with in-place depthwise (multiplier 1, channels in ==
// out, the operator is the last consumer of its input which is not a graph
// output) the output shares the input's storage; so does a RESHAPE output
// (see RunsInPlace).
// Thread-safe.
#ifndef MCUTUNE_TUNER_SPACE_EXECUTION_ORDER_H_
#define MCUTUNE_TUNER_SPACE_EXECUTION_ORDER_H_

#include <cstdint>
#include <vector>

#include "graph/graph.h"
#include "tuner/space/plan.h"

namespace mcutune::space {

struct OrderSearchOptions {
  bool inplace_depthwise = true;
  int64_t max_states = 2'000'000;  // memo entries before giving up
  double time_limit_s = 2.0;
};

// Peak live bytes of `order` (empty = model order) under the model above.
// Requires a topological order of a validated graph.
int64_t OrderPeakBytes(const graph::Graph& graph, const std::vector<int>& order,
                       bool inplace_depthwise);

// True if `order` is a permutation of the operators respecting every
// producer -> consumer edge.
bool IsTopologicalOrder(const graph::Graph& graph,
                        const std::vector<int>& order);

// True if the operator at position `pos` of `order` (empty = model order)
// writes its output into its input's storage: RESHAPE always (a no-op), and
// with `inplace_depthwise` a DEPTHWISE_CONV_2D with multiplier 1 and channels
// in == out. Both only when the operator is the last consumer of its input
// and the input is not a graph output.
bool RunsInPlace(const graph::Graph& graph, const std::vector<int>& order,
                 int pos, bool inplace_depthwise);

// The best order found; `ops` is always a complete topological order.
// source: the producer of the returned order: kModel when nothing beat the
// model order, kHeuristic when the greedy seed did, kExactSearch when the
// search itself found it. proven_optimal when the search completed within
// its limits (whatever produced the order).
ExecutionOrder FindExecutionOrder(const graph::Graph& graph,
                                  const OrderSearchOptions& options = {});

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_EXECUTION_ORDER_H_
