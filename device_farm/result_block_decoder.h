// Decoding the firmware's RAM result block read back from a board.
//
// The harness leaves `mcutune_result` (codegen/firmware/result_block.h: 104
// bytes, little-endian, magic "MCRT" written last) in RAM; boards without a
// console (pyOCD) halt the core and read those bytes. They come from a probe
// over USB, so they are untrusted: every field is checked here, once.
//
//   104 bytes ──DecodeResultBlock──► ResultBlock ──ToHarnessReport──► HarnessReport
//                                                   (same shape as a parsed
//                                                    MCUTUNE_RESULT line)
// Thread-safe (pure functions).
#ifndef MCUTUNE_DEVICE_FARM_RESULT_BLOCK_DECODER_H_
#define MCUTUNE_DEVICE_FARM_RESULT_BLOCK_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "device_farm/result_line.h"

namespace mcutune::device_farm {

inline constexpr size_t kResultBlockBytes = 104;
inline constexpr uint32_t kResultBlockMagic = 0x5452434Du;  // "MCRT"
inline constexpr uint32_t kResultBlockVersion = 1;

// The raw fields, in the firmware's layout order.
struct ResultBlock {
  uint32_t magic = 0;
  uint32_t version = 0;
  uint32_t status = 0;      // 0 ok, 2 harness error, 3 fault, 4 output varies
  uint32_t timer_kind = 0;  // 0 none, 1 DWT CYCCNT, 2 SysTick, 3 host ns
  uint64_t ticks = 0;
  uint32_t runs = 0;
  uint32_t warmup = 0;
  uint32_t stack_high_water_bytes = 0;
  uint32_t stack_bytes = 0;
  uint32_t arena_bytes = 0;
  uint32_t output_bytes = 0;
  uint32_t flash_bytes = 0;
  uint32_t ram_bytes = 0;
  uint32_t fault_pc = 0;
  uint32_t fault_cfsr = 0;
  uint32_t fault_exception = 0;
  uint32_t reserved = 0;
  std::string output_sha256;  // 64 lowercase hex digits
};

// Decodes and validates exactly kResultBlockBytes bytes. INVALID_ARGUMENT
// naming the first problem: wrong size, magic or version, unknown status or
// timer kind, a count out of range (runs 1..10^6 and output_bytes > 0 unless
// the status is fault; warm-ups <= 10^6; stack high-water <= stack size <=
// RAM; arena <= RAM; a fault with exception number outside 1..255).
absl::StatusOr<ResultBlock> DecodeResultBlock(const std::string& bytes);

// Hex text (as the bridge prints it) to bytes; INVALID_ARGUMENT unless it is
// an even number of hex digits.
absl::StatusOr<std::string> HexToBytes(const std::string& hex);

// The block as the harness would have printed it (timer "dwt_cyccnt",
// "systick", "host_ns" or "none"; fault registers in `error`).
HarnessReport ToHarnessReport(const ResultBlock& block);

// The exact bytes the firmware would leave for `block` (tests, stand-ins).
std::string EncodeResultBlock(const ResultBlock& block);

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_RESULT_BLOCK_DECODER_H_
