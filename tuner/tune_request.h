// TuneRequest: what a tuning job was asked to do, as the tuner sees it.
//
// The daemon translates the wire request (proto mcutune.v1.StartTuningRequest)
// into this value after validating it at the door; the store keeps it as JSON
// in the job row so a job resumed after a restart runs with exactly the
// request it was started with.
//
//   StartTuning (server/) ──ValidateTuneRequest──► TuneRequest
//        ──TuneRequestToJson──► tuner_jobs.request_json ──Parse──► TuneJob
//
// Plain values; functions are thread-safe.
#ifndef MCUTUNE_TUNER_TUNE_REQUEST_H_
#define MCUTUNE_TUNER_TUNE_REQUEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tuner/space/board.h"
#include "tuner/space/plan.h"

namespace mcutune::tuner {

enum class Objective { kLatency, kPeakSram, kFlash };
const char* ObjectiveName(
    Objective objective);  // "latency", "peak_sram", "flash"
absl::StatusOr<Objective> ParseObjective(const std::string& name);

// Bounds every request is checked against.
inline constexpr int kMaxBoardKinds = 16;
inline constexpr int kMaxMeasurementBudget = 10000;
inline constexpr int kMaxBatchSize = 64;
inline constexpr int kMaxRunsPerMeasurement = 100;
inline constexpr int kMaxNPatchLimit = 16;
inline constexpr size_t kMaxLabelChars = 200;
inline constexpr int kMaxJobPriority = 100;  // |priority| bound

struct TuneRequest {
  std::string model_id;                  // SHA-256 hex of the model bytes
  std::vector<std::string> board_kinds;  // catalogue ids, distinct
  int64_t sram_budget_bytes = 0;         // 0 = the board's usable SRAM
  int64_t flash_budget_bytes = 0;        // 0 = the board's usable flash
  bool allow_external_memory = true;
  int max_n_patch = 8;
  // Default (empty on input): latency, peak SRAM, flash.
  std::vector<Objective> objectives;
  int measurement_budget = 16;  // firmware measurements over all boards
  uint64_t seed = 1;
  int batch_size = 4;            // candidates built + measured per round
  int runs_per_measurement = 3;  // measured inferences per firmware run
  std::string label;
  // Farm and job-queue priority, higher first: interactive jobs 0, nightly
  // sweeps kSweepJobPriority (tuner/sweep_runner.h). Not on the wire.
  int priority = 0;
};

// Fills defaults (objectives) and checks every field against the bounds
// above and `catalogue`: unknown or repeated board kinds, impossible budgets
// (negative, below kMinUseful*Bytes, or above a requested board's total
// memory), out-of-range counts. INVALID_ARGUMENT
// naming the field (an unknown board kind lists the valid ones).
absl::Status ValidateTuneRequest(const std::vector<space::BoardSpec>& catalogue,
                                 TuneRequest* request);

// Smallest SRAM / flash budget that can hold any model at all (the input
// and output tensors of the smallest model plus code): below it a request is
// impossible rather than merely hard. A budget above the board's own memory
// is impossible too.
inline constexpr int64_t kMinUsefulSramBytes = 1024;
inline constexpr int64_t kMinUsefulFlashBytes = 8 * 1024;

// The space::Constraints of a request for enumeration on one board.
space::Constraints ConstraintsFor(const TuneRequest& request);

std::string TuneRequestToJson(const TuneRequest& request);
// INVALID_ARGUMENT on malformed JSON (an old or corrupted database row).
absl::StatusOr<TuneRequest> TuneRequestFromJson(const std::string& json);

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_TUNE_REQUEST_H_
