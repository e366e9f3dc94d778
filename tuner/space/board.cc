// Board catalogue loading.
// - Each file is parsed with nlohmann_json in no-throw mode; every field is
//   type- and range-checked by hand, so no exception escapes this file.
// - Unknown keys are rejected (a typo must not silently drop a limit).
// - The catalogue is checked as a whole: stems equal ids, ids unique,
//   virtual boards name a real board of the catalogue.
#include "tuner/space/board.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace mcutune::space {
namespace {

using nlohmann::json;

const std::set<std::string>& KnownKeys() {
  static const std::set<std::string> keys = {
      "id",           "name",          "kind",
      "core",         "fpu",           "clock_hz",
      "sram_bytes",   "flash_bytes",   "sram_origin",
      "flash_origin", "dcache_bytes",  "icache_bytes",
      "flash_wait_states",             "reserved_sram_bytes",
      "reserved_flash_bytes",          "external",
      "qemu_machine", "stands_in_for", "notes"};
  return keys;
}

absl::Status Bad(const std::string& origin, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("board ", origin, ": ", what));
}

// Reads an integer field in [lo, hi]; `required` fields must be present.
absl::Status GetInt(const json& j, const std::string& origin, const char* key,
                    bool required, int64_t lo, int64_t hi, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return required ? Bad(origin, absl::StrCat("missing \"", key, "\""))
                    : absl::OkStatus();
  }
  if (!it->is_number_integer()) {
    return Bad(origin, absl::StrCat("\"", key, "\" must be an integer"));
  }
  const int64_t v = it->is_number_unsigned()
                        ? static_cast<int64_t>(std::min<uint64_t>(
                              it->get<uint64_t>(), INT64_MAX))
                        : it->get<int64_t>();
  if (v < lo || v > hi) {
    return Bad(origin, absl::StrCat("\"", key, "\" = ", v, " out of range [",
                                    lo, ", ", hi, "]"));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status GetString(const json& j, const std::string& origin,
                       const char* key, bool required, std::string* out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return required ? Bad(origin, absl::StrCat("missing \"", key, "\""))
                    : absl::OkStatus();
  }
  if (!it->is_string()) {
    return Bad(origin, absl::StrCat("\"", key, "\" must be a string"));
  }
  *out = it->get<std::string>();
  return absl::OkStatus();
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

constexpr int64_t kMaxMemory = int64_t{1} << 40;

absl::StatusOr<ExternalMemory> ParseExternal(const json& e,
                                             const std::string& where) {
  if (!e.is_object()) return Bad(where, "must be an object");
  for (auto it = e.begin(); it != e.end(); ++it) {
    static const std::set<std::string> keys = {"kind", "bytes",
                                               "bandwidth_mb_s", "wait_states",
                                               "bus"};
    if (!keys.count(it.key())) {
      return Bad(where, absl::StrCat("unknown key \"", it.key(), "\""));
    }
  }
  ExternalMemory m;
  std::string kind;
  if (auto s = GetString(e, where, "kind", true, &kind); !s.ok()) return s;
  if (kind == "sdram") {
    m.kind = ExternalKind::kSdram;
  } else if (kind == "sram") {
    m.kind = ExternalKind::kSram;
  } else if (kind == "qspi_flash") {
    m.kind = ExternalKind::kQspiFlash;
  } else if (kind == "sd") {
    m.kind = ExternalKind::kSdCard;
  } else {
    return Bad(where, absl::StrCat("unknown kind \"", kind,
                                   "\" (valid: sdram, sram, qspi_flash, sd)"));
  }
  if (auto s = GetInt(e, where, "bytes", true, 1, kMaxMemory, &m.bytes);
      !s.ok()) {
    return s;
  }
  auto bw = e.find("bandwidth_mb_s");
  if (bw == e.end() || !bw->is_number() || !(bw->get<double>() > 0) ||
      bw->get<double>() > 1e6) {
    return Bad(where, "\"bandwidth_mb_s\" must be a number in (0, 1e6]");
  }
  m.bandwidth_mb_s = bw->get<double>();
  int64_t ws = 0;
  if (auto s = GetInt(e, where, "wait_states", true, 0, 100000, &ws); !s.ok()) {
    return s;
  }
  m.wait_states = static_cast<int>(ws);
  if (auto s = GetString(e, where, "bus", false, &m.bus); !s.ok()) return s;
  return m;
}

}  // namespace

