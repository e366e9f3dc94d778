// Test rig of the nightly sweeps: the real pieces (SQLite stores, device
// farm scheduler, SchedulerMeasurer, JobRunner + TuneJob, SweepManager) with
// two seams replaced:
//   - SweepFakeFirmware: "builds" a candidate by writing its plan metrics and
//     the toolchain into firmware.elf (so the artifact hash changes exactly
//     when the plan or the toolchain does) plus a report.json the farm reads;
//   - FleetBoard: a farm board whose count is computed from that file
//     (latency = 3 * MACs + 500 * kernel calls instructions), or taken from
//     an inner (QEMU) board, then multiplied by slowdown(). A slowdown > 1
//     models a board that got slower (lower clock, more flash wait states):
//     the same firmware measures higher, which is what drift detection must
//     report. It is a test hook, stated as such in counted_by.
// Time is a manual clock injected into the sweeps (schedules, re-measure
// periods); waiting stays real.
#ifndef MCUTUNE_TESTS_TUNER_SWEEP_TESTING_H_
#define MCUTUNE_TESTS_TUNER_SWEEP_TESTING_H_

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cost_model/model_store.h"
#include "device_farm/board.h"
#include "device_farm/farm_store.h"
#include "device_farm/scheduler.h"
#include "tests/testing/cli_runner.h"
#include "tuner/firmware_factory.h"
#include "tuner/job_runner.h"
#include "tuner/measurer.h"
#include "tuner/store.h"
#include "tuner/sweep_definition.h"
#include "tuner/sweep_manager.h"
#include "tuner/sweep_store.h"

namespace mcutune::tuner::testing {

namespace fs = std::filesystem;

// The value of a StatusOr that must be OK, by value (safe in range-for).
template <typename T>
T Ok(absl::StatusOr<T> s) {
  INFO(s.status().message());
  REQUIRE(s.ok());
  return *std::move(s);
}

class SweepFakeFirmware : public FirmwareFactory {
 public:
  std::atomic<int> builds{0};
  std::string toolchain = "fake-gcc 1.0";

  absl::StatusOr<BuildOutcome> Build(const BuildRequest& r) override {
    ++builds;
    fs::create_directories(r.dir);
    nlohmann::json elf = {{"macs", r.plan->metrics.macs_total},
                          {"calls", r.plan->metrics.kernel_calls},
                          {"candidate", r.plan->candidate.Id()},
                          {"board", r.board->id},
                          {"toolchain", toolchain}};
    std::ofstream(fs::path(r.dir) / "firmware.elf") << elf.dump();
    nlohmann::json report = {
        {"expected_output_sha256", r.expected_output_sha256},
        {"build", {{"ok", true}, {"toolchain_version", toolchain}}}};
    std::ofstream(fs::path(r.dir) / "report.json") << report.dump();
    BuildOutcome out;
    out.ok = true;
    out.stage = "done";
    out.flash_bytes = r.plan->metrics.flash_bytes + 1000;
    out.toolchain_version = toolchain;
    return out;
  }
  absl::StatusOr<std::vector<absl::Status>> Verify(
      const graph::Graph&, const std::vector<const space::Plan*>& plans,
      const std::vector<std::vector<int8_t>>&) override {
    return std::vector<absl::Status>(plans.size(), absl::OkStatus());
  }
};

class FleetBoard : public device_farm::Board {
 public:
  FleetBoard(std::string uri, space::BoardSpec spec,
             std::unique_ptr<device_farm::Board> inner = nullptr)
      : uri_(std::move(uri)),
        spec_(std::move(spec)),
        inner_(std::move(inner)) {}
  const std::string& uri() const override { return uri_; }
  const space::BoardSpec& spec() const override { return spec_; }
  int slots() const override { return 1; }

