// The sweeps' SQLite tables (sweep_store.h): schema, schedules, runs and
// items here; points, alerts and cost rows in sweep_store_history.cc.
// - Tables are created IF NOT EXISTS (opening an existing file is a no-op).
// - Counts are stored as one JSON object per run; everything else in
//   columns, so the history queries (last front, previous point, previous
//   cost row) are single indexed SELECTs.
// - "Newest" means highest rowid: rows are only appended in time order.
#include "tuner/sweep_store.h"

#include <array>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tuner/store.h"
#include "tuner/sweep_store_internal.h"

namespace mcutune::tuner {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS sweep_schedule (
  name TEXT PRIMARY KEY,
  known_since_ms INTEGER NOT NULL,
  last_slot_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sweep_runs (
  id TEXT PRIMARY KEY,
  sweep TEXT NOT NULL,
  trigger TEXT NOT NULL,
  state TEXT NOT NULL,
  scheduled_for_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL,
  counts_json TEXT NOT NULL,
  error TEXT NOT NULL,
  definition_json TEXT NOT NULL,
  toolchain TEXT NOT NULL,
  codegen TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sweep_runs_by_sweep ON sweep_runs(sweep, created_ms);
CREATE TABLE IF NOT EXISTS sweep_items (
  run_id TEXT NOT NULL,
  sweep TEXT NOT NULL,
  item_key TEXT NOT NULL,
  model TEXT NOT NULL, model_hash TEXT NOT NULL,
  board_kind TEXT NOT NULL, constraint_name TEXT NOT NULL,
  action TEXT NOT NULL, reason TEXT NOT NULL, state TEXT NOT NULL,
  job_id TEXT NOT NULL, inputs_json TEXT NOT NULL, fingerprint TEXT NOT NULL,
  builds INTEGER NOT NULL, measurements INTEGER NOT NULL,
  farm_runs INTEGER NOT NULL, error TEXT NOT NULL, updated_ms INTEGER NOT NULL,
  PRIMARY KEY (run_id, item_key));
CREATE INDEX IF NOT EXISTS sweep_items_by_key ON sweep_items(sweep, item_key);
CREATE TABLE IF NOT EXISTS sweep_points (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sweep TEXT NOT NULL, run_id TEXT NOT NULL, item_key TEXT NOT NULL,
  time_ms INTEGER NOT NULL, candidate TEXT NOT NULL, strategy TEXT NOT NULL,
  latency REAL NOT NULL, unit TEXT NOT NULL, spread REAL NOT NULL,
  repeats INTEGER NOT NULL, peak_sram_bytes INTEGER NOT NULL,
  flash_bytes INTEGER NOT NULL, artifact_sha256 TEXT NOT NULL,
  build_dir TEXT NOT NULL, job_id TEXT NOT NULL, remeasured INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sweep_points_by_key ON sweep_points(sweep, item_key, id);
CREATE INDEX IF NOT EXISTS sweep_points_by_run ON sweep_points(run_id, id);
CREATE TABLE IF NOT EXISTS sweep_alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sweep TEXT NOT NULL, run_id TEXT NOT NULL, created_ms INTEGER NOT NULL,
  kind TEXT NOT NULL, severity TEXT NOT NULL, item_key TEXT NOT NULL,
  model TEXT NOT NULL, board_kind TEXT NOT NULL, constraint_name TEXT NOT NULL,
  candidate TEXT NOT NULL, previous REAL NOT NULL, current REAL NOT NULL,
  ratio REAL NOT NULL, band REAL NOT NULL, unit TEXT NOT NULL,
  message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sweep_alerts_by_sweep ON sweep_alerts(sweep, id);
CREATE TABLE IF NOT EXISTS sweep_cost_models (
  run_id TEXT NOT NULL, sweep TEXT NOT NULL, board_kind TEXT NOT NULL,
  version_used INTEGER NOT NULL, version_new INTEGER NOT NULL,
  mape_used REAL NOT NULL, mape_new REAL NOT NULL, reference_mape REAL NOT NULL,
  points INTEGER NOT NULL, samples INTEGER NOT NULL, note TEXT NOT NULL,
  PRIMARY KEY (run_id, board_kind));
)sql";

const std::set<std::string> kRunStates = {"queued", "running", "done", "failed",
                                          "interrupted"};
const std::set<std::string> kItemStates = {"pending", "running", "done",
                                           "failed"};

using store_internal::BindAll;
using store_internal::InsertSql;
using store_internal::QueryFirstRow;
using store_internal::QueryRows;

// The counters of `c` by their name in counts_json.
std::array<std::pair<const char*, int*>, 10> CountFields(SweepCounts& c) {
  return {{{"items", &c.items},
           {"tuned", &c.tuned},
           {"remeasured", &c.remeasured},
           {"skipped", &c.skipped},
           {"failed", &c.failed},
           {"jobs", &c.jobs},
           {"builds", &c.builds},
           {"measurements", &c.measurements},
           {"farm_runs", &c.farm_runs},
           {"alerts", &c.alerts}}};
}

std::string CountsToJson(SweepCounts c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, value] : CountFields(c)) j[name] = *value;
  return j.dump();
}

absl::StatusOr<SweepCounts> CountsFromJson(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        "sweep_runs.counts_json is not an object");
  }
  SweepCounts c;
  for (const auto& [name, out] : CountFields(c)) {
    if (!j.contains(name)) continue;
    if (!j[name].is_number_integer()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sweep_runs.counts_json: bad ", name));
    }
    *out = j[name].get<int>();
  }
  return c;
}

