// Scheduler workers: one thread per board slot.
// - Loop: take a slot, read the board's state from the store (authoritative,
//   so a drain written by another process is honoured), then
//     active       lease the next run of the kind and Execute it;
//     quarantined  run the health check when it is due (one at a time);
//     draining     become drained once nothing runs on the board;
//     drained      nothing.
//   Idle workers sleep poll_interval or until woken (Submit, Enable, Stop).
// - Execute: the pending repeats one after another; after each one the
//   measurement is stored before anything else happens. The lease is
//   renewed by the heartbeat while Board::Run blocks. Before each repeat the
//   run is re-read: cancelled or reclaimed -> stop (nothing more is
//   written); Stop() -> release the lease (queued again, no failure).
// - Outcome policy: see scheduler.h. Board blame for timeouts/crashes is
//   deferred (ChargeSuspects when the run succeeds elsewhere); a board with
//   quarantine_after such outcomes in a row is health-checked at once.
#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "device_farm/farm_log.h"
#include "device_farm/scheduler_impl.h"

namespace mcutune::device_farm::scheduler_internal {
namespace {

std::chrono::nanoseconds Chrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(std::max(d, absl::ZeroDuration()));
}

bool IsAmbiguous(RunStatus s) {
  return s == RunStatus::kTimeout || s == RunStatus::kCrashed;
}

}  // namespace

absl::Duration SchedulerImpl::Backoff(int failure) const {
  absl::Duration d = options_.retry_backoff;
  for (int i = 1; i < failure && d < options_.retry_backoff_max; ++i) d *= 2;
  return std::min(d, options_.retry_backoff_max);
}

absl::Status SchedulerImpl::Persist(const std::function<absl::Status()>& write) {
  const auto deadline = std::chrono::steady_clock::now() +
                        Chrono(std::max(options_.lease_duration,
                                        absl::Seconds(10)));
  while (true) {
    absl::Status s = write();
    if (!absl::IsUnavailable(s) ||
        std::chrono::steady_clock::now() >= deadline) {
      return s;
    }
    FarmLog()->warn("database busy, retrying: {}", s.ToString());
    std::this_thread::sleep_for(Chrono(options_.poll_interval));
  }
}

void SchedulerImpl::WorkerLoop(std::shared_ptr<BoardEntry> entry) {
  std::string last_error;  // logged once until it changes
  auto report = [&](const absl::Status& s, const char* what) {
    if (s.ok() || s.ToString() == last_error) return;
    last_error = s.ToString();
    FarmLog()->warn("{}: {}: {}", entry->uri, what, last_error);
  };
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_ && !entry->removing) {
    if (entry->busy >= entry->slots) {
      work_cv_.wait_for(lock, Chrono(options_.poll_interval));
      continue;
    }
    ++entry->busy;
    std::vector<std::string> peers;
    for (const auto& [uri, e] : boards_) {
      if (uri != entry->uri && e->kind == entry->kind && !e->removing) {
        peers.push_back(uri);
      }
    }
    lock.unlock();
    bool worked = false;
    const absl::Time now = Now();
    absl::StatusOr<BoardRecord> rec = store_->GetBoard(entry->uri);
    report(rec.status(), "reading board state");
    if (rec.ok() && rec->state == BoardState::kActive) {
      LeaseQuery q;
      q.board_uri = entry->uri;
      q.kind = entry->kind;
      q.owner = options_.owner;
      q.lease_duration = options_.lease_duration;
      for (const std::string& p : peers) {
        absl::StatusOr<BoardRecord> peer = store_->GetBoard(p);
        if (peer.ok() && peer->state == BoardState::kActive) {
          q.peer_boards.push_back(p);
        }
      }
      absl::StatusOr<std::optional<Lease>> lease = store_->LeaseNext(q, now);
      report(lease.status(), "leasing");
      if (lease.ok() && lease->has_value()) {
        last_error.clear();
        Execute(*entry, **lease);
        worked = true;
      }
    } else if (rec.ok() && rec->state == BoardState::kQuarantined &&
               options_.health_artifact && now >= rec->next_health_check_at) {
      bool mine = false;
      {
        std::unique_lock<std::mutex> l(mu_);
        mine = !entry->health_check_running;
        entry->health_check_running = true;
      }
      if (mine) {
        RunHealthCheck(*entry);
        std::unique_lock<std::mutex> l(mu_);
        entry->health_check_running = false;
        worked = true;
      }
    } else if (rec.ok() && rec->state == BoardState::kDraining) {
      bool idle;
      {
        std::unique_lock<std::mutex> l(mu_);
        idle = entry->running.empty() && entry->busy == 1;
      }
      if (idle) {
        report(store_->SetBoardState(entry->uri, BoardState::kDrained,
                                     "drained: no run in progress",
                                     absl::InfinitePast(), Now()),
               "draining");
      }
    }
    lock.lock();
    --entry->busy;
    done_cv_.notify_all();
    if (!worked && !stopping_ && !entry->removing) {
      work_cv_.wait_for(lock, Chrono(options_.poll_interval));
    }
  }
}

