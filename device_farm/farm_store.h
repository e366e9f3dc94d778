// The device farm's durable state in SQLite: the run queue, leases, board
// states, measurements and an audit log of every state change.
//
//   Scheduler ──Enqueue/LeaseNext/RecordMeasurement/CompleteRun──► FarmStore
//                                                                  (SQLite, WAL)
//   runs:         queued ──lease──► leased ──► done | failed
//                   ▲                 │  └──requeue (retry, backoff)──┐
//                   └──reclaim (lease expired) / release (Stop)◄──────┘
//                 queued|leased ──cancel──► cancelled
//   boards:       active ◄──► draining ──► drained;  any ──► quarantined
//   measurements: one row per (run, repeat_index, attempt), never replaced
//   run_events / board_events: one row per state change, same transaction
//
// Every state change runs in one transaction (BEGIN IMMEDIATE) together with
// its event row, so a killed process leaves either the old or the new state.
// Timestamps are INTEGER unix microseconds. The schema carries a version
// (table schema_version); Open() migrates older versions idempotently and
// refuses newer ones (FAILED_PRECONDITION). docs/device_farm.md has the
// schema. Errors: the base/sqlite.h codes (UNAVAILABLE when another
// connection holds the lock past the busy timeout), NOT_FOUND for unknown
// ids/URIs, FAILED_PRECONDITION for a transition from the wrong state or
// with a lease that is no longer held.
// Thread-safe (the Database serializes); several processes may share a file.
#ifndef MCUTUNE_DEVICE_FARM_FARM_STORE_H_
#define MCUTUNE_DEVICE_FARM_FARM_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/sqlite.h"
#include "device_farm/board.h"
#include "device_farm/measurement.h"

