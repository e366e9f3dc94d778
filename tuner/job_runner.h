// JobRunner: the daemon's bounded pool of tuning jobs.
//
//   StartTuning ──store.CreateJob──► Enqueue(id) ──► FIFO ──► N workers
//                                                   RunTuneJob(env, id)
//   CancelJob ──► Cancel(id): queued → cancelled at once; running → the
//                 job's JobControl::cancel (it stops at its next check and
//                 cancels its farm runs)
//   daemon start ──► Start(): every queued/running job of the store is
//                    enqueued again, oldest first (resume)
//   SIGTERM ──► Shutdown(): running jobs stop at their next check and stay
//               "running" in the store; nothing is marked failed
//   store error (locked / full) ──► the job runs again from the store after
//               a backoff (JobRunnerOptions::store_retry_*)
//
// Thread-safe. Queued jobs start by priority (TuneRequest::priority, higher
// first: interactive 0 before nightly sweeps), then in admission order; the
// farm shares boards between the jobs that run (device_farm scheduler: the
// job's priority, then the jobs of one priority in turn).
#ifndef MCUTUNE_TUNER_JOB_RUNNER_H_
#define MCUTUNE_TUNER_JOB_RUNNER_H_

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tuner/tune_job.h"

namespace mcutune::tuner {

struct JobRunnerOptions {
  int max_concurrent_jobs = 2;  // worker threads (1..64)
  // A job that stops on a transient store error (database locked by another
  // process past the busy timeout, disk full) is run again from the store
  // after this pause, doubling up to the max, until it ends or Shutdown().
  absl::Duration store_retry_initial = absl::Seconds(1);
  absl::Duration store_retry_max = absl::Seconds(30);
};

class JobRunner {
 public:
  JobRunner(TuneEnvironment env, const JobRunnerOptions& options);
  ~JobRunner();  // Shutdown()
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Starts the workers and enqueues the store's unfinished jobs.
  absl::Status Start();
  // Queues a job already created in the store (state queued) with its
  // request's priority.
  void Enqueue(const std::string& job_id, int priority = 0);
  // NOT_FOUND unknown job, FAILED_PRECONDITION already finished.
  absl::Status Cancel(const std::string& job_id);
  // Stops every running job (left resumable) and joins the workers.
  // Idempotent.
  void Shutdown();

  int queued() const;
  int running() const;
  const TuneEnvironment& env() const { return env_; }

 private:
  void Worker();

  TuneEnvironment env_;
  JobRunnerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable stop_cv_;  // Shutdown() during a retry pause
  struct Queued {
    std::string id;
    int priority = 0;
  };
  std::deque<Queued> queue_;  // admission order; Worker takes the best
  std::map<std::string, std::shared_ptr<JobControl>> running_;
  std::vector<std::thread> workers_;
  bool shutting_down_ = false;
};

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_JOB_RUNNER_H_
