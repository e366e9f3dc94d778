// SweepApi: what the Sweeps API does (proto/mcutune/v1/mcutune.proto,
// service Sweeps), independent of the transport.
//
//   gRPC Sweeps service (sweep_service.cc) ──┐
//   HTTP /api/v1/sweeps (http_sweeps.cc) ─────┴──► SweepApi ──►
//   tuner::SweepManager
//                                                           ──►
//                                                           tuner::SweepStore
// Requests are validated here (names, run ids, limits: INVALID_ARGUMENT);
// records of the sweep store become wire messages (times as RFC 3339).
// Without a SweepManager (no sweeps directory) ListSweeps answers an empty,
// unconfigured list and the other calls NOT_FOUND / FAILED_PRECONDITION.
// Thread-safe.
#ifndef MCUTUNE_SERVER_DAEMON_SWEEP_API_H_
#define MCUTUNE_SERVER_DAEMON_SWEEP_API_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/mcutune/v1/mcutune.pb.h"
#include "tuner/sweep_manager.h"

namespace mcutune::server {

namespace pb = ::mcutune::v1;

class SweepApi {
 public:
  // `manager` may be null; not owned. `data_dir` is absolute (report paths
  // are given relative to it).
  SweepApi(tuner::SweepManager* manager, std::string data_dir)
      : manager_(manager), data_dir_(std::move(data_dir)) {}

  absl::StatusOr<pb::ListSweepsResponse> ListSweeps();
  absl::StatusOr<pb::SweepRun> RunSweep(const pb::RunSweepRequest& request);
  absl::StatusOr<pb::SweepRun> GetSweepRun(
      const pb::GetSweepRunRequest& request);
  absl::StatusOr<pb::SweepReport> GetSweepReport(
      const pb::GetSweepReportRequest& request);

 private:
  absl::StatusOr<const tuner::SweepDefinition*> Find(
      const std::string& name) const;
  absl::StatusOr<pb::Sweep> SweepOf(const tuner::SweepDefinition& def);
  absl::StatusOr<pb::SweepRun> RunOf(const tuner::SweepRunRecord& run,
                                     bool with_items);

  tuner::SweepManager* manager_;
  std::string data_dir_;
};

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_SWEEP_API_H_
