// Nightly sweeps end to end over the real tuning loop, farm scheduler and
// stores (sweep_testing.h): a sweep of three zoo models on two virtual board
// kinds fires from its cron schedule under an injected clock, produces a
// report, does no work the next night, re-measures when due and reports a
// board made slower as drift; changed inputs re-tune; catch-up policy;
// a run interrupted by a shutdown adopts its job after the restart.
// The [qemu] case repeats the core scenario with real firmware on QEMU.
#include "tuner/sweep_runner.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <thread>

#include "codegen/firmware_builder.h"
#include "device_farm/qemu_board.h"
#include "tests/tuner/sweep_testing.h"
#include "tuner/sweep_inputs.h"
#include "tuner/sweep_report.h"

namespace mcutune::tuner {
namespace {

namespace fs = std::filesystem;

using testing::SweepRig;
using testing::Utc;

constexpr char kThreeModels[] = R"({
  "schedule": "0 2 * * *",
  "models": ["ds-cnn-kws", "mcunet-vww0", "mcunet-in0"],
  "board_kinds": ["qemu-f746", "qemu-f469"],
  "constraints": [{"name": "board", "max_n_patch": 2}],
  "measurement_budget": 3, "batch_size": 3, "runs_per_measurement": 1,
  "remeasure_after_hours": 48, "remeasure_repeats": 2
})";

