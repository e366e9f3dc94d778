// One sweep run (sweep_runner.h).
// - Decision per item, in order: adopt the job of an interrupted run with
//   the same inputs; tune when there is no done item before, the inputs
//   changed or there is no measured front; else re-measure when due; else
//   skip. A re-measurement whose firmware is gone (or rebuilt differently)
//   falls back to tuning.
// - The item row is written before its job is queued (with the job id), so
//   a daemon killed mid-item leaves the job to the JobRunner and the next run
//   of the sweep adopts it instead of starting another.
// - Cost-model work and board shifts run after every item, per board kind.
#include "tuner/sweep_runner.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "device_farm/board.h"
#include "tuner/sweep_cost_model.h"
#include "tuner/sweep_drift.h"
#include "tuner/sweep_inputs.h"
#include "tuner/sweep_report.h"

namespace mcutune::tuner {
namespace {

namespace fs = std::filesystem;

void LogInfo(const std::string& msg) {
  if (auto log = spdlog::get("tuner")) log->info("{}", msg);
}

bool Built(CandidateState s) {
  return s == CandidateState::kBuilt || s == CandidateState::kBuildFailed ||
         s == CandidateState::kVerifyFailed || s == CandidateState::kMeasured ||
         s == CandidateState::kMeasureFailed;
}

class SweepRun {
 public:
  SweepRun(const SweepEnvironment& env, const SweepDefinition& def,
           const std::string& run_id, const std::atomic<bool>& stop)
      : env_(env), def_(def), run_id_(run_id), stop_(stop) {}

  absl::Status Run() {
    absl::StatusOr<SweepRunRecord> run = env_.sweeps->GetRun(run_id_);
    if (!run.ok()) return run.status();
    run_ = *run;
    run_.state = "running";
    run_.started_ms = NowMsOf();
    run_.toolchain =
        env_.toolchain_version ? env_.toolchain_version() : ToolchainVersion();
    run_.codegen =
        env_.codegen_version ? env_.codegen_version() : CodegenVersion();
    const std::vector<SweepItem> items = Items(def_);
    run_.counts.items = static_cast<int>(items.size());
    if (absl::Status s = env_.sweeps->UpdateRun(run_); !s.ok()) return s;
    LogInfo(absl::StrCat("sweep ", def_.name, ": run ", run_id_, " started (",
                         run_.trigger, ")"));
    PrepareModels();
    for (const std::string& kind : def_.board_kinds) {
      version_used_[kind] = LatestCostModelVersion(env_.cost_store, kind);
    }
    for (const SweepItem& item : items) {
      if (stop_) return Interrupted();
      absl::StatusOr<bool> finished = ProcessItem(item);
      if (!finished.ok()) return finished.status();
      if (!*finished) return Interrupted();
      if (absl::Status s = env_.sweeps->UpdateRun(run_); !s.ok()) return s;
    }
    if (absl::Status s = PerBoardKind(); !s.ok()) return s;
    return Finish();
  }

 private:
  int64_t NowMsOf() const { return absl::ToUnixMillis(SweepNow(env_)); }

  void PrepareModels() {
    for (const SweepModel& m : def_.models) {
      absl::StatusOr<std::string> bytes = SweepModelBytes(m);
      absl::StatusOr<std::string> id =
          bytes.ok() ? StoreSweepModel(*env_.store, m, *bytes)
                     : absl::StatusOr<std::string>(bytes.status());
      if (id.ok()) {
        model_ids_.push_back(*id);
        model_errors_.push_back("");
      } else {
        model_ids_.push_back("");
        model_errors_.push_back(std::string(id.status().message()));
      }
    }
  }

  ItemInputs InputsOf(const SweepItem& item) const {
    ItemInputs in;
    in.model_hash = model_ids_[item.model];
    in.board_kind = item.board_kind;
    in.toolchain = run_.toolchain;
    in.codegen = run_.codegen;
    auto v = version_used_.find(item.board_kind);
    in.cost_model_version = v == version_used_.end() ? 0 : v->second;
    TuneRequest r = ItemRequest(def_, item, "");
    r.label.clear();
    nlohmann::json j = nlohmann::json::parse(TuneRequestToJson(r));
    j.erase("model_id");
    j.erase("label");
    in.request_json = j.dump();
    return in;
  }

