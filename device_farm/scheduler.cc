// Scheduler: construction, the public API, boards at run time and the
// heartbeat thread.
// - Start(): upsert the boards (a persisted state such as quarantined is
//   kept), reclaim leases that expired while no process held them, then
//   start one worker per board slot (scheduler_worker.cc) and the
//   heartbeat.
// - The heartbeat renews this instance's leases every lease_duration / 3
//   (bounded below by poll_interval) and then reclaims expired leases of
//   any owner, so a crashed peer process's runs come back too.
// - Waits use real time in poll_interval steps, so runs finished by another
//   process sharing the database are seen as well.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "device_farm/scheduler_impl.h"
#include "device_farm/farm_log.h"

namespace mcutune::device_farm {
namespace scheduler_internal {
namespace {

class SystemClock : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

std::string DefaultOwner() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device rd;
  return absl::StrFormat("%s:%d:%08x", host, static_cast<int>(getpid()),
                         static_cast<unsigned>(rd()));
}

std::chrono::nanoseconds Chrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(std::max(d, absl::ZeroDuration()));
}

}  // namespace

SchedulerImpl::SchedulerImpl(std::shared_ptr<FarmStore> store,
                             SchedulerOptions options)
    : store_(std::move(store)), options_(std::move(options)) {}

SchedulerImpl::~SchedulerImpl() { Stop(); }

absl::Status SchedulerImpl::Start(std::vector<std::unique_ptr<Board>> boards) {
  std::unique_lock<std::mutex> lock(mu_);
  for (auto& board : boards) {
    if (absl::Status s = AddBoardLocked(std::move(board)); !s.ok()) return s;
  }
  absl::StatusOr<std::vector<int64_t>> reclaimed = store_->ReclaimExpired(Now());
  if (!reclaimed.ok()) return reclaimed.status();
  for (int64_t id : *reclaimed) {
    FarmLog()->warn("run {}: lease expired (previous process died?), reclaimed",
                    id);
  }
  started_ = true;
  for (auto& [uri, entry] : boards_) {
    for (int i = 0; i < entry->slots; ++i) {
      entry->workers.emplace_back([this, e = entry] { WorkerLoop(e); });
    }
  }
  heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  return absl::OkStatus();
}

absl::Status SchedulerImpl::AddBoardLocked(std::unique_ptr<Board> board) {
  if (!board) return absl::InvalidArgumentError("AddBoard: null board");
  if (stopping_) return absl::FailedPreconditionError("scheduler stopped");
  const std::string uri = board->uri();
  if (uri.empty() || board->kind().empty() || board->slots() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("board '", uri, "' needs a uri, a kind and slots >= 1"));
  }
  if (boards_.count(uri)) {
    return absl::AlreadyExistsError(absl::StrCat("board ", uri, " exists"));
  }
  if (workers_ + board->slots() > options_.max_workers) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "board ", uri, ": ", board->slots(), " more worker(s) would pass "
        "max_workers ", options_.max_workers));
  }
  if (absl::Status s =
          store_->UpsertBoard(uri, board->kind(), board->slots(), Now());
      !s.ok()) {
    return s;
  }
  auto entry = std::make_shared<BoardEntry>();
  entry->uri = uri;
  entry->kind = board->kind();
  entry->slots = board->slots();
  entry->board = std::move(board);
  workers_ += entry->slots;
  boards_[uri] = entry;
  if (started_) {
    for (int i = 0; i < entry->slots; ++i) {
      entry->workers.emplace_back([this, e = entry] { WorkerLoop(e); });
    }
  }
  return absl::OkStatus();
}

absl::Status SchedulerImpl::AddBoard(std::unique_ptr<Board> board) {
  std::unique_lock<std::mutex> lock(mu_);
  return AddBoardLocked(std::move(board));
}

std::shared_ptr<BoardEntry> SchedulerImpl::FindBoard(const std::string& uri) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = boards_.find(uri);
  return it == boards_.end() || it->second->removing ? nullptr : it->second;
}

absl::StatusOr<int64_t> SchedulerImpl::Submit(const RunRequest& request) {
  RunRequest r = request;
  if (r.max_attempts == 0) r.max_attempts = options_.max_attempts;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return absl::FailedPreconditionError("scheduler stopped");
    if (options_.reject_unknown_kind) {
      const bool known =
          std::any_of(boards_.begin(), boards_.end(), [&](const auto& b) {
            return b.second->kind == r.board_kind;
          });
      if (!known) {
        std::string kinds;
        for (const auto& [uri, e] : boards_) {
          if (kinds.find(e->kind) == std::string::npos) {
            absl::StrAppend(&kinds, kinds.empty() ? "" : ", ", e->kind);
          }
        }
        return absl::FailedPreconditionError(absl::StrCat(
            "no board of kind '", r.board_kind, "' in this farm (kinds: ",
            kinds.empty() ? "none" : kinds, ")"));
      }
    }
  }
  absl::StatusOr<int64_t> id = store_->Enqueue(r, Now());
  if (id.ok()) work_cv_.notify_all();
  return id;
}

