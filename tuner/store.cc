// The tuner's SQLite store.
// - Schema: four tuner_* tables created with IF NOT EXISTS, so opening an
//   existing file is a no-op; tuner_schema records the version for future
//   migrations (a newer version than this code knows is refused).
// - Every method takes the connection mutex (recursive) for its statements;
//   multi-row writes run inside Database::Transaction.
// - Enum columns are stored by name (one name table per enum, read both
//   ways) and parsed back strictly: a row this code did not write is an
//   INVALID_ARGUMENT, never undefined behaviour.
// - Statements are built from one column list per table and run through the
//   helpers of sweep_store_internal.h (InsertSql, BindAll, QueryRows).
#include "tuner/store.h"

#include <array>
#include <chrono>
#include <ctime>
#include <iterator>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tuner/sweep_store_internal.h"

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

using store_internal::BindAll;
using store_internal::InsertSql;
using store_internal::QueryFirstRow;
using store_internal::QueryRows;

// An enum's stored names, in enum order (read both ways).
template <typename E>
struct EnumName {
  E value;
  const char* name;
};

constexpr EnumName<JobState> kJobStateNames[] = {
    {JobState::kQueued, "queued"},
    {JobState::kRunning, "running"},
    {JobState::kDone, "done"},
    {JobState::kFailed, "failed"},
    {JobState::kCancelled, "cancelled"}};
static_assert(std::size(kJobStateNames) ==
              static_cast<size_t>(JobState::kCancelled) + 1);

constexpr EnumName<CandidateState> kCandidateStateNames[] = {
    {CandidateState::kEnumerated, "enumerated"},
    {CandidateState::kSelected, "selected"},
    {CandidateState::kBuilt, "built"},
    {CandidateState::kBuildFailed, "build_failed"},
    {CandidateState::kVerifyFailed, "verify_failed"},
    {CandidateState::kMeasured, "measured"},
    {CandidateState::kMeasureFailed, "measure_failed"}};
static_assert(std::size(kCandidateStateNames) ==
              static_cast<size_t>(CandidateState::kMeasureFailed) + 1);

template <typename E, size_t N>
const char* NameOf(const EnumName<E> (&names)[N], E value) {
  for (const EnumName<E>& n : names) {
    if (n.value == value) return n.name;
  }
  return "?";
}

// INVALID_ARGUMENT "unknown <what> '<name>'" for a name not in `names`.
template <typename E, size_t N>
absl::StatusOr<E> ParseName(const EnumName<E> (&names)[N],
                            const std::string& name, const char* what) {
  for (const EnumName<E>& n : names) {
    if (name == n.name) return n.value;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ", what, " '", name, "'"));
}

// The counters of `p` by their name in progress_json, in the order written.
std::array<std::pair<const char*, int*>, 9> ProgressFields(JobProgress& p) {
  return {{{"candidates_enumerated", &p.candidates_enumerated},
           {"builds_done", &p.builds_done},
           {"builds_failed", &p.builds_failed},
           {"verify_failed", &p.verify_failed},
           {"measurements_done", &p.measurements_done},
           {"measurements_failed", &p.measurements_failed},
           {"measurement_budget", &p.measurement_budget},
           {"front_size", &p.front_size},
           {"rounds", &p.rounds}}};
}

// {"candidates_enumerated":N,...}: every counter, compact, in field order.
std::string ProgressToJson(JobProgress p) {
  std::string out = "{";
  for (const auto& [name, value] : ProgressFields(p)) {
    absl::StrAppend(&out, out.size() > 1 ? "," : "", "\"", name, "\":", *value);
  }
  return out + "}";
}

// Parses what ProgressToJson wrote: "name":int pairs in any order.
absl::StatusOr<JobProgress> ProgressFromJson(const std::string& s) {
  JobProgress p;
  for (const auto& [name, value] : ProgressFields(p)) {
    const std::string key = absl::StrCat("\"", name, "\":");
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
          absl::StrCat("bad progress field ", name));
    }
    *value = static_cast<int>(v);
  }
  return p;
}