  // Returns false when interrupted.
  absl::StatusOr<bool> ProcessItem(const SweepItem& item) {
    SweepItemRecord rec;
    rec.run_id = run_id_;
    rec.sweep = def_.name;
    rec.key = item.key;
    rec.model = def_.models[item.model].name;
    rec.model_hash = model_ids_[item.model];
    rec.board_kind = item.board_kind;
    rec.constraint = item.constraint.name;
    if (!model_errors_[item.model].empty()) {
      rec.action = "tune";
      rec.state = "failed";
      rec.error = model_errors_[item.model];
      ++run_.counts.failed;
      return Put(rec);
    }
    const ItemInputs inputs = InputsOf(item);
    rec.inputs_json = ItemInputsToJson(inputs);
    rec.fingerprint = Fingerprint(inputs);
    absl::StatusOr<std::optional<SweepItemRecord>> prev =
        env_.sweeps->LastDoneItem(def_.name, item.key, run_id_);
    if (!prev.ok()) return prev.status();
    absl::StatusOr<std::vector<SweepPoint>> front =
        env_.sweeps->LastFront(def_.name, item.key, run_id_);
    if (!front.ok()) return front.status();
    absl::StatusOr<std::optional<SweepItemRecord>> adopt =
        env_.sweeps->InterruptedItem(def_.name, item.key, rec.fingerprint);
    if (!adopt.ok()) return adopt.status();
    std::string adopt_job;
    if (adopt->has_value()) {
      absl::StatusOr<JobRecord> job = env_.store->GetJob((*adopt)->job_id);
      if (job.ok() && job->state != JobState::kFailed &&
          job->state != JobState::kCancelled) {
        adopt_job = job->id;
      }
    }
    if (!adopt_job.empty()) {
      rec.action = "tune";
      rec.reason = absl::StrCat("adopted job ", adopt_job,
                                " of interrupted run ", (*adopt)->run_id);
    } else if (!prev->has_value()) {
      rec.action = "tune";
      rec.reason = "first run of this item";
    } else if ((*prev)->fingerprint != rec.fingerprint) {
      rec.action = "tune";
      absl::StatusOr<ItemInputs> before =
          ItemInputsFromJson((*prev)->inputs_json);
      const std::string change =
          before.ok() ? DescribeChange(*before, inputs) : "";
      rec.reason = change.empty() ? "inputs changed" : change;
    } else if (front->empty()) {
      rec.action = "tune";
      rec.reason = "inputs unchanged but no measured front yet";
    } else {
      int64_t last = 0;
      for (const SweepPoint& p : *front) last = std::max(last, p.time_ms);
      const absl::Time due = absl::FromUnixMillis(last) + def_.remeasure_after;
      if (SweepNow(env_) < due) {
        rec.action = "skip";
        rec.reason = absl::StrCat("inputs unchanged; last measured ",
                                  FormatTimeMs(last), ", re-measurement due ",
                                  FormatTimeMs(absl::ToUnixMillis(due)));
      } else {
        rec.action = "remeasure";
        rec.reason = absl::StrCat("inputs unchanged; last measured ",
                                  FormatTimeMs(last), ", re-measurement due");
      }
    }
    rec.state = rec.action == "skip" ? "done" : "running";
    if (absl::StatusOr<bool> ok = Put(rec); !ok.ok()) return ok;
    std::vector<SweepPoint> points;
    bool finished = true;
    if (rec.action == "remeasure") {
      absl::StatusOr<bool> r = Remeasure(*front, &rec, &points);
      if (!r.ok()) return r.status();
      finished = *r;
      if (finished && rec.state == "fallback") {
        rec.action = "tune";
        rec.state = "running";
      }
    }
    if (rec.action == "tune") {
      absl::StatusOr<bool> r = Tune(item, adopt_job, &rec, &points);
      if (!r.ok()) return r.status();
      finished = *r;
    }
    if (!finished) return false;
    Count(rec);
    if (absl::Status s = Drift(item, rec, &points); !s.ok()) return s;
    if (absl::Status s = env_.sweeps->AddPoints(points); !s.ok()) return s;
    for (const SweepPoint& p : points) {
      kind_points_[item.board_kind].push_back({p, rec.model, rec.model_hash});
    }
    return Put(rec);
  }

  absl::StatusOr<bool> Put(SweepItemRecord& rec) {
    rec.updated_ms = NowMsOf();
    if (absl::Status s = env_.sweeps->PutItem(rec); !s.ok()) return s;
    return true;
  }

  void Count(const SweepItemRecord& rec) {
    if (rec.state == "failed") {
      ++run_.counts.failed;
    } else if (rec.action == "tune") {
      ++run_.counts.tuned;
    } else if (rec.action == "remeasure") {
      ++run_.counts.remeasured;
    } else {
      ++run_.counts.skipped;
    }
    run_.counts.builds += rec.builds;
    run_.counts.measurements += rec.measurements;
    run_.counts.farm_runs += rec.farm_runs;
  }