// Waits (real time) until the sweep has `n` runs and the manager is idle.
std::vector<SweepRunRecord> AwaitRuns(SweepManager& m, const std::string& sweep,
                                      size_t n) {
  for (int i = 0; i < 3000; ++i) {
    if (m.store().ListRuns(sweep)->size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(m.WaitIdle(absl::Seconds(240)));
  std::vector<SweepRunRecord> runs = *m.store().ListRuns(sweep);
  REQUIRE(runs.size() == n);
  return runs;  // newest first
}

std::map<std::string, int> AlertKinds(const std::vector<SweepAlert>& alerts) {
  std::map<std::string, int> k;
  for (const SweepAlert& a : alerts) ++k[a.kind];
  return k;
}

TEST_CASE(
    "a nightly sweep runs from its schedule, skips unchanged work and "
    "reports a slower board as drift") {
  SweepRig rig;
  const SweepDefinition def = rig.Define(kThreeModels);
  SweepManagerOptions mo;
  mo.poll = absl::Milliseconds(20);  // the timer thread, on the test clock
  SweepManager m(rig.Env(), {def}, mo);
  REQUIRE(m.Start().ok());
  REQUIRE(m.NextRun("test") == Utc(2030, 1, 1, 2, 0));

  // 01:00: nothing due.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(m.store().ListRuns("test")->empty());

  // ---- night 1, 02:00: everything is new -> six tuning jobs.
  rig.clock.Set(Utc(2030, 1, 1, 2, 0, 30));
  SweepRunRecord r1 = AwaitRuns(m, "test", 1)[0];
  INFO(r1.error);
  CHECK(r1.state == "done");
  CHECK(r1.trigger == "schedule");
  CHECK(r1.scheduled_for_ms == absl::ToUnixMillis(Utc(2030, 1, 1, 2, 0)));
  CHECK(r1.counts.items == 6);
  CHECK(r1.counts.tuned == 6);
  CHECK(r1.counts.jobs == 6);
  CHECK(rig.jobs() == 6);
  CHECK(r1.counts.builds == rig.fake_firmware->builds.load());
  CHECK(r1.counts.farm_runs == rig.board_calls());
  CHECK(r1.counts.farm_runs == rig.farm_runs());
  CHECK(r1.counts.farm_runs <= 6 * 3);  // the per-item budget
  // Sweep jobs and their farm runs carry the sweep priority.
  for (const JobRecord& j : testing::Ok(rig.store->ListJobs({}, 100))) {
    CHECK(TuneRequestFromJson(j.request_json)->priority == kSweepJobPriority);
    CHECK(j.state == JobState::kDone);
  }
  device_farm::RunFilter all;
  for (const device_farm::RunRecord& run :
       testing::Ok(rig.scheduler->ListRuns(all))) {
    CHECK(run.request.priority == kSweepJobPriority);
  }
  // Every item has a measured front whose points are the job's front.
  const SweepRunReport rep1 = *LoadSweepRunReport(*rig.sweeps, r1.id);
  REQUIRE(rep1.items.size() == 6);
  std::set<std::string> keys;
  for (const SweepItemRecord& it : rep1.items) {
    keys.insert(it.key);
    CHECK(it.action == "tune");
    CHECK(it.state == "done");
    int front = 0;
    for (const CandidateRecord& c :
         testing::Ok(rig.store->ListCandidates(it.job_id))) {
      front += c.on_front;
    }
    int points = 0;
    for (const SweepPoint& p : rep1.points) points += p.key == it.key;
    CHECK(points == front);
    CHECK(points > 0);
  }
  CHECK(keys.count("mcunet-in0/qemu-f469/board"));
  CHECK(rep1.alerts.empty());
  // Cost models refitted from the sweep's measurements: a new version each.
  for (const char* kind : {"qemu-f746", "qemu-f469"}) {
    CHECK(rig.cost_store->ModelVersions(kind)->size() == 1);
  }
  CHECK(rep1.cost_models.size() == 2);
  // The report files.
  const fs::path md = rig.dir / "sweeps" / "test" / (r1.id + ".md");
  const std::string md_text = ::mcutune::testing::ReadFileText(md);
  CHECK(md_text.find("mcunet-vww0/qemu-f746/board") != std::string::npos);
  CHECK(md_text.find("No drift") != std::string::npos);
  const nlohmann::json js =
      nlohmann::json::parse(::mcutune::testing::ReadFileText(
          rig.dir / "sweeps" / "test" / (r1.id + ".json")));
  CHECK(js["items"].size() == 6);
  CHECK(js["run"]["counts"]["tuned"] == 6);

  // ---- night 2: nothing changed, re-measurement not due -> no work.
  const int builds1 = rig.fake_firmware->builds, calls1 = rig.board_calls();
  const int farm1 = rig.farm_runs(), jobs1 = rig.jobs();
  rig.clock.Set(Utc(2030, 1, 2, 2, 0, 30));
  SweepRunRecord r2 = AwaitRuns(m, "test", 2)[0];
  CHECK(r2.state == "done");
  CHECK(r2.counts.skipped == 6);
  CHECK(r2.counts.jobs == 0);
  CHECK(r2.counts.farm_runs == 0);
  CHECK(rig.fake_firmware->builds == builds1);
  CHECK(rig.board_calls() == calls1);
  CHECK(rig.farm_runs() == farm1);
  CHECK(rig.jobs() == jobs1);
  CHECK(rig.cost_store->ModelVersions("qemu-f469")->size() == 1);  // no refit

  // ---- night 3: re-measurement due; qemu-f469 got 30% slower.
  rig.board("qemu-f469")->set_slowdown(1.3);
  int front_points = 0, f469_points = 0;
  for (const SweepPoint& p : rep1.points) {
    ++front_points;
    f469_points += p.key.find("/qemu-f469/") != std::string::npos;
  }
  rig.clock.Set(Utc(2030, 1, 3, 2, 0, 30));
  SweepRunRecord r3 = AwaitRuns(m, "test", 3)[0];
  INFO(r3.error);
  CHECK(r3.state == "done");
  CHECK(r3.counts.remeasured == 6);
  CHECK(r3.counts.jobs == 0);
  CHECK(rig.fake_firmware->builds == builds1);            // no builds
  CHECK(rig.farm_runs() == farm1 + front_points);         // one run per point
  CHECK(rig.board_calls() == calls1 + 2 * front_points);  // 2 repeats each
  const SweepRunReport rep3 = *LoadSweepRunReport(*rig.sweeps, r3.id);
  std::map<std::string, int> kinds = AlertKinds(rep3.alerts);
  CHECK(kinds["front_regression"] == f469_points);
  CHECK(kinds["board_shift"] == 1);
  for (const SweepAlert& a : rep3.alerts) {
    INFO(a.message);
    if (a.kind == "front_regression") {
      CHECK(a.board_kind == "qemu-f469");
      CHECK(a.ratio == Approx(1.3).epsilon(0.001));
      CHECK(a.band == Approx(def.drift.noise_floor));  // deterministic counts
    }
    if (a.kind == "board_shift") {
      CHECK(a.board_kind == "qemu-f469");
      CHECK(a.ratio == Approx(1.3).epsilon(0.001));
      CHECK(a.severity == "critical");
    }
    CHECK(a.board_kind != "qemu-f746");
  }
  // The cost model of the slower kind no longer predicts it: error alert,
  // and a refit (new version; the old one kept). The other kind: neither.
  bool cost_alert = false;
  for (const SweepCostRow& c : rep3.cost_models) {
    INFO(c.board_kind << " mape " << c.mape_used << " ref " << c.reference_mape
                      << " " << c.note);
    if (c.board_kind == "qemu-f469") {
      CHECK(c.version_used == 1);
      CHECK(c.version_new == 2);
      CHECK(c.mape_used > c.reference_mape + 0.05);
    } else {
      CHECK(c.version_new == 0);
    }
  }
  for (const SweepAlert& a : rep3.alerts) {
    cost_alert |= a.kind == "cost_model_error" && a.board_kind == "qemu-f469";
  }
  CHECK(cost_alert);
  CHECK(rig.cost_store->ModelVersions("qemu-f469")->size() == 2);
  CHECK(rig.cost_store->ModelVersions("qemu-f746")->size() == 1);
  const std::string md3 = FormatSweepReportMarkdown(rep3);
  CHECK(md3.find("board_shift") != std::string::npos);
  CHECK(md3.find("+30.0%") != std::string::npos);

  // ---- a manual run after a toolchain upgrade: every item is tuned again.
  rig.toolchain = "fake-gcc 2.0";
  rig.fake_firmware->toolchain = "fake-gcc 2.0";
  rig.board("qemu-f469")->set_slowdown(1.0);
  bool dedup = true;
  absl::StatusOr<SweepRunRecord> manual = m.RunNow("test", &dedup);
  REQUIRE(manual.ok());
  CHECK_FALSE(dedup);
  SweepRunRecord r4 = AwaitRuns(m, "test", 4)[0];
  CHECK(r4.trigger == "manual");
  CHECK(r4.counts.tuned == 6);
  CHECK(r4.counts.jobs == 6);
  for (const SweepItemRecord& it : testing::Ok(rig.sweeps->ListItems(r4.id))) {
    CHECK(it.reason.find("toolchain 'fake-gcc 1.0' -> 'fake-gcc 2.0'") !=
          std::string::npos);
  }
  CHECK(m.RunNow("nope").status().code() == absl::StatusCode::kNotFound);
  m.Shutdown();
}

// A definition whose items fail fast (nothing fits 2 KiB of SRAM): for
// schedule tests that should not tune anything.
constexpr char kFailsFast[] = R"({
  "schedule": "0 2 * * *", "catch_up": "%s",
  "models": ["ds-cnn-kws"], "board_kinds": ["qemu-f746"],
  "constraints": [{"name": "tiny", "sram_budget": 2048}],
  "measurement_budget": 1
})";