// The job status columns of a row, at `first` .. first + 2: state, phase,
// progress_json (jobs and their events store them alike).
absl::Status ReadJobStatus(const base::Statement& s, int first, JobState* state,
                           std::string* phase, JobProgress* progress) {
  absl::StatusOr<JobState> st = ParseJobState(s.ColumnText(first));
  if (!st.ok()) return st.status();
  *state = *st;
  *phase = s.ColumnText(first + 1);
  absl::StatusOr<JobProgress> p = ProgressFromJson(s.ColumnText(first + 2));
  if (!p.ok()) return p.status();
  *progress = *p;
  return absl::OkStatus();
}

// The columns ReadModel reads but the last: `analysis` is "analysis_json", or
// "''" where a list leaves it empty.
std::string SelectModels(std::string_view analysis, std::string_view rest) {
  return absl::StrCat(
      "SELECT id, name, size_bytes, summary_json, uploaded_at_ms, ",
      std::string(analysis), " FROM tuner_models ", std::string(rest));
}

ModelRecord ReadModel(const base::Statement& s) {
  ModelRecord m;
  m.id = s.ColumnText(0);
  m.name = s.ColumnText(1);
  m.size_bytes = s.ColumnInt64(2);
  m.summary_json = s.ColumnText(3);
  m.uploaded_at_ms = s.ColumnInt64(4);
  m.analysis_json = s.ColumnText(5);
  return m;
}

constexpr char kJobColumns[] =
    "id, model_id, request_json, state, phase, progress_json, error, "
    "created_ms, updated_ms";

absl::StatusOr<JobRecord> ReadJob(const base::Statement& s) {
  JobRecord j;
  j.id = s.ColumnText(0);
  j.model_id = s.ColumnText(1);
  j.request_json = s.ColumnText(2);
  if (absl::Status st = ReadJobStatus(s, 3, &j.state, &j.phase, &j.progress);
      !st.ok()) {
    return st;
  }
  j.error = s.ColumnText(6);
  j.created_ms = s.ColumnInt64(7);
  j.updated_ms = s.ColumnInt64(8);
  return j;
}

constexpr char kEventColumns[] =
    "job_id, seq, time_ms, state, phase, progress_json, message, front_json";

absl::StatusOr<JobEvent> ReadEvent(const base::Statement& s) {
  JobEvent e;
  e.job_id = s.ColumnText(0);
  e.seq = s.ColumnInt64(1);
  e.time_ms = s.ColumnInt64(2);
  if (absl::Status st = ReadJobStatus(s, 3, &e.state, &e.phase, &e.progress);
      !st.ok()) {
    return st;
  }
  e.message = s.ColumnText(6);
  e.front_json = s.ColumnText(7);
  return e;
}

}  // namespace

const char* JobStateName(JobState state) {
  return NameOf(kJobStateNames, state);
}

absl::StatusOr<JobState> ParseJobState(const std::string& name) {
  return ParseName(kJobStateNames, name, "job state");
}

const char* CandidateStateName(CandidateState state) {
  return NameOf(kCandidateStateNames, state);
}

absl::StatusOr<CandidateState> ParseCandidateState(const std::string& name) {
  return ParseName(kCandidateStateNames, name, "candidate state");
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
        db_->Prepare("SELECT MAX(version) FROM tuner_schema");
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
        db_->Prepare("INSERT INTO tuner_schema(version) VALUES (?1)");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, kSchemaVersion);
    return ins->Run();
  });
}

// ------------------------------------------------------------------ models

absl::StatusOr<bool> Store::PutModel(const ModelRecord& m,
                                     const std::string& bytes) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s = db_->Prepare(
      "INSERT OR IGNORE INTO tuner_models(id, name, size_bytes, bytes, "
      "summary_json, analysis_json, uploaded_at_ms) VALUES (?1, ?2, ?3, ?4, "
      "?5, ?6, ?7)");
  if (!s.ok()) return s.status();
  s->Bind(1, m.id).Bind(2, m.name).Bind(3, static_cast<int64_t>(bytes.size()));
  s->BindBlob(4, bytes.data(), bytes.size());
  s->Bind(5, m.summary_json).Bind(6, m.analysis_json).Bind(7, m.uploaded_at_ms);
  if (absl::Status st = s->Run(); !st.ok()) return st;
  return db_->Changes() > 0;
}

