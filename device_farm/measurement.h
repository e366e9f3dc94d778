// What one run of a firmware on a board measured.
//
// The device farm takes a firmware artifact and a run request and returns a
// Measurement; it knows nothing about models. The firmware harness
// (codegen/firmware/harness.c) reports raw timer ticks; the board turns them
// into a count with a unit and says how it was obtained:
//   real silicon   DWT CYCCNT          -> cycles
//   QEMU           SysTick + -icount   -> instructions (exact up to one tick)
//   host build     CLOCK_MONOTONIC     -> nanoseconds (informative only)
// A run that hangs, faults or prints garbage is still a Measurement, with a
// status other than kOk; only infrastructure problems are error statuses.
#ifndef MCUTUNE_DEVICE_FARM_MEASUREMENT_H_
#define MCUTUNE_DEVICE_FARM_MEASUREMENT_H_

#include <cstdint>
#include <string>

namespace mcutune::device_farm {

enum class RunStatus {
  kOk,            // "ok": result line parsed, status ok
  kHarnessError,  // "harness_error": the harness rejected the model/input
  kOutputVaries,  // "output_varies": repeated inferences disagreed
  kFault,         // "fault": HardFault & co., reported by the firmware
  kTimeout,       // "timeout": killed at the deadline (hang, lockup)
  kCrashed,       // "crashed": the emulator/process died without a result
  kBadOutput,     // "bad_output": no or unparseable result line
};
const char* RunStatusName(RunStatus status);

enum class CountUnit { kNone, kCycles, kInstructions, kNanoseconds };
const char* CountUnitName(CountUnit unit);  // "none", "cycles", ...

struct Measurement {
  RunStatus status = RunStatus::kBadOutput;
  std::string error;  // why, when status != kOk (fault registers, log tail)

  // The count over `runs` measured inferences (warm-up excluded) and per
  // inference; `counted_by` explains the method and conversion, e.g.
  // "qemu icount shift=6, SysTick 25 MHz: instructions = ticks * 40 / 64".
  CountUnit unit = CountUnit::kNone;
  std::string counted_by;
  int64_t raw_ticks = 0;
  int64_t total_count = 0;
  double per_inference = 0;
  int runs = 0;
  int warmup = 0;

  std::string output_sha256;  // 64 lowercase hex digits
  int64_t input_bytes = 0;
  int64_t output_bytes = 0;
  int64_t stack_high_water_bytes = 0;
  int64_t stack_bytes = 0;
  int64_t arena_bytes = 0;
  int64_t flash_bytes = 0;
  int64_t ram_bytes = 0;

  std::string board;       // e.g. "qemu:mps2-an500"
  int exit_code = -1;      // of the emulator / process, -1 if killed
  double wall_seconds = 0;
  std::string raw_log;     // the console output (bounded)
};

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_MEASUREMENT_H_