constexpr char kRunColumns[] =
    "id, sweep, trigger, state, scheduled_for_ms, created_ms, started_ms, "
    "finished_ms, counts_json, error, definition_json, toolchain, codegen";

constexpr char kScheduleColumns[] = "name, known_since_ms, last_slot_ms";

SweepScheduleState ReadSchedule(const base::Statement& s) {
  SweepScheduleState r;
  r.name = s.ColumnText(0);
  r.known_since_ms = s.ColumnInt64(1);
  r.last_slot_ms = s.ColumnInt64(2);
  return r;
}

absl::StatusOr<SweepRunRecord> ReadRun(const base::Statement& s) {
  SweepRunRecord r;
  r.id = s.ColumnText(0);
  r.sweep = s.ColumnText(1);
  r.trigger = s.ColumnText(2);
  r.state = s.ColumnText(3);
  if (!kRunStates.count(r.state)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sweep run ", r.id, ": unknown state '", r.state, "'"));
  }
  r.scheduled_for_ms = s.ColumnInt64(4);
  r.created_ms = s.ColumnInt64(5);
  r.started_ms = s.ColumnInt64(6);
  r.finished_ms = s.ColumnInt64(7);
  absl::StatusOr<SweepCounts> c = CountsFromJson(s.ColumnText(8));
  if (!c.ok()) return c.status();
  r.counts = *c;
  r.error = s.ColumnText(9);
  r.definition_json = s.ColumnText(10);
  r.toolchain = s.ColumnText(11);
  r.codegen = s.ColumnText(12);
  return r;
}

constexpr char kItemColumns[] =
    "run_id, sweep, item_key, model, model_hash, board_kind, constraint_name, "
    "action, reason, state, job_id, inputs_json, fingerprint, builds, "
    "measurements, farm_runs, error, updated_ms";

// "SELECT <kItemColumns> FROM sweep_items <rest>".
std::string SelectItems(std::string_view rest) {
  return absl::StrCat("SELECT ", kItemColumns, " FROM sweep_items ",
                      std::string(rest));
}

