// gRPC handlers of the FarmAgent service (farm_agent_service.h).
#include "server/daemon/farm_agent_service.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <functional>

#include "server/daemon/proto_convert.h"
#include "server/daemon/tuning_service.h"

namespace mcutune::server {
namespace {

grpc::Status Handle(const char* method, grpc::ServerContext* ctx,
                    const Authenticator* auth,
                    const std::function<absl::Status()>& body) {
  try {
    if (absl::Status s = auth->Check(AuthorizationOf(*ctx), Role::kAgent);
        !s.ok()) {
      return ToGrpc(s);
    }
    return ToGrpc(body());
  } catch (const std::exception& e) {
    if (auto log = spdlog::get("server"))
      log->error("{}: exception: {}", method, e.what());
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  } catch (...) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

template <typename Out>
absl::Status Assign(absl::StatusOr<Out> result, Out* out) {
  if (!result.ok()) return result.status();
  *out = std::move(*result);
  return absl::OkStatus();
}

}  // namespace

grpc::Status FarmAgentService::Register(grpc::ServerContext* ctx,
                                        const pb::RegisterRequest* r,
                                        pb::RegisterResponse* response) {
  return Handle("Register", ctx, auth_,
                [&] { return Assign(registry_->Register(*r), response); });
}

grpc::Status FarmAgentService::LeaseRun(grpc::ServerContext* ctx,
                                        const pb::LeaseRunRequest* r,
                                        pb::LeaseRunResponse* response) {
  return Handle("LeaseRun", ctx, auth_, [&] {
    return Assign(registry_->LeaseRun(*r, [ctx] { return ctx->IsCancelled(); }),
                  response);
  });
}

grpc::Status FarmAgentService::ReportResult(
    grpc::ServerContext* ctx, const pb::ReportResultRequest* r,
    pb::ReportResultResponse* response) {
  return Handle("ReportResult", ctx, auth_,
                [&] { return Assign(registry_->ReportResult(*r), response); });
}

grpc::Status FarmAgentService::Heartbeat(grpc::ServerContext* ctx,
                                         const pb::HeartbeatRequest* r,
                                         pb::HeartbeatResponse* response) {
  return Handle("Heartbeat", ctx, auth_,
                [&] { return Assign(registry_->Heartbeat(*r), response); });
}

}  // namespace mcutune::server
