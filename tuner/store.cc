// The tuner's SQLite store.
// - Schema: four tuner_* tables created with IF NOT EXISTS, so opening an
//   existing file is a no-op; tuner_schema records the version for future
//   migrations (a newer version than this code knows is refused).
// - Every method takes the connection mutex (recursive) for its statements;
//   multi-row writes run inside Database::Transaction.
// - Enum columns are stored by name and parsed back strictly: a row this code
//   did not write is an INVALID_ARGUMENT, never undefined behaviour.
#include "tuner/store.h"

#include <chrono>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mcutune::tuner {
namespace {

constexpr int kSchemaVersion = 1;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS tuner_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tuner_models (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  summary_json TEXT NOT NULL,
  analysis_json TEXT NOT NULL,
  uploaded_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tuner_jobs (
  id TEXT PRIMARY KEY,
  model_id TEXT NOT NULL REFERENCES tuner_models(id),
  request_json TEXT NOT NULL,
  state TEXT NOT NULL,
  phase TEXT NOT NULL,
  progress_json TEXT NOT NULL,
  error TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tuner_jobs_state ON tuner_jobs(state, created_ms);
CREATE TABLE IF NOT EXISTS tuner_job_events (
  job_id TEXT NOT NULL REFERENCES tuner_jobs(id),
  seq INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  phase TEXT NOT NULL,
  progress_json TEXT NOT NULL,
  message TEXT NOT NULL,
  front_json TEXT NOT NULL,
  PRIMARY KEY (job_id, seq));
CREATE TABLE IF NOT EXISTS tuner_candidates (
  job_id TEXT NOT NULL REFERENCES tuner_jobs(id),
  board_kind TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  strategy TEXT NOT NULL,
  state TEXT NOT NULL,
  metrics_json TEXT NOT NULL,
  predicted REAL NOT NULL, predicted_low REAL NOT NULL, predicted_high REAL NOT NULL,
  predicted_unit TEXT NOT NULL, predictor TEXT NOT NULL,
  build_dir TEXT NOT NULL,
  linked_flash_bytes INTEGER NOT NULL, linked_ram_bytes INTEGER NOT NULL,
  measured REAL NOT NULL, measured_unit TEXT NOT NULL,
  output_matches INTEGER NOT NULL,
  measurement_json TEXT NOT NULL, measurement_ids TEXT NOT NULL,
  on_front INTEGER NOT NULL, round INTEGER NOT NULL, error TEXT NOT NULL,
  PRIMARY KEY (job_id, board_kind, candidate_id));
)sql";

std::string ProgressToJson(const JobProgress& p) {
  return absl::StrFormat(
      "{\"candidates_enumerated\":%d,\"builds_done\":%d,\"builds_failed\":%d,"
      "\"verify_failed\":%d,\"measurements_done\":%d,\"measurements_failed\":%"
      "d,"
      "\"measurement_budget\":%d,\"front_size\":%d,\"rounds\":%d}",
      p.candidates_enumerated, p.builds_done, p.builds_failed, p.verify_failed,
      p.measurements_done, p.measurements_failed, p.measurement_budget,
      p.front_size, p.rounds);
}

// Parses what ProgressToJson wrote: "name":int pairs in any order.
absl::StatusOr<JobProgress> ProgressFromJson(const std::string& s) {
  JobProgress p;
  struct Field {
    const char* name;
    int* value;
  } fields[] = {{"candidates_enumerated", &p.candidates_enumerated},
                {"builds_done", &p.builds_done},
                {"builds_failed", &p.builds_failed},
                {"verify_failed", &p.verify_failed},
                {"measurements_done", &p.measurements_done},
                {"measurements_failed", &p.measurements_failed},
                {"measurement_budget", &p.measurement_budget},
                {"front_size", &p.front_size},
                {"rounds", &p.rounds}};
  for (const Field& f : fields) {
    const std::string key = absl::StrCat("\"", f.name, "\":");
    const size_t at = s.find(key);
    if (at == std::string::npos) continue;
    size_t i = at + key.size();
    long long v = 0;
    bool any = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && v < (1LL << 31)) {
      v = v * 10 + (s[i++] - '0');
      any = true;
    }
    if (!any || v >= (1LL << 31)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad progress field ", f.name));
    }
    *f.value = static_cast<int>(v);
  }
  return p;
}

absl::StatusOr<base::Statement> Prep(base::Database& db, std::string_view sql) {
  return db.Prepare(sql);
}

constexpr char kJobColumns[] =
    "id, model_id, request_json, state, phase, progress_json, error, "
    "created_ms, "
    "updated_ms";

absl::StatusOr<JobRecord> ReadJob(const base::Statement& s) {
  JobRecord j;
  j.id = s.ColumnText(0);
  j.model_id = s.ColumnText(1);
  j.request_json = s.ColumnText(2);
  absl::StatusOr<JobState> state = ParseJobState(s.ColumnText(3));
  if (!state.ok()) return state.status();
  j.state = *state;
  j.phase = s.ColumnText(4);
  absl::StatusOr<JobProgress> p = ProgressFromJson(s.ColumnText(5));
  if (!p.ok()) return p.status();
  j.progress = *p;
  j.error = s.ColumnText(6);
  j.created_ms = s.ColumnInt64(7);
  j.updated_ms = s.ColumnInt64(8);
  return j;
}

}  // namespace

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "?";
}

