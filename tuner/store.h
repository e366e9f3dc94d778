// Store: the tuner's durable state in SQLite (base/sqlite.h).
//
// Everything a job needs to survive a daemon restart lives here, in tables
// prefixed `tuner_` (the device farm and the cost model keep their own tables
// in the same file):
//
//   tuner_models      id = SHA-256 of the bytes, name, bytes, analysis JSON
//   tuner_jobs        request JSON, state, phase, progress counters, error
//   tuner_job_events  append-only per-job log (seq 1, 2, ...) that WatchJob
//                     replays; the live stream is the same rows as they land
//   tuner_candidates  one row per (job, board kind, candidate id): metrics,
//                     prediction, state (enumerated → selected → built →
//                     measured, or a *_failed state), build dir, measurement
//
//   TuneJob ──UpdateJob/AppendEvent/UpdateCandidate──► Store ◄── server/
//                                                       │       (reads, watch)
//                                   WaitForEvent ◄──────┘ (cv per Store)
//
// Thread-safety: all methods may be called from any thread; each holds the
// database's connection mutex for its statements, so a method's reads and
// writes are never interleaved with another thread's. Errors are those of
// base/sqlite.h plus NOT_FOUND for unknown ids and INVALID_ARGUMENT for rows
// that fail validation on read (a corrupted or foreign database).
#ifndef MCUTUNE_TUNER_STORE_H_
#define MCUTUNE_TUNER_STORE_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/sqlite.h"

namespace mcutune::tuner {

enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled };
const char* JobStateName(JobState state);  // "queued", "running", ...
absl::StatusOr<JobState> ParseJobState(const std::string& name);
inline bool IsTerminal(JobState s) {
  return s == JobState::kDone || s == JobState::kFailed ||
         s == JobState::kCancelled;
}

enum class CandidateState {
  kEnumerated,     // "enumerated": fits, not chosen yet
  kSelected,       // "selected": in the current batch
  kBuilt,          // "built": firmware linked, host verification passed
  kBuildFailed,    // "build_failed": emit / compile / link failed (data)
  kVerifyFailed,   // "verify_failed": host output differs from the reference
  kMeasured,       // "measured": ran on a board, output matched
  kMeasureFailed,  // "measure_failed": the run failed or the output differed
};
const char* CandidateStateName(CandidateState state);
absl::StatusOr<CandidateState> ParseCandidateState(const std::string& name);

struct ModelRecord {
  std::string id;  // lowercase hex SHA-256 of the bytes
  std::string name;
  int64_t size_bytes = 0;
  std::string summary_json;    // ops, tensors, MACs, params, shapes
  std::string analysis_json;   // graph::FormatAnalysisJson
  int64_t uploaded_at_ms = 0;  // Unix epoch milliseconds
};

struct JobProgress {
  int candidates_enumerated = 0;
  int builds_done = 0;
  int builds_failed = 0;
  int verify_failed = 0;
  int measurements_done = 0;
  int measurements_failed = 0;
  int measurement_budget = 0;
  int front_size = 0;
  int rounds = 0;
};

struct JobRecord {
  std::string id;
  std::string model_id;
  std::string request_json;  // TuneRequestToJson
  JobState state = JobState::kQueued;
  std::string phase = "queued";
  JobProgress progress;
  std::string error;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct JobEvent {
  std::string job_id;
  int64_t seq = 0;  // assigned by AppendEvent
  int64_t time_ms = 0;
  JobState state = JobState::kQueued;
  std::string phase;
  JobProgress progress;
  std::string message;
  // The measured front when it changed (JSON array of candidate keys), else
  // empty.
  std::string front_json;
};

struct CandidateRecord {
  std::string job_id;
  std::string board_kind;
  std::string candidate_id;
  std::string strategy;
  CandidateState state = CandidateState::kEnumerated;
  // Plan metrics as JSON: macs, peak_sram_bytes, flash_bytes, ext_ram_bytes,
  // ext_flash_bytes, kernel_calls, ext_traffic_bytes, macs_recomputed.
  std::string metrics_json;
  // Prediction (NaN-free; 0 when none yet).
  double predicted = 0, predicted_low = 0, predicted_high = 0;
  std::string predicted_unit, predictor;
  std::string build_dir;  // relative to the daemon's data dir
  int64_t linked_flash_bytes = 0, linked_ram_bytes = 0;
  // Measurement: per-inference count, unit, whether the output matched, the
  // full device_farm Measurement as JSON and the farm's run id(s).
  double measured = 0;
  std::string measured_unit;
  bool output_matches = false;
  std::string measurement_json;
  std::string measurement_ids;
  bool on_front = false;
  int round = 0;  // batch it was selected in (0 = never)
  std::string error;

