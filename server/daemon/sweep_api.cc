// The Sweeps API over the sweep manager and store (sweep_api.h).
// - Runs and points come from the store; items of a run get their front,
//   best and previous best from tuner::LoadSweepRunReport, so the API, the
//   CLI and the report files agree.
// - Series: every point of the sweep (newest 5000), grouped by item, in the
//   definition's item order (items no longer configured last).
#include "server/daemon/sweep_api.h"

#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tuner/store.h"
#include "tuner/sweep_report.h"

namespace mcutune::server {
namespace {

namespace fs = std::filesystem;

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool ValidRunId(const std::string& s) {
  return s.size() == 13 && s[0] == 'r' &&
         s.find_first_not_of("0123456789abcdef", 1) == std::string::npos;
}

std::string Time(int64_t ms) { return ms > 0 ? tuner::FormatTimeMs(ms) : ""; }

pb::SweepCounts CountsOf(const tuner::SweepCounts& c) {
  pb::SweepCounts p;
  p.set_items(c.items);
  p.set_tuned(c.tuned);
  p.set_remeasured(c.remeasured);
  p.set_skipped(c.skipped);
  p.set_failed(c.failed);
  p.set_jobs(c.jobs);
  p.set_builds(c.builds);
  p.set_measurements(c.measurements);
  p.set_farm_runs(c.farm_runs);
  p.set_alerts(c.alerts);
  return p;
}

pb::SweepPoint PointOf(const tuner::SweepPoint& s) {
  pb::SweepPoint p;
  p.set_run_id(s.run_id);
  p.set_time(Time(s.time_ms));
  p.set_candidate(s.candidate);
  p.set_strategy(s.strategy);
  p.set_latency(s.latency);
  p.set_unit(s.unit);
  p.set_spread(s.spread);
  p.set_repeats(s.repeats);
  p.set_peak_sram_bytes(s.peak_sram_bytes);
  p.set_flash_bytes(s.flash_bytes);
  p.set_artifact_sha256(s.artifact_sha256);
  p.set_job_id(s.job_id);
  p.set_remeasured(s.remeasured);
  return p;
}

pb::SweepAlert AlertOf(const tuner::SweepAlert& a) {
  pb::SweepAlert p;
  p.set_id(a.id);
  p.set_run_id(a.run_id);
  p.set_time(Time(a.created_ms));
  p.set_kind(a.kind);
  p.set_severity(a.severity);
  p.set_item(a.key);
  p.set_model(a.model);
  p.set_board_kind(a.board_kind);
  p.set_constraint(a.constraint);
  p.set_candidate(a.candidate);
  p.set_previous(a.previous);
  p.set_current(a.current);
  p.set_ratio(a.ratio);
  p.set_band(a.band);
  p.set_unit(a.unit);
  p.set_message(a.message);
  return p;
}

}  // namespace

absl::StatusOr<const tuner::SweepDefinition*> SweepApi::Find(
    const std::string& name) const {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(
        "name: a sweep name ([A-Za-z0-9._-]{1,64})");
  }
  const tuner::SweepDefinition* d =
      manager_ == nullptr ? nullptr : manager_->Find(name);
  if (d == nullptr) {
    std::vector<std::string> names;
    if (manager_ != nullptr) {
      for (const tuner::SweepDefinition& x : manager_->definitions()) {
        names.push_back(x.name);
      }
    }
    return absl::NotFoundError(
        absl::StrCat("no sweep named '", name, "' (configured: ",
                     names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
  }
  return d;
}

absl::StatusOr<pb::SweepRun> SweepApi::RunOf(const tuner::SweepRunRecord& r,
                                             bool with_items) {
  pb::SweepRun p;
  p.set_id(r.id);
  p.set_sweep(r.sweep);
  p.set_trigger(r.trigger);
  p.set_state(r.state);
  p.set_scheduled_for(Time(r.scheduled_for_ms));
  p.set_created_at(Time(r.created_ms));
  p.set_started_at(Time(r.started_ms));
  p.set_finished_at(Time(r.finished_ms));
  *p.mutable_counts() = CountsOf(r.counts);
  p.set_error(r.error);
  p.set_toolchain(r.toolchain);
  p.set_codegen(r.codegen);
  const fs::path md = fs::path("sweeps") / r.sweep / (r.id + ".md");
  std::error_code ec;
  if (fs::exists(fs::path(data_dir_) / md, ec)) p.set_report_path(md.string());
  tuner::SweepStore& store = manager_->store();
  absl::StatusOr<std::vector<tuner::SweepCostRow>> costs = store.CostRows(r.id);
  if (!costs.ok()) return costs.status();
  for (const tuner::SweepCostRow& c : *costs) {
    pb::SweepCostModel* m = p.add_cost_models();
    m->set_board_kind(c.board_kind);
    m->set_version_used(c.version_used);
    m->set_version_new(c.version_new);
    m->set_mape_used(c.mape_used);
    m->set_mape_new(c.mape_new);
    m->set_reference_mape(c.reference_mape);
    m->set_points(c.points);
    m->set_samples(c.samples);
    m->set_note(c.note);
  }
  if (!with_items) return p;
  absl::StatusOr<tuner::SweepRunReport> rep =
      tuner::LoadSweepRunReport(store, r.id);
  if (!rep.ok()) return rep.status();
  for (const tuner::SweepItemRecord& it : rep->items) {
    pb::SweepItemResult* x = p.add_items();
    x->set_key(it.key);
    x->set_model(it.model);
    x->set_model_id(it.model_hash);
    x->set_board_kind(it.board_kind);
    x->set_constraint(it.constraint);
    x->set_action(it.action);
    x->set_reason(it.reason);
    x->set_state(it.state);
    x->set_job_id(it.job_id);
    x->set_builds(it.builds);
    x->set_measurements(it.measurements);
    x->set_farm_runs(it.farm_runs);
    x->set_error(it.error);
    x->set_inputs_fingerprint(it.fingerprint);
    for (const tuner::SweepPoint& pt : rep->points) {
      if (pt.key == it.key) *x->add_front() = PointOf(pt);
    }
    if (const tuner::SweepPoint* b = tuner::BestPoint(rep->points, it.key)) {
      *x->mutable_best() = PointOf(*b);
    }
    if (auto prev = rep->previous_best.find(it.key);
        prev != rep->previous_best.end()) {
      *x->mutable_previous_best() = PointOf(prev->second);
    }
  }
  return p;
}

absl::StatusOr<pb::Sweep> SweepApi::SweepOf(const tuner::SweepDefinition& d) {
  pb::Sweep s;
  s.set_name(d.name);
  s.set_description(d.description);
  s.set_schedule(d.schedule);
  s.set_timezone(d.timezone);
  s.set_enabled(d.enabled);
  const absl::Time next = manager_->NextRun(d.name);
  if (next != absl::InfiniteFuture()) {
    s.set_next_run_at(Time(absl::ToUnixMillis(next)));
  }
  for (const tuner::SweepModel& m : d.models) s.add_models(m.name);
  for (const std::string& k : d.board_kinds) s.add_board_kinds(k);
  for (const tuner::SweepConstraint& c : d.constraints)
    s.add_constraints(c.name);
  s.set_items(static_cast<int>(tuner::Items(d).size()));
  s.set_measurement_budget(d.measurement_budget);
  s.set_remeasure_after_hours(
      static_cast<int>(absl::ToInt64Hours(d.remeasure_after)));
  s.set_catch_up(d.catch_up == tuner::CatchUp::kLatest ? "latest" : "skip");
  s.set_file(d.file);
  absl::StatusOr<std::vector<tuner::SweepRunRecord>> runs =
      manager_->store().ListRuns(d.name, 1);
  if (!runs.ok()) return runs.status();
  if (!runs->empty()) {
    absl::StatusOr<pb::SweepRun> last = RunOf(runs->front(), false);
    if (!last.ok()) return last.status();
    *s.mutable_last_run() = *last;
    absl::StatusOr<std::vector<tuner::SweepAlert>> alerts =
        manager_->store().Alerts(d.name, runs->front().id, 200);
    if (!alerts.ok()) return alerts.status();
    for (const tuner::SweepAlert& a : *alerts)
      *s.add_last_alerts() = AlertOf(a);
  }
  return s;
}

absl::StatusOr<pb::ListSweepsResponse> SweepApi::ListSweeps() {
  pb::ListSweepsResponse out;
  out.set_configured(manager_ != nullptr && !manager_->definitions().empty());
  if (manager_ == nullptr) return out;
  for (const tuner::SweepDefinition& d : manager_->definitions()) {
    absl::StatusOr<pb::Sweep> s = SweepOf(d);
    if (!s.ok()) return s.status();
    *out.add_sweeps() = *s;
  }
  return out;
}

absl::StatusOr<pb::SweepRun> SweepApi::RunSweep(
    const pb::RunSweepRequest& req) {
  absl::StatusOr<const tuner::SweepDefinition*> d = Find(req.name());
  if (!d.ok()) return d.status();
  bool dedup = false;
  absl::StatusOr<tuner::SweepRunRecord> run =
      manager_->RunNow(req.name(), &dedup);
  if (!run.ok()) return run.status();
  absl::StatusOr<pb::SweepRun> p = RunOf(*run, false);
  if (!p.ok()) return p.status();
  p->set_deduplicated(dedup);
  return p;
}

absl::StatusOr<pb::SweepRun> SweepApi::GetSweepRun(
    const pb::GetSweepRunRequest& req) {
  if (!ValidRunId(req.run_id())) {
    return absl::InvalidArgumentError(
        "run_id: \"r\" followed by 12 hex digits");
  }
  if (manager_ == nullptr) {
    return absl::NotFoundError("sweeps are not configured on this daemon");
  }
  absl::StatusOr<tuner::SweepRunRecord> run =
      manager_->store().GetRun(req.run_id());
  if (!run.ok()) return run.status();
  return RunOf(*run, true);
}

absl::StatusOr<pb::SweepReport> SweepApi::GetSweepReport(
    const pb::GetSweepReportRequest& req) {
  absl::StatusOr<const tuner::SweepDefinition*> d = Find(req.name());
  if (!d.ok()) return d.status();
  if (!req.run_id().empty() && !ValidRunId(req.run_id())) {
    return absl::InvalidArgumentError(
        "run_id: \"r\" followed by 12 hex digits");
  }
  if (req.runs_limit() < 0 || req.runs_limit() > 1000) {
    return absl::InvalidArgumentError("runs_limit: 0..1000");
  }
  tuner::SweepStore& store = manager_->store();
  pb::SweepReport out;
  absl::StatusOr<pb::Sweep> s = SweepOf(**d);
  if (!s.ok()) return s.status();
  *out.mutable_sweep() = *s;
  absl::StatusOr<std::vector<tuner::SweepRunRecord>> runs =
      store.ListRuns(req.name(), req.runs_limit() == 0 ? 50 : req.runs_limit());
  if (!runs.ok()) return runs.status();
  for (const tuner::SweepRunRecord& r : *runs) {
    absl::StatusOr<pb::SweepRun> p = RunOf(r, false);
    if (!p.ok()) return p.status();
    *out.add_runs() = *p;
  }
  std::string run_id = req.run_id();
  if (run_id.empty() && !runs->empty()) run_id = runs->front().id;
  if (!run_id.empty()) {
    absl::StatusOr<tuner::SweepRunRecord> r = store.GetRun(run_id);
    if (!r.ok()) return r.status();
    if (r->sweep != req.name()) {
      return absl::NotFoundError(
          absl::StrCat("run ", run_id, " is not a run of sweep ", req.name()));
    }
    absl::StatusOr<pb::SweepRun> p = RunOf(*r, true);
    if (!p.ok()) return p.status();
    *out.mutable_run() = *p;
    absl::StatusOr<tuner::SweepRunReport> rep =
        tuner::LoadSweepRunReport(store, run_id);
    if (!rep.ok()) return rep.status();
    out.set_markdown(tuner::FormatSweepReportMarkdown(*rep));
  }
  // History per item, in the definition's order.
  absl::StatusOr<std::vector<tuner::SweepPoint>> points =
      store.Points(req.name(), "");
  if (!points.ok()) return points.status();
  std::map<std::string, pb::SweepSeries> by_key;
  for (const tuner::SweepPoint& p : *points) {
    pb::SweepSeries& series = by_key[p.key];
    if (series.item().empty()) {
      series.set_item(p.key);
      const std::vector<std::string> parts = absl::StrSplit(p.key, '/');
      if (parts.size() == 3) {
        series.set_model(parts[0]);
        series.set_board_kind(parts[1]);
        series.set_constraint(parts[2]);
      }
    }
    *series.add_points() = PointOf(p);
  }
  for (const tuner::SweepItem& item : tuner::Items(**d)) {
    auto it = by_key.find(item.key);
    if (it == by_key.end()) continue;
    *out.add_series() = std::move(it->second);
    by_key.erase(it);
  }
  for (auto& [key, series] : by_key) *out.add_series() = std::move(series);
  absl::StatusOr<std::vector<tuner::SweepAlert>> alerts =
      store.Alerts(req.name(), "", 200);
  if (!alerts.ok()) return alerts.status();
  for (const tuner::SweepAlert& a : *alerts) *out.add_alerts() = AlertOf(a);
  return out;
}

}  // namespace mcutune::server
