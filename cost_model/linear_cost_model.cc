// The linear cost model and the MAC-only baseline (cost_model.h).
// - Design matrix: the model's feature columns; rows scaled by
//   weight / measured when `relative` (so residuals are relative errors).
// - Columns normalised to unit RMS, a ridge row sqrt(ridge) * I appended
//   (the intercept "one" is not penalised), NNLS solved, scales undone.
// - Interval: relative residuals of leave-one-model-out refits (>= 3 models)
//   or of the fit itself; their (1-c)/2 and (1+c)/2 quantiles, clipped so
//   the interval contains the mean.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "cost_model/cost_model.h"
#include "cost_model/nnls.h"

namespace mcutune::cost_model {
namespace {

using nlohmann::json;

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * (static_cast<double>(v.size()) - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  const size_t j = std::min(i + 1, v.size() - 1);
  return v[i] + (pos - static_cast<double>(i)) * (v[j] - v[i]);
}

class LinearCostModel : public CostModel {
 public:
  explicit LinearCostModel(CostModelOptions options)
      : options_(std::move(options)) {
    if (options_.kind == ModelKind::kMacBaseline) {
      options_.features = {"one", "macs.planned"};
    } else if (options_.features.empty()) {
      options_.features = DefaultLinearFeatures();
    }
  }

  absl::Status Fit(const std::vector<Sample>& samples) override {
    if (samples.size() < 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cost model fit needs at least 2 samples, got ", samples.size()));
    }
    std::vector<int> cols;
    for (const std::string& name : options_.features) {
      const int i = FeatureIndex(name);
      if (i < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown feature '", name, "'"));
      }
      cols.push_back(i);
    }
    for (const Sample& s : samples) {
      if (!(s.measured > 0) || !std::isfinite(s.measured) || !(s.weight > 0) ||
          !std::isfinite(s.weight)) {
        return absl::InvalidArgumentError(
            absl::StrCat("sample ", s.model, "/", s.candidate,
                         ": measured count and weight must be finite and > 0"));
      }
    }
    const Eigen::VectorXd coef = Solve(samples, cols);
    std::set<std::string> models;
    for (const Sample& s : samples) models.insert(s.model);
    // Interval residuals.
    std::vector<double> rel;
    std::string source = "in_sample";
    if (options_.cross_validated_interval && models.size() >= 3) {
      source = "leave_one_model_out";
      for (const std::string& m : models) {
        std::vector<Sample> train, test;
        for (const Sample& s : samples)
          (s.model == m ? test : train).push_back(s);
        const Eigen::VectorXd c = Solve(train, cols);
        for (const Sample& s : test) rel.push_back(Relative(s, cols, c));
      }
    } else {
      for (const Sample& s : samples) rel.push_back(Relative(s, cols, coef));
    }
    const double c = std::clamp(options_.interval_coverage, 0.0, 1.0);
    cols_ = cols;
    coef_ = coef;
    rel_lo_ = std::min(0.0, Quantile(rel, (1 - c) / 2));
    rel_hi_ = std::max(0.0, Quantile(rel, (1 + c) / 2));
    interval_source_ = source;
    n_samples_ = static_cast<int>(samples.size());
    n_models_ = static_cast<int>(models.size());
    fitted_ = true;
    return absl::OkStatus();
  }

  Prediction Predict(const FeatureVector& f) const override {
    Prediction p;
    if (!fitted_) return p;
    p.mean = Dot(f, cols_, coef_);
    p.lower = std::max(0.0, p.mean * (1 + rel_lo_));
    p.upper = p.mean * (1 + rel_hi_);
    return p;
  }

  ModelKind kind() const override { return options_.kind; }
  bool fitted() const override { return fitted_; }

  std::string ToJson() const override {
    json j;
    j["kind"] = ModelKindName(options_.kind);
    j["feature_set_version"] = kFeatureSetVersion;
    j["features"] = options_.features;
    std::vector<double> c(coef_.data(), coef_.data() + coef_.size());
    j["coefficients"] = c;
    j["interval"] = {{"coverage", options_.interval_coverage},
                     {"rel_lo", rel_lo_},
                     {"rel_hi", rel_hi_},
                     {"source", interval_source_}};
    j["options"] = {
        {"ridge", options_.ridge},
        {"relative", options_.relative},
        {"cost_ceilings", options_.cost_ceilings},
        {"cross_validated_interval", options_.cross_validated_interval}};
    j["fit"] = {{"samples", n_samples_}, {"models", n_models_}};
    return j.dump();
  }

