// Calibration-set selection: fitting only, layer-wise anchors, every family
// represented, deterministic, limits respected.
#include "cost_model/calibration_set.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tuner/space/board.h"
#include "tuner/space/enumerate.h"

namespace mcutune::cost_model {
namespace {

std::vector<space::Plan> Plans(const std::string& net,
                               const std::string& board) {
  auto e = graph::zoo::FindInZoo(net);
  REQUIRE(e.ok());
  auto g = graph::zoo::Synthesize(e->arch, 1);
  REQUIRE(g.ok());
  auto b = space::FindBoard(board);
  REQUIRE(b.ok());
  space::Constraints c;
  c.keep_plan_details = false;
  auto s = space::Enumerate(*g, *b, c);
  REQUIRE(s.ok());
  return s->plans;
}

TEST_CASE("the calibration set spans the strategies of a network") {
  const std::vector<space::Plan> plans = Plans("mcunet-vww0", "qemu-f746");
  const std::vector<int> pick = SelectCalibrationSet(plans, 12);
  REQUIRE(pick.size() == 12);
  CHECK(std::is_sorted(pick.begin(), pick.end()));
  CHECK(std::set<int>(pick.begin(), pick.end()).size() == 12);
  std::set<std::string> ids;
  std::map<space::Strategy, int> per;
  for (int i : pick) {
    CHECK(plans[i].metrics.fits);
    ids.insert(plans[i].candidate.Id());
    ++per[plans[i].candidate.strategy];
  }
  CHECK(ids.count("layerwise") == 1);
  CHECK(ids.count("layerwise-noip") == 1);
  for (space::Strategy s :
       {space::Strategy::kPatch, space::Strategy::kStream1D,
        space::Strategy::kStream2D, space::Strategy::kHybrid,
        space::Strategy::kTinyOps}) {
    INFO(space::StrategyName(s));
    CHECK(per[s] >= 1);
  }
  CHECK(SelectCalibrationSet(plans, 12) == pick);  // deterministic
}

TEST_CASE("strategy filters, call limits and small budgets are respected") {
  const std::vector<space::Plan> plans = Plans("mcunet-vww0", "qemu-f746");
  const std::vector<int> s2 =
      SelectCalibrationSet(plans, 5, {space::Strategy::kStream2D}, 100);
  REQUIRE(s2.size() == 5);
  for (int i : s2) {
    CHECK(plans[i].candidate.strategy == space::Strategy::kStream2D);
    CHECK(plans[i].metrics.kernel_calls <= 100);
  }
  CHECK(SelectCalibrationSet(plans, 1).size() == 1);
  CHECK(SelectCalibrationSet(plans, 0).empty());
  // More than exist: everything that qualifies, once.
  const std::vector<int> all =
      SelectCalibrationSet(plans, 100000, {space::Strategy::kTinyOps});
  int tinyops = 0;
  for (const space::Plan& p : plans) {
    tinyops +=
        p.metrics.fits && p.candidate.strategy == space::Strategy::kTinyOps;
  }
  CHECK(static_cast<int>(all.size()) == tinyops);
}

}  // namespace
}  // namespace mcutune::cost_model