namespace mcutune::device_farm {

inline constexpr int kFarmSchemaVersion = 1;

enum class BoardState { kActive, kDraining, kDrained, kQuarantined };
const char* BoardStateName(BoardState state);  // "active", ...
absl::StatusOr<BoardState> ParseBoardState(std::string_view name);

enum class RunState { kQueued, kLeased, kDone, kFailed, kCancelled };
const char* RunStateName(RunState state);  // "queued", ...
absl::StatusOr<RunState> ParseRunState(std::string_view name);
inline bool IsTerminal(RunState s) {
  return s == RunState::kDone || s == RunState::kFailed ||
         s == RunState::kCancelled;
}
absl::StatusOr<RunStatus> ParseRunStatus(std::string_view name);

// What to run: one artifact on any board of `board_kind`, `repeats` times.
struct RunRequest {
  Artifact artifact;        // sha256 and elf_path (or bin_path) required
  std::string board_kind;   // catalogue id, e.g. "qemu-f746"
  RunOptions options;
  int repeats = 1;          // 1..1000 measurements (repeat_index 0..N-1)
  int priority = 0;         // higher first; ties: fair share by tag
  std::string tag;          // free text, e.g. the tuning job id
  // Failed attempts (1..100) before the run fails; 0 = the default (the
  // scheduler's SchedulerOptions::max_attempts, 3 in the store).
  int max_attempts = 0;
};

struct RunRecord {
  int64_t id = 0;
  RunRequest request;
  RunState state = RunState::kQueued;
  int attempts = 0;      // leases taken (attempt numbers are 1..attempts)
  int failures = 0;      // attempts that failed (compared to max_attempts)
  int repeats_done = 0;  // distinct repeat indices with an ok measurement
  // RunStatusName of the last measurement, "infra" for a board error, ""
  // before any attempt ended.
  std::string last_status;
  std::string last_error;
  std::string lease_board;  // while leased
  std::string lease_owner;  // the scheduler instance holding the lease
  absl::Time lease_expires_at = absl::InfinitePast();
  absl::Time not_before = absl::InfinitePast();  // retry backoff
  absl::Time created_at = absl::InfinitePast();
  absl::Time updated_at = absl::InfinitePast();
};

struct RunFilter {
  std::optional<RunState> state;
  std::string board_kind;  // "" = any
  std::string tag;         // "" = any
  int limit = 1000;        // newest first
};

struct RunEvent {
  int64_t run_id = 0;
  absl::Time at;
  std::string from_state;  // "" on creation
  std::string to_state;
  std::string board;
  std::string detail;
};

struct BoardRecord {
  std::string uri;
  std::string kind;
  int slots = 1;
  BoardState state = BoardState::kActive;
  int consecutive_failures = 0;
  std::string quarantine_reason;
  absl::Time next_health_check_at = absl::InfinitePast();
  int health_check_failures = 0;  // failed re-checks since quarantine
  absl::Time updated_at = absl::InfinitePast();
};

struct BoardEvent {
  std::string uri;
  absl::Time at;
  std::string from_state;
  std::string to_state;
  std::string detail;
};

// A held lease: returned by LeaseNext, passed back to every later call.
struct Lease {
  int64_t run_id = 0;
  int attempt = 0;  // 1-based
  std::string board_uri;
  std::string owner;
  absl::Time expires_at;
  RunRecord run;                     // the run as leased
  std::vector<int> pending_repeats;  // repeat indices still without ok
};

struct LeaseQuery {
  std::string board_uri;
  std::string kind;
  std::string owner;
  absl::Duration lease_duration = absl::Seconds(30);
  // The other boards of the kind that can take runs now. A run this board
  // already attempted is skipped while one of these has not attempted it
  // (retry on ANOTHER board when there is one).
  std::vector<std::string> peer_boards;
};

struct MeasurementRecord {
  int64_t id = 0;
  int64_t run_id = 0;
  int repeat_index = 0;
  int attempt = 0;
  std::string board_uri;
  std::string board_kind;
  std::string artifact_sha256;
  std::string toolchain_version;
  std::string expected_output_sha256;
  std::optional<bool> output_matches;  // nullopt when no expected hash
  Measurement measurement;             // raw_log is not stored
  absl::Time started_at;
  absl::Time finished_at;
};

// Spread of per_inference over ok measurements (one per run+repeat, the
// latest attempt).
struct Spread {
  int count = 0;
  std::string unit;  // CountUnitName
  double min = 0, median = 0, max = 0, mean = 0, stddev = 0;  // population
};

// How an attempt ended, for run_attempts (drives retry-on-another-board and
// blame of boards whose failure was later contradicted).
enum class AttemptOutcome {
  kRunning, kOk, kFirmware, kSuspect, kInfra, kExpired, kReleased, kCancelled
};
const char* AttemptOutcomeName(AttemptOutcome outcome);

class FarmStore {
 public:
  // Opens/creates the file (":memory:" for tests) and migrates the schema.
  static absl::StatusOr<std::unique_ptr<FarmStore>> Open(
      const std::string& path, const base::DatabaseOptions& options = {});
  // Over an existing connection shared with other stores; migrates.
  static absl::StatusOr<std::unique_ptr<FarmStore>> Attach(
      std::shared_ptr<base::Database> db);
  base::Database& db() { return *db_; }
  absl::StatusOr<int> SchemaVersion();

  // --- boards ---
  // Inserts an active board, or updates kind/slots keeping its state.
  absl::Status UpsertBoard(const std::string& uri, const std::string& kind,
                           int slots, absl::Time now);
  absl::StatusOr<BoardRecord> GetBoard(const std::string& uri);
  absl::StatusOr<std::vector<BoardRecord>> ListBoards();
  // Sets the state (+ board_events row). `reason` is kept as
  // quarantine_reason for kQuarantined (cleared otherwise); `next_check`
  // only matters for kQuarantined. Leaving quarantine resets the failure
  // counters.
  absl::Status SetBoardState(const std::string& uri, BoardState state,
                             const std::string& reason, absl::Time next_check,
                             absl::Time now);
  // Quarantined board failed a re-check: bumps health_check_failures, sets
  // next_health_check_at, logs the detail.
  absl::Status RecordHealthCheckFailure(const std::string& uri,
                                        absl::Time next_check,
                                        const std::string& detail,
                                        absl::Time now);
  // +1 consecutive failure (returns the new count) / reset to 0.
  absl::StatusOr<int> RecordBoardFailure(const std::string& uri,
                                         const std::string& detail,
                                         absl::Time now);
  absl::Status RecordBoardSuccess(const std::string& uri, absl::Time now);
  absl::Status DeleteBoard(const std::string& uri, absl::Time now);
  absl::StatusOr<std::vector<BoardEvent>> BoardEvents(const std::string& uri,
                                                      int limit = 1000);

