// Conversions between the tuner's records (tuner/store.h) and the wire
// messages (proto/mcutune/v1/mcutune.proto), and between absl::Status and
// grpc::Status. Pure functions; thread-safe.
#ifndef MCUTUNE_SERVER_DAEMON_PROTO_CONVERT_H_
#define MCUTUNE_SERVER_DAEMON_PROTO_CONVERT_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/mcutune/v1/mcutune.pb.h"
#include "tuner/store.h"
#include "tuner/tune_request.h"

namespace mcutune::server {

namespace pb = ::mcutune::v1;

grpc::Status ToGrpc(const absl::Status& status);

pb::JobState ToProto(tuner::JobState state);
absl::StatusOr<tuner::JobState> FromProto(pb::JobState state);
pb::CandidateState ToProto(tuner::CandidateState state);
pb::JobProgress ToProto(const tuner::JobProgress& progress);

// `with_analysis` fills analysis_json (GetModel only).
pb::Model ToProto(const tuner::ModelRecord& model, bool with_analysis);
pb::Job ToProto(const tuner::JobRecord& job, const std::string& model_name);
pb::Candidate ToProto(const tuner::CandidateRecord& candidate);
pb::StartTuningRequest ToProto(const tuner::TuneRequest& request);

// Copies the fields; validation is tuner::ValidateTuneRequest's job.
// INVALID_ARGUMENT for an unknown objective enum value.
absl::StatusOr<tuner::TuneRequest> FromProto(
    const pb::StartTuningRequest& request);

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_PROTO_CONVERT_H_
