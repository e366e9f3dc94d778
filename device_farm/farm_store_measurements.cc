// FarmStore: measurements and their spread.
// - RecordMeasurement is INSERT OR IGNORE on the unique key (run_id,
//   repeat_index, attempt): a worker that retries a write after an error
//   never stores a measurement twice. repeats_done is recomputed from the
//   table in the same transaction.
// - Spreads use one measurement per (run, repeat): the latest ok attempt, so
//   a repeat measured twice (a lease lost mid-run) is not counted twice.
#include <algorithm>
#include <cmath>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "device_farm/farm_store.h"
#include "device_farm/farm_store_internal.h"

namespace mcutune::device_farm {

using store_internal::BindTime;
using store_internal::ColumnTime;

namespace {

constexpr const char* kMeasurementColumns =
    "id, run_id, repeat_index, attempt, board_uri, board_kind, "
    "artifact_sha256, toolchain_version, unit, counted_by, raw_ticks, "
    "total_count, per_inference, runs, warmup, output_sha256, "
    "expected_output_sha256, output_matches, input_bytes, output_bytes, "
    "stack_high_water_bytes, stack_bytes, arena_bytes, flash_bytes, "
    "ram_bytes, status, error, board, exit_code, wall_seconds, started_at, "
    "finished_at";

absl::StatusOr<CountUnit> ParseUnit(const std::string& name) {
  for (CountUnit u : {CountUnit::kNone, CountUnit::kCycles,
                      CountUnit::kInstructions, CountUnit::kNanoseconds}) {
    if (name == CountUnitName(u)) return u;
  }
  return absl::DataLossError(absl::StrCat("unknown unit '", name, "'"));
}

absl::StatusOr<MeasurementRecord> ReadMeasurement(const base::Statement& s) {
  MeasurementRecord r;
  r.id = s.ColumnInt64(0);
  r.run_id = s.ColumnInt64(1);
  r.repeat_index = static_cast<int>(s.ColumnInt64(2));
  r.attempt = static_cast<int>(s.ColumnInt64(3));
  r.board_uri = s.ColumnText(4);
  r.board_kind = s.ColumnText(5);
  r.artifact_sha256 = s.ColumnText(6);
  r.toolchain_version = s.ColumnText(7);
  Measurement& m = r.measurement;
  FARM_ASSIGN_OR_RETURN(m.unit, ParseUnit(s.ColumnText(8)));
  m.counted_by = s.ColumnText(9);
  m.raw_ticks = s.ColumnInt64(10);
  m.total_count = s.ColumnInt64(11);
  m.per_inference = s.ColumnDouble(12);
  m.runs = static_cast<int>(s.ColumnInt64(13));
  m.warmup = static_cast<int>(s.ColumnInt64(14));
  m.output_sha256 = s.ColumnText(15);
  r.expected_output_sha256 = s.ColumnText(16);
  if (!s.IsNull(17)) r.output_matches = s.ColumnInt64(17) != 0;
  m.input_bytes = s.ColumnInt64(18);
  m.output_bytes = s.ColumnInt64(19);
  m.stack_high_water_bytes = s.ColumnInt64(20);
  m.stack_bytes = s.ColumnInt64(21);
  m.arena_bytes = s.ColumnInt64(22);
  m.flash_bytes = s.ColumnInt64(23);
  m.ram_bytes = s.ColumnInt64(24);
  FARM_ASSIGN_OR_RETURN(m.status, ParseRunStatus(s.ColumnText(25)));
  m.error = s.ColumnText(26);
  m.board = s.ColumnText(27);
  m.exit_code = static_cast<int>(s.ColumnInt64(28));
  m.wall_seconds = s.ColumnDouble(29);
  r.started_at = ColumnTime(s, 30);
  r.finished_at = ColumnTime(s, 31);
  return r;
}

// The latest ok measurement of each (run, repeat) among `where`.
std::string LatestOkPerRepeat(const std::string& where) {
  return absl::StrCat(
      "SELECT per_inference, unit FROM farm_measurements m WHERE ", where,
      " AND status = 'ok' AND attempt = (SELECT MAX(attempt) FROM "
      "farm_measurements m2 WHERE m2.run_id = m.run_id AND m2.repeat_index = "
      "m.repeat_index AND m2.status = 'ok') ORDER BY run_id, repeat_index");
}

absl::StatusOr<Spread> SpreadOf(base::Statement& q) {
  std::vector<double> values;
  std::string unit;
  while (q.Step()) {
    const std::string u = q.ColumnText(1);
    if (!unit.empty() && u != unit) {
      return absl::FailedPreconditionError(absl::StrCat(
          "measurements mix units '", unit, "' and '", u, "'"));
    }
    unit = u;
    values.push_back(q.ColumnDouble(0));
  }
  FARM_RETURN_IF_ERROR(q.status());
  return ComputeSpread(std::move(values), unit);
}

}  // namespace

Spread ComputeSpread(std::vector<double> values, const std::string& unit) {
  Spread s;
  s.unit = unit;
  s.count = static_cast<int>(values.size());
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.min = values.front();
  s.max = values.back();
  const size_t n = values.size();
  s.median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / n;
  double sq = 0;
  for (double v : values) sq += (v - s.mean) * (v - s.mean);
  s.stddev = std::sqrt(sq / n);
  return s;
}

absl::StatusOr<bool> FarmStore::RecordMeasurement(
    const MeasurementRecord& r, absl::Time now) {
  if (r.run_id <= 0 || r.repeat_index < 0 || r.attempt < 1) {
    return absl::InvalidArgumentError(
        "measurement needs a run id, repeat_index >= 0 and attempt >= 1");
  }
  bool inserted = false;
  FARM_RETURN_IF_ERROR(db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(
        base::Statement s,
        db_->Prepare(absl::StrCat(
            "INSERT OR IGNORE INTO farm_measurements (",
            std::string(kMeasurementColumns).substr(4),  // without "id, "
            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
            "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
            "?27, ?28, ?29, ?30, ?31)")));
    const Measurement& m = r.measurement;
    s.Bind(1, r.run_id).Bind(2, r.repeat_index).Bind(3, r.attempt);
    s.Bind(4, r.board_uri).Bind(5, r.board_kind).Bind(6, r.artifact_sha256);
    s.Bind(7, r.toolchain_version).Bind(8, CountUnitName(m.unit));
    s.Bind(9, m.counted_by).Bind(10, m.raw_ticks).Bind(11, m.total_count);
    s.Bind(12, m.per_inference).Bind(13, m.runs).Bind(14, m.warmup);
    s.Bind(15, m.output_sha256).Bind(16, r.expected_output_sha256);
    if (r.output_matches) {
      s.Bind(17, *r.output_matches ? 1 : 0);
    } else {
      s.BindNull(17);
    }
    s.Bind(18, m.input_bytes).Bind(19, m.output_bytes);
    s.Bind(20, m.stack_high_water_bytes).Bind(21, m.stack_bytes);
    s.Bind(22, m.arena_bytes).Bind(23, m.flash_bytes).Bind(24, m.ram_bytes);
    s.Bind(25, RunStatusName(m.status)).Bind(26, m.error).Bind(27, m.board);
    s.Bind(28, m.exit_code).Bind(29, m.wall_seconds);
    BindTime(s, 30, r.started_at);
    BindTime(s, 31, r.finished_at);
    FARM_RETURN_IF_ERROR(s.Run());
    inserted = db_->Changes() > 0;
    if (!inserted) return absl::OkStatus();
    FARM_ASSIGN_OR_RETURN(
        base::Statement u,
        db_->Prepare("UPDATE farm_runs SET repeats_done = (SELECT "
                     "COUNT(DISTINCT repeat_index) FROM farm_measurements "
                     "WHERE run_id = ?1 AND status = 'ok'), updated_at = ?2 "
                     "WHERE id = ?1"));
    u.Bind(1, r.run_id);
    BindTime(u, 2, now);
    return u.Run();
  }));
  return inserted;
}

