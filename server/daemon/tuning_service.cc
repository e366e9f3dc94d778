// gRPC handlers of the Tuning service (tuning_service.h).
#include "server/daemon/tuning_service.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <functional>

#include "absl/strings/str_cat.h"

namespace mcutune::server {
namespace {

constexpr size_t kMaxUploadChunk = 1 << 20;
constexpr size_t kBuildChunk = 64 << 10;

// Runs a handler body: auth first, exceptions turned into INTERNAL.
grpc::Status Handle(const char* method, grpc::ServerContext* ctx,
                    const Authenticator* auth,
                    const std::function<absl::Status()>& body) {
  try {
    if (absl::Status s = auth->Check(AuthorizationOf(*ctx), Role::kClient);
        !s.ok()) {
      return ToGrpc(s);
    }
    absl::Status s = body();
    if (!s.ok() &&
        (absl::IsInternal(s) || absl::IsDataLoss(s) || absl::IsUnknown(s))) {
      if (auto log = spdlog::get("server")) {
        log->error("{}: {}", method, std::string(s.message()));
      }
    }
    return ToGrpc(s);
  } catch (const std::exception& e) {
    if (auto log = spdlog::get("server"))
      log->error("{}: exception: {}", method, e.what());
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat(method, ": internal error"));
  } catch (...) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat(method, ": internal error"));
  }
}

template <typename Out>
absl::Status Assign(absl::StatusOr<Out> result, Out* out) {
  if (!result.ok()) return result.status();
  *out = std::move(*result);
  return absl::OkStatus();
}

}  // namespace