  // A tuning job (or the adopted one) to its end; false when interrupted.
  absl::StatusOr<bool> Tune(const SweepItem& item, const std::string& adopt,
                            SweepItemRecord* rec,
                            std::vector<SweepPoint>* points) {
    std::string job_id = adopt;
    if (job_id.empty()) {
      TuneRequest r = ItemRequest(def_, item, rec->model_hash);
      r.priority = kSweepJobPriority;
      if (absl::Status s = ValidateTuneRequest(env_.catalogue, &r); !s.ok()) {
        rec->state = "failed";
        rec->error = std::string(s.message());
        return true;
      }
      JobRecord j;
      j.id = NewJobId();
      j.model_id = rec->model_hash;
      j.request_json = TuneRequestToJson(r);
      j.created_ms = NowMs();
      j.updated_ms = j.created_ms;
      if (absl::Status s = env_.store->CreateJob(j); !s.ok()) return s;
      job_id = j.id;
      rec->job_id = job_id;
      if (absl::StatusOr<bool> ok = Put(*rec); !ok.ok()) return ok;
      env_.runner->Enqueue(job_id, kSweepJobPriority);
      ++run_.counts.jobs;
    } else {
      rec->job_id = job_id;
      if (absl::StatusOr<bool> ok = Put(*rec); !ok.ok()) return ok;
      env_.runner->Enqueue(job_id, kSweepJobPriority);  // no-op if running
    }
    // Wait for the job (bounded by the job's own budget; stop ends it).
    int64_t seen = 0;
    JobRecord job;
    while (true) {
      absl::StatusOr<JobRecord> j = env_.store->GetJob(job_id);
      if (!j.ok()) return j.status();
      job = *j;
      if (IsTerminal(job.state)) break;
      if (stop_) return false;
      env_.store->WaitForEvent(job_id, seen, absl::Milliseconds(250));
      absl::StatusOr<std::vector<JobEvent>> events =
          env_.store->EventsAfter(job_id, seen);
      if (events.ok() && !events->empty()) seen = events->back().seq;
    }
    absl::StatusOr<std::vector<CandidateRecord>> cands =
        env_.store->ListCandidates(job_id);
    if (!cands.ok()) return cands.status();
    for (const CandidateRecord& c : *cands) {
      rec->builds += Built(c.state);
      const bool measured = c.state == CandidateState::kMeasured ||
                            c.state == CandidateState::kMeasureFailed;
      rec->measurements += measured;
      rec->farm_runs += measured;
    }
    if (job.state != JobState::kDone) {
      rec->state = "failed";
      rec->error = absl::StrCat("job ", job_id, " ", JobStateName(job.state),
                                job.error.empty() ? "" : ": ", job.error);
      return true;
    }
    const int64_t now = NowMsOf();
    for (const CandidateRecord& c : *cands) {
      if (!c.on_front || c.state != CandidateState::kMeasured) continue;
      SweepPoint p;
      p.sweep = def_.name;
      p.run_id = run_id_;
      p.key = rec->key;
      p.time_ms = now;
      p.candidate = c.candidate_id;
      p.strategy = c.strategy;
      p.latency = c.measured;
      p.unit = c.measured_unit;
      const nlohmann::json m =
          nlohmann::json::parse(c.metrics_json, nullptr, false);
      if (m.is_object() && m.contains("peak_sram_bytes") &&
          m["peak_sram_bytes"].is_number_integer()) {
        p.peak_sram_bytes = m["peak_sram_bytes"].get<int64_t>();
      }
      p.flash_bytes = c.linked_flash_bytes;
      p.build_dir = c.build_dir;
      absl::StatusOr<std::string> sha = device_farm::Sha256File(
          (fs::path(env_.builds_dir) / c.build_dir / "firmware.elf").string());
      if (sha.ok()) p.artifact_sha256 = *sha;
      p.job_id = job_id;
      points->push_back(std::move(p));
    }
    rec->state = "done";
    return true;
  }