  void set_slowdown(double f) { slowdown_ = f; }
  // Real time every Run() takes (a busy board).
  void set_delay_ms(int ms) { delay_ms_ = ms; }
  int calls() const { return calls_; }
  std::vector<std::string> artifacts_run() const {
    std::lock_guard<std::mutex> lock(mu_);
    return artifacts_;
  }

  static double FakeLatency(int64_t macs, int64_t calls) {
    return 3.0 * static_cast<double>(macs) + 500.0 * static_cast<double>(calls);
  }

  absl::StatusOr<device_farm::Measurement> Run(
      const device_farm::Artifact& a,
      const device_farm::RunOptions& options) override {
    ++calls_;
    if (delay_ms_ > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      artifacts_.push_back(a.sha256);
    }
    device_farm::Measurement m;
    if (inner_) {
      absl::StatusOr<device_farm::Measurement> r = inner_->Run(a, options);
      if (!r.ok()) return r;
      m = *r;
    } else {
      std::ifstream in(a.elf_path);
      const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
      if (j.is_discarded()) return absl::InvalidArgumentError("not a fake elf");
      m.status = device_farm::RunStatus::kOk;
      m.unit = device_farm::CountUnit::kInstructions;
      m.runs = options.runs;
      m.warmup = options.warmup;
      m.per_inference = FakeLatency(j["macs"], j["calls"]);
      m.output_sha256 = a.expected_output_sha256;
      m.counted_by = "fake board: 3 * MACs + 500 * kernel calls";
    }
    const double f = slowdown_;
    if (f != 1.0 && m.status == device_farm::RunStatus::kOk) {
      m.per_inference = std::round(m.per_inference * f);
      m.counted_by += absl::StrCat("; test slowdown x", f);
    }
    m.total_count = static_cast<int64_t>(m.per_inference * std::max(1, m.runs));
    return m;
  }

 private:
  std::string uri_;
  space::BoardSpec spec_;
  std::unique_ptr<device_farm::Board> inner_;
  std::atomic<double> slowdown_{1.0};
  std::atomic<int> calls_{0};
  std::atomic<int> delay_ms_{0};
  mutable std::mutex mu_;
  std::vector<std::string> artifacts_;
};

class TestClock {
 public:
  explicit TestClock(absl::Time t) : t_(t) {}
  absl::Time Now() {
    std::lock_guard<std::mutex> lock(mu_);
    return t_;
  }
  void Set(absl::Time t) {
    std::lock_guard<std::mutex> lock(mu_);
    t_ = t;
  }

