// The farm scheduler: a persistent queue of run requests served by the
// boards of this process, with leases, retries, quarantine and health
// checks. Every state change is in the FarmStore (SQLite) before it is
// acted on, so a restarted process resumes the queue and loses nothing.
//
//   Submit(RunRequest) ──► runs (queued) ◄── LeaseNext ── worker per board slot
//                                               │ Board::Run × pending repeats
//                                               │ heartbeat renews the lease
//                 measurements ◄── RecordMeasurement after every repeat
//                 done | failed | queued (retry with backoff, other board)
//
// Policy (docs/device_farm.md):
//  - A measurement with status ok ends the repeat; after all repeats the run
//    is done. fault / harness_error / output_varies / bad_output are the
//    firmware's doing: the run fails at once (the board is fine).
//  - timeout / crashed are ambiguous (a hung firmware or a sick board): the
//    run is retried on ANOTHER board of the kind when there is one, with
//    exponential backoff; after max_attempts failed attempts it fails with
//    that status. A board is charged for such a failure only once the run
//    succeeds elsewhere, so a firmware that hangs everywhere quarantines no
//    board.
//  - Board::Run errors: UNAVAILABLE / DEADLINE_EXCEEDED / other unexpected
//    codes are infrastructure failures (retry + one consecutive failure for
//    the board); NOT_FOUND quarantines the board at once (and retries);
//    INVALID_ARGUMENT fails the run (no retry, board not charged).
//  - `quarantine_after` consecutive failures (reset by any run that reached
//    the firmware) or a failed health check quarantine a board; it is
//    re-checked every health_check_interval, doubling per failed check up to
//    health_check_max_interval; a passing check makes it active again.
//  - Leases expire after lease_duration unless renewed (every third of it);
//    at start and periodically, expired leases are reclaimed: the run is
//    queued again with a failure counted and the event "lease expired
//    (previous process died?)" — never rerun silently.
// Thread-safe. The destructor calls Stop().
#ifndef MCUTUNE_DEVICE_FARM_SCHEDULER_H_
#define MCUTUNE_DEVICE_FARM_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "device_farm/board.h"
#include "device_farm/farm_store.h"
#include "device_farm/inventory.h"

namespace mcutune::device_farm {

// Time source for leases, backoff and health checks (not for waiting:
// threads wait on real time, in poll_interval steps). Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};
std::shared_ptr<Clock> RealClock();

struct SchedulerOptions {
  // Lease expiry; the heartbeat renews every lease_duration / 3.
  absl::Duration lease_duration = absl::Seconds(30);
  // How often idle workers look at the store (runs enqueued by other
  // processes, backoffs that passed); Submit wakes them at once.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // Default RunRequest::max_attempts (when the request says 0).
  int max_attempts = 3;
  // Backoff before retry k (1-based): min(max, initial * 2^(k-1)).
  absl::Duration retry_backoff = absl::Seconds(2);
  absl::Duration retry_backoff_max = absl::Seconds(120);
  // Consecutive infrastructure failures that quarantine a board.
  int quarantine_after = 3;
  // The known firmware of the health check and how to run it; without it
  // CheckHealth is FAILED_PRECONDITION and a quarantined board stays so
  // until Enable(). It passes when Run() returns status ok and (if the
  // artifact has one) the expected output hash.
  std::optional<Artifact> health_artifact;
  RunOptions health_run_options;
  absl::Duration health_check_interval = absl::Seconds(300);
  absl::Duration health_check_max_interval = absl::Hours(1);
  // Bound on worker threads (sum of slots); AddBoard beyond it fails.
  int max_workers = 64;
  // Submit rejects a kind no board of this scheduler has (any state).
  bool reject_unknown_kind = true;
  // Identifies this instance's leases; "" = "<host>:<pid>:<random>".
  std::string owner;
  std::shared_ptr<Clock> clock;  // nullptr = RealClock()
  // Called (from a worker or the heartbeat thread, without locks held)
  // after a run of this process reached done/failed/cancelled. Must not
  // block for long nor call Stop().
  std::function<void(const RunRecord&)> on_run_finished;
};

// Copies the inventory's policy fields that are set into `options`.
void ApplyInventory(const Inventory& inventory, SchedulerOptions* options);

struct BoardStatus {
  BoardRecord record;               // state, failures, next health check
  int slots = 1;
  std::vector<int64_t> running;     // run ids in progress on this board
};

struct HealthReport {
  std::string uri;
  bool passed = false;
  std::string detail;                 // why not, or the count measured
  std::optional<Measurement> measurement;
  BoardState state = BoardState::kActive;  // after the check
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // Validates and persists the request (queued) before returning its id.
  // INVALID_ARGUMENT bad request, FAILED_PRECONDITION unknown kind (see
  // reject_unknown_kind) or stopped, UNAVAILABLE database locked.
  virtual absl::StatusOr<int64_t> Submit(const RunRequest& request) = 0;
  virtual absl::StatusOr<RunRecord> Get(int64_t run_id) = 0;
  // Until the run is terminal: the record, or DEADLINE_EXCEEDED after
  // `timeout` (the run goes on). Also sees runs served by other processes.
  virtual absl::StatusOr<RunRecord> Wait(int64_t run_id,
                                         absl::Duration timeout) = 0;
  // queued -> cancelled at once; a leased run is marked cancelled and its
  // worker stops after the repeat in progress (whose measurement is kept).
  // FAILED_PRECONDITION when already terminal.
  virtual absl::Status Cancel(int64_t run_id) = 0;
  virtual absl::StatusOr<std::vector<RunRecord>> ListRuns(
      const RunFilter& filter) = 0;

  // The boards of this scheduler, in URI order.
  virtual absl::StatusOr<std::vector<BoardStatus>> Boards() = 0;
  // Starts serving `board` (its persisted state, e.g. quarantined, is kept).
  // ALREADY_EXISTS for a known URI, RESOURCE_EXHAUSTED past max_workers.
  virtual absl::Status AddBoard(std::unique_ptr<Board> board) = 0;
  // No new leases; runs in progress finish; then drained.
  virtual absl::Status Drain(const std::string& uri) = 0;
  // Back to active from draining / drained / quarantined.
  virtual absl::Status Enable(const std::string& uri) = 0;
  // Drains, waits up to `timeout` for the runs in progress, removes the
  // board (its row too). DEADLINE_EXCEEDED leaves it draining.
  virtual absl::Status RemoveBoard(const std::string& uri,
                                   absl::Duration timeout) = 0;
  // Runs the health artifact now on a free slot (waits up to the health
  // run timeout for one) and applies the result: pass -> active (also from
  // quarantine), fail -> quarantined. NOT_FOUND unknown board,
  // FAILED_PRECONDITION without a health artifact.
  virtual absl::StatusOr<HealthReport> CheckHealth(const std::string& uri) = 0;

  // Stops taking leases; workers finish the repeat in progress, release
  // leases of unfinished runs (queued again, no failure counted) and join.
  // Idempotent.
  virtual void Stop() = 0;
  virtual FarmStore& store() = 0;
};

// Starts the scheduler: upserts the boards into the store, reclaims expired
// leases, starts one worker per board slot and the heartbeat thread.
// INVALID_ARGUMENT for bad options, ALREADY_EXISTS for duplicate URIs, the
// store's error when the database cannot be written.
absl::StatusOr<std::unique_ptr<Scheduler>> MakeScheduler(
    std::shared_ptr<FarmStore> store,
    std::vector<std::unique_ptr<Board>> boards,
    const SchedulerOptions& options = {});

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_SCHEDULER_H_
