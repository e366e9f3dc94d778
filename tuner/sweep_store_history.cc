// The sweeps' history tables (sweep_store.h): points (the measured front of
// every item in every run), alerts and cost-model rows, and the queries the
// runner and the API make over them ("newest" = highest id / rowid).
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tuner/sweep_store.h"
#include "tuner/sweep_store_internal.h"

namespace mcutune::tuner {
namespace {

using store_internal::BindAll;
using store_internal::InsertSql;
using store_internal::QueryFirstRow;
using store_internal::QueryRows;

// The columns a point is written with; reads put the id in front (ReadPoint).
constexpr char kPointFields[] =
    "sweep, run_id, item_key, time_ms, candidate, strategy, latency, unit, "
    "spread, repeats, peak_sram_bytes, flash_bytes, artifact_sha256, "
    "build_dir, job_id, remeasured";

// "SELECT id, <kPointFields> FROM sweep_points <rest>".
std::string SelectPoints(std::string_view rest) {
  return absl::StrCat("SELECT id, ", kPointFields, " FROM sweep_points ",
                      std::string(rest));
}

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

// The columns an alert is written with; reads put the id in front.
constexpr char kAlertFields[] =
    "sweep, run_id, created_ms, kind, severity, item_key, model, board_kind, "
    "constraint_name, candidate, previous, current, ratio, band, unit, "
    "message";

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
  const std::string sql = InsertSql("INSERT", "sweep_points", kPointFields);
  return db_->Transaction([&]() -> absl::Status {
    for (const SweepPoint& p : points) {
      SWEEP_ASSIGN(q, db_->Prepare(sql));
      BindAll(q, p.sweep, p.run_id, p.key, p.time_ms, p.candidate, p.strategy,
              p.latency, p.unit, p.spread, p.repeats, p.peak_sram_bytes,
              p.flash_bytes, p.artifact_sha256, p.build_dir, p.job_id,
              p.remeasured ? 1 : 0);
      if (absl::Status s = q.Run(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SweepPoint>> SweepStore::LastFront(
    const std::string& sweep, const std::string& key,
    const std::string& exclude_run) {
  // One lock over both queries: the run found is the one whose front is read.
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<std::optional<std::string>> run = QueryFirstRow(
      *db_, [](const base::Statement& s) { return s.ColumnText(0); },
      "SELECT run_id FROM sweep_points WHERE sweep = ?1 AND item_key = ?2 AND "
      "run_id != ?3 ORDER BY id DESC LIMIT 1",
      sweep, key, exclude_run);
  if (!run.ok()) return run.status();
  if (!run->has_value()) return std::vector<SweepPoint>();
  return QueryRows(*db_, ReadPoint,
                   SelectPoints("WHERE sweep = ?1 AND item_key = ?2 AND "
                                "run_id = ?3 ORDER BY id"),
                   sweep, key, **run);
}

absl::StatusOr<std::optional<SweepPoint>> SweepStore::PreviousPoint(
    const std::string& sweep, const std::string& key,
    const std::string& candidate, const std::string& exclude_run) {
  return QueryFirstRow(*db_, ReadPoint,
                       SelectPoints("WHERE sweep = ?1 AND item_key = ?2 AND "
                                    "candidate = ?3 AND run_id != ?4 ORDER BY "
                                    "id DESC LIMIT 1"),
                       sweep, key, candidate, exclude_run);
}

absl::StatusOr<std::vector<SweepPoint>> SweepStore::Points(
    const std::string& sweep, const std::string& run_id, int limit) {
  return QueryRows(
      *db_, ReadPoint,
      absl::StrCat("SELECT * FROM (",
                   SelectPoints("WHERE sweep = ?1 AND (?2 = '' OR run_id = ?2) "
                                "ORDER BY id DESC LIMIT ?3"),
                   ") ORDER BY id"),
      sweep, run_id, limit);
}

// ------------------------------------------------------------------ alerts

absl::Status SweepStore::AddAlerts(const std::vector<SweepAlert>& alerts) {
  if (alerts.empty()) return absl::OkStatus();
  const std::string sql = InsertSql("INSERT", "sweep_alerts", kAlertFields);
  return db_->Transaction([&]() -> absl::Status {
    for (const SweepAlert& a : alerts) {
      SWEEP_ASSIGN(q, db_->Prepare(sql));
      BindAll(q, a.sweep, a.run_id, a.created_ms, a.kind, a.severity, a.key,
              a.model, a.board_kind, a.constraint, a.candidate, a.previous,
              a.current, a.ratio, a.band, a.unit, a.message);
      if (absl::Status s = q.Run(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SweepAlert>> SweepStore::Alerts(
    const std::string& sweep, const std::string& run_id, int limit) {
  return QueryRows(*db_, ReadAlert,
                   absl::StrCat("SELECT id, ", kAlertFields,
                                " FROM sweep_alerts WHERE sweep = ?1 AND (?2 = "
                                "'' OR run_id = ?2) ORDER BY id DESC LIMIT ?3"),
                   sweep, run_id, limit);
}

// ------------------------------------------------------------- cost models

absl::Status SweepStore::PutCostRow(const SweepCostRow& r) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  SWEEP_ASSIGN(q, db_->Prepare(InsertSql("INSERT OR REPLACE",
                                         "sweep_cost_models", kCostColumns)));
  BindAll(q, r.run_id, r.sweep, r.board_kind, r.version_used, r.version_new,
          r.mape_used, r.mape_new, r.reference_mape, r.points, r.samples,
          r.note);
  return q.Run();
}

absl::StatusOr<std::vector<SweepCostRow>> SweepStore::CostRows(
    const std::string& run_id) {
  return QueryRows(*db_, ReadCost,
                   absl::StrCat("SELECT ", kCostColumns,
                                " FROM sweep_cost_models WHERE run_id = ?1 "
                                "ORDER BY board_kind"),
                   run_id);
}

absl::StatusOr<std::optional<SweepCostRow>> SweepStore::PreviousCostRow(
    const std::string& sweep, const std::string& board_kind,
    const std::string& exclude_run) {
  return QueryFirstRow(
      *db_, ReadCost,
      absl::StrCat("SELECT ", kCostColumns,
                   " FROM sweep_cost_models WHERE sweep = ?1 AND board_kind = "
                   "?2 AND run_id != ?3 AND points > 0 ORDER BY rowid DESC "
                   "LIMIT 1"),
      sweep, board_kind, exclude_run);
}

}  // namespace mcutune::tuner