absl::StatusOr<JobState> ParseJobState(const std::string& name) {
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kDone,
                     JobState::kFailed, JobState::kCancelled}) {
    if (name == JobStateName(s)) return s;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown job state '", name, "'"));
}

const char* CandidateStateName(CandidateState state) {
  switch (state) {
    case CandidateState::kEnumerated:
      return "enumerated";
    case CandidateState::kSelected:
      return "selected";
    case CandidateState::kBuilt:
      return "built";
    case CandidateState::kBuildFailed:
      return "build_failed";
    case CandidateState::kVerifyFailed:
      return "verify_failed";
    case CandidateState::kMeasured:
      return "measured";
    case CandidateState::kMeasureFailed:
      return "measure_failed";
  }
  return "?";
}

absl::StatusOr<CandidateState> ParseCandidateState(const std::string& name) {
  for (CandidateState s :
       {CandidateState::kEnumerated, CandidateState::kSelected,
        CandidateState::kBuilt, CandidateState::kBuildFailed,
        CandidateState::kVerifyFailed, CandidateState::kMeasured,
        CandidateState::kMeasureFailed}) {
    if (name == CandidateStateName(s)) return s;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown candidate state '", name, "'"));
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatTimeMs(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec,
                         static_cast<int>(ms % 1000));
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<base::Database>> db =
      base::Database::Open(path);
  if (!db.ok()) return db.status();
  return Attach(std::shared_ptr<base::Database>(std::move(*db)));
}

absl::StatusOr<std::unique_ptr<Store>> Store::Attach(
    std::shared_ptr<base::Database> db) {
  std::unique_ptr<Store> store(new Store(std::move(db)));
  if (absl::Status s = store->CreateSchema(); !s.ok()) return s;
  return store;
}

absl::Status Store::CreateSchema() {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  return db_->Transaction([&]() -> absl::Status {
    if (absl::Status s = db_->Exec(kSchema); !s.ok()) return s;
    absl::StatusOr<base::Statement> q =
        Prep(*db_, "SELECT MAX(version) FROM tuner_schema");
    if (!q.ok()) return q.status();
    if (q->Step() && !q->IsNull(0)) {
      const int64_t v = q->ColumnInt64(0);
      if (v > kSchemaVersion) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the database was written by a newer mcutune (tuner schema ", v,
            " > ", kSchemaVersion, ")"));
      }
      return q->status();
    }
    if (!q->status().ok()) return q->status();
    absl::StatusOr<base::Statement> ins =
        Prep(*db_, "INSERT INTO tuner_schema(version) VALUES (?1)");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, kSchemaVersion);
    return ins->Run();
  });
}

// ------------------------------------------------------------------ models

absl::StatusOr<bool> Store::PutModel(const ModelRecord& m,
                                     const std::string& bytes) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s = Prep(
      *db_,
      "INSERT OR IGNORE INTO tuner_models(id, name, size_bytes, bytes, "
      "summary_json, "
      "analysis_json, uploaded_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!s.ok()) return s.status();
  s->Bind(1, m.id).Bind(2, m.name).Bind(3, static_cast<int64_t>(bytes.size()));
  s->BindBlob(4, bytes.data(), bytes.size());
  s->Bind(5, m.summary_json).Bind(6, m.analysis_json).Bind(7, m.uploaded_at_ms);
  if (absl::Status st = s->Run(); !st.ok()) return st;
  return db_->Changes() > 0;
}

