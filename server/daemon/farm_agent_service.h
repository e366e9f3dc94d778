// The gRPC FarmAgent service: the agent token check and error mapping
// around AgentRegistry (which holds the protocol's state).
// Thread-safe.
#ifndef MCUTUNE_SERVER_DAEMON_FARM_AGENT_SERVICE_H_
#define MCUTUNE_SERVER_DAEMON_FARM_AGENT_SERVICE_H_

#include <atomic>

#include "proto/mcutune/v1/farm_agent.grpc.pb.h"
#include "server/daemon/agent_registry.h"
#include "server/daemon/auth.h"

namespace mcutune::server {

class FarmAgentService final : public pb::FarmAgent::Service {
 public:
  FarmAgentService(AgentRegistry* registry, const Authenticator* auth)
      : registry_(registry), auth_(auth) {}

  grpc::Status Register(grpc::ServerContext* ctx,
                        const pb::RegisterRequest* request,
                        pb::RegisterResponse* response) override;
  grpc::Status LeaseRun(grpc::ServerContext* ctx,
                        const pb::LeaseRunRequest* request,
                        pb::LeaseRunResponse* response) override;
  grpc::Status ReportResult(grpc::ServerContext* ctx,
                            const pb::ReportResultRequest* request,
                            pb::ReportResultResponse* response) override;
  grpc::Status Heartbeat(grpc::ServerContext* ctx,
                         const pb::HeartbeatRequest* request,
                         pb::HeartbeatResponse* response) override;

 private:
  AgentRegistry* registry_;
  const Authenticator* auth_;
};

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_FARM_AGENT_SERVICE_H_
