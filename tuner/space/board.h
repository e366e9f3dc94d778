// The board catalogue: what a deployment target offers (configs/boards/).
//
// Every candidate is planned for one BoardSpec: its SRAM and internal flash
// decide whether a plan fits, its external memories whether the tinyops
// family exists, and core/clock/cache feed the cost model. Virtual boards
// (`qemu-<id>`) are a QEMU machine with the limits of the real board they
// stand in for, so a plan that fits one fits the other.
//
//   configs/boards/<id>.json ──LoadBoardCatalogue──► [BoardSpec]
//                             ──FindBoard(id)──────► BoardSpec
//
// File format (one JSON object per file, the file stem equal to "id"):
//   "id"            [a-z0-9-]+
//   "name"          human name
//   "kind"          "real" | "virtual"
//   "core"          "cortex-m4" | "cortex-m7" | "cortex-m33"
//   "fpu"           bool (optional, default false)
//   "clock_hz"      > 0
//   "sram_bytes", "flash_bytes"          > 0
//   "sram_origin", "flash_origin"        link addresses (optional)
//   "dcache_bytes", "icache_bytes"       >= 0 (optional, default 0)
//   "flash_wait_states"                  >= 0 (optional)
//   "reserved_sram_bytes", "reserved_flash_bytes"  runtime + stack + harness
//                   (optional; defaults kDefaultReservedSram/FlashBytes)
//   "external"      list of {"kind": "sdram"|"sram"|"qspi_flash"|"sd",
//                   "bytes" > 0, "bandwidth_mb_s" > 0, "wait_states" >= 0,
//                   "bus": string (optional)} (optional)
//   "qemu_machine"  e.g. "mps2-an500" (virtual boards; optional on real)
//   "stands_in_for" the real board id (virtual boards)
//   "notes"         string (optional)
// Thread-safe (reads files only).
#ifndef MCUTUNE_TUNER_SPACE_BOARD_H_
#define MCUTUNE_TUNER_SPACE_BOARD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mcutune::space {

// What the fit check keeps free for the runtime, stack and measurement
// harness when a board file does not say: 16 KiB SRAM (8 KiB stack, 4 KiB
// runtime data, 4 KiB harness/result block) and 32 KiB flash (startup code,
// HAL subset, semihosting/harness, libc pieces).
inline constexpr int64_t kDefaultReservedSramBytes = 16 * 1024;
inline constexpr int64_t kDefaultReservedFlashBytes = 32 * 1024;

enum class ExternalKind { kSdram, kSram, kQspiFlash, kSdCard };
const char* ExternalKindName(ExternalKind kind);  // "sdram", "sram", ...

struct ExternalMemory {
  ExternalKind kind = ExternalKind::kSdram;
  int64_t bytes = 0;
  double bandwidth_mb_s = 0;  // rough sustained sequential bandwidth
  int wait_states = 0;        // extra CPU cycles per random access
  std::string bus;            // "FMC", "QSPI", ...
  // True for read-write memories (SDRAM, SRAM): tensors may live there.
  bool writable() const {
    return kind == ExternalKind::kSdram || kind == ExternalKind::kSram;
  }
};

struct BoardSpec {
  std::string id;
  std::string name;
  bool is_virtual = false;
  std::string core;  // "cortex-m4", "cortex-m7", "cortex-m33"
  bool fpu = false;
  int64_t clock_hz = 0;
  int64_t sram_bytes = 0;
  int64_t flash_bytes = 0;
  uint32_t sram_origin = 0x20000000;
  uint32_t flash_origin = 0x08000000;
  int64_t dcache_bytes = 0;
  int64_t icache_bytes = 0;
  int flash_wait_states = 0;
  int64_t reserved_sram_bytes = kDefaultReservedSramBytes;
  int64_t reserved_flash_bytes = kDefaultReservedFlashBytes;
  std::vector<ExternalMemory> external;
  std::string qemu_machine;   // empty when QEMU cannot emulate it
  std::string stands_in_for;  // virtual boards: the real board's id
  std::string notes;

  // SRAM / flash a plan may use: size minus the reserve.
  int64_t usable_sram_bytes() const { return sram_bytes - reserved_sram_bytes; }
  int64_t usable_flash_bytes() const {
    return flash_bytes - reserved_flash_bytes;
  }
  // The largest writable / any-kind external memory, or nullptr.
  const ExternalMemory* ext_ram() const;
  const ExternalMemory* ext_flash() const;
};

// <source dir>/configs/boards, or $MCUTUNE_BOARDS_DIR when set.
std::string DefaultBoardsDir();

// Parses and validates one board description; `origin` names it in errors.
// INVALID_ARGUMENT on any malformed or out-of-range field.
absl::StatusOr<BoardSpec> ParseBoardSpec(const std::string& json_text,
                                         const std::string& origin);

// Every *.json in `dir`, sorted by id. NOT_FOUND if `dir` does not exist or
// holds no board; INVALID_ARGUMENT (naming the file) if any file is invalid,
// its stem differs from its id, ids repeat, or a virtual board's
// stands_in_for is unknown.
absl::StatusOr<std::vector<BoardSpec>> LoadBoardCatalogue(
    const std::string& dir = DefaultBoardsDir());

// The board `id` of `boards`; NOT_FOUND listing the valid ids.
absl::StatusOr<BoardSpec> FindBoard(const std::vector<BoardSpec>& boards,
                                    const std::string& id);
// LoadBoardCatalogue(dir) + FindBoard.
absl::StatusOr<BoardSpec> FindBoard(const std::string& id,
                                    const std::string& dir = DefaultBoardsDir());

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_BOARD_H_
