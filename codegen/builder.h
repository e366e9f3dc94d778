// Builder: a planned candidate becomes firmware for a board.
//
//   Plan + BoardSpec ──Build──► emit (emitter.h) into work_dir
//                              + kernel library and firmware sources copied
//                                next to it (a self-contained bundle)
//                              ──BuildFirmware (firmware_builder.h)──►
//                                firmware.{elf,bin,map,ld} | stage + overflow
//
// A candidate that cannot be emitted, compiled or linked is a ModelBuild
// with ok == false and the failing stage ("emit", "compile", "link",
// "post-link"), the linker's overflow per region in bytes, and the log: the
// tuner records it and moves on (TVM's BuilderResult). Error statuses are
// kept for the request and the machine (bad options, no toolchain, an
// unwritable work dir).
//
// External memories of tinyops plans. QEMU has no SDRAM or QSPI model, so
// on QEMU stand-ins both live in the machine's 16 MiB PSRAM: external RAM
// in its first half (MCUTUNE_EXT_RAM_ADDR, see ExtRamAddress), the
// external-flash image in its second half (ExtFlashAddress): a loadable
// section in a linker region of the board's declared external-flash size,
// which QEMU's ELF loader fills (firmware.bin leaves it out; it is
// ext_flash.bin). Constants a plan keeps in external RAM (boards without
// QSPI flash) are likewise linked at their place in the PSRAM
// (MCUTUNE_EXT_RAM_IMAGE; init() then copies nothing). On other boards
// external RAM is a static array (the board support must place it in SDRAM)
// and both images are linked into internal flash (init() copies the RAM
// one). Thread-safe for distinct work dirs.
#ifndef MCUTUNE_CODEGEN_BUILDER_H_
#define MCUTUNE_CODEGEN_BUILDER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/emitter.h"
#include "codegen/firmware_builder.h"
#include "graph/graph.h"
#include "tuner/space/board.h"
#include "tuner/space/plan.h"

namespace mcutune::codegen {

struct BuilderOptions {
  graph::RequantMode requant = graph::RequantMode::kSingleRounding;
  // Where the bundle and the build outputs go. Required.
  std::string work_dir;
  // Raw int8 input embedded in the firmware (else the golden generator).
  std::optional<std::vector<int8_t>> input;
  // Toolchain, optimisation, stack, harness knobs; work_dir and sources are
  // set by the Builder. E.g. defines {"MCUK_PORTABLE", ""} for the portable
  // kernel path.
  FirmwareBuildOptions firmware;
};

struct ModelBuild {
  bool ok = false;
  std::string stage;  // "done" or the failing stage
  std::string error;  // emit errors
  EmittedModel model;  // sizes and files (empty when emit failed)
  BuildResult firmware;
  // The C sources of the bundle (generated + kernels), relative to
  // work_dir, and the -D flags used: what the bundle's Makefile compiles.
  std::vector<std::string> sources;
  std::vector<std::pair<std::string, std::string>> defines;
};

class Builder {
 public:
  virtual ~Builder() = default;
  // Emits and builds `plan` for `board`. Errors: INVALID_ARGUMENT (options,
  // unsupported core), NOT_FOUND (toolchain), PERMISSION_DENIED (work dir).
  virtual absl::StatusOr<ModelBuild> Build(const space::Plan& plan,
                                           const space::BoardSpec& board) = 0;
};

// A Builder for `graph` (kept by reference: it must outlive the builder).
std::unique_ptr<Builder> MakeBuilder(const graph::Graph& graph,
                                     BuilderOptions options);

// The address of a QEMU machine's PSRAM standing in for external RAM
// ("0x21000000" on mps2-an385/386, "0x60000000" on mps2-an500,
// "0x80000000" on mps2-an505), or ""
// when the machine has none / the board is not virtual.
std::string ExtRamAddress(const space::BoardSpec& board);

// Where the external-flash image goes on a QEMU stand-in: 8 MiB into the
// PSRAM of ExtRamAddress (external RAM keeps [0, 8 MiB)), or -1 when the
// board has no QSPI flash, no PSRAM, or external memories larger than
// 8 MiB.
int64_t ExtFlashAddress(const space::BoardSpec& board);

}  // namespace mcutune::codegen

#endif  // MCUTUNE_CODEGEN_BUILDER_H_
