// Daemon configuration parsing (daemon_config.h): strict, every key checked
// for type and range, unknown keys rejected with the list of known ones.
#include "server/daemon/daemon_config.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mcutune::server {
namespace {

using Json = nlohmann::json;

absl::Status CheckKeys(const Json& obj, const std::set<std::string>& known,
                       const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!known.count(it.key())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": unknown key '", it.key(),
                       "' (known: ", absl::StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status GetString(const Json& obj, const char* key,
                       const std::string& where, std::string* out) {
  if (!obj.contains(key)) return absl::OkStatus();
  if (!obj[key].is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".", key, " must be a string"));
  }
  *out = obj[key].get<std::string>();
  if (out->size() > 4096 || out->find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".", key, " is not a valid string"));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status GetInt(const Json& obj, const char* key, const std::string& where,
                    int64_t lo, int64_t hi, T* out) {
  if (!obj.contains(key)) return absl::OkStatus();
  if (!obj[key].is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".", key, " must be an integer"));
  }
  const int64_t v = obj[key].get<int64_t>();
  if (v < lo || v > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".", key, " = ", v, " not in ", lo, "..", hi));
  }
  *out = static_cast<T>(v);
  return absl::OkStatus();
}

absl::Status GetBool(const Json& obj, const char* key, const std::string& where,
                     bool* out) {
  if (!obj.contains(key)) return absl::OkStatus();
  if (!obj[key].is_boolean()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".", key, " must be true or false"));
  }
  *out = obj[key].get<bool>();
  return absl::OkStatus();
}

#define MCUTUNE_RETURN_IF_ERROR(expr)         \
  do {                                        \
    if (absl::Status _s = (expr); !_s.ok()) { \
      return _s;                              \
    }                                         \
  } while (0)

}  // namespace

