// Patch / stream / hybrid planning: the PATCH_BASED.md reference case, the
// invariants of every (n_patch, split_idx) of the ten zoo networks, the
// candidate list and the bad-input answers.
#include "tuner/space/patch_planner.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "graph/analysis.h"
#include "tests/space/space_test_graphs.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/patch_geometry.h"
#include "tuner/space/plan_checker.h"

namespace mcutune::space {
namespace {

using testing::TenZooNames;
using testing::ZooGraph;

PlanningContext Context(const graph::Graph& g) {
  BoardSpec board;
  board.id = "test";
  board.sram_bytes = 320 * 1024;
  board.flash_bytes = 1024 * 1024;
  Constraints c;
  c.search_execution_order = false;
  return MakePlanningContext(g, board, c);
}

Candidate Make(Strategy s, int n, int split) {
  Candidate c;
  c.strategy = s;
  c.n_patch = n;
  c.split_idx = split;
  return c;
}

TEST_CASE("patch: mcunet-vww1 (2, 5) reproduces PATCH_BASED.md",
          "[space][patch]") {
  const graph::Graph& g = ZooGraph("mcunet-vww1");
  REQUIRE(!g.ops.empty());
  const PlanningContext ctx = Context(g);
  const PatchStageInfo info = AnalyzePatchStage(g, ctx.analysis);
  absl::StatusOr<PatchGeometry> geo = ComputePatchGeometry(
      g, info, 2, 5, std::vector<StageMode>(5, StageMode::kRecompute), true);
  REQUIRE(geo.ok());
  CHECK(geo->rf1 == 11);
  CHECK(geo->grain == 10);
  CHECK(geo->grain_rf == 47);
  CHECK(geo->pad_l == 5);
  CHECK(geo->pad_r == 2);
  CHECK(geo->feat_stride == 4);
  CHECK(geo->tensors.front().height == 80);
  std::vector<int> sizes;
  int64_t per_patch = 0;
  for (int i = 0; i < 5; ++i) {
    sizes.push_back(geo->uniform_h[i][0]);
    per_patch += geo->StepMacs(i, 0, 0);
  }
  CHECK(sizes == std::vector<int>{23, 21, 21, 21, 10});
  CHECK(per_patch == 561'024);
  // TFLite SAME padding: stride-2 layers pad 0 before, so the first patch
  // reads input rows [0, 45) and the conv output rows [0, 22).
  CHECK(geo->tensors.front().need_y[0].lo == 0);
  CHECK(geo->tensors.front().need_y[0].hi == 45);

  absl::StatusOr<Plan> plan = PlanPatchStage(ctx, Make(Strategy::kPatch, 2, 5));
  REQUIRE(plan.ok());
  CHECK(CheckMemoryPlan(*plan).ok());
  CHECK(plan->metrics.macs_patch_stage == 2'244'096);
  CHECK(plan->metrics.macs_recomputed == 2'244'096 - 1'913'600);
  CHECK(plan->metrics.macs_total == 11'909'312);  // ~11.91 M
  CHECK(plan->memory.reference_arena_bytes == 59'568);
  CHECK(plan->memory.arena_bytes >= plan->memory.live_lower_bound_bytes);
  CHECK(plan->memory.stream_buffer_bytes == 0);
  CHECK(plan->memory.peak_sram_bytes ==
        plan->memory.arena_bytes + plan->memory.scratch_bytes);
  CHECK(plan->memory.peak_sram_bytes < 89'600);  // below layer-wise
}

TEST_CASE("patch: stream-2D computes each output once, stream-1D between",
          "[space][patch]") {
  const graph::Graph& g = ZooGraph("mcunet-vww1");
  REQUIRE(!g.ops.empty());
  const PlanningContext ctx = Context(g);
  auto plan = [&](Strategy s) { return *PlanPatchStage(ctx, Make(s, 2, 5)); };
  const Plan p = plan(Strategy::kPatch);
  const Plan s1 = plan(Strategy::kStream1D);
  const Plan s2 = plan(Strategy::kStream2D);
  CHECK(s2.metrics.macs_patch_stage == 1'913'600);
  CHECK(s2.metrics.macs_recomputed == 0);
  CHECK(s1.metrics.macs_patch_stage > s2.metrics.macs_patch_stage);
  CHECK(s1.metrics.macs_patch_stage < p.metrics.macs_patch_stage);
  // Stream buffers by hand. Stage: conv3x3/s2 -> t0 40x40x16, dw3x3/s1 ->
  // t1, pw -> t2 (8), pw -> t3 40x40x48, dw3x3/s2 (pad before 0) -> out.
  // Only t0 (read by a 3x3/s1: k - s = 2 columns) and t3 (read by a 3x3/s2
  // with no padding before: 1 column) carry overlap. Column buffers span the
  // rows a patch needs: t0 22 (rows [0, 22) for the top patches), t3 21.
  // Line buffers: the same 2 and 1 rows over the full width 40.
  const int64_t columns = 22 * 2 * 16 + 21 * 1 * 48;
  CHECK(s1.memory.stream_buffer_bytes == columns);  // 1,712 B
  CHECK(s2.memory.stream_buffer_bytes ==
        columns + 2 * 40 * 16 + 1 * 40 * 48);  // 4,912 B
  for (const Plan* x : {&p, &s1, &s2}) CHECK(CheckMemoryPlan(*x).ok());
}

// Invariants of one plan of the sweep; returns the stage MACs.
int64_t CheckInvariants(const PlanningContext& ctx, const PatchGeometry& geo,
                        const Plan& plan) {
  const graph::Graph& g = *ctx.graph;
  INFO(plan.candidate.Id());
  CHECK(CheckMemoryPlan(plan).ok());
  const MemoryBreakdown& m = plan.memory;
  CHECK(m.arena_bytes >= m.live_lower_bound_bytes);
  CHECK(m.peak_sram_bytes ==
        m.arena_bytes + m.stream_buffer_bytes + m.scratch_bytes);
  CHECK(m.stream_buffer_bytes == geo.StreamBufferBytes());
  CHECK(m.reference_arena_bytes > 0);
  CHECK(plan.metrics.macs_patch_stage == geo.StageMacs());
  CHECK(plan.metrics.macs_total == ctx.analysis.macs_total -
                                       geo.LayerwiseStageMacs() +
                                       plan.metrics.macs_patch_stage);
  // Every stage op's regions stay inside its tensor and cover it; under
  // stream-2D they tile it exactly.
  std::vector<int64_t> area(g.ops.size(), 0);
  bool inside = true;
  for (const Step& s : plan.steps) {
    if (s.patch < 0) continue;
    const graph::Tensor& out = g.tensors[g.ops[s.op].outputs[0]];
    inside = inside && s.output.y0 >= 0 && s.output.x0 >= 0 &&
             s.output.y1 <= out.shape[1] && s.output.x1 <= out.shape[2];
    area[s.op] += s.output.area();
  }
  CHECK(inside);
  bool covered = true;
  for (const StageOp& op : geo.ops) {
    const int64_t full = int64_t{op.out_h} * op.out_w;
    covered = covered && (plan.candidate.strategy == Strategy::kStream2D
                              ? area[op.op] == full
                              : area[op.op] >= full);
  }
  CHECK(covered);
  return plan.metrics.macs_patch_stage;
}

TEST_CASE("patch: every (n_patch, split_idx) of the ten zoo networks",
          "[space][patch]") {
  for (const std::string& name : TenZooNames()) {
    const graph::Graph& g = ZooGraph(name);
    REQUIRE(!g.ops.empty());
    const PlanningContext ctx = Context(g);
    const PatchStageInfo info = AnalyzePatchStage(g, ctx.analysis);
    REQUIRE(!info.splits.empty());
    int plans = 0;
    for (int split : info.splits) {
      const int max_n =
          std::min({8, info.out_h[split - 1], info.out_w[split - 1]});
      for (int n = 2; n <= max_n; ++n) {
        int64_t macs[3];
        int k = 0;
        for (Strategy s :
             {Strategy::kPatch, Strategy::kStream1D, Strategy::kStream2D}) {
          const Candidate c = Make(s, n, split);
          INFO(name << " " << c.Id());
          absl::StatusOr<Plan> plan = PlanPatchStage(ctx, c);
          REQUIRE(plan.ok());
          absl::StatusOr<PatchGeometry> geo = ComputePatchGeometry(
              g, info, n, split, ModesOf(c), s == Strategy::kPatch);
          REQUIRE(geo.ok());
          macs[k++] = CheckInvariants(ctx, *geo, *plan);
          if (s == Strategy::kStream2D) {
            CHECK(macs[2] == geo->LayerwiseStageMacs());
          }
          ++plans;
        }
        INFO(name << " n=" << n << " split=" << split);
        CHECK(macs[2] <= macs[1]);
        CHECK(macs[1] <= macs[0]);
        // Recomputation exists (patch > stream-2D): stream-1D strictly
        // between.
        if (macs[0] > macs[2] && split > 1) {
          CHECK(macs[1] < macs[0]);
        }
      }
    }
    CHECK(plans > 0);
  }
}

TEST_CASE("patch: hybrids plan, check and lie between the pure modes",
          "[space][patch]") {
  for (const char* name : {"mcunet-vww1", "mcunet-in1", "mbv2-w0.35"}) {
    const graph::Graph& g = ZooGraph(name);
    const PlanningContext ctx = Context(g);
    const PatchStageInfo info = AnalyzePatchStage(g, ctx.analysis);
    for (int split : {4, 8, 12}) {
      if (!info.IsValidSplit(split)) continue;
      const std::vector<std::vector<StageMode>> sets =
          HybridModeSets(info, split);
      CHECK(!sets.empty());
      const Plan s2 = *PlanPatchStage(ctx, Make(Strategy::kStream2D, 3, split));
      for (const std::vector<StageMode>& modes : sets) {
        Candidate c = Make(Strategy::kHybrid, 3, split);
        c.stage_modes = modes;
        INFO(name << " " << c.Id());
        absl::StatusOr<Plan> plan = PlanPatchStage(ctx, c);
        REQUIRE(plan.ok());
        CHECK(CheckMemoryPlan(*plan).ok());
        CHECK(plan->metrics.macs_patch_stage >= s2.metrics.macs_patch_stage);
      }
    }
  }
}

TEST_CASE("patch: candidates and registration", "[space][patch]") {
  const graph::Graph& g = ZooGraph("mcunet-vww0");
  PlanningContext ctx = Context(g);
  ctx.constraints.max_n_patch = 4;
  std::unique_ptr<CandidateFamily> family = MakePatchFamily();
  const std::vector<Candidate> cands = family->Candidates(ctx);
  REQUIRE(!cands.empty());
  std::set<std::string> ids;
  std::set<Strategy> strategies;
  for (const Candidate& c : cands) {
    CHECK(ids.insert(c.Id()).second);
    strategies.insert(c.strategy);
    CHECK(c.n_patch >= 2);
    CHECK(c.n_patch <= 4);
  }
  CHECK(strategies.size() == 4);
  bool registered = false;
  for (const auto& f : AllCandidateFamilies()) {
    registered = registered || f->Handles(Strategy::kStream2D);
  }
  CHECK(registered);
  absl::StatusOr<Plan> via_registry =
      PlanCandidate(ctx, Make(Strategy::kStream1D, 2, 3));
  CHECK(via_registry.ok());
}

TEST_CASE("patch: bad candidates are INVALID_ARGUMENT", "[space][patch]") {
  const graph::Graph& g = ZooGraph("mcunet-vww0");
  const PlanningContext ctx = Context(g);
  auto code = [&](const Candidate& c) {
    return PlanPatchStage(ctx, c).status().code();
  };
  const auto kBad = absl::StatusCode::kInvalidArgument;
  CHECK(code(Make(Strategy::kPatch, 2, 0)) == kBad);
  CHECK(code(Make(Strategy::kPatch, 2, 10'000)) == kBad);
  CHECK(code(Make(Strategy::kPatch, 0, 5)) == kBad);
  CHECK(code(Make(Strategy::kPatch, 1'000, 5)) == kBad);
  CHECK(code(Make(Strategy::kLayerwise, 2, 5)) == kBad);
  Candidate hybrid = Make(Strategy::kHybrid, 2, 5);
  hybrid.stage_modes = {StageMode::kStream1D};
  CHECK(code(hybrid) == kBad);
  Candidate reordered = Make(Strategy::kStream2D, 2, 5);
  reordered.order.ops.assign(g.ops.size(), 0);
  CHECK(code(reordered) == kBad);
}

}  // namespace
}  // namespace mcutune::space
