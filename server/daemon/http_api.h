// The daemon's HTTP/JSON API (cpp-httplib): the Tuning API for browsers and
// scripts, plus the health endpoint. Same operations, same validation and
// same tokens as gRPC (TuningCore); bodies are the proto messages in their
// canonical JSON mapping (lowerCamelCase field names).
//
//   GET  /healthz                               no auth: {"status":"ok",...}
//   GET  /api/v1/boards[?available_only=1]      ListBoardsResponse
//   GET  /api/v1/models                         ListModelsResponse
//   POST /api/v1/models[?name=N]  (raw .tflite) Model
//   GET  /api/v1/models/{id}                    Model (with analysisJson)
//   GET  /api/v1/jobs[?state=running&limit=N]   ListJobsResponse
//   POST /api/v1/jobs   (StartTuningRequest)    Job
//   GET  /api/v1/jobs/{id}                      Job
//   POST /api/v1/jobs/{id}/cancel               Job
//   GET  /api/v1/jobs/{id}/front                ParetoFront
//   GET  /api/v1/jobs/{id}/candidates[?measured_only=1]  ListCandidatesResponse
//   GET  /api/v1/jobs/{id}/events[?after=SEQ]   {"events":[JobEvent...]}
//   GET  /api/v1/jobs/{id}/build?candidate=KEY  application/x-tar bundle
// Errors: HTTP status from the canonical code (400 INVALID_ARGUMENT, 401
// UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND, 409
// FAILED_PRECONDITION, 413/429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE, 500) with
// {"error":{"code":"INVALID_ARGUMENT","message":"..."}}.
// Thread-safe; Start() serves on its own threads until Stop().
#ifndef MCUTUNE_SERVER_DAEMON_HTTP_API_H_
#define MCUTUNE_SERVER_DAEMON_HTTP_API_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/daemon/auth.h"
#include "server/daemon/tuning_core.h"

namespace httplib {
class Server;
}

namespace mcutune::server {

class HttpApi {
 public:
  // `health` returns extra fields for /healthz (a JSON object as text).
  HttpApi(TuningCore* core, const Authenticator* auth,
          std::function<std::string()> health);
  ~HttpApi();  // Stop()

  // Binds host:port (port 0 = any free one) and serves. Returns the bound
  // port. UNAVAILABLE when the address cannot be bound.
  absl::StatusOr<int> Start(const std::string& address);
  void Stop();

 private:
  void Routes();

  TuningCore* core_;
  const Authenticator* auth_;
  std::function<std::string()> health_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_HTTP_API_H_