const char* ExternalKindName(ExternalKind kind) {
  switch (kind) {
    case ExternalKind::kSdram:
      return "sdram";
    case ExternalKind::kSram:
      return "sram";
    case ExternalKind::kQspiFlash:
      return "qspi_flash";
    case ExternalKind::kSdCard:
      return "sd";
  }
  return "?";
}

const ExternalMemory* BoardSpec::ext_ram() const {
  const ExternalMemory* best = nullptr;
  for (const ExternalMemory& m : external) {
    if (m.writable() && (!best || m.bytes > best->bytes)) best = &m;
  }
  return best;
}

const ExternalMemory* BoardSpec::ext_flash() const {
  const ExternalMemory* best = nullptr;
  for (const ExternalMemory& m : external) {
    if (m.kind == ExternalKind::kQspiFlash && (!best || m.bytes > best->bytes)) {
      best = &m;
    }
  }
  return best;
}

std::string DefaultBoardsDir() {
  if (const char* env = std::getenv("MCUTUNE_BOARDS_DIR"); env && *env) {
    return env;
  }
  return std::string(MCUTUNE_SOURCE_DIR) + "/configs/boards";
}

absl::StatusOr<BoardSpec> ParseBoardSpec(const std::string& json_text,
                                         const std::string& origin) {
  const json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad(origin, "not valid JSON");
  if (!j.is_object()) return Bad(origin, "must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!KnownKeys().count(it.key())) {
      return Bad(origin, absl::StrCat("unknown key \"", it.key(), "\""));
    }
  }
  BoardSpec b;
  absl::Status s;
  if (s = GetString(j, origin, "id", true, &b.id); !s.ok()) return s;
  if (!ValidId(b.id)) {
    return Bad(origin, absl::StrCat("id \"", b.id, "\" must match [a-z0-9-]+"));
  }
  const std::string where = absl::StrCat(origin, " (", b.id, ")");
  if (s = GetString(j, where, "name", true, &b.name); !s.ok()) return s;
  std::string kind;
  if (s = GetString(j, where, "kind", true, &kind); !s.ok()) return s;
  if (kind != "real" && kind != "virtual") {
    return Bad(where, "\"kind\" must be \"real\" or \"virtual\"");
  }
  b.is_virtual = kind == "virtual";
  if (s = GetString(j, where, "core", true, &b.core); !s.ok()) return s;
  if (b.core != "cortex-m4" && b.core != "cortex-m7" && b.core != "cortex-m33") {
    return Bad(where, absl::StrCat("unknown core \"", b.core,
                                   "\" (valid: cortex-m4, cortex-m7, "
                                   "cortex-m33)"));
  }
  if (auto it = j.find("fpu"); it != j.end()) {
    if (!it->is_boolean()) return Bad(where, "\"fpu\" must be a boolean");
    b.fpu = it->get<bool>();
  }
  int64_t v = 0;
  if (s = GetInt(j, where, "clock_hz", true, 1, 10'000'000'000, &b.clock_hz);
      !s.ok()) {
    return s;
  }
  if (s = GetInt(j, where, "sram_bytes", true, 1, kMaxMemory, &b.sram_bytes);
      !s.ok()) {
    return s;
  }
  if (s = GetInt(j, where, "flash_bytes", true, 1, kMaxMemory, &b.flash_bytes);
      !s.ok()) {
    return s;
  }
  v = b.sram_origin;
  if (s = GetInt(j, where, "sram_origin", false, 0, 0xFFFFFFFFll, &v); !s.ok()) {
    return s;
  }
  b.sram_origin = static_cast<uint32_t>(v);
  v = b.flash_origin;
  if (s = GetInt(j, where, "flash_origin", false, 0, 0xFFFFFFFFll, &v);
      !s.ok()) {
    return s;
  }
  b.flash_origin = static_cast<uint32_t>(v);
  if (s = GetInt(j, where, "dcache_bytes", false, 0, kMaxMemory,
                 &b.dcache_bytes);
      !s.ok()) {
    return s;
  }
  if (s = GetInt(j, where, "icache_bytes", false, 0, kMaxMemory,
                 &b.icache_bytes);
      !s.ok()) {
    return s;
  }
  v = 0;
  if (s = GetInt(j, where, "flash_wait_states", false, 0, 1000, &v); !s.ok()) {
    return s;
  }
  b.flash_wait_states = static_cast<int>(v);
  if (s = GetInt(j, where, "reserved_sram_bytes", false, 0, b.sram_bytes - 1,
                 &b.reserved_sram_bytes);
      !s.ok()) {
    return s;
  }
  if (s = GetInt(j, where, "reserved_flash_bytes", false, 0,
                 b.flash_bytes - 1, &b.reserved_flash_bytes);
      !s.ok()) {
    return s;
  }
  if (b.reserved_sram_bytes >= b.sram_bytes ||
      b.reserved_flash_bytes >= b.flash_bytes) {
    return Bad(where, "the runtime reserve leaves no SRAM or flash");
  }
  if (auto it = j.find("external"); it != j.end()) {
    if (!it->is_array()) return Bad(where, "\"external\" must be a list");
    for (size_t i = 0; i < it->size(); ++i) {
      absl::StatusOr<ExternalMemory> m =
          ParseExternal((*it)[i], absl::StrCat(where, " external[", i, "]"));
      if (!m.ok()) return m.status();
      b.external.push_back(*m);
    }
  }
  if (s = GetString(j, where, "qemu_machine", false, &b.qemu_machine);
      !s.ok()) {
    return s;
  }
  if (!b.qemu_machine.empty() && b.qemu_machine != "mps2-an386" &&
      b.qemu_machine != "mps2-an500" && b.qemu_machine != "mps2-an505") {
    return Bad(where, absl::StrCat("unsupported qemu_machine \"",
                                   b.qemu_machine,
                                   "\" (valid: mps2-an386, mps2-an500, "
                                   "mps2-an505)"));
  }
  if (s = GetString(j, where, "stands_in_for", false, &b.stands_in_for);
      !s.ok()) {
    return s;
  }
  if (b.is_virtual && (b.qemu_machine.empty() || b.stands_in_for.empty())) {
    return Bad(where,
               "a virtual board needs \"qemu_machine\" and \"stands_in_for\"");
  }
  if (!b.is_virtual && !b.stands_in_for.empty()) {
    return Bad(where, "\"stands_in_for\" is only for virtual boards");
  }
  if (s = GetString(j, where, "notes", false, &b.notes); !s.ok()) return s;
  return b;
}

