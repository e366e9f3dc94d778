// mcutuned under load (issue 7 / issue 10): 5 tuning jobs at once on the
// virtual boards of configs/farm.json while 50 clients on loopback call
// ListJobs / GetJob / GetParetoFront / ListBoards for a bounded time.
//
//   mcutuned (subprocess, auth on, max_concurrent_jobs 5, port 0)
//     ◄── UploadModel ds-cnn-kws, mcunet-vww0; 5 job slots, each running
//         one StartTuning (qemu-f746, small measurement budget) at a time:
//         when a slot's job ends, the next starts (new seed), so five jobs
//         are in flight for the whole duration
//     ◄── 50 client threads: list/get in a loop (--think-ms between calls)
//         on any job started so far
//   every --sample-s: daemon RSS (/proc/PID/status VmRSS) and each slot's
//   finished jobs + the current job's measurements; at the end: errors
//   (must be 0; a job that ends FAILED is one), RSS start/peak/end, the
//   per-slot progress table, fairness (measurements per slot, min/max and
//   per model), p50/p99 per RPC; jobs still running are cancelled, the
//   daemon is stopped with SIGTERM (graceful).
//
// Flags: --duration-s N (default 120; issue 10 asks for 600) --clients N
//        --think-ms N (default 50) --budget N (default 6) --sample-s N
//        --no-front (leave GetParetoFront out: it reads every candidate row
//        of the job, thousands, under the database's one connection)
// RSS is the daemon process alone (compilers and QEMU are its children).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "graph/tflite_writer.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "proto/mcutune/v1/mcutune.grpc.pb.h"
#include "tests/testing/daemon_spawn.h"

namespace {

namespace fs = std::filesystem;
namespace pb = ::mcutune::v1;
using Clock = std::chrono::steady_clock;

struct Flags {
  int duration_s = 120;
  int clients = 50;
  int think_ms = 50;
  int budget = 6;
  int sample_s = 15;
  bool front = true;  // GetParetoFront among the clients' calls
};

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

long RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

class Daemon {
 public:
  explicit Daemon(const fs::path& dir) : dir_(dir) {}
  ~Daemon() { Stop(); }

  bool Start() {
    nlohmann::json c;
    c["listen"] = "127.0.0.1:0";
    c["http_listen"] = "";
    c["data_dir"] = (dir_ / "data").string();
    c["boards_dir"] = MCUTUNE_SOURCE_DIR "/configs/boards";
    c["farm_inventory"] = MCUTUNE_SOURCE_DIR "/configs/farm.json";
    c["limits"] = {{"max_concurrent_jobs", 5}};
    c["log_level"] = "warn";
    mcutune::testing::SpawnedDaemon d;
    const std::string error =
        mcutune::testing::SpawnDaemon(dir_, c, std::nullopt, &d);
    if (!error.empty()) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return false;
    }
    pid_ = d.pid;
    grpc_ = d.grpc;
    token_ = d.token;
    return true;
  }
  // SIGTERM and wait (bounded: SIGKILL after 30 s). Returns the exit code.
  int Stop() { return mcutune::testing::StopDaemon(&pid_, SIGTERM); }
  pid_t pid() const { return pid_; }
  const std::string& grpc() const { return grpc_; }
  const std::string& token() const { return token_; }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  std::string grpc_, token_;
};

struct Samples {
  std::mutex mu;
  std::map<std::string, std::vector<double>> ms;
  std::map<std::string, std::string> first_error;
  std::atomic<int> errors{0};
  void Add(const std::string& rpc, double v, const grpc::Status& s) {
    std::lock_guard<std::mutex> lock(mu);
    ms[rpc].push_back(v);
    if (!s.ok()) {
      ++errors;
      first_error.emplace(rpc, s.error_message());
    }
  }
};

class Client {
 public:
  Client(const std::string& addr, std::string token)
      : stub_(pb::Tuning::NewStub(
            grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()))),
        token_(std::move(token)) {}
  std::unique_ptr<grpc::ClientContext> Ctx() const {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("authorization", "Bearer " + token_);
    c->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(30));
    return c;
  }
  pb::Tuning::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<pb::Tuning::Stub> stub_;
  std::string token_;
};

