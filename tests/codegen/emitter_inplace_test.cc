// Patch-family candidates with depthwise convolutions out of place ("-noip",
// "-noip-stage", "-noip-lw") on the host: bit-exact with the reference
// interpreter on several zoo networks, and the patch loop's copies are the
// ones the plan counts (Metrics::stream_copies, used by the code estimate).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "codegen/emitter.h"
#include "codegen/host_verifier.h"
#include "tests/codegen/emitter_testing.h"
#include "tuner/space/board.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/patch_planner.h"

namespace mcutune::codegen {
namespace {

using space::Strategy;

std::vector<space::Plan> Variants(const graph::Graph& g) {
  absl::StatusOr<space::BoardSpec> board = space::FindBoard("qemu-f746");
  REQUIRE(board.ok());
  space::Constraints cons;
  cons.search_execution_order = false;
  const space::PlanningContext ctx =
      space::MakePlanningContext(g, *board, cons);
  REQUIRE(ctx.patch_stage.splits.size() >= 8);
  const std::vector<int>& splits = ctx.patch_stage.splits;
  const int small = splits[4], mid = splits[splits.size() / 2];
  struct Spec {
    Strategy s;
    int n, split;
    bool whole_ip, stage_ip;
  };
  const Spec specs[] = {
      {Strategy::kPatch, 2, small, false, false},
      {Strategy::kStream1D, 3, mid, true, false},
      {Strategy::kStream2D, 4, small, false, false},
      {Strategy::kStream2D, 3, mid, false, true},
      {Strategy::kHybrid, 3, splits[6], false, false},
      {Strategy::kPatch, 3, mid, true, false},
  };
  std::vector<space::Plan> plans;
  for (const Spec& sp : specs) {
    space::Candidate c;
    c.strategy = sp.s;
    c.n_patch = sp.n;
    c.split_idx = sp.split;
    c.inplace_depthwise = sp.whole_ip;
    c.inplace_depthwise_stage = sp.stage_ip;
    if (sp.s == Strategy::kHybrid) {
      const auto sets = space::HybridModeSets(ctx.patch_stage, sp.split);
      REQUIRE(!sets.empty());
      c.stage_modes = sets.front();
    }
    absl::StatusOr<space::Plan> p = space::PlanCandidate(ctx, c);
    INFO(c.Id() << ": " << p.status());
    REQUIRE(p.ok());
    plans.push_back(*std::move(p));
  }
  return plans;
}

TEST_CASE("out-of-place depthwise variants are bit-exact on the host",
          "[emitter][inplace]") {
  int k = 0;
  for (const char* name : {"mcunet-vww1", "mcunet-in1", "mbv2-w0.35"}) {
    const graph::Graph& g = testing::ZooGraph(name);
    const std::vector<space::Plan> plans = Variants(g);
    for (const space::Plan& p : plans) {
      EmitOptions eo;
      absl::StatusOr<EmittedModel> m = EmitModel(g, p, eo);
      INFO(name << " " << p.candidate.Id());
      REQUIRE(m.ok());
      CHECK(m->copies == p.metrics.stream_copies);
      CHECK(m->kernel_calls == p.metrics.kernel_calls);
    }
    HostVerifyOptions o;
    o.requant = k++ % 2 == 0 ? graph::RequantMode::kSingleRounding
                             : graph::RequantMode::kDoubleRounding;
    absl::StatusOr<HostVerifyResult> r =
        VerifyOnHost(g, plans, {GoldenInputs(g, 3)}, o);
    REQUIRE(r.ok());
    INFO(name << "\n" << testing::Failures(*r));
    CHECK(r->all_ok());
  }
}

}  // namespace
}  // namespace mcutune::codegen