TEST_CASE("missed slots: catch_up latest runs once, skip runs nothing") {
  for (const std::string policy : {"latest", "skip"}) {
    SECTION(policy) {
      SweepRig rig;
      char text[512];
      std::snprintf(text, sizeof(text), kFailsFast, policy.c_str());
      const SweepDefinition def = rig.Define(text);
      SweepManagerOptions mo;
      mo.timer = false;
      {
        SweepManager m(rig.Env(), {def}, mo);
        REQUIRE(m.Start().ok());  // first seen at 01:00 on day 1
        m.Shutdown();
      }
      // The daemon comes back two and a half days later: slots of days 1, 2
      // and 3 were missed.
      rig.clock.Set(Utc(2030, 1, 3, 14, 0));
      SweepManager m(rig.Env(), {def}, mo);
      REQUIRE(m.Start().ok());  // ticks once
      REQUIRE(m.WaitIdle(absl::Seconds(60)));
      const std::vector<SweepRunRecord> runs = *m.store().ListRuns("test");
      if (policy == "latest") {
        REQUIRE(runs.size() == 1);
        CHECK(runs[0].trigger == "catch_up");
        CHECK(runs[0].scheduled_for_ms ==
              absl::ToUnixMillis(Utc(2030, 1, 3, 2, 0)));
        CHECK(runs[0].state == "failed");  // its only item cannot fit
        CHECK(runs[0].counts.failed == 1);
      } else {
        CHECK(runs.empty());
      }
      CHECK(m.NextRun("test") == Utc(2030, 1, 4, 2, 0));
      // Ticking again the same day does not run the slot twice.
      CHECK(m.Tick().empty());
      // The next slot on time is a scheduled run.
      rig.clock.Set(Utc(2030, 1, 4, 2, 1));
      CHECK(m.Tick().size() == 1);
      REQUIRE(m.WaitIdle(absl::Seconds(60)));
      CHECK(m.store().ListRuns("test")->front().trigger == "schedule");
    }
  }
}

