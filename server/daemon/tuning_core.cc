// The transport-independent Tuning API (tuning_core.h).
// - UploadModel: size bounds, optional declared size / SHA-256 checks,
//   graph::ImportTflite (the real reader: verifier + full validation),
//   analysis; stored under its SHA-256 (a second upload is deduplicated).
// - StartTuning: proto -> TuneRequest -> ValidateTuneRequest against the
//   catalogue; the model must exist; admission bounded by max_queued_jobs.
// - GetBuild: only candidates whose firmware was built; the stored build dir
//   is re-checked (relative, no "..") before it is read.
#include "server/daemon/tuning_core.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "device_farm/board.h"
#include "device_farm/scheduler.h"
#include "graph/analysis.h"
#include "graph/analysis_format.h"
#include "graph/tflite_reader.h"
#include "server/common/tar_archive.h"
#include "tuner/job_records.h"
#include "tuner/tune_job.h"

namespace mcutune::server {
namespace {

namespace fs = std::filesystem;

bool IsHex64(const std::string& s) {
  return s.size() == 64 &&
         s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string SanitizedName(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 128)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out.empty() ? "model" : out;
}

bool HasBundle(tuner::CandidateState s) {
  return s == tuner::CandidateState::kBuilt ||
         s == tuner::CandidateState::kMeasured ||
         s == tuner::CandidateState::kMeasureFailed ||
         s == tuner::CandidateState::kVerifyFailed;
}

}  // namespace

TuningCore::TuningCore(tuner::Store* store, tuner::JobRunner* runner,
                       std::vector<space::BoardSpec> catalogue,
                       device_farm::Scheduler* scheduler,
                       TuningCoreOptions options)
    : store_(store),
      runner_(runner),
      catalogue_(std::move(catalogue)),
      scheduler_(scheduler),
      options_(std::move(options)) {}

absl::Status TuningCore::CheckJobId(const std::string& id) const {
  if (id.empty()) return absl::InvalidArgumentError("job_id is required");
  if (!tuner::IsSafePathComponent(id)) {
    return absl::InvalidArgumentError(
        "job_id: not a job id (lowercase letters and digits)");
  }
  return absl::OkStatus();
}

std::string TuningCore::ModelName(const std::string& model_id) {
  absl::StatusOr<tuner::ModelRecord> m = store_->GetModel(model_id);
  return m.ok() ? m->name : "";
}

// ------------------------------------------------------------------ models

absl::StatusOr<pb::Model> TuningCore::UploadModel(const pb::ModelHeader& header,
                                                  const std::string& bytes) {
  if (!header.name().empty() && !ValidName(header.name())) {
    return absl::InvalidArgumentError(
        "header.name: 1..128 characters of [A-Za-z0-9._-] (no paths or "
        "spaces)");
  }
  if (header.size_bytes() < 0 ||
      header.size_bytes() > options_.max_model_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "header.size_bytes: ", header.size_bytes(), " exceeds the limit of ",
        options_.max_model_bytes, " bytes"));
  }
  if (static_cast<int64_t>(bytes.size()) > options_.max_model_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "model larger than the limit of ", options_.max_model_bytes, " bytes"));
  }
  if (bytes.empty())
    return absl::InvalidArgumentError("empty model: no bytes were uploaded");
  if (header.size_bytes() != 0 &&
      header.size_bytes() != static_cast<int64_t>(bytes.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("header.size_bytes declared ", header.size_bytes(),
                     " but ", bytes.size(), " bytes arrived"));
  }
  const std::string sha = device_farm::Sha256Hex(bytes.data(), bytes.size());
  if (!header.sha256().empty() && header.sha256() != sha) {
    return absl::InvalidArgumentError(absl::StrCat(
        "header.sha256 does not match the bytes received (got ", sha, ")"));
  }
  absl::StatusOr<tuner::ModelRecord> existing = store_->GetModel(sha);
  if (existing.ok()) {
    pb::Model m = ToProto(*existing, false);
    m.set_deduplicated(true);
    return m;
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  absl::StatusOr<graph::Graph> g =
      graph::ImportTflite(absl::Span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!g.ok()) {
    return absl::Status(g.status().code(),
                        absl::StrCat("model rejected: ", g.status().message()));
  }
  const graph::Analysis analysis = graph::Analyze(*g);
  nlohmann::json summary;
  summary["operators"] = g->ops.size();
  summary["tensors"] = g->tensors.size();
  summary["macs"] = analysis.macs_total;
  summary["params"] = analysis.params_bytes;
  summary["input_shape"] = g->inputs.empty() ? std::vector<int32_t>{}
                                             : g->tensors[g->inputs[0]].shape;
  summary["output_shape"] = g->outputs.empty()
                                ? std::vector<int32_t>{}
                                : g->tensors[g->outputs[0]].shape;
  tuner::ModelRecord rec;
  rec.id = sha;
  rec.name = header.name().empty() ? SanitizedName(g->name) : header.name();
  rec.size_bytes = static_cast<int64_t>(bytes.size());
  rec.summary_json = summary.dump();
  rec.analysis_json = graph::FormatAnalysisJson(*g, analysis);
  rec.uploaded_at_ms = tuner::NowMs();
  absl::StatusOr<bool> inserted = store_->PutModel(rec, bytes);
  if (!inserted.ok()) return inserted.status();
  pb::Model m = ToProto(rec, false);
  m.set_deduplicated(!*inserted);
  return m;
}

