// The Measurer over the device farm's Scheduler (measurer.h).
// - Submit: LoadArtifact(build_dir) (hashes the ELF, reads report.json's
//   expected output hash), then look for a run of the same job tag, board
//   kind and artifact hash that is not cancelled: if there is one (submitted
//   before a restart) it is reused, else a new run (1 repeat) is submitted.
// - Wait: round-robin over the pending runs, Wait() on one for 250 ms and
//   Get() the others, calling `poll` between rounds; cancel -> Cancel() every
//   pending run; abort -> return, leaving the runs to the farm.
// - Result of a terminal run: its latest measurement (ok or not) with the
//   board that produced it; a run that failed without any measurement (only
//   infrastructure errors) is UNAVAILABLE with the farm's last error.
// - Every board of a pending run's kind quarantined (e.g. qemu-system-arm
//   missing: the scheduler quarantines on NOT_FOUND): nothing will run it
//   (the daemon has no health checks to bring a board back), so the run is
//   cancelled and FAILED_PRECONDITION names the boards and their reasons.
//   Drained boards are an operator's pause: the run waits for them.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "device_farm/board.h"
#include "device_farm/scheduler.h"
#include "tuner/measurer.h"

namespace mcutune::tuner {
namespace {

using device_farm::RunRecord;
using device_farm::RunState;

class SchedulerMeasurer : public Measurer {
 public:
  explicit SchedulerMeasurer(device_farm::Scheduler* scheduler)
      : scheduler_(scheduler) {}

  std::vector<MeasureResult> MeasureBatch(
      const std::vector<MeasureRequest>& requests,
      const std::function<WaitDecision()>& poll) override {
    std::vector<MeasureResult> results(requests.size());
    std::map<size_t, int64_t> pending;  // request index -> run id
    absl::Time next_board_check = absl::Now() + absl::Seconds(1);
    for (size_t i = 0; i < requests.size(); ++i) {
      absl::StatusOr<int64_t> id = SubmitOrFind(requests[i]);
      if (!id.ok()) {
        results[i].status = id.status();
        continue;
      }
      pending[i] = *id;
      results[i].run_id = absl::StrCat(*id);
    }
    while (!pending.empty()) {
      bool first = true;
      for (auto it = pending.begin(); it != pending.end();) {
        absl::StatusOr<RunRecord> run =
            first ? scheduler_->Wait(it->second, absl::Milliseconds(250))
                  : scheduler_->Get(it->second);
        first = false;
        if (!run.ok()) {
          if (absl::IsDeadlineExceeded(run.status())) {
            ++it;
            continue;
          }
          results[it->first].status = run.status();
          it = pending.erase(it);
          continue;
        }
        if (!device_farm::IsTerminal(run->state)) {
          ++it;
          continue;
        }
        results[it->first] = ResultOf(*run);
        it = pending.erase(it);
      }
      if (pending.empty()) break;
      if (absl::Time now = absl::Now(); now >= next_board_check) {
        next_board_check = now + absl::Seconds(1);
        FailRunsWithoutBoards(requests, &pending, &results);
        if (pending.empty()) break;
      }
      const WaitDecision d = poll ? poll() : WaitDecision::kContinue;
      if (d == WaitDecision::kContinue) continue;
      for (const auto& [index, id] : pending) {
        if (d == WaitDecision::kCancel) {
          (void)scheduler_->Cancel(id);
          results[index].status = absl::CancelledError("the job was cancelled");
        } else {
          results[index].status = absl::AbortedError(
              "stopped waiting (daemon shutting down); the run stays queued");
        }
      }
      break;
    }
    return results;
  }

  void CancelJob(const std::string& job_id) override {
    device_farm::RunFilter f;
    f.tag = job_id;
    absl::StatusOr<std::vector<RunRecord>> runs = scheduler_->ListRuns(f);
    if (!runs.ok()) return;
    for (const RunRecord& r : *runs) {
      if (!device_farm::IsTerminal(r.state)) (void)scheduler_->Cancel(r.id);
    }
  }

