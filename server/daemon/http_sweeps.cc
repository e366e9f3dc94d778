// HTTP routes of the Sweeps API (http_sweeps.h): strict query parameters,
// proto JSON out.
#include "server/daemon/http_sweeps.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mcutune::server {
namespace {

template <typename M>
void Reply(httplib::Response& res, const absl::StatusOr<M>& result) {
  if (!result.ok()) return SendHttpError(res, result.status());
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(*result, &json, o).ok()) {
    return SendHttpError(
        res, absl::InternalError("cannot encode the response as JSON"));
  }
  SendHttpJson(res, json);
}

}  // namespace

void AddSweepRoutes(HttpApi* http, SweepApi* api) {
  http->AddGet("/api/v1/sweeps",
               [api](const httplib::Request&, httplib::Response& res) {
                 Reply(res, api->ListSweeps());
               });
  http->AddGet(R"(/api/v1/sweeps/([^/]+))", [api](const httplib::Request& req,
                                                  httplib::Response& res) {
    pb::GetSweepReportRequest r;
    r.set_name(req.matches[1]);
    if (req.has_param("run")) r.set_run_id(req.get_param_value("run"));
    if (req.has_param("runs")) {
      int n = 0;
      if (!absl::SimpleAtoi(req.get_param_value("runs"), &n) || n < 0 ||
          n > 1000) {
        return SendHttpError(
            res, absl::InvalidArgumentError("query parameter runs must be an "
                                            "integer in 0..1000"));
      }
      r.set_runs_limit(n);
    }
    Reply(res, api->GetSweepReport(r));
  });
  http->AddPost(R"(/api/v1/sweeps/([^/]+)/run)",
                [api](const httplib::Request& req, httplib::Response& res) {
                  pb::RunSweepRequest r;
                  r.set_name(req.matches[1]);
                  Reply(res, api->RunSweep(r));
                });
  http->AddGet(R"(/api/v1/sweep-runs/([^/]+))",
               [api](const httplib::Request& req, httplib::Response& res) {
                 pb::GetSweepRunRequest r;
                 r.set_run_id(req.matches[1]);
                 Reply(res, api->GetSweepRun(r));
               });
}

}  // namespace mcutune::server
