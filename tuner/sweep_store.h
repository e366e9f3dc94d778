// SweepStore: the history of nightly sweeps in SQLite (tables `sweep_*` in
// the daemon's one database file, next to tuner_*, farm_* and cost_*).
//
//   sweep_schedule   per sweep: when the daemon first saw it, the last slot
//                    of its cron schedule that was run (or skipped)
//   sweep_runs       every run: trigger (schedule | catch_up | manual),
//                    state, counts of work done, the definition it ran
//   sweep_items      per run and (model, board kind, constraint): what was
//                    done (tune | remeasure | skip) and why, the inputs and
//                    their fingerprint, the job, builds / measurements
//   sweep_points     the measured front of an item in a run (one row per
//                    front candidate): latency, spread of repeats, memory,
//                    artifact hash, build dir. Over runs: the front over time
//   sweep_alerts     drift found by a run (sweep_drift.h)
//   sweep_cost_models per run and board kind: the cost model version used,
//                    its error on the run's measurements, the refit
//
// Rows are validated when read (a state this code did not write is
// INVALID_ARGUMENT). Times are Unix epoch milliseconds. Thread-safe (the
// Database serialises statements; multi-row writes run in a transaction).
#ifndef MCUTUNE_TUNER_SWEEP_STORE_H_
#define MCUTUNE_TUNER_SWEEP_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/sqlite.h"

namespace mcutune::tuner {

// Run states: "queued", "running", "done", "failed", "interrupted" (the
// daemon stopped or died during the run).
bool IsTerminalSweepRunState(const std::string& state);

struct SweepCounts {
  int items = 0;
  int tuned = 0, remeasured = 0, skipped = 0, failed = 0;  // items by action
  int jobs = 0;          // tuning jobs started
  int builds = 0;        // firmware builds by those jobs
  int measurements = 0;  // firmware measurements (jobs + re-measurements)
  int farm_runs = 0;     // farm runs submitted (one per measurement)
  int alerts = 0;
};

struct SweepRunRecord {
  std::string id;  // "r" + 12 hex digits
  std::string sweep;
  std::string trigger;  // "schedule" | "catch_up" | "manual"
  std::string state = "queued";
  int64_t scheduled_for_ms = 0;  // the cron slot (0 = manual)
  int64_t created_ms = 0, started_ms = 0, finished_ms = 0;
  SweepCounts counts;
  std::string error;
  std::string definition_json;     // SweepDefinitionToJson at creation
  std::string toolchain, codegen;  // inputs seen by the run
};

struct SweepItemRecord {
  std::string run_id, sweep, key;
  std::string model, model_hash, board_kind, constraint;
  std::string action;  // "tune" | "remeasure" | "skip" | "" (not decided)
  std::string reason;
  std::string state = "pending";  // "pending" | "running" | "done" | "failed"
  std::string job_id;
  std::string inputs_json, fingerprint;
  int builds = 0, measurements = 0, farm_runs = 0;
  std::string error;
  int64_t updated_ms = 0;
};

struct SweepPoint {
  int64_t id = 0;  // assigned by AddPoints
  std::string sweep, run_id, key;
  int64_t time_ms = 0;
  std::string candidate, strategy;
  double latency = 0;  // per inference (median of the repeats)
  std::string unit;
  double spread = 0;  // (max - min) / median of the repeats; 0 for one
  int repeats = 1;
  int64_t peak_sram_bytes = 0, flash_bytes = 0;
  std::string artifact_sha256;
  std::string build_dir;  // relative to the daemon's builds dir
  std::string job_id;     // the job that built it
  bool remeasured = false;
};

struct SweepAlert {
  int64_t id = 0;
  std::string sweep, run_id;
  int64_t created_ms = 0;
  // "front_regression" | "board_shift" | "cost_model_error"
  std::string kind;
  std::string severity;  // "info" | "warning" | "critical"
  std::string key, model, board_kind, constraint, candidate;
  double previous = 0, current = 0, ratio = 0, band = 0;
  std::string unit;
  std::string message;
};

struct SweepCostRow {
  std::string run_id, sweep, board_kind;
  int version_used = 0;        // 0 = no model
  int version_new = 0;         // 0 = not refitted
  double mape_used = -1;       // of version_used on the run's points; -1 = n/a
  double mape_new = -1;        // of version_new on the same points (in-sample)
  double reference_mape = -1;  // what mape_used was compared with
  int points = 0;              // measurements of the run with features
  int samples = 0;             // samples the refit used
  std::string note;
};

struct SweepScheduleState {
  std::string name;
  int64_t known_since_ms = 0;
  int64_t last_slot_ms = 0;
};

class SweepStore {
 public:
  static absl::StatusOr<std::unique_ptr<SweepStore>> Open(
      const std::string& path);
  static absl::StatusOr<std::unique_ptr<SweepStore>> Attach(
      std::shared_ptr<base::Database> db);

