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
// The web dashboard's routes and static files: http_dashboard_api.h.
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
struct Request;
struct Response;
}  // namespace httplib

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

  // More /api routes (the dashboard's, http_dashboard_api.h), wrapped like
  // the built-in ones: client token first, exceptions answered with 500.
  // Call before Start(); a pattern already taken by a built-in route loses.
  using Handler =
      std::function<void(const httplib::Request&, httplib::Response&)>;
  void AddGet(const std::string& pattern, Handler handler);
  void AddPost(const std::string& pattern, Handler handler);
  // The server itself, for routes without a token (static files).
  httplib::Server& server() { return *server_; }

 private:
  void Routes();
  Handler Wrap(Handler handler);

  TuningCore* core_;
  const Authenticator* auth_;
  std::function<std::string()> health_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

// The error body and status of http_api.cc, for handlers added with
// AddGet/AddPost: {"error":{"code":"...","message":"..."}}.
void SendHttpError(httplib::Response& res, const absl::Status& status);
// A JSON body (already serialized) with status 200.
void SendHttpJson(httplib::Response& res, const std::string& json);

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_HTTP_API_H_
