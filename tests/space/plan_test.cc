// Plan value types: names, parsers, candidate ids; the Pareto front.
#include <catch2/catch.hpp>

#include "tuner/space/pareto.h"
#include "tuner/space/plan.h"

namespace mcutune::space {
namespace {

TEST_CASE("strategy names round-trip with the CLI spelling", "[space][plan]") {
  for (Strategy s : AllStrategies()) {
    absl::StatusOr<Strategy> p = ParseStrategy(StrategyName(s));
    REQUIRE(p.ok());
    CHECK(*p == s);
  }
  CHECK(std::string(StrategyName(Strategy::kStream1D)) == "stream1d");
  absl::StatusOr<Strategy> bad = ParseStrategy("streaming");
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad.status().message()).find("tinyops") !=
        std::string::npos);
  CHECK(ParseStageMode("stream2d").value() == StageMode::kStream2D);
  CHECK_FALSE(ParseStageMode("x").ok());
}

TEST_CASE("candidate ids are readable and distinct", "[space][plan]") {
  Candidate c;
  CHECK(c.Id() == "layerwise");
  c.strategy = Strategy::kPatch;
  c.n_patch = 2;
  c.split_idx = 5;
  CHECK(c.Id() == "patch-n2-s5");
  c.strategy = Strategy::kHybrid;
  c.stage_modes = {StageMode::kRecompute, StageMode::kStream1D,
                   StageMode::kStream2D};
  CHECK(c.Id() == "hybrid-n2-s5-r12");
  c = Candidate();
  c.inplace_depthwise = false;
  c.order.source = OrderSource::kExactSearch;
  CHECK(c.Id() == "layerwise-noip-oexact");
  c = Candidate();
  c.strategy = Strategy::kTinyOps;
  c.tinyops_sram_budget = 131072;
  CHECK(c.Id() == "tinyops-b131072");
}

TEST_CASE("in-place depthwise suffixes of the candidate ids", "[space][plan]") {
  Candidate c;
  c.strategy = Strategy::kStream2D;
  c.n_patch = 3;
  c.split_idx = 4;
  CHECK(c.Id() == "stream2d-n3-s4");  // the default keeps its old id
  c.inplace_depthwise = false;
  c.inplace_depthwise_stage = false;
  CHECK(c.Id() == "stream2d-n3-s4-noip");
  c.inplace_depthwise_stage = true;
  CHECK(c.Id() == "stream2d-n3-s4-noip-lw");
  c.inplace_depthwise = true;
  c.inplace_depthwise_stage = false;
  CHECK(c.Id() == "stream2d-n3-s4-noip-stage");
  // Strategies without a stage ignore the stage switch.
  Candidate lw;
  lw.inplace_depthwise_stage = false;
  CHECK(lw.Id() == "layerwise");
  lw.inplace_depthwise = false;
  CHECK(lw.Id() == "layerwise-noip");
}

Plan P(int64_t macs, int64_t sram, int64_t flash, bool fits = true) {
  Plan p;
  p.metrics.macs_total = macs;
  p.memory.peak_sram_bytes = sram;
  p.metrics.flash_bytes = flash;
  p.metrics.fits = fits;
  return p;
}

TEST_CASE("Pareto front over MACs, SRAM and flash", "[space][pareto]") {
  const std::vector<Plan> plans = {
      P(100, 100, 100),         // 0: front
      P(120, 80, 100),          // 1: front (less SRAM)
      P(130, 90, 100),          // 2: dominated by 1
      P(100, 100, 100),         // 3: equal to 0, kept
      P(50, 10, 10, false),     // 4: does not fit
      P(90, 200, 100),          // 5: front (fewest MACs among fitting)
      P(100, 100, 101),         // 6: dominated by 0
  };
  CHECK(ParetoFront(plans) == std::vector<int>{0, 1, 3, 5});
  CHECK(Dominates(plans[1], plans[2]));
  CHECK_FALSE(Dominates(plans[0], plans[3]));
  CHECK(ParetoFront({}).empty());
}

}  // namespace
}  // namespace mcutune::space
