// Cost-model adapters of the tuner (cost_model_predictor.h).
// - Features: one FeatureExtractor per board kind; a candidate's features
//   are extracted once from its re-planned full Plan and cached by id
//   (a plan that cannot be re-planned or extracted predicts by MACs).
// - Fit: prior samples of the kind + job samples; the unit of the fit is the
//   measured unit (prior samples in another unit are left out).
// - Selection: PoolEntry -> cost_model::SelectionCandidate with planned peak
//   SRAM and the first other objective as flash (0 when absent).
#include "tuner/cost_model_predictor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "cost_model/active_selection.h"
#include "cost_model/cost_model.h"
#include "cost_model/features.h"
#include "cost_model/model_store.h"

namespace mcutune::tuner {
namespace {

class CostModelPredictor : public Predictor {
 public:
  CostModelPredictor(const graph::Graph& graph, PlanSource plans,
                     const CostModelPredictorOptions& o)
      : graph_(graph),
        plans_(std::move(plans)),
        options_(o),
        fallback_(MakeLinearPredictor()) {}

  absl::Status Fit(const space::BoardSpec& board,
                   const std::vector<Observation>& obs) override {
    (void)fallback_->Fit(board, obs);
    std::vector<cost_model::Sample> samples;
    std::string unit = obs.empty() ? "" : obs.front().unit;
    if (options_.store != nullptr) {
      absl::StatusOr<std::vector<cost_model::StoredSample>> prior =
          options_.store->Samples(board.id);
      if (prior.ok()) {
        if (unit.empty() && !prior->empty()) unit = prior->front().unit;
        for (const cost_model::StoredSample& s : *prior) {
          if (s.unit != unit ||
              s.feature_set_version != cost_model::kFeatureSetVersion ||
              (s.model_hash == options_.model_hash && s.source == "job")) {
            continue;  // this job's own rows come from `obs` below
          }
          cost_model::Sample x;
          x.model = s.model_name;
          x.candidate = s.candidate_id;
          x.features = s.features;
          x.measured = s.measured;
          x.id = s.id;
          samples.push_back(std::move(x));
        }
      }
    }
    for (const Observation& o : obs) {
      if (o.unit != unit || o.latency <= 0) continue;
      const cost_model::FeatureVector* f = Features(board, *o.plan);
      if (f == nullptr) continue;
      cost_model::Sample x;
      x.model = options_.network;
      x.candidate = o.plan->candidate.Id();
      x.features = *f;
      x.measured = o.latency;
      x.weight = options_.job_weight;
      samples.push_back(x);
      Record(board, o, *f);
    }
    Fitted& fitted = fits_[board.id];
    fitted.unit = unit;
    if (samples.size() < 2) {
      fitted.model.reset();
      return absl::OkStatus();
    }
    auto model = cost_model::MakeCostModel();
    if (absl::Status s = model->Fit(samples); !s.ok()) {
      fitted.model.reset();
      return s;
    }
    fitted.model = std::move(model);
    return absl::OkStatus();
  }

  std::vector<Prediction> Predict(
      const space::BoardSpec& board,
      const std::vector<const space::Plan*>& plans) const override {
    std::vector<Prediction> fallback = fallback_->Predict(board, plans);
    auto it = fits_.find(board.id);
    if (it == fits_.end() || !it->second.model) return fallback;
    for (size_t i = 0; i < plans.size(); ++i) {
      const cost_model::FeatureVector* f =
          const_cast<CostModelPredictor*>(this)->Features(board, *plans[i]);
      if (f == nullptr) continue;
      const cost_model::Prediction p = it->second.model->Predict(*f);
      if (!(p.mean > 0)) continue;
      fallback[i] = {p.mean, std::min(p.lower, p.mean),
                     std::max(p.upper, p.mean), it->second.unit,
                     "cost-model-linear"};
    }
    return fallback;
  }

 private:
  struct Fitted {
    std::unique_ptr<cost_model::CostModel> model;
    std::string unit;
  };

  const cost_model::FeatureVector* Features(const space::BoardSpec& board,
                                            const space::Plan& plan) {
    const std::string key = board.id + "/" + plan.candidate.Id();
    auto it = features_.find(key);
    if (it != features_.end()) return it->second ? &*it->second : nullptr;
    std::optional<cost_model::FeatureVector> value;
    auto& extractor = extractors_[board.id];
    if (!extractor)
      extractor = std::make_unique<cost_model::FeatureExtractor>(graph_, board);
    absl::StatusOr<cost_model::FeatureVector> f = plan.steps.empty()
        ? [&]() -> absl::StatusOr<cost_model::FeatureVector> {
      absl::StatusOr<space::Plan> full = plans_(board, plan.candidate);
      if (!full.ok()) return full.status();
      return extractor->Extract(*full);
    }()
        : extractor->Extract(plan);
    if (f.ok()) value = std::move(*f);
    auto [slot, inserted] = features_.emplace(key, std::move(value));
    return slot->second ? &*slot->second : nullptr;
  }