absl::StatusOr<RunRecord> SchedulerImpl::Get(int64_t run_id) {
  return store_->GetRun(run_id);
}

absl::StatusOr<RunRecord> SchedulerImpl::Wait(int64_t run_id,
                                              absl::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + Chrono(timeout);
  while (true) {
    absl::StatusOr<RunRecord> run = store_->GetRun(run_id);
    if (!run.ok() && !absl::IsUnavailable(run.status())) return run.status();
    if (run.ok() && IsTerminal(run->state)) return run;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "run ", run_id, " still ",
          run.ok() ? RunStateName(run->state) : "unknown (database busy)",
          " after ", absl::FormatDuration(timeout)));
    }
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait_for(lock, std::min<std::chrono::nanoseconds>(
                                deadline - now, Chrono(options_.poll_interval)));
  }
}

absl::Status SchedulerImpl::Cancel(int64_t run_id) {
  absl::Status s = store_->CancelRun(run_id, "cancelled by request", Now());
  if (s.ok()) NotifyFinished(run_id);
  return s;
}

absl::StatusOr<std::vector<RunRecord>> SchedulerImpl::ListRuns(
    const RunFilter& filter) {
  return store_->ListRuns(filter);
}

absl::StatusOr<std::vector<BoardStatus>> SchedulerImpl::Boards() {
  std::vector<std::shared_ptr<BoardEntry>> entries;
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (auto& [uri, e] : boards_) entries.push_back(e);
  }
  std::vector<BoardStatus> out;
  for (const auto& e : entries) {
    absl::StatusOr<BoardRecord> rec = store_->GetBoard(e->uri);
    if (!rec.ok()) return rec.status();
    BoardStatus st;
    st.record = *std::move(rec);
    st.slots = e->slots;
    {
      std::unique_lock<std::mutex> lock(mu_);
      st.running = e->running;
    }
    out.push_back(std::move(st));
  }
  return out;
}

absl::Status SchedulerImpl::Drain(const std::string& uri) {
  std::shared_ptr<BoardEntry> e = FindBoard(uri);
  if (!e) return absl::NotFoundError(absl::StrCat("no board ", uri));
  bool idle;
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle = e->running.empty();
  }
  absl::Status s = store_->SetBoardState(
      uri, idle ? BoardState::kDrained : BoardState::kDraining,
      "drain requested", absl::InfinitePast(), Now());
  work_cv_.notify_all();
  return s;
}

absl::Status SchedulerImpl::Enable(const std::string& uri) {
  std::shared_ptr<BoardEntry> e = FindBoard(uri);
  if (!e) return absl::NotFoundError(absl::StrCat("no board ", uri));
  absl::Status s = store_->SetBoardState(uri, BoardState::kActive,
                                         "enabled by request",
                                         absl::InfinitePast(), Now());
  {
    std::unique_lock<std::mutex> lock(mu_);
    e->consecutive_suspects = 0;
  }
  work_cv_.notify_all();
  return s;
}

absl::Status SchedulerImpl::RemoveBoard(const std::string& uri,
                                        absl::Duration timeout) {
  std::shared_ptr<BoardEntry> e = FindBoard(uri);
  if (!e) return absl::NotFoundError(absl::StrCat("no board ", uri));
  if (absl::Status s = store_->SetBoardState(uri, BoardState::kDraining,
                                             "removal requested",
                                             absl::InfinitePast(), Now());
      !s.ok()) {
    return s;
  }
  std::vector<std::thread> workers;
  {
    std::unique_lock<std::mutex> lock(mu_);
    const bool idle = done_cv_.wait_for(lock, Chrono(timeout), [&] {
      return e->running.empty() && e->busy == 0;
    });
    if (!idle) {
      return absl::DeadlineExceededError(absl::StrCat(
          "board ", uri, " still runs ", e->running.size(),
          " run(s); left draining"));
    }
    e->removing = true;
    workers.swap(e->workers);
  }
  work_cv_.notify_all();
  for (std::thread& t : workers) t.join();
  {
    std::unique_lock<std::mutex> lock(mu_);
    workers_ -= e->slots;
    boards_.erase(uri);
  }
  return store_->DeleteBoard(uri, Now());
}

absl::StatusOr<HealthReport> SchedulerImpl::CheckHealth(const std::string& uri) {
  if (!options_.health_artifact) {
    return absl::FailedPreconditionError(
        "no health artifact configured (SchedulerOptions::health_artifact)");
  }
  std::shared_ptr<BoardEntry> e = FindBoard(uri);
  if (!e) return absl::NotFoundError(absl::StrCat("no board ", uri));
  {
    std::unique_lock<std::mutex> lock(mu_);
    const bool free = done_cv_.wait_for(
        lock, Chrono(options_.health_run_options.timeout),
        [&] { return e->busy < e->slots && !e->health_check_running; });
    if (!free) {
      return absl::DeadlineExceededError(
          absl::StrCat("board ", uri, " had no free slot for a health check"));
    }
    ++e->busy;
    e->health_check_running = true;
  }
  HealthReport report = RunHealthCheck(*e);
  {
    std::unique_lock<std::mutex> lock(mu_);
    --e->busy;
    e->health_check_running = false;
  }
  done_cv_.notify_all();
  work_cv_.notify_all();
  return report;
}