absl::Status ValidateListenAddress(const std::string& address,
                                   const std::string& key) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        key, ": '", address, "' is not host:port (port 0..65535)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DaemonConfig> ParseDaemonConfig(const std::string& text,
                                               const std::string& origin) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": not a JSON object"));
  }
  DaemonConfig c;
  MCUTUNE_RETURN_IF_ERROR(
      CheckKeys(j,
                {"listen", "http_listen", "data_dir", "boards_dir",
                 "farm_inventory", "auth", "limits", "tuning", "agents",
                 "log_level", "web_dir", "sweeps_dir", "tls"},
                origin));
  MCUTUNE_RETURN_IF_ERROR(GetString(j, "listen", origin, &c.listen));
  MCUTUNE_RETURN_IF_ERROR(ValidateListenAddress(c.listen, origin + ".listen"));
  MCUTUNE_RETURN_IF_ERROR(GetString(j, "http_listen", origin, &c.http_listen));
  if (!c.http_listen.empty()) {
    MCUTUNE_RETURN_IF_ERROR(
        ValidateListenAddress(c.http_listen, origin + ".http_listen"));
  }
  MCUTUNE_RETURN_IF_ERROR(GetString(j, "data_dir", origin, &c.data_dir));
  if (c.data_dir.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ".data_dir must not be empty"));
  }
  MCUTUNE_RETURN_IF_ERROR(GetString(j, "boards_dir", origin, &c.boards_dir));
  MCUTUNE_RETURN_IF_ERROR(GetString(j, "web_dir", origin, &c.web_dir));
  MCUTUNE_RETURN_IF_ERROR(GetString(j, "sweeps_dir", origin, &c.sweeps_dir));
  MCUTUNE_RETURN_IF_ERROR(
      GetString(j, "farm_inventory", origin, &c.farm_inventory));
  if (j.contains("auth")) {
    const Json& a = j["auth"];
    const std::string where = origin + ".auth";
    if (a.is_string()) {
      if (a.get<std::string>() != "disabled") {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": the only string value is \"disabled\""));
      }
      c.auth.enabled = false;
    } else if (a.is_object()) {
      MCUTUNE_RETURN_IF_ERROR(
          CheckKeys(a,
                    {"client_token_file", "agent_token_file",
                     "client_token_env", "agent_token_env"},
                    where));
      MCUTUNE_RETURN_IF_ERROR(
          GetString(a, "client_token_file", where, &c.auth.client_token_file));
      MCUTUNE_RETURN_IF_ERROR(
          GetString(a, "agent_token_file", where, &c.auth.agent_token_file));
      MCUTUNE_RETURN_IF_ERROR(
          GetString(a, "client_token_env", where, &c.auth.client_token_env));
      MCUTUNE_RETURN_IF_ERROR(
          GetString(a, "agent_token_env", where, &c.auth.agent_token_env));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " must be \"disabled\" or an object"));
    }
  }
  if (j.contains("tls")) {
    const Json& t = j["tls"];
    const std::string where = origin + ".tls";
    if (!t.is_object())
      return absl::InvalidArgumentError(where + " must be an object");
    MCUTUNE_RETURN_IF_ERROR(
        CheckKeys(t, {"cert_file", "key_file", "client_ca_file"}, where));
    MCUTUNE_RETURN_IF_ERROR(GetString(t, "cert_file", where, &c.tls.cert_file));
    MCUTUNE_RETURN_IF_ERROR(GetString(t, "key_file", where, &c.tls.key_file));
    MCUTUNE_RETURN_IF_ERROR(
        GetString(t, "client_ca_file", where, &c.tls.client_ca_file));
    if (c.tls.cert_file.empty() || c.tls.key_file.empty()) {
      return absl::InvalidArgumentError(
          where + ": cert_file and key_file are both required");
    }
  }
  if (j.contains("limits")) {
    const Json& l = j["limits"];
    const std::string where = origin + ".limits";
    if (!l.is_object())
      return absl::InvalidArgumentError(where + " must be an object");
    MCUTUNE_RETURN_IF_ERROR(CheckKeys(
        l, {"max_model_bytes", "max_concurrent_jobs", "max_queued_jobs"},
        where));
    MCUTUNE_RETURN_IF_ERROR(GetInt(l, "max_model_bytes", where, 1024,
                                   int64_t{512} << 20,
                                   &c.limits.max_model_bytes));
    MCUTUNE_RETURN_IF_ERROR(GetInt(l, "max_concurrent_jobs", where, 1, 64,
                                   &c.limits.max_concurrent_jobs));
    MCUTUNE_RETURN_IF_ERROR(GetInt(l, "max_queued_jobs", where, 1, 100000,
                                   &c.limits.max_queued_jobs));
  }
  if (j.contains("tuning")) {
    const Json& t = j["tuning"];
    const std::string where = origin + ".tuning";
    if (!t.is_object())
      return absl::InvalidArgumentError(where + " must be an object");
    MCUTUNE_RETURN_IF_ERROR(
        CheckKeys(t,
                  {"patience", "explore_fraction", "measure_timeout_s",
                   "verify_on_host", "portable_kernels"},
                  where));
    MCUTUNE_RETURN_IF_ERROR(
        GetInt(t, "patience", where, 1, 1000, &c.tuning.patience));
    if (t.contains("explore_fraction")) {
      if (!t["explore_fraction"].is_number() ||
          t["explore_fraction"].get<double>() < 0 ||
          t["explore_fraction"].get<double>() > 1) {
        return absl::InvalidArgumentError(where +
                                          ".explore_fraction must be in 0..1");
      }
      c.tuning.explore_fraction = t["explore_fraction"].get<double>();
    }
    MCUTUNE_RETURN_IF_ERROR(GetInt(t, "measure_timeout_s", where, 1, 3600,
                                   &c.tuning.measure_timeout_s));
    MCUTUNE_RETURN_IF_ERROR(
        GetBool(t, "verify_on_host", where, &c.tuning.verify_on_host));
    MCUTUNE_RETURN_IF_ERROR(
        GetBool(t, "portable_kernels", where, &c.tuning.portable_kernels));
  }
  if (j.contains("agents")) {
    const Json& a = j["agents"];
    const std::string where = origin + ".agents";
    if (!a.is_object())
      return absl::InvalidArgumentError(where + " must be an object");
    MCUTUNE_RETURN_IF_ERROR(CheckKeys(a, {"lease_s", "heartbeat_s"}, where));
    MCUTUNE_RETURN_IF_ERROR(
        GetInt(a, "lease_s", where, 2, 3600, &c.agents.lease_s));
    MCUTUNE_RETURN_IF_ERROR(
        GetInt(a, "heartbeat_s", where, 1, 3600, &c.agents.heartbeat_s));
    if (c.agents.heartbeat_s >= c.agents.lease_s) {
      return absl::InvalidArgumentError(where +
                                        ".heartbeat_s must be below lease_s");
    }
  }
  MCUTUNE_RETURN_IF_ERROR(GetString(j, "log_level", origin, &c.log_level));
  static const std::set<std::string> kLevels = {"trace", "debug", "info",
                                                "warn", "error"};
  if (!kLevels.count(c.log_level)) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ".log_level: '", c.log_level,
                     "' (trace, debug, info, warn, error)"));
  }
  return c;
}

absl::StatusOr<DaemonConfig> LoadDaemonConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read config ", path));
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > (1 << 20)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than 1 MiB"));
    }
  }
  return ParseDaemonConfig(text, path);
}

}  // namespace mcutune::server
