// The tuning loop with a fake firmware factory and a fake farm (fast, no
// toolchain): budget, the measured front, failures as data, resume after a
// stop without lost or repeated measurements, cancellation, the job runner.
#include "tuner/tune_job.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cost_model/model_store.h"
#include "device_farm/board.h"
#include "graph/tflite_writer.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "graph/interpreter.h"
#include "tests/graph/probe_graphs.h"
#include "tests/testing/cli_runner.h"
#include "tuner/job_runner.h"

namespace mcutune::tuner {
namespace {

namespace fs = std::filesystem;

// Writes the plan's metrics into the bundle dir; Verify fails candidates
// whose id contains `fail_verify`.
class FakeFirmware : public FirmwareFactory {
 public:
  std::string fail_verify = "@none@";
  std::mutex mu;
  std::set<std::vector<int8_t>> inputs;  // embedded inputs of every build
  std::set<std::string> expected;        // expected output hashes
  absl::StatusOr<BuildOutcome> Build(const BuildRequest& r) override {
    fs::create_directories(r.dir);
    nlohmann::json j;
    j["macs"] = r.plan->metrics.macs_total;
    j["calls"] = r.plan->metrics.kernel_calls;
    j["expected"] = r.expected_output_sha256;
    std::ofstream(fs::path(r.dir) / "fake.json") << j.dump();
    {
      std::lock_guard<std::mutex> lock(mu);
      inputs.insert(r.input);
      expected.insert(r.expected_output_sha256);
    }
    BuildOutcome out;
    out.ok = true;
    out.stage = "done";
    out.flash_bytes = r.plan->metrics.flash_bytes + 1000;
    return out;
  }
  absl::StatusOr<std::vector<absl::Status>> Verify(
      const graph::Graph&, const std::vector<const space::Plan*>& plans,
      const std::vector<std::vector<int8_t>>&) override {
    std::vector<absl::Status> out;
    for (const space::Plan* p : plans) {
      out.push_back(p->candidate.Id().find(fail_verify) != std::string::npos
                        ? absl::InternalError("byte 3 differs")
                        : absl::OkStatus());
    }
    return out;
  }
};

// latency = 3 * MACs + 500 * kernel calls (instructions); counts completed
// measurements per build dir. `after_measure` runs after each measurement
// and may stop or cancel the job.
class FakeFarm : public Measurer {
 public:
  std::mutex mu;
  std::map<std::string, int> measured;  // build dir -> completed measurements
  std::function<void(int total)> after_measure;
  bool no_board =
      false;  // every request: FAILED_PRECONDITION (no board of the kind)
  int total = 0;
  std::atomic<int> cancel_calls{0};

  static double Latency(int64_t macs, int64_t calls) {
    return 3.0 * macs + 500.0 * calls;
  }

  std::vector<MeasureResult> MeasureBatch(
      const std::vector<MeasureRequest>& reqs,
      const std::function<WaitDecision()>& poll) override {
    std::vector<MeasureResult> out(reqs.size());
    for (size_t i = 0; i < reqs.size(); ++i) {
      const WaitDecision d = poll();
      if (d != WaitDecision::kContinue) {
        out[i].status = d == WaitDecision::kAbort
                            ? absl::AbortedError("stop")
                            : absl::CancelledError("cancel");
        continue;
      }
      if (no_board) {
        out[i].status = absl::FailedPreconditionError("no board of kind " +
                                                      reqs[i].board_kind);
        continue;
      }
      std::ifstream in(fs::path(reqs[i].build_dir) / "fake.json");
      const nlohmann::json j = nlohmann::json::parse(in);
      MeasureResult& r = out[i];
      r.status = absl::OkStatus();
      r.measurement.status = device_farm::RunStatus::kOk;
      r.measurement.unit = device_farm::CountUnit::kInstructions;
      r.measurement.per_inference = Latency(j["macs"], j["calls"]);
      r.measurement.output_sha256 = j["expected"];
      r.board_uri = "fake://" + reqs[i].board_kind;
      int now;
      {
        std::lock_guard<std::mutex> lock(mu);
        ++measured[reqs[i].build_dir];
        now = ++total;
      }
      if (after_measure) after_measure(now);
    }
    return out;
  }
  void CancelJob(const std::string&) override { ++cancel_calls; }
};

struct Fixture {
  fs::path dir = ::mcutune::testing::MakeTempDir("tune_job");
  std::unique_ptr<Store> store = *Store::Open(":memory:");
  FakeFirmware firmware;
  FakeFarm farm;
  TuneEnvironment env;
  std::string model_id;

