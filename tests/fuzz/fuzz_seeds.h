// Seed inputs of the fuzz targets (fuzz_entries.h), generated, never copied.
//
//   MakeSeeds(target, options) ──► [Seed{name, bytes, expect}]
//       ├── tools/make_fuzz_seeds writes them to <build>/fuzz-seeds/<target>/
//       │   (scripts/fuzz.sh), the starting corpus of each fuzzer
//       └── fuzz_regressions_test replays them: a valid seed must be
//           accepted, a bad one rejected with an ordinary error
//
// Seeds are valid inputs built the way the product builds them (probe graphs
// and zoo models written by the TFLite writer, requests serialized by the
// daemon's own converters, result lines in the harness's format, result
// blocks by EncodeResultBlock, the shipped configs) plus a few edge cases.
// Optional: the .tflite files of a local models directory (the shared test
// models), copied into the build tree only.
#ifndef MCUTUNE_TESTS_FUZZ_FUZZ_SEEDS_H_
#define MCUTUNE_TESTS_FUZZ_FUZZ_SEEDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mcutune::fuzz {

// What the entry function must answer for a seed.
enum class Expect {
  kOk,     // accepted, every check passed
  kError,  // rejected with an ordinary (non-INTERNAL) error
  kAny,    // either (third-party models may use unsupported operators)
};

struct Seed {
  std::string name;  // file name: [a-z0-9_.-]
  std::string bytes;
  Expect expect = Expect::kAny;
};

struct SeedOptions {
  std::string source_dir;   // repository root: configs/mcutuned.json, sweeps
  bool zoo_models = false;  // synthesize every zoo architecture (seed 1)
  std::string models_dir;   // "" = none; else every *.tflite in it (kAny)
};

// The fuzz target names, as the executables and regression dirs are named.
inline constexpr const char* kFuzzTargets[] = {
    "fuzz_tflite_reader", "fuzz_request_validators", "fuzz_firmware_output"};

// INVALID_ARGUMENT for an unknown target; errors of the zoo or config files
// pass through (a broken shipped file is worth failing on).
absl::StatusOr<std::vector<Seed>> MakeSeeds(const std::string& target,
                                            const SeedOptions& options);

}  // namespace mcutune::fuzz

#endif  // MCUTUNE_TESTS_FUZZ_FUZZ_SEEDS_H_
