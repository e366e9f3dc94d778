// mcutuned's non-tuning RPCs under load: p50 / p99 latency of UploadModel
// (a deduplicated 43 KB model), GetModel, StartTuning (submit; the client
// cancels the job at once, CancelJob timed too), GetJob, ListJobs and
// ListBoards from 50 concurrent clients on loopback, against one client in
// the same run (the baseline). In-process daemon, auth on, one virtual
// board (StartTuning needs a board of the kind; the jobs are cancelled
// before they reach it, a few get as far as enumerating).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "graph/tflite_writer.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "proto/mcutune/v1/mcutune.grpc.pb.h"
#include "server/daemon/daemon.h"

namespace {

namespace pb = ::mcutune::v1;
using Clock = std::chrono::steady_clock;

struct Samples {
  std::mutex mu;
  std::map<std::string, std::vector<double>> ms;
  void Add(const std::string& rpc, double v) {
    std::lock_guard<std::mutex> lock(mu);
    ms[rpc].push_back(v);
  }
};

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

void Client(const std::string& addr, const std::string& token,
            const std::string& model, const std::string& model_id,
            int iterations, Samples* out, int* errors) {
  auto stub = pb::Tuning::NewStub(
      grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  auto ctx = [&] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("authorization", "Bearer " + token);
    return c;
  };
  for (int i = 0; i < iterations; ++i) {
    auto timed = [&](const std::string& rpc, auto&& call) {
      const auto t0 = Clock::now();
      grpc::Status s = call();
      out->Add(
          rpc,
          std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!s.ok()) {
        if (++*errors == 1) {
          std::fprintf(stderr, "%s: %s\n", rpc.c_str(),
                       s.error_message().c_str());
        }
      }
    };
    timed("UploadModel", [&] {
      pb::Model m;
      auto c = ctx();
      auto w = stub->UploadModel(c.get(), &m);
      pb::UploadModelRequest h;
      h.mutable_header()->set_name("bench");
      w->Write(h);
      pb::UploadModelRequest chunk;
      chunk.set_chunk(model);
      w->Write(chunk);
      w->WritesDone();
      return w->Finish();
    });
    if (!model_id.empty()) {
      timed("GetModel", [&] {
        pb::GetModelRequest r;
        r.set_model_id(model_id);
        pb::Model m;
        return stub->GetModel(ctx().get(), r, &m);
      });
    }
    if (!model_id.empty()) {
      std::string job_id;
      timed("StartTuning", [&] {
        pb::StartTuningRequest r;
        r.set_model_id(model_id);
        r.add_board_kinds("qemu-f746");
        r.set_measurement_budget(1);
        pb::Job j;
        grpc::Status s = stub->StartTuning(ctx().get(), r, &j);
        job_id = j.id();
        return s;
      });
      timed("GetJob", [&] {
        pb::GetJobRequest r;
        r.set_job_id(job_id);
        pb::Job j;
        return stub->GetJob(ctx().get(), r, &j);
      });
      timed("CancelJob", [&] {
        pb::CancelJobRequest r;
        r.set_job_id(job_id);
        pb::Job j;
        grpc::Status s = stub->CancelJob(ctx().get(), r, &j);
        // A job that already ended (failed: no board) is not an error here.
        return s.error_code() == grpc::StatusCode::FAILED_PRECONDITION
                   ? grpc::Status::OK
                   : s;
      });
    }
    timed("ListJobs", [&] {
      pb::ListJobsResponse r;
      return stub->ListJobs(ctx().get(), pb::ListJobsRequest(), &r);
    });
    timed("ListBoards", [&] {
      pb::ListBoardsResponse r;
      return stub->ListBoards(ctx().get(), pb::ListBoardsRequest(), &r);
    });
  }
}

}  // namespace

int main() {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("daemon_rpc_bench_" + std::to_string(getpid()));
  mcutune::server::DaemonConfig c;
  c.listen = "127.0.0.1:0";
  c.http_listen = "";
  c.data_dir = (dir / "data").string();
  c.boards_dir = MCUTUNE_SOURCE_DIR "/configs/boards";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "farm.json")
      << R"({"boards": [{"uri": "qemu://qemu-f746/0", "kind": "qemu-f746"}]})";
  c.farm_inventory = (dir / "farm.json").string();
  c.limits.max_queued_jobs = 1000;  // submitted jobs are cancelled at once
  mcutune::server::Daemon daemon(c);
  if (absl::Status s = daemon.Start(); !s.ok()) {
    std::fprintf(stderr, "daemon: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  const mcutune::graph::Graph g = *mcutune::graph::zoo::Synthesize(
      mcutune::graph::zoo::FindInZoo("ds-cnn-kws")->arch, 1);
  const std::vector<uint8_t> bytes = *mcutune::graph::WriteTflite(g);
  const std::string model(bytes.begin(), bytes.end());
  Samples warm;
  int errors = 0;
  Client(daemon.grpc_address(), daemon.client_token(), model, "", 1, &warm,
         &errors);
  // The model id: upload once and read it back from ListModels.
  auto stub = pb::Tuning::NewStub(grpc::CreateChannel(
      daemon.grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext lc;
  lc.AddMetadata("authorization", "Bearer " + daemon.client_token());
  pb::ListModelsResponse models;
  (void)stub->ListModels(&lc, pb::ListModelsRequest(), &models);
  const std::string model_id =
      models.models_size() ? models.models(0).id() : "";
  errors = 0;

  Samples one;
  Client(daemon.grpc_address(), daemon.client_token(), model, model_id, 100,
         &one, &errors);
  constexpr int kClients = 50, kIterations = 20;
  Samples many;
  std::vector<int> errs(kClients, 0);
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      Client(daemon.grpc_address(), daemon.client_token(), model, model_id,
             kIterations, &many, &errs[i]);
    });
  }
  for (std::thread& t : threads) t.join();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  for (int e : errs) errors += e;
  std::printf(
      "daemon_rpc_bench: %d clients x %d iterations x 7 RPCs in %.2f s "
      "(%.0f calls/s), %d errors\n",
      kClients, kIterations, wall, kClients * kIterations * 7 / wall, errors);
  std::printf("%-12s %12s %12s %12s %12s %10s\n", "rpc", "1 client p50",
              "1 client p99", "50 clnt p50", "50 clnt p99", "p50 ratio");
  for (const auto& [rpc, v] : many.ms) {
    const double b50 = Quantile(one.ms[rpc], 0.5),
                 b99 = Quantile(one.ms[rpc], 0.99);
    const double m50 = Quantile(v, 0.5), m99 = Quantile(v, 0.99);
    std::printf("%-12s %10.2f ms %10.2f ms %10.2f ms %10.2f ms %9.1fx\n",
                rpc.c_str(), b50, b99, m50, m99, b50 > 0 ? m50 / b50 : 0);
  }
  daemon.Stop();
  std::filesystem::remove_all(dir);
  return errors == 0 ? 0 : 1;
}