// Every job id started so far; clients pick one at random.
class SharedJobs {
 public:
  void Add(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    ids_.push_back(id);
  }
  std::string Pick(uint32_t r) const {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_.empty() ? "" : ids_[r % ids_.size()];
  }
  size_t Size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> ids_;
};

std::string Upload(Client& c, const std::string& zoo_name) {
  const mcutune::graph::Graph g = *mcutune::graph::zoo::Synthesize(
      mcutune::graph::zoo::FindInZoo(zoo_name)->arch, 1);
  const std::vector<uint8_t> bytes = *mcutune::graph::WriteTflite(g);
  pb::Model m;
  auto ctx = c.Ctx();
  auto w = c.stub().UploadModel(ctx.get(), &m);
  pb::UploadModelRequest h;
  h.mutable_header()->set_name(zoo_name);
  w->Write(h);
  pb::UploadModelRequest chunk;
  chunk.set_chunk(std::string(bytes.begin(), bytes.end()));
  w->Write(chunk);
  w->WritesDone();
  grpc::Status s = w->Finish();
  if (!s.ok()) {
    std::fprintf(stderr, "upload %s: %s\n", zoo_name.c_str(),
                 s.error_message().c_str());
    return "";
  }
  return m.id();
}

void ClientLoop(const std::string& addr, const std::string& token,
                SharedJobs& jobs, int think_ms,
                bool front, const std::atomic<bool>& stop, Samples* out,
                int seed) {
  Client c(addr, token);
  std::mt19937 rng(seed);
  auto timed = [&](const std::string& rpc, auto&& call) {
    const auto t0 = Clock::now();
    grpc::Status s = call();
    out->Add(
        rpc,
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count(),
        s);
  };
  for (int i = 0; !stop; ++i) {
    const std::string job = jobs.Pick(rng());
    switch (front ? i % 4 : (i % 3 == 2 ? 3 : i % 3)) {
      case 0:
        timed("ListJobs", [&] {
          pb::ListJobsResponse r;
          return c.stub().ListJobs(c.Ctx().get(), pb::ListJobsRequest(), &r);
        });
        break;
      case 1:
        timed("GetJob", [&] {
          pb::GetJobRequest r;
          r.set_job_id(job);
          pb::Job j;
          return c.stub().GetJob(c.Ctx().get(), r, &j);
        });
        break;
      case 2:
        timed("GetParetoFront", [&] {
          pb::GetParetoFrontRequest r;
          r.set_job_id(job);
          pb::ParetoFront f;
          return c.stub().GetParetoFront(c.Ctx().get(), r, &f);
        });
        break;
      default:
        timed("ListBoards", [&] {
          pb::ListBoardsResponse r;
          return c.stub().ListBoards(c.Ctx().get(), pb::ListBoardsRequest(),
                                     &r);
        });
    }
    for (int k = 0; k < think_ms / 10 && !stop; ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--no-front") {
      f.front = false;
      --i;
      continue;
    }
    const int v = i + 1 < argc ? std::atoi(argv[i + 1]) : -1;
    if (a == "--duration-s") {
      f.duration_s = std::clamp(v, 5, 24 * 3600);
    } else if (a == "--clients") {
      f.clients = std::clamp(v, 1, 500);
    } else if (a == "--think-ms") {
      f.think_ms = std::clamp(v, 0, 10000);
    } else if (a == "--budget") {
      f.budget = std::clamp(v, 1, 100);
    } else if (a == "--sample-s") {
      f.sample_s = std::clamp(v, 1, 600);
    } else {
      std::fprintf(stderr,
                   "usage: daemon_load_bench [--duration-s N] [--clients N] "
                   "[--think-ms N] [--budget N] [--sample-s N] "
                   "[--no-front]\n");
      return 2;
    }
  }
  const fs::path dir = fs::temp_directory_path() /
                       ("daemon_load_bench_" + std::to_string(getpid()));
  fs::create_directories(dir);
  Daemon daemon(dir);
  if (!daemon.Start()) {
    std::fprintf(stderr, "mcutuned did not start:\n%s\n",
                 mcutune::testing::ReadWholeFile(dir / "daemon.log").c_str());
    return 1;
  }
  const long rss_start = RssKb(daemon.pid());
  Client admin(daemon.grpc(), daemon.token());
  const std::vector<std::string> names = {"ds-cnn-kws", "mcunet-vww0"};
  std::map<std::string, std::string> model_ids;
  for (const std::string& n : names) {
    model_ids[n] = Upload(admin, n);
    if (model_ids[n].empty()) return 1;
  }
  // Five slots; each runs one job at a time and starts the next when its
  // job ends. Clients pick among every job started so far.
  struct Slot {
    std::string model, job;
    int finished = 0;           // jobs of this slot that ended DONE
    int64_t measured_done = 0;  // measurements of those jobs
    int64_t current = 0;        // measurements of the running job
  };
  std::vector<Slot> slots(5);
  SharedJobs all_jobs;
  int seed = 0, failed_jobs = 0;
  std::string first_job_failure;
  auto start_job = [&](Slot* slot) -> bool {
    pb::StartTuningRequest r;
    r.set_model_id(model_ids[slot->model]);
    r.add_board_kinds("qemu-f746");
    r.set_measurement_budget(f.budget);
    r.set_batch_size(2);
    r.set_runs_per_measurement(1);
    r.set_seed(++seed);
    r.set_label("load-bench");
    pb::Job j;
    grpc::Status s = admin.stub().StartTuning(admin.Ctx().get(), r, &j);
    if (!s.ok()) {
      std::fprintf(stderr, "StartTuning: %s\n", s.error_message().c_str());
      return false;
    }
    slot->job = j.id();
    slot->current = 0;
    all_jobs.Add(j.id());
    return true;
  };
  for (size_t k = 0; k < slots.size(); ++k) {
    slots[k].model = names[k % names.size()];
    if (!start_job(&slots[k])) return 1;
  }
  std::printf("daemon_load_bench: %d s, 5 job slots kept busy (qemu-f746 x2 "
              "of configs/farm.json, budget %d, batch 2), %d clients "
              "(list/get, %d ms think time)\n",
              f.duration_s, f.budget, f.clients, f.think_ms);

  std::atomic<bool> stop{false};
  Samples samples;
  std::vector<std::thread> threads;
  for (int i = 0; i < f.clients; ++i) {
    threads.emplace_back(ClientLoop, daemon.grpc(), daemon.token(),
                         std::ref(all_jobs), f.think_ms, f.front,
                         std::cref(stop), &samples, i + 1);
  }
  // Poll the slots every second (restart ended jobs), sample RSS and
  // progress every --sample-s, until the duration passes.
  struct Row {
    double t;
    long rss;
    std::vector<std::string> cells;
  };
  std::vector<Row> rows;
  long rss_peak = rss_start;
  const auto t0 = Clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  double next_sample = 0;
  while (elapsed() < f.duration_s) {
    const long rss = RssKb(daemon.pid());
    rss_peak = std::max(rss_peak, rss);
    std::vector<std::string> cells;
    for (Slot& slot : slots) {
      pb::GetJobRequest r;
      r.set_job_id(slot.job);
      pb::Job j;
      grpc::Status s = admin.stub().GetJob(admin.Ctx().get(), r, &j);
      if (!s.ok()) {
        cells.push_back("err");
        continue;
      }
      const auto& p = j.progress();
      slot.current = p.measurements_done();
      cells.push_back(std::to_string(slot.finished) + "+" +
                      std::to_string(p.measurements_done() +
                                     p.measurements_failed()) +
                      "/" + std::to_string(p.builds_done()) + " " +
                      j.phase().substr(0, 4));
      const bool ended = j.state() == pb::JOB_STATE_DONE ||
                         j.state() == pb::JOB_STATE_FAILED ||
                         j.state() == pb::JOB_STATE_CANCELLED;
      if (!ended) continue;
      if (j.state() == pb::JOB_STATE_DONE) {
        ++slot.finished;
        slot.measured_done += p.measurements_done();
      } else {
        ++failed_jobs;
        if (first_job_failure.empty()) {
          first_job_failure = slot.job + " " + pb::JobState_Name(j.state()) +
                              ": " + j.error();
        }
      }
      slot.current = 0;
      if (elapsed() < f.duration_s && !start_job(&slot)) ++failed_jobs;
    }
    if (elapsed() >= next_sample) {
      rows.push_back({elapsed(), rss, cells});
      next_sample += f.sample_s;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  const double wall = elapsed();
  const long rss_end = RssKb(daemon.pid());
  rss_peak = std::max(rss_peak, rss_end);
  // Progress table: per sample, per slot "finished jobs + measurements of
  // the current one, phase".
  std::printf("\nper-slot progress (jobs finished + the running job's "
              "measurements incl. failed / builds, its phase) and daemon "
              "RSS:\n"
              "%7s %9s", "t [s]", "RSS [MB]");
  for (size_t k = 0; k < slots.size(); ++k) {
    std::printf(" %16s",
                (std::to_string(k + 1) + ":" + slots[k].model).c_str());
  }
  std::printf("\n");
  for (const Row& r : rows) {
    std::printf("%7.0f %9.1f", r.t, r.rss / 1024.0);
    for (const std::string& c : r.cells) std::printf(" %16s", c.c_str());
    std::printf("\n");
  }
  // Fairness: measurements per slot (finished jobs + the running one),
  // min/max over all slots and within each model.
  std::printf("\nfairness: measurements per slot (jobs finished):");
  std::map<std::string, std::pair<int64_t, int64_t>> per_model;  // min, max
  int64_t lo = INT64_MAX, hi = 0;
  int jobs_done = 0;
  for (size_t k = 0; k < slots.size(); ++k) {
    const int64_t m = slots[k].measured_done + slots[k].current;
    jobs_done += slots[k].finished;
    std::printf(" %zu=%lld (%d)", k + 1, static_cast<long long>(m),
                slots[k].finished);
    lo = std::min(lo, m);
    hi = std::max(hi, m);
    auto [it, fresh] = per_model.try_emplace(slots[k].model, m, m);
    it->second.first = std::min(it->second.first, m);
    it->second.second = std::max(it->second.second, m);
  }
  std::printf("\n  min/max all slots %.2f", hi > 0 ? double(lo) / hi : 0.0);
  for (const auto& [model, mm] : per_model) {
    std::printf("; %s %.2f", model.c_str(),
                mm.second > 0 ? double(mm.first) / mm.second : 0.0);
  }
  std::printf("\n\n%-15s %10s %10s %10s\n", "rpc", "calls", "p50 [ms]",
              "p99 [ms]");
  size_t calls = 0;
  for (const auto& [rpc, v] : samples.ms) {
    calls += v.size();
    std::printf("%-15s %10zu %10.2f %10.2f\n", rpc.c_str(), v.size(),
                Quantile(v, 0.5), Quantile(v, 0.99));
  }
  // Jobs still running are cancelled; the daemon stops gracefully.
  for (const Slot& slot : slots) {
    pb::CancelJobRequest r;
    r.set_job_id(slot.job);
    pb::Job j;
    (void)admin.stub().CancelJob(admin.Ctx().get(), r, &j);
  }
  const int exit_code = daemon.Stop();
  std::printf(
      "\nSUMMARY %zu calls in %.0f s (%.0f/s), %d errors; %zu jobs started, "
      "%d done, %d failed; daemon RSS start %.1f MB, peak %.1f MB, end "
      "%.1f MB; SIGTERM exit %d\n",
      calls, wall, calls / wall, samples.errors.load(), all_jobs.Size(),
      jobs_done, failed_jobs, rss_start / 1024.0, rss_peak / 1024.0,
      rss_end / 1024.0, exit_code);
  if (!first_job_failure.empty()) {
    std::printf("  first failed job: %s\n", first_job_failure.c_str());
  }
  for (const auto& [rpc, e] : samples.first_error) {
    std::printf("  first %s error: %s\n", rpc.c_str(), e.c_str());
  }
  const bool ok = samples.errors == 0 && failed_jobs == 0 && exit_code == 0;
  if (ok) fs::remove_all(dir);
  else std::printf("  work dir kept: %s\n", dir.string().c_str());
  return ok ? 0 : 1;
}
