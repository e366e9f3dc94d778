// CostModel: predicts the latency of a candidate on a board kind from its
// features, with an interval that says how wrong it tends to be.
//
//   calibration samples (features + measured count) ──Fit──► CostModel
//   FeatureVector ──Predict──► {mean, lower, upper}     (same unit as the
//                                                        samples: instructions
//                                                        on QEMU, cycles on
//                                                        silicon)
//   CostModel ──ToJson / CostModelFromJson──► stored versions (model_store.h)
//
// In the tuning loop (ARCHITECTURE.md step 3) the tuner ranks a job's
// candidates with Predict, measures a few (active_selection.h), adds the
// measurements to the samples and fits again.
//
// Kinds:
//   "mac"     the MAC-only baseline: count = a * macs.planned + b (a, b >= 0),
//             the literature's starting point and the comparison for every
//             evaluation (evaluation.h).
//   "linear"  count = sum_j c_j * feature_j over a chosen feature list
//             (default DefaultLinearFeatures()): per-class costs per MAC, per
//             output, per call, per copied byte. Coefficients are
//             non-negative and at most a physical ceiling per unit
//             (bounded NNLS, nnls.h), with a small ridge penalty on
//             column-normalised features.
// Both minimise the *relative* squared error (rows weighted by
// weight / measured), because candidates of one network differ by a few
// percent while networks differ by 50x: an absolute fit would serve only
// the largest networks.
// Intervals: quantiles of the relative residuals measured / predicted - 1
// (of leave-one-model-out predictions when the samples come from >= 3
// models, else in-sample), at `interval_coverage`, so lower <= mean <= upper.
//
// Thread-safety: Predict is const and thread-safe; Fit is not (call it
// before sharing the model). Call order: Fit (or CostModelFromJson) before
// Predict; an unfitted model predicts {0, 0, 0}.
#ifndef MCUTUNE_COST_MODEL_COST_MODEL_H_
#define MCUTUNE_COST_MODEL_COST_MODEL_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cost_model/features.h"

namespace mcutune::cost_model {

// One measured candidate.
struct Sample {
  std::string model;      // network name: the group of leave-one-model-out
  std::string candidate;  // Candidate::Id()
  FeatureVector features;
  double measured = 0;  // count per inference, > 0
  double weight = 1;    // relative importance in the fit, > 0
  int64_t id = 0;       // store row id (0 when not stored)
};

struct Prediction {
  double mean = 0;
  double lower = 0;
  double upper = 0;
};

enum class ModelKind { kMacBaseline, kLinear };
const char* ModelKindName(ModelKind kind);  // "mac", "linear"

struct CostModelOptions {
  ModelKind kind = ModelKind::kLinear;
  // Features of the linear model; empty = DefaultLinearFeatures(). Ignored
  // by the baseline (always {"one", "macs.planned"}).
  std::vector<std::string> features;
  // Ridge penalty relative to the (row-weighted, column-normalised) problem.
  double ridge = 1e-4;
  // Minimise relative error (rows weighted by 1 / measured).
  bool relative = true;
  // Cap each per-unit cost at FeatureCostCeiling (features.h): a feature
  // whose count is tiny in every network (FC MACs of a 2-class head) could
  // otherwise soak up residuals at thousands of instructions per unit.
  bool cost_ceilings = true;
  // Two-sided coverage of the prediction interval.
  double interval_coverage = 0.9;
  // Interval from leave-one-model-out residuals (needs >= 3 models).
  bool cross_validated_interval = true;
};

// The feature list the linear model uses by default (chosen by measurement:
// docs/cost_model.md).
const std::vector<std::string>& DefaultLinearFeatures();

class CostModel {
 public:
  virtual ~CostModel() = default;
  // Fits to `samples`. INVALID_ARGUMENT when there are fewer samples than
  // two, a measured count or weight is not > 0 / finite, or (linear) a
  // feature name is unknown. The previous fit is kept on error.
  virtual absl::Status Fit(const std::vector<Sample>& samples) = 0;
  virtual Prediction Predict(const FeatureVector& features) const = 0;
  virtual ModelKind kind() const = 0;
  virtual bool fitted() const = 0;
  // {"kind", "feature_set_version", "features", "coefficients",
  //  "interval": {"coverage", "rel_lo", "rel_hi", "source"}, "options",
  //  "fit": {"samples", "models"}}.
  virtual std::string ToJson() const = 0;
  // Coefficient per feature name (empty before Fit).
  virtual std::vector<std::pair<std::string, double>> Coefficients() const = 0;
};

std::unique_ptr<CostModel> MakeCostModel(const CostModelOptions& options = {});
// MakeCostModel with kind = kMacBaseline.
std::unique_ptr<CostModel> MakeMacBaseline();

// A model saved by ToJson. INVALID_ARGUMENT for malformed JSON, an unknown
// kind or feature, a feature-set version other than kFeatureSetVersion, or
// coefficients that do not match the features.
absl::StatusOr<std::unique_ptr<CostModel>> CostModelFromJson(
    std::string_view json);

}  // namespace mcutune::cost_model

#endif  // MCUTUNE_COST_MODEL_COST_MODEL_H_
