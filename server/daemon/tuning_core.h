// TuningCore: what the Tuning API does, independent of the transport.
//
//   gRPC Tuning service (tuning_service.cc) ──┐
//   HTTP/JSON API (http_api.cc) ──────────────┴──► TuningCore ──► tuner::Store
//                                                              ──►
//                                                              tuner::JobRunner
//                                                              ──►
//                                                              device_farm::Scheduler
// Every request is validated here, completely, before anything is stored or
// queued ("validation at the door"): model bytes are imported with the real
// TFLite reader, board kinds checked against the catalogue, budgets and
// counts against their bounds. Errors are absl::Status with the canonical
// codes of mcutune.proto; nothing here throws. Thread-safe.
#ifndef MCUTUNE_SERVER_DAEMON_TUNING_CORE_H_
#define MCUTUNE_SERVER_DAEMON_TUNING_CORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/mcutune/v1/mcutune.pb.h"
#include "server/daemon/proto_convert.h"
#include "tuner/job_runner.h"
#include "tuner/space/board.h"
#include "tuner/store.h"

namespace mcutune::device_farm {
class Scheduler;
}

namespace mcutune::server {

struct TuningCoreOptions {
  int64_t max_model_bytes = int64_t{64} << 20;
  int max_queued_jobs = 100;
  std::string builds_dir;  // absolute (tuner::TuneEnvironment::builds_dir)
  int64_t max_bundle_bytes = int64_t{256} << 20;
};

struct BuildArchive {
  pb::BuildInfo info;
  std::string bytes;  // the ustar archive
};

class TuningCore {
 public:
  // `scheduler` may be null (no farm: ListBoards shows no instances).
  TuningCore(tuner::Store* store, tuner::JobRunner* runner,
             std::vector<space::BoardSpec> catalogue,
             device_farm::Scheduler* scheduler, TuningCoreOptions options);

  const TuningCoreOptions& options() const { return options_; }

  // Validates and stores a model; `bytes` is the whole upload.
  absl::StatusOr<pb::Model> UploadModel(const pb::ModelHeader& header,
                                        const std::string& bytes);
  absl::StatusOr<pb::Model> GetModel(const pb::GetModelRequest& request);
  absl::StatusOr<pb::ListModelsResponse> ListModels(
      const pb::ListModelsRequest& request);

  absl::StatusOr<pb::Job> StartTuning(const pb::StartTuningRequest& request);
  absl::StatusOr<pb::Job> GetJob(const pb::GetJobRequest& request);
  absl::StatusOr<pb::ListJobsResponse> ListJobs(
      const pb::ListJobsRequest& request);
  absl::StatusOr<pb::Job> CancelJob(const pb::CancelJobRequest& request);
  absl::StatusOr<pb::ParetoFront> GetParetoFront(
      const pb::GetParetoFrontRequest& request);
  absl::StatusOr<pb::ListCandidatesResponse> ListCandidates(
      const pb::ListCandidatesRequest& request);
  absl::StatusOr<BuildArchive> GetBuild(const pb::GetBuildRequest& request);
  absl::StatusOr<pb::ListBoardsResponse> ListBoards(
      const pb::ListBoardsRequest& request);

  // WatchJob: events with seq > after_seq (NOT_FOUND for an unknown job);
  // WaitForEvent blocks up to `timeout` for a newer one.
  absl::StatusOr<std::vector<pb::JobEvent>> EventsAfter(
      const std::string& job_id, int64_t after_seq);
  bool WaitForEvent(const std::string& job_id, int64_t after_seq,
                    absl::Duration timeout);
  // Whether a job is in a terminal state (for ending a watch).
  absl::StatusOr<bool> JobFinished(const std::string& job_id);

 private:
  absl::Status CheckJobId(const std::string& id) const;
  std::string ModelName(const std::string& model_id);

  tuner::Store* store_;
  tuner::JobRunner* runner_;
  std::vector<space::BoardSpec> catalogue_;
  device_farm::Scheduler* scheduler_;
  TuningCoreOptions options_;
};

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_TUNING_CORE_H_