  std::vector<std::pair<std::string, double>> Coefficients() const override {
    std::vector<std::pair<std::string, double>> out;
    if (!fitted_) return out;
    for (size_t k = 0; k < cols_.size(); ++k) {
      out.emplace_back(FeatureNames()[cols_[k]], coef_[k]);
    }
    return out;
  }

  // Restores a saved fit (CostModelFromJson).
  void Restore(std::vector<int> cols, Eigen::VectorXd coef, double lo,
               double hi, std::string source, int samples, int models) {
    cols_ = std::move(cols);
    coef_ = std::move(coef);
    rel_lo_ = lo;
    rel_hi_ = hi;
    interval_source_ = std::move(source);
    n_samples_ = samples;
    n_models_ = models;
    fitted_ = true;
  }

 private:
  static double Dot(const FeatureVector& f, const std::vector<int>& cols,
                    const Eigen::VectorXd& c) {
    double y = 0;
    for (size_t k = 0; k < cols.size(); ++k) y += c[k] * f.values[cols[k]];
    return y;
  }

  static double Relative(const Sample& s, const std::vector<int>& cols,
                         const Eigen::VectorXd& c) {
    const double p = Dot(s.features, cols, c);
    return p > 0 ? s.measured / p - 1 : 1.0;
  }

  Eigen::VectorXd Solve(const std::vector<Sample>& samples,
                        const std::vector<int>& cols) const {
    const int n = static_cast<int>(samples.size());
    const int p = static_cast<int>(cols.size());
    Eigen::MatrixXd a(n + p, p);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(n + p);
    for (int i = 0; i < n; ++i) {
      const Sample& s = samples[i];
      const double w = options_.relative ? s.weight / s.measured : s.weight;
      for (int k = 0; k < p; ++k) a(i, k) = w * s.features.values[cols[k]];
      b[i] = w * s.measured;
    }
    Eigen::VectorXd scale(p);
    for (int k = 0; k < p; ++k) {
      const double rms =
          a.col(k).head(n).norm() / std::sqrt(static_cast<double>(n));
      scale[k] = rms > 0 ? 1 / rms : 0;
      a.col(k).head(n) *= scale[k];
    }
    a.bottomRows(p).setZero();
    const double lambda = std::sqrt(std::max(0.0, options_.ridge) * n);
    const int one = FeatureIndex("one");
    for (int k = 0; k < p; ++k) a(n + k, k) = cols[k] == one ? 0 : lambda;
    std::vector<double> upper(p, std::numeric_limits<double>::infinity());
    if (options_.cost_ceilings) {
      for (int k = 0; k < p; ++k) {
        const double ceiling = FeatureCostCeiling(FeatureNames()[cols[k]]);
        if (scale[k] > 0) upper[k] = ceiling / scale[k];
      }
    }
    const NnlsResult r = SolveBoundedNnls(a, b, upper);
    Eigen::VectorXd coef = r.x.cwiseProduct(scale);
    return coef;
  }