absl::StatusOr<pb::Model> TuningCore::GetModel(const pb::GetModelRequest& r) {
  if (!IsHex64(r.model_id())) {
    return absl::InvalidArgumentError(
        "model_id must be 64 lowercase hex digits");
  }
  absl::StatusOr<tuner::ModelRecord> m = store_->GetModel(r.model_id());
  if (!m.ok()) return m.status();
  return ToProto(*m, true);
}

absl::StatusOr<pb::ListModelsResponse> TuningCore::ListModels(
    const pb::ListModelsRequest&) {
  absl::StatusOr<std::vector<tuner::ModelRecord>> ms = store_->ListModels();
  if (!ms.ok()) return ms.status();
  pb::ListModelsResponse out;
  for (const tuner::ModelRecord& m : *ms) *out.add_models() = ToProto(m, false);
  return out;
}

// -------------------------------------------------------------------- jobs

absl::StatusOr<pb::Job> TuningCore::StartTuning(
    const pb::StartTuningRequest& in) {
  absl::StatusOr<tuner::TuneRequest> r = FromProto(in);
  if (!r.ok()) return r.status();
  if (absl::Status s = tuner::ValidateTuneRequest(catalogue_, &*r); !s.ok())
    return s;
  absl::StatusOr<tuner::ModelRecord> model = store_->GetModel(r->model_id);
  if (!model.ok()) {
    if (absl::IsNotFound(model.status())) {
      return absl::NotFoundError(absl::StrCat(
          "model_id: no model ", r->model_id, " (upload it first)"));
    }
    return model.status();
  }
  if (scheduler_ != nullptr) {
    absl::StatusOr<std::vector<device_farm::BoardStatus>> boards =
        scheduler_->Boards();
    if (!boards.ok()) return boards.status();
    for (const std::string& kind : r->board_kinds) {
      bool have = false;
      for (const device_farm::BoardStatus& b : *boards)
        have = have || b.record.kind == kind;
      if (!have) {
        return absl::FailedPreconditionError(
            absl::StrCat("board_kinds: the farm has no board of kind '", kind,
                         "' (see ListBoards with available_only; add one to "
                         "the farm inventory or "
                         "connect an agent that serves one)"));
      }
    }
  }
  absl::StatusOr<std::vector<tuner::JobRecord>> active =
      store_->ListJobs({tuner::JobState::kQueued, tuner::JobState::kRunning},
                       options_.max_queued_jobs + 1);
  if (!active.ok()) return active.status();
  if (static_cast<int>(active->size()) >= options_.max_queued_jobs) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many unfinished jobs (", active->size(),
                     "); try again when some have finished"));
  }
  tuner::JobRecord job;
  job.model_id = r->model_id;
  job.request_json = tuner::TuneRequestToJson(*r);
  job.progress.measurement_budget = r->measurement_budget;
  job.created_ms = job.updated_ms = tuner::NowMs();
  absl::Status created;
  for (int attempt = 0; attempt < 5; ++attempt) {
    job.id = tuner::NewJobId();
    created = store_->CreateJob(job);
    if (!absl::IsAlreadyExists(created)) break;
  }
  if (!created.ok()) return created;
  tuner::JobEvent e;
  e.job_id = job.id;
  e.state = job.state;
  e.phase = job.phase;
  e.progress = job.progress;
  e.message = "queued";
  if (absl::StatusOr<int64_t> seq = store_->AppendEvent(e); !seq.ok())
    return seq.status();
  if (runner_ != nullptr) runner_->Enqueue(job.id);
  return ToProto(job, model->name);
}

