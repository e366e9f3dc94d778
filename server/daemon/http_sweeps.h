// The Sweeps API on the daemon's HTTP port (docs/sweeps.md has the JSON):
//
//   GET  /api/v1/sweeps                      ListSweepsResponse
//   GET  /api/v1/sweeps/{name}[?run=ID&runs=N]  SweepReport (runs, history
//                                            per item, alerts, one run's
//                                            items and Markdown report)
//   POST /api/v1/sweeps/{name}/run           SweepRun (queued now; an
//                                            existing one: deduplicated)
//   GET  /api/v1/sweep-runs/{id}             SweepRun with its items
// Bodies are the proto messages of mcutune.proto in their canonical JSON
// mapping (lowerCamelCase, 64-bit integers as strings), like the rest of
// /api/v1; errors are the usual {"error": {"code", "message"}}. Every route
// needs the client token (HttpApi::AddGet/AddPost).
// Register before any other handler of the same paths (first match wins).
#ifndef MCUTUNE_SERVER_DAEMON_HTTP_SWEEPS_H_
#define MCUTUNE_SERVER_DAEMON_HTTP_SWEEPS_H_

#include "server/daemon/http_api.h"
#include "server/daemon/sweep_api.h"

namespace mcutune::server {

// `api` must outlive `http`'s serving.
void AddSweepRoutes(HttpApi* http, SweepApi* api);

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_HTTP_SWEEPS_H_
