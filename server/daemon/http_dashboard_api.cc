// Dashboard routes and static files (http_dashboard_api.h).
// - Query parameters are required where documented and bounded; anything
//   else is 400 with the API's error body.
// - Static files: httplib's mount point (GET/HEAD only, no directory
//   listing, paths outside the directory refused by httplib).
#include "server/daemon/http_dashboard_api.h"

#include <httplib.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"

#ifndef MCUTUNE_WEB_DIST_DIR
#define MCUTUNE_WEB_DIST_DIR ""
#endif

namespace mcutune::server {
namespace {

namespace fs = std::filesystem;

constexpr char kNotBuiltPage[] = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mcutune: dashboard not built</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:42rem;margin:4rem auto;color:#1f2937}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><h1>The mcutune dashboard was not built</h1>
<p>This daemon serves its HTTP/JSON API (<code>/api/v1/...</code>, <code>/healthz</code>)
but found no built dashboard in <code>%DIR%</code>.</p>
<p>Build it with <code>cmake --build build --target mcutune_web</code> (runs
<code>npm ci</code> and <code>npm run build</code> in <code>web/</code>), or point the
daemon's config key <code>web_dir</code> (or <code>$MCUTUNE_WEB_DIR</code>) at a built
<code>dist/</code> directory, then restart the daemon. See <code>docs/dashboard.md</code>.</p>
</body></html>
)";

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The candidate key parameter: required, bounded (DashboardData checks the
// characters).
absl::Status CandidateParam(const httplib::Request& req, std::string* out) {
  if (!req.has_param("candidate")) {
    return absl::InvalidArgumentError(
        "query parameter candidate (\"<board>/<id>\") is required");
  }
  *out = req.get_param_value("candidate");
  return absl::OkStatus();
}

void Reply(httplib::Response& res, const absl::StatusOr<std::string>& json) {
  if (!json.ok()) return SendHttpError(res, json.status());
  SendHttpJson(res, *json);
}

}  // namespace

std::string DefaultWebDir() {
  if (const char* env = std::getenv("MCUTUNE_WEB_DIR"); env && *env) return env;
  return MCUTUNE_WEB_DIST_DIR;
}

bool AddDashboardRoutes(HttpApi* http, DashboardData* data,
                        const std::string& web_dir) {
  http->AddGet(R"(/api/v1/jobs/([^/]+)/plan)",
               [data](const httplib::Request& req, httplib::Response& res) {
                 std::string key;
                 if (absl::Status s = CandidateParam(req, &key); !s.ok())
                   return SendHttpError(res, s);
                 Reply(res, data->CandidatePlan(req.matches[1], key));
               });
  http->AddGet(R"(/api/v1/jobs/([^/]+)/measurements)",
               [data](const httplib::Request& req, httplib::Response& res) {
                 std::string key;
                 if (absl::Status s = CandidateParam(req, &key); !s.ok())
                   return SendHttpError(res, s);
                 Reply(res, data->CandidateMeasurements(req.matches[1], key));
               });
  http->AddGet(
      R"(/api/v1/jobs/([^/]+)/firmware)",
      [data](const httplib::Request& req, httplib::Response& res) {
        std::string key;
        if (absl::Status s = CandidateParam(req, &key); !s.ok())
          return SendHttpError(res, s);
        const std::string format =
            req.has_param("format") ? req.get_param_value("format") : "elf";
        absl::StatusOr<FirmwareFile> f =
            data->Firmware(req.matches[1], key, format);
        if (!f.ok()) return SendHttpError(res, f.status());
        res.set_header(
            "Content-Disposition",
            absl::StrCat("attachment; filename=\"", f->file_name, "\""));
        res.set_content(std::move(f->bytes), "application/octet-stream");
      });
  http->AddGet("/api/v1/farm",
               [data](const httplib::Request&, httplib::Response& res) {
                 Reply(res, data->Farm());
               });
  auto board_action = [data](bool drain) {
    return [data, drain](const httplib::Request& req, httplib::Response& res) {
      if (!req.has_param("uri")) {
        return SendHttpError(
            res, absl::InvalidArgumentError("query parameter uri is required"));
      }
      const std::string uri = req.get_param_value("uri");
      const absl::Status s =
          drain ? data->DrainBoard(uri) : data->EnableBoard(uri);
      if (!s.ok()) return SendHttpError(res, s);
      Reply(res, data->Farm());
    };
  };
  http->AddPost("/api/v1/farm/drain", board_action(true));
  http->AddPost("/api/v1/farm/enable", board_action(false));

  std::error_code ec;
  const bool built = !web_dir.empty() &&
                     fs::is_regular_file(fs::path(web_dir) / "index.html", ec);
  if (built && http->MountPublicDirectory("/", web_dir)) return true;
  const std::string page = [&] {
    std::string p = kNotBuiltPage;
    const size_t at = p.find("%DIR%");
    p.replace(
        at, 5,
        HtmlEscape(web_dir.empty() ? "(no directory configured)" : web_dir));
    return p;
  }();
  for (const char* path : {"/", "/index.html"}) {
    http->AddPublicGet(path,
                       [page](const httplib::Request&, httplib::Response& res) {
                         res.status = 200;
                         res.set_content(page, "text/html; charset=utf-8");
                       });
  }
  return false;
}

}  // namespace mcutune::server
