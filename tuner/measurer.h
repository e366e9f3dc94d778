// Measurer: how the tuning loop gets firmware measured on the farm.
//
//   TuneJob ──MeasureBatch([{job, board kind, build dir}...])──► Measurer
//              ◄── [MeasureResult {Measurement, board uri, run id} | error]
//
// The production implementation (MakeSchedulerMeasurer) submits one run per
// request to the device farm's Scheduler (device_farm/scheduler.h) with
// tag = job id and waits for them; the farm shares its boards between all
// jobs (priority, then jobs in turn) and keeps the queue in SQLite. Requests
// are idempotent per (job, board kind, artifact hash): a run submitted
// before a daemon restart is found again by its tag and artifact and waited
// for instead of being submitted twice, so a resumed job neither loses nor
// duplicates a measurement.
//
// Thread-safety: MeasureBatch may be called from several jobs' threads at
// once.
#ifndef MCUTUNE_TUNER_MEASURER_H_
#define MCUTUNE_TUNER_MEASURER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "device_farm/measurement.h"

namespace mcutune::device_farm {
class Scheduler;
}

namespace mcutune::tuner {

struct MeasureRequest {
  std::string job_id;      // the farm run's tag
  std::string board_kind;  // catalogue id
  std::string build_dir;   // absolute; holds firmware.elf and report.json
  int runs = 3;            // measured inferences per firmware run
  int warmup = 1;
  absl::Duration timeout = absl::Seconds(120);  // one firmware run
  int priority = 0;  // the farm run's priority (higher first; sweeps < 0)
  int repeats = 1;   // farm repeats of the firmware (re-measurements: > 1)
};

struct MeasureResult {
  // Infrastructure outcome: OK when `measurement` is filled (whatever its
  // RunStatus); CANCELLED / ABORTED when the batch was interrupted (the
  // run was cancelled / left queued for a restarted daemon); the farm's
  // error otherwise (e.g. FAILED_PRECONDITION no board of the kind).
  absl::Status status;
  device_farm::Measurement measurement;
  std::string board_uri;
  std::string run_id;  // the farm's run id, for the candidate row
  // per_inference of every ok repeat, in repeat order (size <= repeats).
  std::vector<double> repeat_counts;
};

// What to do while waiting: return kCancel to cancel the job's runs, kAbort
// to stop waiting but leave them queued (daemon shutdown), kContinue.
enum class WaitDecision { kContinue, kCancel, kAbort };

class Measurer {
 public:
  virtual ~Measurer() = default;
  // Measures every request; results in request order. Checks `poll` about
  // every 250 ms while waiting.
  virtual std::vector<MeasureResult> MeasureBatch(
      const std::vector<MeasureRequest>& requests,
      const std::function<WaitDecision()>& poll) = 0;
  // Cancels every unfinished farm run of `job_id` (job cancelled).
  virtual void CancelJob(const std::string& job_id) = 0;
};

// Over a running Scheduler (not owned; must outlive the measurer).
std::unique_ptr<Measurer> MakeSchedulerMeasurer(
    device_farm::Scheduler* scheduler);

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_MEASURER_H_
