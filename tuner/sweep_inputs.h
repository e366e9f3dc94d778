// What a sweep item's result depends on, so a sweep can skip what has not
// changed since it was last measured.
//
//   model bytes ─SHA-256─┐
//   board kind ──────────┤
//   toolchain version ───┤  (arm-none-eabi-gcc --version, first line)
//   codegen version ─────┼──► ItemInputs ──JSON──SHA-256──► fingerprint
//   cost model version ──┤  (newest "linear" version of the board kind)
//   request ─────────────┘  (constraint set, budget, batch, runs, seed)
//
// The codegen version is kCodegenVersion (bumped by hand when the emitter
// or planner changes what gets generated) plus a hash of the C sources every
// bundle compiles (codegen/kernels/ and codegen/firmware/ under
// codegen::FirmwareIncludeRoot(), read at call time), so an edited kernel
// re-tunes every sweep item without anybody remembering to bump a number.
// Thread-safe.
#ifndef MCUTUNE_TUNER_SWEEP_INPUTS_H_
#define MCUTUNE_TUNER_SWEEP_INPUTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "tuner/store.h"
#include "tuner/sweep_definition.h"

namespace mcutune::tuner {

// Bump when generated code changes for the same plan and kernel sources.
inline constexpr char kCodegenVersion[] = "codegen-1";

// "<kCodegenVersion>+<16 hex digits of SHA-256 over the kernel and firmware
// C sources under `root`>" (root "" = codegen::FirmwareIncludeRoot()).
std::string CodegenVersion(const std::string& root = "");
// First line of `arm-none-eabi-gcc --version`, or "unavailable: <why>".
std::string ToolchainVersion();

struct ItemInputs {
  std::string model_hash;
  std::string board_kind;
  std::string toolchain;
  std::string codegen;
  int cost_model_version = 0;  // 0 = no cost model of the kind
  std::string request_json;    // TuneRequestToJson without model and label
};

std::string ItemInputsToJson(const ItemInputs& inputs);
// INVALID_ARGUMENT for a row that is not what ItemInputsToJson wrote.
absl::StatusOr<ItemInputs> ItemInputsFromJson(const std::string& json);
// SHA-256 hex of ItemInputsToJson.
std::string Fingerprint(const ItemInputs& inputs);
// What differs, for the report ("toolchain: A -> B; cost model v1 -> v2"),
// "" when nothing does.
std::string DescribeChange(const ItemInputs& before, const ItemInputs& now);

// The .tflite bytes of a sweep model: the file's, or the zoo architecture
// synthesized with seed 1 (what `mcutune submit NAME` uploads).
absl::StatusOr<std::string> SweepModelBytes(const SweepModel& model);
// Imports `bytes` (the real TFLite reader) and stores the model with its
// summary and analysis unless its hash is already stored. Returns its id.
// INVALID_ARGUMENT when the importer rejects the bytes.
absl::StatusOr<std::string> StoreSweepModel(Store& store,
                                            const SweepModel& model,
                                            const std::string& bytes);

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_SWEEP_INPUTS_H_
