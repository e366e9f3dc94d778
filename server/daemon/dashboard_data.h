// DashboardData: what the web dashboard shows beyond the Tuning API
// (docs/dashboard.md), as JSON text for http_dashboard_api.cc.
//
//   candidate key ──► tuner::Store row ──► the job's model, board, request
//        ├─ CandidatePlan: the candidate re-planned with steps and buffers
//        │   (execution order from the bundle's report.json when built) ──►
//        │   per-step SRAM live bytes by role, peak, MACs per operator
//        └─ CandidateMeasurements: the farm runs of the candidate, every
//            measurement, the spread of its firmware on its board kind, and
//            the prediction against the measurement
//   Farm: scheduler boards (+ remote agents) with health, quarantine,
//        queue depth per kind and utilisation over the last hour
//   DrainBoard / EnableBoard: the scheduler's Drain / Enable
//   Firmware: firmware.elf / firmware.bin of a built candidate
//
// Inputs are validated here (job ids and keys as safe path components,
// formats from a fixed list); errors are absl::Status with the API's
// canonical codes (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION).
// Re-planning is cached (a few planning contexts, recent plans).
// Thread-safe.
#ifndef MCUTUNE_SERVER_DAEMON_DASHBOARD_DATA_H_
#define MCUTUNE_SERVER_DAEMON_DASHBOARD_DATA_H_

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner/space/board.h"
#include "tuner/store.h"
#include "tuner/tune_request.h"

namespace mcutune::device_farm {
class Scheduler;
}

namespace mcutune::server {

class AgentRegistry;

struct DashboardDataOptions {
  std::string builds_dir;      // absolute (the daemon's data_dir/builds)
  int max_plan_steps = 20000;  // longer schedules are cut (steps_truncated)
  int cached_contexts = 4;     // planning contexts kept (per job and board)
  int cached_plans = 64;       // plan JSON answers kept
  int64_t max_firmware_bytes = int64_t{64} << 20;
};

struct FirmwareFile {
  std::string file_name;  // "<job>-<board>-<candidate>.elf"
  std::string bytes;
};

class DashboardData {
 public:
  // `scheduler` and `agents` may be null (no farm / no agents).
  DashboardData(tuner::Store* store, device_farm::Scheduler* scheduler,
                AgentRegistry* agents, std::vector<space::BoardSpec> catalogue,
                DashboardDataOptions options);
  ~DashboardData();

  // {"key", "strategy", "peak_sram_bytes", "stored_peak_sram_bytes",
  //  "order_from", "memory" {...}, "steps" [...], "peak_live_step",
  //  "peak_live_bytes", "ops" [...], "steps_truncated"} (dashboard.md).
  absl::StatusOr<std::string> CandidatePlan(const std::string& job_id,
                                            const std::string& key);
  // {"key", "runs" [...], "measurements" [...], "spread" {...},
  //  "prediction" {...}}.
  absl::StatusOr<std::string> CandidateMeasurements(const std::string& job_id,
                                                    const std::string& key);
  // {"boards" [...], "queue" [...], "window_s", "now"}.
  absl::StatusOr<std::string> Farm();
  absl::Status DrainBoard(const std::string& uri);
  absl::Status EnableBoard(const std::string& uri);
  // format: "elf" | "bin".
  absl::StatusOr<FirmwareFile> Firmware(const std::string& job_id,
                                        const std::string& key,
                                        const std::string& format);

 private:
  struct Context;
  // A candidate with its job, the job's request and its board.
  struct Resolved {
    tuner::JobRecord job;
    tuner::TuneRequest request;
    tuner::CandidateRecord candidate;
    space::BoardSpec board;
  };
  absl::StatusOr<Resolved> Resolve(const std::string& job_id,
                                   const std::string& key);
  absl::StatusOr<Context*> ContextFor(const Resolved& r);
  absl::Status CheckBoardUri(const std::string& uri);

  tuner::Store* store_;
  device_farm::Scheduler* scheduler_;
  AgentRegistry* agents_;
  std::vector<space::BoardSpec> catalogue_;
  DashboardDataOptions options_;
  std::mutex mu_;  // the caches; planning runs under it
  std::deque<std::pair<std::string, std::unique_ptr<Context>>> contexts_;
  std::deque<std::pair<std::string, std::string>> plans_;
};

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_DASHBOARD_DATA_H_
