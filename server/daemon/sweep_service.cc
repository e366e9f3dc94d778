// gRPC handlers of the Sweeps service (sweep_service.h).
#include "server/daemon/sweep_service.h"

#include <spdlog/spdlog.h>

#include <exception>

#include "absl/strings/str_cat.h"
#include "server/daemon/proto_convert.h"
#include "server/daemon/tuning_service.h"

namespace mcutune::server {
namespace {

template <typename Out>
grpc::Status Handle(const char* method, grpc::ServerContext* ctx,
                    const Authenticator* auth,
                    const std::function<absl::StatusOr<Out>()>& body,
                    Out* out) {
  try {
    if (absl::Status s = auth->Check(AuthorizationOf(*ctx), Role::kClient);
        !s.ok()) {
      return ToGrpc(s);
    }
    absl::StatusOr<Out> r = body();
    if (!r.ok()) {
      if (absl::IsInternal(r.status()) || absl::IsDataLoss(r.status())) {
        if (auto log = spdlog::get("server")) {
          log->error("{}: {}", method, std::string(r.status().message()));
        }
      }
      return ToGrpc(r.status());
    }
    *out = std::move(*r);
    return grpc::Status::OK;
  } catch (const std::exception& e) {
    if (auto log = spdlog::get("server"))
      log->error("{}: exception: {}", method, e.what());
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat(method, ": internal error"));
  }
}

}  // namespace

grpc::Status SweepService::ListSweeps(grpc::ServerContext* ctx,
                                      const pb::ListSweepsRequest*,
                                      pb::ListSweepsResponse* response) {
  return Handle<pb::ListSweepsResponse>(
      "ListSweeps", ctx, auth_, [&] { return api_->ListSweeps(); }, response);
}

grpc::Status SweepService::RunSweep(grpc::ServerContext* ctx,
                                    const pb::RunSweepRequest* request,
                                    pb::SweepRun* response) {
  return Handle<pb::SweepRun>(
      "RunSweep", ctx, auth_, [&] { return api_->RunSweep(*request); },
      response);
}

grpc::Status SweepService::GetSweepRun(grpc::ServerContext* ctx,
                                       const pb::GetSweepRunRequest* request,
                                       pb::SweepRun* response) {
  return Handle<pb::SweepRun>(
      "GetSweepRun", ctx, auth_, [&] { return api_->GetSweepRun(*request); },
      response);
}

grpc::Status SweepService::GetSweepReport(
    grpc::ServerContext* ctx, const pb::GetSweepReportRequest* request,
    pb::SweepReport* response) {
  return Handle<pb::SweepReport>(
      "GetSweepReport", ctx, auth_,
      [&] { return api_->GetSweepReport(*request); }, response);
}

}  // namespace mcutune::server
