// The gRPC Tuning service: authentication, streaming and error mapping
// around TuningCore (which does the work and the validation).
//
//   client ──authorization: Bearer <client token>──► TuningService::X
//            ├─ Authenticator::Check(role = client) (UNAUTHENTICATED /
//            │  PERMISSION_DENIED for the agent token)
//            ├─ TuningCore::X (absl::Status → grpc::Status, same code)
//            └─ exceptions never leave a handler (INTERNAL, logged once)
// Streams: UploadModel reads a header then <= 1 MiB chunks, bounded by the
// model size limit as they arrive; WatchJob replays stored events and then
// waits for new ones until the job ends, the client cancels or the daemon
// shuts down; GetBuild sends BuildInfo then 64 KiB chunks.
// Thread-safe (gRPC calls handlers concurrently).
#ifndef MCUTUNE_SERVER_DAEMON_TUNING_SERVICE_H_
#define MCUTUNE_SERVER_DAEMON_TUNING_SERVICE_H_

#include <atomic>

#include "proto/mcutune/v1/mcutune.grpc.pb.h"
#include "server/daemon/auth.h"
#include "server/daemon/tuning_core.h"

namespace mcutune::server {

class TuningService final : public pb::Tuning::Service {
 public:
  // Not owned; must outlive the service. `stopping` turns true at shutdown.
  TuningService(TuningCore* core, const Authenticator* auth,
                const std::atomic<bool>* stopping)
      : core_(core), auth_(auth), stopping_(stopping) {}

  grpc::Status UploadModel(grpc::ServerContext* ctx,
                           grpc::ServerReader<pb::UploadModelRequest>* reader,
                           pb::Model* response) override;
  grpc::Status GetModel(grpc::ServerContext* ctx,
                        const pb::GetModelRequest* request,
                        pb::Model* response) override;
  grpc::Status ListModels(grpc::ServerContext* ctx,
                          const pb::ListModelsRequest* request,
                          pb::ListModelsResponse* response) override;
  grpc::Status StartTuning(grpc::ServerContext* ctx,
                           const pb::StartTuningRequest* request,
                           pb::Job* response) override;
  grpc::Status GetJob(grpc::ServerContext* ctx,
                      const pb::GetJobRequest* request,
                      pb::Job* response) override;
  grpc::Status ListJobs(grpc::ServerContext* ctx,
                        const pb::ListJobsRequest* request,
                        pb::ListJobsResponse* response) override;
  grpc::Status WatchJob(grpc::ServerContext* ctx,
                        const pb::WatchJobRequest* request,
                        grpc::ServerWriter<pb::JobEvent>* writer) override;
  grpc::Status CancelJob(grpc::ServerContext* ctx,
                         const pb::CancelJobRequest* request,
                         pb::Job* response) override;
  grpc::Status GetParetoFront(grpc::ServerContext* ctx,
                              const pb::GetParetoFrontRequest* request,
                              pb::ParetoFront* response) override;
  grpc::Status ListCandidates(grpc::ServerContext* ctx,
                              const pb::ListCandidatesRequest* request,
                              pb::ListCandidatesResponse* response) override;
  grpc::Status GetBuild(grpc::ServerContext* ctx,
                        const pb::GetBuildRequest* request,
                        grpc::ServerWriter<pb::BuildChunk>* writer) override;
  grpc::Status ListBoards(grpc::ServerContext* ctx,
                          const pb::ListBoardsRequest* request,
                          pb::ListBoardsResponse* response) override;

 private:
  TuningCore* core_;
  const Authenticator* auth_;
  const std::atomic<bool>* stopping_;
};

// The authorization metadata value of a call ("" when absent).
std::string AuthorizationOf(const grpc::ServerContext& ctx);

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_TUNING_SERVICE_H_
