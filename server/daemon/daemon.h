// Daemon: everything `mcutuned` runs, wired together.
//
//   config ──► data_dir/mcutune.db (one SQLite file: tuner_* + farm tables)
//          ──► board catalogue, farm inventory ──► device_farm::Scheduler
//          ──► tuner::JobRunner (TuneJob × max_concurrent_jobs)
//          ──► gRPC: Tuning (client token) + FarmAgent (agent token)
//          ──► HTTP: /healthz + /api/v1/... (client token) + the web
//              dashboard's static files at / (http_dashboard_api.h)
//          ──► data_dir/daemon.json {"pid", "grpc", "http", "tls"} (bound
//              addresses; "tls": the config's tls section is on)
// Start() brings it up (resuming unfinished jobs); Stop() shuts it down
// gracefully: no new calls, watches end, running jobs stop at their next
// check and stay resumable, farm leases are released, daemon.json removed.
// Also usable in-process (tests): listen on port 0 and read the ports.
#ifndef MCUTUNE_SERVER_DAEMON_DAEMON_H_
#define MCUTUNE_SERVER_DAEMON_DAEMON_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "server/daemon/daemon_config.h"

namespace mcutune::server {

class HttpApi;

class Daemon {
 public:
  explicit Daemon(DaemonConfig config);
  ~Daemon();  // Stop()

  absl::Status Start();
  void Stop();  // idempotent

  // After Start(): "127.0.0.1:<port>" actually bound; "" when HTTP is off.
  const std::string& grpc_address() const;
  const std::string& http_address() const;
  // The tokens in use ("" when auth is disabled).
  const std::string& client_token() const;
  const std::string& agent_token() const;
  // The HTTP API (its route table, http_api.h); null when HTTP is off.
  const HttpApi* http_api() const;

 private:
  struct State;
  DaemonConfig config_;
  std::unique_ptr<State> state_;
};

// Sets up the named spdlog loggers ("server", "tuner", "device_farm") with
// one line per record: time, logger, level, message.
void SetUpLogging(const std::string& level);

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_DAEMON_H_
