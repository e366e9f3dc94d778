// Evaluation: what a cost model reports about itself, always next to the
// MAC-only baseline evaluated the same way.
//
//   samples ──LeaveOneModelOut(options)──► for each network m:
//                 fit model and baseline on the other networks, predict m
//             ──► EvaluationReport {model: Scores, baseline: Scores, per_model}
//
// Scores (measured y, predicted p, over every held-out prediction):
//   pearson_r    linear correlation of y and p
//   r2           1 - SS(y - p) / SS(y - mean y)  (of the predictions as
//                they are, not of a refitted line; can be negative)
//   mape         mean |p - y| / y
//   spearman     rank correlation of y and p (ties get average ranks)
//   spearman_within  mean over networks of the rank correlation inside the
//                network (how well candidates of one job are ordered)
//   topk_recall  over networks with more than k candidates: the fraction
//                whose measured-best candidate is among the k predicted best
//                (ties in the prediction broken by sample order; a tie for
//                the measured best counts when any tied one is picked)
//   interval_coverage  fraction of y inside [lower, upper]
// Pure functions; thread-safe.
#ifndef MCUTUNE_COST_MODEL_EVALUATION_H_
#define MCUTUNE_COST_MODEL_EVALUATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cost_model/cost_model.h"

namespace mcutune::cost_model {

double PearsonR(const std::vector<double>& x, const std::vector<double>& y);
double RSquared(const std::vector<double>& measured,
                const std::vector<double>& predicted);
double Mape(const std::vector<double>& measured,
            const std::vector<double>& predicted);
double Spearman(const std::vector<double>& x, const std::vector<double>& y);
// Average ranks (1-based), ties sharing the mean of their ranks.
std::vector<double> Ranks(const std::vector<double>& v);
// `groups[i]` names the network of sample i. Returns the recall and, in
// *counted, how many networks had more than k candidates.
double TopKRecall(const std::vector<std::string>& groups,
                  const std::vector<double>& measured,
                  const std::vector<double>& predicted, int k,
                  int* counted = nullptr);

struct Scores {
  int samples = 0;
  int models = 0;
  double pearson_r = 0;
  double r2 = 0;
  double mape = 0;
  double spearman = 0;
  double spearman_within = 0;
  double top1_recall = 0;
  double top5_recall = 0;
  int top5_models = 0;  // networks with > 5 candidates (the recall's base)
  double interval_coverage = 0;
};

// Scores of predictions `p` (mean/lower/upper) of `samples`.
Scores Score(const std::vector<Sample>& samples,
             const std::vector<Prediction>& p);

struct ModelScores {
  std::string model;
  int samples = 0;
  double mape = 0, baseline_mape = 0;
  double spearman = 0, baseline_spearman = 0;
  bool best_in_top5 = false, baseline_best_in_top5 = false;
};

struct EvaluationReport {
  std::string method;  // "leave_one_model_out"
  Scores model;
  Scores baseline;
  std::vector<ModelScores> per_model;
  // Held-out predictions, in sample order.
  std::vector<Prediction> predictions, baseline_predictions;
};

// Leave-one-model-out cross-validation of MakeCostModel(options) against
// MakeMacBaseline(). INVALID_ARGUMENT with fewer than 2 networks, or when a
// fit fails (its message).
absl::StatusOr<EvaluationReport> LeaveOneModelOut(
    const std::vector<Sample>& samples, const CostModelOptions& options = {});

// {"method", "model": {...Scores}, "baseline": {...}, "per_model": [...]}
// plus the top-level keys pearson_r, r2, mape, spearman, top5_recall (model)
// and baseline_pearson_r, ... for scripts.
std::string EvaluationToJson(const EvaluationReport& report);

}  // namespace mcutune::cost_model

#endif  // MCUTUNE_COST_MODEL_EVALUATION_H_
