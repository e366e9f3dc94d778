// Parsing the harness's result line out of a console log.
//
// The firmware prints exactly one line
//   MCUTUNE_RESULT {"v":1,"status":"ok","timer":"systick","ticks":123,...}
// (see codegen/firmware/harness.c and result_block.h). Board output is
// untrusted: every field is type- and range-checked here, once, and anything
// else is rejected. Thread-safe (pure functions).
#ifndef MCUTUNE_DEVICE_FARM_RESULT_LINE_H_
#define MCUTUNE_DEVICE_FARM_RESULT_LINE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "device_farm/measurement.h"

namespace mcutune::device_farm {

struct HarnessReport {
  RunStatus status = RunStatus::kOk;  // kOk, kHarnessError, kOutputVaries, kFault
  std::string error;                  // harness error text / fault registers
  std::string timer;                  // "dwt_cyccnt", "systick", "host_ns", "none"
  int64_t ticks = 0;
  int runs = 0;
  int warmup = 0;
  std::string output_sha256;
  int64_t input_bytes = 0, output_bytes = 0;
  int64_t stack_high_water_bytes = 0, stack_bytes = 0;
  int64_t arena_bytes = 0, flash_bytes = 0, ram_bytes = 0;
};

inline constexpr char kResultPrefix[] = "MCUTUNE_RESULT ";

// The last result line in `log`. NOT_FOUND when there is none;
// INVALID_ARGUMENT when it is malformed (bad JSON, missing or out-of-range
// field, unknown status or timer, hash not 64 hex digits).
absl::StatusOr<HarnessReport> ParseResultLine(const std::string& log);

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_RESULT_LINE_H_