TEST_CASE("a disabled sweep never fires but runs on demand") {
  SweepRig rig;
  std::string text = kFailsFast;
  text.replace(text.find("%s"), 2, "latest");
  text.insert(1, "\"enabled\": false,");
  const SweepDefinition def = rig.Define(text);
  SweepManagerOptions mo;
  mo.timer = false;
  SweepManager m(rig.Env(), {def}, mo);
  REQUIRE(m.Start().ok());
  CHECK(m.NextRun("test") == absl::InfiniteFuture());
  rig.clock.Set(Utc(2030, 1, 5, 3, 0));
  CHECK(m.Tick().empty());
  REQUIRE(m.RunNow("test").ok());
  REQUIRE(m.WaitIdle(absl::Seconds(60)));
  CHECK(m.store().ListRuns("test")->size() == 1);
}

TEST_CASE("a run interrupted by a shutdown adopts its job after the restart") {
  SweepRig rig;
  const SweepDefinition def = rig.Define(R"({
    "schedule": "0 2 * * *",
    "models": ["ds-cnn-kws"], "board_kinds": ["qemu-f746"],
    "measurement_budget": 2, "batch_size": 1, "runs_per_measurement": 1
  })");
  SweepManagerOptions mo;
  mo.timer = false;
  std::string job;
  {
    SweepManager m(rig.Env(), {def}, mo);
    REQUIRE(m.Start().ok());
    rig.board("qemu-f746")->set_delay_ms(300);  // the job takes > 0.6 s
    REQUIRE(m.RunNow("test").ok());
    // Stop the sweep as soon as its item has a job, before the job ends.
    for (int i = 0; i < 2000 && job.empty(); ++i) {
      std::vector<SweepRunRecord> runs = *m.store().ListRuns("test");
      if (!runs.empty()) {
        for (const SweepItemRecord& it :
             testing::Ok(m.store().ListItems(runs[0].id))) {
          job = it.job_id;
        }
      }
      if (job.empty())
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    REQUIRE_FALSE(job.empty());
    m.Shutdown();
  }
  rig.runner->Shutdown();  // the daemon stops: the job stays resumable
  rig.board("qemu-f746")->set_delay_ms(0);
  const std::vector<SweepRunRecord> before = *rig.sweeps->ListRuns("test");
  REQUIRE(before.size() == 1);
  // The run either ended before the stop (fast machine) or was interrupted.
  if (before[0].state == "interrupted") {
    rig.StartRunner();  // restart: the job resumes
    SweepManager m(rig.Env(), {def}, mo);
    REQUIRE(m.Start().ok());
    REQUIRE(m.RunNow("test").ok());
    REQUIRE(m.WaitIdle(absl::Seconds(60)));
    const SweepRunRecord r = m.store().ListRuns("test")->front();
    CHECK(r.state == "done");
    CHECK(r.counts.jobs == 0);  // no new job: the old one was adopted
    const std::vector<SweepItemRecord> items = *m.store().ListItems(r.id);
    REQUIRE(items.size() == 1);
    CHECK(items[0].job_id == job);
    CHECK(items[0].reason.find("adopted job " + job) != std::string::npos);
    CHECK(rig.jobs() == 1);
  } else {
    WARN("the sweep run finished before it could be interrupted");
  }
}

