// Sweep schedules and the run queue (sweep_manager.h).
// - Schedule state is read at Start and written whenever a slot is run or
//   skipped, so a restart neither repeats a slot nor loses a missed one.
// - The worker holds no lock while a run executes; `active_` keeps runs of
//   one sweep from overlapping.
#include "tuner/sweep_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mcutune::tuner {
namespace {

void Log(spdlog::level::level_enum level, const std::string& msg) {
  if (auto log = spdlog::get("tuner")) log->log(level, "{}", msg);
}

}  // namespace

SweepManager::SweepManager(SweepEnvironment env,
                           std::vector<SweepDefinition> definitions,
                           const SweepManagerOptions& options)
    : env_(std::move(env)), defs_(std::move(definitions)), options_(options) {}

SweepManager::~SweepManager() { Shutdown(); }

const SweepDefinition* SweepManager::Find(const std::string& name) const {
  for (const SweepDefinition& d : defs_) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

absl::Time SweepManager::NextRun(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = next_.find(name);
  return it == next_.end() ? absl::InfiniteFuture() : it->second;
}

absl::Status SweepManager::Start() {
  absl::StatusOr<std::vector<SweepRunRecord>> left =
      env_.sweeps->UnfinishedRuns();
  if (!left.ok()) return left.status();
  const absl::Time now = SweepNow(env_);
  std::map<std::string, int64_t> interrupted_slot;  // sweep -> earliest slot
  for (SweepRunRecord& r : *left) {
    if (r.scheduled_for_ms > 0) {
      auto [it, inserted] =
          interrupted_slot.emplace(r.sweep, r.scheduled_for_ms);
      if (!inserted) it->second = std::min(it->second, r.scheduled_for_ms);
    }
    r.state = "interrupted";
    r.finished_ms = absl::ToUnixMillis(now);
    r.error = "the daemon stopped before the run ended";
    if (absl::Status s = env_.sweeps->UpdateRun(r); !s.ok()) return s;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const SweepDefinition& d : defs_) {
      absl::StatusOr<std::optional<SweepScheduleState>> st =
          env_.sweeps->GetSchedule(d.name);
      if (!st.ok()) return st.status();
      SweepScheduleState state;
      if (st->has_value()) {
        state = **st;
      } else {
        state.name = d.name;
        state.known_since_ms = absl::ToUnixMillis(now);
        state.last_slot_ms = state.known_since_ms;
        if (absl::Status s = env_.sweeps->PutSchedule(state); !s.ok()) return s;
      }
      // An interrupted scheduled run leaves its slot due again (the
      // catch-up policy decides).
      if (auto it = interrupted_slot.find(d.name);
          it != interrupted_slot.end() && state.last_slot_ms >= it->second) {
        state.last_slot_ms = it->second - 1;
      }
      last_slot_[d.name] = absl::FromUnixMillis(state.last_slot_ms);
      next_[d.name] = d.enabled ? d.cron.Next(last_slot_[d.name], d.tz)
                                : absl::InfiniteFuture();
    }
    started_ = true;
    worker_ = std::thread([this] { Worker(); });
    if (options_.timer) timer_ = std::thread([this] { Timer(); });
  }
  Tick();
  return absl::OkStatus();
}

void SweepManager::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    stop_ = true;
  }
  cv_.notify_all();
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  if (worker_.joinable()) worker_.join();
  // Runs that never started.
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, def] : queue_) {
    absl::StatusOr<SweepRunRecord> r = env_.sweeps->GetRun(id);
    if (!r.ok()) continue;
    r->state = "interrupted";
    r->finished_ms = absl::ToUnixMillis(SweepNow(env_));
    r->error = "the daemon stopped before the run started";
    (void)env_.sweeps->UpdateRun(*r);
  }
  queue_.clear();
  active_.clear();
}

