// DefaultBoardFactory: inventory entry -> Board by URI scheme.
// - qemu://<id>[/<suffix>]  MakeQemuBoard; "options" keys: icount_shift,
//   qemu_binary, max_log_bytes (slots come from the entry).
// - pyocd://<uid>           MakePyocdBoard; "options" keys: python,
//   bridge_script, target_type, frequency_hz, halt_on_connect,
//   list_timeout_s, connect_timeout_s, flash_timeout_s, kill_grace_s,
//   poll_interval_s, skip_flash, extra_env (array of "NAME=value").
//   A pyOCD board takes one run at a time: slots must be 1.
// Unknown option keys and wrong types are INVALID_ARGUMENT.
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "device_farm/inventory.h"
#include "device_farm/pyocd_board.h"
#include "device_farm/qemu_board.h"

namespace mcutune::device_farm {
namespace {

using json = nlohmann::json;

absl::Status Bad(const InventoryBoard& e, const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat("board '", e.uri, "' options: ", why));
}

absl::Status CheckKeys(const InventoryBoard& e,
                       const std::set<std::string>& known) {
  for (auto it = e.options.begin(); it != e.options.end(); ++it) {
    if (!known.count(it.key())) {
      return Bad(e, absl::StrCat("unknown key '", it.key(), "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status GetString(const InventoryBoard& e, const char* key,
                       std::string* out) {
  if (!e.options.contains(key)) return absl::OkStatus();
  if (!e.options[key].is_string()) return Bad(e, absl::StrCat(key, " must be a string"));
  *out = e.options[key].get<std::string>();
  return absl::OkStatus();
}

absl::Status GetInt(const InventoryBoard& e, const char* key, int64_t lo,
                    int64_t hi, int64_t* out) {
  if (!e.options.contains(key)) return absl::OkStatus();
  const json& v = e.options[key];
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    return Bad(e, absl::StrCat(key, " must be an integer in ", lo, "..", hi));
  }
  *out = v.get<int64_t>();
  return absl::OkStatus();
}

absl::Status GetBool(const InventoryBoard& e, const char* key, bool* out) {
  if (!e.options.contains(key)) return absl::OkStatus();
  if (!e.options[key].is_boolean()) return Bad(e, absl::StrCat(key, " must be a bool"));
  *out = e.options[key].get<bool>();
  return absl::OkStatus();
}

absl::Status GetSeconds(const InventoryBoard& e, const char* key,
                        absl::Duration* out) {
  if (!e.options.contains(key)) return absl::OkStatus();
  const json& v = e.options[key];
  if (!v.is_number() || !std::isfinite(v.get<double>()) ||
      v.get<double>() <= 0 || v.get<double>() > 3600) {
    return Bad(e, absl::StrCat(key, " must be seconds in (0, 3600]"));
  }
  *out = absl::Seconds(v.get<double>());
  return absl::OkStatus();
}

#define FACTORY_RETURN_IF_ERROR(expr)       \
  do {                                      \
    if (absl::Status _s = (expr); !_s.ok()) \
      return _s;                            \
  } while (0)

absl::StatusOr<std::unique_ptr<Board>> MakeQemu(const InventoryBoard& e,
                                                const space::BoardSpec& spec) {
  FACTORY_RETURN_IF_ERROR(
      CheckKeys(e, {"icount_shift", "qemu_binary", "max_log_bytes"}));
  QemuBoardOptions o;
  int64_t shift = o.icount_shift;
  FACTORY_RETURN_IF_ERROR(GetInt(e, "icount_shift", 0, 10, &shift));
  o.icount_shift = static_cast<int>(shift);
  FACTORY_RETURN_IF_ERROR(GetString(e, "qemu_binary", &o.qemu_binary));
  int64_t log_bytes = static_cast<int64_t>(o.max_log_bytes);
  FACTORY_RETURN_IF_ERROR(
      GetInt(e, "max_log_bytes", 1024, 64 << 20, &log_bytes));
  o.max_log_bytes = static_cast<size_t>(log_bytes);
  o.slots = e.slots;
  std::unique_ptr<Board> board = MakeQemuBoard(e.uri, spec, o);
  if (!board) return absl::InternalError("MakeQemuBoard returned null");
  return board;
}

absl::StatusOr<std::unique_ptr<Board>> MakePyocd(const InventoryBoard& e,
                                                 const space::BoardSpec& spec,
                                                 const std::string& uid) {
  FACTORY_RETURN_IF_ERROR(CheckKeys(
      e, {"python", "bridge_script", "target_type", "frequency_hz",
          "halt_on_connect", "list_timeout_s", "connect_timeout_s",
          "flash_timeout_s", "kill_grace_s", "poll_interval_s", "skip_flash",
          "extra_env"}));
  if (e.slots != 1) return Bad(e, "a pyocd board has exactly 1 slot");
  PyocdBoardOptions o;
  FACTORY_RETURN_IF_ERROR(GetString(e, "python", &o.python));
  FACTORY_RETURN_IF_ERROR(GetString(e, "bridge_script", &o.bridge_script));
  FACTORY_RETURN_IF_ERROR(GetString(e, "target_type", &o.target_type));
  int64_t hz = o.frequency_hz;
  FACTORY_RETURN_IF_ERROR(GetInt(e, "frequency_hz", 1000, 100000000, &hz));
  o.frequency_hz = static_cast<int>(hz);
  FACTORY_RETURN_IF_ERROR(GetBool(e, "halt_on_connect", &o.halt_on_connect));
  FACTORY_RETURN_IF_ERROR(GetSeconds(e, "list_timeout_s", &o.list_timeout));
  FACTORY_RETURN_IF_ERROR(
      GetSeconds(e, "connect_timeout_s", &o.connect_timeout));
  FACTORY_RETURN_IF_ERROR(GetSeconds(e, "flash_timeout_s", &o.flash_timeout));
  FACTORY_RETURN_IF_ERROR(GetSeconds(e, "kill_grace_s", &o.kill_grace));
  FACTORY_RETURN_IF_ERROR(GetSeconds(e, "poll_interval_s", &o.poll_interval));
  FACTORY_RETURN_IF_ERROR(GetBool(e, "skip_flash", &o.skip_flash));
  if (e.options.contains("extra_env")) {
    const json& env = e.options["extra_env"];
    if (!env.is_array()) return Bad(e, "extra_env must be an array");
    for (const json& v : env) {
      if (!v.is_string() ||
          v.get<std::string>().find('=') == std::string::npos) {
        return Bad(e, "extra_env entries must be \"NAME=value\" strings");
      }
      o.extra_env.push_back(v.get<std::string>());
    }
  }
  return MakePyocdBoard(uid, spec, o);
}

}  // namespace

BoardFactory DefaultBoardFactory() {
  return [](const InventoryBoard& entry, const space::BoardSpec& spec)
             -> absl::StatusOr<std::unique_ptr<Board>> {
    absl::StatusOr<BoardUri> uri = ParseBoardUri(entry.uri);
    if (!uri.ok()) return uri.status();
    if (uri->scheme == "qemu") return MakeQemu(entry, spec);
    if (uri->scheme == "pyocd") return MakePyocd(entry, spec, uri->target);
    return absl::InvalidArgumentError(
        absl::StrCat("board '", entry.uri, "': no factory for scheme '",
                     uri->scheme, "'"));
  };
}

}  // namespace mcutune::device_farm
