// DashboardData: measurements of a candidate, the farm view, board actions
// and firmware files (dashboard_data.h).
// - Measurements come from the farm store by the candidate's run ids; the
//   spread is over every ok measurement of the same firmware (artifact
//   SHA-256) on the board kind, so repeated jobs add to it.
// - Queue depth and utilisation are read from the farm's tables in one
//   query each (farm_runs by state and kind; farm_run_attempts overlapping
//   the last hour, clipped to it, per board): busy seconds / (window x
//   slots).
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "device_farm/scheduler.h"
#include "server/daemon/agent_registry.h"
#include "server/daemon/dashboard_data.h"

namespace mcutune::server {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr int64_t kWindowSeconds = 3600;

std::string Time(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

Json SpreadJson(const device_farm::Spread& s) {
  if (s.count == 0) return nullptr;
  return {{"count", s.count},   {"unit", s.unit}, {"min", s.min},
          {"median", s.median}, {"max", s.max},   {"mean", s.mean},
          {"stddev", s.stddev}};
}

}  // namespace

absl::StatusOr<std::string> DashboardData::CandidateMeasurements(
    const std::string& job_id, const std::string& key) {
  absl::StatusOr<Resolved> r = Resolve(job_id, key);
  if (!r.ok()) return r.status();
  const tuner::CandidateRecord& c = r->candidate;
  Json runs = Json::array(), measurements = Json::array();
  Json spread = nullptr;
  if (scheduler_ != nullptr) {
    device_farm::FarmStore& farm = scheduler_->store();
    for (absl::string_view part : absl::StrSplit(
             c.measurement_ids, absl::ByAnyChar(", "), absl::SkipEmpty())) {
      int64_t id = 0;
      if (!absl::SimpleAtoi(part, &id) || id <= 0) continue;
      absl::StatusOr<device_farm::RunRecord> run = farm.GetRun(id);
      if (!run.ok()) continue;  // e.g. a store reset: show what is left
      runs.push_back({{"id", run->id},
                      {"state", device_farm::RunStateName(run->state)},
                      {"board_kind", run->request.board_kind},
                      {"attempts", run->attempts},
                      {"failures", run->failures},
                      {"last_status", run->last_status},
                      {"last_error", run->last_error},
                      {"artifact_sha256", run->request.artifact.sha256},
                      {"created_at", Time(run->created_at)},
                      {"updated_at", Time(run->updated_at)}});
      absl::StatusOr<std::vector<device_farm::MeasurementRecord>> ms =
          farm.Measurements(id);
      if (ms.ok()) {
        for (const device_farm::MeasurementRecord& m : *ms) {
          const device_farm::Measurement& x = m.measurement;
          measurements.push_back(
              {{"run_id", m.run_id},
               {"repeat", m.repeat_index},
               {"attempt", m.attempt},
               {"board_uri", m.board_uri},
               {"status", device_farm::RunStatusName(x.status)},
               {"unit", device_farm::CountUnitName(x.unit)},
               {"per_inference", x.per_inference},
               {"total_count", x.total_count},
               {"runs", x.runs},
               {"warmup", x.warmup},
               {"output_matches", m.output_matches.has_value()
                                      ? Json(*m.output_matches)
                                      : Json(nullptr)},
               {"stack_high_water_bytes", x.stack_high_water_bytes},
               {"wall_seconds", x.wall_seconds},
               {"counted_by", x.counted_by},
               {"error", x.error},
               {"started_at", Time(m.started_at)},
               {"finished_at", Time(m.finished_at)}});
        }
      }
      if (spread.is_null()) {
        absl::StatusOr<device_farm::Spread> s = farm.ArtifactSpread(
            run->request.artifact.sha256, run->request.board_kind);
        if (s.ok()) spread = SpreadJson(*s);
      }
    }
  }
  const bool has_prediction = !c.predicted_unit.empty() && c.predicted > 0;
  const bool has_measurement = c.measured > 0 && !c.measured_unit.empty();
  const bool comparable =
      has_prediction && has_measurement && c.predicted_unit == c.measured_unit;
  Json prediction = {
      {"latency", has_prediction ? Json(c.predicted) : Json(nullptr)},
      {"low", has_prediction ? Json(c.predicted_low) : Json(nullptr)},
      {"high", has_prediction ? Json(c.predicted_high) : Json(nullptr)},
      {"unit", c.predicted_unit},
      {"model", c.predictor},
      {"measured", has_measurement ? Json(c.measured) : Json(nullptr)},
      {"measured_unit", c.measured_unit},
      {"comparable", comparable},
      {"error_pct", comparable
                        ? Json(100.0 * (c.predicted - c.measured) / c.measured)
                        : Json(nullptr)},
      {"within_interval", comparable ? Json(c.measured >= c.predicted_low &&
                                            c.measured <= c.predicted_high)
                                     : Json(nullptr)}};
  Json j = {{"key", c.key()},
            {"runs", std::move(runs)},
            {"measurements", std::move(measurements)},
            {"spread", std::move(spread)},
            {"prediction", std::move(prediction)}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<std::string> DashboardData::Farm() {
  Json boards = Json::array(), queue = Json::array();
  const absl::Time now = absl::Now();
  if (scheduler_ != nullptr) {
    absl::StatusOr<std::vector<device_farm::BoardStatus>> status =
        scheduler_->Boards();
    if (!status.ok()) return status.status();
    std::map<std::string, AgentRegistry::RemoteBoardInfo> remote;
    if (agents_ != nullptr) {
      for (AgentRegistry::RemoteBoardInfo& b : agents_->RemoteBoards()) {
        remote[b.uri] = b;
      }
    }
    // Busy microseconds per board over the window, and queue depth per kind.
    std::map<std::string, std::pair<int64_t, int64_t>> busy;   // us, attempts
    std::map<std::string, std::pair<int64_t, int64_t>> depth;  // queued, leased
    {
      base::Database& db = scheduler_->store().db();
      std::lock_guard<std::recursive_mutex> lock(db.mutex());
      const int64_t now_us = absl::ToUnixMicros(now);
      const int64_t since = now_us - kWindowSeconds * 1000000;
      absl::StatusOr<base::Statement> q = db.Prepare(
          "SELECT board_uri, SUM(MIN(COALESCE(finished_at, ?1), ?1) - "
          "MAX(started_at, ?2)), COUNT(*) FROM farm_run_attempts WHERE "
          "COALESCE(finished_at, ?1) > ?2 AND started_at < ?1 "
          "GROUP BY board_uri");
      if (!q.ok()) return q.status();
      q->Bind(1, now_us).Bind(2, since);
      while (q->Step()) {
        busy[q->ColumnText(0)] = {q->ColumnInt64(1), q->ColumnInt64(2)};
      }
      if (!q->status().ok()) return q->status();
      absl::StatusOr<base::Statement> d = db.Prepare(
          "SELECT board_kind, state, COUNT(*) FROM farm_runs WHERE state IN "
          "('queued', 'leased') GROUP BY board_kind, state");
      if (!d.ok()) return d.status();
      while (d->Step()) {
        auto& e = depth[d->ColumnText(0)];
        (d->ColumnText(1) == "queued" ? e.first : e.second) = d->ColumnInt64(2);
      }
      if (!d->status().ok()) return d->status();
    }
    for (const device_farm::BoardStatus& b : *status) {
      const device_farm::BoardRecord& rec = b.record;
      std::string state = device_farm::BoardStateName(rec.state);
      if (rec.state == device_farm::BoardState::kActive) {
        state = b.running.empty() ? "idle" : "busy";
      }
      auto rb = remote.find(rec.uri);
      const auto used = busy[rec.uri];
      const double capacity =
          static_cast<double>(kWindowSeconds) * 1e6 * std::max(1, b.slots);
      boards.push_back(
          {{"uri", rec.uri},
           {"kind", rec.kind},
           {"slots", b.slots},
           {"state", state},
           {"farm_state", device_farm::BoardStateName(rec.state)},
           {"running", b.running},
           {"consecutive_failures", rec.consecutive_failures},
           {"quarantine_reason", rec.quarantine_reason},
           {"health_check_failures", rec.health_check_failures},
           {"next_health_check_at",
            rec.state == device_farm::BoardState::kQuarantined
                ? Time(rec.next_health_check_at)
                : ""},
           {"updated_at", Time(rec.updated_at)},
           {"remote", rb != remote.end()},
           {"agent", rb != remote.end() ? rb->second.agent : ""},
           {"agent_online", rb != remote.end() && rb->second.online},
           {"busy_seconds", static_cast<double>(used.first) / 1e6},
           {"attempts", used.second},
           {"utilisation",
            std::min(1.0, static_cast<double>(used.first) / capacity)}});
    }
    for (const auto& [kind, d] : depth) {
      queue.push_back(
          {{"kind", kind}, {"queued", d.first}, {"leased", d.second}});
    }
  }
  Json j = {{"boards", std::move(boards)},
            {"queue", std::move(queue)},
            {"window_s", kWindowSeconds},
            {"now", Time(now)}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::Status DashboardData::CheckBoardUri(const std::string& uri) {
  if (uri.empty() || uri.size() > 300) {
    return absl::InvalidArgumentError("uri: a board URI of the farm");
  }
  for (unsigned char ch : uri) {
    if (ch < 0x21 || ch > 0x7e) {
      return absl::InvalidArgumentError("uri: printable ASCII only");
    }
  }
  if (scheduler_ == nullptr) {
    return absl::FailedPreconditionError("this daemon has no farm");
  }
  return absl::OkStatus();
}

absl::Status DashboardData::DrainBoard(const std::string& uri) {
  if (absl::Status s = CheckBoardUri(uri); !s.ok()) return s;
  return scheduler_->Drain(uri);
}

absl::Status DashboardData::EnableBoard(const std::string& uri) {
  if (absl::Status s = CheckBoardUri(uri); !s.ok()) return s;
  return scheduler_->Enable(uri);
}

absl::StatusOr<FirmwareFile> DashboardData::Firmware(
    const std::string& job_id, const std::string& key,
    const std::string& format) {
  if (format != "elf" && format != "bin") {
    return absl::InvalidArgumentError("format: elf | bin");
  }
  absl::StatusOr<Resolved> r = Resolve(job_id, key);
  if (!r.ok()) return r.status();
  const tuner::CandidateRecord& c = r->candidate;
  const bool built = c.state == tuner::CandidateState::kBuilt ||
                     c.state == tuner::CandidateState::kMeasured ||
                     c.state == tuner::CandidateState::kMeasureFailed ||
                     c.state == tuner::CandidateState::kVerifyFailed;
  if (!built) {
    return absl::FailedPreconditionError(
        absl::StrCat("candidate ", c.key(), " is ",
                     tuner::CandidateStateName(c.state), ": no firmware"));
  }
  if (c.build_dir.empty() || fs::path(c.build_dir).is_absolute() ||
      c.build_dir.find("..") != std::string::npos) {
    return absl::InternalError(
        absl::StrCat("stored build dir of ", c.key(), " is not valid"));
  }
  const fs::path path =
      fs::path(options_.builds_dir) / c.build_dir / ("firmware." + format);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("the firmware of ", c.key(), " is no longer on disk"));
  }
  if (static_cast<int64_t>(size) > options_.max_firmware_bytes) {
    return absl::ResourceExhaustedError("firmware larger than the limit");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  FirmwareFile out;
  out.file_name =
      absl::StrCat(job_id, "-", c.board_kind, "-", c.candidate_id, ".", format);
  out.bytes = bytes.str();
  return out;
}

}  // namespace mcutune::server
