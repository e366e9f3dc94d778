// Active selection: the predicted Pareto front first, then the most
// uncertain candidates that could still be on it; the search loop on
// synthetic networks finds the best with fewer measurements than random.
#include "cost_model/active_selection.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

namespace mcutune::cost_model {
namespace {

SelectionCandidate C(double mean, double rel, int64_t sram, int64_t flash = 0) {
  SelectionCandidate c;
  c.latency = {mean, mean * (1 - rel), mean * (1 + rel)};
  c.peak_sram_bytes = sram;
  c.flash_bytes = flash;
  return c;
}

TEST_CASE(
    "the batch holds the front, fastest first, then uncertain candidates") {
  std::vector<SelectionCandidate> c = {
      C(100, 0.05, 500),  // 0 front: fastest
      C(120, 0.05, 300),  // 1 front
      C(150, 0.05, 100),  // 2 front: smallest
      C(105, 0.30, 600),  // 3 dominated by 0, but could be faster (95 < 105)
      C(300, 0.05, 600),  // 4 dominated for certain (285 > 105)
      C(104, 0.10, 550),  // 5 dominated by 0, plausible, narrower than 3
  };
  SelectionOptions o;
  o.batch_size = 4;  // 3 exploit + 1 explore
  const std::vector<int> b = SelectBatch(c, o);
  CHECK(b == std::vector<int>{0, 1, 2, 3});
  o.batch_size =
      8;  // 6 exploit slots (3 used) + 2 explore; the rest as available
  CHECK(SelectBatch(c, o) == std::vector<int>{0, 1, 2, 3, 5});
}

TEST_CASE("measured candidates are never picked and anchor the front") {
  std::vector<SelectionCandidate> c = {
      C(100, 0.05, 500),
      C(120, 0.05, 300),
      C(104, 0.2, 550),
      C(200, 0.05, 900),
  };
  c[0].measured = 90;  // faster than predicted
  SelectionOptions o;
  o.batch_size = 4;
  std::vector<int> b = SelectBatch(c, o);
  CHECK(std::find(b.begin(), b.end(), 0) == b.end());
  // 2's lower bound 83.2 < 90 keeps it plausible; 3 (>= 190) is beaten.
  CHECK(b == std::vector<int>{1, 2});
  c[1].measured = 125;
  c[2].measured = 95;
  CHECK(SelectBatch(c, o).empty());  // nothing plausible is left unmeasured
}

TEST_CASE("a batch of one is pure exploitation") {
  std::vector<SelectionCandidate> c = {C(100, 0.5, 10), C(90, 0.01, 20)};
  SelectionOptions o;
  o.batch_size = 1;
  CHECK(SelectBatch(c, o) == std::vector<int>{1});
}

// Networks with latency = 3 * conv1x1 + 8 * dw + 20000 * calls; MACs alone
// mislead (calls vary), the model learns it from the other networks.
std::vector<Sample> Network(const std::string& name, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) {
    Sample s;
    s.model = name;
    s.candidate = name + "-" + std::to_string(i);
    const double pw = 1e6 * (1 + 0.3 * u(rng)), dw = 2e5 * (1 + 0.3 * u(rng));
    const double calls = 20 + std::floor(400 * u(rng));
    s.features.Set("one", 1);
    s.features.Set("macs.conv1x1", pw);
    s.features.Set("macs.dw3_s1", dw);
    s.features.Set("kernel_calls", calls);
    s.features.Set("macs.planned", pw + dw);
    s.features.Set("sram.peak_bytes", std::floor(1e5 * u(rng)));
    s.measured =
        (3 * pw + 8 * dw + 20000 * calls) * (1 + 0.01 * (u(rng) - 0.5));
    out.push_back(s);
  }
  return out;
}

TEST_CASE("active search finds the best in fewer measurements than random") {
  std::vector<Sample> prior;
  for (int k = 0; k < 4; ++k) {
    const auto n = Network("prior" + std::to_string(k), 12, 100 + k);
    prior.insert(prior.end(), n.begin(), n.end());
  }
  ActiveSearchOptions o;
  o.model.features = {"one", "macs.conv1x1", "macs.dw3_s1", "kernel_calls"};
  o.selection.batch_size = 4;
  double active = 0, random = 0;
  for (int j = 0; j < 5; ++j) {
    const std::vector<Sample> job =
        Network("job" + std::to_string(j), 60, 7 + j);
    auto m = MeasurementsToBest(prior, job, o);
    REQUIRE(m.ok());
    CHECK(*m <= 8);  // found within the first two batches
    active += *m;
    random += RandomMeasurementsToBest(job);
  }
  CHECK(active < random / 3);
}

TEST_CASE("ActiveSearch records, refits and reports the best") {
  const std::vector<Sample> prior = Network("p", 20, 1);
  std::vector<SearchCandidate> cands;
  for (const Sample& s : Network("job", 10, 2)) {
    SearchCandidate c;
    c.id = s.candidate;
    c.features = s.features;
    cands.push_back(c);
  }
  ActiveSearchOptions o;
  o.model.features = {"one", "macs.conv1x1", "macs.dw3_s1", "kernel_calls"};
  auto s = ActiveSearch::Create(prior, cands, "job", o);
  REQUIRE(s.ok());
  CHECK((*s)->predictions().size() == 10);
  CHECK(!(*s)->best_measured().has_value());
  CHECK((*s)->Record(42, 1).code() == absl::StatusCode::kInvalidArgument);
  CHECK((*s)->Record(0, -1).code() == absl::StatusCode::kInvalidArgument);
  REQUIRE((*s)->Record(3, 5e6).ok());
  REQUIRE((*s)->Record(4, 4e6).ok());
  REQUIRE((*s)->Refit().ok());
  CHECK((*s)->measured_count() == 2);
  CHECK((*s)->best_measured() == 4);
  for (int i : (*s)->NextBatch()) CHECK((i != 3 && i != 4));
  CHECK(ActiveSearch::Create({}, cands, "job", o).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mcutune::cost_model
