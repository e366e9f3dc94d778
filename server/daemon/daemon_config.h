// The daemon's configuration file (`mcutuned --config configs/mcutuned.json`).
//
// One JSON object; every key optional, unknown keys are errors:
//   "listen"          gRPC address, "127.0.0.1:50051" (port 0 = any free port;
//                     the bound ports are written to <data_dir>/daemon.json)
//   "http_listen"     HTTP/JSON API + /healthz, "127.0.0.1:8080"; "" = off
//   "data_dir"        "out/mcutuned": mcutune.db (SQLite), builds/, tokens
//   "boards_dir"      board catalogue, "" = configs/boards of the source tree
//                     (or $MCUTUNE_BOARDS_DIR)
//   "farm_inventory"  "configs/farm.json" (device_farm/inventory.h)
//   "auth"            "disabled" (local use only: every call is accepted), or
//                     {"client_token_file": path, "agent_token_file": path,
//                      "client_token_env": name, "agent_token_env": name}.
//                     A token comes from the environment variable when it is
//                     set, else from the file; a missing file is created with
//                     a fresh random token (mode 0600). Defaults:
//                     <data_dir>/client.token, <data_dir>/agent.token,
//                     MCUTUNED_CLIENT_TOKEN, MCUTUNED_AGENT_TOKEN.
//   "limits"          {"max_model_bytes": 64 MiB, "max_concurrent_jobs": 2,
//                      "max_queued_jobs": 100}
//   "tuning"          {"patience": 3, "explore_fraction": 0.25,
//                      "measure_timeout_s": 120, "verify_on_host": true,
//                      "portable_kernels": false}
//   "agents"          {"lease_s": 30, "heartbeat_s": 10}: remote farm agents'
//                     lease (a run not reported or extended within it goes
//                     to another board) and heartbeat period
//   "log_level"       "trace" | "debug" | "info" | "warn" | "error"
//   "sweeps_dir"      nightly sweep definitions (docs/sweeps.md), every
//                     *.json in it; "" (the default) = no sweeps
//   "web_dir"         the built dashboard served at "/" (docs/dashboard.md);
//                     "" = $MCUTUNE_WEB_DIR, else the build tree's web/dist
//   "tls"             optional {"cert_file": PEM, "key_file": PEM,
//                     "client_ca_file": PEM (optional)}: TLS on the gRPC
//                     port (grpc::SslServerCredentials) and HTTPS on the HTTP
//                     port; with client_ca_file clients must present a
//                     certificate signed by it (mutual TLS). Absent = both
//                     ports in plaintext (keep them on loopback then).
// Relative paths are relative to the daemon's working directory.
#ifndef MCUTUNE_SERVER_DAEMON_DAEMON_CONFIG_H_
#define MCUTUNE_SERVER_DAEMON_DAEMON_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace mcutune::server {

struct AuthConfig {
  bool enabled = true;
  std::string client_token_file;  // "" = <data_dir>/client.token
  std::string agent_token_file;   // "" = <data_dir>/agent.token
  std::string client_token_env = "MCUTUNED_CLIENT_TOKEN";
  std::string agent_token_env = "MCUTUNED_AGENT_TOKEN";
};

struct TlsConfig {
  std::string cert_file;       // server certificate chain (PEM)
  std::string key_file;        // its private key (PEM)
  std::string client_ca_file;  // "" = no client certificates asked for
  bool enabled() const { return !cert_file.empty(); }
};

struct DaemonLimits {
  int64_t max_model_bytes = int64_t{64} << 20;
  int max_concurrent_jobs = 2;
  int max_queued_jobs =
      100;  // queued + running; StartTuning past it: RESOURCE_EXHAUSTED
};

struct DaemonTuning {
  int patience = 3;
  double explore_fraction = 0.25;
  int measure_timeout_s = 120;
  bool verify_on_host = true;
  bool portable_kernels = false;
};

struct DaemonAgents {
  int lease_s = 30;
  int heartbeat_s = 10;
};

struct DaemonConfig {
  std::string listen = "127.0.0.1:50051";
  std::string http_listen = "127.0.0.1:8080";
  std::string data_dir = "out/mcutuned";
  std::string boards_dir;
  std::string farm_inventory = "configs/farm.json";
  AuthConfig auth;
  TlsConfig tls;  // !tls.enabled(): plaintext
  DaemonLimits limits;
  DaemonTuning tuning;
  DaemonAgents agents;
  std::string log_level = "info";
  std::string web_dir;  // "" = DefaultWebDir() (http_dashboard_api.h)
  std::string sweeps_dir;  // "" = no nightly sweeps
};

// INVALID_ARGUMENT naming the key for anything malformed or out of range.
absl::StatusOr<DaemonConfig> ParseDaemonConfig(const std::string& json_text,
                                               const std::string& origin);
// Reads the file (NOT_FOUND when missing) and parses it.
absl::StatusOr<DaemonConfig> LoadDaemonConfig(const std::string& path);

// "host:port" with a numeric port 0..65535 and a non-empty host.
absl::Status ValidateListenAddress(const std::string& address,
                                   const std::string& key);

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_DAEMON_CONFIG_H_
