// Names of the measurement enums (the JSON / CLI spelling).
#include "device_farm/measurement.h"

namespace mcutune::device_farm {

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kOk: return "ok";
    case RunStatus::kHarnessError: return "harness_error";
    case RunStatus::kOutputVaries: return "output_varies";
    case RunStatus::kFault: return "fault";
    case RunStatus::kTimeout: return "timeout";
    case RunStatus::kCrashed: return "crashed";
    case RunStatus::kBadOutput: return "bad_output";
  }
  return "?";
}

const char* CountUnitName(CountUnit unit) {
  switch (unit) {
    case CountUnit::kNone: return "none";
    case CountUnit::kCycles: return "cycles";
    case CountUnit::kInstructions: return "instructions";
    case CountUnit::kNanoseconds: return "nanoseconds";
  }
  return "?";
}

}  // namespace mcutune::device_farm