void SchedulerImpl::Execute(BoardEntry& entry, const Lease& lease) {
  const int64_t id = lease.run_id;
  const RunRequest& request = lease.run.request;
  {
    std::unique_lock<std::mutex> lock(mu_);
    entry.running.push_back(id);
    leases_[id] = lease;
  }
  bool resolved = false;  // the lease was completed, requeued or let go
  for (int repeat : lease.pending_repeats) {
    bool stop;
    {
      std::unique_lock<std::mutex> lock(mu_);
      stop = stopping_ || entry.removing;
    }
    if (stop) {
      absl::Status s = Persist([&] {
        return store_->ReleaseLease(lease, "scheduler stopping", Now());
      });
      if (!s.ok()) FarmLog()->warn("run {}: release: {}", id, s.ToString());
      resolved = true;
      break;
    }
    absl::StatusOr<RunRecord> cur = store_->GetRun(id);
    if (cur.ok() && (cur->state != RunState::kLeased ||
                     cur->lease_owner != lease.owner ||
                     cur->attempts != lease.attempt)) {
      FarmLog()->info("run {}: now {}, stopping attempt {}", id,
                      RunStateName(cur->state), lease.attempt);
      resolved = true;
      break;
    }
    const absl::Time started = Now();
    absl::StatusOr<Measurement> result =
        entry.board->Run(request.artifact, request.options);
    const absl::Time finished = Now();
    if (!result.ok()) {
      HandleBoardError(entry, lease, result.status());
      resolved = true;
      break;
    }
    const Measurement& m = *result;
    if (!StoreMeasurement(lease, repeat, m, started, finished)) {
      // Not stored: stop renewing; the lease expires and the run is
      // reclaimed (with its event) rather than silently dropped.
      resolved = true;
      break;
    }
    if (m.status == RunStatus::kOk) {
      (void)store_->RecordBoardSuccess(entry.uri, Now());
      {
        std::unique_lock<std::mutex> lock(mu_);
        entry.consecutive_suspects = 0;
      }
      absl::StatusOr<std::vector<std::string>> blamed =
          store_->ChargeSuspects(id, entry.uri, Now());
      if (blamed.ok()) {
        for (const std::string& b : *blamed) {
          ChargeBoard(b, absl::StrCat("run ", id, " timed out or crashed "
                                      "here but succeeded on ", entry.uri));
        }
      }
      continue;
    }
    const std::string status = RunStatusName(m.status);
    if (IsAmbiguous(m.status)) {
      const int failure = lease.run.failures + 1;
      absl::StatusOr<RunState> next = absl::UnknownError("");
      (void)Persist([&] {
        next = store_->RequeueRun(lease, AttemptOutcome::kSuspect, status,
                                  m.error, Now() + Backoff(failure), Now());
        return next.status();
      });
      if (!next.ok()) FarmLog()->warn("run {}: {}", id, next.status().ToString());
      int suspects;
      {
        std::unique_lock<std::mutex> lock(mu_);
        suspects = ++entry.consecutive_suspects;
      }
      FarmLog()->info("run {} on {}: {} (attempt {})", id, entry.uri, status,
                      lease.attempt);
      if (suspects >= options_.quarantine_after && options_.health_artifact) {
        bool mine;
        {
          std::unique_lock<std::mutex> lock(mu_);
          mine = !entry.health_check_running;
          entry.health_check_running = true;
        }
        if (mine) {
          HealthReport r = RunHealthCheck(entry);
          std::unique_lock<std::mutex> lock(mu_);
          entry.health_check_running = false;
          if (r.passed) entry.consecutive_suspects = 0;
        }
      }
    } else {
      // The firmware's own doing (fault, harness error, garbage): the board
      // worked; repeating it elsewhere would give the same answer.
      (void)store_->RecordBoardSuccess(entry.uri, Now());
      absl::Status s = Persist([&] {
        return store_->CompleteRun(lease, RunState::kFailed,
                                   AttemptOutcome::kFirmware, status, m.error,
                                   Now());
      });
      if (!s.ok()) FarmLog()->warn("run {}: {}", id, s.ToString());
    }
    resolved = true;
    break;
  }
  if (!resolved) {
    absl::Status s = Persist([&] {
      return store_->CompleteRun(lease, RunState::kDone, AttemptOutcome::kOk,
                                 "ok", "", Now());
    });
    if (!s.ok()) FarmLog()->warn("run {}: {}", id, s.ToString());
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    entry.running.erase(
        std::find(entry.running.begin(), entry.running.end(), id));
    leases_.erase(id);
  }
  NotifyFinished(id);
  work_cv_.notify_all();
}