  void Record(const space::BoardSpec& board, const Observation& o,
              const cost_model::FeatureVector& f) {
    if (options_.store == nullptr || !options_.record_samples) return;
    const std::string id = o.plan->candidate.Id();
    if (recorded_.count(board.id + "/" + id)) return;
    recorded_.insert(board.id + "/" + id);
    absl::StatusOr<std::optional<cost_model::StoredSample>> existing =
        options_.store->FindSample(board.id, options_.model_hash, id);
    if (!existing.ok() ||
        (existing->has_value() && (*existing)->source == "job"))
      return;
    cost_model::StoredSample s;
    s.model_name = options_.network;
    s.model_hash = options_.model_hash;
    s.candidate_id = id;
    s.board_kind = board.id;
    s.measured_on = board.id;
    s.features = f;
    s.measured = o.latency;
    s.unit = o.unit;
    s.artifact_hash = options_.model_hash;
    s.source = "job";
    if (absl::StatusOr<int64_t> added = options_.store->AddSample(s);
        !added.ok()) {
      if (auto log = spdlog::get("tuner")) {
        log->warn("cost model sample not stored: {}",
                  std::string(added.status().message()));
      }
    }
  }

  const graph::Graph& graph_;
  PlanSource plans_;
  CostModelPredictorOptions options_;
  std::unique_ptr<Predictor> fallback_;
  std::map<std::string, Fitted> fits_;
  std::map<std::string, std::unique_ptr<cost_model::FeatureExtractor>>
      extractors_;
  std::map<std::string, std::optional<cost_model::FeatureVector>> features_;
  std::set<std::string> recorded_;
};

class CostModelSelection : public SearchStrategy {
 public:
  explicit CostModelSelection(const FrontierSearchOptions& o)
      : options_(o), fallback_(MakeFrontierSearch(o)) {}

  std::vector<int> NextBatch(const std::vector<PoolEntry>& pool,
                             int max) override {
    if (max <= 0 || stale_rounds_ >= options_.patience) return {};
    // Per board: entries, and whether predictions share the measured unit.
    std::map<std::string, std::vector<int>> by_board;
    std::map<std::string, std::string> measured_unit;
    for (size_t i = 0; i < pool.size(); ++i) {
      by_board[pool[i].board_kind].push_back(static_cast<int>(i));
      if (pool[i].measured) measured_unit[pool[i].board_kind] = pool[i].unit;
    }
    std::vector<int> batch;
    std::vector<PoolEntry> rest = pool;  // entries the fallback may pick
    bool any_fallback = false;
    std::map<std::string, std::vector<int>> picks;
    for (const auto& [board, idx] : by_board) {
      bool usable = true;
      std::string unit = measured_unit.count(board) ? measured_unit[board] : "";
      for (int i : idx) {
        if (pool[i].done) continue;
        if (pool[i].predicted.unit == "macs" ||
            (!unit.empty() && pool[i].predicted.unit != unit)) {
          usable = false;
        }
      }
      if (!usable) {
        any_fallback = true;
        continue;
      }
      for (int i : idx)
        rest[i].done = true;  // served here, not by the fallback
      std::vector<cost_model::SelectionCandidate> cands;
      for (int i : idx) {
        cost_model::SelectionCandidate c;
        const PoolEntry& e = pool[i];
        c.latency = {e.predicted.latency, e.predicted.low, e.predicted.high};
        if (e.measured) c.measured = e.latency;
        // Failed candidates count as measured and hopeless.
        if (e.done && !e.measured) c.measured = 1e300;
        c.peak_sram_bytes = e.other_objectives.size() > 0
                                ? static_cast<int64_t>(e.other_objectives[0])
                                : 0;
        c.flash_bytes = e.other_objectives.size() > 1
                            ? static_cast<int64_t>(e.other_objectives[1])
                            : 0;
        cands.push_back(c);
      }
      cost_model::SelectionOptions so;
      so.batch_size = max;
      so.explore_fraction = options_.explore_fraction;
      for (int k : cost_model::SelectBatch(cands, so)) {
        if (!pool[idx[k]].done) picks[board].push_back(idx[k]);
      }
    }
    std::vector<int> fallback_picks;
    if (any_fallback) fallback_picks = fallback_->NextBatch(rest, max);
    // Round-robin over the boards' picks, then the fallback's.
    std::map<std::string, size_t> cursor;
    while (static_cast<int>(batch.size()) < max) {
      bool progressed = false;
      for (auto& [board, list] : picks) {
        if (static_cast<int>(batch.size()) >= max) break;
        if (cursor[board] < list.size()) {
          batch.push_back(list[cursor[board]++]);
          progressed = true;
        }
      }
      if (!progressed) break;
    }
    for (int i : fallback_picks) {
      if (static_cast<int>(batch.size()) >= max) break;
      if (std::find(batch.begin(), batch.end(), i) == batch.end())
        batch.push_back(i);
    }
    return batch;
  }

  void NotifyResults(const std::vector<int>& batch,
                     bool front_changed) override {
    stale_rounds_ = front_changed ? 0 : stale_rounds_ + 1;
    fallback_->NotifyResults(batch, front_changed);
  }

 private:
  FrontierSearchOptions options_;
  std::unique_ptr<SearchStrategy> fallback_;
  int stale_rounds_ = 0;
};

}  // namespace

std::unique_ptr<Predictor> MakeCostModelPredictor(
    const graph::Graph& graph, PlanSource plans,
    const CostModelPredictorOptions& options) {
  return std::make_unique<CostModelPredictor>(graph, std::move(plans), options);
}

std::unique_ptr<SearchStrategy> MakeCostModelSelection(
    const FrontierSearchOptions& fallback) {
  return std::make_unique<CostModelSelection>(fallback);
}

}  // namespace mcutune::tuner
