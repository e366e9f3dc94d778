// Linker scripts that enforce a board's real memory.
//
// A candidate fits a board when its firmware links for it: the generated
// script declares FLASH and RAM regions of exactly the board's sizes at the
// board's link addresses (for a virtual board, where its QEMU machine maps
// memory, with the real board's limits), so GNU ld itself rejects a build
// that does not fit, and its "region `RAM' overflowed by N bytes" message
// becomes data (ParseLinkerOverflows).
//
//   BoardSpec ──GenerateLinkerScript──► firmware.ld ──arm-none-eabi-ld──► ok | overflow{RAM, N}
//
// RAM layout (low to high): stack | result block | .data | .bss | .arena.
// The stack comes first so an overflow runs off the bottom of RAM into a
// bus fault (and MSPLIM on v8-M) instead of silently into data. Flash:
// vector table (at the origin), .text, .rodata, .data initialisers.
// Symbols used by the firmware (codegen/firmware/cortex_m/): __mcutune_*.
// External flash (optional, LinkerScriptOptions::ext_flash_bytes > 0): a
// third region EXTFLASH of the board's declared external-flash size holds
// the section .mcutune_ext_flash (a tinyops plan's constants image) as a
// loadable section, so an ELF loader (QEMU's) puts it there; without the
// region the section goes to FLASH with .rodata. Likewise a region EXTRAM
// (ext_ram_image_bytes > 0) starting where a tinyops plan keeps its
// constants in external RAM holds .mcutune_ext_ram_image, preloaded the
// same way (without it the section is not placed: builds only use it with
// the region).
// Thread-safe (pure functions).
#ifndef MCUTUNE_CODEGEN_LINKER_SCRIPT_H_
#define MCUTUNE_CODEGEN_LINKER_SCRIPT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner/space/board.h"

namespace mcutune::codegen {

struct LinkerScriptOptions {
  // Main stack size; part of the board's RAM like everything else.
  int64_t stack_bytes = 8 * 1024;
  // EXTFLASH region (see above): origin and size; 0 bytes = no region.
  int64_t ext_flash_origin = 0;
  int64_t ext_flash_bytes = 0;
  // EXTRAM region for the preloaded constants image; 0 bytes = none.
  int64_t ext_ram_image_origin = 0;
  int64_t ext_ram_image_bytes = 0;
};

// Names of the input sections holding the external-flash image and the
// preloaded external-RAM constants image.
inline constexpr char kExtFlashSection[] = ".mcutune_ext_flash";
inline constexpr char kExtRamImageSection[] = ".mcutune_ext_ram_image";

// The script text. INVALID_ARGUMENT if the board has no SRAM/flash, a region
// does not fit in the 32-bit address space, the regions overlap, or the
// stack is not a positive multiple of 8 smaller than the SRAM.
absl::StatusOr<std::string> GenerateLinkerScript(
    const space::BoardSpec& board, const LinkerScriptOptions& options = {});

// "region `RAM' overflowed by 72 bytes" lines of a linker log, in order,
// one entry per region (the largest figure if a region is named twice).
struct RegionOverflow {
  std::string region;  // "RAM", "FLASH"
  int64_t bytes = 0;
};
std::vector<RegionOverflow> ParseLinkerOverflows(const std::string& log);

// The table ld prints with --print-memory-usage:
//   Memory region         Used Size  Region Size  %age Used
//              FLASH:        5660 B         1 MB      0.54%
struct RegionUsage {
  std::string region;
  int64_t used_bytes = 0;
  int64_t size_bytes = 0;
};
std::vector<RegionUsage> ParseMemoryUsage(const std::string& log);

}  // namespace mcutune::codegen

#endif  // MCUTUNE_CODEGEN_LINKER_SCRIPT_H_