std::vector<std::string> SweepManager::Tick() {
  std::vector<std::string> queued;
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_ || shut_down_) return queued;
  const absl::Time now = SweepNow(env_);
  for (size_t i = 0; i < defs_.size(); ++i) {
    const SweepDefinition& d = defs_[i];
    absl::Time& last = last_slot_[d.name];
    const absl::Time next = d.cron.Next(last, d.tz);
    if (!d.enabled || next > now) {
      next_[d.name] = d.enabled ? next : absl::InfiniteFuture();
      if (!d.enabled && last < now) last = now;  // enabling later: no backlog
      continue;
    }
    const absl::Time slot = d.cron.Previous(now, d.tz);  // >= next
    const bool on_time = slot == next && now - slot <= options_.catch_up_grace;
    const std::string trigger = on_time ? "schedule" : "catch_up";
    if (!on_time && d.catch_up == CatchUp::kSkip) {
      Log(spdlog::level::warn, absl::StrCat("sweep ", d.name, ": missed slot ",
                                            absl::FormatTime(slot, d.tz),
                                            " skipped (catch_up: skip)"));
    } else if (active_.count(d.name)) {
      Log(spdlog::level::warn,
          absl::StrCat("sweep ", d.name, ": slot ",
                       absl::FormatTime(slot, d.tz), " skipped: run ",
                       active_[d.name], " is still going"));
    } else {
      absl::StatusOr<SweepRunRecord> r = QueueLocked(d, trigger, slot);
      if (r.ok()) {
        queued.push_back(r->id);
      } else {
        Log(spdlog::level::err,
            absl::StrCat("sweep ", d.name, ": ", r.status().message()));
        continue;  // the slot stays due: retried next tick
      }
    }
    last = slot;
    SweepScheduleState state;
    state.name = d.name;
    absl::StatusOr<std::optional<SweepScheduleState>> old =
        env_.sweeps->GetSchedule(d.name);
    state.known_since_ms = old.ok() && old->has_value()
                               ? (*old)->known_since_ms
                               : absl::ToUnixMillis(now);
    state.last_slot_ms = absl::ToUnixMillis(slot);
    if (absl::Status s = env_.sweeps->PutSchedule(state); !s.ok()) {
      Log(spdlog::level::err,
          absl::StrCat("sweep ", d.name, ": ", s.message()));
    }
    next_[d.name] = d.cron.Next(slot, d.tz);
  }
  return queued;
}

absl::StatusOr<SweepRunRecord> SweepManager::RunNow(const std::string& name,
                                                    bool* deduplicated) {
  if (deduplicated) *deduplicated = false;
  const SweepDefinition* d = Find(name);
  if (d == nullptr) {
    std::vector<std::string> names;
    for (const SweepDefinition& x : defs_) names.push_back(x.name);
    return absl::NotFoundError(
        absl::StrCat("no sweep named '", name.substr(0, 64), "' (configured: ",
                     names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_ || shut_down_) {
    return absl::FailedPreconditionError("sweeps are not running");
  }
  if (auto it = active_.find(name); it != active_.end()) {
    if (deduplicated) *deduplicated = true;
    return env_.sweeps->GetRun(it->second);
  }
  return QueueLocked(*d, "manual", absl::InfinitePast());
}

absl::StatusOr<SweepRunRecord> SweepManager::QueueLocked(
    const SweepDefinition& d, const std::string& trigger, absl::Time slot) {
  SweepRunRecord r;
  r.id = NewSweepRunId();
  r.sweep = d.name;
  r.trigger = trigger;
  r.state = "queued";
  r.scheduled_for_ms =
      slot == absl::InfinitePast() ? 0 : absl::ToUnixMillis(slot);
  r.created_ms = absl::ToUnixMillis(SweepNow(env_));
  r.definition_json = SweepDefinitionToJson(d);
  if (absl::Status s = env_.sweeps->CreateRun(r); !s.ok()) return s;
  queue_.push_back({r.id, static_cast<size_t>(&d - defs_.data())});
  active_[d.name] = r.id;
  cv_.notify_all();
  Log(spdlog::level::info, absl::StrCat("sweep ", d.name, ": run ", r.id,
                                        " queued (", trigger, ")"));
  return r;
}

bool SweepManager::WaitIdle(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                      [this] { return queue_.empty() && !busy_; });
}

void SweepManager::Worker() {
  while (true) {
    std::pair<std::string, size_t> next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      next = queue_.front();
      queue_.pop_front();
      busy_ = true;
    }
    const SweepDefinition& d = defs_[next.second];
    absl::Status s;
    try {
      s = ExecuteSweepRun(env_, d, next.first, stop_);
    } catch (const std::exception& e) {
      s = absl::InternalError(absl::StrCat("uncaught exception: ", e.what()));
    }
    if (!s.ok()) {
      Log(spdlog::level::err,
          absl::StrCat("sweep ", d.name, ": run ", next.first,
                       " stopped on an error: ", s.message()));
      absl::StatusOr<SweepRunRecord> r = env_.sweeps->GetRun(next.first);
      if (r.ok() && !IsTerminalSweepRunState(r->state)) {
        r->state = "failed";
        r->error = std::string(s.message()).substr(0, 2000);
        r->finished_ms = absl::ToUnixMillis(SweepNow(env_));
        (void)env_.sweeps->UpdateRun(*r);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      busy_ = false;
      if (active_.count(d.name) && active_[d.name] == next.first) {
        active_.erase(d.name);
      }
    }
    cv_.notify_all();
  }
}

void SweepManager::Timer() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      timer_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.poll),
                         [this] { return stop_.load(); });
      if (stop_) return;
    }
    Tick();
  }
}

}  // namespace mcutune::tuner