  // --- runs ---
  // Validates the request (INVALID_ARGUMENT) and stores it queued.
  absl::StatusOr<int64_t> Enqueue(const RunRequest& request, absl::Time now);
  absl::StatusOr<RunRecord> GetRun(int64_t run_id);
  absl::StatusOr<std::vector<RunRecord>> ListRuns(const RunFilter& filter);
  absl::StatusOr<std::vector<RunEvent>> RunEvents(int64_t run_id);
  // A queued run of query.kind whose not_before passed (see
  // LeaseQuery::peer_boards): highest priority first; within it the tags
  // (jobs) take turns — fewest runs leased now, then served longest ago —
  // and a tag's oldest run goes first. nullopt when none. The run becomes
  // leased, attempts+1, an attempt row and an event are written.
  absl::StatusOr<std::optional<Lease>> LeaseNext(const LeaseQuery& query,
                                                 absl::Time now);
  // Extends every lease of `owner` on `run_ids` to `expires_at`; the number
  // of leases still held.
  absl::StatusOr<int> RenewLeases(const std::string& owner,
                                  const std::vector<int64_t>& run_ids,
                                  absl::Time expires_at, absl::Time now);
  // Every leased run whose lease expired before `now` (any owner: its
  // process died or stalled) goes back to queued, counting a failure (or
  // failed when failures reach max_attempts), with the event
  // "lease expired (previous process died?)". Returns the run ids.
  absl::StatusOr<std::vector<int64_t>> ReclaimExpired(absl::Time now);
  // leased -> queued without counting a failure (graceful stop).
  absl::Status ReleaseLease(const Lease& lease, const std::string& detail,
                            absl::Time now);
  // Inserts the measurement (INSERT OR IGNORE on (run_id, repeat_index,
  // attempt)) and updates repeats_done in the same transaction. Returns
  // true when inserted, false when that key was already stored. The
  // measurement is stored even when the lease was lost meanwhile.
  absl::StatusOr<bool> RecordMeasurement(const MeasurementRecord& record,
                                         absl::Time now);
  // leased -> done|failed. FAILED_PRECONDITION when the lease is not held.
  absl::Status CompleteRun(const Lease& lease, RunState final_state,
                           AttemptOutcome outcome,
                           const std::string& last_status,
                           const std::string& error, absl::Time now);
  // leased -> queued with not_before (a retry), counting a failure; when
  // failures reach max_attempts the run goes to failed instead. Returns
  // the resulting state. FAILED_PRECONDITION when the lease is not held.
  absl::StatusOr<RunState> RequeueRun(const Lease& lease,
                                      AttemptOutcome outcome,
                                      const std::string& last_status,
                                      const std::string& error,
                                      absl::Time not_before, absl::Time now);
  // queued|leased -> cancelled; FAILED_PRECONDITION when already terminal.
  absl::Status CancelRun(int64_t run_id, const std::string& detail,
                         absl::Time now);
  // Suspect (timeout/crashed) attempts of `run_id` on boards other than
  // `except_board` not yet charged: marks them charged, returns the boards.
  absl::StatusOr<std::vector<std::string>> ChargeSuspects(
      int64_t run_id, const std::string& except_board, absl::Time now);
  // Boards that attempted the run (any outcome), in attempt order.
  absl::StatusOr<std::vector<std::string>> AttemptedBoards(int64_t run_id);

  // --- measurements ---
  absl::StatusOr<std::vector<MeasurementRecord>> Measurements(int64_t run_id);
  absl::StatusOr<Spread> RunSpread(int64_t run_id);
  absl::StatusOr<Spread> ArtifactSpread(const std::string& artifact_sha256,
                                        const std::string& board_kind);

 private:
  explicit FarmStore(std::shared_ptr<base::Database> db) : db_(std::move(db)) {}
  absl::Status Migrate();
  std::shared_ptr<base::Database> db_;
};

// Population statistics of `values` (count 0 for none).
Spread ComputeSpread(std::vector<double> values, const std::string& unit);

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_FARM_STORE_H_