absl::StatusOr<ModelRecord> Store::GetModel(const std::string& id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s =
      Prep(*db_,
           "SELECT id, name, size_bytes, summary_json, analysis_json, "
           "uploaded_at_ms "
           "FROM tuner_models WHERE id = ?1");
  if (!s.ok()) return s.status();
  s->Bind(1, id);
  if (!s->Step()) {
    if (!s->status().ok()) return s->status();
    return absl::NotFoundError(
        absl::StrCat("no model '", id.substr(0, 64), "'"));
  }
  ModelRecord m;
  m.id = s->ColumnText(0);
  m.name = s->ColumnText(1);
  m.size_bytes = s->ColumnInt64(2);
  m.summary_json = s->ColumnText(3);
  m.analysis_json = s->ColumnText(4);
  m.uploaded_at_ms = s->ColumnInt64(5);
  return m;
}

absl::StatusOr<std::string> Store::GetModelBytes(const std::string& id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s =
      Prep(*db_, "SELECT bytes FROM tuner_models WHERE id = ?1");
  if (!s.ok()) return s.status();
  s->Bind(1, id);
  if (!s->Step()) {
    if (!s->status().ok()) return s->status();
    return absl::NotFoundError(
        absl::StrCat("no model '", id.substr(0, 64), "'"));
  }
  return s->ColumnBlob(0);
}

absl::StatusOr<std::vector<ModelRecord>> Store::ListModels(int limit) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s =
      Prep(*db_,
           "SELECT id, name, size_bytes, summary_json, uploaded_at_ms FROM "
           "tuner_models "
           "ORDER BY uploaded_at_ms DESC, id LIMIT ?1");
  if (!s.ok()) return s.status();
  s->Bind(1, limit);
  std::vector<ModelRecord> out;
  while (s->Step()) {
    ModelRecord m;
    m.id = s->ColumnText(0);
    m.name = s->ColumnText(1);
    m.size_bytes = s->ColumnInt64(2);
    m.summary_json = s->ColumnText(3);
    m.uploaded_at_ms = s->ColumnInt64(4);
    out.push_back(std::move(m));
  }
  if (!s->status().ok()) return s->status();
  return out;
}

// -------------------------------------------------------------------- jobs

absl::Status Store::CreateJob(const JobRecord& j) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s =
      Prep(*db_, absl::StrCat("INSERT INTO tuner_jobs(", kJobColumns,
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  if (!s.ok()) return s.status();
  s->Bind(1, j.id).Bind(2, j.model_id).Bind(3, j.request_json);
  s->Bind(4, JobStateName(j.state))
      .Bind(5, j.phase)
      .Bind(6, ProgressToJson(j.progress));
  s->Bind(7, j.error).Bind(8, j.created_ms).Bind(9, j.updated_ms);
  return s->Run();
}

absl::StatusOr<JobRecord> Store::GetJob(const std::string& id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s = Prep(
      *db_,
      absl::StrCat("SELECT ", kJobColumns, " FROM tuner_jobs WHERE id = ?1"));
  if (!s.ok()) return s.status();
  s->Bind(1, id);
  if (!s->Step()) {
    if (!s->status().ok()) return s->status();
    return absl::NotFoundError(absl::StrCat("no job '", id.substr(0, 64), "'"));
  }
  return ReadJob(*s);
}

absl::StatusOr<std::vector<JobRecord>> Store::ListJobs(
    const std::vector<JobState>& states, int limit) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s = Prep(
      *db_, absl::StrCat("SELECT ", kJobColumns,
                         " FROM tuner_jobs ORDER BY created_ms DESC, id DESC"));
  if (!s.ok()) return s.status();
  std::vector<JobRecord> out;
  while (static_cast<int>(out.size()) < limit && s->Step()) {
    absl::StatusOr<JobRecord> j = ReadJob(*s);
    if (!j.ok()) return j.status();
    bool wanted = states.empty();
    for (JobState st : states) wanted = wanted || st == j->state;
    if (wanted) out.push_back(std::move(*j));
  }
  if (!s->status().ok()) return s->status();
  return out;
}