absl::StatusOr<std::vector<BoardSpec>> LoadBoardCatalogue(
    const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(
        absl::StrCat("board catalogue directory '", dir, "' not found"));
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".json") files.push_back(it->path());
  }
  if (ec) {
    return absl::NotFoundError(absl::StrCat("cannot list '", dir,
                                            "': ", ec.message()));
  }
  std::sort(files.begin(), files.end());
  std::vector<BoardSpec> boards;
  for (const fs::path& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) {
      return absl::InvalidArgumentError(
          absl::StrCat("board ", path.string(), ": cannot read"));
    }
    absl::StatusOr<BoardSpec> b = ParseBoardSpec(text.str(), path.string());
    if (!b.ok()) return b.status();
    if (b->id != path.stem().string()) {
      return Bad(path.string(), absl::StrCat("id \"", b->id,
                                             "\" differs from the file name"));
    }
    boards.push_back(*std::move(b));
  }
  if (boards.empty()) {
    return absl::NotFoundError(absl::StrCat("no board (*.json) in '", dir, "'"));
  }
  std::sort(boards.begin(), boards.end(),
            [](const BoardSpec& a, const BoardSpec& b) { return a.id < b.id; });
  for (const BoardSpec& b : boards) {
    if (!b.is_virtual) continue;
    auto real = std::find_if(boards.begin(), boards.end(), [&](const auto& r) {
      return r.id == b.stands_in_for && !r.is_virtual;
    });
    if (real == boards.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("board ", b.id, ": stands_in_for \"", b.stands_in_for,
                       "\" is not a real board of the catalogue"));
    }
  }
  return boards;
}

absl::StatusOr<BoardSpec> FindBoard(const std::vector<BoardSpec>& boards,
                                    const std::string& id) {
  std::vector<std::string> ids;
  for (const BoardSpec& b : boards) {
    if (b.id == id) return b;
    ids.push_back(b.id);
  }
  return absl::NotFoundError(absl::StrCat("unknown board '", id, "' (valid: ",
                                          absl::StrJoin(ids, ", "), ")"));
}

absl::StatusOr<BoardSpec> FindBoard(const std::string& id,
                                    const std::string& dir) {
  absl::StatusOr<std::vector<BoardSpec>> boards = LoadBoardCatalogue(dir);
  if (!boards.ok()) return boards.status();
  return FindBoard(*boards, id);
}

}  // namespace mcutune::space
