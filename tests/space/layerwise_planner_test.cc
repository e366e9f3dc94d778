// Layer-wise plans of every zoo network (and the real models when ../shared
// exists): checker-valid, never worse than the reference allocator, never
// below the live lower bound; the published mcunet-vww1 reference value.
#include <string>

#include <catch2/catch.hpp>

#include "graph/analysis.h"
#include "tests/space/space_test_graphs.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/enumerate.h"
#include "tuner/space/layerwise_planner.h"
#include "tuner/space/plan_checker.h"
#include "tuner/space/reference_allocator.h"

namespace mcutune::space {
namespace {

using testing::TestBoard;
using testing::ZooGraph;

void CheckAllLayerwisePlans(const std::string& name, const graph::Graph& g) {
  INFO(name);
  REQUIRE(!g.ops.empty());
  Constraints layerwise_only;  // the patch family needs n_patch >= 2
  layerwise_only.max_n_patch = 1;
  absl::StatusOr<SpaceResult> space = Enumerate(g, TestBoard(), layerwise_only);
  REQUIRE(space.ok());
  REQUIRE(space->failures.empty());
  REQUIRE(!space->plans.empty());
  const graph::Analysis a = graph::Analyze(g);
  for (const Plan& p : space->plans) {
    INFO(p.candidate.Id());
    REQUIRE(p.candidate.strategy == Strategy::kLayerwise);
    const absl::Status check = CheckMemoryPlan(p);
    INFO(check.message());
    CHECK(check.ok());
    CHECK(p.memory.arena_bytes >= p.memory.live_lower_bound_bytes);
    if (p.candidate.inplace_depthwise) {
      CHECK(p.memory.arena_bytes <= p.memory.reference_arena_bytes);
    }
    CHECK(p.metrics.macs_total == a.macs_total);
    CHECK(p.metrics.macs_patch_stage == 0);
    CHECK(p.memory.peak_sram_bytes ==
          p.memory.arena_bytes + p.memory.scratch_bytes);
    CHECK(p.metrics.flash_bytes > a.params_bytes);
    // Without in-place the arena can only hold what analysis says is live.
    if (!p.candidate.inplace_depthwise &&
        p.candidate.order.source == OrderSource::kModel) {
      CHECK(p.memory.live_lower_bound_bytes <= a.peak_live_bytes);
    }
  }
}

TEST_CASE("mcunet-vww1 layer-wise: reference 89,600 B", "[space][layerwise]") {
  const graph::Graph& g = ZooGraph("mcunet-vww1");
  REQUIRE(!g.ops.empty());
  CHECK(ReferenceLayerwiseArena(g) == 89600);
  const PlanningContext ctx = MakePlanningContext(g, TestBoard(), {});
  Candidate c;
  absl::StatusOr<Plan> p = PlanLayerwise(ctx, c);
  REQUIRE(p.ok());
  CHECK(p->memory.reference_arena_bytes == 89600);
  CHECK(p->memory.arena_bytes <= 89600);
  CHECK(p->memory.arena_bytes >= p->memory.live_lower_bound_bytes);
  CHECK(p->metrics.fits);
  CHECK(CheckMemoryPlan(*p).ok());
}

TEST_CASE("layer-wise plans of every zoo network are valid",
          "[space][layerwise]") {
  for (const std::string& name : testing::TenZooNames()) {
    CheckAllLayerwisePlans(name, ZooGraph(name));
  }
}

TEST_CASE("layer-wise plans of the real models are valid",
          "[space][layerwise][shared]") {
  if (!testing::HaveShared()) {
    WARN("../shared/models not found: skipping the real models");
    return;
  }
  const auto models = testing::SharedModels();
  REQUIRE(!models.empty());
  for (const auto& [name, g] : models) CheckAllLayerwisePlans(name, g);
}

TEST_CASE("in-place depthwise halves the depthwise step", "[space][layerwise]") {
  testing::GraphBuilder b(16, 16);
  const int in = b.Input(8);
  const int e = b.Conv1x1(in, 32);
  const int d = b.Depthwise3x3(e);
  const int out = b.Conv1x1(d, 8);
  const graph::Graph g = b.Finish({out});
  REQUIRE(graph::ValidateGraph(g).ok());
  const PlanningContext ctx = MakePlanningContext(g, TestBoard(), {});
  Candidate c;
  Plan on = *PlanLayerwise(ctx, c);
  c.inplace_depthwise = false;
  Plan off = *PlanLayerwise(ctx, c);
  CHECK(on.memory.live_lower_bound_bytes == 16 * 16 * (8 + 32));
  CHECK(off.memory.live_lower_bound_bytes == 16 * 16 * 64);
  CHECK(on.memory.arena_bytes == on.memory.live_lower_bound_bytes);
  CHECK(on.memory.scratch_bytes == 16 * 16);  // one channel temporary
  // 3x3 depthwise: none; the 1x1 (in_c 32): three widened pixels + 4.
  CHECK(off.memory.scratch_bytes == 6 * 32 + 4);
  CHECK(CheckMemoryPlan(on).ok());
  CHECK(CheckMemoryPlan(off).ok());
  CHECK(on.candidate.Id() == "layerwise");
  CHECK(off.candidate.Id() == "layerwise-noip");
}

TEST_CASE("layer-wise planner rejects bad candidates", "[space][layerwise]") {
  const graph::Graph& g = ZooGraph("mcunet-vww0");
  const PlanningContext ctx = MakePlanningContext(g, TestBoard(), {});
  Candidate c;
  c.order.ops = {1, 0};
  CHECK(PlanLayerwise(ctx, c).status().code() ==
        absl::StatusCode::kInvalidArgument);
  c = Candidate();
  c.strategy = Strategy::kPatch;
  CHECK(PlanLayerwise(ctx, c).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a plan that does not fit says why", "[space][layerwise]") {
  const graph::Graph& g = ZooGraph("mcunet-vww1");
  const PlanningContext ctx =
      MakePlanningContext(g, TestBoard(64 * 1024, 256 * 1024), {});
  Plan p = *PlanLayerwise(ctx, Candidate());
  CHECK_FALSE(p.metrics.fits);
  CHECK(p.metrics.fit_reason.find("peak SRAM") != std::string::npos);
  CHECK(p.metrics.fit_reason.find("flash") != std::string::npos);
}

}  // namespace
}  // namespace mcutune::space
