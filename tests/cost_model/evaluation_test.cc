// Evaluation metrics on tiny datasets worked by hand, and leave-one-model-out.
#include "cost_model/evaluation.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace mcutune::cost_model {
namespace {

TEST_CASE("metrics of a five-point dataset") {
  const std::vector<double> y = {10, 20, 30, 40, 50};
  const std::vector<double> p = {12, 18, 33, 39, 55};
  // Deviations y: -20 -10 0 10 20; p (mean 31.4): -19.4 -13.4 1.6 7.6 23.6.
  // Sxy = 1070, Sxx = 1000, Syy = 1173.2: r = 1070 / sqrt(1173200).
  CHECK(PearsonR(y, p) == Approx(1070 / std::sqrt(1173200.0)).epsilon(1e-12));
  // SS_res = 4 + 4 + 9 + 1 + 25 = 43, SS_tot = 1000.
  CHECK(RSquared(y, p) == Approx(1 - 43.0 / 1000).epsilon(1e-12));
  // |e|/y = .2 .1 .1 .025 .1
  CHECK(Mape(y, p) == Approx(0.525 / 5).epsilon(1e-12));
  // Ranks agree except 2<->... none: both orders are 1..5.
  CHECK(Spearman(y, p) == Approx(1));
}

TEST_CASE("Spearman with ties uses average ranks") {
  CHECK(Ranks({5, 1, 5, 3}) == std::vector<double>{3.5, 1, 3.5, 2});
  // x ranks 1 2.5 2.5 4, y ranks 1 3 2 4: deviations (-1.5 0 0 1.5) and
  // (-1.5 .5 -.5 1.5): Sxy = 4.5, Sxx = 4.5, Syy = 5 -> 4.5 / sqrt(22.5).
  CHECK(Spearman({1, 2, 2, 3}, {10, 30, 20, 40}) ==
        Approx(4.5 / std::sqrt(22.5)).epsilon(1e-12));
}

TEST_CASE("top-k recall per network") {
  // Network a: best (measured 1) is predicted 4th. Network b has only 3
  // candidates (not counted for k = 5), its best predicted 2nd. Network c:
  // best predicted last.
  std::vector<std::string> g;
  std::vector<double> y, p;
  auto add = [&](const std::string& n, std::vector<double> m,
                 std::vector<double> q) {
    for (size_t i = 0; i < m.size(); ++i)
      g.push_back(n), y.push_back(m[i]), p.push_back(q[i]);
  };
  add("a", {5, 3, 4, 1, 2, 6}, {1, 2, 3, 4, 5, 6});
  add("b", {3, 2, 1}, {3, 1, 2});
  add("c", {1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1});
  int counted = 0;
  CHECK(TopKRecall(g, y, p, 5, &counted) == 0.5);
  CHECK(counted == 2);
  CHECK(TopKRecall(g, y, p, 1, &counted) == 0);
  CHECK(counted == 3);
  CHECK(TopKRecall(g, y, p, 2) ==
        Approx(1.0 / 3));  // only b: best predicted 2nd
  // A tie for the measured best counts when any tied one is picked.
  CHECK(TopKRecall({"t", "t", "t"}, {1, 1, 2}, {3, 1, 2}, 1) == 1);
  // Ties in the prediction: sample order decides (first one wins).
  CHECK(TopKRecall({"t", "t"}, {2, 1}, {5, 5}, 1) == 0);
}

// Networks whose latency is exactly 2 * conv1x1 MACs + 4000 * calls: the
// calls make MACs alone a poor predictor, the linear model is exact.
std::vector<Sample> Networks() {
  std::vector<Sample> out;
  for (int net = 0; net < 4; ++net) {
    for (int c = 0; c < 8; ++c) {
      Sample s;
      s.model = "net" + std::to_string(net);
      s.candidate = "c" + std::to_string(c);
      const double macs = 1e6 * (net + 1) * (1 + 0.01 * c);
      const double calls = 10 + 37 * ((c * 5 + net) % 8);
      s.features.Set("one", 1);
      s.features.Set("macs.conv1x1", macs);
      s.features.Set("macs.planned", macs);
      s.features.Set("kernel_calls", calls);
      s.measured = 2 * macs + 4000 * calls;
      out.push_back(s);
    }
  }
  return out;
}

TEST_CASE("leave-one-model-out: an exact model beats the MAC baseline") {
  CostModelOptions o;
  o.features = {"one", "macs.conv1x1", "kernel_calls"};
  auto r = LeaveOneModelOut(Networks(), o);
  REQUIRE(r.ok());
  CHECK(r->method == "leave_one_model_out");
  CHECK(r->model.samples == 32);
  CHECK(r->model.models == 4);
  CHECK(r->model.mape < 1e-3);
  CHECK(r->model.pearson_r > 0.9999);
  CHECK(r->model.top1_recall == 1);
  CHECK(r->model.top5_recall == 1);
  CHECK(r->model.top5_models == 4);
  CHECK(r->baseline.mape > 0.05);
  CHECK(r->baseline.top1_recall < 1);
  REQUIRE(r->per_model.size() == 4);
  CHECK(r->per_model[0].model == "net0");
  CHECK(r->per_model[0].samples == 8);
  const auto j = nlohmann::json::parse(EvaluationToJson(*r));
  for (const char* k : {"pearson_r", "r2", "mape", "spearman", "top5_recall",
                        "baseline_pearson_r", "baseline_r2", "baseline_mape",
                        "baseline_spearman", "baseline_top5_recall"}) {
    INFO(k);
    CHECK(j.contains(k));
  }
  CHECK(j["mape"].get<double>() == r->model.mape);
}

TEST_CASE("leave-one-model-out needs two networks") {
  std::vector<Sample> one = Networks();
  for (Sample& s : one) s.model = "same";
  CHECK(LeaveOneModelOut(one).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mcutune::cost_model
