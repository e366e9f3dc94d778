// Fuzzing entry points: one function per fuzz target, shared by the libFuzzer
// executables (tests/fuzz/fuzz_*_main.cc, built with MCUTUNE_FUZZ=ON and
// clang; scripts/fuzz.sh runs them) and the regression test of the normal
// build (tests/fuzz/fuzz_regressions_test.cc), which replays every file of
// tests/fuzz/regressions/<target>/ through the same function.
//
//   bytes ──FuzzXxx──► absl::Status
//     OK                the input was accepted and every check passed
//     any error but     the product code rejected the input (expected: most
//     INTERNAL          fuzz inputs are malformed)
//     INTERNAL          a broken invariant (a bug): e.g. a validated graph
//                       that fails validation again, an encode/decode round
//                       trip that changes the bytes
// A crash, a sanitizer report, a leak, a hang or a huge allocation is a bug
// too; the libFuzzer wrappers abort on INTERNAL so all bugs look alike.
//
// Inputs of the multi-parser targets start with a selector byte (its value
// modulo the number of modes) that picks the parser for the rest:
//   fuzz_request_validators: RequestMode
//   fuzz_firmware_output:    FirmwareMode
// fuzz_tflite_reader takes a whole .tflite file.
//
// Thread-compatible; the first call loads the board catalogue
// (configs/boards, or $MCUTUNE_BOARDS_DIR) once.
#ifndef MCUTUNE_TESTS_FUZZ_FUZZ_ENTRIES_H_
#define MCUTUNE_TESTS_FUZZ_FUZZ_ENTRIES_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace mcutune::fuzz {

// What `mcutune inspect` does with a model file: ImportTflite, then (when it
// imports) ValidateGraph, Analyze and the table, CSV and JSON renderings,
// checking the analysis' documented invariants.
absl::Status FuzzTfliteReader(const uint8_t* data, size_t size);

enum class RequestMode : uint8_t {
  kTuneRequestJson = 0,   // TuneRequestFromJson + ValidateTuneRequest
  kSweepDefinition = 1,   // ParseSweepDefinition against the catalogue
  kDaemonConfig = 2,      // ParseDaemonConfig
  kStartTuningProto = 3,  // binary StartTuningRequest -> FromProto -> validate
  kStartTuningJson = 4,   // the HTTP API's JSON body of the same request
  kCronSchedule = 5,      // CronSchedule::Parse + Next/Previous
};
inline constexpr int kRequestModes = 6;

// The daemon's request validation at the door.
absl::Status FuzzRequestValidators(const uint8_t* data, size_t size);

enum class FirmwareMode : uint8_t {
  kConsoleLog = 0,   // ParseResultLine over a console log
  kResultBlock = 1,  // DecodeResultBlock over raw bytes (104 when valid)
  kResultHex = 2,    // HexToBytes (as the pyOCD bridge prints) + decode
};
inline constexpr int kFirmwareModes = 3;

// What a board sends back: the MCUTUNE_RESULT line and the RAM result block.
absl::Status FuzzFirmwareOutput(const uint8_t* data, size_t size);

// `payload` prefixed with the selector byte of `mode` (seeds, tests).
std::string WithMode(RequestMode mode, const std::string& payload);
std::string WithMode(FirmwareMode mode, const std::string& payload);

// Silences the product's loggers (a fuzzer runs millions of inputs).
void QuietLogs();

}  // namespace mcutune::fuzz

#endif  // MCUTUNE_TESTS_FUZZ_FUZZ_ENTRIES_H_
