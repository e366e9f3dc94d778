// The daemon's HTTP/JSON API (cpp-httplib): the Tuning API for browsers and
// scripts, plus the health endpoint. Same operations, same validation and
// same tokens as gRPC (TuningCore); bodies are the proto messages in their
// canonical JSON mapping (lowerCamelCase field names).
//
//   GET  /healthz                               no auth: {"status":"ok",...}
//                                               (liveness probes have no
//                                               token; it reveals only counts)
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
#include <vector>

#include "absl/status/statusor.h"
#include "server/daemon/auth.h"
#include "server/daemon/daemon_config.h"
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
  // With `tls` enabled the port speaks HTTPS only (cpp-httplib SSLServer;
  // a client certificate is required when tls.client_ca_file is set).
  HttpApi(TuningCore* core, const Authenticator* auth,
          std::function<std::string()> health, const TlsConfig& tls = {});
  ~HttpApi();  // Stop()

  // Binds host:port (port 0 = any free one) and serves. Returns the bound
  // port. UNAVAILABLE when the address cannot be bound; INVALID_ARGUMENT
  // when the TLS files could not be loaded.
  absl::StatusOr<int> Start(const std::string& address);
  void Stop();

  // More /api routes (the dashboard's, http_dashboard_api.h), wrapped like
  // the built-in ones: client token first, exceptions answered with 500.
  // Call before Start(); a pattern already taken by a built-in route loses.
  using Handler =
      std::function<void(const httplib::Request&, httplib::Response&)>;
  void AddGet(const std::string& pattern, Handler handler);
  void AddPost(const std::string& pattern, Handler handler);
  // Routes WITHOUT a token (only what a browser must load before it has
  // one: the dashboard's static files, its "not built" page). Exceptions
  // are still answered with 500.
  void AddPublicGet(const std::string& pattern, Handler handler);
  // Serves the files of `dir` under `prefix` (GET/HEAD, no token). False
  // when httplib refuses the directory.
  bool MountPublicDirectory(const std::string& prefix, const std::string& dir);

  // Every route registered so far: the one route table, so tests can call
  // each of them (tests/server/access_control_test.cc). A mount point is
  // listed as method "GET" with the prefix as its pattern.
  struct Route {
    std::string method;   // "GET" | "POST"
    std::string pattern;  // httplib pattern (regex groups for ids)
    bool needs_token = true;
  };
  const std::vector<Route>& routes() const { return routes_; }

 private:
  void Routes();
  Handler Wrap(Handler handler, bool check_token = true);

  TuningCore* core_;
  const Authenticator* auth_;
  std::function<std::string()> health_;
  std::unique_ptr<httplib::Server> server_;  // httplib::SSLServer with TLS
  bool tls_valid_ = true;
  std::thread thread_;
  std::vector<Route> routes_;
};

// The error body and status of http_api.cc, for handlers added with
// AddGet/AddPost: {"error":{"code":"...","message":"..."}}.
void SendHttpError(httplib::Response& res, const absl::Status& status);
// A JSON body (already serialized) with status 200.
void SendHttpJson(httplib::Response& res, const std::string& json);

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_HTTP_API_H_