absl::StatusOr<pb::Job> TuningCore::GetJob(const pb::GetJobRequest& r) {
  if (absl::Status s = CheckJobId(r.job_id()); !s.ok()) return s;
  absl::StatusOr<tuner::JobRecord> j = store_->GetJob(r.job_id());
  if (!j.ok()) return j.status();
  return ToProto(*j, ModelName(j->model_id));
}

absl::StatusOr<pb::ListJobsResponse> TuningCore::ListJobs(
    const pb::ListJobsRequest& r) {
  if (r.limit() < 0 || r.limit() > 1000) {
    return absl::InvalidArgumentError("limit: 0..1000 (0 = 100)");
  }
  std::vector<tuner::JobState> states;
  for (int s : r.states()) {
    absl::StatusOr<tuner::JobState> st =
        FromProto(static_cast<pb::JobState>(s));
    if (!st.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("states: ", st.status().message()));
    states.push_back(*st);
  }
  absl::StatusOr<std::vector<tuner::JobRecord>> jobs =
      store_->ListJobs(states, r.limit() == 0 ? 100 : r.limit());
  if (!jobs.ok()) return jobs.status();
  pb::ListJobsResponse out;
  std::map<std::string, std::string> names;
  for (const tuner::JobRecord& j : *jobs) {
    if (!names.count(j.model_id)) names[j.model_id] = ModelName(j.model_id);
    *out.add_jobs() = ToProto(j, names[j.model_id]);
  }
  return out;
}

absl::StatusOr<pb::Job> TuningCore::CancelJob(const pb::CancelJobRequest& r) {
  if (absl::Status s = CheckJobId(r.job_id()); !s.ok()) return s;
  if (runner_ == nullptr)
    return absl::UnavailableError("the job runner is not running");
  if (absl::Status s = runner_->Cancel(r.job_id()); !s.ok()) return s;
  pb::GetJobRequest g;
  g.set_job_id(r.job_id());
  return GetJob(g);
}

absl::StatusOr<pb::ParetoFront> TuningCore::GetParetoFront(
    const pb::GetParetoFrontRequest& r) {
  if (absl::Status s = CheckJobId(r.job_id()); !s.ok()) return s;
  absl::StatusOr<tuner::JobRecord> j = store_->GetJob(r.job_id());
  if (!j.ok()) return j.status();
  absl::StatusOr<std::vector<tuner::CandidateRecord>> cs =
      store_->ListCandidates(r.job_id(),
                             tuner::Store::CandidateFilter::kOnFront);
  if (!cs.ok()) return cs.status();
  std::vector<const tuner::CandidateRecord*> front;
  for (const tuner::CandidateRecord& c : *cs) {
    if (c.on_front) front.push_back(&c);
  }
  std::sort(front.begin(), front.end(), [](const auto* a, const auto* b) {
    if (a->board_kind != b->board_kind) return a->board_kind < b->board_kind;
    if (a->measured != b->measured) return a->measured < b->measured;
    return a->candidate_id < b->candidate_id;
  });
  pb::ParetoFront out;
  out.set_job_id(j->id);
  out.set_state(ToProto(j->state));
  out.set_final(j->state == tuner::JobState::kDone);
  for (const tuner::CandidateRecord* c : front)
    *out.add_candidates() = ToProto(*c);
  return out;
}

