// Strict little-endian decoding of the 104-byte result block (see header).
// Offsets follow mcutune_result_t in codegen/firmware/result_block.h:
//   0 magic  4 version  8 status  12 timer_kind  16 ticks (u64)  24 runs
//   28 warmup  32 stack_high_water  36 stack  40 arena  44 output  48 flash
//   52 ram  56 fault_pc  60 fault_cfsr  64 fault_exception  68 reserved
//   72..103 output SHA-256
#include "device_farm/result_block_decoder.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mcutune::device_farm {
namespace {

constexpr uint32_t kStatusOk = 0, kStatusHarnessError = 2, kStatusFault = 3,
                   kStatusOutputVaries = 4;
constexpr uint32_t kTimerNone = 0, kTimerDwt = 1, kTimerSysTick = 2, kTimerHostNs = 3;
constexpr uint32_t kMaxRuns = 1000000;
constexpr size_t kHashOffset = 72;

uint32_t Load32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
}

void Store32(std::string* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
}

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("result block: ", what));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::string> HexToBytes(const std::string& hex) {
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError("hex: odd number of digits");
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat("hex: not a hex digit at ", 2 * i));
    }
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

absl::StatusOr<ResultBlock> DecodeResultBlock(const std::string& b) {
  if (b.size() != kResultBlockBytes) {
    return Bad(absl::StrCat(b.size(), " bytes, expected ", kResultBlockBytes));
  }
  ResultBlock r;
  r.magic = Load32(b, 0);
  r.version = Load32(b, 4);
  r.status = Load32(b, 8);
  r.timer_kind = Load32(b, 12);
  r.ticks = static_cast<uint64_t>(Load32(b, 16)) | static_cast<uint64_t>(Load32(b, 20)) << 32;
  r.runs = Load32(b, 24);
  r.warmup = Load32(b, 28);
  r.stack_high_water_bytes = Load32(b, 32);
  r.stack_bytes = Load32(b, 36);
  r.arena_bytes = Load32(b, 40);
  r.output_bytes = Load32(b, 44);
  r.flash_bytes = Load32(b, 48);
  r.ram_bytes = Load32(b, 52);
  r.fault_pc = Load32(b, 56);
  r.fault_cfsr = Load32(b, 60);
  r.fault_exception = Load32(b, 64);
  r.reserved = Load32(b, 68);
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = kHashOffset; i < kResultBlockBytes; ++i) {
    const auto byte = static_cast<uint8_t>(b[i]);
    r.output_sha256 += kHex[byte >> 4];
    r.output_sha256 += kHex[byte & 15];
  }

  if (r.magic != kResultBlockMagic) {
    return Bad(absl::StrFormat("magic 0x%08x, expected 0x%08x (block not written)", r.magic,
                               kResultBlockMagic));
  }
  if (r.version != kResultBlockVersion) return Bad(absl::StrCat("unknown version ", r.version));
  if (r.status != kStatusOk && r.status != kStatusHarnessError && r.status != kStatusFault &&
      r.status != kStatusOutputVaries) {
    return Bad(absl::StrCat("unknown status ", r.status));
  }
  if (r.timer_kind > kTimerHostNs) return Bad(absl::StrCat("unknown timer kind ", r.timer_kind));
  if (r.status == kStatusFault) {
    // The fault handler fills only the fault fields; the rest is whatever
    // main() had written (possibly nothing).
    if (r.fault_exception < 1 || r.fault_exception > 255) {
      return Bad(absl::StrCat("fault with exception number ", r.fault_exception));
    }
    return r;
  }
  if (r.runs < 1 || r.runs > kMaxRuns) return Bad(absl::StrCat("runs ", r.runs, " out of range"));
  if (r.warmup > kMaxRuns) return Bad(absl::StrCat("warmup ", r.warmup, " out of range"));
  if (r.ticks > (uint64_t{1} << 62)) return Bad("ticks out of range");
  if (r.timer_kind == kTimerNone && r.ticks != 0) return Bad("ticks without a timer");
  if (r.output_bytes == 0) return Bad("output_bytes is 0");
  if (r.stack_high_water_bytes > r.stack_bytes) {
    return Bad(absl::StrCat("stack high-water ", r.stack_high_water_bytes, " > stack ",
                            r.stack_bytes));
  }
  if (r.ram_bytes != 0 && (r.stack_bytes > r.ram_bytes || r.arena_bytes > r.ram_bytes)) {
    return Bad(absl::StrCat("stack ", r.stack_bytes, " or arena ", r.arena_bytes,
                            " larger than RAM ", r.ram_bytes));
  }
  return r;
}

HarnessReport ToHarnessReport(const ResultBlock& block) {
  HarnessReport r;
  switch (block.status) {
    case kStatusOk: r.status = RunStatus::kOk; break;
    case kStatusHarnessError: r.status = RunStatus::kHarnessError; break;
    case kStatusOutputVaries: r.status = RunStatus::kOutputVaries; break;
    default: r.status = RunStatus::kFault; break;
  }
  if (r.status == RunStatus::kFault) {
    r.error = absl::StrFormat("fault: pc=0x%08x cfsr=0x%08x exception=%u", block.fault_pc,
                              block.fault_cfsr, block.fault_exception);
  } else if (r.status == RunStatus::kHarnessError) {
    r.error = "harness error (the message is only printed over semihosting)";
  }
  switch (block.timer_kind) {
    case kTimerDwt: r.timer = "dwt_cyccnt"; break;
    case kTimerSysTick: r.timer = "systick"; break;
    case kTimerHostNs: r.timer = "host_ns"; break;
    default: r.timer = "none"; break;
  }
  r.ticks = static_cast<int64_t>(block.ticks);
  r.runs = static_cast<int>(block.runs);
  r.warmup = static_cast<int>(block.warmup);
  r.output_sha256 = block.output_sha256;
  r.output_bytes = block.output_bytes;
  r.stack_high_water_bytes = block.stack_high_water_bytes;
  r.stack_bytes = block.stack_bytes;
  r.arena_bytes = block.arena_bytes;
  r.flash_bytes = block.flash_bytes;
  r.ram_bytes = block.ram_bytes;
  return r;
}

std::string EncodeResultBlock(const ResultBlock& block) {
  std::string b(kResultBlockBytes, '\0');
  const uint32_t words[] = {block.magic, block.version, block.status, block.timer_kind,
                            static_cast<uint32_t>(block.ticks),
                            static_cast<uint32_t>(block.ticks >> 32), block.runs, block.warmup,
                            block.stack_high_water_bytes, block.stack_bytes, block.arena_bytes,
                            block.output_bytes, block.flash_bytes, block.ram_bytes,
                            block.fault_pc, block.fault_cfsr, block.fault_exception,
                            block.reserved};
  for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); ++i) Store32(&b, 4 * i, words[i]);
  for (size_t i = 0; i < 32 && 2 * i + 1 < block.output_sha256.size(); ++i) {
    const int hi = HexDigit(block.output_sha256[2 * i]);
    const int lo = HexDigit(block.output_sha256[2 * i + 1]);
    b[kHashOffset + i] = static_cast<char>((hi < 0 ? 0 : hi) << 4 | (lo < 0 ? 0 : lo));
  }
  return b;
}

}  // namespace mcutune::device_farm