absl::StatusOr<SweepItemRecord> ReadItem(const base::Statement& s) {
  SweepItemRecord r;
  r.run_id = s.ColumnText(0);
  r.sweep = s.ColumnText(1);
  r.key = s.ColumnText(2);
  r.model = s.ColumnText(3);
  r.model_hash = s.ColumnText(4);
  r.board_kind = s.ColumnText(5);
  r.constraint = s.ColumnText(6);
  r.action = s.ColumnText(7);
  r.reason = s.ColumnText(8);
  r.state = s.ColumnText(9);
  if (!kItemStates.count(r.state)) {
    return absl::InvalidArgumentError(absl::StrCat("sweep item ", r.run_id, "/",
                                                   r.key, ": unknown state '",
                                                   r.state, "'"));
  }
  r.job_id = s.ColumnText(10);
  r.inputs_json = s.ColumnText(11);
  r.fingerprint = s.ColumnText(12);
  r.builds = static_cast<int>(s.ColumnInt64(13));
  r.measurements = static_cast<int>(s.ColumnInt64(14));
  r.farm_runs = static_cast<int>(s.ColumnInt64(15));
  r.error = s.ColumnText(16);
  r.updated_ms = s.ColumnInt64(17);
  return r;
}

}  // namespace

bool IsTerminalSweepRunState(const std::string& state) {
  return state == "done" || state == "failed" || state == "interrupted";
}

std::string NewSweepRunId() {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  std::lock_guard<std::mutex> lock(mu);
  const int64_t secs = NowMs() / 1000 - 1704067200;
  return absl::StrFormat("r%08x%04x", static_cast<uint32_t>(secs),
                         static_cast<uint32_t>(rng() & 0xffff));
}

absl::StatusOr<std::unique_ptr<SweepStore>> SweepStore::Open(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<base::Database>> db =
      base::Database::Open(path);
  if (!db.ok()) return db.status();
  return Attach(std::shared_ptr<base::Database>(std::move(*db)));
}

absl::StatusOr<std::unique_ptr<SweepStore>> SweepStore::Attach(
    std::shared_ptr<base::Database> db) {
  std::unique_ptr<SweepStore> store(new SweepStore(std::move(db)));
  if (absl::Status s = store->CreateSchema(); !s.ok()) return s;
  return store;
}

absl::Status SweepStore::CreateSchema() {
  return db_->Transaction([&] { return db_->Exec(kSchema); });
}

// ---------------------------------------------------------------- schedule

absl::StatusOr<std::optional<SweepScheduleState>> SweepStore::GetSchedule(
    const std::string& name) {
  return QueryFirstRow(*db_, ReadSchedule,
                       absl::StrCat("SELECT ", kScheduleColumns,
                                    " FROM sweep_schedule WHERE name = ?1"),
                       name);
}

absl::Status SweepStore::PutSchedule(const SweepScheduleState& s) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  SWEEP_ASSIGN(q, db_->Prepare(InsertSql("INSERT OR REPLACE", "sweep_schedule",
                                         kScheduleColumns)));
  BindAll(q, s.name, s.known_since_ms, s.last_slot_ms);
  return q.Run();
}

// -------------------------------------------------------------------- runs

absl::Status SweepStore::CreateRun(const SweepRunRecord& r) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  {
    SWEEP_ASSIGN(q, db_->Prepare("SELECT 1 FROM sweep_runs WHERE id = ?1"));
    q.Bind(1, r.id);
    if (q.Step()) {
      return absl::AlreadyExistsError(absl::StrCat("sweep run ", r.id));
    }
  }
  SWEEP_ASSIGN(q, db_->Prepare(InsertSql("INSERT", "sweep_runs", kRunColumns)));
  BindAll(q, r.id, r.sweep, r.trigger, r.state, r.scheduled_for_ms,
          r.created_ms, r.started_ms, r.finished_ms, CountsToJson(r.counts),
          r.error, r.definition_json, r.toolchain, r.codegen);
  return q.Run();
}

absl::Status SweepStore::UpdateRun(const SweepRunRecord& r) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  SWEEP_ASSIGN(
      q, db_->Prepare("UPDATE sweep_runs SET state = ?2, started_ms = ?3, "
                      "finished_ms = ?4, counts_json = ?5, error = ?6, "
                      "toolchain = ?7, codegen = ?8 WHERE id = ?1"));
  BindAll(q, r.id, r.state, r.started_ms, r.finished_ms, CountsToJson(r.counts),
          r.error, r.toolchain, r.codegen);
  if (absl::Status s = q.Run(); !s.ok()) return s;
  if (db_->Changes() == 0) {
    return absl::NotFoundError(absl::StrCat("sweep run ", r.id));
  }
  return absl::OkStatus();
}