 private:
  std::mutex mu_;
  absl::Time t_;
};

inline absl::Time Utc(int y, int mo, int d, int h, int mi, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

// One daemon's worth of sweep machinery over one SQLite file.
struct SweepRig {
  fs::path dir = ::mcutune::testing::MakeTempDir("sweep_rig");
  std::shared_ptr<base::Database> db;
  std::unique_ptr<Store> store;
  std::shared_ptr<device_farm::FarmStore> farm_store;
  std::unique_ptr<cost_model::ModelStore> cost_store;
  std::unique_ptr<SweepStore> sweeps;
  std::vector<space::BoardSpec> catalogue;
  std::vector<FleetBoard*> boards;  // owned by the scheduler
  std::unique_ptr<device_farm::Scheduler> scheduler;
  std::unique_ptr<Measurer> measurer;
  std::unique_ptr<FirmwareFactory> own_firmware;
  FirmwareFactory* firmware = nullptr;
  SweepFakeFirmware* fake_firmware = nullptr;
  std::unique_ptr<JobRunner> runner;
  TestClock clock{Utc(2030, 1, 1, 1, 0)};
  std::string toolchain = "fake-gcc 1.0";
  std::string codegen = "codegen-test-1";

  // `real` = the codegen firmware factory and `make_inner` boards (QEMU).
  explicit SweepRig(std::unique_ptr<FirmwareFactory> real_firmware = nullptr,
                    std::function<std::unique_ptr<device_farm::Board>(
                        const space::BoardSpec&)>
                        make_inner = nullptr) {
    db = std::shared_ptr<base::Database>(
        std::move(*base::Database::Open((dir / "mcutune.db").string())));
    store = std::move(*Store::Attach(db));
    farm_store = std::move(*device_farm::FarmStore::Attach(db));
    cost_store = std::move(*cost_model::ModelStore::Attach(db));
    sweeps = std::move(*SweepStore::Attach(db));
    catalogue =
        *space::LoadBoardCatalogue(MCUTUNE_SOURCE_DIR "/configs/boards");
    std::vector<std::unique_ptr<device_farm::Board>> owned;
    for (const char* kind : {"qemu-f746", "qemu-f469"}) {
      const space::BoardSpec spec = *space::FindBoard(catalogue, kind);
      auto b =
          std::make_unique<FleetBoard>(absl::StrCat("fleet://", kind), spec,
                                       make_inner ? make_inner(spec) : nullptr);
      boards.push_back(b.get());
      owned.push_back(std::move(b));
    }
    device_farm::SchedulerOptions so;
    so.poll_interval = absl::Milliseconds(20);
    so.retry_backoff = absl::Milliseconds(50);
    scheduler = std::move(
        *device_farm::MakeScheduler(farm_store, std::move(owned), so));
    measurer = MakeSchedulerMeasurer(scheduler.get());
    if (real_firmware) {
      own_firmware = std::move(real_firmware);
    } else {
      auto fake = std::make_unique<SweepFakeFirmware>();
      fake_firmware = fake.get();
      own_firmware = std::move(fake);
    }
    firmware = own_firmware.get();
    StartRunner();
  }

  void StartRunner() {
    TuneEnvironment env;
    env.store = store.get();
    env.measurer = measurer.get();
    env.firmware = firmware;
    env.catalogue = catalogue;
    env.builds_dir = (dir / "builds").string();
    env.cost_store = cost_store.get();
    env.options.measure_timeout = absl::Seconds(60);
    JobRunnerOptions ro;
    ro.max_concurrent_jobs = 2;
    runner = std::make_unique<JobRunner>(env, ro);
    REQUIRE(runner->Start().ok());
  }

  ~SweepRig() {
    if (runner) runner->Shutdown();
    if (scheduler) scheduler->Stop();
    fs::remove_all(dir);
  }

  FleetBoard* board(const std::string& kind) {
    for (FleetBoard* b : boards) {
      if (b->kind() == kind) return b;
    }
    return nullptr;
  }
  int board_calls() const {
    int n = 0;
    for (FleetBoard* b : boards) n += b->calls();
    return n;
  }
  int farm_runs() {
    device_farm::RunFilter f;
    f.limit = 100000;
    return static_cast<int>(scheduler->ListRuns(f)->size());
  }
  int jobs() { return static_cast<int>(store->ListJobs({}, 1000)->size()); }

  SweepEnvironment Env() {
    SweepEnvironment e;
    e.store = store.get();
    e.runner = runner.get();
    e.measurer = measurer.get();
    e.cost_store = cost_store.get();
    e.sweeps = sweeps.get();
    e.catalogue = catalogue;
    e.builds_dir = (dir / "builds").string();
    e.reports_dir = (dir / "sweeps").string();
    e.clock = [this] { return clock.Now(); };
    e.toolchain_version = [this] { return toolchain; };
    e.codegen_version = [this] { return codegen; };
    e.measure_timeout = absl::Seconds(60);
    return e;
  }

  SweepDefinition Define(const std::string& json) {
    absl::StatusOr<SweepDefinition> d =
        ParseSweepDefinition(json, "test", dir.string(), "test", catalogue);
    INFO(d.status().message());
    REQUIRE(d.ok());
    return *d;
  }
};

}  // namespace mcutune::tuner::testing

#endif  // MCUTUNE_TESTS_TUNER_SWEEP_TESTING_H_
