// Client commands that create and follow jobs: `mcutune submit`, `jobs`,
// `watch`, `cancel` (connection options: client_connection.h).
//   submit MODEL --board-kind K [--board-kind K2] [--sram-budget B]
//          [--flash-budget B] [--measure-budget N] [--batch N] [--runs N]
//          [--seed N] [--no-external-memory] [--name NAME] [--label TEXT]
//          [--watch]
//     MODEL is a .tflite file or a zoo architecture (synthesized, seed 1).
//     Uploads (deduplicated by hash), starts the job, prints its id; with
//     --watch follows it like `watch`.
//   jobs [--state S] [--limit N]     newest first
//   watch JOB                        progress lines until the job ends;
//                                    exit 0 done, 1 failed or cancelled
//   cancel JOB
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "graph/tflite_writer.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "server/cli/client_connection.h"
#include "server/cli/commands.h"

namespace mcutune::cli {
namespace {

namespace pb = ::mcutune::v1;

constexpr char kSubmitUsage[] =
    "usage: mcutune submit MODEL --board-kind K [--board-kind K2 ...]\n"
    "         [--sram-budget BYTES] [--flash-budget BYTES] [--measure-budget "
    "N]\n"
    "         [--batch N] [--runs N] [--seed N] [--no-external-memory]\n"
    "         [--name NAME] [--label TEXT] [--watch]\n"
    "         [--server HOST:PORT] [--token T | --token-file F] [--json]\n"
    "  MODEL: a .tflite file or a zoo architecture name. BYTES accept K and M\n"
    "  suffixes (KiB, MiB).\n";

absl::StatusOr<int64_t> ParseBytes(const std::string& flag,
                                   const std::string& v) {
  std::string digits = v;
  int64_t scale = 1;
  if (!digits.empty() && (digits.back() == 'K' || digits.back() == 'k')) {
    scale = 1024;
    digits.pop_back();
  } else if (!digits.empty() &&
             (digits.back() == 'M' || digits.back() == 'm')) {
    scale = 1024 * 1024;
    digits.pop_back();
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(digits, &n) || n < 0 || n > (int64_t{1} << 40)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " takes a byte count (e.g. 262144, 256K, 1M)"));
  }
  return n * scale;
}

absl::StatusOr<std::string> ModelBytes(const std::string& model,
                                       std::string* name) {
  std::error_code ec;
  if (std::filesystem::exists(model, ec)) {
    std::ifstream in(model, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    if (!in && !in.eof())
      return absl::NotFoundError(absl::StrCat("cannot read ", model));
    if (name->empty()) *name = std::filesystem::path(model).stem().string();
    return bytes;
  }
  absl::StatusOr<graph::zoo::ZooEntry> entry = graph::zoo::FindInZoo(model);
  if (!entry.ok()) {
    return absl::NotFoundError(absl::StrCat(
        "model '", model, "' is neither a file nor a zoo architecture"));
  }
  absl::StatusOr<graph::Graph> g =
      graph::zoo::Synthesize(entry->arch, /*seed=*/1);
  if (!g.ok()) return g.status();
  absl::StatusOr<std::vector<uint8_t>> bytes = graph::WriteTflite(*g);
  if (!bytes.ok()) return bytes.status();
  if (name->empty()) *name = model;
  return std::string(bytes->begin(), bytes->end());
}

// A model name the daemon accepts: [A-Za-z0-9._-], at most 128.
std::string CleanName(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 128)) {
    out += (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
            c == '_' || c == '-')
               ? c
               : '_';
  }
  return out;
}

std::string StateName(pb::JobState s) {
  std::string n = pb::JobState_Name(s);
  if (n.rfind("JOB_STATE_", 0) == 0) n = n.substr(10);
  return absl::AsciiStrToLower(n);
}

void PrintEvent(const pb::JobEvent& e) {
  const pb::JobProgress& p = e.progress();
  std::printf(
      "[%s] %-9s %-9s cand %d  built %d (failed %d, verify %d)  measured %d/%d "
      "(failed %d)  front %d%s%s\n",
      e.time().size() >= 19 ? e.time().substr(11, 8).c_str() : e.time().c_str(),
      StateName(e.state()).c_str(), e.phase().c_str(),
      p.candidates_enumerated(), p.builds_done(), p.builds_failed(),
      p.verify_failed(), p.measurements_done(), p.measurement_budget(),
      p.measurements_failed(), p.front_size(),
      e.message().empty() || e.message() == e.phase() ? "" : "  ",
      e.message() == e.phase() ? "" : e.message().c_str());
  std::fflush(stdout);
}

}  // namespace