absl::StatusOr<ModelRecord> Store::GetModel(const std::string& id) {
  absl::StatusOr<std::optional<ModelRecord>> m = QueryFirstRow(
      *db_, ReadModel, SelectModels("analysis_json", "WHERE id = ?1"), id);
  if (!m.ok()) return m.status();
  if (!m->has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no model '", id.substr(0, 64), "'"));
  }
  return **std::move(m);
}

absl::StatusOr<std::string> Store::GetModelBytes(const std::string& id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s =
      db_->Prepare("SELECT bytes FROM tuner_models WHERE id = ?1");
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
  return QueryRows(
      *db_, ReadModel,
      SelectModels("''", "ORDER BY uploaded_at_ms DESC, id LIMIT ?1"), limit);
}

// -------------------------------------------------------------------- jobs

absl::Status Store::CreateJob(const JobRecord& j) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s =
      db_->Prepare(InsertSql("INSERT", "tuner_jobs", kJobColumns));
  if (!s.ok()) return s.status();
  BindAll(*s, j.id, j.model_id, j.request_json, JobStateName(j.state), j.phase,
          ProgressToJson(j.progress), j.error, j.created_ms, j.updated_ms);
  return s->Run();
}

absl::StatusOr<JobRecord> Store::GetJob(const std::string& id) {
  absl::StatusOr<std::optional<JobRecord>> j = QueryFirstRow(
      *db_, ReadJob,
      absl::StrCat("SELECT ", kJobColumns, " FROM tuner_jobs WHERE id = ?1"),
      id);
  if (!j.ok()) return j.status();
  if (!j->has_value()) {
    return absl::NotFoundError(absl::StrCat("no job '", id.substr(0, 64), "'"));
  }
  return **std::move(j);
}

absl::StatusOr<std::vector<JobRecord>> Store::ListJobs(
    const std::vector<JobState>& states, int limit) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s = db_->Prepare(
      absl::StrCat("SELECT ", kJobColumns,
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
  absl::StatusOr<base::Statement> s = db_->Prepare(
      "UPDATE tuner_jobs SET state = ?2, phase = ?3, progress_json = ?4, "
      "error = ?5, updated_ms = ?6 WHERE id = ?1");
  if (!s.ok()) return s.status();
  BindAll(*s, j.id, JobStateName(j.state), j.phase, ProgressToJson(j.progress),
          j.error, NowMs());
  if (absl::Status st = s->Run(); !st.ok()) return st;
  if (db_->Changes() == 0)
    return absl::NotFoundError(absl::StrCat("no job '", j.id, "'"));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<JobRecord>> Store::UnfinishedJobs() {
  return QueryRows(*db_, ReadJob,
                   absl::StrCat("SELECT ", kJobColumns,
                                " FROM tuner_jobs WHERE state IN ('queued', "
                                "'running') ORDER BY created_ms, id"));
}

// ------------------------------------------------------------------ events

int64_t Store::LatestSeq(const std::string& job_id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s = db_->Prepare(
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
      absl::StatusOr<base::Statement> s =
          db_->Prepare(InsertSql("INSERT", "tuner_job_events", kEventColumns));
      if (!s.ok()) return s.status();
      BindAll(*s, e.job_id, e.seq, e.time_ms, JobStateName(e.state), e.phase,
              ProgressToJson(e.progress), e.message, e.front_json);
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
  return QueryRows(*db_, ReadEvent,
                   absl::StrCat("SELECT ", kEventColumns,
                                " FROM tuner_job_events WHERE job_id = ?1 AND "
                                "seq > ?2 ORDER BY seq LIMIT ?3"),
                   job_id, after_seq, limit);
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
