// The linear model and NNLS on synthetic data with known answers.
#include "cost_model/cost_model.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <random>

#include "cost_model/nnls.h"

namespace mcutune::cost_model {
namespace {

// y = 100 + 3 * conv1x1 + 0.5 * kernel_calls * 1000 + 7 * copy.bytes,
// exactly, over random features, grouped into 4 networks.
std::vector<Sample> Synthetic(int n, uint32_t seed, double noise = 0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(1, 1000);
  std::normal_distribution<double> e(0, 1);
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) {
    Sample s;
    s.model = "net" + std::to_string(i % 4);
    s.candidate = "c" + std::to_string(i);
    s.features.Set("one", 1);
    s.features.Set("macs.conv1x1", u(rng) * 1000);
    s.features.Set("kernel_calls", std::floor(u(rng)));
    s.features.Set("copy.bytes", u(rng) * 10);
    s.measured = 100 + 3 * s.features.Get("macs.conv1x1") +
                 500 * s.features.Get("kernel_calls") +
                 7 * s.features.Get("copy.bytes");
    s.measured *= 1 + noise * e(rng);
    out.push_back(s);
  }
  return out;
}

CostModelOptions Exact() {
  CostModelOptions o;
  o.features = {"one", "macs.conv1x1", "kernel_calls", "copy.bytes",
                "macs.dw3_s1"};
  o.ridge = 0;
  return o;
}

TEST_CASE("the linear model recovers known coefficients") {
  const std::vector<Sample> data = Synthetic(60, 7);
  auto m = MakeCostModel(Exact());
  REQUIRE(m->Fit(data).ok());
  REQUIRE(m->fitted());
  std::map<std::string, double> c;
  for (const auto& [name, v] : m->Coefficients()) c[name] = v;
  CHECK(c["one"] == Approx(100).epsilon(1e-6));
  CHECK(c["macs.conv1x1"] == Approx(3).epsilon(1e-9));
  CHECK(c["kernel_calls"] == Approx(500).epsilon(1e-9));
  CHECK(c["copy.bytes"] == Approx(7).epsilon(1e-9));
  CHECK(c["macs.dw3_s1"] == 0);  // an all-zero column stays 0
  for (const Sample& s : data) {
    const Prediction p = m->Predict(s.features);
    CHECK(p.mean == Approx(s.measured).epsilon(1e-9));
    CHECK(p.lower <= p.mean);
    CHECK(p.upper >= p.mean);
  }
}

TEST_CASE("a small ridge barely moves an exact fit, intervals cover noise") {
  const std::vector<Sample> data = Synthetic(200, 11, 0.05);
  CostModelOptions o = Exact();
  o.ridge = 1e-4;
  auto m = MakeCostModel(o);
  REQUIRE(m->Fit(data).ok());
  const std::vector<Sample> test = Synthetic(400, 12, 0.05);
  int inside = 0;
  for (const Sample& s : test) {
    const Prediction p = m->Predict(s.features);
    inside += s.measured >= p.lower && s.measured <= p.upper;
  }
  // 90% intervals from leave-one-network-out residuals of 5% noise.
  CHECK(inside >= 0.8 * test.size());
  CHECK(inside <= 0.98 * test.size());
}

TEST_CASE("NNLS keeps coefficients non-negative at the constrained optimum") {
  // b = 2 a0 - 1 a1 (unconstrained optimum has a negative coefficient).
  Eigen::MatrixXd a(4, 2);
  a << 1, 0, 0, 1, 1, 1, 2, 1;
  const Eigen::VectorXd x_true = (Eigen::VectorXd(2) << 2, -1).finished();
  const Eigen::VectorXd b = a * x_true;
  const NnlsResult r = SolveNnls(a, b);
  REQUIRE(r.converged);
  CHECK(r.x[1] == 0);
  // With x1 = 0 the optimum of x0 is a0.b / a0.a0 = (2 + 1 + 6) / 6.
  CHECK(r.x[0] == Approx(9.0 / 6.0));
  // KKT: the gradient at the optimum is >= 0 for the zero coefficient.
  const Eigen::VectorXd w = a.transpose() * (b - a * r.x);
  CHECK(w[1] <= 1e-9);
  CHECK(std::abs(w[0]) < 1e-9);
  // A free coefficient may go negative: the exact solution comes back.
  const NnlsResult f = SolveNnls(a, b, {false, true});
  CHECK(f.x[0] == Approx(2));
  CHECK(f.x[1] == Approx(-1));
}

TEST_CASE("NNLS on random problems satisfies the KKT conditions") {
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0, 1);
  for (int trial = 0; trial < 20; ++trial) {
    Eigen::MatrixXd a(30, 6);
    Eigen::VectorXd b(30);
    for (int i = 0; i < 30; ++i) {
      b[i] = g(rng);
      for (int j = 0; j < 6; ++j) a(i, j) = g(rng);
    }
    const NnlsResult r = SolveNnls(a, b);
    REQUIRE(r.converged);
    const Eigen::VectorXd w = a.transpose() * (b - a * r.x);
    for (int j = 0; j < 6; ++j) {
      CHECK(r.x[j] >= 0);
      if (r.x[j] > 0)
        CHECK(std::abs(w[j]) < 1e-8);
      else
        CHECK(w[j] < 1e-8);
    }
  }
}

