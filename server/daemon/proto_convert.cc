// Record <-> message conversions (proto_convert.h).
#include "server/daemon/proto_convert.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace mcutune::server {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

pb::JobState ToProto(tuner::JobState s) {
  switch (s) {
    case tuner::JobState::kQueued:
      return pb::JOB_STATE_QUEUED;
    case tuner::JobState::kRunning:
      return pb::JOB_STATE_RUNNING;
    case tuner::JobState::kDone:
      return pb::JOB_STATE_DONE;
    case tuner::JobState::kFailed:
      return pb::JOB_STATE_FAILED;
    case tuner::JobState::kCancelled:
      return pb::JOB_STATE_CANCELLED;
  }
  return pb::JOB_STATE_UNSPECIFIED;
}

absl::StatusOr<tuner::JobState> FromProto(pb::JobState s) {
  switch (s) {
    case pb::JOB_STATE_QUEUED:
      return tuner::JobState::kQueued;
    case pb::JOB_STATE_RUNNING:
      return tuner::JobState::kRunning;
    case pb::JOB_STATE_DONE:
      return tuner::JobState::kDone;
    case pb::JOB_STATE_FAILED:
      return tuner::JobState::kFailed;
    case pb::JOB_STATE_CANCELLED:
      return tuner::JobState::kCancelled;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown job state ", static_cast<int>(s)));
  }
}

pb::CandidateState ToProto(tuner::CandidateState s) {
  switch (s) {
    case tuner::CandidateState::kEnumerated:
      return pb::CANDIDATE_STATE_ENUMERATED;
    case tuner::CandidateState::kSelected:
      return pb::CANDIDATE_STATE_SELECTED;
    case tuner::CandidateState::kBuilt:
      return pb::CANDIDATE_STATE_BUILT;
    case tuner::CandidateState::kBuildFailed:
      return pb::CANDIDATE_STATE_BUILD_FAILED;
    case tuner::CandidateState::kVerifyFailed:
      return pb::CANDIDATE_STATE_VERIFY_FAILED;
    case tuner::CandidateState::kMeasured:
      return pb::CANDIDATE_STATE_MEASURED;
    case tuner::CandidateState::kMeasureFailed:
      return pb::CANDIDATE_STATE_MEASURE_FAILED;
  }
  return pb::CANDIDATE_STATE_UNSPECIFIED;
}

pb::JobProgress ToProto(const tuner::JobProgress& p) {
  pb::JobProgress out;
  out.set_candidates_enumerated(p.candidates_enumerated);
  out.set_builds_done(p.builds_done);
  out.set_builds_failed(p.builds_failed);
  out.set_verify_failed(p.verify_failed);
  out.set_measurements_done(p.measurements_done);
  out.set_measurements_failed(p.measurements_failed);
  out.set_measurement_budget(p.measurement_budget);
  out.set_front_size(p.front_size);
  out.set_rounds(p.rounds);
  return out;
}

pb::Model ToProto(const tuner::ModelRecord& m, bool with_analysis) {
  pb::Model out;
  out.set_id(m.id);
  out.set_name(m.name);
  out.set_size_bytes(m.size_bytes);
  out.set_uploaded_at(tuner::FormatTimeMs(m.uploaded_at_ms));
  const nlohmann::json s =
      nlohmann::json::parse(m.summary_json, nullptr, false);
  if (s.is_object()) {
    pb::ModelSummary* sum = out.mutable_summary();
    sum->set_operators(s.value("operators", 0));
    sum->set_tensors(s.value("tensors", 0));
    sum->set_macs(s.value("macs", int64_t{0}));
    sum->set_params(s.value("params", int64_t{0}));
    for (const char* key : {"input_shape", "output_shape"}) {
      if (!s.contains(key) || !s[key].is_array()) continue;
      for (const nlohmann::json& d : s[key]) {
        if (!d.is_number_integer()) continue;
        if (std::string(key) == "input_shape") {
          sum->add_input_shape(d.get<int32_t>());
        } else {
          sum->add_output_shape(d.get<int32_t>());
        }
      }
    }
  }
  if (with_analysis) out.set_analysis_json(m.analysis_json);
  return out;
}

pb::StartTuningRequest ToProto(const tuner::TuneRequest& r) {
  pb::StartTuningRequest out;
  out.set_model_id(r.model_id);
  for (const std::string& k : r.board_kinds) out.add_board_kinds(k);
  pb::Constraints* c = out.mutable_constraints();
  c->set_sram_budget_bytes(r.sram_budget_bytes);
  c->set_flash_budget_bytes(r.flash_budget_bytes);
  c->set_allow_external_memory(r.allow_external_memory);
  c->set_max_n_patch(r.max_n_patch);
  for (tuner::Objective o : r.objectives) {
    out.add_objectives(o == tuner::Objective::kLatency ? pb::OBJECTIVE_LATENCY
                       : o == tuner::Objective::kPeakSram
                           ? pb::OBJECTIVE_PEAK_SRAM
                           : pb::OBJECTIVE_FLASH);
  }
  out.set_measurement_budget(r.measurement_budget);
  out.set_seed(r.seed);
  out.set_batch_size(r.batch_size);
  out.set_runs_per_measurement(r.runs_per_measurement);
  out.set_label(r.label);
  return out;
}

