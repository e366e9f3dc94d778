// Cost model benchmark on the shipped calibration data
// (configs/cost_models/*.json), per board kind:
//   - leave-one-model-out accuracy of the linear model against the MAC-only
//     baseline evaluated in the same run (ratios baseline / model);
//   - fit and predict time (the baseline's as the reference);
//   - active selection: measurements until a network's measured-best
//     candidate is found, vs measuring in random order (expected value).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include "cost_model/active_selection.h"
#include "cost_model/calibration_data.h"
#include "cost_model/evaluation.h"

namespace {

using namespace mcutune::cost_model;
namespace fs = std::filesystem;

template <typename F>
double Seconds(int reps, F f) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
             .count() /
         reps;
}

int Bench(const std::string& path) {
  absl::StatusOr<CalibrationData> d = ReadCalibrationFile(path);
  if (!d.ok()) {
    std::printf("%s\n", std::string(d.status().message()).c_str());
    return 1;
  }
  std::vector<Sample> samples;
  for (const StoredSample& s : d->samples) {
    Sample x;
    x.model = s.model_name;
    x.candidate = s.candidate_id;
    x.features = s.features;
    x.measured = s.measured;
    samples.push_back(x);
  }
  absl::StatusOr<EvaluationReport> e = LeaveOneModelOut(samples);
  if (!e.ok()) {
    std::printf("%s\n", std::string(e.status().message()).c_str());
    return 1;
  }
  const Scores& m = e->model;
  const Scores& b = e->baseline;
  std::printf(
      "%s: %d samples of %d networks (measured on %s, %s; building and running "
      "them took %.0f s on one worker)\n",
      d->board_kind.c_str(), m.samples, m.models, d->measured_on.c_str(),
      d->machine.c_str(), d->measure_seconds);
  std::printf(
      "  leave-one-model-out     linear   MAC-only   baseline/linear\n");
  std::printf("  pearson_r             %8.4f   %8.4f\n", m.pearson_r,
              b.pearson_r);
  std::printf("  r2                    %8.4f   %8.4f\n", m.r2, b.r2);
  std::printf("  mape                  %7.2f%%   %7.2f%%   %6.1fx\n",
              100 * m.mape, 100 * b.mape, m.mape > 0 ? b.mape / m.mape : 0);
  std::printf("  spearman              %8.4f   %8.4f\n", m.spearman,
              b.spearman);
  std::printf("  spearman within net   %8.4f   %8.4f\n", m.spearman_within,
              b.spearman_within);
  std::printf("  top1_recall           %8.3f   %8.3f\n", m.top1_recall,
              b.top1_recall);
  std::printf("  top5_recall (%2d nets) %8.3f   %8.3f\n", m.top5_models,
              m.top5_recall, b.top5_recall);
  std::printf("  interval coverage     %8.3f   %8.3f   (nominal 0.90)\n",
              m.interval_coverage, b.interval_coverage);

  const double fit_lin =
      Seconds(20, [&] { (void)MakeCostModel()->Fit(samples); });
  const double fit_mac =
      Seconds(20, [&] { (void)MakeMacBaseline()->Fit(samples); });
  auto model = MakeCostModel();
  (void)model->Fit(samples);
  double sink = 0;
  const int reps = 200;
  const double pred = Seconds(reps,
                              [&] {
                                for (const Sample& s : samples)
                                  sink += model->Predict(s.features).mean;
                              }) /
                      samples.size();
  std::printf(
      "  fit %.2f ms (baseline %.2f ms, %.1fx; includes LOMO interval refits), "
      "predict %.2f us/candidate%s\n",
      1e3 * fit_lin, 1e3 * fit_mac, fit_mac > 0 ? fit_lin / fit_mac : 0,
      1e6 * pred, sink < 0 ? "!" : "");

  std::set<std::string> nets;
  for (const Sample& s : samples) nets.insert(s.model);
  double active = 0, random = 0;
  int counted = 0;
  for (const std::string& n : nets) {
    std::vector<Sample> prior, job;
    for (const Sample& s : samples) (s.model == n ? job : prior).push_back(s);
    if (job.size() < 8) continue;
    absl::StatusOr<int> k = MeasurementsToBest(prior, job);
    if (!k.ok()) continue;
    active += *k;
    random += RandomMeasurementsToBest(job);
    ++counted;
  }
  if (counted > 0) {
    std::printf(
        "  active selection (batch 4): %.1f measurements to the best on "
        "average "
        "vs %.1f random (%.1fx fewer), %d networks\n",
        active / counted, random / counted, active > 0 ? random / active : 0,
        counted);
  }
  return 0;
}

}  // namespace

int main() {
  const std::string dir = DefaultCostModelsDir();
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::printf("no calibration data in %s\n", dir.c_str());
    return 1;
  }
  int status = 0;
  for (const fs::path& p : files) status |= Bench(p.string());
  return status;
}