absl::StatusOr<pb::ListCandidatesResponse> TuningCore::ListCandidates(
    const pb::ListCandidatesRequest& r) {
  if (absl::Status s = CheckJobId(r.job_id()); !s.ok()) return s;
  if (absl::StatusOr<tuner::JobRecord> j = store_->GetJob(r.job_id());
      !j.ok()) {
    return j.status();
  }
  absl::StatusOr<std::vector<tuner::CandidateRecord>> cs =
      store_->ListCandidates(r.job_id(),
                             r.measured_only()
                                 ? tuner::Store::CandidateFilter::kMeasured
                                 : tuner::Store::CandidateFilter::kAll);
  if (!cs.ok()) return cs.status();
  pb::ListCandidatesResponse out;
  for (const tuner::CandidateRecord& c : *cs) {
    if (r.measured_only() && c.state != tuner::CandidateState::kMeasured)
      continue;
    *out.add_candidates() = ToProto(c);
  }
  return out;
}

absl::StatusOr<BuildArchive> TuningCore::GetBuild(
    const pb::GetBuildRequest& r) {
  if (absl::Status s = CheckJobId(r.job_id()); !s.ok()) return s;
  if (r.candidate().empty() || r.candidate().size() > 300) {
    return absl::InvalidArgumentError(
        "candidate: a key \"<board>/<id>\" or a candidate id");
  }
  absl::StatusOr<tuner::JobRecord> j = store_->GetJob(r.job_id());
  if (!j.ok()) return j.status();
  std::string key = r.candidate();
  if (key.find('/') == std::string::npos) {
    absl::StatusOr<tuner::TuneRequest> req =
        tuner::TuneRequestFromJson(j->request_json);
    if (!req.ok()) return req.status();
    if (req->board_kinds.size() != 1) {
      return absl::InvalidArgumentError(
          "candidate: the job has several board kinds; give \"<board>/<id>\"");
    }
    key = req->board_kinds[0] + "/" + key;
  }
  absl::StatusOr<tuner::CandidateRecord> c =
      store_->GetCandidate(r.job_id(), key);
  if (!c.ok()) return c.status();
  if (!HasBundle(c->state)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "candidate ", key, " is ", tuner::CandidateStateName(c->state),
        ": it has no built bundle"));
  }
  const fs::path rel(c->build_dir);
  if (c->build_dir.empty() || rel.is_absolute() ||
      c->build_dir.find("..") != std::string::npos) {
    return absl::InternalError(
        absl::StrCat("stored build dir of ", key, " is not valid"));
  }
  const std::string root =
      absl::StrCat(r.job_id(), "-", c->board_kind, "-", c->candidate_id);
  absl::StatusOr<std::string> tar =
      TarDirectory((fs::path(options_.builds_dir) / rel).string(), root,
                   options_.max_bundle_bytes,
                   /*skip_dirs=*/{"obj"});
  if (!tar.ok()) {
    if (absl::IsNotFound(tar.status())) {
      return absl::NotFoundError(
          absl::StrCat("the bundle of ", key, " is no longer on disk"));
    }
    return tar.status();
  }
  BuildArchive out;
  out.info.set_file_name(root + ".tar");
  out.info.set_format("tar");
  out.info.set_size_bytes(static_cast<int64_t>(tar->size()));
  out.info.set_sha256(device_farm::Sha256Hex(tar->data(), tar->size()));
  out.info.set_candidate_key(key);
  out.bytes = std::move(*tar);
  return out;
}