bool SchedulerImpl::StoreMeasurement(const Lease& lease, int repeat_index,
                                     const Measurement& m, absl::Time started,
                                     absl::Time finished) {
  const Artifact& a = lease.run.request.artifact;
  MeasurementRecord r;
  r.run_id = lease.run_id;
  r.repeat_index = repeat_index;
  r.attempt = lease.attempt;
  r.board_uri = lease.board_uri;
  r.board_kind = lease.run.request.board_kind;
  r.artifact_sha256 = a.sha256;
  r.toolchain_version = a.toolchain_version;
  r.expected_output_sha256 = a.expected_output_sha256;
  if (!a.expected_output_sha256.empty() && m.status == RunStatus::kOk) {
    r.output_matches = m.output_sha256 == a.expected_output_sha256;
  }
  r.measurement = m;
  r.measurement.raw_log.clear();
  r.started_at = started;
  r.finished_at = finished;
  absl::Status s = Persist(
      [&] { return store_->RecordMeasurement(r, Now()).status(); });
  if (!s.ok()) {
    FarmLog()->error("run {} repeat {}: measurement not stored: {}",
                     lease.run_id, repeat_index, s.ToString());
    return false;
  }
  return true;
}

void SchedulerImpl::HandleBoardError(BoardEntry& entry, const Lease& lease,
                                     const absl::Status& error) {
  const std::string detail = error.ToString();
  FarmLog()->warn("run {} on {}: {}", lease.run_id, entry.uri, detail);
  if (absl::IsInvalidArgument(error)) {
    // The artifact or options are wrong: no board will do better.
    absl::Status s = Persist([&] {
      return store_->CompleteRun(lease, RunState::kFailed,
                                 AttemptOutcome::kFirmware, "infra", detail,
                                 Now());
    });
    if (!s.ok()) FarmLog()->warn("run {}: {}", lease.run_id, s.ToString());
    return;
  }
  if (absl::IsNotFound(error)) {
    Quarantine(entry.uri, absl::StrCat("board or tool not found: ", detail));
  } else {
    ChargeBoard(entry.uri, detail);
  }
  absl::StatusOr<RunState> next = absl::UnknownError("");
  (void)Persist([&] {
    next = store_->RequeueRun(lease, AttemptOutcome::kInfra, "infra", detail,
                              Now() + Backoff(lease.run.failures + 1), Now());
    return next.status();
  });
  if (!next.ok()) {
    FarmLog()->warn("run {}: {}", lease.run_id, next.status().ToString());
  }
}

