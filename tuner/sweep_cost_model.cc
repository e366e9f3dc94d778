// The sweep's cost-model step (sweep_cost_model.h).
// - MAPE is over the points that have features and share the unit of the
//   version's samples; none of them = -1 (unknown, never an alert).
// - The refit uses ModelStore::Samples (newest per model and candidate), so
//   the sweep's fresh measurements replace older ones of the same candidate.
#include "tuner/sweep_cost_model.h"

#include <cmath>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cost_model/cost_model.h"
#include "cost_model/evaluation.h"
#include "cost_model/model_store.h"
#include "tuner/sweep_drift.h"

namespace mcutune::tuner {
namespace {

struct Versioned {
  std::unique_ptr<cost_model::CostModel> model;
  std::string unit;  // of its samples
  std::map<std::string, double>
      fitted;  // "<model hash>/<candidate>" -> measured
};

// Loads version `v` of the kind ("linear"); nullopt when absent/unreadable.
std::optional<Versioned> LoadVersion(cost_model::ModelStore& store,
                                     const std::string& kind, int v) {
  if (v <= 0) return std::nullopt;
  absl::StatusOr<std::vector<cost_model::ModelVersion>> all =
      store.ModelVersions(kind);
  if (!all.ok()) return std::nullopt;
  for (const cost_model::ModelVersion& mv : *all) {
    if (mv.kind != "linear" || mv.version != v) continue;
    absl::StatusOr<std::unique_ptr<cost_model::CostModel>> m =
        cost_model::CostModelFromJson(mv.params_json);
    if (!m.ok()) return std::nullopt;
    Versioned out;
    out.model = std::move(*m);
    absl::StatusOr<std::vector<cost_model::StoredSample>> samples =
        store.SamplesById(mv.sample_ids);
    if (samples.ok()) {
      for (const cost_model::StoredSample& s : *samples) {
        if (out.unit.empty()) out.unit = s.unit;
        out.fitted[s.model_hash + "/" + s.candidate_id] = s.measured;
      }
    }
    return out;
  }
  return std::nullopt;
}

struct WithFeatures {
  const SweepSamplePoint* p;
  cost_model::FeatureVector features;
};

double Mape(const cost_model::CostModel& model,
            const std::vector<WithFeatures>& points, const std::string& unit) {
  double sum = 0;
  int n = 0;
  for (const WithFeatures& w : points) {
    if (!unit.empty() && w.p->point.unit != unit) continue;
    const double y = w.p->point.latency;
    if (!(y > 0)) continue;
    const double pred = model.Predict(w.features).mean;
    sum += std::abs(pred - y) / y;
    ++n;
  }
  return n > 0 ? sum / n : -1;
}

}  // namespace

int LatestCostModelVersion(cost_model::ModelStore* store,
                           const std::string& kind) {
  if (store == nullptr) return 0;
  absl::StatusOr<std::optional<cost_model::ModelVersion>> v =
      store->LatestModel(kind, "linear");
  if (!v.ok() || !v->has_value()) return 0;
  return (*v)->version;
}

absl::StatusOr<SweepCostOutcome> UpdateSweepCostModel(
    cost_model::ModelStore& store, const std::string& kind, int version_used,
    const std::vector<SweepSamplePoint>& points,
    const std::optional<SweepCostRow>& previous, const std::string& toolchain,
    const std::string& note, const DriftOptions& drift) {
  SweepCostOutcome out;
  out.row.board_kind = kind;
  out.row.version_used = version_used;
  // Features of the points, from the samples the jobs stored.
  std::vector<WithFeatures> with;
  for (const SweepSamplePoint& p : points) {
    absl::StatusOr<std::optional<cost_model::StoredSample>> s =
        store.FindSample(kind, p.model_hash, p.point.candidate);
    if (!s.ok()) return s.status();
    if (!s->has_value() ||
        (*s)->feature_set_version != cost_model::kFeatureSetVersion) {
      continue;
    }
    with.push_back({&p, (*s)->features});
  }
  out.row.points = static_cast<int>(with.size());
  if (with.empty()) {
    out.row.note =
        "no features for the run's measurements: nothing to compare or fit";
    return out;
  }
  // Error of the version in use, against its references.
  std::optional<Versioned> used = LoadVersion(store, kind, version_used);
  if (used) {
    out.row.mape_used = Mape(*used->model, with, used->unit);
    if (previous) {
      out.row.reference_mape =
          previous->version_new > 0 ? previous->mape_new : previous->mape_used;
      const std::string what =
          previous->version_new > 0
              ? absl::StrCat("its fit in run ", previous->run_id, " (v",
                             previous->version_new, ")")
              : absl::StrCat("v", previous->version_used, " in run ",
                             previous->run_id);
      if (std::optional<SweepAlert> a =
              CostModelErrorGrowth(kind, version_used, out.row.mape_used,
                                   out.row.reference_mape, what, drift)) {
        out.alerts.push_back(*a);
      }
    }
    if (std::optional<Versioned> older =
            LoadVersion(store, kind, version_used - 1)) {
      const double older_mape = Mape(*older->model, with, older->unit);
      if (std::optional<SweepAlert> a = CostModelErrorGrowth(
              kind, version_used, out.row.mape_used, older_mape,
              absl::StrCat("v", version_used - 1, " on the same measurements"),
              drift)) {
        out.alerts.push_back(*a);
      }
    }
  }
  // New information: a point the version was not fitted on, or one whose
  // value moved beyond the noise band.
  bool news = !used;
  for (const WithFeatures& w : with) {
    if (news) break;
    const std::string key = w.p->model_hash + "/" + w.p->point.candidate;
    auto it = used->fitted.find(key);
    if (it == used->fitted.end() || !(it->second > 0)) {
      news = true;
    } else {
      const double ratio = w.p->point.latency / it->second;
      news = std::abs(ratio - 1) > NoiseBand(w.p->point.spread, 0, drift);
    }
  }
  // The measurements become samples of the kind.
  for (const WithFeatures& w : with) {
    cost_model::StoredSample s;
    s.model_name = w.p->model_name;
    s.model_hash = w.p->model_hash;
    s.candidate_id = w.p->point.candidate;
    s.board_kind = kind;
    s.measured_on = kind;
    s.features = w.features;
    s.measured = w.p->point.latency;
    s.unit = w.p->point.unit;
    s.artifact_hash = w.p->point.artifact_sha256.empty()
                          ? w.p->model_hash
                          : w.p->point.artifact_sha256;
    s.toolchain = toolchain;
    s.source = "sweep";
    if (absl::StatusOr<int64_t> id = store.AddSample(s); !id.ok()) {
      return id.status();
    }
  }
  if (!news) {
    out.row.note = absl::StrCat("v", version_used,
                                " already fits these measurements: no refit");
    return out;
  }
  // Refit on the kind's newest samples in the run's unit.
  const std::string unit = with.front().p->point.unit;
  absl::StatusOr<std::vector<cost_model::StoredSample>> stored =
      store.Samples(kind);
  if (!stored.ok()) return stored.status();
  std::vector<cost_model::Sample> samples;
  std::vector<int64_t> ids;
  for (const cost_model::StoredSample& s : *stored) {
    if (s.unit != unit ||
        s.feature_set_version != cost_model::kFeatureSetVersion)
      continue;
    cost_model::Sample x;
    x.model = s.model_name;
    x.candidate = s.candidate_id;
    x.features = s.features;
    x.measured = s.measured;
    x.id = s.id;
    samples.push_back(std::move(x));
    ids.push_back(s.id);
  }
  out.row.samples = static_cast<int>(samples.size());
  std::unique_ptr<cost_model::CostModel> model = cost_model::MakeCostModel();
  if (absl::Status s = model->Fit(samples); !s.ok()) {
    out.row.note = absl::StrCat("refit failed: ", s.message());
    return out;
  }
  std::string evaluation = "{}";
  if (absl::StatusOr<cost_model::EvaluationReport> e =
          cost_model::LeaveOneModelOut(samples);
      e.ok()) {
    evaluation = cost_model::EvaluationToJson(*e);
  }
  cost_model::ModelVersion mv;
  mv.board_kind = kind;
  mv.kind = "linear";
  mv.params_json = model->ToJson();
  mv.sample_ids = ids;
  mv.evaluation_json = evaluation;
  mv.note = note;
  absl::StatusOr<int> v = store.AddModelVersion(mv);
  if (!v.ok()) return v.status();
  out.row.version_new = *v;
  out.row.mape_new = Mape(*model, with, unit);
  out.row.note = absl::StrFormat("refitted on %d samples", out.row.samples);
  return out;
}

}  // namespace mcutune::tuner