TEST_CASE("per-unit costs are capped at their physical ceilings") {
  // 40000 instructions per kernel call is far beyond the 5000 ceiling.
  std::vector<Sample> data;
  for (int i = 1; i <= 12; ++i) {
    Sample s;
    s.model = "n" + std::to_string(i % 3);
    s.features.Set("macs.conv", 1e6 * i);
    s.features.Set("kernel_calls", 10 * ((i * 7) % 5 + 1));
    s.measured = 2 * s.features.Get("macs.conv") +
                 40000 * s.features.Get("kernel_calls");
    data.push_back(s);
  }
  CostModelOptions o;
  o.features = {"macs.conv", "kernel_calls"};
  o.ridge = 0;
  auto capped = MakeCostModel(o);
  REQUIRE(capped->Fit(data).ok());
  CHECK(capped->Coefficients()[1].second ==
        Approx(FeatureCostCeiling("kernel_calls")));
  CHECK(FeatureCostCeiling("kernel_calls") == 5000);
  o.cost_ceilings = false;
  auto free = MakeCostModel(o);
  REQUIRE(free->Fit(data).ok());
  CHECK(free->Coefficients()[1].second == Approx(40000).epsilon(1e-6));
  CHECK(free->Coefficients()[0].second == Approx(2).epsilon(1e-6));
}

TEST_CASE(
    "bounded NNLS never exceeds a bound and equals NNLS when none binds") {
  Eigen::MatrixXd a(4, 2);
  a << 1, 0, 0, 1, 1, 1, 2, 1;
  const Eigen::VectorXd b = a * (Eigen::VectorXd(2) << 3, 5).finished();
  const NnlsResult loose = SolveBoundedNnls(a, b, {10, 10});
  CHECK(loose.x[0] == Approx(3));
  CHECK(loose.x[1] == Approx(5));
  const NnlsResult tight = SolveBoundedNnls(a, b, {10, 4});
  CHECK(tight.x[1] == 4);
  // b = (3, 5, 8, 11). With x1 pinned at 4, x0 minimises
  // ||a0 x0 - (b - 4 a1)|| with b - 4 a1 = (3, 1, 4, 7), a0 = (1, 0, 1, 2):
  // x0 = a0.(b - 4 a1) / a0.a0 = (3 + 4 + 14) / 6.
  CHECK(tight.x[0] == Approx(21.0 / 6.0));
}

TEST_CASE("the MAC baseline uses only MACs and an offset") {
  std::vector<Sample> data;
  for (int i = 1; i <= 10; ++i) {
    Sample s;
    s.model = i % 2 ? "a" : "b";
    s.features.Set("one", 1);
    s.features.Set("macs.planned", i * 1e6);
    s.features.Set("kernel_calls", 1e9);  // ignored by the baseline
    s.measured = 5e6 + 7 * i * 1e6;
    data.push_back(s);
  }
  auto b = MakeMacBaseline();
  REQUIRE(b->Fit(data).ok());
  CHECK(b->kind() == ModelKind::kMacBaseline);
  const auto c = b->Coefficients();
  REQUIRE(c.size() == 2);
  CHECK(c[0].first == "one");
  CHECK(c[1].first == "macs.planned");
  CHECK(c[1].second == Approx(7).epsilon(1e-3));
}

TEST_CASE("models round-trip through JSON") {
  const std::vector<Sample> data = Synthetic(40, 5, 0.02);
  auto m = MakeCostModel(Exact());
  REQUIRE(m->Fit(data).ok());
  auto back = CostModelFromJson(m->ToJson());
  REQUIRE(back.ok());
  for (const Sample& s : data) {
    const Prediction a = m->Predict(s.features),
                     b = (*back)->Predict(s.features);
    CHECK(a.mean == b.mean);
    CHECK(a.lower == b.lower);
    CHECK(a.upper == b.upper);
  }
  CHECK((*back)->ToJson() == m->ToJson());
}

TEST_CASE("bad fits and bad JSON are errors") {
  auto m = MakeCostModel();
  CHECK(m->Fit({}).code() == absl::StatusCode::kInvalidArgument);
  std::vector<Sample> data = Synthetic(10, 1);
  data[3].measured = 0;
  CHECK(m->Fit(data).code() == absl::StatusCode::kInvalidArgument);
  CHECK(!m->fitted());
  CHECK(m->Predict(data[0].features).mean == 0);
  CostModelOptions o;
  o.features = {"one", "no.such"};
  CHECK(MakeCostModel(o)->Fit(Synthetic(10, 1)).code() ==
        absl::StatusCode::kInvalidArgument);
  const std::string v = "{\"kind\":\"linear\",\"feature_set_version\":" +
                        std::to_string(kFeatureSetVersion) + ",";
  for (const std::string& bad :
       {std::string(), std::string("[]"), std::string("{\"kind\":\"quantum\"}"),
        std::string(
            "{\"kind\":\"linear\",\"feature_set_version\":999,\"features\":"
            "[\"one\"],\"coefficients\":[1]}"),
        v + "\"features\":[\"one\"],\"coefficients\":[1,2]}",
        v + "\"features\":[\"zzz\"],\"coefficients\":[1]}",
        v + "\"features\":[\"one\"],\"coefficients\":[1],\"interval\":{\"rel_"
            "lo\":\"x\"}}",
        v + "\"features\":[\"one\"],\"coefficients\":[1],"
            "\"interval\":{\"rel_lo\":0.5,\"rel_hi\":0.1}}",
        v + "\"features\":[\"one\"],\"coefficients\":[\"a\"]}"}) {
    INFO(bad);
    CHECK(CostModelFromJson(bad).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace mcutune::cost_model
