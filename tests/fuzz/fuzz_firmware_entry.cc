// FuzzFirmwareOutput (fuzz_entries.h): what a board sends back, by selector
// (FirmwareMode).
// - ParseResultLine over a whole console log: an accepted report holds the
//   ranges the parser promises (result_line.h).
// - DecodeResultBlock over raw bytes (the pyOCD RAM read-back), and the same
//   after HexToBytes (as the bridge prints it): an accepted block re-encodes
//   to exactly the bytes it came from, and its HarnessReport holds the same
//   ranges as a parsed line.
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "device_farm/result_block_decoder.h"
#include "device_farm/result_line.h"
#include "tests/fuzz/fuzz_entries.h"

namespace mcutune::fuzz {
namespace {

absl::Status Broken(const std::string& what) {
  return absl::InternalError(absl::StrCat("firmware output invariant: ", what));
}

absl::Status Rejected(const absl::Status& s, const char* where) {
  if (s.code() == absl::StatusCode::kInternal) {
    return Broken(absl::StrCat(where, ": ", s.ToString()));
  }
  return s;
}

bool IsSha256Hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// What the measurement code may assume of a report that is not a fault.
absl::Status CheckReport(const device_farm::HarnessReport& r) {
  if (r.status == device_farm::RunStatus::kFault) {
    if (r.error.empty()) return Broken("a fault report without its registers");
    return absl::OkStatus();
  }
  if (r.runs < 1 || r.warmup < 0 || r.ticks < 0 || r.input_bytes < 0 ||
      r.output_bytes < 0 || r.stack_high_water_bytes < 0 || r.stack_bytes < 0 ||
      r.arena_bytes < 0 || r.flash_bytes < 0 || r.ram_bytes < 0) {
    return Broken("a report with a negative or zero count");
  }
  if (r.timer != "dwt_cyccnt" && r.timer != "systick" && r.timer != "host_ns" &&
      r.timer != "none") {
    return Broken(absl::StrCat("unknown timer '", r.timer, "'"));
  }
  if (!IsSha256Hex(r.output_sha256)) return Broken("output hash");
  return absl::OkStatus();
}

absl::Status ConsoleLog(const std::string& log) {
  absl::StatusOr<device_farm::HarnessReport> r =
      device_farm::ParseResultLine(log);
  if (!r.ok()) return Rejected(r.status(), "ParseResultLine");
  return CheckReport(*r);
}

absl::Status ResultBlock(const std::string& bytes) {
  absl::StatusOr<device_farm::ResultBlock> block =
      device_farm::DecodeResultBlock(bytes);
  if (!block.ok()) return Rejected(block.status(), "DecodeResultBlock");
  if (device_farm::EncodeResultBlock(*block) != bytes) {
    return Broken("result block does not re-encode to its bytes");
  }
  return CheckReport(device_farm::ToHarnessReport(*block));
}

absl::Status ResultHex(const std::string& hex) {
  absl::StatusOr<std::string> bytes = device_farm::HexToBytes(hex);
  if (!bytes.ok()) return Rejected(bytes.status(), "HexToBytes");
  if (bytes->size() * 2 != hex.size()) return Broken("hex length");
  return ResultBlock(*bytes);
}

}  // namespace

std::string WithMode(FirmwareMode mode, const std::string& payload) {
  return std::string(1, static_cast<char>(mode)) + payload;
}

absl::Status FuzzFirmwareOutput(const uint8_t* data, size_t size) {
  if (size == 0) return absl::InvalidArgumentError("empty input");
  const auto mode = static_cast<FirmwareMode>(data[0] % kFirmwareModes);
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (mode) {
    case FirmwareMode::kConsoleLog:
      return ConsoleLog(rest);
    case FirmwareMode::kResultBlock:
      return ResultBlock(rest);
    case FirmwareMode::kResultHex:
      return ResultHex(rest);
  }
  return Broken("unknown mode");
}

}  // namespace mcutune::fuzz