absl::StatusOr<tuner::TuneRequest> FromProto(const pb::StartTuningRequest& in) {
  tuner::TuneRequest r;
  r.model_id = in.model_id();
  for (const std::string& k : in.board_kinds()) r.board_kinds.push_back(k);
  r.sram_budget_bytes = in.constraints().sram_budget_bytes();
  r.flash_budget_bytes = in.constraints().flash_budget_bytes();
  if (in.constraints().has_allow_external_memory()) {
    r.allow_external_memory = in.constraints().allow_external_memory();
  }
  if (in.constraints().max_n_patch() != 0)
    r.max_n_patch = in.constraints().max_n_patch();
  for (int o : in.objectives()) {
    switch (o) {
      case pb::OBJECTIVE_LATENCY:
        r.objectives.push_back(tuner::Objective::kLatency);
        break;
      case pb::OBJECTIVE_PEAK_SRAM:
        r.objectives.push_back(tuner::Objective::kPeakSram);
        break;
      case pb::OBJECTIVE_FLASH:
        r.objectives.push_back(tuner::Objective::kFlash);
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("objectives: unknown value ", o));
    }
  }
  if (in.measurement_budget() != 0)
    r.measurement_budget = in.measurement_budget();
  if (in.seed() != 0) r.seed = in.seed();
  if (in.batch_size() != 0) r.batch_size = in.batch_size();
  if (in.runs_per_measurement() != 0)
    r.runs_per_measurement = in.runs_per_measurement();
  r.label = in.label();
  return r;
}

pb::Job ToProto(const tuner::JobRecord& j, const std::string& model_name) {
  pb::Job out;
  out.set_id(j.id);
  out.set_model_id(j.model_id);
  out.set_model_name(model_name);
  out.set_state(ToProto(j.state));
  out.set_phase(j.phase);
  absl::StatusOr<tuner::TuneRequest> r =
      tuner::TuneRequestFromJson(j.request_json);
  if (r.ok()) *out.mutable_request() = ToProto(*r);
  *out.mutable_progress() = ToProto(j.progress);
  out.set_error(j.error);
  out.set_created_at(tuner::FormatTimeMs(j.created_ms));
  out.set_updated_at(tuner::FormatTimeMs(j.updated_ms));
  return out;
}

pb::Candidate ToProto(const tuner::CandidateRecord& c) {
  pb::Candidate out;
  out.set_key(c.key());
  out.set_candidate_id(c.candidate_id);
  out.set_board_kind(c.board_kind);
  out.set_strategy(c.strategy);
  out.set_state(ToProto(c.state));
  const nlohmann::json m =
      nlohmann::json::parse(c.metrics_json, nullptr, false);
  if (m.is_object()) {
    pb::PlanMetrics* pm = out.mutable_metrics();
    pm->set_macs(m.value("macs", int64_t{0}));
    pm->set_peak_sram_bytes(m.value("peak_sram_bytes", int64_t{0}));
    pm->set_flash_bytes(m.value("flash_bytes", int64_t{0}));
    pm->set_ext_ram_bytes(m.value("ext_ram_bytes", int64_t{0}));
    pm->set_ext_flash_bytes(m.value("ext_flash_bytes", int64_t{0}));
    pm->set_kernel_calls(m.value("kernel_calls", int64_t{0}));
    pm->set_ext_traffic_bytes(m.value("ext_traffic_bytes", int64_t{0}));
    pm->set_macs_recomputed(m.value("macs_recomputed", int64_t{0}));
  }
  if (!c.predicted_unit.empty()) {
    pb::Prediction* p = out.mutable_predicted();
    p->set_latency(c.predicted);
    p->set_low(c.predicted_low);
    p->set_high(c.predicted_high);
    p->set_unit(c.predicted_unit);
    p->set_model(c.predictor);
  }
  if (!c.measurement_json.empty()) {
    pb::MeasuredResult* r = out.mutable_measured();
    const nlohmann::json j =
        nlohmann::json::parse(c.measurement_json, nullptr, false);
    r->set_latency(c.measured);
    r->set_unit(c.measured_unit.empty() && j.is_object()
                    ? j.value("unit", std::string())
                    : c.measured_unit);
    r->set_output_matches(c.output_matches);
    r->set_flash_bytes(c.linked_flash_bytes);
    r->set_ram_bytes(c.linked_ram_bytes);
    if (j.is_object()) {
      r->set_stack_high_water_bytes(
          j.value("stack_high_water_bytes", int64_t{0}));
      r->set_board_uri(j.value("board_uri", std::string()));
      r->set_run_status(j.value("status", std::string()));
      r->set_runs(j.value("runs", 0));
    }
  }
  out.set_on_front(c.on_front);
  out.set_error(c.error);
  return out;
}

}  // namespace mcutune::server