static int WatchJob(Client& client, const std::string& job_id) {
  pb::WatchJobRequest req;
  req.set_job_id(job_id);
  int64_t last = 0;
  pb::JobState final_state = pb::JOB_STATE_UNSPECIFIED;
  // Reconnects (bounded) when the stream breaks, e.g. a daemon restart.
  for (int attempt = 0; attempt < 30; ++attempt) {
    req.set_after_seq(last);
    std::unique_ptr<grpc::ClientContext> ctx =
        client.Context(/*deadline=*/false);
    std::unique_ptr<grpc::ClientReader<pb::JobEvent>> reader =
        client.stub().WatchJob(ctx.get(), req);
    pb::JobEvent e;
    while (reader->Read(&e)) {
      last = e.seq();
      final_state = e.state();
      if (client.options().json) {
        std::printf("%s\n", ToJson(e, /*pretty=*/false).c_str());
        std::fflush(stdout);
      } else {
        PrintEvent(e);
      }
    }
    const grpc::Status s = reader->Finish();
    if (s.ok()) break;
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE) {
      return PrintError(FromGrpc(s, client.options()));
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  pb::GetJobRequest g;
  g.set_job_id(job_id);
  pb::Job job;
  std::unique_ptr<grpc::ClientContext> ctx = client.Context();
  if (grpc::Status s = client.stub().GetJob(ctx.get(), g, &job); !s.ok()) {
    return PrintError(FromGrpc(s, client.options()));
  }
  if (job.state() == pb::JOB_STATE_DONE) {
    if (!client.options().json) {
      std::printf(
          "job %s done: %d measured, %d on the front (mcutune pareto %s)\n",
          job_id.c_str(), job.progress().measurements_done(),
          job.progress().front_size(), job_id.c_str());
    }
    return 0;
  }
  (void)final_state;
  return PrintError(absl::AbortedError(absl::StrCat(
      "job ", job_id, " ", StateName(job.state()),
      job.error().empty() ? "" : absl::StrCat(": ", job.error()))));
}

int RunSubmit(const Args& in) {
  Args args = in;
  absl::StatusOr<ClientOptions> o = ParseClientOptions(&args);
  if (!o.ok()) return UsageError(std::string(o.status().message()));
  pb::StartTuningRequest start;
  std::string model, name;
  bool watch = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has = i + 1 < args.size();
    if (a == "-h" || a == "--help") {
      std::fputs(kSubmitUsage, stdout);
      return 0;
    } else if (a == "--watch") {
      watch = true;
    } else if (a == "--no-external-memory") {
      start.mutable_constraints()->set_allow_external_memory(false);
    } else if (a == "--board-kind" || a == "--board") {
      if (!has) return UsageError("submit: " + a + " needs a value");
      for (absl::string_view k :
           absl::StrSplit(args[++i], ',', absl::SkipEmpty())) {
        start.add_board_kinds(std::string(k));
      }
    } else if (a == "--sram-budget" || a == "--flash-budget") {
      if (!has) return UsageError("submit: " + a + " needs a value");
      absl::StatusOr<int64_t> b = ParseBytes(a, args[++i]);
      if (!b.ok()) return UsageError(std::string(b.status().message()));
      if (a == "--sram-budget") {
        start.mutable_constraints()->set_sram_budget_bytes(*b);
      } else {
        start.mutable_constraints()->set_flash_budget_bytes(*b);
      }
    } else if (a == "--measure-budget" || a == "--batch" || a == "--runs" ||
               a == "--seed") {
      int64_t v = 0;
      if (!has || !absl::SimpleAtoi(args[i + 1], &v) || v < 0 ||
          v > (int64_t{1} << 40)) {
        return UsageError("submit: " + a + " needs a non-negative integer");
      }
      ++i;
      const int32_t small = static_cast<int32_t>(std::min<int64_t>(v, 1 << 30));
      if (a == "--measure-budget") start.set_measurement_budget(small);
      if (a == "--batch") start.set_batch_size(small);
      if (a == "--runs") start.set_runs_per_measurement(small);
      if (a == "--seed") start.set_seed(static_cast<uint64_t>(v));
    } else if (a == "--name" || a == "--label") {
      if (!has) return UsageError("submit: " + a + " needs a value");
      (a == "--name" ? name : *start.mutable_label()) = args[++i];
    } else if (a.size() > 1 && a[0] == '-') {
      return UsageError("submit: unknown option '" + a + "'");
    } else if (model.empty()) {
      model = a;
    } else {
      return UsageError("submit: unexpected argument '" + a + "'");
    }
  }
  if (model.empty()) return UsageError("submit: missing MODEL");
  if (start.board_kinds().empty())
    return UsageError("submit: missing --board-kind");
  absl::StatusOr<std::string> bytes = ModelBytes(model, &name);
  if (!bytes.ok()) return PrintError(bytes.status());
  Client client(*o);
  // Upload.
  pb::Model uploaded;
  {
    std::unique_ptr<grpc::ClientContext> ctx = client.Context();
    std::unique_ptr<grpc::ClientWriter<pb::UploadModelRequest>> writer =
        client.stub().UploadModel(ctx.get(), &uploaded);
    pb::UploadModelRequest header;
    header.mutable_header()->set_name(CleanName(name));
    header.mutable_header()->set_size_bytes(
        static_cast<int64_t>(bytes->size()));
    bool ok = writer->Write(header);
    for (size_t at = 0; ok && at < bytes->size(); at += 256 * 1024) {
      pb::UploadModelRequest chunk;
      chunk.set_chunk(bytes->substr(at, 256 * 1024));
      ok = writer->Write(chunk);
    }
    writer->WritesDone();
    if (grpc::Status s = writer->Finish(); !s.ok()) {
      return PrintError(FromGrpc(s, *o));
    }
  }
  start.set_model_id(uploaded.id());
  pb::Job job;
  {
    std::unique_ptr<grpc::ClientContext> ctx = client.Context();
    if (grpc::Status s = client.stub().StartTuning(ctx.get(), start, &job);
        !s.ok()) {
      return PrintError(FromGrpc(s, *o));
    }
  }
  if (o->json) {
    std::printf("%s\n", ToJson(job, /*pretty=*/!watch).c_str());
  } else {
    std::printf(
        "model %s (%s, %lld bytes%s)\njob %s queued on %s, %d measurements\n",
        uploaded.name().c_str(), uploaded.id().substr(0, 12).c_str(),
        static_cast<long long>(uploaded.size_bytes()),
        uploaded.deduplicated() ? ", already uploaded" : "", job.id().c_str(),
        absl::StrJoin(job.request().board_kinds(), ",").c_str(),
        job.request().measurement_budget());
  }
  std::fflush(stdout);
  return watch ? WatchJob(client, job.id()) : 0;
}