TEST_CASE(
    "a sweep with real firmware on QEMU: report, no work when "
    "unchanged, a slower board is drift",
    "[qemu]") {
  absl::StatusOr<std::string> gcc =
      codegen::CompilerVersion("arm-none-eabi-gcc");
  if (!gcc.ok()) {
    WARN("arm-none-eabi-gcc missing: skipped");
    return;
  }
  CodegenFirmwareOptions fo;
  fo.verify_jobs = 2;
  SweepRig rig(MakeCodegenFirmwareFactory(fo),
               [](const space::BoardSpec& spec) {
                 return device_farm::MakeQemuBoard(
                     absl::StrCat("qemu://", spec.id), spec);
               });
  rig.toolchain = *gcc;
  rig.codegen = CodegenVersion();
  const SweepDefinition def = rig.Define(R"({
    "schedule": "0 2 * * *",
    "models": ["ds-cnn-kws", "mcunet-vww0", "mcunet-in0"],
    "board_kinds": ["qemu-f746", "qemu-f469"],
    "measurement_budget": 1, "batch_size": 1, "runs_per_measurement": 1,
    "remeasure_after_hours": 48, "remeasure_repeats": 1
  })");
  SweepManagerOptions mo;
  mo.timer = false;
  SweepManager m(rig.Env(), {def}, mo);
  REQUIRE(m.Start().ok());
  rig.clock.Set(Utc(2030, 1, 1, 2, 0, 30));
  REQUIRE(m.Tick().size() == 1);
  REQUIRE(m.WaitIdle(absl::Seconds(280)));
  const SweepRunRecord r1 = m.store().ListRuns("test")->front();
  INFO(r1.error);
  REQUIRE(r1.state == "done");
  CHECK(r1.counts.tuned == 6);
  CHECK(r1.counts.farm_runs == 6);
  CHECK(rig.board_calls() == 6);
  CHECK(fs::exists(rig.dir / "sweeps" / "test" / (r1.id + ".md")));

  rig.clock.Set(Utc(2030, 1, 2, 2, 0, 30));
  REQUIRE(m.Tick().size() == 1);
  REQUIRE(m.WaitIdle(absl::Seconds(60)));
  const SweepRunRecord r2 = m.store().ListRuns("test")->front();
  CHECK(r2.counts.skipped == 6);
  CHECK(rig.board_calls() == 6);
  CHECK(rig.farm_runs() == 6);

  // The QEMU counts of qemu-f469 scaled by 1.25 (the test hook: a board
  // that became slower); the firmware is the same, so it is the board.
  rig.board("qemu-f469")->set_slowdown(1.25);
  rig.clock.Set(Utc(2030, 1, 3, 2, 0, 30));
  REQUIRE(m.Tick().size() == 1);
  REQUIRE(m.WaitIdle(absl::Seconds(120)));
  const SweepRunRecord r3 = m.store().ListRuns("test")->front();
  CHECK(r3.counts.remeasured == 6);
  CHECK(rig.board_calls() == 12);
  const SweepRunReport rep = *LoadSweepRunReport(*rig.sweeps, r3.id);
  std::map<std::string, int> kinds = AlertKinds(rep.alerts);
  CHECK(kinds["front_regression"] == 3);
  CHECK(kinds["board_shift"] == 1);
  for (const SweepAlert& a : rep.alerts) {
    if (a.kind == "front_regression")
      CHECK(a.ratio == Approx(1.25).epsilon(0.001));
  }
  m.Shutdown();
}

}  // namespace
}  // namespace mcutune::tuner
