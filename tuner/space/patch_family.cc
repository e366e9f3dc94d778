// The patch / stream / hybrid candidate family: which candidates exist
// (every split_idx x n_patch x strategy, plus a few hybrids per point) and
// the hybrid mode vectors. Planning is PlanPatchStage (patch_planner.cc).
// - Hybrids: a prefix of the stage in one mode and the suffix in another,
//   for four (prefix, suffix) pairs chosen to trade SRAM for MACs (recompute
//   or stream-1D where wide early layers make line buffers expensive,
//   stream-2D or recompute where late layers are small), switching at a
//   quarter, half and three quarters of the stage; duplicates once ADD
//   entries are resolved, and vectors equal to a pure strategy, are dropped.
// - In-place depthwise variants: every point also comes out of place
//   ("-noip"), and, when both parts have in-place depthwise operators, out
//   of place inside the stage only ("-noip-stage"). Which parts have any is
//   decided from the stage description (InPlaceParts), so no variant plans
//   exactly like another.
#include <algorithm>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "tuner/space/execution_order.h"
#include "tuner/space/patch_planner.h"

namespace mcutune::space {

std::vector<std::vector<StageMode>> HybridModeSets(const PatchStageInfo& info,
                                                   int split_idx) {
  std::vector<std::vector<StageMode>> out;
  if (split_idx < 2) return out;
  using M = StageMode;
  const std::pair<M, M> pairs[] = {{M::kRecompute, M::kStream2D},
                                   {M::kStream1D, M::kStream2D},
                                   {M::kStream2D, M::kStream1D},
                                   {M::kStream2D, M::kRecompute}};
  std::vector<int> points;
  for (int q = 1; q <= 3; ++q) {
    const int j = std::clamp((split_idx * q + 2) / 4, 1, split_idx - 1);
    if (std::find(points.begin(), points.end(), j) == points.end()) {
      points.push_back(j);
    }
  }
  std::vector<std::vector<M>> seen;
  for (const auto& [a, b] : pairs) {
    for (int j : points) {
      std::vector<M> modes(split_idx);
      for (int i = 0; i < split_idx; ++i) modes[i] = i < j ? a : b;
      std::vector<M> eff = modes;  // ADD entries resolved
      for (int i = 0; i < split_idx; ++i) {
        if (info.ops[i].type == graph::OpType::kAdd) {
          eff[i] = i > 0 ? eff[i - 1] : M::kStream2D;
        }
      }
      if (std::all_of(eff.begin(), eff.end(),
                      [&](M m) { return m == eff[0]; })) {
        continue;
      }
      if (std::find(seen.begin(), seen.end(), eff) != seen.end()) continue;
      seen.push_back(eff);
      out.push_back(std::move(modes));
    }
  }
  return out;
}

namespace {

// Which parts of a split's schedule have a depthwise operator the planner
// would run in place (multiplier 1, channels kept, last reader of its
// input): inside the stage on a per-patch input (made by an earlier stage
// operator and not read after the stage), or whole outside the stage
// (`whole[op]`: RunsInPlace in the model order).
struct InPlaceParts {
  bool stage = false, whole = false;
};

InPlaceParts FindInPlaceParts(const graph::Graph& g, const PatchStageInfo& info,
                              int split, const std::vector<bool>& whole) {
  InPlaceParts parts;
  const int begin = info.ops.front().first_graph_op();
  const int end = split < static_cast<int>(info.ops.size())
                      ? info.ops[split].first_graph_op()
                      : info.ops[split - 1].op + 1;
  for (int op = 0; op < static_cast<int>(g.ops.size()); ++op) {
    if ((op < begin || op >= end) && whole[op]) parts.whole = true;
  }
  for (int i = 0; i < split && !parts.stage; ++i) {
    const StageOp& so = info.ops[i];
    const graph::Operator& o = g.ops[so.op];
    if (so.type != graph::OpType::kDepthwiseConv2D ||
        o.options.depth_multiplier != 1) {
      continue;
    }
    const int in = so.inputs[0];
    const std::vector<int32_t>& si = g.tensors[in].shape;
    const std::vector<int32_t>& sout = g.tensors[o.outputs[0]].shape;
    if (si.size() != 4 || sout.size() != 4 || si[3] != sout[3]) continue;
    bool per_patch = false;
    for (int j = 0; j < i; ++j) {
      per_patch = per_patch || info.ops[j].output == in;
    }
    for (int c : info.consumers[in]) per_patch = per_patch && c < end;
    for (int j = i + 1; j < split; ++j) {
      for (int t : info.ops[j].inputs) per_patch = per_patch && t != in;
    }
    parts.stage = per_patch;
  }
  return parts;
}

}  // namespace

std::vector<std::pair<bool, bool>> PatchInPlaceVariants(
    const graph::Graph& graph, const PatchStageInfo& info, int split_idx,
    const std::vector<bool>& whole) {
  // (whole-tensor, stage) in-place switches: the default first.
  std::vector<std::pair<bool, bool>> variants = {{true, true}};
  const InPlaceParts parts = FindInPlaceParts(graph, info, split_idx, whole);
  if (parts.whole || parts.stage) variants.push_back({false, false});
  // Out of place in the stage only: its small per-patch tensors gain the
  // fast kernel, often for less memory (no in-place window scratch on
  // stream schedules). The converse (whole-tensor part only) was never
  // Pareto-optimal under the cost model on the zoo and is left out
  // (plannable by hand: "-noip-lw").
  if (parts.whole && parts.stage) variants.push_back({true, false});
  return variants;
}

namespace {

class PatchFamily : public CandidateFamily {
 public:
  std::string_view name() const override { return "patch"; }
  bool Handles(Strategy s) const override {
    return s == Strategy::kPatch || s == Strategy::kStream1D ||
           s == Strategy::kStream2D || s == Strategy::kHybrid;
  }
  std::vector<Candidate> Candidates(const PlanningContext& ctx) const override {
    const PatchStageInfo computed =
        ctx.has_patch_stage ? PatchStageInfo{}
                            : AnalyzePatchStage(*ctx.graph, ctx.analysis);
    const PatchStageInfo& info =
        ctx.has_patch_stage ? ctx.patch_stage : computed;
    const graph::Graph& g = *ctx.graph;
    std::vector<bool> whole(g.ops.size());
    for (int op = 0; op < static_cast<int>(g.ops.size()); ++op) {
      whole[op] = g.ops[op].type == graph::OpType::kDepthwiseConv2D &&
                  RunsInPlace(g, {}, op, true);
    }
    std::vector<Candidate> out;
    for (int split : info.splits) {
      const int max_n =
          std::min({ctx.constraints.max_n_patch, info.out_h[split - 1],
                    info.out_w[split - 1]});
      const std::vector<std::vector<StageMode>> hybrids =
          HybridModeSets(info, split);
      const std::vector<std::pair<bool, bool>> variants =
          PatchInPlaceVariants(g, info, split, whole);
      for (int n = 2; n <= max_n; ++n) {
        for (const auto& [whole_ip, stage_ip] : variants) {
          Candidate c;
          c.n_patch = n;
          c.split_idx = split;
          c.inplace_depthwise = whole_ip;
          c.inplace_depthwise_stage = stage_ip;
          for (Strategy s :
               {Strategy::kPatch, Strategy::kStream1D, Strategy::kStream2D}) {
            c.strategy = s;
            out.push_back(c);
          }
          c.strategy = Strategy::kHybrid;
          for (const std::vector<StageMode>& modes : hybrids) {
            c.stage_modes = modes;
            out.push_back(c);
          }
        }
      }
    }
    return out;
  }
  absl::StatusOr<Plan> MakePlan(const PlanningContext& ctx,
                                const Candidate& c) const override {
    return PlanPatchStage(ctx, c);
  }
};

}  // namespace

std::unique_ptr<CandidateFamily> MakePatchFamily() {
  return std::make_unique<PatchFamily>();
}

}  // namespace mcutune::space
