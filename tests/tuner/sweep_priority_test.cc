// Interactive work goes before sweep work: the JobRunner starts queued jobs
// by priority, and the tuning loop's measurements reach the farm with the
// job's priority, where a contended board serves the interactive run first.
#include <catch2/catch.hpp>
#include <thread>

#include "graph/tflite_writer.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tests/tuner/sweep_testing.h"
#include "tuner/sweep_runner.h"
#include "tuner/tune_job.h"

namespace mcutune::tuner {
namespace {

namespace fs = std::filesystem;

using testing::SweepRig;

// Records which job measured first; every measurement is a fixed count.
class OrderFarm : public Measurer {
 public:
  std::mutex mu;
  std::vector<std::string> order;  // job id per measured request
  std::vector<int> priorities;
  std::vector<MeasureResult> MeasureBatch(
      const std::vector<MeasureRequest>& reqs,
      const std::function<WaitDecision()>&) override {
    std::vector<MeasureResult> out(reqs.size());
    for (size_t i = 0; i < reqs.size(); ++i) {
      {
        std::lock_guard<std::mutex> lock(mu);
        order.push_back(reqs[i].job_id);
        priorities.push_back(reqs[i].priority);
      }
      std::ifstream in(fs::path(reqs[i].build_dir) / "report.json");
      const nlohmann::json j = nlohmann::json::parse(in);
      out[i].status = absl::OkStatus();
      out[i].measurement.status = device_farm::RunStatus::kOk;
      out[i].measurement.unit = device_farm::CountUnit::kInstructions;
      out[i].measurement.per_inference = 1000 + i;
      out[i].measurement.output_sha256 = j["expected_output_sha256"];
    }
    return out;
  }
  void CancelJob(const std::string&) override {}
};

TEST_CASE(
    "the job runner starts an interactive job before a queued sweep job") {
  const fs::path dir = ::mcutune::testing::MakeTempDir("priority");
  std::unique_ptr<Store> store = *Store::Open(":memory:");
  testing::SweepFakeFirmware firmware;
  OrderFarm farm;
  TuneEnvironment env;
  env.store = store.get();
  env.measurer = &farm;
  env.firmware = &firmware;
  env.catalogue =
      *space::LoadBoardCatalogue(MCUTUNE_SOURCE_DIR "/configs/boards");
  env.builds_dir = (dir / "builds").string();
  const graph::Graph g =
      *graph::zoo::Synthesize(graph::zoo::FindInZoo("ds-cnn-kws")->arch, 1);
  const std::vector<uint8_t> bytes = *graph::WriteTflite(g);
  ModelRecord m;
  m.id = device_farm::Sha256Hex(bytes.data(), bytes.size());
  m.name = "ds-cnn-kws";
  REQUIRE(store->PutModel(m, std::string(bytes.begin(), bytes.end())).ok());
  auto make_job = [&](int priority) {
    TuneRequest r;
    r.model_id = m.id;
    r.board_kinds = {"qemu-f746"};
    r.measurement_budget = 2;
    r.batch_size = 2;
    r.priority = priority;
    REQUIRE(ValidateTuneRequest(env.catalogue, &r).ok());
    JobRecord j;
    j.id = NewJobId() + (priority < 0 ? "s" : "i");
    j.model_id = m.id;
    j.request_json = TuneRequestToJson(r);
    REQUIRE(store->CreateJob(j).ok());
    return j.id;
  };
  // The sweep job was queued first (older); one worker.
  const std::string sweep_job = make_job(kSweepJobPriority);
  const std::string interactive = make_job(0);
  JobRunnerOptions ro;
  ro.max_concurrent_jobs = 1;
  JobRunner runner(env, ro);
  REQUIRE(runner.Start().ok());  // both come back from the store, by priority
  for (int i = 0; i < 2000; ++i) {
    if (IsTerminal(store->GetJob(sweep_job)->state) &&
        IsTerminal(store->GetJob(interactive)->state)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  runner.Shutdown();
  REQUIRE(farm.order.size() == 4);
  CHECK(farm.order[0] == interactive);
  CHECK(farm.order[1] == interactive);
  CHECK(farm.order[3] == sweep_job);
  // Each job's measurements carry its priority to the farm.
  CHECK(farm.priorities[0] == 0);
  CHECK(farm.priorities[3] == kSweepJobPriority);

  // Enqueue() orders the same way once the runner is up.
  OrderFarm farm2;
  env.measurer = &farm2;
  JobRunner runner2(env, ro);
  REQUIRE(runner2.Start().ok());
  const std::string s2 = make_job(kSweepJobPriority);
  const std::string i2 = make_job(0);
  // Both queued before the worker can take either? Not guaranteed: only
  // check that both finish and carry their priorities.
  runner2.Enqueue(s2, kSweepJobPriority);
  runner2.Enqueue(i2, 0);
  for (int i = 0; i < 2000; ++i) {
    if (IsTerminal(store->GetJob(s2)->state) &&
        IsTerminal(store->GetJob(i2)->state))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  runner2.Shutdown();
  REQUIRE(farm2.order.size() == 4);
  for (size_t k = 0; k < farm2.order.size(); ++k) {
    CHECK(farm2.priorities[k] ==
          (farm2.order[k] == s2 ? kSweepJobPriority : 0));
  }
  fs::remove_all(dir);
}

TEST_CASE("a contended board serves the interactive run before the sweep's") {
  SweepRig rig;
  const fs::path builds = rig.dir / "fw";
  auto make_build = [&](const std::string& name, int macs) {
    fs::create_directories(builds / name);
    std::ofstream(builds / name / "firmware.elf")
        << nlohmann::json({{"macs", macs}, {"calls", 1}}).dump();
    std::ofstream(builds / name / "report.json")
        << nlohmann::json({{"build", {{"ok", true}}}}).dump();
    return (builds / name).string();
  };
  const std::string sweep_dir = make_build("sweep", 100);
  const std::string user_dir = make_build("user", 200);
  testing::FleetBoard* board = rig.board("qemu-f746");
  REQUIRE(rig.scheduler->Drain(board->uri()).ok());
  auto measure = [&](const std::string& dir, const std::string& tag, int prio,
                     MeasureResult* out) {
    MeasureRequest r;
    r.job_id = tag;
    r.board_kind = "qemu-f746";
    r.build_dir = dir;
    r.runs = 1;
    r.priority = prio;
    r.repeats = 2;
    *out = rig.measurer->MeasureBatch(
        {r}, [] { return WaitDecision::kContinue; })[0];
  };
  MeasureResult sweep_result, user_result;
  std::thread t1(measure, sweep_dir, "sweep-job", kSweepJobPriority,
                 &sweep_result);
  // The sweep's run is queued first.
  for (int i = 0; i < 1000 && rig.farm_runs() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::thread t2(measure, user_dir, "user-job", 0, &user_result);
  for (int i = 0; i < 1000 && rig.farm_runs() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE(rig.farm_runs() == 2);
  REQUIRE(rig.scheduler->Enable(board->uri()).ok());
  t1.join();
  t2.join();
  REQUIRE(sweep_result.status.ok());
  REQUIRE(user_result.status.ok());
  const std::vector<std::string> order = board->artifacts_run();
  REQUIRE(order.size() == 4);  // two repeats each
  const std::string user_sha =
      *device_farm::Sha256File(user_dir + "/firmware.elf");
  CHECK(order[0] == user_sha);
  CHECK(order[1] == user_sha);
  // Repeats come back one per repeat, with their counts.
  CHECK(user_result.repeat_counts ==
        std::vector<double>{testing::FleetBoard::FakeLatency(200, 1),
                            testing::FleetBoard::FakeLatency(200, 1)});
  device_farm::RunFilter f;
  f.tag = "sweep-job";
  CHECK(rig.scheduler->ListRuns(f)->front().request.priority ==
        kSweepJobPriority);
  CHECK(rig.scheduler->ListRuns(f)->front().request.repeats == 2);
}

}  // namespace
}  // namespace mcutune::tuner
