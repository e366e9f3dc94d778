// Evaluation metrics and leave-one-model-out cross-validation
// (evaluation.h). Networks are held out in sorted name order; within one
// network, samples keep their input order (the top-k tie-break).
#include "cost_model/evaluation.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "absl/strings/str_cat.h"

namespace mcutune::cost_model {
namespace {

double Mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  return std::accumulate(v.begin(), v.end(), 0.0) /
         static_cast<double>(v.size());
}

std::map<std::string, std::vector<int>> ByGroup(
    const std::vector<std::string>& groups) {
  std::map<std::string, std::vector<int>> by;
  for (size_t i = 0; i < groups.size(); ++i)
    by[groups[i]].push_back(static_cast<int>(i));
  return by;
}

// True when a measured-best sample of `idx` is among the k predicted best.
bool BestInTopK(const std::vector<int>& idx,
                const std::vector<double>& measured,
                const std::vector<double>& predicted, int k) {
  std::vector<int> order = idx;
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return predicted[a] < predicted[b]; });
  double best = measured[idx[0]];
  for (int i : idx) best = std::min(best, measured[i]);
  for (int r = 0; r < k && r < static_cast<int>(order.size()); ++r) {
    if (measured[order[r]] <= best) return true;
  }
  return false;
}

nlohmann::json ScoresJson(const Scores& s) {
  return {{"samples", s.samples},
          {"models", s.models},
          {"pearson_r", s.pearson_r},
          {"r2", s.r2},
          {"mape", s.mape},
          {"spearman", s.spearman},
          {"spearman_within", s.spearman_within},
          {"top1_recall", s.top1_recall},
          {"top5_recall", s.top5_recall},
          {"top5_models", s.top5_models},
          {"interval_coverage", s.interval_coverage}};
}

}  // namespace

double PearsonR(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0;
  const double mx = Mean(x), my = Mean(y);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return 0;
  return sxy / std::sqrt(sxx * syy);
}

double RSquared(const std::vector<double>& measured,
                const std::vector<double>& predicted) {
  const double m = Mean(measured);
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < measured.size(); ++i) {
    ss_res += (measured[i] - predicted[i]) * (measured[i] - predicted[i]);
    ss_tot += (measured[i] - m) * (measured[i] - m);
  }
  return ss_tot > 0 ? 1 - ss_res / ss_tot : 0;
}

double Mape(const std::vector<double>& measured,
            const std::vector<double>& predicted) {
  if (measured.empty()) return 0;
  double s = 0;
  for (size_t i = 0; i < measured.size(); ++i) {
    s += std::abs(predicted[i] - measured[i]) / measured[i];
  }
  return s / static_cast<double>(measured.size());
}

std::vector<double> Ranks(const std::vector<double>& v) {
  std::vector<int> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double r = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = r;
    i = j + 1;
  }
  return rank;
}

double Spearman(const std::vector<double>& x, const std::vector<double>& y) {
  return PearsonR(Ranks(x), Ranks(y));
}

double TopKRecall(const std::vector<std::string>& groups,
                  const std::vector<double>& measured,
                  const std::vector<double>& predicted, int k, int* counted) {
  int n = 0, hits = 0;
  for (const auto& [name, idx] : ByGroup(groups)) {
    if (static_cast<int>(idx.size()) <= k) continue;
    ++n;
    if (BestInTopK(idx, measured, predicted, k)) ++hits;
  }
  if (counted) *counted = n;
  return n ? static_cast<double>(hits) / n : 1.0;
}