  // The last front measured again. rec->state "fallback" when its firmware
  // is gone (the caller tunes instead); false when interrupted.
  absl::StatusOr<bool> Remeasure(const std::vector<SweepPoint>& front,
                                 SweepItemRecord* rec,
                                 std::vector<SweepPoint>* points) {
    std::vector<MeasureRequest> reqs;
    std::vector<device_farm::Artifact> artifacts;
    for (const SweepPoint& p : front) {
      const std::string dir =
          (fs::path(env_.builds_dir) / p.build_dir).string();
      absl::StatusOr<device_farm::Artifact> a = device_farm::LoadArtifact(dir);
      if (!a.ok() || a->sha256 != p.artifact_sha256) {
        rec->state = "fallback";
        rec->reason = absl::StrCat(rec->reason, "; firmware of ", p.candidate,
                                   " is gone or changed, tuned again");
        return true;
      }
      MeasureRequest r;
      r.job_id = absl::StrCat("sweep/", run_id_, "/", rec->key);
      r.board_kind = rec->board_kind;
      r.build_dir = dir;
      r.runs = def_.runs_per_measurement;
      r.warmup = env_.warmup;
      r.timeout = env_.measure_timeout;
      r.priority = kSweepJobPriority;
      r.repeats = def_.remeasure_repeats;
      reqs.push_back(r);
      artifacts.push_back(*a);
    }
    const std::vector<MeasureResult> results =
        env_.measurer->MeasureBatch(reqs, [this] {
          return stop_ ? WaitDecision::kAbort : WaitDecision::kContinue;
        });
    rec->farm_runs = static_cast<int>(reqs.size());
    std::string errors;
    const int64_t now = NowMsOf();
    for (size_t i = 0; i < results.size() && i < front.size(); ++i) {
      const MeasureResult& m = results[i];
      if (absl::IsAborted(m.status)) return false;
      std::string why;
      if (!m.status.ok()) {
        why = std::string(m.status.message());
      } else if (m.measurement.status != device_farm::RunStatus::kOk) {
        why = absl::StrCat("run ",
                           device_farm::RunStatusName(m.measurement.status));
      } else if (!artifacts[i].expected_output_sha256.empty() &&
                 m.measurement.output_sha256 !=
                     artifacts[i].expected_output_sha256) {
        why = "output differs from the reference";
      }
      if (!why.empty()) {
        absl::StrAppend(&errors, errors.empty() ? "" : "; ", front[i].candidate,
                        ": ", why.substr(0, 300));
        continue;
      }
      ++rec->measurements;
      SweepPoint p = front[i];
      p.id = 0;
      p.run_id = run_id_;
      p.time_ms = now;
      std::vector<double> reps = m.repeat_counts;
      if (reps.empty()) reps.push_back(m.measurement.per_inference);
      p.latency = Median(reps);
      p.spread = RelativeSpread(reps);
      p.repeats = static_cast<int>(reps.size());
      p.unit = device_farm::CountUnitName(m.measurement.unit);
      p.remeasured = true;
      points->push_back(std::move(p));
    }
    rec->error = errors;
    rec->state = points->empty() ? "failed" : "done";
    return true;
  }

  // Front regressions of the item's points; same-artifact pairs for later.
  absl::Status Drift(const SweepItem& item, const SweepItemRecord& rec,
                     std::vector<SweepPoint>* points) {
    for (const SweepPoint& p : *points) {
      absl::StatusOr<std::optional<SweepPoint>> prev =
          env_.sweeps->PreviousPoint(def_.name, item.key, p.candidate, run_id_);
      if (!prev.ok()) return prev.status();
      if (!prev->has_value()) continue;
      if (!p.artifact_sha256.empty() &&
          p.artifact_sha256 == (*prev)->artifact_sha256) {
        pairs_[item.board_kind].push_back({**prev, p});
      }
      if (std::optional<SweepAlert> a =
              FrontRegression(**prev, p, def_.drift)) {
        a->model = rec.model;
        a->board_kind = rec.board_kind;
        a->constraint = rec.constraint;
        alerts_.push_back(*a);
      }
    }
    return absl::OkStatus();
  }

  absl::Status PerBoardKind() {
    for (const std::string& kind : def_.board_kinds) {
      if (std::optional<SweepAlert> a =
              BoardShift(kind, pairs_[kind], def_.drift)) {
        alerts_.push_back(*a);
      }
      if (env_.cost_store == nullptr || kind_points_[kind].empty()) continue;
      absl::StatusOr<std::optional<SweepCostRow>> prev =
          env_.sweeps->PreviousCostRow(def_.name, kind, run_id_);
      if (!prev.ok()) return prev.status();
      absl::StatusOr<SweepCostOutcome> out = UpdateSweepCostModel(
          *env_.cost_store, kind, version_used_[kind], kind_points_[kind],
          *prev, run_.toolchain,
          absl::StrCat("sweep ", def_.name, " run ", run_id_), def_.drift);
      if (!out.ok()) {
        if (auto log = spdlog::get("tuner")) {
          log->error("sweep {}: cost model step for {} failed: {}", def_.name,
                     kind, std::string(out.status().message()));
        }
        continue;
      }
      out->row.run_id = run_id_;
      out->row.sweep = def_.name;
      if (absl::Status s = env_.sweeps->PutCostRow(out->row); !s.ok()) return s;
      for (SweepAlert& a : out->alerts) alerts_.push_back(a);
      if (out->row.version_new > 0) {
        if (absl::Status s = FollowRefit(kind, out->row.version_new); !s.ok()) {
          return s;
        }
      }
    }
    return absl::OkStatus();
  }

