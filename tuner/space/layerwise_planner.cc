// Layer-wise planner.
// - Steps: one kernel step per operator of the candidate's order, computing
//   its whole output.
// - Buffers: one per activation tensor (in tensor-index order, so the arena
//   planner's stable orderings match the reference allocator's), lifetime
//   [producer step (graph inputs: 0), last consumer step (graph outputs: the
//   last step)]; in-place operators (RunsInPlace) alias output to input.
// - Scratch: per step KernelScratchBytes, one kScratch buffer per step that
//   needs some, all at the start of the scratch region (after the arena);
//   the region is the largest of them.
// - Arena: PlanArena over the activation buffers; reference allocator and
//   live lower bound on the same order.
#include "tuner/space/layerwise_planner.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tuner/space/arena_planner.h"
#include "tuner/space/execution_order.h"
#include "tuner/space/plan_metrics.h"
#include "tuner/space/reference_allocator.h"

namespace mcutune::space {
namespace {

using graph::Graph;

Region FullRegion(const graph::Tensor& t) {
  Region r;
  if (t.shape.size() == 4) {
    r.y1 = t.shape[1];
    r.x1 = t.shape[2];
  } else {
    r.y1 = 1;
    r.x1 = 1;
  }
  return r;
}

class LayerwiseFamily : public CandidateFamily {
 public:
  std::string_view name() const override { return "layerwise"; }
  bool Handles(Strategy s) const override { return s == Strategy::kLayerwise; }

  std::vector<Candidate> Candidates(const PlanningContext& ctx) const override {
    std::vector<Candidate> out;
    for (const ExecutionOrder& order : ctx.orders) {
      Candidate c;
      c.strategy = Strategy::kLayerwise;
      c.order = order;
      c.inplace_depthwise = true;
      out.push_back(c);
      bool any_inplace = false;
      for (int p = 0; p < static_cast<int>(order.ops.size()); ++p) {
        const int op = order.ops[p];
        if (ctx.graph->ops[op].type == graph::OpType::kDepthwiseConv2D &&
            RunsInPlace(*ctx.graph, order.ops, p, true)) {
          any_inplace = true;
          break;
        }
      }
      if (any_inplace) {
        c.inplace_depthwise = false;
        out.push_back(c);
      }
    }
    return out;
  }

  absl::StatusOr<Plan> MakePlan(const PlanningContext& ctx,
                                const Candidate& c) const override {
    return PlanLayerwise(ctx, c);
  }
};

}  // namespace

absl::StatusOr<Plan> PlanLayerwise(const PlanningContext& ctx,
                                   const Candidate& candidate) {
  if (candidate.strategy != Strategy::kLayerwise) {
    return absl::InvalidArgumentError(
        absl::StrCat("layer-wise planner got a '",
                     StrategyName(candidate.strategy), "' candidate"));
  }
  const Graph& g = *ctx.graph;
  const int n = static_cast<int>(g.ops.size());
  std::vector<int> order = candidate.order.ops;
  if (order.empty()) {
    order.resize(n);
    std::iota(order.begin(), order.end(), 0);
  }
  if (!IsTopologicalOrder(g, order)) {
    return absl::InvalidArgumentError(
        "candidate execution order is not a topological order of the graph");
  }
  if (n == 0) return absl::InvalidArgumentError("graph has no operators");

  Plan plan;
  plan.candidate = candidate;
  plan.candidate.order.ops = order;

  // Activation tensors and their lifetimes in steps.
  const int nt = static_cast<int>(g.tensors.size());
  std::vector<int> first(nt, -1), last(nt, -1);
  auto touch = [&](int t, int step) {
    if (t < 0 || g.tensors[t].is_constant()) return;
    first[t] = first[t] < 0 ? step : std::min(first[t], step);
    last[t] = std::max(last[t], step);
  };
  for (int t : g.inputs) touch(t, 0);
  for (int s = 0; s < n; ++s) {
    for (int t : g.ops[order[s]].inputs) touch(t, s);
    for (int t : g.ops[order[s]].outputs) touch(t, s);
  }
  for (int t : g.outputs) touch(t, n - 1);

  std::vector<int> buffer_of(nt, -1);
  std::vector<int> arena_ids;
  for (int t = 0; t < nt; ++t) {
    if (first[t] < 0) continue;
    Buffer b;
    b.id = static_cast<int>(plan.buffers.size());
    b.name = g.tensors[t].name;
    b.kind = BufferKind::kActivation;
    b.tensor = t;
    b.bytes = g.tensors[t].bytes();
    b.first_step = first[t];
    b.last_step = last[t];
    buffer_of[t] = b.id;
    arena_ids.push_back(b.id);
    plan.buffers.push_back(std::move(b));
  }

  // Steps, in-place aliases and scratch needs.
  std::vector<int64_t> step_scratch(n, 0);
  int64_t kernel_calls = 0;
  for (int s = 0; s < n; ++s) {
    const int op = order[s];
    const graph::Operator& o = g.ops[op];
    const bool in_place = RunsInPlace(g, order, s, candidate.inplace_depthwise);
    if (in_place) {
      plan.buffers[buffer_of[o.outputs[0]]].alias_of =
          buffer_of[o.inputs[0]];
    }
    const bool dw_in_place =
        in_place && o.type == graph::OpType::kDepthwiseConv2D;
    step_scratch[s] = KernelScratchBytes(g, op, dw_in_place);
    Step step;
    step.op = op;
    step.output = FullRegion(g.tensors[o.outputs[0]]);
    step.macs = ctx.analysis.ops[op].macs;
    for (int t : o.inputs) {
      if (t >= 0 && buffer_of[t] >= 0 &&
          std::find(step.reads.begin(), step.reads.end(), buffer_of[t]) ==
              step.reads.end()) {
        step.reads.push_back(buffer_of[t]);
      }
    }
    for (int t : o.outputs) step.writes.push_back(buffer_of[t]);
    if (!(in_place && o.type == graph::OpType::kReshape)) ++kernel_calls;
    plan.metrics.macs_total += step.macs;
    plan.steps.push_back(std::move(step));
  }

  const ArenaResult arena = PlanArena(arena_ids, &plan.buffers, 0);
  MemoryBreakdown& mem = plan.memory;
  mem.arena_bytes = arena.arena_bytes;
  mem.live_lower_bound_bytes = arena.lower_bound_bytes;
  mem.arena_heuristic = arena.heuristic;
  mem.reference_arena_bytes = ReferenceLayerwiseArena(g, order);
  for (int s = 0; s < n; ++s) {
    if (step_scratch[s] == 0) continue;
    Buffer b;
    b.id = static_cast<int>(plan.buffers.size());
    b.name = absl::StrCat("scratch.step", s);
    b.kind = BufferKind::kScratch;
    b.bytes = step_scratch[s];
    b.offset = mem.arena_bytes;
    b.first_step = b.last_step = s;
    plan.steps[s].writes.push_back(b.id);
    plan.buffers.push_back(std::move(b));
    mem.scratch_bytes = std::max(mem.scratch_bytes, step_scratch[s]);
  }

  plan.metrics.kernel_calls = kernel_calls;
  FinishPlan(ctx, &plan);
  return plan;
}

std::unique_ptr<CandidateFamily> MakeLayerwiseFamily() {
  return std::make_unique<LayerwiseFamily>();
}

}  // namespace mcutune::space