  // ---- schedule
  absl::StatusOr<std::optional<SweepScheduleState>> GetSchedule(
      const std::string& name);
  absl::Status PutSchedule(const SweepScheduleState& state);

  // ---- runs
  absl::Status CreateRun(const SweepRunRecord& run);  // ALREADY_EXISTS
  absl::Status UpdateRun(const SweepRunRecord& run);  // NOT_FOUND
  absl::StatusOr<SweepRunRecord> GetRun(const std::string& id);  // NOT_FOUND
  // Newest first.
  absl::StatusOr<std::vector<SweepRunRecord>> ListRuns(const std::string& sweep,
                                                       int limit = 50);
  // Runs left queued or running (a daemon that died), oldest first.
  absl::StatusOr<std::vector<SweepRunRecord>> UnfinishedRuns();

  // ---- items
  absl::Status PutItem(const SweepItemRecord& item);  // insert or replace
  absl::StatusOr<std::vector<SweepItemRecord>> ListItems(
      const std::string& run_id);
  // The newest item of (sweep, key) in state done from a run other than
  // `exclude_run`, or nullopt.
  absl::StatusOr<std::optional<SweepItemRecord>> LastDoneItem(
      const std::string& sweep, const std::string& key,
      const std::string& exclude_run);
  // The newest item of (sweep, key) left "running" with a job by an
  // interrupted run, whose fingerprint is `fingerprint`, or nullopt.
  absl::StatusOr<std::optional<SweepItemRecord>> InterruptedItem(
      const std::string& sweep, const std::string& key,
      const std::string& fingerprint);

  // ---- points
  absl::Status AddPoints(const std::vector<SweepPoint>& points);
  // The points of the newest run (other than `exclude_run`) that has points
  // for (sweep, key): the item's last measured front.
  absl::StatusOr<std::vector<SweepPoint>> LastFront(
      const std::string& sweep, const std::string& key,
      const std::string& exclude_run);
  // The newest point of (sweep, key, candidate) from another run, or nullopt.
  absl::StatusOr<std::optional<SweepPoint>> PreviousPoint(
      const std::string& sweep, const std::string& key,
      const std::string& candidate, const std::string& exclude_run);
  // Points of a sweep (all keys, or one run when run_id is set), oldest
  // first, at most `limit` (the newest ones).
  absl::StatusOr<std::vector<SweepPoint>> Points(const std::string& sweep,
                                                 const std::string& run_id,
                                                 int limit = 5000);

  // ---- alerts
  absl::Status AddAlerts(const std::vector<SweepAlert>& alerts);
  // Newest first; one run's when run_id is set.
  absl::StatusOr<std::vector<SweepAlert>> Alerts(const std::string& sweep,
                                                 const std::string& run_id,
                                                 int limit = 200);

  // ---- cost models
  absl::Status PutCostRow(const SweepCostRow& row);
  absl::StatusOr<std::vector<SweepCostRow>> CostRows(const std::string& run_id);
  // The newest row of (sweep, board kind) with points, from another run.
  absl::StatusOr<std::optional<SweepCostRow>> PreviousCostRow(
      const std::string& sweep, const std::string& board_kind,
      const std::string& exclude_run);

  // Item rows of one run whose fingerprint must follow a refit.
  absl::Status UpdateItemInputs(const std::string& run_id,
                                const std::string& key,
                                const std::string& inputs_json,
                                const std::string& fingerprint);

 private:
  explicit SweepStore(std::shared_ptr<base::Database> db)
      : db_(std::move(db)) {}
  absl::Status CreateSchema();
  std::shared_ptr<base::Database> db_;
};

// A fresh run id: "r" + 8 hex digits of seconds + 4 random.
std::string NewSweepRunId();

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_SWEEP_STORE_H_
