// The patch / stream / hybrid candidate family: which candidates exist
// (every split_idx x n_patch x strategy, plus a few hybrids per point) and
// the hybrid mode vectors. Planning is PlanPatchStage (patch_planner.cc).
// - Hybrids: a prefix of the stage in one mode and the suffix in another,
//   for four (prefix, suffix) pairs chosen to trade SRAM for MACs (recompute
//   or stream-1D where wide early layers make line buffers expensive,
//   stream-2D or recompute where late layers are small), switching at a
//   quarter, half and three quarters of the stage; duplicates once ADD
//   entries are resolved, and vectors equal to a pure strategy, are dropped.
#include <algorithm>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

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
    std::vector<Candidate> out;
    for (int split : info.splits) {
      const int max_n =
          std::min({ctx.constraints.max_n_patch, info.out_h[split - 1],
                    info.out_w[split - 1]});
      const std::vector<std::vector<StageMode>> hybrids =
          HybridModeSets(info, split);
      for (int n = 2; n <= max_n; ++n) {
        Candidate c;
        c.n_patch = n;
        c.split_idx = split;
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