 private:
  // Pending runs of a kind whose every board is quarantined: cancelled, and
  // FAILED_PRECONDITION with the boards' quarantine reasons.
  void FailRunsWithoutBoards(const std::vector<MeasureRequest>& requests,
                             std::map<size_t, int64_t>* pending,
                             std::vector<MeasureResult>* results) {
    absl::StatusOr<std::vector<device_farm::BoardStatus>> boards =
        scheduler_->Boards();
    if (!boards.ok()) return;
    std::map<std::string, std::string> dead;  // kind -> reasons ("" = alive)
    std::map<std::string, bool> alive;
    for (const device_farm::BoardStatus& b : *boards) {
      const std::string& kind = b.record.kind;
      if (b.record.state != device_farm::BoardState::kQuarantined) {
        alive[kind] = true;
        continue;
      }
      alive.emplace(kind, false);
      absl::StrAppend(
          &dead[kind], dead[kind].empty() ? "" : "; ", b.record.uri,
          " quarantined: ", b.record.quarantine_reason.substr(0, 300));
    }
    for (auto it = pending->begin(); it != pending->end();) {
      const std::string& kind = requests[it->first].board_kind;
      auto a = alive.find(kind);
      if (a == alive.end() || a->second) {
        ++it;
        continue;
      }
      (void)scheduler_->Cancel(it->second);
      (*results)[it->first].status = absl::FailedPreconditionError(absl::StrCat(
          "no usable board of kind ", kind, " (", dead[kind],
          "); fix the board or tool, then enable the board (dashboard, "
          "POST /api/v1/farm/enable?uri=URI) or restart mcutuned"));
      it = pending->erase(it);
    }
  }

  absl::StatusOr<int64_t> SubmitOrFind(const MeasureRequest& req) {
    absl::StatusOr<device_farm::Artifact> artifact =
        device_farm::LoadArtifact(req.build_dir);
    if (!artifact.ok()) return artifact.status();
    device_farm::RunFilter f;
    f.tag = req.job_id;
    f.board_kind = req.board_kind;
    absl::StatusOr<std::vector<RunRecord>> runs = scheduler_->ListRuns(f);
    if (!runs.ok()) return runs.status();
    for (const RunRecord& r : *runs) {
      if (r.request.artifact.sha256 == artifact->sha256 &&
          r.state != RunState::kCancelled) {
        return r.id;
      }
    }
    device_farm::RunRequest run;
    run.artifact = *artifact;
    run.board_kind = req.board_kind;
    run.options.runs = req.runs;
    run.options.warmup = req.warmup;
    run.options.timeout = req.timeout;
    run.repeats = std::max(1, req.repeats);
    run.priority = req.priority;
    run.tag = req.job_id;
    return scheduler_->Submit(run);
  }

  MeasureResult ResultOf(const RunRecord& run) {
    MeasureResult r;
    r.run_id = absl::StrCat(run.id);
    if (run.state == RunState::kCancelled) {
      r.status = absl::CancelledError("the farm run was cancelled");
      return r;
    }
    absl::StatusOr<std::vector<device_farm::MeasurementRecord>> ms =
        scheduler_->store().Measurements(run.id);
    if (!ms.ok()) {
      r.status = ms.status();
      return r;
    }
    const device_farm::MeasurementRecord* best = nullptr;
    for (const device_farm::MeasurementRecord& m : *ms) {
      const bool ok = m.measurement.status == device_farm::RunStatus::kOk;
      const bool best_ok = best != nullptr && best->measurement.status ==
                                                  device_farm::RunStatus::kOk;
      if (best == nullptr || (ok && !best_ok) ||
          (ok == best_ok && m.id > best->id)) {
        best = &m;
      }
    }
    if (best == nullptr) {
      r.status = absl::UnavailableError(absl::StrCat(
          "farm run ", run.id, " ", device_farm::RunStateName(run.state),
          " without a measurement: ", run.last_error));
      return r;
    }
    r.status = absl::OkStatus();
    r.measurement = best->measurement;
    r.board_uri = best->board_uri;
    // The latest ok attempt of every repeat (the spread of a re-measurement).
    std::map<int, const device_farm::MeasurementRecord*> per_repeat;
    for (const device_farm::MeasurementRecord& m : *ms) {
      if (m.measurement.status != device_farm::RunStatus::kOk) continue;
      auto& slot = per_repeat[m.repeat_index];
      if (slot == nullptr || m.id > slot->id) slot = &m;
    }
    for (const auto& [index, m] : per_repeat) {
      r.repeat_counts.push_back(m->measurement.per_inference);
    }
    return r;
  }

  device_farm::Scheduler* scheduler_;
};

}  // namespace

std::unique_ptr<Measurer> MakeSchedulerMeasurer(
    device_farm::Scheduler* scheduler) {
  return std::make_unique<SchedulerMeasurer>(scheduler);
}

}  // namespace mcutune::tuner
