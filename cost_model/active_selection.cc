// Active selection and the ActiveSearch loop (active_selection.h).
#include "cost_model/active_selection.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace mcutune::cost_model {
namespace {

bool Dominates(double la, int64_t sa, int64_t fa, double lb, int64_t sb,
               int64_t fb) {
  return la <= lb && sa <= sb && fa <= fb && (la < lb || sa < sb || fa < fb);
}

}  // namespace

std::vector<int> SelectBatch(const std::vector<SelectionCandidate>& c,
                             const SelectionOptions& o) {
  const int n = static_cast<int>(c.size());
  std::vector<double> lat(n), lo(n), hi(n);
  for (int i = 0; i < n; ++i) {
    lat[i] = c[i].measured ? *c[i].measured : c[i].latency.mean;
    lo[i] =
        c[i].measured ? *c[i].measured : std::min(c[i].latency.lower, lat[i]);
    hi[i] =
        c[i].measured ? *c[i].measured : std::max(c[i].latency.upper, lat[i]);
  }
  std::vector<int> front;
  for (int i = 0; i < n; ++i) {
    bool dominated = false;
    for (int j = 0; j < n && !dominated; ++j) {
      dominated =
          j != i && Dominates(lat[j], c[j].peak_sram_bytes, c[j].flash_bytes,
                              lat[i], c[i].peak_sram_bytes, c[i].flash_bytes);
    }
    if (!dominated) front.push_back(i);
  }
  const int batch = std::max(0, o.batch_size);
  const int explore = batch >= 2 ? std::max(1, static_cast<int>(std::floor(
                                                   batch * o.explore_fraction)))
                                 : 0;
  std::vector<int> exploit;
  for (int i : front) {
    if (!c[i].measured) exploit.push_back(i);
  }
  std::stable_sort(exploit.begin(), exploit.end(),
                   [&](int a, int b) { return lat[a] < lat[b]; });
  std::vector<bool> taken(n, false);
  std::vector<int> out;
  for (int i : exploit) {
    if (static_cast<int>(out.size()) >= batch - explore) break;
    out.push_back(i);
    taken[i] = true;
  }
  std::vector<int> plausible;
  for (int i = 0; i < n; ++i) {
    if (c[i].measured || taken[i]) continue;
    bool beaten = false;
    for (int j : front) {
      if (j != i && c[j].peak_sram_bytes <= c[i].peak_sram_bytes &&
          c[j].flash_bytes <= c[i].flash_bytes && hi[j] < lo[i]) {
        beaten = true;
        break;
      }
    }
    if (!beaten) plausible.push_back(i);
  }
  auto width = [&](int i) {
    return lat[i] > 0 ? (hi[i] - lo[i]) / lat[i] : 0.0;
  };
  std::stable_sort(plausible.begin(), plausible.end(), [&](int a, int b) {
    if (width(a) != width(b)) return width(a) > width(b);
    return lat[a] < lat[b];
  });
  for (int i : plausible) {
    if (static_cast<int>(out.size()) >= batch) break;
    out.push_back(i);
    taken[i] = true;
  }
  // Exploit candidates beyond their quota when exploration ran dry.
  for (int i : exploit) {
    if (static_cast<int>(out.size()) >= batch) break;
    if (!taken[i]) out.push_back(i);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ActiveSearch>> ActiveSearch::Create(
    std::vector<Sample> prior, std::vector<SearchCandidate> candidates,
    std::string network, ActiveSearchOptions options) {
  std::unique_ptr<ActiveSearch> s(new ActiveSearch());
  s->prior_ = std::move(prior);
  s->candidates_ = std::move(candidates);
  s->network_ = std::move(network);
  s->options_ = std::move(options);
  s->measured_.assign(s->candidates_.size(), std::nullopt);
  s->model_ = MakeCostModel(s->options_.model);
  if (absl::Status st = s->model_->Fit(s->prior_); !st.ok()) return st;
  s->Predict();
  return s;
}

void ActiveSearch::Predict() {
  predictions_.resize(candidates_.size());
  for (size_t i = 0; i < candidates_.size(); ++i) {
    predictions_[i] = model_->Predict(candidates_[i].features);
  }
}

std::vector<int> ActiveSearch::NextBatch() const {
  std::vector<SelectionCandidate> c(candidates_.size());
  for (size_t i = 0; i < c.size(); ++i) {
    c[i].latency = predictions_[i];
    c[i].measured = measured_[i];
    c[i].peak_sram_bytes = candidates_[i].peak_sram_bytes;
    c[i].flash_bytes = candidates_[i].flash_bytes;
  }
  return SelectBatch(c, options_.selection);
}

absl::Status ActiveSearch::Record(int candidate, double measured) {
  if (candidate < 0 || candidate >= static_cast<int>(candidates_.size())) {
    return absl::InvalidArgumentError(absl::StrCat("no candidate ", candidate));
  }
  if (!(measured > 0) || !std::isfinite(measured)) {
    return absl::InvalidArgumentError("a measured count must be > 0");
  }
  if (!measured_[candidate]) ++measured_count_;
  measured_[candidate] = measured;
  return absl::OkStatus();
}

absl::Status ActiveSearch::Refit() {
  std::vector<Sample> samples = prior_;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    if (!measured_[i]) continue;
    Sample s;
    s.model = network_;
    s.candidate = candidates_[i].id;
    s.features = candidates_[i].features;
    s.measured = *measured_[i];
    s.weight = options_.job_weight;
    samples.push_back(std::move(s));
  }
  std::unique_ptr<CostModel> m = MakeCostModel(options_.model);
  if (absl::Status st = m->Fit(samples); !st.ok()) return st;
  model_ = std::move(m);
  Predict();
  return absl::OkStatus();
}

std::optional<int> ActiveSearch::best_measured() const {
  std::optional<int> best;
  for (size_t i = 0; i < measured_.size(); ++i) {
    if (measured_[i] && (!best || *measured_[i] < *measured_[*best])) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

absl::StatusOr<int> MeasurementsToBest(const std::vector<Sample>& prior,
                                       const std::vector<Sample>& job,
                                       const ActiveSearchOptions& options) {
  if (job.empty()) return absl::InvalidArgumentError("no job samples");
  double best = job[0].measured;
  for (const Sample& s : job) best = std::min(best, s.measured);
  std::vector<SearchCandidate> cands;
  for (const Sample& s : job) {
    SearchCandidate c;
    c.id = s.candidate;
    c.features = s.features;
    c.peak_sram_bytes = static_cast<int64_t>(s.features.Get("sram.peak_bytes"));
    c.flash_bytes = static_cast<int64_t>(s.features.Get("flash.bytes"));
    cands.push_back(std::move(c));
  }
  absl::StatusOr<std::unique_ptr<ActiveSearch>> search =
      ActiveSearch::Create(prior, std::move(cands), job[0].model, options);
  if (!search.ok()) return search.status();
  int measured = 0;
  for (size_t round = 0; round <= job.size(); ++round) {
    const std::vector<int> batch = (*search)->NextBatch();
    if (batch.empty()) break;
    // A batch is measured as a whole: count all of it.
    measured += static_cast<int>(batch.size());
    for (int i : batch) {
      if (job[i].measured <= best) return measured;
      if (absl::Status s = (*search)->Record(i, job[i].measured); !s.ok())
        return s;
    }
    if (absl::Status s = (*search)->Refit(); !s.ok()) return s;
  }
  return static_cast<int>(job.size()) + 1;
}

double RandomMeasurementsToBest(const std::vector<Sample>& job) {
  if (job.empty()) return 0;
  double best = job[0].measured;
  for (const Sample& s : job) best = std::min(best, s.measured);
  int ties = 0;
  for (const Sample& s : job) ties += s.measured <= best;
  return (static_cast<double>(job.size()) + 1) / (ties + 1);
}

}  // namespace mcutune::cost_model