absl::StatusOr<SweepRunRecord> SweepStore::GetRun(const std::string& id) {
  absl::StatusOr<std::optional<SweepRunRecord>> r = QueryFirstRow(
      *db_, ReadRun,
      absl::StrCat("SELECT ", kRunColumns, " FROM sweep_runs WHERE id = ?1"),
      id);
  if (!r.ok()) return r.status();
  if (!r->has_value()) {
    return absl::NotFoundError(
        absl::StrCat("sweep run '", id.substr(0, 64), "' not found"));
  }
  return **std::move(r);
}

absl::StatusOr<std::vector<SweepRunRecord>> SweepStore::ListRuns(
    const std::string& sweep, int limit) {
  return QueryRows(*db_, ReadRun,
                   absl::StrCat("SELECT ", kRunColumns,
                                " FROM sweep_runs WHERE sweep = ?1 ORDER BY "
                                "created_ms DESC, rowid DESC LIMIT ?2"),
                   sweep, limit);
}

absl::StatusOr<std::vector<SweepRunRecord>> SweepStore::UnfinishedRuns() {
  return QueryRows(*db_, ReadRun,
                   absl::StrCat("SELECT ", kRunColumns,
                                " FROM sweep_runs WHERE state IN ('queued', "
                                "'running') ORDER BY created_ms, rowid"));
}

// ------------------------------------------------------------------- items

absl::Status SweepStore::PutItem(const SweepItemRecord& r) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  SWEEP_ASSIGN(q, db_->Prepare(InsertSql("INSERT OR REPLACE", "sweep_items",
                                         kItemColumns)));
  BindAll(q, r.run_id, r.sweep, r.key, r.model, r.model_hash, r.board_kind,
          r.constraint, r.action, r.reason, r.state, r.job_id, r.inputs_json,
          r.fingerprint, r.builds, r.measurements, r.farm_runs, r.error,
          r.updated_ms);
  return q.Run();
}

absl::StatusOr<std::vector<SweepItemRecord>> SweepStore::ListItems(
    const std::string& run_id) {
  return QueryRows(*db_, ReadItem,
                   SelectItems("WHERE run_id = ?1 ORDER BY rowid"), run_id);
}

absl::StatusOr<std::optional<SweepItemRecord>> SweepStore::LastDoneItem(
    const std::string& sweep, const std::string& key,
    const std::string& exclude_run) {
  return QueryFirstRow(*db_, ReadItem,
                       SelectItems("WHERE sweep = ?1 AND item_key = ?2 AND "
                                   "state = 'done' AND run_id != ?3 ORDER BY "
                                   "rowid DESC LIMIT 1"),
                       sweep, key, exclude_run);
}

absl::StatusOr<std::optional<SweepItemRecord>> SweepStore::InterruptedItem(
    const std::string& sweep, const std::string& key,
    const std::string& fingerprint) {
  return QueryFirstRow(
      *db_, ReadItem,
      SelectItems("i WHERE sweep = ?1 AND item_key = ?2 AND state = 'running' "
                  "AND job_id != '' AND fingerprint = ?3 AND EXISTS (SELECT 1 "
                  "FROM sweep_runs r WHERE r.id = i.run_id AND r.state = "
                  "'interrupted') ORDER BY i.rowid DESC LIMIT 1"),
      sweep, key, fingerprint);
}

absl::Status SweepStore::UpdateItemInputs(const std::string& run_id,
                                          const std::string& key,
                                          const std::string& inputs_json,
                                          const std::string& fingerprint) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  SWEEP_ASSIGN(q, db_->Prepare("UPDATE sweep_items SET inputs_json = ?3, "
                               "fingerprint = ?4 WHERE run_id = ?1 AND "
                               "item_key = ?2"));
  BindAll(q, run_id, key, inputs_json, fingerprint);
  return q.Run();
}

}  // namespace mcutune::tuner
