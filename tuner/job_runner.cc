// The job worker pool (job_runner.h).
#include "tuner/job_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace mcutune::tuner {

JobRunner::JobRunner(TuneEnvironment env, const JobRunnerOptions& options)
    : env_(std::move(env)), options_(options) {
  options_.max_concurrent_jobs =
      std::clamp(options_.max_concurrent_jobs, 1, 64);
}

JobRunner::~JobRunner() { Shutdown(); }

absl::Status JobRunner::Start() {
  absl::StatusOr<std::vector<JobRecord>> unfinished =
      env_.store->UnfinishedJobs();
  if (!unfinished.ok()) return unfinished.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const JobRecord& j : *unfinished) {
      absl::StatusOr<TuneRequest> r = TuneRequestFromJson(j.request_json);
      queue_.push_back({j.id, r.ok() ? r->priority : 0});
    }
    for (int i = 0; i < options_.max_concurrent_jobs; ++i) {
      workers_.emplace_back([this] { Worker(); });
    }
  }
  cv_.notify_all();
  return absl::OkStatus();
}

void JobRunner::Enqueue(const std::string& job_id, int priority) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_) return;  // stays queued in the store: next start
    queue_.push_back({job_id, priority});
  }
  cv_.notify_one();
}

absl::Status JobRunner::Cancel(const std::string& job_id) {
  absl::StatusOr<JobRecord> job = env_.store->GetJob(job_id);
  if (!job.ok()) return job.status();
  if (IsTerminal(job->state)) {
    return absl::FailedPreconditionError(
        absl::StrCat("job ", job_id, " is already ", JobStateName(job->state)));
  }
  std::unique_lock<std::mutex> lock(mu_);
  auto running = running_.find(job_id);
  if (running != running_.end()) {
    running->second->cancel = true;
    return absl::OkStatus();
  }
  // Not started (or not known to this runner): cancel in the store.
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                              [&](const Queued& q) { return q.id == job_id; }),
               queue_.end());
  lock.unlock();
  job->state = JobState::kCancelled;
  job->phase = "cancelled";
  if (absl::Status s = env_.store->UpdateJob(*job); !s.ok()) return s;
  JobEvent e;
  e.job_id = job_id;
  e.state = job->state;
  e.phase = job->phase;
  e.progress = job->progress;
  e.message = "cancelled before it started";
  return env_.store->AppendEvent(e).status();
}

void JobRunner::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_ && workers_.empty()) return;
    shutting_down_ = true;
    for (auto& [id, control] : running_) control->stop = true;
  }
  cv_.notify_all();
  stop_cv_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

int JobRunner::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(queue_.size());
}

int JobRunner::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(running_.size());
}

void JobRunner::Worker() {
  while (true) {
    std::string id;
    std::shared_ptr<JobControl> control = std::make_shared<JobControl>();
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return shutting_down_ || !queue_.empty(); });
      if (shutting_down_) return;
      // Highest priority first; the oldest among equals (stable).
      auto best = queue_.begin();
      for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (it->priority > best->priority) best = it;
      }
      id = best->id;
      queue_.erase(best);
      if (running_.count(id)) continue;  // enqueued twice
      running_[id] = control;
    }
    absl::Status s;
    absl::Duration backoff = options_.store_retry_initial;
    while (true) {
      try {
        s = RunTuneJob(env_, id, *control);
      } catch (const std::exception& e) {
        s = absl::InternalError(absl::StrCat("uncaught exception: ", e.what()));
      }
      // The database locked by another process past the busy timeout
      // (UNAVAILABLE) or full (RESOURCE_EXHAUSTED): the job is resumable
      // from the store, so run it again after a pause instead of leaving it
      // "running" with nobody running it.
      if (s.ok() || !(absl::IsUnavailable(s) || absl::IsResourceExhausted(s)))
        break;
      if (auto log = spdlog::get("tuner")) {
        log->warn("job {}: store error, resuming in {}: {}", id,
                  absl::FormatDuration(backoff), std::string(s.message()));
      }
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_cv_.wait_for(lock, absl::ToChronoNanoseconds(backoff),
                            [&] { return shutting_down_; })) {
        break;
      }
      backoff = std::min(backoff * 2, options_.store_retry_max);
    }
    if (!s.ok()) {
      if (auto log = spdlog::get("tuner")) {
        log->error("job {} stopped on a store error: {}", id,
                   std::string(s.message()));
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(id);
  }
}

}  // namespace mcutune::tuner