Scores Score(const std::vector<Sample>& samples,
             const std::vector<Prediction>& p) {
  Scores s;
  std::vector<double> y, q;
  std::vector<std::string> groups;
  int inside = 0;
  for (size_t i = 0; i < samples.size() && i < p.size(); ++i) {
    y.push_back(samples[i].measured);
    q.push_back(p[i].mean);
    groups.push_back(samples[i].model);
    if (samples[i].measured >= p[i].lower && samples[i].measured <= p[i].upper)
      ++inside;
  }
  s.samples = static_cast<int>(y.size());
  const auto by = ByGroup(groups);
  s.models = static_cast<int>(by.size());
  s.pearson_r = PearsonR(y, q);
  s.r2 = RSquared(y, q);
  s.mape = Mape(y, q);
  s.spearman = Spearman(y, q);
  std::vector<double> within;
  for (const auto& [name, idx] : by) {
    if (idx.size() < 2) continue;
    std::vector<double> a, b;
    for (int i : idx) a.push_back(y[i]), b.push_back(q[i]);
    within.push_back(Spearman(a, b));
  }
  s.spearman_within = Mean(within);
  s.top1_recall = TopKRecall(groups, y, q, 1);
  s.top5_recall = TopKRecall(groups, y, q, 5, &s.top5_models);
  s.interval_coverage = y.empty() ? 0 : static_cast<double>(inside) / y.size();
  return s;
}

absl::StatusOr<EvaluationReport> LeaveOneModelOut(
    const std::vector<Sample>& samples, const CostModelOptions& options) {
  std::set<std::string> models;
  for (const Sample& s : samples) models.insert(s.model);
  if (models.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leave-one-model-out needs samples of at least 2 networks, got ",
        models.size()));
  }
  EvaluationReport r;
  r.method = "leave_one_model_out";
  r.predictions.resize(samples.size());
  r.baseline_predictions.resize(samples.size());
  for (const std::string& m : models) {
    std::vector<Sample> train;
    for (const Sample& s : samples) {
      if (s.model != m) train.push_back(s);
    }
    std::unique_ptr<CostModel> model = MakeCostModel(options);
    std::unique_ptr<CostModel> base = MakeMacBaseline();
    if (absl::Status st = model->Fit(train); !st.ok()) return st;
    if (absl::Status st = base->Fit(train); !st.ok()) return st;
    ModelScores ms;
    ms.model = m;
    std::vector<int> idx;
    std::vector<double> y, p, pb;
    for (size_t i = 0; i < samples.size(); ++i) {
      if (samples[i].model != m) continue;
      r.predictions[i] = model->Predict(samples[i].features);
      r.baseline_predictions[i] = base->Predict(samples[i].features);
      idx.push_back(static_cast<int>(idx.size()));
      y.push_back(samples[i].measured);
      p.push_back(r.predictions[i].mean);
      pb.push_back(r.baseline_predictions[i].mean);
    }
    ms.samples = static_cast<int>(y.size());
    ms.mape = Mape(y, p);
    ms.baseline_mape = Mape(y, pb);
    ms.spearman = Spearman(y, p);
    ms.baseline_spearman = Spearman(y, pb);
    ms.best_in_top5 = BestInTopK(idx, y, p, 5);
    ms.baseline_best_in_top5 = BestInTopK(idx, y, pb, 5);
    r.per_model.push_back(ms);
  }
  r.model = Score(samples, r.predictions);
  r.baseline = Score(samples, r.baseline_predictions);
  return r;
}

std::string EvaluationToJson(const EvaluationReport& r) {
  nlohmann::json j;
  j["method"] = r.method;
  j["pearson_r"] = r.model.pearson_r;
  j["r2"] = r.model.r2;
  j["mape"] = r.model.mape;
  j["spearman"] = r.model.spearman;
  j["top5_recall"] = r.model.top5_recall;
  j["baseline_pearson_r"] = r.baseline.pearson_r;
  j["baseline_r2"] = r.baseline.r2;
  j["baseline_mape"] = r.baseline.mape;
  j["baseline_spearman"] = r.baseline.spearman;
  j["baseline_top5_recall"] = r.baseline.top5_recall;
  j["model"] = ScoresJson(r.model);
  j["baseline"] = ScoresJson(r.baseline);
  nlohmann::json per = nlohmann::json::array();
  for (const ModelScores& m : r.per_model) {
    per.push_back({{"model", m.model},
                   {"samples", m.samples},
                   {"mape", m.mape},
                   {"baseline_mape", m.baseline_mape},
                   {"spearman", m.spearman},
                   {"baseline_spearman", m.baseline_spearman},
                   {"best_in_top5", m.best_in_top5},
                   {"baseline_best_in_top5", m.baseline_best_in_top5}});
  }
  j["per_model"] = per;
  return j.dump();
}

}  // namespace mcutune::cost_model
