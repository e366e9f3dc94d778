// Scheduler failure policy over fake boards: retry on another board with
// backoff, what counts against a board, quarantine and recovery by health
// check, reclaiming the lease of a dead process. Time-dependent cases use a
// ManualClock, so backoffs and health-check intervals are exact.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/device_farm/farm_scheduler_util.h"

namespace mcutune::device_farm {
namespace {

using testing::FakeArtifact;
using testing::FastOptions;
using testing::HasEvent;
using testing::KRequest;
using testing::MakeFakeFarm;
using testing::WaitUntil;

SchedulerOptions ManualOptions(const std::shared_ptr<ManualClock>& clock) {
  SchedulerOptions o = FastOptions();
  o.clock = clock;
  o.lease_duration = absl::Hours(24);
  o.retry_backoff = absl::Seconds(10);
  o.retry_backoff_max = absl::Seconds(80);
  o.health_check_interval = absl::Seconds(60);
  o.health_check_max_interval = absl::Seconds(600);
  return o;
}

TEST_CASE("policy: a transient error is retried on another board after backoff") {
  auto clock = std::make_shared<ManualClock>();
  const absl::Time t0 = clock->Now();
  auto farm = MakeFakeFarm(2, ManualOptions(clock));
  REQUIRE(farm.scheduler->Drain("fake://b").ok());  // a gets the first try
  farm.boards[0]->Script({FakeOutcome::Error(absl::UnavailableError("probe busy"))});
  auto id = farm.scheduler->Submit(KRequest(1));
  REQUIRE(id.ok());
  REQUIRE(WaitUntil([&] { return farm.Run(*id).failures == 1; }));
  RunRecord run = farm.Run(*id);
  CHECK(run.state == RunState::kQueued);
  CHECK(run.last_status == "infra");
  CHECK(run.not_before == t0 + absl::Seconds(10));
  REQUIRE(farm.scheduler->Enable("fake://b").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  CHECK(farm.Run(*id).state == RunState::kQueued);  // backoff not over
  clock->Advance(absl::Seconds(10));
  auto done = farm.scheduler->Wait(*id, absl::Seconds(10));
  REQUIRE(done.ok());
  CHECK(done->state == RunState::kDone);
  CHECK(done->attempts == 2);
  CHECK(*farm.store->AttemptedBoards(*id) ==
        std::vector<std::string>{"fake://a", "fake://b"});
  CHECK(farm.boards[0]->calls() == 1);
  CHECK(farm.boards[1]->calls() == 1);
  CHECK(farm.Board("fake://a").consecutive_failures == 1);
  CHECK(farm.Board("fake://b").consecutive_failures == 0);
  auto ms = farm.store->Measurements(*id);
  REQUIRE(ms->size() == 1);
  CHECK((*ms)[0].board_uri == "fake://b");
  CHECK((*ms)[0].attempt == 2);
}

TEST_CASE("policy: backoff doubles per failure, one board retries itself") {
  auto clock = std::make_shared<ManualClock>();
  const absl::Time t0 = clock->Now();
  auto farm = MakeFakeFarm(1, ManualOptions(clock));
  farm.boards[0]->Script(
      {FakeOutcome::Error(absl::DeadlineExceededError("connect timed out")),
       FakeOutcome::Error(absl::UnavailableError("DP wait")),
       FakeOutcome::Ok(500)});
  auto id = farm.scheduler->Submit(KRequest(1));
  REQUIRE(WaitUntil([&] { return farm.Run(*id).failures == 1; }));
  CHECK(farm.Run(*id).not_before == t0 + absl::Seconds(10));
  clock->Advance(absl::Seconds(10));
  REQUIRE(WaitUntil([&] { return farm.Run(*id).failures == 2; }));
  CHECK(farm.Run(*id).not_before == t0 + absl::Seconds(10 + 20));
  clock->Advance(absl::Seconds(19));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(farm.Run(*id).state == RunState::kQueued);
  clock->Advance(absl::Seconds(1));
  auto done = farm.scheduler->Wait(*id, absl::Seconds(10));
  REQUIRE(done.ok());
  CHECK(done->state == RunState::kDone);
  CHECK(done->attempts == 3);
  CHECK(farm.Board("fake://a").state == BoardState::kActive);
  CHECK(farm.Board("fake://a").consecutive_failures == 0);  // reset by ok
}

TEST_CASE("policy: a firmware that hangs everywhere fails, no board is blamed") {
  SchedulerOptions o = FastOptions();
  o.quarantine_after = 2;
  auto farm = MakeFakeFarm(2, o);
  const std::string sha = FakeArtifact(7).sha256;
  for (auto* b : farm.boards) {
    b->SetArtifactDefault(sha, FakeOutcome::Firmware(RunStatus::kTimeout));
  }
  auto id = farm.scheduler->Submit(KRequest(7));
  auto run = farm.scheduler->Wait(*id, absl::Seconds(10));
  REQUIRE(run.ok());
  CHECK(run->state == RunState::kFailed);
  CHECK(run->last_status == "timeout");
  CHECK(run->failures == 3);
  CHECK(run->attempts == 3);
  auto tried = *farm.store->AttemptedBoards(*id);
  REQUIRE(tried.size() == 3);
  CHECK(tried[0] != tried[1]);  // the retry went to the other board
  auto ms = farm.store->Measurements(*id);
  REQUIRE(ms->size() == 3);  // every attempt's measurement is kept
  for (const auto& m : *ms) CHECK(m.measurement.status == RunStatus::kTimeout);
  for (const char* uri : {"fake://a", "fake://b"}) {
    CHECK(farm.Board(uri).state == BoardState::kActive);
    CHECK(farm.Board(uri).consecutive_failures == 0);
  }
  // Other firmware still runs fine on both.
  auto ok = farm.scheduler->Submit(KRequest(8));
  CHECK(farm.scheduler->Wait(*ok, absl::Seconds(10))->state == RunState::kDone);
}

TEST_CASE("policy: a fault or a rejected artifact fails at once, no retry") {
  auto farm = MakeFakeFarm(1, FastOptions());
  farm.boards[0]->Script(
      {FakeOutcome::Firmware(RunStatus::kFault),
       FakeOutcome::Error(absl::InvalidArgumentError("not an ELF"))});
  auto fault = farm.scheduler->Submit(KRequest(1));
  auto r1 = farm.scheduler->Wait(*fault, absl::Seconds(10));
  CHECK(r1->state == RunState::kFailed);
  CHECK(r1->last_status == "fault");
  CHECK(r1->attempts == 1);
  CHECK(farm.store->Measurements(*fault)->at(0).measurement.status ==
        RunStatus::kFault);
  auto rejected = farm.scheduler->Submit(KRequest(2));
  auto r2 = farm.scheduler->Wait(*rejected, absl::Seconds(10));
  CHECK(r2->state == RunState::kFailed);
  CHECK(r2->last_status == "infra");
  CHECK(r2->attempts == 1);
  CHECK(r2->last_error.find("not an ELF") != std::string::npos);
  CHECK(farm.Board("fake://a").consecutive_failures == 0);
  CHECK(farm.boards[0]->calls() == 2);
}

TEST_CASE("policy: crashes that succeed elsewhere quarantine the board") {
  auto clock = std::make_shared<ManualClock>();
  SchedulerOptions o = ManualOptions(clock);
  o.quarantine_after = 2;
  auto farm = MakeFakeFarm(2, o);
  farm.boards[0]->SetDefault(FakeOutcome::Firmware(RunStatus::kCrashed));
  for (int cycle = 1; cycle <= 2; ++cycle) {
    INFO("cycle " << cycle);
    REQUIRE(farm.scheduler->Drain("fake://b").ok());
    REQUIRE(WaitUntil(
        [&] { return farm.Board("fake://b").state == BoardState::kDrained; }));
    auto id = farm.scheduler->Submit(KRequest(cycle));
    REQUIRE(WaitUntil([&] { return farm.Run(*id).failures == 1; }));
    CHECK(farm.Board("fake://a").consecutive_failures == cycle - 1);  // deferred
    REQUIRE(farm.scheduler->Enable("fake://b").ok());
    clock->Advance(absl::Seconds(10));
    auto run = farm.scheduler->Wait(*id, absl::Seconds(10));
    REQUIRE(run.ok());
    CHECK(run->state == RunState::kDone);
  }
  BoardRecord a = farm.Board("fake://a");
  CHECK(a.state == BoardState::kQuarantined);
  CHECK(a.quarantine_reason.find("2 consecutive failures") != std::string::npos);
  CHECK(farm.Board("fake://b").state == BoardState::kActive);
}

TEST_CASE("policy: quarantine after N failures, recovery by health check") {
  auto clock = std::make_shared<ManualClock>();
  const absl::Time t0 = clock->Now();
  SchedulerOptions o = ManualOptions(clock);
  o.quarantine_after = 3;
  o.health_artifact = FakeArtifact(999);
  auto farm = MakeFakeFarm(1, o);
  FakeBoard* a = farm.boards[0];
  a->SetDefault(FakeOutcome::Error(absl::UnavailableError("probe busy")));
  a->SetArtifactDefault(FakeArtifact(999).sha256, FakeOutcome::Ok(42));
  a->ScriptArtifact(FakeArtifact(999).sha256,
                    {FakeOutcome::Error(absl::UnavailableError("still busy"))});
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    RunRequest r = KRequest(i);
    r.max_attempts = 1;
    ids.push_back(*farm.scheduler->Submit(r));
  }
  for (int64_t id : ids) {
    CHECK(farm.scheduler->Wait(id, absl::Seconds(10))->state ==
          RunState::kFailed);
  }
  REQUIRE(WaitUntil([&] {
    return farm.Board("fake://a").state == BoardState::kQuarantined;
  }));
  BoardRecord b = farm.Board("fake://a");
  CHECK(b.quarantine_reason.find("3 consecutive failures") != std::string::npos);
  CHECK(b.next_health_check_at == t0 + absl::Seconds(60));
  // While quarantined nothing is leased.
  a->SetDefault(FakeOutcome::Ok(100));
  auto waiting = farm.scheduler->Submit(KRequest(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(farm.Run(*waiting).state == RunState::kQueued);
  // First re-check fails: the next one is twice as far.
  clock->Advance(absl::Seconds(60));
  REQUIRE(WaitUntil(
      [&] { return farm.Board("fake://a").health_check_failures == 1; }));
  b = farm.Board("fake://a");
  CHECK(b.state == BoardState::kQuarantined);
  CHECK(b.next_health_check_at == t0 + absl::Seconds(60 + 120));
  // The second passes: active again, and the waiting run is served.
  clock->Advance(absl::Seconds(120));
  REQUIRE(WaitUntil(
      [&] { return farm.Board("fake://a").state == BoardState::kActive; }));
  CHECK(farm.scheduler->Wait(*waiting, absl::Seconds(10))->state ==
        RunState::kDone);
  auto events = farm.store->BoardEvents("fake://a");
  REQUIRE(events.ok());
  bool passed = false;
  for (const auto& e : *events) {
    passed |= e.to_state == "active" &&
              e.detail.find("health check passed") != std::string::npos;
  }
  CHECK(passed);
}

TEST_CASE("policy: NOT_FOUND quarantines the board at once, run moves on") {
  auto clock = std::make_shared<ManualClock>();
  auto farm = MakeFakeFarm(2, ManualOptions(clock));
  REQUIRE(farm.scheduler->Drain("fake://b").ok());
  farm.boards[0]->Script(
      {FakeOutcome::Error(absl::NotFoundError("probe 0669 not found"))});
  auto id = farm.scheduler->Submit(KRequest(1));
  REQUIRE(WaitUntil([&] {
    return farm.Board("fake://a").state == BoardState::kQuarantined &&
           farm.Run(*id).state == RunState::kQueued;
  }));
  CHECK(farm.Board("fake://a").quarantine_reason.find("not found") !=
        std::string::npos);
  REQUIRE(farm.scheduler->Enable("fake://b").ok());
  clock->Advance(absl::Seconds(10));
  auto run = farm.scheduler->Wait(*id, absl::Seconds(10));
  CHECK(run->state == RunState::kDone);
  CHECK(farm.store->Measurements(*id)->at(0).board_uri == "fake://b");
}

TEST_CASE("policy: repeated timeouts trigger a health check of the board") {
  SchedulerOptions o = FastOptions();
  o.quarantine_after = 2;
  o.health_artifact = FakeArtifact(999);
  auto farm = MakeFakeFarm(1, o);
  FakeBoard* a = farm.boards[0];
  a->SetDefault(FakeOutcome::Firmware(RunStatus::kTimeout));
  a->SetArtifactDefault(FakeArtifact(999).sha256,
                        FakeOutcome::Error(absl::UnavailableError("wedged")));
  RunRequest r = KRequest(1);
  r.max_attempts = 2;
  auto id = farm.scheduler->Submit(r);
  CHECK(farm.scheduler->Wait(*id, absl::Seconds(10))->state ==
        RunState::kFailed);
  REQUIRE(WaitUntil([&] {
    return farm.Board("fake://a").state == BoardState::kQuarantined;
  }));
  CHECK(farm.Board("fake://a").quarantine_reason.find("health check failed") !=
        std::string::npos);
  CHECK(a->calls() == 3);  // two timeouts, one health check
}

TEST_CASE("policy: CheckHealth on demand") {
  SchedulerOptions none = FastOptions();
  auto plain = MakeFakeFarm(1, none);
  CHECK(plain.scheduler->CheckHealth("fake://a").status().code() ==
        absl::StatusCode::kFailedPrecondition);

  SchedulerOptions o = FastOptions();
  o.health_artifact = FakeArtifact(999);
  auto farm = MakeFakeFarm(1, o);
  FakeBoard* a = farm.boards[0];
  a->ScriptArtifact(FakeArtifact(999).sha256,
                    {FakeOutcome::Ok(10).WithOutput(std::string(64, '0'))});
  auto bad = farm.scheduler->CheckHealth("fake://a");
  REQUIRE(bad.ok());
  CHECK_FALSE(bad->passed);
  CHECK(bad->detail.find("expected") != std::string::npos);
  CHECK(bad->state == BoardState::kQuarantined);
  auto good = farm.scheduler->CheckHealth("fake://a");
  REQUIRE(good.ok());
  CHECK(good->passed);
  CHECK(good->state == BoardState::kActive);
  REQUIRE(good->measurement.has_value());
  CHECK(good->measurement->output_sha256 ==
        FakeArtifact(999).expected_output_sha256);
  CHECK(farm.scheduler->CheckHealth("fake://nope").status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("policy: the lease of a dead process is reclaimed, never rerun silently") {
  auto opened = FarmStore::Open(":memory:");
  REQUIRE(opened.ok());
  std::shared_ptr<FarmStore> store = *std::move(opened);
  const int64_t id = *store->Enqueue(KRequest(5, /*repeats=*/2), absl::Now());
  // A previous process leased it an hour ago, measured repeat 0, then died.
  LeaseQuery q;
  q.board_uri = "fake://a";
  q.kind = "k";
  q.owner = "dead-process";
  q.lease_duration = absl::Seconds(30);
  auto lease = store->LeaseNext(q, absl::Now() - absl::Hours(1));
  REQUIRE(lease.ok());
  REQUIRE(lease->has_value());
  MeasurementRecord m;
  m.run_id = id;
  m.repeat_index = 0;
  m.attempt = 1;
  m.board_uri = "fake://a";
  m.board_kind = "k";
  m.artifact_sha256 = FakeArtifact(5).sha256;
  m.measurement.status = RunStatus::kOk;
  m.measurement.unit = CountUnit::kInstructions;
  m.measurement.per_inference = 3000;
  REQUIRE(store->RecordMeasurement(m, absl::Now()).ok());

  auto farm = MakeFakeFarm(1, FastOptions(), store);
  auto run = farm.scheduler->Wait(id, absl::Seconds(10));
  REQUIRE(run.ok());
  CHECK(run->state == RunState::kDone);
  CHECK(run->attempts == 2);
  CHECK(run->failures == 1);
  CHECK(farm.boards[0]->calls() == 1);  // only the missing repeat
  auto ms = store->Measurements(id);
  REQUIRE(ms->size() == 2);
  CHECK((*ms)[0].repeat_index == 0);
  CHECK((*ms)[0].attempt == 1);
  CHECK((*ms)[1].repeat_index == 1);
  CHECK((*ms)[1].attempt == 2);
  CHECK(HasEvent(*store->RunEvents(id), "lease expired (previous process died?)"));
}

}  // namespace
}  // namespace mcutune::device_farm
