// Search strategy, Pareto helpers and the linear predictor.
#include "tuner/search_strategy.h"

#include <catch2/catch.hpp>
#include <set>

#include "tuner/predictor.h"

namespace mcutune::tuner {
namespace {

PoolEntry Entry(const std::string& board, double pred, double low, double sram,
                const std::string& unit = "instructions") {
  PoolEntry e;
  e.board_kind = board;
  e.predicted.latency = pred;
  e.predicted.low = low;
  e.predicted.high = pred * 2;
  e.predicted.unit = unit;
  e.other_objectives = {sram};
  return e;
}

TEST_CASE("Pareto mask per board kind") {
  const std::vector<std::string> kinds = {"a", "a", "a", "b", "a"};
  const std::vector<std::vector<double>> pts = {
      {1, 5}, {2, 4}, {3, 6}, {10, 10}, {1, 5}};
  const std::vector<bool> mask =
      ParetoMask(kinds, pts, {true, true, true, true, true});
  CHECK(mask == std::vector<bool>{true, true, false, true, true});
  const std::vector<bool> excl =
      ParetoMask(kinds, pts, {false, true, true, true, false});
  CHECK(excl == std::vector<bool>{false, true, false, true, false});
  CHECK(Dominates({1, 1}, {1, 2}));
  CHECK_FALSE(Dominates({1, 2}, {1, 2}));
  CHECK_FALSE(Dominates({0, 3}, {1, 2}));
}

TEST_CASE("frontier search prunes what cannot join the measured front") {
  FrontierSearchOptions o;
  o.explore_fraction = 0;
  auto s = MakeFrontierSearch(o);
  std::vector<PoolEntry> pool;
  PoolEntry m = Entry("a", 0, 0, 100);
  m.done = m.measured = true;
  m.latency = 1000;
  m.unit = "instructions";
  pool.push_back(m);  // 0: measured (1000, 100)
  pool.push_back(
      Entry("a", 2000, 1500, 200));  // 1: optimistic (1500,200) dominated
  pool.push_back(Entry("a", 2000, 900, 200));  // 2: could be faster: promising
  pool.push_back(Entry("a", 5000, 4000, 50));  // 3: smaller SRAM: promising
  pool.push_back(
      Entry("a", 10, 5, 100, "macs"));  // 4: other unit: never pruned
  const std::vector<int> batch = s->NextBatch(pool, 10);
  const std::set<int> got(batch.begin(), batch.end());
  CHECK(got == std::set<int>{2, 3, 4});
  CHECK(s->NextBatch(pool, 0).empty());
}

TEST_CASE("frontier search serves every board and stops after patience") {
  FrontierSearchOptions o;
  o.patience = 2;
  o.explore_fraction = 0;
  auto s = MakeFrontierSearch(o);
  std::vector<PoolEntry> pool;
  for (int i = 0; i < 5; ++i) pool.push_back(Entry("a", 100 + i, 0, 10 - i));
  for (int i = 0; i < 5; ++i) pool.push_back(Entry("b", 100 + i, 0, 10 - i));
  const std::vector<int> batch = s->NextBatch(pool, 4);
  REQUIRE(batch.size() == 4);
  int a = 0, b = 0;
  for (int i : batch) (pool[i].board_kind == "a" ? a : b)++;
  CHECK(a == 2);
  CHECK(b == 2);
  s->NotifyResults(batch, false);
  CHECK_FALSE(s->NextBatch(pool, 4).empty());
  s->NotifyResults(batch, false);
  CHECK(s->NextBatch(pool, 4).empty());  // two rounds without a change
}

TEST_CASE("frontier search exploration is deterministic per seed") {
  std::vector<PoolEntry> pool;
  for (int i = 0; i < 40; ++i) pool.push_back(Entry("a", 100 + i, 0, 40 - i));
  FrontierSearchOptions o;
  o.explore_fraction = 0.5;
  o.seed = 7;
  const std::vector<int> x = MakeFrontierSearch(o)->NextBatch(pool, 8);
  const std::vector<int> y = MakeFrontierSearch(o)->NextBatch(pool, 8);
  CHECK(x == y);
  CHECK(std::set<int>(x.begin(), x.end()).size() == 8);
}

TEST_CASE("the linear predictor recovers an exactly linear latency") {
  space::BoardSpec board;
  board.id = "qemu-f746";
  std::vector<space::Plan> plans(6);
  for (int i = 0; i < 6; ++i) {
    plans[i].metrics.macs_total = 1000000 + 250000 * i;
    plans[i].metrics.kernel_calls = 20 + 7 * (i % 3);
    plans[i].metrics.ext_traffic_bytes = (i % 2) * 4096;
  }
  auto truth = [](const space::Plan& p) {
    return 2.0 * p.metrics.macs_total + 300.0 * p.metrics.kernel_calls +
           0.5 * p.metrics.ext_traffic_bytes + 1000.0;
  };
  auto pred = MakeLinearPredictor();
  // Unfitted: MAC ranking in unit "macs".
  std::vector<Prediction> before = pred->Predict(board, {&plans[0]});
  CHECK(before[0].unit == "macs");
  std::vector<Observation> obs;
  for (int i = 0; i < 5; ++i)
    obs.push_back({&plans[i], truth(plans[i]), "instructions"});
  REQUIRE(pred->Fit(board, obs).ok());
  const Prediction p = pred->Predict(board, {&plans[5]})[0];
  CHECK(p.unit == "instructions");
  CHECK(p.latency == Approx(truth(plans[5])).epsilon(1e-3));
  CHECK(p.low <= truth(plans[5]));
  CHECK(p.high >= truth(plans[5]));
  obs.push_back({&plans[5], 1, "cycles"});
  CHECK(absl::IsInvalidArgument(pred->Fit(board, obs)));
}

}  // namespace
}  // namespace mcutune::tuner
