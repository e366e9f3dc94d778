// The web dashboard's side of the daemon's HTTP port (docs/dashboard.md):
// the built front end (web/, Vite) as static files at "/", and the /api
// routes the Tuning API does not have, over DashboardData:
//
//   GET  /                        web_dir/index.html and assets (no token)
//   GET  /api/v1/jobs/{id}/plan?candidate=KEY
//                                 per-step memory map, MACs per operator
//   GET  /api/v1/jobs/{id}/measurements?candidate=KEY
//                                 farm runs, measurements, spread, error
//   GET  /api/v1/jobs/{id}/firmware?candidate=KEY&format=elf|bin
//   GET  /api/v1/farm             boards, queue depth, utilisation
//   POST /api/v1/farm/drain?uri=URI, /api/v1/farm/enable?uri=URI
// (The Sweeps page reads the Sweeps API of http_sweeps.h.)
// Every /api route needs the client token (HttpApi::AddGet/AddPost). When
// web_dir has no index.html, "/" answers with a page that says the dashboard
// was not built and how to build it; the API works either way.
#ifndef MCUTUNE_SERVER_DAEMON_HTTP_DASHBOARD_API_H_
#define MCUTUNE_SERVER_DAEMON_HTTP_DASHBOARD_API_H_

#include <string>

#include "server/daemon/dashboard_data.h"
#include "server/daemon/http_api.h"

namespace mcutune::server {

// $MCUTUNE_WEB_DIR when set, else the build tree's web/dist (compiled in).
std::string DefaultWebDir();

// Registers the routes above on `http` (before Start()). `data` must outlive
// it. Returns true when web_dir holds a built dashboard.
bool AddDashboardRoutes(HttpApi* http, DashboardData* data,
                        const std::string& web_dir);

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_HTTP_DASHBOARD_API_H_