std::string AuthorizationOf(const grpc::ServerContext& ctx) {
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

grpc::Status TuningService::UploadModel(
    grpc::ServerContext* ctx,
    grpc::ServerReader<pb::UploadModelRequest>* reader, pb::Model* response) {
  return Handle("UploadModel", ctx, auth_, [&]() -> absl::Status {
    pb::UploadModelRequest msg;
    if (!reader->Read(&msg))
      return absl::InvalidArgumentError("empty upload stream");
    if (!msg.has_header()) {
      return absl::InvalidArgumentError(
          "the first UploadModel message must be the header");
    }
    const pb::ModelHeader header = msg.header();
    const int64_t limit = core_->options().max_model_bytes;
    if (header.size_bytes() > limit) {
      return absl::ResourceExhaustedError(
          absl::StrCat("header.size_bytes: ", header.size_bytes(),
                       " exceeds the limit of ", limit, " bytes"));
    }
    std::string bytes;
    if (header.size_bytes() > 0)
      bytes.reserve(static_cast<size_t>(header.size_bytes()));
    while (reader->Read(&msg)) {
      if (msg.has_header())
        return absl::InvalidArgumentError("a second header arrived");
      if (msg.chunk().size() > kMaxUploadChunk) {
        return absl::InvalidArgumentError("chunks must be at most 1 MiB");
      }
      if (static_cast<int64_t>(bytes.size() + msg.chunk().size()) > limit) {
        return absl::ResourceExhaustedError(
            absl::StrCat("model larger than the limit of ", limit, " bytes"));
      }
      bytes += msg.chunk();
      if (ctx->IsCancelled()) return absl::CancelledError("upload cancelled");
    }
    return Assign(core_->UploadModel(header, bytes), response);
  });
}

grpc::Status TuningService::GetModel(grpc::ServerContext* ctx,
                                     const pb::GetModelRequest* r,
                                     pb::Model* response) {
  return Handle("GetModel", ctx, auth_,
                [&] { return Assign(core_->GetModel(*r), response); });
}

grpc::Status TuningService::ListModels(grpc::ServerContext* ctx,
                                       const pb::ListModelsRequest* r,
                                       pb::ListModelsResponse* response) {
  return Handle("ListModels", ctx, auth_,
                [&] { return Assign(core_->ListModels(*r), response); });
}

grpc::Status TuningService::StartTuning(grpc::ServerContext* ctx,
                                        const pb::StartTuningRequest* r,
                                        pb::Job* response) {
  return Handle("StartTuning", ctx, auth_,
                [&] { return Assign(core_->StartTuning(*r), response); });
}

grpc::Status TuningService::GetJob(grpc::ServerContext* ctx,
                                   const pb::GetJobRequest* r,
                                   pb::Job* response) {
  return Handle("GetJob", ctx, auth_,
                [&] { return Assign(core_->GetJob(*r), response); });
}

grpc::Status TuningService::ListJobs(grpc::ServerContext* ctx,
                                     const pb::ListJobsRequest* r,
                                     pb::ListJobsResponse* response) {
  return Handle("ListJobs", ctx, auth_,
                [&] { return Assign(core_->ListJobs(*r), response); });
}

grpc::Status TuningService::WatchJob(grpc::ServerContext* ctx,
                                     const pb::WatchJobRequest* r,
                                     grpc::ServerWriter<pb::JobEvent>* writer) {
  return Handle("WatchJob", ctx, auth_, [&]() -> absl::Status {
    int64_t last = r->after_seq();
    while (true) {
      absl::StatusOr<bool> finished = core_->JobFinished(r->job_id());
      absl::StatusOr<std::vector<pb::JobEvent>> events =
          core_->EventsAfter(r->job_id(), last);
      if (!events.ok()) return events.status();
      for (const pb::JobEvent& e : *events) {
        if (!writer->Write(e)) return absl::OkStatus();  // the client went away
        last = e.seq();
      }
      // `finished` was read before the events: every event of a finished
      // job has been sent now.
      if (finished.ok() && *finished) return absl::OkStatus();
      if (ctx->IsCancelled())
        return absl::CancelledError("watch cancelled by the client");
      if (stopping_->load()) {
        return absl::UnavailableError(
            "the daemon is shutting down; watch again later");
      }
      core_->WaitForEvent(r->job_id(), last, absl::Milliseconds(500));
    }
  });
}

grpc::Status TuningService::CancelJob(grpc::ServerContext* ctx,
                                      const pb::CancelJobRequest* r,
                                      pb::Job* response) {
  return Handle("CancelJob", ctx, auth_,
                [&] { return Assign(core_->CancelJob(*r), response); });
}

grpc::Status TuningService::GetParetoFront(grpc::ServerContext* ctx,
                                           const pb::GetParetoFrontRequest* r,
                                           pb::ParetoFront* response) {
  return Handle("GetParetoFront", ctx, auth_,
                [&] { return Assign(core_->GetParetoFront(*r), response); });
}

grpc::Status TuningService::ListCandidates(
    grpc::ServerContext* ctx, const pb::ListCandidatesRequest* r,
    pb::ListCandidatesResponse* response) {
  return Handle("ListCandidates", ctx, auth_,
                [&] { return Assign(core_->ListCandidates(*r), response); });
}

grpc::Status TuningService::GetBuild(
    grpc::ServerContext* ctx, const pb::GetBuildRequest* r,
    grpc::ServerWriter<pb::BuildChunk>* writer) {
  return Handle("GetBuild", ctx, auth_, [&]() -> absl::Status {
    absl::StatusOr<BuildArchive> archive = core_->GetBuild(*r);
    if (!archive.ok()) return archive.status();
    pb::BuildChunk first;
    *first.mutable_info() = archive->info;
    if (!writer->Write(first)) return absl::OkStatus();
    for (size_t at = 0; at < archive->bytes.size(); at += kBuildChunk) {
      pb::BuildChunk chunk;
      chunk.set_data(archive->bytes.substr(at, kBuildChunk));
      if (!writer->Write(chunk)) return absl::OkStatus();
    }
    return absl::OkStatus();
  });
}

grpc::Status TuningService::ListBoards(grpc::ServerContext* ctx,
                                       const pb::ListBoardsRequest* r,
                                       pb::ListBoardsResponse* response) {
  return Handle("ListBoards", ctx, auth_,
                [&] { return Assign(core_->ListBoards(*r), response); });
}

}  // namespace mcutune::server
