// The code-size estimate (plan_metrics.h EstimateCodeBytes) against figures
// worked out from its definition: kernels counted once per entry point, the
// in-place depthwise kernel exactly where plans alias, the patch loop's
// tables growing with the patch count. (That the estimate covers what
// really links is checked on firmware builds: tests/codegen.)
#include <catch2/catch.hpp>

#include "tests/space/space_test_graphs.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/layerwise_planner.h"
#include "tuner/space/patch_planner.h"
#include "tuner/space/plan_metrics.h"

namespace mcutune::space {
namespace {

using testing::ZooGraph;

PlanningContext Context(const graph::Graph& g) {
  BoardSpec board;
  board.id = "test";
  board.sram_bytes = 512 * 1024;
  board.flash_bytes = 2 * 1024 * 1024;
  Constraints c;
  c.search_execution_order = false;
  return MakePlanningContext(g, board, c);
}

Plan PatchPlan(const PlanningContext& ctx, Strategy s, int n, int split) {
  Candidate c;
  c.strategy = s;
  c.n_patch = n;
  c.split_idx = split;
  absl::StatusOr<Plan> p = PlanPatchStage(ctx, c);
  REQUIRE(p.ok());
  return *p;
}

TEST_CASE("code estimate: one depthwise kernel or the other",
          "[space][code]") {
  const graph::Graph& g = ZooGraph("mcunet-vww1");
  const PlanningContext ctx = Context(g);
  Candidate c;
  const Plan in_place = *PlanLayerwise(ctx, c);
  c.inplace_depthwise = false;
  const Plan out_of_place = *PlanLayerwise(ctx, c);
  // Same operators and calls; every depthwise of mcunet-vww1 runs in place
  // by default, none with -noip: only the kernel differs.
  CHECK(out_of_place.metrics.code_bytes - in_place.metrics.code_bytes ==
        CodeKernelBytes(graph::OpType::kDepthwiseConv2D, false) -
            CodeKernelBytes(graph::OpType::kDepthwiseConv2D, true));
  CHECK(in_place.metrics.code_bytes > kCodeBaseBytes);
  CHECK(in_place.metrics.flash_bytes ==
        in_place.metrics.weights_bytes + in_place.metrics.code_bytes);
}

TEST_CASE("code estimate: the patch tables grow with n_patch^2",
          "[space][code]") {
  const graph::Graph& g = ZooGraph("mcunet-vww1");
  const PlanningContext ctx = Context(g);
  const PatchStageInfo info = AnalyzePatchStage(g, ctx.analysis);
  const int split = 5;
  // Per patch and stage operator: a view per activation input and the
  // output (24 B each) and a region (16 B).
  int64_t per_patch = 0;
  for (int i = 0; i < split; ++i) {
    int views = 1;
    for (int t : g.ops[info.ops[i].op].inputs) {
      views += t >= 0 && !g.tensors[t].is_constant();
    }
    per_patch += 24 * views + 16;
  }
  const Plan p2 = PatchPlan(ctx, Strategy::kPatch, 2, split);
  const Plan p4 = PatchPlan(ctx, Strategy::kPatch, 4, split);
  CHECK(p2.metrics.stream_copies == 0);
  CHECK(p4.metrics.code_bytes - p2.metrics.code_bytes ==
        (16 - 4) * per_patch);
  // Stream schedules add their copies; more patches, more code.
  int64_t last = 0;
  for (int n = 2; n <= 6; ++n) {
    const Plan s2 = PatchPlan(ctx, Strategy::kStream2D, n, split);
    INFO("n=" << n);
    CHECK(s2.metrics.stream_copies > 0);
    CHECK(s2.metrics.code_bytes >
          s2.metrics.stream_copies * kCodePerStreamCopyBytes);
    CHECK(s2.metrics.code_bytes > last);
    last = s2.metrics.code_bytes;
  }
}

}  // namespace
}  // namespace mcutune::space