void SchedulerImpl::ChargeBoard(const std::string& uri,
                                const std::string& detail) {
  absl::StatusOr<int> n = store_->RecordBoardFailure(uri, detail, Now());
  if (!n.ok()) {
    FarmLog()->warn("{}: recording a failure: {}", uri, n.status().ToString());
    return;
  }
  if (*n >= options_.quarantine_after) {
    Quarantine(uri, absl::StrCat(*n, " consecutive failures; last: ", detail));
  }
}

void SchedulerImpl::Quarantine(const std::string& uri,
                               const std::string& reason) {
  absl::StatusOr<BoardRecord> rec = store_->GetBoard(uri);
  if (!rec.ok() || rec->state == BoardState::kQuarantined) return;
  const absl::Time now = Now();
  absl::Status s =
      store_->SetBoardState(uri, BoardState::kQuarantined, reason,
                            now + options_.health_check_interval, now);
  if (s.ok()) {
    FarmLog()->warn("{} quarantined: {}", uri, reason);
  } else {
    FarmLog()->error("{}: quarantine: {}", uri, s.ToString());
  }
  work_cv_.notify_all();
}

HealthReport SchedulerImpl::RunHealthCheck(BoardEntry& entry) {
  HealthReport report;
  report.uri = entry.uri;
  const Artifact& artifact = *options_.health_artifact;
  absl::StatusOr<Measurement> result =
      entry.board->Run(artifact, options_.health_run_options);
  if (!result.ok()) {
    report.detail = result.status().ToString();
  } else {
    report.measurement = *result;
    const Measurement& m = *result;
    if (m.status != RunStatus::kOk) {
      report.detail = absl::StrCat(RunStatusName(m.status), ": ", m.error);
    } else if (!artifact.expected_output_sha256.empty() &&
               m.output_sha256 != artifact.expected_output_sha256) {
      report.detail = absl::StrCat("output ", m.output_sha256,
                                   " != expected ",
                                   artifact.expected_output_sha256);
    } else {
      report.passed = true;
      report.detail = absl::StrCat("ok: ", m.per_inference, " ",
                                   CountUnitName(m.unit), "/inference");
    }
  }
  const absl::Time now = Now();
  absl::StatusOr<BoardRecord> rec = store_->GetBoard(entry.uri);
  if (rec.ok()) {
    absl::Status s;
    if (report.passed) {
      s = store_->RecordBoardSuccess(entry.uri, now);
      if (s.ok() && rec->state == BoardState::kQuarantined) {
        s = store_->SetBoardState(
            entry.uri, BoardState::kActive,
            absl::StrCat("health check passed: ", report.detail),
            absl::InfinitePast(), now);
        FarmLog()->info("{} back from quarantine: {}", entry.uri,
                        report.detail);
      }
    } else if (rec->state == BoardState::kQuarantined) {
      absl::Duration wait = options_.health_check_interval;
      for (int i = 0; i <= rec->health_check_failures &&
                      wait < options_.health_check_max_interval;
           ++i) {
        wait *= 2;
      }
      wait = std::min(wait, options_.health_check_max_interval);
      s = store_->RecordHealthCheckFailure(entry.uri, now + wait,
                                           report.detail, now);
    } else {
      Quarantine(entry.uri,
                 absl::StrCat("health check failed: ", report.detail));
    }
    if (!s.ok()) FarmLog()->warn("{}: {}", entry.uri, s.ToString());
    rec = store_->GetBoard(entry.uri);
  }
  if (rec.ok()) report.state = rec->state;
  work_cv_.notify_all();
  return report;
}

}  // namespace mcutune::device_farm::scheduler_internal
