// FarmStore: schema, migrations, names and the board table.
// - The schema lives in kSchemaV1 (CREATE ... IF NOT EXISTS); Migrate() runs
//   it and records version 1 in one transaction, so running it twice (or two
//   processes racing on a new file) is harmless. A later version adds an
//   `if (version < 2)` step here.
// - Every public method holds the connection mutex for its whole duration so
//   a read is never interleaved with another thread's open transaction.
// - Runs and measurements: farm_store_runs.cc, farm_store_measurements.cc.
#include "device_farm/farm_store.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "device_farm/farm_store_internal.h"

namespace mcutune::device_farm {

using store_internal::BindTime;
using store_internal::ColumnTime;

namespace {

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS farm_schema_version (
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS farm_boards (
  uri TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  slots INTEGER NOT NULL CHECK (slots >= 1),
  state TEXT NOT NULL
    CHECK (state IN ('active', 'draining', 'drained', 'quarantined')),
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  quarantine_reason TEXT NOT NULL DEFAULT '',
  next_health_check_at INTEGER,
  health_check_failures INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS farm_board_events (
  id INTEGER PRIMARY KEY,
  uri TEXT NOT NULL,
  at INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS farm_board_events_uri
  ON farm_board_events (uri, id);
CREATE TABLE IF NOT EXISTS farm_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  artifact_sha256 TEXT NOT NULL,
  elf_path TEXT NOT NULL,
  bin_path TEXT NOT NULL,
  expected_output_sha256 TEXT NOT NULL,
  toolchain_version TEXT NOT NULL,
  semihosting INTEGER NOT NULL,
  board_kind TEXT NOT NULL,
  runs INTEGER NOT NULL,
  warmup INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  repeats INTEGER NOT NULL CHECK (repeats >= 1),
  priority INTEGER NOT NULL,
  tag TEXT NOT NULL,
  state TEXT NOT NULL
    CHECK (state IN ('queued', 'leased', 'done', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  repeats_done INTEGER NOT NULL DEFAULT 0,
  last_status TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  lease_board TEXT,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  not_before INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS farm_runs_queue
  ON farm_runs (state, board_kind, priority DESC, id);
CREATE INDEX IF NOT EXISTS farm_runs_tag ON farm_runs (tag);
CREATE TABLE IF NOT EXISTS farm_run_attempts (
  run_id INTEGER NOT NULL REFERENCES farm_runs (id),
  attempt INTEGER NOT NULL,
  board_uri TEXT NOT NULL,
  owner TEXT NOT NULL,
  outcome TEXT NOT NULL,
  charged INTEGER NOT NULL DEFAULT 0,
  detail TEXT NOT NULL DEFAULT '',
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  PRIMARY KEY (run_id, attempt)
);
CREATE TABLE IF NOT EXISTS farm_run_events (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES farm_runs (id),
  at INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  board TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS farm_run_events_run ON farm_run_events (run_id, id);
CREATE TABLE IF NOT EXISTS farm_measurements (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES farm_runs (id),
  repeat_index INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  board_uri TEXT NOT NULL,
  board_kind TEXT NOT NULL,
  artifact_sha256 TEXT NOT NULL,
  toolchain_version TEXT NOT NULL,
  unit TEXT NOT NULL,
  counted_by TEXT NOT NULL,
  raw_ticks INTEGER NOT NULL,
  total_count INTEGER NOT NULL,
  per_inference REAL NOT NULL,
  runs INTEGER NOT NULL,
  warmup INTEGER NOT NULL,
  output_sha256 TEXT NOT NULL,
  expected_output_sha256 TEXT NOT NULL,
  output_matches INTEGER,
  input_bytes INTEGER NOT NULL,
  output_bytes INTEGER NOT NULL,
  stack_high_water_bytes INTEGER NOT NULL,
  stack_bytes INTEGER NOT NULL,
  arena_bytes INTEGER NOT NULL,
  flash_bytes INTEGER NOT NULL,
  ram_bytes INTEGER NOT NULL,
  status TEXT NOT NULL,
  error TEXT NOT NULL,
  board TEXT NOT NULL,
  exit_code INTEGER NOT NULL,
  wall_seconds REAL NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  UNIQUE (run_id, repeat_index, attempt)
);
CREATE INDEX IF NOT EXISTS farm_measurements_artifact
  ON farm_measurements (artifact_sha256, board_kind);
)sql";

template <typename E, size_t N>
absl::StatusOr<E> ParseName(std::string_view name, const char* const (&names)[N],
                            const char* what) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<E>(i);
  }
  return absl::DataLossError(
      absl::StrCat("unknown ", what, " '", std::string(name), "' in the store"));
}

constexpr const char* kBoardStateNames[] = {"active", "draining", "drained",
                                            "quarantined"};
constexpr const char* kRunStateNames[] = {"queued", "leased", "done", "failed",
                                          "cancelled"};
constexpr const char* kAttemptOutcomeNames[] = {
    "running", "ok", "firmware", "suspect", "infra", "expired", "released",
    "cancelled"};

constexpr const char* kBoardColumns =
    "uri, kind, slots, state, consecutive_failures, quarantine_reason, "
    "next_health_check_at, health_check_failures, updated_at";

absl::StatusOr<BoardRecord> ReadBoard(const base::Statement& s) {
  BoardRecord b;
  b.uri = s.ColumnText(0);
  b.kind = s.ColumnText(1);
  b.slots = static_cast<int>(s.ColumnInt64(2));
  FARM_ASSIGN_OR_RETURN(b.state, ParseBoardState(s.ColumnText(3)));
  b.consecutive_failures = static_cast<int>(s.ColumnInt64(4));
  b.quarantine_reason = s.ColumnText(5);
  b.next_health_check_at = ColumnTime(s, 6);
  b.health_check_failures = static_cast<int>(s.ColumnInt64(7));
  b.updated_at = ColumnTime(s, 8);
  return b;
}

absl::Status InsertBoardEvent(base::Database& db, const std::string& uri,
                              const std::string& from, const std::string& to,
                              const std::string& detail, absl::Time now) {
  FARM_ASSIGN_OR_RETURN(
      base::Statement s,
      db.Prepare("INSERT INTO farm_board_events (uri, at, from_state, "
                 "to_state, detail) VALUES (?1, ?2, ?3, ?4, ?5)"));
  s.Bind(1, uri).Bind(3, from).Bind(4, to).Bind(5, detail);
  BindTime(s, 2, now);
  return s.Run();
}

}  // namespace

const char* BoardStateName(BoardState state) {
  return kBoardStateNames[static_cast<int>(state)];
}
absl::StatusOr<BoardState> ParseBoardState(std::string_view name) {
  return ParseName<BoardState>(name, kBoardStateNames, "board state");
}
const char* RunStateName(RunState state) {
  return kRunStateNames[static_cast<int>(state)];
}
absl::StatusOr<RunState> ParseRunState(std::string_view name) {
  return ParseName<RunState>(name, kRunStateNames, "run state");
}
const char* AttemptOutcomeName(AttemptOutcome outcome) {
  return kAttemptOutcomeNames[static_cast<int>(outcome)];
}
absl::StatusOr<RunStatus> ParseRunStatus(std::string_view name) {
  for (RunStatus s : {RunStatus::kOk, RunStatus::kHarnessError,
                      RunStatus::kOutputVaries, RunStatus::kFault,
                      RunStatus::kTimeout, RunStatus::kCrashed,
                      RunStatus::kBadOutput}) {
    if (name == RunStatusName(s)) return s;
  }
  return absl::DataLossError(
      absl::StrCat("unknown run status '", std::string(name), "' in the store"));
}

absl::StatusOr<std::unique_ptr<FarmStore>> FarmStore::Open(
    const std::string& path, const base::DatabaseOptions& options) {
  FARM_ASSIGN_OR_RETURN(std::unique_ptr<base::Database> db,
                        base::Database::Open(path, options));
  return Attach(std::shared_ptr<base::Database>(std::move(db)));
}

absl::StatusOr<std::unique_ptr<FarmStore>> FarmStore::Attach(
    std::shared_ptr<base::Database> db) {
  if (!db) return absl::InvalidArgumentError("FarmStore::Attach: no database");
  std::unique_ptr<FarmStore> store(new FarmStore(std::move(db)));
  FARM_RETURN_IF_ERROR(store->Migrate());
  return store;
}

absl::Status FarmStore::Migrate() {
  return db_->Transaction([&]() -> absl::Status {
    FARM_RETURN_IF_ERROR(db_->Exec(
        "CREATE TABLE IF NOT EXISTS farm_schema_version "
        "(version INTEGER NOT NULL)"));
    FARM_ASSIGN_OR_RETURN(
        base::Statement q,
        db_->Prepare("SELECT MAX(version), COUNT(*) FROM farm_schema_version"));
    int64_t version = 0;
    if (q.Step() && !q.IsNull(0)) version = q.ColumnInt64(0);
    FARM_RETURN_IF_ERROR(q.status());
    if (version > kFarmSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "farm database ", db_->path(), " has schema version ", version,
          ", newer than this build's ", kFarmSchemaVersion));
    }
    if (version < 1) {
      FARM_RETURN_IF_ERROR(db_->Exec(kSchemaV1));
      FARM_RETURN_IF_ERROR(db_->Exec("DELETE FROM farm_schema_version"));
      FARM_RETURN_IF_ERROR(
          db_->Exec("INSERT INTO farm_schema_version (version) VALUES (1)"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<int> FarmStore::SchemaVersion() {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(
      base::Statement q,
      db_->Prepare("SELECT MAX(version) FROM farm_schema_version"));
  if (!q.Step()) return q.status().ok() ? absl::DataLossError("no version")
                                        : q.status();
  return static_cast<int>(q.ColumnInt64(0));
}

absl::Status FarmStore::UpsertBoard(const std::string& uri,
                                    const std::string& kind, int slots,
                                    absl::Time now) {
  if (uri.empty() || kind.empty() || slots < 1) {
    return absl::InvalidArgumentError("board needs a uri, a kind and slots >= 1");
  }
  return db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(
        base::Statement q,
        db_->Prepare("SELECT state FROM farm_boards WHERE uri = ?1"));
    q.Bind(1, uri);
    const bool exists = q.Step();
    FARM_RETURN_IF_ERROR(q.status());
    FARM_ASSIGN_OR_RETURN(
        base::Statement s,
        db_->Prepare(
            "INSERT INTO farm_boards (uri, kind, slots, state, updated_at) "
            "VALUES (?1, ?2, ?3, 'active', ?4) ON CONFLICT (uri) DO UPDATE "
            "SET kind = excluded.kind, slots = excluded.slots, "
            "updated_at = excluded.updated_at"));
    s.Bind(1, uri).Bind(2, kind).Bind(3, slots);
    BindTime(s, 4, now);
    FARM_RETURN_IF_ERROR(s.Run());
    if (!exists) {
      return InsertBoardEvent(*db_, uri, "", "active",
                              absl::StrCat("added (", kind, ", ", slots,
                                           " slot", slots == 1 ? "" : "s", ")"),
                              now);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<BoardRecord> FarmStore::GetBoard(const std::string& uri) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(
      base::Statement q,
      db_->Prepare(absl::StrCat("SELECT ", kBoardColumns,
                                " FROM farm_boards WHERE uri = ?1")));
  q.Bind(1, uri);
  if (!q.Step()) {
    FARM_RETURN_IF_ERROR(q.status());
    return absl::NotFoundError(absl::StrCat("no board '", uri, "' in the farm"));
  }
  return ReadBoard(q);
}

absl::StatusOr<std::vector<BoardRecord>> FarmStore::ListBoards() {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(
      base::Statement q,
      db_->Prepare(absl::StrCat("SELECT ", kBoardColumns,
                                " FROM farm_boards ORDER BY uri")));
  std::vector<BoardRecord> out;
  while (q.Step()) {
    FARM_ASSIGN_OR_RETURN(BoardRecord b, ReadBoard(q));
    out.push_back(std::move(b));
  }
  FARM_RETURN_IF_ERROR(q.status());
  return out;
}

absl::Status FarmStore::SetBoardState(const std::string& uri, BoardState state,
                                      const std::string& reason,
                                      absl::Time next_check, absl::Time now) {
  return db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(BoardRecord old, GetBoard(uri));
    const bool quarantine = state == BoardState::kQuarantined;
    // Leaving quarantine (or an explicit enable) starts the counts afresh.
    const bool reset = state == BoardState::kActive;
    FARM_ASSIGN_OR_RETURN(
        base::Statement s,
        db_->Prepare(
            "UPDATE farm_boards SET state = ?2, quarantine_reason = ?3, "
            "next_health_check_at = ?4, updated_at = ?5, "
            "consecutive_failures = CASE WHEN ?6 THEN 0 "
            "  ELSE consecutive_failures END, "
            "health_check_failures = CASE WHEN ?6 OR ?7 THEN 0 "
            "  ELSE health_check_failures END "
            "WHERE uri = ?1"));
    s.Bind(1, uri).Bind(2, BoardStateName(state));
    s.Bind(3, quarantine ? reason : std::string());
    BindTime(s, 4, quarantine ? next_check : absl::InfinitePast());
    BindTime(s, 5, now);
    s.Bind(6, reset ? 1 : 0);
    s.Bind(7, quarantine && old.state != BoardState::kQuarantined ? 1 : 0);
    FARM_RETURN_IF_ERROR(s.Run());
    return InsertBoardEvent(*db_, uri, BoardStateName(old.state),
                            BoardStateName(state), reason, now);
  });
}

absl::Status FarmStore::RecordHealthCheckFailure(const std::string& uri,
                                                 absl::Time next_check,
                                                 const std::string& detail,
                                                 absl::Time now) {
  return db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(BoardRecord old, GetBoard(uri));
    FARM_ASSIGN_OR_RETURN(
        base::Statement s,
        db_->Prepare("UPDATE farm_boards SET health_check_failures = "
                     "health_check_failures + 1, next_health_check_at = ?2, "
                     "updated_at = ?3 WHERE uri = ?1"));
    s.Bind(1, uri);
    BindTime(s, 2, next_check);
    BindTime(s, 3, now);
    FARM_RETURN_IF_ERROR(s.Run());
    return InsertBoardEvent(*db_, uri, BoardStateName(old.state),
                            BoardStateName(old.state),
                            absl::StrCat("health check failed: ", detail), now);
  });
}

absl::StatusOr<int> FarmStore::RecordBoardFailure(const std::string& uri,
                                                  const std::string& detail,
                                                  absl::Time now) {
  int count = 0;
  absl::Status st = db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(
        base::Statement s,
        db_->Prepare("UPDATE farm_boards SET consecutive_failures = "
                     "consecutive_failures + 1, updated_at = ?2 "
                     "WHERE uri = ?1"));
    s.Bind(1, uri);
    BindTime(s, 2, now);
    FARM_RETURN_IF_ERROR(s.Run());
    FARM_ASSIGN_OR_RETURN(BoardRecord b, GetBoard(uri));
    count = b.consecutive_failures;
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return count;
}

absl::Status FarmStore::RecordBoardSuccess(const std::string& uri,
                                           absl::Time now) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(
      base::Statement s,
      db_->Prepare("UPDATE farm_boards SET consecutive_failures = 0, "
                   "updated_at = ?2 WHERE uri = ?1 AND consecutive_failures "
                   "<> 0"));
  s.Bind(1, uri);
  BindTime(s, 2, now);
  return s.Run();
}

absl::Status FarmStore::DeleteBoard(const std::string& uri, absl::Time now) {
  return db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(BoardRecord old, GetBoard(uri));
    FARM_ASSIGN_OR_RETURN(
        base::Statement s,
        db_->Prepare("DELETE FROM farm_boards WHERE uri = ?1"));
    s.Bind(1, uri);
    FARM_RETURN_IF_ERROR(s.Run());
    return InsertBoardEvent(*db_, uri, BoardStateName(old.state), "removed",
                            "", now);
  });
}

absl::StatusOr<std::vector<BoardEvent>> FarmStore::BoardEvents(
    const std::string& uri, int limit) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(
      base::Statement q,
      db_->Prepare("SELECT uri, at, from_state, to_state, detail FROM "
                   "(SELECT * FROM farm_board_events WHERE uri = ?1 "
                   "ORDER BY id DESC LIMIT ?2) ORDER BY id"));
  q.Bind(1, uri).Bind(2, limit);
  std::vector<BoardEvent> out;
  while (q.Step()) {
    out.push_back({q.ColumnText(0), ColumnTime(q, 1), q.ColumnText(2),
                   q.ColumnText(3), q.ColumnText(4)});
  }
  FARM_RETURN_IF_ERROR(q.status());
  return out;
}

}  // namespace mcutune::device_farm