absl::Status Store::UpdateJob(const JobRecord& j) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s =
      Prep(*db_,
           "UPDATE tuner_jobs SET state = ?2, phase = ?3, progress_json = ?4, "
           "error = ?5, "
           "updated_ms = ?6 WHERE id = ?1");
  if (!s.ok()) return s.status();
  s->Bind(1, j.id).Bind(2, JobStateName(j.state)).Bind(3, j.phase);
  s->Bind(4, ProgressToJson(j.progress)).Bind(5, j.error).Bind(6, NowMs());
  if (absl::Status st = s->Run(); !st.ok()) return st;
  if (db_->Changes() == 0)
    return absl::NotFoundError(absl::StrCat("no job '", j.id, "'"));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<JobRecord>> Store::UnfinishedJobs() {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s =
      Prep(*db_,
           absl::StrCat("SELECT ", kJobColumns,
                        " FROM tuner_jobs WHERE state IN ('queued', 'running') "
                        "ORDER BY created_ms, id"));
  if (!s.ok()) return s.status();
  std::vector<JobRecord> out;
  while (s->Step()) {
    absl::StatusOr<JobRecord> j = ReadJob(*s);
    if (!j.ok()) return j.status();
    out.push_back(std::move(*j));
  }
  if (!s->status().ok()) return s->status();
  return out;
}

// ------------------------------------------------------------------ events

int64_t Store::LatestSeq(const std::string& job_id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s = Prep(
      *db_,
      "SELECT COALESCE(MAX(seq), 0) FROM tuner_job_events WHERE job_id = ?1");
  if (!s.ok()) return 0;
  s->Bind(1, job_id);
  return s->Step() ? s->ColumnInt64(0) : 0;
}

absl::StatusOr<int64_t> Store::AppendEvent(JobEvent e) {
  {
    std::lock_guard<std::recursive_mutex> lock(db_->mutex());
    absl::Status st = db_->Transaction([&]() -> absl::Status {
      e.seq = LatestSeq(e.job_id) + 1;
      if (e.time_ms == 0) e.time_ms = NowMs();
      absl::StatusOr<base::Statement> s = Prep(
          *db_,
          "INSERT INTO tuner_job_events(job_id, seq, time_ms, state, phase, "
          "progress_json, message, front_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
          "?7, ?8)");
      if (!s.ok()) return s.status();
      s->Bind(1, e.job_id)
          .Bind(2, e.seq)
          .Bind(3, e.time_ms)
          .Bind(4, JobStateName(e.state));
      s->Bind(5, e.phase)
          .Bind(6, ProgressToJson(e.progress))
          .Bind(7, e.message);
      s->Bind(8, e.front_json);
      return s->Run();
    });
    if (!st.ok()) return st;
  }
  { std::lock_guard<std::mutex> lock(event_mu_); }
  event_cv_.notify_all();
  return e.seq;
}

absl::StatusOr<std::vector<JobEvent>> Store::EventsAfter(
    const std::string& job_id, int64_t after_seq, int limit) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s =
      Prep(*db_,
           "SELECT job_id, seq, time_ms, state, phase, progress_json, message, "
           "front_json "
           "FROM tuner_job_events WHERE job_id = ?1 AND seq > ?2 ORDER BY seq "
           "LIMIT ?3");
  if (!s.ok()) return s.status();
  s->Bind(1, job_id).Bind(2, after_seq).Bind(3, limit);
  std::vector<JobEvent> out;
  while (s->Step()) {
    JobEvent e;
    e.job_id = s->ColumnText(0);
    e.seq = s->ColumnInt64(1);
    e.time_ms = s->ColumnInt64(2);
    absl::StatusOr<JobState> state = ParseJobState(s->ColumnText(3));
    if (!state.ok()) return state.status();
    e.state = *state;
    e.phase = s->ColumnText(4);
    absl::StatusOr<JobProgress> p = ProgressFromJson(s->ColumnText(5));
    if (!p.ok()) return p.status();
    e.progress = *p;
    e.message = s->ColumnText(6);
    e.front_json = s->ColumnText(7);
    out.push_back(std::move(e));
  }
  if (!s->status().ok()) return s->status();
  return out;
}

bool Store::WaitForEvent(const std::string& job_id, int64_t after_seq,
                         absl::Duration timeout) {
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(timeout);
  std::unique_lock<std::mutex> lock(event_mu_);
  while (true) {
    lock.unlock();
    const bool have = LatestSeq(job_id) > after_seq;
    lock.lock();
    if (have) return true;
    // Re-check at least every 200 ms: another process (or Store) may write.
    const auto next = std::min(deadline, std::chrono::steady_clock::now() +
                                             std::chrono::milliseconds(200));
    if (std::chrono::steady_clock::now() >= deadline) return false;
    event_cv_.wait_until(lock, next);
  }
}

}  // namespace mcutune::tuner