  // The run's own refit is not a changed input of its items next time.
  absl::Status FollowRefit(const std::string& kind, int version) {
    absl::StatusOr<std::vector<SweepItemRecord>> items =
        env_.sweeps->ListItems(run_id_);
    if (!items.ok()) return items.status();
    for (const SweepItemRecord& it : *items) {
      if (it.board_kind != kind || it.state != "done") continue;
      absl::StatusOr<ItemInputs> in = ItemInputsFromJson(it.inputs_json);
      if (!in.ok()) continue;
      in->cost_model_version = version;
      if (absl::Status s = env_.sweeps->UpdateItemInputs(
              run_id_, it.key, ItemInputsToJson(*in), Fingerprint(*in));
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  absl::Status SaveAlerts() {
    const int64_t now = NowMsOf();
    for (SweepAlert& a : alerts_) {
      a.sweep = def_.name;
      a.run_id = run_id_;
      a.created_ms = now;
    }
    run_.counts.alerts = static_cast<int>(alerts_.size());
    return env_.sweeps->AddAlerts(alerts_);
  }

  absl::Status Finish() {
    if (absl::Status s = SaveAlerts(); !s.ok()) return s;
    run_.finished_ms = NowMsOf();
    const bool all_failed =
        run_.counts.items > 0 && run_.counts.failed == run_.counts.items;
    run_.state = all_failed ? "failed" : "done";
    if (run_.counts.failed > 0) {
      run_.error = absl::StrCat(run_.counts.failed, " of ", run_.counts.items,
                                " items failed");
    }
    // The report first, then the final state: a client that sees the run
    // done or failed finds its report (the report takes the final record
    // from run_, the store still says "running").
    if (!env_.reports_dir.empty()) {
      absl::StatusOr<SweepRunReport> report =
          LoadSweepRunReport(*env_.sweeps, run_id_);
      if (report.ok()) {
        report->run = run_;
        if (absl::Status s = WriteSweepReport(env_.reports_dir, *report);
            !s.ok()) {
          if (auto log = spdlog::get("tuner")) {
            log->error("sweep {}: report not written: {}", def_.name,
                       std::string(s.message()));
          }
        }
      }
    }
    if (absl::Status s = env_.sweeps->UpdateRun(run_); !s.ok()) return s;
    LogInfo(absl::StrCat("sweep ", def_.name, ": run ", run_id_, " ",
                         run_.state, ": ", run_.counts.tuned, " tuned, ",
                         run_.counts.remeasured, " re-measured, ",
                         run_.counts.skipped, " skipped, ", run_.counts.failed,
                         " failed, ", run_.counts.alerts, " alerts"));
    return absl::OkStatus();
  }

  absl::Status Interrupted() {
    if (absl::Status s = SaveAlerts(); !s.ok()) return s;
    run_.state = "interrupted";
    run_.finished_ms = NowMsOf();
    run_.error = "stopped before the end (daemon shutdown)";
    LogInfo(
        absl::StrCat("sweep ", def_.name, ": run ", run_id_, " interrupted"));
    return env_.sweeps->UpdateRun(run_);
  }

  const SweepEnvironment& env_;
  const SweepDefinition& def_;
  const std::string run_id_;
  const std::atomic<bool>& stop_;
  SweepRunRecord run_;
  std::vector<std::string> model_ids_, model_errors_;
  std::map<std::string, int> version_used_;
  std::map<std::string, std::vector<SweepSamplePoint>> kind_points_;
  std::map<std::string, std::vector<std::pair<SweepPoint, SweepPoint>>> pairs_;
  std::vector<SweepAlert> alerts_;
};

}  // namespace

absl::Time SweepNow(const SweepEnvironment& env) {
  return env.clock ? env.clock() : absl::Now();
}

absl::Status ExecuteSweepRun(const SweepEnvironment& env,
                             const SweepDefinition& definition,
                             const std::string& run_id,
                             const std::atomic<bool>& stop) {
  SweepRun run(env, definition, run_id, stop);
  return run.Run();
}

}  // namespace mcutune::tuner
