// The sweep runner: one run of a nightly sweep, item by item.
//
//   for each (model, board kind, constraint) item of the definition:
//     inputs = model hash, board kind, toolchain, codegen version,
//              cost model version, request          (sweep_inputs.h)
//     changed since the item's last done run?  ──yes──► tune: an ordinary
//         tuning job (JobRunner, priority kSweepJobPriority) → its measured
//         front becomes the item's points
//     unchanged, re-measurement due?  ──yes──► remeasure: the last front's
//         firmware measured again on the farm (same artifacts, repeats)
//     otherwise ──► skip (no job, no build, no farm run)
//     drift: every point against the previous point of the same candidate
//            (front_regression; same artifact → a pair for board_shift)
//   per board kind: board_shift from the same-artifact pairs; the cost
//     model's MAPE on the run's points against its reference
//     (cost_model_error); the run's measurements become cost-model samples
//     (source "sweep") and, when they tell the model something new, a refit
//     is stored as a new version (the old ones stay)
//   report: Markdown + JSON under reports_dir/<sweep>/<run>.{md,json}
//
// A refit caused by the sweep's own measurements does not make its items
// "changed" next time: the items of the run record the new version.
// Items run one at a time, so a sweep occupies at most one job slot, and
// its jobs and farm runs have a lower priority than interactive ones.
// Thread-safety: ExecuteSweepRun may run concurrently with readers of the
// stores; one run at a time per sweep (SweepManager ensures it).
#ifndef MCUTUNE_TUNER_SWEEP_RUNNER_H_
#define MCUTUNE_TUNER_SWEEP_RUNNER_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tuner/job_runner.h"
#include "tuner/measurer.h"
#include "tuner/store.h"
#include "tuner/sweep_definition.h"
#include "tuner/sweep_store.h"

namespace mcutune::cost_model {
class ModelStore;
}

namespace mcutune::tuner {

// Interactive jobs have priority 0 (higher runs first).
inline constexpr int kSweepJobPriority = -10;

// What sweeps use of the daemon. Pointers are not owned and must outlive
// the runs.
struct SweepEnvironment {
  Store* store = nullptr;                        // models, jobs, candidates
  JobRunner* runner = nullptr;                   // runs the sweep's tuning jobs
  Measurer* measurer = nullptr;                  // re-measurements
  cost_model::ModelStore* cost_store = nullptr;  // null: no cost-model work
  SweepStore* sweeps = nullptr;
  std::vector<space::BoardSpec> catalogue;
  std::string builds_dir;   // TuneEnvironment::builds_dir (absolute)
  std::string reports_dir;  // "" = no report files
  // Injectable for tests; defaults: absl::Now, ToolchainVersion,
  // CodegenVersion.
  std::function<absl::Time()> clock;
  std::function<std::string()> toolchain_version;
  std::function<std::string()> codegen_version;
  absl::Duration measure_timeout = absl::Seconds(120);
  int warmup = 1;
};

absl::Time SweepNow(const SweepEnvironment& env);

// Runs the queued run `run_id` of `definition` to its end: done (items may
// have failed: counts.failed), failed (every item failed) or interrupted
// (`stop` was set: the current job stays in the JobRunner and is adopted by
// the next run of the sweep). Returns an error only when the sweep store
// fails.
absl::Status ExecuteSweepRun(const SweepEnvironment& env,
                             const SweepDefinition& definition,
                             const std::string& run_id,
                             const std::atomic<bool>& stop);

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_SWEEP_RUNNER_H_