absl::StatusOr<std::vector<MeasurementRecord>> FarmStore::Measurements(
    int64_t run_id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(
      base::Statement q,
      db_->Prepare(absl::StrCat("SELECT ", kMeasurementColumns,
                                " FROM farm_measurements WHERE run_id = ?1 "
                                "ORDER BY repeat_index, attempt")));
  q.Bind(1, run_id);
  std::vector<MeasurementRecord> out;
  while (q.Step()) {
    FARM_ASSIGN_OR_RETURN(MeasurementRecord r, ReadMeasurement(q));
    out.push_back(std::move(r));
  }
  FARM_RETURN_IF_ERROR(q.status());
  return out;
}

absl::StatusOr<Spread> FarmStore::RunSpread(int64_t run_id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(base::Statement q,
                        db_->Prepare(LatestOkPerRepeat("run_id = ?1")));
  q.Bind(1, run_id);
  return SpreadOf(q);
}

absl::StatusOr<Spread> FarmStore::ArtifactSpread(
    const std::string& artifact_sha256, const std::string& board_kind) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(
      base::Statement q,
      db_->Prepare(LatestOkPerRepeat("artifact_sha256 = ?1 AND board_kind = ?2")));
  q.Bind(1, artifact_sha256).Bind(2, board_kind);
  return SpreadOf(q);
}

}  // namespace mcutune::device_farm
