// Emitter test helpers (see the header).
#include "tests/codegen/emitter_testing.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tuner/space/board.h"
#include "tuner/space/enumerate.h"

namespace mcutune::codegen::testing {

const std::vector<std::string>& ZooNetworks() {
  static const std::vector<std::string> kNames = {
      "mbv2-w0.35",  "proxyless-w0.3", "mcunet-in0",   "mcunet-in1",
      "mcunet-in2",  "mcunet-in3",     "mcunet-in4",   "mcunet-vww0",
      "mcunet-vww1", "mcunet-vww2"};
  return kNames;
}

const graph::Graph& ZooGraph(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, graph::Graph> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  absl::StatusOr<graph::zoo::ZooEntry> entry = graph::zoo::FindInZoo(name);
  REQUIRE(entry.ok());
  absl::StatusOr<graph::Graph> g = graph::zoo::Synthesize(entry->arch, 1);
  REQUIRE(g.ok());
  return cache.emplace(name, *std::move(g)).first->second;
}

std::vector<space::Plan> AllPlans(const graph::Graph& graph,
                                  const std::string& board_id) {
  absl::StatusOr<space::BoardSpec> board = space::FindBoard(board_id);
  REQUIRE(board.ok());
  space::Constraints c;
  c.keep_unfit = true;
  absl::StatusOr<space::SpaceResult> r = space::Enumerate(graph, *board, c);
  REQUIRE(r.ok());
  for (const space::CandidateFailure& f : r->failures) {
    WARN("planner failed on " << f.candidate_id << ": " << f.status);
  }
  return std::move(r->plans);
}

std::vector<space::Plan> SamplePlans(const std::vector<space::Plan>& plans,
                                     int count, uint32_t seed) {
  std::vector<int> fixed, rest;
  std::map<space::Strategy, std::vector<int>> by_strategy;
  for (int i = 0; i < static_cast<int>(plans.size()); ++i) {
    const space::Strategy s = plans[i].candidate.strategy;
    if (s == space::Strategy::kLayerwise || s == space::Strategy::kTinyOps) {
      fixed.push_back(i);
    } else {
      by_strategy[s].push_back(i);
    }
  }
  std::set<int> chosen(fixed.begin(), fixed.end());
  // Extremes per strategy: min/max split x min/max n_patch.
  for (auto& [s, ids] : by_strategy) {
    auto key = [&](int i) {
      return std::make_pair(plans[i].candidate.split_idx,
                            plans[i].candidate.n_patch);
    };
    auto [lo, hi] = std::minmax_element(
        ids.begin(), ids.end(), [&](int a, int b) { return key(a) < key(b); });
    chosen.insert(*lo);
    chosen.insert(*hi);
    int max_n_min_split = ids.front(), min_n_max_split = ids.front();
    for (int i : ids) {
      const auto& c = plans[i].candidate;
      const auto& a = plans[max_n_min_split].candidate;
      const auto& b = plans[min_n_max_split].candidate;
      if (c.n_patch > a.n_patch ||
          (c.n_patch == a.n_patch && c.split_idx < a.split_idx)) {
        max_n_min_split = i;
      }
      if (c.split_idx > b.split_idx ||
          (c.split_idx == b.split_idx && c.n_patch < b.n_patch)) {
        min_n_max_split = i;
      }
    }
    chosen.insert(max_n_min_split);
    chosen.insert(min_n_max_split);
  }
  for (auto& [s, ids] : by_strategy) {
    for (int i : ids) {
      if (!chosen.count(i)) rest.push_back(i);
    }
  }
  std::mt19937 rng(seed);
  std::shuffle(rest.begin(), rest.end(), rng);
  for (int i : rest) {
    if (static_cast<int>(chosen.size()) >= count) break;
    chosen.insert(i);
  }
  std::vector<space::Plan> out;
  for (int i : chosen) out.push_back(plans[i]);
  return out;
}

std::string Failures(const HostVerifyResult& result) {
  std::string s;
  for (const CandidateVerdict& v : result.verdicts) {
    if (!v.status.ok()) s += v.candidate_id + ": " + v.status.ToString() + "\n";
  }
  return s;
}

std::string Strategies(const std::vector<space::Plan>& plans) {
  std::set<std::string> names;
  for (const space::Plan& p : plans) {
    names.insert(space::StrategyName(p.candidate.strategy));
  }
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ",") + n;
  return s;
}

void CheckBitExactBothModes(
    const graph::Graph& graph, const std::vector<space::Plan>& plans,
    const std::vector<std::vector<std::vector<int8_t>>>& inputs,
    const std::string& what) {
  for (graph::RequantMode mode : {graph::RequantMode::kSingleRounding,
                                  graph::RequantMode::kDoubleRounding}) {
    HostVerifyOptions o;
    o.requant = mode;
    absl::StatusOr<HostVerifyResult> r = VerifyOnHost(graph, plans, inputs, o);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    INFO(what << (mode == graph::RequantMode::kSingleRounding ? " (single)"
                                                              : " (double)")
              << "\n"
              << Failures(*r));
    CHECK(r->all_ok());
  }
}

}  // namespace mcutune::codegen::testing
