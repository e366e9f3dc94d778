// The sweeps' history tables (sweep_store.h): points (the measured front of
// every item in every run), alerts and cost-model rows, and the queries the
// runner and the API make over them ("newest" = highest id / rowid).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tuner/sweep_store.h"
#include "tuner/sweep_store_internal.h"

namespace mcutune::tuner {
namespace {

constexpr char kPointColumns[] =
    "id, sweep, run_id, item_key, time_ms, candidate, strategy, latency, unit, "
    "spread, repeats, peak_sram_bytes, flash_bytes, artifact_sha256, "
    "build_dir, job_id, remeasured";

SweepPoint ReadPoint(const base::Statement& s) {
  SweepPoint p;
  p.id = s.ColumnInt64(0);
  p.sweep = s.ColumnText(1);
  p.run_id = s.ColumnText(2);
  p.key = s.ColumnText(3);
  p.time_ms = s.ColumnInt64(4);
  p.candidate = s.ColumnText(5);
  p.strategy = s.ColumnText(6);
  p.latency = s.ColumnDouble(7);
  p.unit = s.ColumnText(8);
  p.spread = s.ColumnDouble(9);
  p.repeats = static_cast<int>(s.ColumnInt64(10));
  p.peak_sram_bytes = s.ColumnInt64(11);
  p.flash_bytes = s.ColumnInt64(12);
  p.artifact_sha256 = s.ColumnText(13);
  p.build_dir = s.ColumnText(14);
  p.job_id = s.ColumnText(15);
  p.remeasured = s.ColumnInt64(16) != 0;
  return p;
}

constexpr char kAlertColumns[] =
    "id, sweep, run_id, created_ms, kind, severity, item_key, model, "
    "board_kind, constraint_name, candidate, previous, current, ratio, band, "
    "unit, message";

SweepAlert ReadAlert(const base::Statement& s) {
  SweepAlert a;
  a.id = s.ColumnInt64(0);
  a.sweep = s.ColumnText(1);
  a.run_id = s.ColumnText(2);
  a.created_ms = s.ColumnInt64(3);
  a.kind = s.ColumnText(4);
  a.severity = s.ColumnText(5);
  a.key = s.ColumnText(6);
  a.model = s.ColumnText(7);
  a.board_kind = s.ColumnText(8);
  a.constraint = s.ColumnText(9);
  a.candidate = s.ColumnText(10);
  a.previous = s.ColumnDouble(11);
  a.current = s.ColumnDouble(12);
  a.ratio = s.ColumnDouble(13);
  a.band = s.ColumnDouble(14);
  a.unit = s.ColumnText(15);
  a.message = s.ColumnText(16);
  return a;
}

constexpr char kCostColumns[] =
    "run_id, sweep, board_kind, version_used, version_new, mape_used, "
    "mape_new, reference_mape, points, samples, note";

SweepCostRow ReadCost(const base::Statement& s) {
  SweepCostRow r;
  r.run_id = s.ColumnText(0);
  r.sweep = s.ColumnText(1);
  r.board_kind = s.ColumnText(2);
  r.version_used = static_cast<int>(s.ColumnInt64(3));
  r.version_new = static_cast<int>(s.ColumnInt64(4));
  r.mape_used = s.ColumnDouble(5);
  r.mape_new = s.ColumnDouble(6);
  r.reference_mape = s.ColumnDouble(7);
  r.points = static_cast<int>(s.ColumnInt64(8));
  r.samples = static_cast<int>(s.ColumnInt64(9));
  r.note = s.ColumnText(10);
  return r;
}

}  // namespace

// ------------------------------------------------------------------ points

absl::Status SweepStore::AddPoints(const std::vector<SweepPoint>& points) {
  if (points.empty()) return absl::OkStatus();
  return db_->Transaction([&]() -> absl::Status {
    for (const SweepPoint& p : points) {
      SWEEP_ASSIGN(
          q,
          db_->Prepare("INSERT INTO sweep_points (sweep, run_id, item_key, "
                       "time_ms, candidate, strategy, latency, unit, spread, "
                       "repeats, peak_sram_bytes, flash_bytes, "
                       "artifact_sha256, build_dir, job_id, remeasured) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                       "?11, ?12, ?13, ?14, ?15, ?16)"));
      q.Bind(1, p.sweep).Bind(2, p.run_id).Bind(3, p.key).Bind(4, p.time_ms);
      q.Bind(5, p.candidate).Bind(6, p.strategy).Bind(7, p.latency);
      q.Bind(8, p.unit).Bind(9, p.spread).Bind(10, p.repeats);
      q.Bind(11, p.peak_sram_bytes).Bind(12, p.flash_bytes);
      q.Bind(13, p.artifact_sha256).Bind(14, p.build_dir).Bind(15, p.job_id);
      q.Bind(16, p.remeasured ? 1 : 0);
      if (absl::Status s = q.Run(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SweepPoint>> SweepStore::LastFront(
    const std::string& sweep, const std::string& key,
    const std::string& exclude_run) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  std::string run;
  {
    SWEEP_ASSIGN(q, db_->Prepare("SELECT run_id FROM sweep_points WHERE sweep "
                                 "= ?1 AND item_key = ?2 AND run_id != ?3 "
                                 "ORDER BY id DESC LIMIT 1"));
    q.Bind(1, sweep).Bind(2, key).Bind(3, exclude_run);
    if (!q.Step()) {
      if (!q.status().ok()) return q.status();
      return std::vector<SweepPoint>();
    }
    run = q.ColumnText(0);
  }
  SWEEP_ASSIGN(q, db_->Prepare(absl::StrCat(
                      "SELECT ", kPointColumns,
                      " FROM sweep_points WHERE sweep = ?1 AND item_key = ?2 "
                      "AND run_id = ?3 ORDER BY id")));
  q.Bind(1, sweep).Bind(2, key).Bind(3, run);
  std::vector<SweepPoint> out;
  while (q.Step()) out.push_back(ReadPoint(q));
  if (!q.status().ok()) return q.status();
  return out;
}

absl::StatusOr<std::optional<SweepPoint>> SweepStore::PreviousPoint(
    const std::string& sweep, const std::string& key,
    const std::string& candidate, const std::string& exclude_run) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  SWEEP_ASSIGN(q, db_->Prepare(absl::StrCat(
                      "SELECT ", kPointColumns,
                      " FROM sweep_points WHERE sweep = ?1 AND item_key = ?2 "
                      "AND candidate = ?3 AND run_id != ?4 ORDER BY id DESC "
                      "LIMIT 1")));
  q.Bind(1, sweep).Bind(2, key).Bind(3, candidate).Bind(4, exclude_run);
  if (!q.Step()) {
    if (!q.status().ok()) return q.status();
    return std::optional<SweepPoint>();
  }
  return std::optional<SweepPoint>(ReadPoint(q));
}

absl::StatusOr<std::vector<SweepPoint>> SweepStore::Points(
    const std::string& sweep, const std::string& run_id, int limit) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  SWEEP_ASSIGN(q, db_->Prepare(absl::StrCat(
                      "SELECT * FROM (SELECT ", kPointColumns,
                      " FROM sweep_points WHERE sweep = ?1 AND (?2 = '' OR "
                      "run_id = ?2) ORDER BY id DESC LIMIT ?3) ORDER BY id")));
  q.Bind(1, sweep).Bind(2, run_id).Bind(3, limit);
  std::vector<SweepPoint> out;
  while (q.Step()) out.push_back(ReadPoint(q));
  if (!q.status().ok()) return q.status();
  return out;
}

// ------------------------------------------------------------------ alerts

absl::Status SweepStore::AddAlerts(const std::vector<SweepAlert>& alerts) {
  if (alerts.empty()) return absl::OkStatus();
  return db_->Transaction([&]() -> absl::Status {
    for (const SweepAlert& a : alerts) {
      SWEEP_ASSIGN(
          q,
          db_->Prepare("INSERT INTO sweep_alerts (sweep, run_id, created_ms, "
                       "kind, severity, item_key, model, board_kind, "
                       "constraint_name, candidate, previous, current, "
                       "ratio, band, unit, message) VALUES (?1, ?2, ?3, ?4, "
                       "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                       "?16)"));
      q.Bind(1, a.sweep).Bind(2, a.run_id).Bind(3, a.created_ms);
      q.Bind(4, a.kind).Bind(5, a.severity).Bind(6, a.key).Bind(7, a.model);
      q.Bind(8, a.board_kind).Bind(9, a.constraint).Bind(10, a.candidate);
      q.Bind(11, a.previous).Bind(12, a.current).Bind(13, a.ratio);
      q.Bind(14, a.band).Bind(15, a.unit).Bind(16, a.message);
      if (absl::Status s = q.Run(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SweepAlert>> SweepStore::Alerts(
    const std::string& sweep, const std::string& run_id, int limit) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  SWEEP_ASSIGN(q, db_->Prepare(absl::StrCat(
                      "SELECT ", kAlertColumns,
                      " FROM sweep_alerts WHERE sweep = ?1 AND (?2 = '' OR "
                      "run_id = ?2) ORDER BY id DESC LIMIT ?3")));
  q.Bind(1, sweep).Bind(2, run_id).Bind(3, limit);
  std::vector<SweepAlert> out;
  while (q.Step()) out.push_back(ReadAlert(q));
  if (!q.status().ok()) return q.status();
  return out;
}

// ------------------------------------------------------------- cost models

absl::Status SweepStore::PutCostRow(const SweepCostRow& r) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  SWEEP_ASSIGN(q,
               db_->Prepare(absl::StrCat(
                   "INSERT OR REPLACE INTO sweep_cost_models (", kCostColumns,
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")));
  q.Bind(1, r.run_id).Bind(2, r.sweep).Bind(3, r.board_kind);
  q.Bind(4, r.version_used).Bind(5, r.version_new).Bind(6, r.mape_used);
  q.Bind(7, r.mape_new).Bind(8, r.reference_mape).Bind(9, r.points);
  q.Bind(10, r.samples).Bind(11, r.note);
  return q.Run();
}

absl::StatusOr<std::vector<SweepCostRow>> SweepStore::CostRows(
    const std::string& run_id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  SWEEP_ASSIGN(q, db_->Prepare(absl::StrCat(
                      "SELECT ", kCostColumns,
                      " FROM sweep_cost_models WHERE run_id = ?1 ORDER BY "
                      "board_kind")));
  q.Bind(1, run_id);
  std::vector<SweepCostRow> out;
  while (q.Step()) out.push_back(ReadCost(q));
  if (!q.status().ok()) return q.status();
  return out;
}

absl::StatusOr<std::optional<SweepCostRow>> SweepStore::PreviousCostRow(
    const std::string& sweep, const std::string& board_kind,
    const std::string& exclude_run) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  SWEEP_ASSIGN(q, db_->Prepare(absl::StrCat(
                      "SELECT ", kCostColumns,
                      " FROM sweep_cost_models WHERE sweep = ?1 AND "
                      "board_kind = ?2 AND run_id != ?3 AND points > 0 ORDER "
                      "BY rowid DESC LIMIT 1")));
  q.Bind(1, sweep).Bind(2, board_kind).Bind(3, exclude_run);
  if (!q.Step()) {
    if (!q.status().ok()) return q.status();
    return std::optional<SweepCostRow>();
  }
  return std::optional<SweepCostRow>(ReadCost(q));
}

}  // namespace mcutune::tuner
