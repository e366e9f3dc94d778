// Scheduler basics over fake boards: a run end to end, queue order,
// repeats and spread, parallel boards, drain/enable, cancellation, Wait
// timeouts, boards at run time, a locked database, Stop and restart.
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "base/sqlite.h"
#include "tests/device_farm/farm_scheduler_util.h"

namespace mcutune::device_farm {
namespace {

using testing::FakeArtifact;
using testing::FarmTempDir;
using testing::FastOptions;
using testing::HasEvent;
using testing::KRequest;
using testing::MakeFakeFarm;
using testing::WaitUntil;

TEST_CASE("scheduler: a run is measured, stored and audited") {
  auto farm = MakeFakeFarm(1, FastOptions());
  RunRequest req = KRequest(1);
  req.options.runs = 2;
  auto id = farm.scheduler->Submit(req);
  REQUIRE(id.ok());
  auto run = farm.scheduler->Wait(*id, absl::Seconds(10));
  REQUIRE(run.ok());
  CHECK(run->state == RunState::kDone);
  CHECK(run->attempts == 1);
  CHECK(run->failures == 0);
  CHECK(run->repeats_done == 1);
  CHECK(run->last_status == "ok");
  auto ms = farm.store->Measurements(*id);
  REQUIRE(ms.ok());
  REQUIRE(ms->size() == 1);
  const MeasurementRecord& m = (*ms)[0];
  CHECK(m.board_uri == "fake://a");
  CHECK(m.board_kind == "k");
  CHECK(m.artifact_sha256 == FakeArtifact(1).sha256);
  CHECK(m.toolchain_version == "fake-gcc 1.0");
  CHECK(m.measurement.status == RunStatus::kOk);
  CHECK(m.measurement.unit == CountUnit::kInstructions);
  CHECK(m.measurement.total_count == 3000);
  CHECK(m.measurement.per_inference == 1500);  // 3000 over 2 runs
  CHECK(m.output_matches == std::optional<bool>(true));
  CHECK(m.attempt == 1);
  auto events = farm.store->RunEvents(*id);
  REQUIRE(events->size() == 3);
  CHECK((*events)[0].to_state == "queued");
  CHECK((*events)[1].to_state == "leased");
  CHECK((*events)[1].board == "fake://a");
  CHECK((*events)[2].to_state == "done");
}

TEST_CASE("scheduler: a wrong output is stored as not matching") {
  auto farm = MakeFakeFarm(1, FastOptions());
  farm.boards[0]->Script({FakeOutcome::Ok(100).WithOutput(std::string(64, 'f'))});
  auto id = farm.scheduler->Submit(KRequest(1));
  REQUIRE(farm.scheduler->Wait(*id, absl::Seconds(10)).ok());
  auto ms = farm.store->Measurements(*id);
  REQUIRE(ms->size() == 1);
  CHECK((*ms)[0].output_matches == std::optional<bool>(false));
  CHECK((*ms)[0].measurement.output_sha256 == std::string(64, 'f'));
}

TEST_CASE("scheduler: runs are served by priority, then oldest first") {
  auto opened = FarmStore::Open(":memory:");
  REQUIRE(opened.ok());
  std::shared_ptr<FarmStore> store = *std::move(opened);
  const int priorities[] = {0, 5, 1, 5, -2};
  for (int i = 0; i < 5; ++i) {
    RunRequest r = KRequest(i);
    r.priority = priorities[i];
    REQUIRE(store->Enqueue(r, absl::Now()).ok());
  }
  auto farm = MakeFakeFarm(1, FastOptions(), store);
  REQUIRE(WaitUntil([&] { return farm.boards[0]->calls() == 5; }));
  const std::vector<std::string> expected = {
      FakeArtifact(1).sha256, FakeArtifact(3).sha256, FakeArtifact(2).sha256,
      FakeArtifact(0).sha256, FakeArtifact(4).sha256};
  CHECK(farm.boards[0]->artifacts_run() == expected);
}

TEST_CASE("scheduler: repeats give N measurements and their spread") {
  auto farm = MakeFakeFarm(1, FastOptions());
  farm.boards[0]->Script({FakeOutcome::Ok(1000), FakeOutcome::Ok(1100),
                          FakeOutcome::Ok(900), FakeOutcome::Ok(1300)});
  auto id = farm.scheduler->Submit(KRequest(3, /*repeats=*/4));
  REQUIRE(id.ok());
  auto run = farm.scheduler->Wait(*id, absl::Seconds(10));
  REQUIRE(run.ok());
  CHECK(run->state == RunState::kDone);
  CHECK(run->repeats_done == 4);
  auto ms = farm.store->Measurements(*id);
  REQUIRE(ms->size() == 4);
  for (int i = 0; i < 4; ++i) CHECK((*ms)[i].repeat_index == i);
  auto spread = farm.store->RunSpread(*id);
  REQUIRE(spread.ok());
  CHECK(spread->count == 4);
  CHECK(spread->min == 900);
  CHECK(spread->median == Approx(1050));
  CHECK(spread->max == 1300);
  CHECK(spread->stddev == Approx(147.902).epsilon(1e-4));
}

TEST_CASE("scheduler: two boards drain a queue of 20 in parallel") {
  FarmTempDir dir;
  const std::string path = dir.File("farm.db");
  auto opened = FarmStore::Open(path);
  REQUIRE(opened.ok());
  auto farm = MakeFakeFarm(2, FastOptions(), *std::move(opened));
  for (auto* b : farm.boards) {
    b->SetDefault(FakeOutcome::Ok(2000, absl::Milliseconds(30)));
  }
  std::vector<int64_t> ids;
  for (int i = 0; i < 20; ++i) {
    auto id = farm.scheduler->Submit(KRequest(100 + i));
    REQUIRE(id.ok());
    ids.push_back(*id);
  }
  for (int64_t id : ids) {
    auto run = farm.scheduler->Wait(id, absl::Seconds(20));
    REQUIRE(run.ok());
    CHECK(run->state == RunState::kDone);
  }
  CHECK(farm.boards[0]->calls() + farm.boards[1]->calls() == 20);
  CHECK(farm.boards[0]->calls() > 0);
  CHECK(farm.boards[1]->calls() > 0);
  // Every result is in the file, seen through another connection.
  auto db = base::Database::Open(path);
  REQUIRE(db.ok());
  auto q = (*db)->Prepare(
      "SELECT COUNT(*), COUNT(DISTINCT run_id) FROM farm_measurements "
      "WHERE status = 'ok'");
  REQUIRE(q.ok());
  REQUIRE(q->Step());
  CHECK(q->ColumnInt64(0) == 20);
  CHECK(q->ColumnInt64(1) == 20);
  // The two boards worked at the same time: some runs overlap.
  std::vector<MeasurementRecord> all;
  for (int64_t id : ids) {
    auto ms = farm.store->Measurements(id);
    all.insert(all.end(), ms->begin(), ms->end());
  }
  bool overlap = false;
  for (const auto& x : all) {
    for (const auto& y : all) {
      if (x.board_uri != y.board_uri && x.started_at < y.finished_at &&
          y.started_at < x.finished_at) {
        overlap = true;
      }
    }
  }
  CHECK(overlap);
}

TEST_CASE("scheduler: drain stops new leases, enable resumes") {
  auto farm = MakeFakeFarm(1, FastOptions());
  farm.boards[0]->SetDefault(FakeOutcome::Ok(1000, absl::Milliseconds(150)));
  auto first = farm.scheduler->Submit(KRequest(1));
  REQUIRE(WaitUntil([&] { return farm.Run(*first).state == RunState::kLeased; }));
  REQUIRE(farm.scheduler->Drain("fake://a").ok());
  CHECK(farm.Board("fake://a").state == BoardState::kDraining);
  CHECK(farm.scheduler->Wait(*first, absl::Seconds(10))->state ==
        RunState::kDone);  // the run in progress finishes
  REQUIRE(WaitUntil(
      [&] { return farm.Board("fake://a").state == BoardState::kDrained; }));
  auto second = farm.scheduler->Submit(KRequest(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  CHECK(farm.Run(*second).state == RunState::kQueued);
  REQUIRE(farm.scheduler->Enable("fake://a").ok());
  CHECK(farm.scheduler->Wait(*second, absl::Seconds(10))->state ==
        RunState::kDone);
  CHECK(farm.scheduler->Drain("fake://zz").code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("scheduler: cancel a queued and a running run, Wait times out") {
  auto farm = MakeFakeFarm(1, FastOptions());
  REQUIRE(farm.scheduler->Drain("fake://a").ok());
  auto queued = farm.scheduler->Submit(KRequest(1));
  auto waited = farm.scheduler->Wait(*queued, absl::Milliseconds(50));
  CHECK(waited.status().code() == absl::StatusCode::kDeadlineExceeded);
  REQUIRE(farm.scheduler->Cancel(*queued).ok());
  CHECK(farm.scheduler->Wait(*queued, absl::Seconds(1))->state ==
        RunState::kCancelled);
  CHECK(farm.scheduler->Cancel(*queued).code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(farm.scheduler->Cancel(424242).code() == absl::StatusCode::kNotFound);

  farm.boards[0]->SetDefault(FakeOutcome::Ok(1000, absl::Milliseconds(150)));
  REQUIRE(farm.scheduler->Enable("fake://a").ok());
  auto running = farm.scheduler->Submit(KRequest(2, /*repeats=*/3));
  REQUIRE(
      WaitUntil([&] { return farm.Run(*running).state == RunState::kLeased; }));
  REQUIRE(farm.scheduler->Cancel(*running).ok());
  CHECK(farm.scheduler->Wait(*running, absl::Seconds(1))->state ==
        RunState::kCancelled);
  REQUIRE(WaitUntil([&] {
    auto boards = farm.scheduler->Boards();
    return boards.ok() && (*boards)[0].running.empty();
  }));
  // The repeat in progress is kept; no further repeat ran.
  CHECK(farm.boards[0]->calls() == 1);
  CHECK(farm.store->Measurements(*running)->size() == 1);
  CHECK(farm.Run(*running).state == RunState::kCancelled);
}

TEST_CASE("scheduler: bad requests and unknown kinds are refused") {
  auto farm = MakeFakeFarm(1, FastOptions());
  RunRequest bad = KRequest(1);
  bad.artifact.sha256 = "nothex";
  CHECK(farm.scheduler->Submit(bad).status().code() ==
        absl::StatusCode::kInvalidArgument);
  RunRequest other = KRequest(1);
  other.board_kind = "f746";
  CHECK(farm.scheduler->Submit(other).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(farm.scheduler->Get(999).status().code() == absl::StatusCode::kNotFound);
  SchedulerOptions o = FastOptions();
  o.lease_duration = absl::ZeroDuration();
  CHECK(MakeScheduler(farm.store, {}, o).status().code() ==
        absl::StatusCode::kInvalidArgument);
  std::vector<std::unique_ptr<Board>> dup;
  dup.push_back(std::make_unique<FakeBoard>("fake://x", FakeSpec("k")));
  dup.push_back(std::make_unique<FakeBoard>("fake://x", FakeSpec("k")));
  CHECK(MakeScheduler(farm.store, std::move(dup), FastOptions())
            .status()
            .code() == absl::StatusCode::kAlreadyExists);
}

TEST_CASE("scheduler: boards are added and removed at run time") {
  SchedulerOptions o = FastOptions();
  o.max_workers = 3;
  auto farm = MakeFakeFarm(0, o);
  CHECK(farm.scheduler->Submit(KRequest(1)).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  auto two_slots =
      std::make_unique<FakeBoard>("fake://wide", FakeSpec("k"), /*slots=*/2);
  FakeBoard* wide = two_slots.get();
  wide->SetDefault(FakeOutcome::Ok(1000, absl::Milliseconds(100)));
  REQUIRE(farm.scheduler->AddBoard(std::move(two_slots)).ok());
  CHECK(farm.scheduler->AddBoard(std::make_unique<FakeBoard>(
                                     "fake://wide", FakeSpec("k")))
            .code() == absl::StatusCode::kAlreadyExists);
  CHECK(farm.scheduler
            ->AddBoard(std::make_unique<FakeBoard>("fake://big", FakeSpec("k"),
                                                   2))
            .code() == absl::StatusCode::kResourceExhausted);
  auto a = farm.scheduler->Submit(KRequest(1));
  auto b = farm.scheduler->Submit(KRequest(2));
  REQUIRE(a.ok());
  CHECK(farm.scheduler->Wait(*a, absl::Seconds(10))->state == RunState::kDone);
  CHECK(farm.scheduler->Wait(*b, absl::Seconds(10))->state == RunState::kDone);
  CHECK(wide->max_concurrent() == 2);  // both slots used
  auto boards = farm.scheduler->Boards();
  REQUIRE(boards->size() == 1);
  CHECK((*boards)[0].slots == 2);
  CHECK((*boards)[0].record.state == BoardState::kActive);
  REQUIRE(farm.scheduler->RemoveBoard("fake://wide", absl::Seconds(5)).ok());
  CHECK(farm.scheduler->Boards()->empty());
  CHECK(farm.store->GetBoard("fake://wide").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(farm.scheduler->RemoveBoard("fake://wide", absl::Seconds(1)).code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("scheduler: a locked database is UNAVAILABLE, then work resumes") {
  FarmTempDir dir;
  const std::string path = dir.File("farm.db");
  base::DatabaseOptions quick;
  quick.busy_timeout = absl::Milliseconds(50);
  auto opened = FarmStore::Open(path, quick);
  REQUIRE(opened.ok());
  auto farm = MakeFakeFarm(1, FastOptions(), *std::move(opened));
  auto other = base::Database::Open(path);
  REQUIRE(other.ok());
  REQUIRE((*other)->Exec("BEGIN IMMEDIATE").ok());
  auto refused = farm.scheduler->Submit(KRequest(1));
  CHECK(refused.status().code() == absl::StatusCode::kUnavailable);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // workers spin
  REQUIRE((*other)->Exec("ROLLBACK").ok());
  auto id = farm.scheduler->Submit(KRequest(1));
  REQUIRE(id.ok());
  CHECK(farm.scheduler->Wait(*id, absl::Seconds(10))->state == RunState::kDone);
}

TEST_CASE("scheduler: Stop releases unfinished runs, a new scheduler finishes") {
  FarmTempDir dir;
  const std::string path = dir.File("farm.db");
  auto opened = FarmStore::Open(path);
  REQUIRE(opened.ok());
  std::shared_ptr<FarmStore> store = *std::move(opened);
  int64_t id = 0;
  {
    auto farm = MakeFakeFarm(1, FastOptions(), store);
    farm.boards[0]->SetDefault(FakeOutcome::Ok(1000, absl::Milliseconds(60)));
    id = *farm.scheduler->Submit(KRequest(1, /*repeats=*/6));
    REQUIRE(WaitUntil([&] { return store->Measurements(id)->size() >= 1; }));
    farm.scheduler->Stop();
    farm.scheduler->Stop();  // idempotent
    CHECK(farm.scheduler->Submit(KRequest(2)).status().code() ==
          absl::StatusCode::kFailedPrecondition);
  }
  auto run = store->GetRun(id);
  CHECK(run->state == RunState::kQueued);
  CHECK(run->failures == 0);
  CHECK(run->attempts == 1);
  const size_t before = store->Measurements(id)->size();
  CHECK(before < 6);
  CHECK(HasEvent(*store->RunEvents(id), "released: scheduler stopping"));
  // A new process over the same file picks it up and does only the rest.
  auto reopened = FarmStore::Open(path);
  REQUIRE(reopened.ok());
  auto farm2 = MakeFakeFarm(1, FastOptions(), *std::move(reopened));
  auto done = farm2.scheduler->Wait(id, absl::Seconds(10));
  REQUIRE(done.ok());
  CHECK(done->state == RunState::kDone);
  CHECK(done->attempts == 2);
  CHECK(farm2.boards[0]->calls() == static_cast<int>(6 - before));
  auto ms = farm2.store->Measurements(id);
  std::set<int> repeats;
  for (const auto& m : *ms) repeats.insert(m.repeat_index);
  CHECK(ms->size() == 6);
  CHECK(repeats.size() == 6);
}

}  // namespace
}  // namespace mcutune::device_farm
