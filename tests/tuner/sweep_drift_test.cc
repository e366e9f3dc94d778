// Drift rules: spreads, noise bands with their floor, front regressions
// (beyond the band only, same unit only), board shifts (enough agreeing
// pairs), cost-model error growth; and the sweep store's history queries.
#include "tuner/sweep_drift.h"

#include <catch2/catch.hpp>

#include "tuner/sweep_store.h"

namespace mcutune::tuner {
namespace {

SweepPoint Point(double latency, double spread = 0,
                 const std::string& sha = "a", const std::string& run = "r1") {
  SweepPoint p;
  p.key = "m/qemu-f746/board";
  p.candidate = "layerwise";
  p.latency = latency;
  p.spread = spread;
  p.unit = "instructions";
  p.artifact_sha256 = sha;
  p.run_id = run;
  return p;
}

TEST_CASE("drift: spread, median and the noise band") {
  CHECK(Median({}) == 0);
  CHECK(Median({3, 1, 2}) == 2);
  CHECK(Median({4, 1, 2, 3}) == 2.5);
  CHECK(RelativeSpread({100}) == 0);
  CHECK(RelativeSpread({90, 100, 110}) == Approx(0.2));
  DriftOptions o;  // floor 2%, factor 3
  CHECK(NoiseBand(0, 0, o) == Approx(0.02));
  CHECK(NoiseBand(0.001, 0.0, o) == Approx(0.02));  // the floor wins
  CHECK(NoiseBand(0.01, 0.03, o) == Approx(0.09));  // 3 x the wider spread
}

TEST_CASE("drift: a front point slower beyond the band is a regression") {
  DriftOptions o;
  CHECK_FALSE(FrontRegression(Point(1000), Point(1019), o));  // +1.9%
  CHECK_FALSE(FrontRegression(Point(1000), Point(900), o));   // faster
  std::optional<SweepAlert> a = FrontRegression(Point(1000), Point(1030), o);
  REQUIRE(a);
  CHECK(a->kind == "front_regression");
  CHECK(a->severity == "warning");
  CHECK(a->ratio == Approx(1.03));
  CHECK(a->band == Approx(0.02));
  CHECK(a->message.find("same firmware") != std::string::npos);
  // A noisy board widens the band: +5% within 3 x 2% spread.
  CHECK_FALSE(FrontRegression(Point(1000, 0.02), Point(1050, 0.0), o));
  // New firmware: blamed on code, and critical past 10%.
  a = FrontRegression(Point(1000, 0, "a"), Point(1200, 0, "b"), o);
  REQUIRE(a);
  CHECK(a->severity == "critical");
  CHECK(a->message.find("new firmware") != std::string::npos);
  // Different units are never compared.
  SweepPoint cycles = Point(5000);
  cycles.unit = "cycles";
  CHECK_FALSE(FrontRegression(Point(1000), cycles, o));
}

TEST_CASE("drift: a board kind shifts when enough same-firmware pairs agree") {
  DriftOptions o;  // min_board_pairs 2
  using Pairs = std::vector<std::pair<SweepPoint, SweepPoint>>;
  CHECK_FALSE(BoardShift("k", Pairs{{Point(100), Point(130)}}, o));  // one pair
  std::optional<SweepAlert> a = BoardShift("k",
                                           Pairs{{Point(100), Point(130)},
                                                 {Point(200), Point(262)},
                                                 {Point(300), Point(300)}},
                                           o);
  REQUIRE(a);  // median ratio 1.3
  CHECK(a->kind == "board_shift");
  CHECK(a->board_kind == "k");
  CHECK(a->ratio == Approx(1.3));
  CHECK(a->severity == "critical");
  // Mostly unchanged: the median says no shift.
  CHECK_FALSE(BoardShift("k",
                         Pairs{{Point(100), Point(130)},
                               {Point(200), Point(200)},
                               {Point(300), Point(301)}},
                         o));
  // Faster is reported too, as information.
  a = BoardShift("k", Pairs{{Point(100), Point(80)}, {Point(200), Point(160)}},
                 o);
  REQUIRE(a);
  CHECK(a->severity == "info");
  CHECK(a->message.find("faster") != std::string::npos);
}

TEST_CASE("drift: cost model error growth") {
  DriftOptions o;  // abs 0.05, rel 0.5
  CHECK_FALSE(CostModelErrorGrowth("k", 2, 0.10, -1, "", o));    // no reference
  CHECK_FALSE(CostModelErrorGrowth("k", 2, 0.06, 0.02, "", o));  // <= 0.07
  std::optional<SweepAlert> a =
      CostModelErrorGrowth("k", 2, 0.08, 0.02, "run r1", o);
  REQUIRE(a);
  CHECK(a->kind == "cost_model_error");
  CHECK(a->previous == 0.02);
  CHECK(a->current == 0.08);
  CHECK(a->message.find("run r1") != std::string::npos);
  // Relative growth dominates for large references: 0.2 -> allowed 0.3.
  CHECK_FALSE(CostModelErrorGrowth("k", 2, 0.29, 0.2, "", o));
  CHECK(CostModelErrorGrowth("k", 2, 0.31, 0.2, "", o));
}

TEST_CASE("sweep store: runs, items, points and their history queries") {
  std::unique_ptr<SweepStore> s = *SweepStore::Open(":memory:");
  SweepRunRecord r;
  r.id = "r1";
  r.sweep = "s";
  r.trigger = "manual";
  r.created_ms = 1;
  REQUIRE(s->CreateRun(r).ok());
  CHECK(s->CreateRun(r).code() == absl::StatusCode::kAlreadyExists);
  r.state = "done";
  r.counts.tuned = 3;
  REQUIRE(s->UpdateRun(r).ok());
  CHECK(s->GetRun("r1")->counts.tuned == 3);
  CHECK(s->GetRun("zz").status().code() == absl::StatusCode::kNotFound);
  SweepRunRecord r2 = r;
  r2.id = "r2";
  r2.state = "running";
  r2.created_ms = 2;
  REQUIRE(s->CreateRun(r2).ok());
  CHECK(s->ListRuns("s")->front().id == "r2");
  REQUIRE(s->UnfinishedRuns()->size() == 1);

  SweepItemRecord it;
  it.run_id = "r1";
  it.sweep = "s";
  it.key = "k";
  it.state = "done";
  it.fingerprint = "f1";
  REQUIRE(s->PutItem(it).ok());
  CHECK((*s->LastDoneItem("s", "k", "r2"))->fingerprint == "f1");
  CHECK_FALSE(s->LastDoneItem("s", "k", "r1")->has_value());
  it.state = "bogus";
  REQUIRE(s->PutItem(it).ok());
  CHECK(s->ListItems("r1").status().code() ==
        absl::StatusCode::kInvalidArgument);

  SweepPoint a = Point(100, 0, "x", "r1"), b = Point(200, 0, "y", "r1");
  a.sweep = b.sweep = "s";
  b.candidate = "patch";
  REQUIRE(s->AddPoints({a, b}).ok());
  SweepPoint c = Point(110, 0, "x", "r2");
  c.sweep = "s";
  REQUIRE(s->AddPoints({c}).ok());
  CHECK(s->LastFront("s", a.key, "")->size() == 1);    // r2's
  CHECK(s->LastFront("s", a.key, "r2")->size() == 2);  // r1's
  CHECK((*s->PreviousPoint("s", a.key, "layerwise", "r2"))->latency == 100);
  CHECK_FALSE(s->PreviousPoint("s", a.key, "tinyops", "r2")->has_value());
  CHECK(s->Points("s", "")->size() == 3);
  CHECK(s->Points("s", "r1")->size() == 2);

  SweepCostRow row;
  row.run_id = "r1";
  row.sweep = "s";
  row.board_kind = "k";
  row.points = 2;
  row.mape_used = 0.1;
  REQUIRE(s->PutCostRow(row).ok());
  CHECK((*s->PreviousCostRow("s", "k", "r2"))->mape_used == 0.1);
  CHECK_FALSE(s->PreviousCostRow("s", "k", "r1")->has_value());
}

}  // namespace
}  // namespace mcutune::tuner