int RunJobs(const Args& in) {
  Args args = in;
  absl::StatusOr<ClientOptions> o = ParseClientOptions(&args);
  if (!o.ok()) return UsageError(std::string(o.status().message()));
  pb::ListJobsRequest req;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--state" && i + 1 < args.size()) {
      pb::JobState st;
      if (!pb::JobState_Parse("JOB_STATE_" + absl::AsciiStrToUpper(args[++i]),
                              &st)) {
        return UsageError("jobs: --state queued|running|done|failed|cancelled");
      }
      req.add_states(st);
    } else if (args[i] == "--limit" && i + 1 < args.size()) {
      int v = 0;
      if (!absl::SimpleAtoi(args[++i], &v))
        return UsageError("jobs: --limit N");
      req.set_limit(v);
    } else {
      return UsageError("jobs: unexpected argument '" + args[i] + "'");
    }
  }
  Client client(*o);
  pb::ListJobsResponse res;
  std::unique_ptr<grpc::ClientContext> ctx = client.Context();
  if (grpc::Status s = client.stub().ListJobs(ctx.get(), req, &res); !s.ok()) {
    return PrintError(FromGrpc(s, *o));
  }
  if (o->json) {
    std::printf("%s\n", ToJson(res).c_str());
    return 0;
  }
  std::printf("%-14s %-9s %-9s %-20s %-22s %9s %5s  %s\n", "job", "state",
              "phase", "model", "boards", "measured", "front", "created");
  for (const pb::Job& j : res.jobs()) {
    std::printf(
        "%-14s %-9s %-9s %-20s %-22s %4d/%-4d %5d  %s\n", j.id().c_str(),
        StateName(j.state()).c_str(), j.phase().c_str(),
        j.model_name().substr(0, 20).c_str(),
        absl::StrJoin(j.request().board_kinds(), ",").substr(0, 22).c_str(),
        j.progress().measurements_done(), j.progress().measurement_budget(),
        j.progress().front_size(), j.created_at().substr(0, 19).c_str());
  }
  if (res.jobs().empty()) std::printf("(no jobs)\n");
  return 0;
}

int RunWatch(const Args& in) {
  Args args = in;
  absl::StatusOr<ClientOptions> o = ParseClientOptions(&args);
  if (!o.ok()) return UsageError(std::string(o.status().message()));
  if (args.size() != 1 || args[0].empty() || args[0][0] == '-') {
    return UsageError("usage: mcutune watch JOB [--json]");
  }
  Client client(*o);
  return WatchJob(client, args[0]);
}

int RunCancel(const Args& in) {
  Args args = in;
  absl::StatusOr<ClientOptions> o = ParseClientOptions(&args);
  if (!o.ok()) return UsageError(std::string(o.status().message()));
  if (args.size() != 1) return UsageError("usage: mcutune cancel JOB");
  Client client(*o);
  pb::CancelJobRequest req;
  req.set_job_id(args[0]);
  pb::Job job;
  std::unique_ptr<grpc::ClientContext> ctx = client.Context();
  if (grpc::Status s = client.stub().CancelJob(ctx.get(), req, &job); !s.ok()) {
    return PrintError(FromGrpc(s, *o));
  }
  if (o->json) {
    std::printf("%s\n", ToJson(job).c_str());
  } else {
    std::printf("job %s: cancel requested (now %s)\n", job.id().c_str(),
                StateName(job.state()).c_str());
  }
  return 0;
}

}  // namespace mcutune::cli