  Fixture() {
    env.store = store.get();
    env.measurer = &farm;
    env.firmware = &firmware;
    env.catalogue =
        *space::LoadBoardCatalogue(MCUTUNE_SOURCE_DIR "/configs/boards");
    env.builds_dir = (dir / "builds").string();
    env.options.patience = 100;
    absl::StatusOr<graph::zoo::ZooEntry> e =
        graph::zoo::FindInZoo("ds-cnn-kws");
    REQUIRE(e.ok());
    absl::StatusOr<graph::Graph> g = graph::zoo::Synthesize(e->arch, 1);
    REQUIRE(g.ok());
    const std::vector<uint8_t> bytes = *graph::WriteTflite(*g);
    model_id = device_farm::Sha256Hex(bytes.data(), bytes.size());
    ModelRecord m;
    m.id = model_id;
    m.name = "ds-cnn-kws";
    REQUIRE(store->PutModel(m, std::string(bytes.begin(), bytes.end())).ok());
  }
  ~Fixture() { fs::remove_all(dir); }

  std::string NewJob(int budget, int batch,
                     const std::vector<std::string>& boards,
                     int64_t sram_budget = 0) {
    TuneRequest r;
    r.model_id = model_id;
    r.board_kinds = boards;
    r.measurement_budget = budget;
    r.batch_size = batch;
    r.sram_budget_bytes = sram_budget;
    REQUIRE(ValidateTuneRequest(env.catalogue, &r).ok());
    JobRecord j;
    j.id = NewJobId();
    j.model_id = model_id;
    j.request_json = TuneRequestToJson(r);
    REQUIRE(store->CreateJob(j).ok());
    return j.id;
  }
};

int64_t MetricsField(const CandidateRecord& c, const char* key) {
  return nlohmann::json::parse(c.metrics_json)[key].get<int64_t>();
}

// The front recomputed here from the rows, independently of the tuner.
std::set<std::string> ExpectedFront(const std::vector<CandidateRecord>& cs) {
  std::set<std::string> front;
  for (const CandidateRecord& a : cs) {
    if (a.state != CandidateState::kMeasured) continue;
    bool dominated = false;
    for (const CandidateRecord& b : cs) {
      if (&a == &b || b.state != CandidateState::kMeasured ||
          b.board_kind != a.board_kind) {
        continue;
      }
      const double la = a.measured, lb = b.measured;
      const int64_t sa = MetricsField(a, "peak_sram_bytes"),
                    sb = MetricsField(b, "peak_sram_bytes");
      const int64_t fa = a.linked_flash_bytes, fb = b.linked_flash_bytes;
      if (lb <= la && sb <= sa && fb <= fa && (lb < la || sb < sa || fb < fa))
        dominated = true;
    }
    if (!dominated) front.insert(a.key());
  }
  return front;
}

TEST_CASE(
    "a job spends its measurement budget and reports the measured front") {
  Fixture f;
  const std::string id =
      f.NewJob(/*budget=*/10, /*batch=*/4, {"qemu-f746", "qemu-f469"});
  JobControl control;
  REQUIRE(RunTuneJob(f.env, id, control).ok());
  const JobRecord job = *f.store->GetJob(id);
  INFO(job.error);
  CHECK(job.state == JobState::kDone);
  CHECK(job.progress.measurements_done == 10);
  CHECK(f.farm.total == 10);
  const std::vector<CandidateRecord> cs = *f.store->ListCandidates(id);
  std::set<std::string> on_front, boards_measured;
  for (const CandidateRecord& c : cs) {
    if (c.on_front) on_front.insert(c.key());
    if (c.state == CandidateState::kMeasured) {
      boards_measured.insert(c.board_kind);
      CHECK(c.output_matches);
      CHECK(c.measured == FakeFarm::Latency(MetricsField(c, "macs"),
                                            MetricsField(c, "kernel_calls")));
    }
  }
  CHECK(boards_measured.size() == 2);  // both boards got measurements
  CHECK_FALSE(on_front.empty());
  CHECK(on_front == ExpectedFront(cs));
  // The last event is the final one and carries the front.
  const std::vector<JobEvent> events = *f.store->EventsAfter(id, 0);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().state == JobState::kDone);
  CHECK(nlohmann::json::parse(events.back().front_json).size() ==
        on_front.size());
}

TEST_CASE(
    "with the cost model: predictions from it, job samples stored for the "
    "kind") {
  Fixture f;
  std::unique_ptr<cost_model::ModelStore> models =
      *cost_model::ModelStore::Open(":memory:");
  f.env.cost_store = models.get();
  const std::string id = f.NewJob(/*budget=*/9, /*batch=*/3, {"qemu-f746"});
  JobControl control;
  REQUIRE(RunTuneJob(f.env, id, control).ok());
  const JobRecord job = *f.store->GetJob(id);
  INFO(job.error);
  CHECK(job.state == JobState::kDone);
  CHECK(job.progress.measurements_done >= 3);
  CHECK(job.progress.measurements_done <= 9);
  const std::vector<CandidateRecord> cs = *f.store->ListCandidates(id);
  int from_model = 0;
  for (const CandidateRecord& c : cs)
    from_model += c.predictor == "cost-model-linear";
  CHECK(from_model > 0);  // refitted after the first round
  const std::vector<cost_model::StoredSample> samples =
      *models->Samples("qemu-f746");
  CHECK(static_cast<int>(samples.size()) == job.progress.measurements_done);
  for (const cost_model::StoredSample& s : samples) {
    CHECK(s.source == "job");
    CHECK(s.model_hash == f.model_id);
    CHECK(s.unit == "instructions");
  }
  std::set<std::string> on_front;
  for (const CandidateRecord& c : cs) {
    if (c.on_front) on_front.insert(c.key());
  }
  CHECK(on_front == ExpectedFront(cs));
}

TEST_CASE("a candidate failing host verification is data, the job goes on") {
  Fixture f;
  f.firmware.fail_verify = "layerwise";
  const std::string id = f.NewJob(4, 4, {"qemu-f746"});
  JobControl control;
  REQUIRE(RunTuneJob(f.env, id, control).ok());
  const JobRecord job = *f.store->GetJob(id);
  CHECK(job.state == JobState::kDone);
  CHECK(job.progress.verify_failed >= 1);
  const std::vector<CandidateRecord> rows = *f.store->ListCandidates(id);
  for (const CandidateRecord& c : rows) {
    if (c.candidate_id.find("layerwise") != std::string::npos &&
        c.state != CandidateState::kEnumerated) {
      CHECK(c.state == CandidateState::kVerifyFailed);
      CHECK(c.error.find("byte 3 differs") != std::string::npos);
    }
  }
  for (const auto& [dir, n] : f.farm.measured) {
    CHECK(dir.find("layerwise") == std::string::npos);  // never measured
  }
}

TEST_CASE("a stopped job resumes without losing or repeating measurements") {
  Fixture f;
  const std::string id = f.NewJob(8, 4, {"qemu-f746"});
  {
    JobControl control;
    // Stop (daemon shutdown) in the middle of the second round.
    f.farm.after_measure = [&](int total) {
      if (total == 6) control.stop = true;
    };
    REQUIRE(RunTuneJob(f.env, id, control).ok());
    const JobRecord job = *f.store->GetJob(id);
    CHECK(job.state == JobState::kRunning);  // resumable
    CHECK(f.farm.total == 6);
  }
  f.farm.after_measure = nullptr;
  JobControl control;
  REQUIRE(RunTuneJob(f.env, id, control).ok());
  const JobRecord job = *f.store->GetJob(id);
  CHECK(job.state == JobState::kDone);
  CHECK(job.progress.measurements_done == 8);
  CHECK(f.farm.total == 8);
  for (const auto& [dir, n] : f.farm.measured) {
    INFO(dir);
    CHECK(n == 1);
  }
  int measured_rows = 0;
  const std::vector<CandidateRecord> rows = *f.store->ListCandidates(id);
  for (const CandidateRecord& c : rows) {
    measured_rows += c.state == CandidateState::kMeasured;
  }
  CHECK(measured_rows == 8);
}

TEST_CASE("cancelling stops the job promptly and cancels its farm runs") {
  Fixture f;
  const std::string id = f.NewJob(40, 4, {"qemu-f746"});
  JobControl control;
  f.farm.after_measure = [&](int total) {
    if (total == 2) control.cancel = true;
  };
  REQUIRE(RunTuneJob(f.env, id, control).ok());
  const JobRecord job = *f.store->GetJob(id);
  CHECK(job.state == JobState::kCancelled);
  CHECK(f.farm.total == 2);
  CHECK(f.farm.cancel_calls == 1);
  // A finished job is left alone.
  JobControl again;
  REQUIRE(RunTuneJob(f.env, id, again).ok());
  CHECK(f.store->GetJob(id)->state == JobState::kCancelled);
}

TEST_CASE(
    "a farm without a board of the kind fails the job without burning the "
    "budget") {
  Fixture f;
  f.farm.no_board = true;
  const std::string id = f.NewJob(12, 4, {"qemu-f746"});
  JobControl control;
  REQUIRE(RunTuneJob(f.env, id, control).ok());
  const JobRecord job = *f.store->GetJob(id);
  CHECK(job.state == JobState::kFailed);
  CHECK(job.error.find("no board of kind qemu-f746") != std::string::npos);
  CHECK(job.progress.measurements_failed == 0);
  CHECK(job.progress.rounds == 1);
}

TEST_CASE("a job where nothing fits fails with the reason") {
  Fixture f;
  const std::string id = f.NewJob(4, 4, {"qemu-f746"}, /*sram_budget=*/1024);
  JobControl control;
  REQUIRE(RunTuneJob(f.env, id, control).ok());
  const JobRecord job = *f.store->GetJob(id);
  CHECK(job.state == JobState::kFailed);
  CHECK(job.error.find("no candidate fits") != std::string::npos);
}

TEST_CASE(
    "the job runner runs queued jobs, cancels queued ones, resumes on start") {
  Fixture f;
  const std::string a = f.NewJob(3, 3, {"qemu-f746"});
  const std::string b = f.NewJob(3, 3, {"qemu-f746"});
  {
    JobRunnerOptions o;
    o.max_concurrent_jobs = 1;
    JobRunner runner(f.env, o);
    // Cancel b before any worker exists: it never starts.
    REQUIRE(runner.Cancel(b).ok());
    CHECK(absl::IsFailedPrecondition(runner.Cancel(b)));
    CHECK(absl::IsNotFound(runner.Cancel("jnope")));
    REQUIRE(runner.Start().ok());  // picks up a (queued in the store)
    for (int i = 0; i < 600 && !IsTerminal(f.store->GetJob(a)->state); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    runner.Shutdown();
  }
  CHECK(f.store->GetJob(a)->state == JobState::kDone);
  CHECK(f.store->GetJob(b)->state == JobState::kCancelled);
}

TEST_CASE("a model with two inputs and two outputs: the firmware embeds "
          "every input and expects the hash of every output") {
  Fixture f;
  ::mcutune::testing::ProbeBuilder b("two_adds");
  using ::mcutune::testing::Q;
  const int x = b.Input("x", {1, 4, 4, 6}, Q(0.1f, 2));
  const int y = b.Input("y", {1, 4, 4, 6}, Q(0.07f, -9));
  const int s1 = b.Act("s1", {1, 4, 4, 6}, Q(0.15f, -1));
  const int s2 = b.Act("s2", {1, 4, 4, 6}, Q(0.2f, 4));
  b.Op(graph::OpType::kAdd, {x, y}, s1);
  b.Op(graph::OpType::kAdd, {y, x}, s2);
  const graph::Graph g = b.Finish({s2, s1});
  const std::vector<uint8_t> bytes = *graph::WriteTflite(g);
  f.model_id = device_farm::Sha256Hex(bytes.data(), bytes.size());
  ModelRecord m;
  m.id = f.model_id;
  m.name = "two_adds";
  REQUIRE(f.store->PutModel(m, std::string(bytes.begin(), bytes.end())).ok());
  const std::string id = f.NewJob(/*budget=*/2, /*batch=*/2, {"qemu-f746"});
  JobControl control;
  REQUIRE(RunTuneJob(f.env, id, control).ok());
  INFO(f.store->GetJob(id)->error);
  REQUIRE(f.store->GetJob(id)->state == JobState::kDone);
  // Input i: the golden generator with the request's seed (1) + i, written
  // out here; the expected hash covers both outputs in graph order.
  std::vector<std::vector<int8_t>> in(2, std::vector<int8_t>(96));
  std::vector<int8_t> all;
  for (uint32_t i = 0; i < 2; ++i) {
    uint32_t st = 1 + i;
    for (int8_t& v : in[i]) {
      st = st * 1103515245u + 12345u;
      v = static_cast<int8_t>(static_cast<int>((st >> 16) & 255u) - 128);
    }
    all.insert(all.end(), in[i].begin(), in[i].end());
  }
  const std::vector<std::vector<int8_t>> out = *graph::RunInference(g, in);
  std::string outs(out[0].begin(), out[0].end());
  outs.append(out[1].begin(), out[1].end());
  CHECK(f.firmware.inputs == std::set<std::vector<int8_t>>{all});
  CHECK(f.firmware.expected ==
        std::set<std::string>{device_farm::Sha256Hex(outs.data(), outs.size())});
}

}  // namespace
}  // namespace mcutune::tuner
