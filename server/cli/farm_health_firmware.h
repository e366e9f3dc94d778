// The farm's known-answer firmware: the health check of a board is a run of
// the stand-in model (codegen/firmware/stand_in) whose output hash is known
// in advance.
//
//   BoardSpec ──BuildHealthArtifact(spec, cache_dir)──► Artifact
//     cache_dir/<kind>/firmware.elf   arm-none-eabi-gcc build for the board
//     cache_dir/<kind>/report.json    expected_output_sha256: from a HOST
//                                     build of the same sources (system gcc,
//                                     same harness and golden input), so the
//                                     expected hash never comes from the
//                                     board that is being checked
//     cache_dir/<kind>/stamp          hash of the firmware sources, the board
//                                     fields that reach the compiler and the
//                                     toolchain: rebuilt when any changes
//
// Lives with the CLI because it needs both codegen/ (to build) and
// device_farm/ (the Artifact), which are peers. Tests reuse it.
// Thread-safe for distinct cache dirs; concurrent processes on one cache dir
// build into private temporary directories and rename into place.
#ifndef MCUTUNE_SERVER_CLI_FARM_HEALTH_FIRMWARE_H_
#define MCUTUNE_SERVER_CLI_FARM_HEALTH_FIRMWARE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "device_farm/board.h"
#include "tuner/space/board.h"

namespace mcutune::cli {

// Builds (or reuses) the health-check artifact of `board` under cache_dir.
// Virtual boards get a semihosting build, real ones a bare build read back
// through the RAM result block. Errors: NOT_FOUND (no toolchain or host
// compiler), INTERNAL (the known firmware failed to build or its host run
// failed: a broken installation), PERMISSION_DENIED (cache dir).
absl::StatusOr<device_farm::Artifact> BuildHealthArtifact(
    const space::BoardSpec& board, const std::string& cache_dir);

// Output hash of `sources` (+ the harness) built for and run on the host
// with `defines`, in `work_dir`: the reference for firmware whose model is
// plain C (the stand-in and its test variants). INTERNAL when the build or
// the run fails, NOT_FOUND without a host compiler.
absl::StatusOr<std::string> HostOutputSha256(
    const std::vector<std::string>& sources,
    const std::vector<std::pair<std::string, std::string>>& defines,
    const std::string& work_dir);

// <FirmwareIncludeRoot()>/codegen/firmware/stand_in/stand_in_model.c
std::string StandInModelSource();

}  // namespace mcutune::cli

#endif  // MCUTUNE_SERVER_CLI_FARM_HEALTH_FIRMWARE_H_
