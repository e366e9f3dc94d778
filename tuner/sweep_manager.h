// SweepManager: the daemon's nightly sweeps — their schedules, a queue of
// runs and the one thread that executes them.
//
//   configs/sweeps/*.json ──► SweepManager(definitions)
//   timer thread (every `poll`) ──Tick()──► due slots ──► run queue ──► worker
//   RunNow(name) (`mcutune sweep run NAME --now`) ──────────┘ ExecuteSweepRun
//
// Schedules (per sweep, in its time zone; sweep_schedule table):
//  - A sweep first seen by the daemon fires at the first slot after that
//    moment (no catch-up for slots before the daemon knew it).
//  - A slot is run when Tick() sees it; seen more than `catch_up_grace`
//    late (the daemon was down or busy), or when several slots passed, it
//    is a missed slot: catch_up "latest" runs ONE catch-up run for the most
//    recent missed slot, "skip" runs nothing. Either way the schedule moves
//    on to the next future slot.
//  - A slot that comes while the sweep's previous run is still queued or
//    running is skipped (logged); runs of one sweep never overlap.
//  - Disabled sweeps never fire (RunNow still works).
// Runs execute one at a time (sweeps never compete with each other for the
// farm). Shutdown stops the running one at its next check (state
// interrupted; its job stays with the JobRunner and is adopted by the next
// run); queued runs become interrupted. At Start, runs a dead daemon left
// queued or running are marked interrupted; a scheduled one is then caught
// up by the policy above, a manual one is not repeated.
// Thread-safe.
#ifndef MCUTUNE_TUNER_SWEEP_MANAGER_H_
#define MCUTUNE_TUNER_SWEEP_MANAGER_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tuner/sweep_definition.h"
#include "tuner/sweep_runner.h"
#include "tuner/sweep_store.h"

namespace mcutune::tuner {

struct SweepManagerOptions {
  // Start a thread that calls Tick() every `poll` (real time). Off in tests
  // that drive Tick() themselves.
  bool timer = true;
  absl::Duration poll = absl::Seconds(1);
  // A slot seen later than this is a missed slot (catch-up policy).
  absl::Duration catch_up_grace = absl::Minutes(5);
};

class SweepManager {
 public:
  SweepManager(SweepEnvironment env, std::vector<SweepDefinition> definitions,
               const SweepManagerOptions& options = {});
  ~SweepManager();  // Shutdown()
  SweepManager(const SweepManager&) = delete;
  SweepManager& operator=(const SweepManager&) = delete;

  // Marks runs left unfinished as interrupted, registers the schedules,
  // starts the worker (and the timer) and ticks once (catch-up). Errors of
  // the store.
  absl::Status Start();
  // Idempotent; joins the threads.
  void Shutdown();

  // Queues the runs that are due at env.clock(); returns their ids.
  std::vector<std::string> Tick();
  // Queues a manual run now. NOT_FOUND (listing the sweeps) for an unknown
  // name, FAILED_PRECONDITION before Start / after Shutdown. When a run of
  // the sweep is already queued or running it is returned instead and
  // *deduplicated is set.
  absl::StatusOr<SweepRunRecord> RunNow(const std::string& name,
                                        bool* deduplicated = nullptr);
  // Until no run is queued or running, or `timeout`: true when idle.
  bool WaitIdle(absl::Duration timeout);

  const std::vector<SweepDefinition>& definitions() const { return defs_; }
  const SweepDefinition* Find(const std::string& name) const;
  // The next slot that will fire (InfiniteFuture when disabled / unknown).
  absl::Time NextRun(const std::string& name) const;
  SweepStore& store() { return *env_.sweeps; }
  const SweepEnvironment& env() const { return env_; }

 private:
  absl::StatusOr<SweepRunRecord> QueueLocked(const SweepDefinition& def,
                                             const std::string& trigger,
                                             absl::Time slot);
  void Worker();
  void Timer();

  SweepEnvironment env_;
  const std::vector<SweepDefinition> defs_;
  SweepManagerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;                        // queue / idle / stop
  std::condition_variable timer_cv_;                  // stop
  std::deque<std::pair<std::string, size_t>> queue_;  // run id, definition
  std::map<std::string, std::string> active_;  // sweep -> run queued/running
  std::map<std::string, absl::Time> last_slot_, next_;
  std::atomic<bool> stop_{false};
  bool started_ = false, shut_down_ = false;
  bool busy_ = false;
  std::thread worker_, timer_;
};

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_SWEEP_MANAGER_H_
