// TuneJob: one tuning job from a stored request to a measured Pareto front.
//
//   import + verify the model ─► expected output (reference interpreter)
//   enumerate (space::Enumerate per board kind, fitting candidates only)
//   loop until the measurement budget is spent or the strategy stops:
//     predict (Predictor: refit on the measurements so far)
//     choose a batch (SearchStrategy)
//     build (FirmwareFactory: bundle per candidate under builds_dir)
//     verify bit-exact on the host (FirmwareFactory::Verify)
//     measure on the farm (Measurer; output hash must match)
//     store; recompute the measured front per board kind
//   done: candidates on the measured front carry on_front = true; their
//         bundle directories are what GetBuild serves.
//
// Every step's result is written to the Store before the next step starts,
// so RunTuneJob on a job left "running" by a killed daemon resumes: measured
// and failed candidates are kept, candidates that were selected or built but
// not measured are taken up first (their farm runs found again by the
// Measurer), and progress counters are recomputed from the candidate rows.
// A failure of one candidate (build, verify, measurement) is data; the job
// fails only when it cannot go on (model unreadable, nothing fits, the
// database failing).
#ifndef MCUTUNE_TUNER_TUNE_JOB_H_
#define MCUTUNE_TUNER_TUNE_JOB_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tuner/firmware_factory.h"
#include "tuner/measurer.h"
#include "tuner/predictor.h"
#include "tuner/search_strategy.h"
#include "tuner/store.h"
#include "tuner/tune_request.h"

namespace mcutune::cost_model {
class ModelStore;
}

namespace mcutune::tuner {

struct TuneJobOptions {
  // Rounds without a change of the measured front before the job stops.
  int patience = 3;
  double explore_fraction = 0.25;
  // One firmware run on the farm (whole run, incl. flashing).
  absl::Duration measure_timeout = absl::Seconds(120);
  int warmup = 1;
  // Host verification of every built candidate before it is measured.
  bool verify_on_host = true;
};

// What a job offers its predictor.
struct PredictorContext {
  const graph::Graph* graph = nullptr;
  std::string model_id;  // SHA-256 of the .tflite
  std::string model_name;
  PlanSource full_plan;  // valid while the job runs
};

// What all jobs of a daemon share. Pointers are not owned and must outlive
// every RunTuneJob call.
struct TuneEnvironment {
  Store* store = nullptr;
  Measurer* measurer = nullptr;
  FirmwareFactory* firmware = nullptr;
  std::vector<space::BoardSpec> catalogue;
  // Absolute; a job's bundles go to builds_dir/<job>/<board kind>/<candidate>
  // (CandidateRecord::build_dir is relative to builds_dir).
  std::string builds_dir;
  // The cost model's store (calibration samples per board kind; the jobs'
  // measurements are added to it). With it the defaults are
  // MakeCostModelPredictor + MakeCostModelSelection, without it
  // MakeLinearPredictor + MakeFrontierSearch.
  cost_model::ModelStore* cost_store = nullptr;
  // Overrides of the defaults (tests).
  std::function<std::unique_ptr<Predictor>(const PredictorContext&)>
      make_predictor;
  std::function<std::unique_ptr<SearchStrategy>(const TuneRequest&)>
      make_strategy;
  TuneJobOptions options;
};

// How the caller stops a job: `cancel` (the user cancelled: the job ends
// cancelled, its farm runs are cancelled) or `stop` (the daemon shuts down:
// the job stays running in the store and resumes on the next start).
struct JobControl {
  std::atomic<bool> cancel{false};
  std::atomic<bool> stop{false};
};

// Runs (or resumes) job `job_id` until it is done, failed, cancelled, or
// stopped. Returns OK in all those cases (the outcome is in the store); an
// error only when the store itself fails (the job is then left as it was).
// A job already in a terminal state returns OK at once.
absl::Status RunTuneJob(const TuneEnvironment& env, const std::string& job_id,
                        const JobControl& control);

// A fresh job id: "j" + 12 lowercase hex digits (time-ordered, random tail).
std::string NewJobId();

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_TUNE_JOB_H_
