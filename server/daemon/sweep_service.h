// The gRPC Sweeps service (mcutune.v1.Sweeps): the client token, then
// SweepApi; absl::Status codes map one to one onto gRPC codes and no
// exception leaves a handler (INTERNAL, logged once).
//
//   mcutune sweep list|run|report ──gRPC──► SweepService ──► SweepApi
// Thread-safe (gRPC calls handlers concurrently).
#ifndef MCUTUNE_SERVER_DAEMON_SWEEP_SERVICE_H_
#define MCUTUNE_SERVER_DAEMON_SWEEP_SERVICE_H_

#include "proto/mcutune/v1/mcutune.grpc.pb.h"
#include "server/daemon/auth.h"
#include "server/daemon/sweep_api.h"

namespace mcutune::server {

class SweepService final : public pb::Sweeps::Service {
 public:
  // Not owned; must outlive the service.
  SweepService(SweepApi* api, const Authenticator* auth)
      : api_(api), auth_(auth) {}

  grpc::Status ListSweeps(grpc::ServerContext* ctx,
                          const pb::ListSweepsRequest* request,
                          pb::ListSweepsResponse* response) override;
  grpc::Status RunSweep(grpc::ServerContext* ctx,
                        const pb::RunSweepRequest* request,
                        pb::SweepRun* response) override;
  grpc::Status GetSweepRun(grpc::ServerContext* ctx,
                           const pb::GetSweepRunRequest* request,
                           pb::SweepRun* response) override;
  grpc::Status GetSweepReport(grpc::ServerContext* ctx,
                              const pb::GetSweepReportRequest* request,
                              pb::SweepReport* response) override;

 private:
  SweepApi* api_;
  const Authenticator* auth_;
};

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_SWEEP_SERVICE_H_