absl::StatusOr<pb::ListBoardsResponse> TuningCore::ListBoards(
    const pb::ListBoardsRequest& r) {
  std::map<std::string, std::vector<pb::BoardInstance>> instances;
  if (scheduler_ != nullptr) {
    absl::StatusOr<std::vector<device_farm::BoardStatus>> boards =
        scheduler_->Boards();
    if (!boards.ok()) return boards.status();
    for (const device_farm::BoardStatus& b : *boards) {
      pb::BoardInstance i;
      i.set_uri(b.record.uri);
      std::string state = device_farm::BoardStateName(b.record.state);
      if (b.record.state == device_farm::BoardState::kActive) {
        state = b.running.empty() ? "idle" : "busy";
      }
      i.set_state(state);
      instances[b.record.kind].push_back(i);
    }
  }
  pb::ListBoardsResponse out;
  for (const space::BoardSpec& b : catalogue_) {
    auto it = instances.find(b.id);
    if (r.available_only() && it == instances.end()) continue;
    pb::BoardKind* k = out.add_boards();
    k->set_kind(b.id);
    k->set_name(b.name);
    k->set_is_virtual(b.is_virtual);
    k->set_core(b.core);
    k->set_clock_hz(b.clock_hz);
    k->set_sram_bytes(b.sram_bytes);
    k->set_flash_bytes(b.flash_bytes);
    k->set_has_external_memory(!b.external.empty());
    k->set_qemu_machine(b.qemu_machine);
    k->set_stands_in_for(b.stands_in_for);
    if (it != instances.end()) {
      for (const pb::BoardInstance& i : it->second) *k->add_instances() = i;
    }
  }
  return out;
}

// ------------------------------------------------------------------- watch

absl::StatusOr<std::vector<pb::JobEvent>> TuningCore::EventsAfter(
    const std::string& job_id, int64_t after_seq) {
  if (absl::Status s = CheckJobId(job_id); !s.ok()) return s;
  if (after_seq < 0)
    return absl::InvalidArgumentError("after_seq must be >= 0");
  if (absl::StatusOr<tuner::JobRecord> j = store_->GetJob(job_id); !j.ok())
    return j.status();
  absl::StatusOr<std::vector<tuner::JobEvent>> events =
      store_->EventsAfter(job_id, after_seq);
  if (!events.ok()) return events.status();
  std::vector<pb::JobEvent> out;
  std::optional<std::map<std::string, tuner::CandidateRecord>> candidates;
  for (const tuner::JobEvent& e : *events) {
    pb::JobEvent p;
    p.set_seq(e.seq);
    p.set_time(tuner::FormatTimeMs(e.time_ms));
    p.set_state(ToProto(e.state));
    p.set_phase(e.phase);
    *p.mutable_progress() = ToProto(e.progress);
    p.set_message(e.message);
    if (!e.front_json.empty()) {
      if (!candidates) {
        candidates.emplace();
        // Fronts hold measured candidates only (tuner/tune_job.cc).
        absl::StatusOr<std::vector<tuner::CandidateRecord>> cs =
            store_->ListCandidates(job_id,
                                   tuner::Store::CandidateFilter::kMeasured);
        if (!cs.ok()) return cs.status();
        for (tuner::CandidateRecord& c : *cs)
          (*candidates)[c.key()] = std::move(c);
      }
      const nlohmann::json keys =
          nlohmann::json::parse(e.front_json, nullptr, false);
      if (keys.is_array()) {
        for (const nlohmann::json& k : keys) {
          if (!k.is_string()) continue;
          auto it = candidates->find(k.get<std::string>());
          if (it == candidates->end()) continue;
          // The row as of now; the event says it was on the front then.
          pb::Candidate c = ToProto(it->second);
          c.set_on_front(true);
          *p.add_front() = c;
        }
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

bool TuningCore::WaitForEvent(const std::string& job_id, int64_t after_seq,
                              absl::Duration timeout) {
  return store_->WaitForEvent(job_id, after_seq, timeout);
}

absl::StatusOr<bool> TuningCore::JobFinished(const std::string& job_id) {
  absl::StatusOr<tuner::JobRecord> j = store_->GetJob(job_id);
  if (!j.ok()) return j.status();
  return tuner::IsTerminal(j->state);
}

}  // namespace mcutune::server