void SchedulerImpl::Stop() {
  std::vector<std::thread> workers;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopped_) return;
    stopping_ = true;
    for (auto& [uri, e] : boards_) {
      for (std::thread& t : e->workers) workers.push_back(std::move(t));
      e->workers.clear();
    }
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  for (std::thread& t : workers) t.join();
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopped_ = true;
  }
  work_cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

void SchedulerImpl::HeartbeatLoop() {
  const absl::Duration period =
      std::max(options_.lease_duration / 3, options_.poll_interval);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopped_) {
    // Wakes for Stop() only, not for every Submit.
    const auto next = std::chrono::steady_clock::now() + Chrono(period);
    work_cv_.wait_until(lock, next, [&] { return stopped_; });
    if (stopped_) break;
    std::vector<int64_t> ids;
    for (const auto& [id, lease] : leases_) ids.push_back(id);
    lock.unlock();
    const absl::Time now = Now();
    if (!ids.empty()) {
      absl::StatusOr<int> held = store_->RenewLeases(
          options_.owner, ids, now + options_.lease_duration, now);
      if (!held.ok()) {
        FarmLog()->warn("renewing {} lease(s): {}", ids.size(),
                        held.status().ToString());
      }
    }
    absl::StatusOr<std::vector<int64_t>> reclaimed = store_->ReclaimExpired(now);
    if (!reclaimed.ok()) {
      FarmLog()->warn("reclaiming expired leases: {}",
                      reclaimed.status().ToString());
    } else {
      for (int64_t id : *reclaimed) {
        FarmLog()->warn("run {}: lease expired, reclaimed", id);
        NotifyFinished(id);
      }
      if (!reclaimed->empty()) work_cv_.notify_all();
    }
    lock.lock();
  }
}

void SchedulerImpl::NotifyFinished(int64_t run_id) {
  done_cv_.notify_all();
  if (!options_.on_run_finished) return;
  absl::StatusOr<RunRecord> run = store_->GetRun(run_id);
  if (run.ok() && IsTerminal(run->state)) options_.on_run_finished(*run);
}

}  // namespace scheduler_internal

std::shared_ptr<Clock> RealClock() {
  static const std::shared_ptr<Clock> clock =
      std::make_shared<scheduler_internal::SystemClock>();
  return clock;
}

void ApplyInventory(const Inventory& inventory, SchedulerOptions* options) {
  if (inventory.health_check_interval) {
    options->health_check_interval = *inventory.health_check_interval;
  }
  if (inventory.health_check_max_interval) {
    options->health_check_max_interval = *inventory.health_check_max_interval;
  }
  if (inventory.lease_duration) options->lease_duration = *inventory.lease_duration;
  if (inventory.max_attempts) options->max_attempts = *inventory.max_attempts;
  if (inventory.quarantine_after) {
    options->quarantine_after = *inventory.quarantine_after;
  }
  if (inventory.retry_backoff) options->retry_backoff = *inventory.retry_backoff;
  if (inventory.retry_backoff_max) {
    options->retry_backoff_max = *inventory.retry_backoff_max;
  }
}

absl::StatusOr<std::unique_ptr<Scheduler>> MakeScheduler(
    std::shared_ptr<FarmStore> store, std::vector<std::unique_ptr<Board>> boards,
    const SchedulerOptions& options) {
  if (!store) return absl::InvalidArgumentError("MakeScheduler: no store");
  SchedulerOptions o = options;
  if (o.lease_duration <= absl::ZeroDuration() ||
      o.poll_interval <= absl::ZeroDuration() ||
      o.retry_backoff < absl::ZeroDuration() ||
      o.retry_backoff_max < o.retry_backoff ||
      o.health_check_interval <= absl::ZeroDuration() ||
      o.health_check_max_interval < o.health_check_interval) {
    return absl::InvalidArgumentError(
        "scheduler options: durations must be positive and max >= initial");
  }
  if (o.max_attempts < 1 || o.max_attempts > 100 || o.quarantine_after < 1 ||
      o.max_workers < 1 || o.max_workers > 1024) {
    return absl::InvalidArgumentError(
        "scheduler options: max_attempts 1..100, quarantine_after >= 1, "
        "max_workers 1..1024");
  }
  if (!o.clock) o.clock = RealClock();
  if (o.owner.empty()) o.owner = scheduler_internal::DefaultOwner();
  auto impl =
      std::make_unique<scheduler_internal::SchedulerImpl>(std::move(store), o);
  if (absl::Status s = impl->Start(std::move(boards)); !s.ok()) return s;
  return std::unique_ptr<Scheduler>(std::move(impl));
}

}  // namespace mcutune::device_farm
