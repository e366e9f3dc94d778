// HTTP/JSON routes over TuningCore (http_api.h).
// - Every /api route checks the client token first, then parses its
//   parameters strictly (bad numbers are 400, never a default).
// - JSON <-> proto with protobuf's JsonUtil; unknown JSON fields are errors.
// - Handlers catch everything: a request never takes the daemon down.
#include "server/daemon/http_api.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mcutune::server {
namespace {

int HttpStatus(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kCancelled:
      return 499;
    default:
      return 500;
  }
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

void SendError(httplib::Response& res, const absl::Status& s) {
  res.status = HttpStatus(s.code());
  res.set_content(absl::StrCat("{\"error\":{\"code\":",
                               JsonString(absl::StatusCodeToString(s.code())),
                               ",\"message\":",
                               JsonString(std::string(s.message())), "}}\n"),
                  "application/json");
}

void SendMessage(httplib::Response& res, const google::protobuf::Message& m) {
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(m, &json, o).ok()) {
    SendError(res, absl::InternalError("cannot encode the response as JSON"));
    return;
  }
  res.status = 200;
  res.set_content(json + "\n", "application/json");
}

absl::Status ParseBody(const httplib::Request& req,
                       google::protobuf::Message* m) {
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = false;
  const auto s = google::protobuf::util::JsonStringToMessage(req.body, m, o);
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request body: ", std::string(s.message().data(), s.message().size())));
  }
  return absl::OkStatus();
}

absl::Status IntParam(const httplib::Request& req, const char* name, int64_t lo,
                      int64_t hi, int64_t* out) {
  if (!req.has_param(name)) return absl::OkStatus();
  int64_t v = 0;
  if (!absl::SimpleAtoi(req.get_param_value(name), &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query parameter ", name, " must be an integer in ", lo, "..", hi));
  }
  *out = v;
  return absl::OkStatus();
}

bool BoolParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return false;
  const std::string v = req.get_param_value(name);
  return v == "1" || v == "true";
}

}  // namespace

HttpApi::HttpApi(TuningCore* core, const Authenticator* auth,
                 std::function<std::string()> health, const TlsConfig& tls)
    : core_(core), auth_(auth), health_(std::move(health)) {
  if (tls.enabled()) {
    // Client certificates are required (and verified) when a client CA is
    // configured, like the gRPC port.
    auto ssl = std::make_unique<httplib::SSLServer>(
        tls.cert_file.c_str(), tls.key_file.c_str(),
        tls.client_ca_file.empty() ? nullptr : tls.client_ca_file.c_str());
    tls_valid_ = ssl->is_valid();
    server_ = std::move(ssl);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  Routes();
}

HttpApi::~HttpApi() { Stop(); }

absl::StatusOr<int> HttpApi::Start(const std::string& address) {
  if (!tls_valid_) {
    return absl::InvalidArgumentError(
        "tls: cannot load cert_file/key_file/client_ca_file for HTTPS "
        "(PEM files, key matching the certificate)");
  }
  const size_t colon = address.rfind(':');
  const std::string host = address.substr(0, colon);
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("http address '", address, "'"));
  }
  int bound = port;
  if (port == 0) {
    bound = server_->bind_to_any_port(host);
    if (bound < 0)
      return absl::UnavailableError(absl::StrCat("cannot bind ", address));
  } else if (!server_->bind_to_port(host, port)) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind ", address, " (in use?)"));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return bound;
}

void HttpApi::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

// Wraps a route: auth (unless public), exceptions.
HttpApi::Handler HttpApi::Wrap(Handler f, bool check_token) {
  return [this, f, check_token](const httplib::Request& req,
                                httplib::Response& res) {
    try {
      if (check_token) {
        const std::string auth = req.get_header_value("Authorization");
        if (absl::Status st = auth_->Check(auth, Role::kClient); !st.ok()) {
          SendError(res, st);
          return;
        }
      }
      f(req, res);
    } catch (const std::exception& e) {
      if (auto log = spdlog::get("server"))
        log->error("http {}: {}", req.path, e.what());
      SendError(res, absl::InternalError("internal error"));
    }
  };
}

void HttpApi::AddGet(const std::string& pattern, Handler handler) {
  routes_.push_back({"GET", pattern, true});
  server_->Get(pattern, Wrap(std::move(handler)));
}

void HttpApi::AddPost(const std::string& pattern, Handler handler) {
  routes_.push_back({"POST", pattern, true});
  server_->Post(pattern, Wrap(std::move(handler)));
}

void HttpApi::AddPublicGet(const std::string& pattern, Handler handler) {
  routes_.push_back({"GET", pattern, false});
  server_->Get(pattern, Wrap(std::move(handler), /*check_token=*/false));
}

bool HttpApi::MountPublicDirectory(const std::string& prefix,
                                   const std::string& dir) {
  if (!server_->set_mount_point(prefix, dir)) return false;
  routes_.push_back({"GET", prefix, false});
  return true;
}

void SendHttpError(httplib::Response& res, const absl::Status& status) {
  SendError(res, status);
}

void SendHttpJson(httplib::Response& res, const std::string& json) {
  res.status = 200;
  res.set_content(json + "\n", "application/json");
}

