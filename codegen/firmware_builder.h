// Building firmware: C sources + the measurement harness -> .elf/.bin for a
// board (arm-none-eabi-gcc), or a host executable (system gcc) that runs the
// same harness for fast verification.
//
//   sources (generated model, kernels) ─┐
//   codegen/firmware/ (harness, startup, ├─► BuildFirmware(board) ─► work_dir/firmware.{elf,bin,map,ld}
//     semihosting, SHA-256)             ─┘   BuildHost()          ─► work_dir/firmware_host
//
// A build that fails to compile or does not fit the board is a BuildResult
// with ok == false (the stage, the overflow per region, the log), not an
// error status: the tuner records it and goes on. Error statuses are kept for
// problems of the request or the machine (bad options, no toolchain, an
// unwritable work dir). Every tool runs through base::RunSubprocess with an
// argument vector; no path reaches a shell; each tool process runs under the
// kernel resource limits of FirmwareBuildOptions::limits (a generated source
// that makes the compiler explode fails the build instead of the machine).
//
// Thread-safe: concurrent builds are fine as long as their work_dirs differ.
#ifndef MCUTUNE_CODEGEN_FIRMWARE_BUILDER_H_
#define MCUTUNE_CODEGEN_FIRMWARE_BUILDER_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/subprocess.h"
#include "codegen/linker_script.h"
#include "tuner/space/board.h"

namespace mcutune::codegen {

// Kernel limits for one compiler / linker / host-tool process:
//   address space 4 GiB   peak RSS ~240 MB building the 13 MB weights file
//                         of MobileNetV2 1.0 (3.5 MB of int8 weights)
//   CPU time      600 s   above the default 120 s wall timeout per tool; a
//                         backstop when the timeout is raised or infinite
//   file size     1 GiB   objects, ELF and map files are a few MiB
//   open files    1024
//   processes     unset   RLIMIT_NPROC counts every process of the user
inline base::SubprocessLimits DefaultToolLimits() {
  base::SubprocessLimits l;
  l.address_space_bytes = int64_t{4} << 30;
  l.cpu_seconds = 600;
  l.file_size_bytes = int64_t{1} << 30;
  l.open_files = 1024;
  return l;
}

struct FirmwareBuildOptions {
  // Where every output goes; created if missing. Required.
  std::string work_dir;
  // The model's C sources (generated code, kernels). Paths are used as given
  // (relative ones against the current directory). Required.
  std::vector<std::string> sources;
  // Extra -I directories; the firmware include root (FirmwareIncludeRoot())
  // is always on the path so "codegen/firmware/model_api.h" resolves.
  std::vector<std::string> include_dirs;
  // -DNAME=value. Names must be C identifiers; values may not contain
  // whitespace or quotes. E.g. {"MCUTUNE_RUNS", "4"}.
  std::vector<std::pair<std::string, std::string>> defines;
  // "O2" (default), "Os", "O3", "O1" or "O0".
  std::string opt_level = "O2";
  // Add the harness (main, SHA-256, platform). Off when `sources` bring
  // their own main. Board builds always get the start-up code and
  // semihosting (codegen/firmware/cortex_m/).
  bool with_harness = true;
  // Board builds: talk semihosting (QEMU, debugger). Off for bare boards read
  // back through the RAM result block (pyOCD).
  bool semihosting = true;
  // Board builds: the stack region of the linker script.
  int64_t stack_bytes = 8 * 1024;
  // Board builds: an EXTFLASH region for the external-flash image (see
  // linker_script.h); 0 bytes = none (the image then sits in FLASH).
  // firmware.bin leaves that section out; it goes to ext_flash.bin.
  int64_t ext_flash_origin = 0;
  int64_t ext_flash_bytes = 0;
  // Likewise the EXTRAM region of a preloaded external-RAM constants image
  // (left out of firmware.bin, no file of its own: QEMU loads the ELF).
  int64_t ext_ram_image_origin = 0;
  int64_t ext_ram_image_bytes = 0;
  // Tools: "<prefix>gcc", "<prefix>objcopy", "<prefix>size"; host compiler.
  std::string toolchain_prefix = "arm-none-eabi-";
  std::string host_compiler = "gcc";
  // Per tool invocation.
  absl::Duration timeout = absl::Seconds(120);
  // Resource limits of every tool process (see DefaultToolLimits()).
  base::SubprocessLimits limits = DefaultToolLimits();
  // Parallel compiler processes; 0 = one per hardware thread.
  int jobs = 0;
};

enum class BuildStage { kCompile, kLink, kPostLink, kDone };
const char* BuildStageName(BuildStage stage);  // "compile", "link", ...

struct BuildResult {
  bool ok = false;
  // kDone when ok; otherwise the stage that failed.
  BuildStage stage = BuildStage::kCompile;
  // Non-empty when the link failed because the image does not fit.
  std::vector<RegionOverflow> overflows;
  // From ld --print-memory-usage (board builds that linked).
  std::vector<RegionUsage> regions;
  // Allocated sections and their sizes (arm-none-eabi-size -A).
  std::map<std::string, int64_t> sections;
  int64_t flash_bytes = 0;  // image in flash: FLASH region use
  int64_t ext_flash_bytes = 0;  // EXTFLASH region use (0 without it)
  int64_t ram_bytes = 0;    // static RAM incl. stack and arena
  int64_t arena_bytes = 0;  // the .arena section
  std::string elf_path, bin_path, map_path, linker_script_path;
  std::string ext_flash_bin_path;  // the EXTFLASH image, when there is one
  std::string host_executable;  // BuildHost only
  std::string toolchain_version;  // e.g. "arm-none-eabi-gcc (15:12.2.rel1-1) 12.2.1 20221205"
  std::string log;  // every command line and its output, in order

  // Overflow of `region` in bytes, 0 if it fit.
  int64_t overflow_bytes(const std::string& region) const;
};

// Builds for `board`: -mcpu from board.core, -mfpu/-mfloat-abi=hard when
// board.fpu, the generated linker script, -ffunction-sections/--gc-sections,
// -nostartfiles with newlib-nano + nosys. Errors: INVALID_ARGUMENT (options,
// unsupported core), NOT_FOUND (toolchain missing), PERMISSION_DENIED /
// INTERNAL (work dir).
absl::StatusOr<BuildResult> BuildFirmware(const space::BoardSpec& board,
                                          const FirmwareBuildOptions& options);

// Builds a host executable with options.host_compiler and the host platform
// (output on stdout, timer in ns, $MCUTUNE_ARGS for "runs=N warmup=N").
// Same error contract as BuildFirmware.
absl::StatusOr<BuildResult> BuildHost(const FirmwareBuildOptions& options);

// Compiler flags selecting the core and FPU, e.g. {"-mcpu=cortex-m7",
// "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"}. INVALID_ARGUMENT for
// an unknown core.
absl::StatusOr<std::vector<std::string>> CoreFlags(const space::BoardSpec& board);

// Directory holding codegen/firmware/ (the source tree this binary was built
// from, or $MCUTUNE_FIRMWARE_ROOT).
std::string FirmwareIncludeRoot();

// First line of `<compiler> --version`, cached per compiler. NOT_FOUND if the
// compiler is missing.
absl::StatusOr<std::string> CompilerVersion(const std::string& compiler);

}  // namespace mcutune::codegen

#endif  // MCUTUNE_CODEGEN_FIRMWARE_BUILDER_H_