  std::string key() const { return board_kind + "/" + candidate_id; }
};

class Store {
 public:
  // Opens `path` (":memory:" for tests) and creates the tuner_* tables if
  // missing (idempotent). Errors of base::Database::Open.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  // Shares an already open database (e.g. with the farm's store).
  static absl::StatusOr<std::unique_ptr<Store>> Attach(
      std::shared_ptr<base::Database> db);

  base::Database& db() { return *db_; }
  std::shared_ptr<base::Database> shared_db() { return db_; }

  // ---- models
  // Inserts the model unless its id exists. Returns true when inserted,
  // false when it was already stored (deduplicated).
  absl::StatusOr<bool> PutModel(const ModelRecord& model,
                                const std::string& bytes);
  absl::StatusOr<ModelRecord> GetModel(const std::string& id);  // NOT_FOUND
  absl::StatusOr<std::string> GetModelBytes(const std::string& id);
  // Newest first; analysis_json is left empty.
  absl::StatusOr<std::vector<ModelRecord>> ListModels(int limit = 1000);

  // ---- jobs
  // Inserts `job` (id must be new: ALREADY_EXISTS otherwise).
  absl::Status CreateJob(const JobRecord& job);
  absl::StatusOr<JobRecord> GetJob(const std::string& id);  // NOT_FOUND
  // Newest first; only `states` when non-empty.
  absl::StatusOr<std::vector<JobRecord>> ListJobs(
      const std::vector<JobState>& states, int limit = 100);
  // Writes state, phase, progress and error of `job` (and updated_ms = now).
  // NOT_FOUND if it does not exist.
  absl::Status UpdateJob(const JobRecord& job);
  // Jobs a restarted daemon must pick up again (queued or running), oldest
  // first.
  absl::StatusOr<std::vector<JobRecord>> UnfinishedJobs();

  // ---- events
  // Appends an event with the next seq of its job (returned) and wakes
  // WaitForEvent callers.
  absl::StatusOr<int64_t> AppendEvent(JobEvent event);
  absl::StatusOr<std::vector<JobEvent>> EventsAfter(const std::string& job_id,
                                                    int64_t after_seq,
                                                    int limit = 1000);
  // Blocks until an event with seq > after_seq exists for `job_id` or
  // `timeout` passes; true when one exists. Cheap: waits on a condition
  // variable signalled by AppendEvent of this Store.
  bool WaitForEvent(const std::string& job_id, int64_t after_seq,
                    absl::Duration timeout);

  // ---- candidates
  // Inserts the candidates that are not stored yet (by job, board, id);
  // stored rows are left as they are (resume). Returns how many were new.
  absl::StatusOr<int> AddCandidates(
      const std::vector<CandidateRecord>& candidates);
  // Replaces the mutable fields of the stored row (state, prediction, build,
  // measurement, front flag, round, error). NOT_FOUND if it does not exist.
  absl::Status UpdateCandidate(const CandidateRecord& candidate);
  // Several updates in one transaction (predictions of a whole round).
  absl::Status UpdateCandidates(const std::vector<CandidateRecord>& candidates);
  // Which rows ListCandidates returns: the filter runs in SQL, so a reader
  // of the front (GetParetoFront, polled by dashboards) does not copy the
  // thousands of enumerated rows of a job under the connection mutex.
  enum class CandidateFilter { kAll, kMeasured, kOnFront };
  absl::StatusOr<std::vector<CandidateRecord>> ListCandidates(
      const std::string& job_id, CandidateFilter filter = CandidateFilter::kAll);
  // By key "<board>/<id>". NOT_FOUND.
  absl::StatusOr<CandidateRecord> GetCandidate(const std::string& job_id,
                                               const std::string& key);

 private:
  explicit Store(std::shared_ptr<base::Database> db) : db_(std::move(db)) {}
  absl::Status CreateSchema();
  int64_t LatestSeq(const std::string& job_id);

  std::shared_ptr<base::Database> db_;
  std::mutex event_mu_;
  std::condition_variable event_cv_;
};

// Unix epoch milliseconds now.
int64_t NowMs();
// "2024-05-01T12:00:00.123Z".
std::string FormatTimeMs(int64_t ms);

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_STORE_H_