void HttpApi::Routes() {
  httplib::Server& s = *server_;
  s.set_payload_max_length(
      static_cast<size_t>(core_->options().max_model_bytes) + (1 << 20));
  s.set_read_timeout(30, 0);
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SendError(res, absl::InternalError("internal error"));
      });
  auto reply = [](httplib::Response& res, const auto& result) {
    if (!result.ok()) {
      SendError(res, result.status());
    } else {
      SendMessage(res, *result);
    }
  };

  // Public: liveness probes carry no token, and the answer is two counts.
  AddPublicGet("/healthz", [this](const httplib::Request&,
                                  httplib::Response& res) {
    res.set_content(health_ ? health_() : std::string("{\"status\":\"ok\"}\n"),
                    "application/json");
  });
  AddGet("/api/v1/boards",
         [=](const httplib::Request& req, httplib::Response& res) {
           pb::ListBoardsRequest r;
           r.set_available_only(BoolParam(req, "available_only"));
           reply(res, core_->ListBoards(r));
         });
  AddGet("/api/v1/models",
         [=](const httplib::Request&, httplib::Response& res) {
           reply(res, core_->ListModels(pb::ListModelsRequest()));
         });
  AddPost("/api/v1/models",
          [=](const httplib::Request& req, httplib::Response& res) {
            pb::ModelHeader h;
            if (req.has_param("name")) h.set_name(req.get_param_value("name"));
            reply(res, core_->UploadModel(h, req.body));
          });
  AddGet(R"(/api/v1/models/([^/]+))",
         [=](const httplib::Request& req, httplib::Response& res) {
           pb::GetModelRequest r;
           r.set_model_id(req.matches[1]);
           reply(res, core_->GetModel(r));
         });
  AddGet("/api/v1/jobs", [=](const httplib::Request& req,
                             httplib::Response& res) {
    pb::ListJobsRequest r;
    int64_t limit = 0;
    if (absl::Status st = IntParam(req, "limit", 0, 1000, &limit); !st.ok()) {
      return SendError(res, st);
    }
    r.set_limit(static_cast<int32_t>(limit));
    if (req.has_param("state")) {
      const std::string v = req.get_param_value("state");
      pb::JobState st;
      if (!pb::JobState_Parse("JOB_STATE_" + absl::AsciiStrToUpper(v), &st) ||
          st == pb::JOB_STATE_UNSPECIFIED) {
        return SendError(res,
                         absl::InvalidArgumentError(
                             "state: queued|running|done|failed|cancelled"));
      }
      r.add_states(st);
    }
    reply(res, core_->ListJobs(r));
  });
  AddPost("/api/v1/jobs",
          [=](const httplib::Request& req, httplib::Response& res) {
            pb::StartTuningRequest r;
            if (absl::Status st = ParseBody(req, &r); !st.ok())
              return SendError(res, st);
            reply(res, core_->StartTuning(r));
          });
  AddGet(R"(/api/v1/jobs/([^/]+))",
         [=](const httplib::Request& req, httplib::Response& res) {
           pb::GetJobRequest r;
           r.set_job_id(req.matches[1]);
           reply(res, core_->GetJob(r));
         });
  AddPost(R"(/api/v1/jobs/([^/]+)/cancel)",
          [=](const httplib::Request& req, httplib::Response& res) {
            pb::CancelJobRequest r;
            r.set_job_id(req.matches[1]);
            reply(res, core_->CancelJob(r));
          });
  AddGet(R"(/api/v1/jobs/([^/]+)/front)",
         [=](const httplib::Request& req, httplib::Response& res) {
           pb::GetParetoFrontRequest r;
           r.set_job_id(req.matches[1]);
           reply(res, core_->GetParetoFront(r));
         });
  AddGet(R"(/api/v1/jobs/([^/]+)/candidates)",
         [=](const httplib::Request& req, httplib::Response& res) {
           pb::ListCandidatesRequest r;
           r.set_job_id(req.matches[1]);
           r.set_measured_only(BoolParam(req, "measured_only"));
           reply(res, core_->ListCandidates(r));
         });
  AddGet(R"(/api/v1/jobs/([^/]+)/events)", [=](const httplib::Request& req,
                                               httplib::Response& res) {
    int64_t after = 0;
    if (absl::Status st = IntParam(req, "after", 0, int64_t{1} << 50, &after);
        !st.ok()) {
      return SendError(res, st);
    }
    absl::StatusOr<std::vector<pb::JobEvent>> events =
        core_->EventsAfter(req.matches[1], after);
    if (!events.ok()) return SendError(res, events.status());
    std::string body = "{\"events\":[";
    google::protobuf::util::JsonPrintOptions o;
    o.always_print_primitive_fields = true;
    for (size_t i = 0; i < events->size(); ++i) {
      std::string one;
      (void)google::protobuf::util::MessageToJsonString((*events)[i], &one, o);
      absl::StrAppend(&body, i ? "," : "", one);
    }
    res.set_content(body + "]}\n", "application/json");
  });
  AddGet(R"(/api/v1/jobs/([^/]+)/build)",
         [=](const httplib::Request& req, httplib::Response& res) {
           pb::GetBuildRequest r;
           r.set_job_id(req.matches[1]);
           r.set_candidate(req.get_param_value("candidate"));
           absl::StatusOr<BuildArchive> a = core_->GetBuild(r);
           if (!a.ok()) return SendError(res, a.status());
           res.set_header("Content-Disposition",
                          absl::StrCat("attachment; filename=\"",
                                       a->info.file_name(), "\""));
           res.set_header("X-Mcutune-Sha256", a->info.sha256());
           res.set_content(std::move(a->bytes), "application/x-tar");
         });
}

}  // namespace mcutune::server
