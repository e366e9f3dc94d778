// ParseResultLine: find the last "MCUTUNE_RESULT " line, parse its JSON
// object without exceptions (nlohmann::json::parse with allow_exceptions =
// false), then check every field: non-negative integers within 2^53, known
// status/timer names, a 64-digit lowercase hex hash. Fault lines carry only
// the fault registers, which are folded into `error`.
#include "device_farm/result_line.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mcutune::device_farm {
namespace {

using nlohmann::json;

constexpr int64_t kMaxInt = int64_t{1} << 53;

absl::Status GetInt(const json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return absl::InvalidArgumentError(absl::StrCat("result line: missing '", key, "'"));
  }
  if (!it->is_number_unsigned() || it->get<uint64_t>() > static_cast<uint64_t>(kMaxInt)) {
    return absl::InvalidArgumentError(
        absl::StrCat("result line: '", key, "' is not a non-negative integer"));
  }
  *out = static_cast<int64_t>(it->get<uint64_t>());
  return absl::OkStatus();
}

std::string GetString(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool IsSha256Hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<HarnessReport> ParseResultLine(const std::string& log) {
  size_t pos = std::string::npos;
  for (size_t at = log.find(kResultPrefix); at != std::string::npos;
       at = log.find(kResultPrefix, at + 1)) {
    if (at == 0 || log[at - 1] == '\n' || log[at - 1] == '\r') pos = at;
  }
  if (pos == std::string::npos) {
    return absl::NotFoundError("no MCUTUNE_RESULT line in the output");
  }
  const size_t begin = pos + sizeof(kResultPrefix) - 1;
  const size_t end = log.find('\n', begin);
  const std::string text =
      log.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("result line: not a JSON object");
  }
  int64_t version = 0;
  if (absl::Status s = GetInt(j, "v", &version); !s.ok()) return s;
  if (version != 1) {
    return absl::InvalidArgumentError(absl::StrCat("result line: unknown version ", version));
  }
  HarnessReport r;
  const std::string status = GetString(j, "status");
  if (status == "fault") {
    r.status = RunStatus::kFault;
    for (const char* key : {"pc", "cfsr", "hfsr", "bfar", "mmfar"}) {
      const std::string v = GetString(j, key);
      if (!v.empty()) absl::StrAppend(&r.error, r.error.empty() ? "" : " ", key, "=", v);
    }
    if (auto it = j.find("exception"); it != j.end() && it->is_number_unsigned()) {
      absl::StrAppend(&r.error, " exception=", it->get<uint64_t>());
    }
    r.error = absl::StrCat("fault: ", r.error);
    return r;
  }
  if (status == "ok") {
    r.status = RunStatus::kOk;
  } else if (status == "harness_error") {
    r.status = RunStatus::kHarnessError;
  } else if (status == "output_varies") {
    r.status = RunStatus::kOutputVaries;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("result line: unknown status '", status, "'"));
  }
  r.error = GetString(j, "error");
  r.timer = GetString(j, "timer");
  if (r.timer != "dwt_cyccnt" && r.timer != "systick" && r.timer != "host_ns" &&
      r.timer != "none") {
    return absl::InvalidArgumentError(
        absl::StrCat("result line: unknown timer '", r.timer, "'"));
  }
  int64_t runs = 0, warmup = 0;
  struct {
    const char* key;
    int64_t* out;
  } fields[] = {{"ticks", &r.ticks},
                {"runs", &runs},
                {"warmup", &warmup},
                {"stack_high_water_bytes", &r.stack_high_water_bytes},
                {"stack_bytes", &r.stack_bytes},
                {"arena_bytes", &r.arena_bytes},
                {"input_bytes", &r.input_bytes},
                {"output_bytes", &r.output_bytes},
                {"flash_bytes", &r.flash_bytes},
                {"ram_bytes", &r.ram_bytes}};
  for (const auto& f : fields) {
    if (absl::Status s = GetInt(j, f.key, f.out); !s.ok()) return s;
  }
  if (runs < 1 || runs > (1 << 30) || warmup > (1 << 30)) {
    return absl::InvalidArgumentError("result line: runs/warmup out of range");
  }
  if (r.stack_high_water_bytes > r.stack_bytes && r.stack_bytes > 0) {
    return absl::InvalidArgumentError("result line: stack high-water above stack size");
  }
  r.runs = static_cast<int>(runs);
  r.warmup = static_cast<int>(warmup);
  r.output_sha256 = GetString(j, "output_sha256");
  if (!IsSha256Hex(r.output_sha256)) {
    return absl::InvalidArgumentError("result line: output_sha256 is not 64 hex digits");
  }
  return r;
}

}  // namespace mcutune::device_farm