  CostModelOptions options_;
  std::vector<int> cols_;
  Eigen::VectorXd coef_;
  double rel_lo_ = 0, rel_hi_ = 0;
  std::string interval_source_;
  int n_samples_ = 0, n_models_ = 0;
  bool fitted_ = false;
};

}  // namespace

const char* ModelKindName(ModelKind kind) {
  return kind == ModelKind::kMacBaseline ? "mac" : "linear";
}

const std::vector<std::string>& DefaultLinearFeatures() {
  // Chosen by leave-one-model-out on the qemu-f746 calibration data
  // (docs/cost_model.md): one per-MAC cost for every CONV_2D (1x1 and k x k
  // share the dot-product loop; separate conv classes could not be learned
  // for a held-out network whose k x k convolutions are unlike the stems of
  // the others), per-output requantisation costs, the depthwise 3x3 /
  // larger / border / in-place loops (the in-place kernel's border outputs
  // and general-loop interiors apart), and the overheads. Left out: counts
  // too small to identify across networks (FC outputs, pooling, softmax),
  // which otherwise soak up residuals with absurd per-unit costs.
  // macs.conv_generic: the k x k loop's extra cost per MAC over the paired
  // 1x1 loop (about 1.9 vs 0.7 instructions per MAC since that kernel).
  static const std::vector<std::string> f = {
      "macs.conv",       "macs.conv_generic", "macs.dot_tail",
      "macs.dw3",        "macs.dw_large",
      "macs.dw_border",  "macs.dw_scalar",
      "macs.dw_inplace_border", "macs.dw_inplace_generic",
      "macs.fc",         "elems.add",
      "outputs.conv1x1", "outputs.convkxk",
      "outputs.dw",      "im2col.bytes",
      "im2col.calls",    "inplace.window_bytes",
      "kernel_calls",    "copy.bytes",
      "copy.calls",
  };
  return f;
}

std::unique_ptr<CostModel> MakeCostModel(const CostModelOptions& options) {
  return std::make_unique<LinearCostModel>(options);
}

std::unique_ptr<CostModel> MakeMacBaseline() {
  CostModelOptions o;
  o.kind = ModelKind::kMacBaseline;
  return MakeCostModel(o);
}

namespace {

absl::StatusOr<std::unique_ptr<CostModel>> ParseModel(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  auto bad = [](const std::string& why) {
    return absl::InvalidArgumentError("cost model JSON: " + why);
  };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("kind") || !j["kind"].is_string()) return bad("missing kind");
  CostModelOptions o;
  const std::string kind = j["kind"];
  if (kind == "mac") {
    o.kind = ModelKind::kMacBaseline;
  } else if (kind == "linear") {
    o.kind = ModelKind::kLinear;
  } else {
    return bad("unknown kind '" + kind + "'");
  }
  if (!j.contains("feature_set_version") ||
      !j["feature_set_version"].is_number_integer() ||
      j["feature_set_version"].get<int>() != kFeatureSetVersion) {
    return bad(absl::StrCat("feature_set_version must be ", kFeatureSetVersion,
                            " (refit the model)"));
  }
  if (!j.contains("features") || !j["features"].is_array() ||
      !j.contains("coefficients") || !j["coefficients"].is_array() ||
      j["features"].size() != j["coefficients"].size() ||
      j["features"].empty()) {
    return bad(
        "features and coefficients must be arrays of equal, non-zero length");
  }
  std::vector<int> cols;
  Eigen::VectorXd coef(static_cast<Eigen::Index>(j["features"].size()));
  for (size_t k = 0; k < j["features"].size(); ++k) {
    const json& name = j["features"][k];
    const json& c = j["coefficients"][k];
    if (!name.is_string() || FeatureIndex(name.get<std::string>()) < 0) {
      return bad("unknown feature " + name.dump());
    }
    if (!c.is_number() || !std::isfinite(c.get<double>())) {
      return bad("coefficient of " + name.dump() + " is not a finite number");
    }
    o.features.push_back(name);
    cols.push_back(FeatureIndex(name.get<std::string>()));
    coef[static_cast<Eigen::Index>(k)] = c.get<double>();
  }
  if (o.kind == ModelKind::kMacBaseline &&
      o.features != std::vector<std::string>{"one", "macs.planned"}) {
    return bad("a mac model has features [one, macs.planned]");
  }
  double lo = 0, hi = 0, coverage = 0.9;
  std::string source = "in_sample";
  if (j.contains("interval") && j["interval"].is_object()) {
    const json& iv = j["interval"];
    lo = iv.value("rel_lo", 0.0);
    hi = iv.value("rel_hi", 0.0);
    coverage = iv.value("coverage", 0.9);
    source = iv.value("source", std::string("in_sample"));
  }
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > 0 || hi < 0 || lo < -1) {
    return bad("interval needs -1 <= rel_lo <= 0 <= rel_hi");
  }
  o.interval_coverage = coverage;
  if (j.contains("options") && j["options"].is_object()) {
    o.ridge = j["options"].value("ridge", o.ridge);
    o.relative = j["options"].value("relative", o.relative);
    o.cost_ceilings = j["options"].value("cost_ceilings", o.cost_ceilings);
    o.cross_validated_interval = j["options"].value("cross_validated_interval",
                                                    o.cross_validated_interval);
  }
  int samples = 0, models = 0;
  if (j.contains("fit") && j["fit"].is_object()) {
    samples = j["fit"].value("samples", 0);
    models = j["fit"].value("models", 0);
  }
  auto m = std::make_unique<LinearCostModel>(o);
  m->Restore(std::move(cols), std::move(coef), lo, hi, source, samples, models);
  return std::unique_ptr<CostModel>(std::move(m));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CostModel>> CostModelFromJson(
    std::string_view text) {
  try {
    return ParseModel(text);
  } catch (const json::exception& e) {  // a field of the wrong type
    return absl::InvalidArgumentError(
        absl::StrCat("cost model JSON: ", e.what()));
  }
}

}  // namespace mcutune::cost_model
