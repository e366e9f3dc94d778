// FarmStore: schema and migrations, queue order, leases, idempotent
// measurements, spreads, a locked database.
#include <catch2/catch.hpp>

#include <cmath>

#include "base/sqlite.h"
#include "device_farm/farm_store.h"
#include "tests/device_farm/farm_test_util.h"

namespace mcutune::device_farm {
namespace {

using testing::FakeArtifact;
using testing::FarmTempDir;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

RunRequest Request(int n, int priority = 0, const std::string& kind = "k") {
  RunRequest r;
  r.artifact = FakeArtifact(n);
  r.board_kind = kind;
  r.priority = priority;
  r.options.runs = 2;
  return r;
}

LeaseQuery Query(const std::string& board, const std::string& kind = "k") {
  LeaseQuery q;
  q.board_uri = board;
  q.kind = kind;
  q.owner = "owner-1";
  q.lease_duration = absl::Seconds(30);
  return q;
}

MeasurementRecord Record(const Lease& lease, int repeat, double per_inference,
                         RunStatus status = RunStatus::kOk) {
  MeasurementRecord r;
  r.run_id = lease.run_id;
  r.repeat_index = repeat;
  r.attempt = lease.attempt;
  r.board_uri = lease.board_uri;
  r.board_kind = lease.run.request.board_kind;
  r.artifact_sha256 = lease.run.request.artifact.sha256;
  r.measurement.status = status;
  r.measurement.unit = CountUnit::kInstructions;
  r.measurement.per_inference = per_inference;
  r.measurement.total_count = static_cast<int64_t>(per_inference * 2);
  r.started_at = kT0;
  r.finished_at = kT0 + absl::Seconds(1);
  return r;
}

std::unique_ptr<FarmStore> Memory() {
  auto s = FarmStore::Open(":memory:");
  REQUIRE(s.ok());
  return *std::move(s);
}

TEST_CASE("farm store: schema is versioned and migrations are idempotent") {
  FarmTempDir dir;
  const std::string path = dir.File("farm.db");
  {
    auto store = FarmStore::Open(path);
    REQUIRE(store.ok());
    CHECK(*(*store)->SchemaVersion() == kFarmSchemaVersion);
    REQUIRE((*store)->Enqueue(Request(1), kT0).ok());
  }
  {  // Reopening migrates nothing and keeps the data.
    auto store = FarmStore::Open(path);
    REQUIRE(store.ok());
    CHECK(*(*store)->SchemaVersion() == kFarmSchemaVersion);
    CHECK((*store)->ListRuns({})->size() == 1);
  }
  {  // A newer schema is refused, not misread.
    auto db = base::Database::Open(path);
    REQUIRE(db.ok());
    REQUIRE((*db)->Exec("UPDATE farm_schema_version SET version = 99").ok());
  }
  auto newer = FarmStore::Open(path);
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("farm store: a file that is not a database is DATA_LOSS") {
  FarmTempDir dir;
  const std::string path = dir.File("junk.db");
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  std::fputs("this is not sqlite, just some bytes that go on for a while....",
             f);
  std::fclose(f);
  auto store = FarmStore::Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("farm store: enqueue validates the request") {
  auto store = Memory();
  RunRequest r = Request(1);
  r.artifact.sha256 = "ABC";
  CHECK(store->Enqueue(r, kT0).status().code() ==
        absl::StatusCode::kInvalidArgument);
  r = Request(1);
  r.repeats = 0;
  CHECK(!store->Enqueue(r, kT0).ok());
  r = Request(1);
  r.board_kind = "";
  CHECK(!store->Enqueue(r, kT0).ok());
  r = Request(1);
  r.options.timeout = absl::ZeroDuration();
  CHECK(!store->Enqueue(r, kT0).ok());
  r = Request(1);
  r.artifact.elf_path.clear();
  CHECK(!store->Enqueue(r, kT0).ok());
  // Valid; max_attempts 0 means the default 3.
  auto id = store->Enqueue(Request(1), kT0);
  REQUIRE(id.ok());
  auto run = store->GetRun(*id);
  REQUIRE(run.ok());
  CHECK(run->state == RunState::kQueued);
  CHECK(run->request.max_attempts == 3);
  CHECK(run->request.options.runs == 2);
  CHECK(run->request.artifact.sha256 == FakeArtifact(1).sha256);
  CHECK(store->GetRun(*id + 100).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("farm store: lease order is priority, then age, kind and backoff") {
  auto store = Memory();
  const int64_t a = *store->Enqueue(Request(1, 0), kT0);
  const int64_t b = *store->Enqueue(Request(2, 5), kT0);
  const int64_t c = *store->Enqueue(Request(3, 1), kT0);
  const int64_t d = *store->Enqueue(Request(4, 5), kT0);
  const int64_t other = *store->Enqueue(Request(5, 9, "other-kind"), kT0);
  std::vector<int64_t> order;
  for (int i = 0; i < 5; ++i) {
    auto lease = store->LeaseNext(Query("b1"), kT0);
    REQUIRE(lease.ok());
    if (!lease->has_value()) break;
    order.push_back((*lease)->run_id);
    CHECK((*lease)->attempt == 1);
    CHECK((*lease)->pending_repeats == std::vector<int>{0});
  }
  CHECK(order == std::vector<int64_t>{b, d, c, a});
  CHECK(store->GetRun(other)->state == RunState::kQueued);
  CHECK(store->GetRun(b)->state == RunState::kLeased);
  CHECK(store->GetRun(b)->lease_board == "b1");
  CHECK(store->GetRun(b)->lease_expires_at == kT0 + absl::Seconds(30));

  // A requeued run waits for its not_before.
  auto lease = store->LeaseNext(Query("b1", "other-kind"), kT0);
  REQUIRE(lease->has_value());
  auto state = store->RequeueRun(**lease, AttemptOutcome::kInfra, "infra",
                                 "probe busy", kT0 + absl::Seconds(10), kT0);
  REQUIRE(state.ok());
  CHECK(*state == RunState::kQueued);
  CHECK(!store->LeaseNext(Query("b1", "other-kind"), kT0 + absl::Seconds(9))
             ->has_value());
  auto again =
      store->LeaseNext(Query("b1", "other-kind"), kT0 + absl::Seconds(10));
  REQUIRE(again->has_value());
  CHECK((*again)->attempt == 2);
  CHECK((*again)->run.failures == 1);
}

TEST_CASE("farm store: a retry prefers a board that has not tried the run") {
  auto store = Memory();
  const int64_t id = *store->Enqueue(Request(1), kT0);
  auto first = store->LeaseNext(Query("b1"), kT0);
  REQUIRE(first->has_value());
  REQUIRE(store->RequeueRun(**first, AttemptOutcome::kInfra, "infra", "x",
                            kT0, kT0)
              .ok());
  LeaseQuery q = Query("b1");
  q.peer_boards = {"b2"};
  CHECK(!store->LeaseNext(q, kT0)->has_value());  // b2 has not tried it
  q.peer_boards = {};
  auto mine = store->LeaseNext(q, kT0);  // no peer: the same board may retry
  REQUIRE(mine->has_value());
  REQUIRE(store->RequeueRun(**mine, AttemptOutcome::kInfra, "infra", "x",
                            kT0, kT0)
              .ok());
  LeaseQuery q2 = Query("b2");
  q2.peer_boards = {"b1"};
  auto theirs = store->LeaseNext(q2, kT0);
  REQUIRE(theirs->has_value());
  CHECK((*theirs)->run_id == id);
  CHECK(*store->AttemptedBoards(id) ==
        std::vector<std::string>{"b1", "b1", "b2"});
}

TEST_CASE("farm store: failures up to max_attempts, then failed") {
  auto store = Memory();
  RunRequest r = Request(1);
  r.max_attempts = 2;
  const int64_t id = *store->Enqueue(r, kT0);
  auto l1 = store->LeaseNext(Query("b1"), kT0);
  CHECK(*store->RequeueRun(**l1, AttemptOutcome::kSuspect, "timeout", "hang",
                           kT0, kT0) == RunState::kQueued);
  auto l2 = store->LeaseNext(Query("b1"), kT0);
  CHECK(*store->RequeueRun(**l2, AttemptOutcome::kSuspect, "timeout", "hang",
                           kT0, kT0) == RunState::kFailed);
  auto run = store->GetRun(id);
  CHECK(run->state == RunState::kFailed);
  CHECK(run->failures == 2);
  CHECK(run->attempts == 2);
  CHECK(run->last_status == "timeout");
  // The old lease is gone: nothing more can be written with it.
  CHECK(store->CompleteRun(**l1, RunState::kDone, AttemptOutcome::kOk, "ok",
                           "", kT0)
            .code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("farm store: measurements are stored once per key") {
  auto store = Memory();
  RunRequest r = Request(1);
  r.repeats = 3;
  const int64_t id = *store->Enqueue(r, kT0);
  auto lease = store->LeaseNext(Query("b1"), kT0);
  REQUIRE(lease->has_value());
  CHECK((*lease)->pending_repeats == std::vector<int>{0, 1, 2});
  MeasurementRecord m = Record(**lease, 0, 1500);
  m.output_matches = true;
  CHECK(*store->RecordMeasurement(m, kT0) == true);
  CHECK(*store->RecordMeasurement(m, kT0) == false);  // same key: ignored
  CHECK(*store->RecordMeasurement(Record(**lease, 1, 1600), kT0) == true);
  auto all = store->Measurements(id);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].measurement.per_inference == 1500);
  CHECK((*all)[0].output_matches == std::optional<bool>(true));
  CHECK((*all)[1].output_matches == std::nullopt);
  CHECK((*all)[0].started_at == kT0);
  CHECK(store->GetRun(id)->repeats_done == 2);
  // A new lease only lists the repeat still missing.
  REQUIRE(store->ReleaseLease(**lease, "test", kT0).ok());
  auto next = store->LeaseNext(Query("b1"), kT0);
  CHECK((*next)->pending_repeats == std::vector<int>{2});
  CHECK(store->GetRun(id)->failures == 0);  // a release is no failure
}

TEST_CASE("farm store: expired leases are reclaimed with an event") {
  auto store = Memory();
  const int64_t id = *store->Enqueue(Request(1), kT0);
  auto lease = store->LeaseNext(Query("b1"), kT0);
  REQUIRE(lease->has_value());
  // Renewed leases survive; a lapsed one is reclaimed.
  CHECK(*store->RenewLeases("owner-1", {id}, kT0 + absl::Seconds(60), kT0) == 1);
  CHECK(*store->RenewLeases("someone-else", {id}, kT0 + absl::Hours(9), kT0) ==
        0);
  CHECK(store->ReclaimExpired(kT0 + absl::Seconds(59))->empty());
  CHECK(*store->ReclaimExpired(kT0 + absl::Seconds(61)) ==
        std::vector<int64_t>{id});
  auto run = store->GetRun(id);
  CHECK(run->state == RunState::kQueued);
  CHECK(run->failures == 1);
  CHECK(run->lease_board.empty());
  auto events = store->RunEvents(id);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 3);
  CHECK((*events)[0].to_state == "queued");
  CHECK((*events)[1].to_state == "leased");
  CHECK((*events)[2].from_state == "leased");
  CHECK((*events)[2].detail.find("lease expired (previous process died?)") !=
        std::string::npos);
  // The lost lease cannot complete the run any more.
  CHECK(store->CompleteRun(**lease, RunState::kDone, AttemptOutcome::kOk, "ok",
                           "", kT0)
            .code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("farm store: cancel") {
  auto store = Memory();
  const int64_t queued = *store->Enqueue(Request(1), kT0);
  const int64_t leased = *store->Enqueue(Request(2), kT0);
  auto lease = store->LeaseNext(Query("b1"), kT0);
  REQUIRE((*lease)->run_id == queued);
  REQUIRE(store->CancelRun(leased, "test", kT0).ok());
  REQUIRE(store->CancelRun(queued, "test", kT0).ok());
  CHECK(store->GetRun(queued)->state == RunState::kCancelled);
  CHECK(store->CancelRun(queued, "again", kT0).code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(store->CompleteRun(**lease, RunState::kDone, AttemptOutcome::kOk, "ok",
                           "", kT0)
            .code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("farm store: spread of repeats") {
  auto store = Memory();
  RunRequest r = Request(7);
  r.repeats = 4;
  const int64_t id = *store->Enqueue(r, kT0);
  auto lease = store->LeaseNext(Query("b1"), kT0);
  const double values[] = {1000, 1100, 900, 1300};
  for (int i = 0; i < 4; ++i) {
    REQUIRE(store->RecordMeasurement(Record(**lease, i, values[i]), kT0).ok());
  }
  // A failed repeat does not count.
  MeasurementRecord bad = Record(**lease, 3, 99999, RunStatus::kTimeout);
  bad.attempt = 2;
  REQUIRE(store->RecordMeasurement(bad, kT0).ok());
  auto s = store->RunSpread(id);
  REQUIRE(s.ok());
  CHECK(s->count == 4);
  CHECK(s->unit == "instructions");
  CHECK(s->min == 900);
  CHECK(s->max == 1300);
  CHECK(s->median == Approx(1050));
  CHECK(s->mean == Approx(1075));
  // Deviations 75, 25, 175, 225 -> variance (5625+625+30625+50625)/4.
  CHECK(s->stddev == Approx(std::sqrt(21875.0)));
  auto by_artifact = store->ArtifactSpread(FakeArtifact(7).sha256, "k");
  REQUIRE(by_artifact.ok());
  CHECK(by_artifact->count == 4);
  CHECK(store->ArtifactSpread(FakeArtifact(7).sha256, "other")->count == 0);
}

TEST_CASE("farm store: board states and events") {
  auto store = Memory();
  REQUIRE(store->UpsertBoard("b1", "k", 2, kT0).ok());
  REQUIRE(store->UpsertBoard("b1", "k", 3, kT0).ok());  // update, no event
  auto b = store->GetBoard("b1");
  CHECK(b->slots == 3);
  CHECK(b->state == BoardState::kActive);
  CHECK(*store->RecordBoardFailure("b1", "x", kT0) == 1);
  CHECK(*store->RecordBoardFailure("b1", "x", kT0) == 2);
  REQUIRE(store->SetBoardState("b1", BoardState::kQuarantined, "sick",
                               kT0 + absl::Minutes(5), kT0)
              .ok());
  REQUIRE(store->RecordHealthCheckFailure("b1", kT0 + absl::Minutes(10),
                                          "still sick", kT0)
              .ok());
  b = store->GetBoard("b1");
  CHECK(b->state == BoardState::kQuarantined);
  CHECK(b->quarantine_reason == "sick");
  CHECK(b->health_check_failures == 1);
  CHECK(b->next_health_check_at == kT0 + absl::Minutes(10));
  REQUIRE(store->SetBoardState("b1", BoardState::kActive, "well",
                               absl::InfinitePast(), kT0)
              .ok());
  b = store->GetBoard("b1");
  CHECK(b->consecutive_failures == 0);
  CHECK(b->health_check_failures == 0);
  CHECK(b->quarantine_reason.empty());
  // Upserting a quarantined board keeps its state (a restart does not heal).
  REQUIRE(store->SetBoardState("b1", BoardState::kQuarantined, "again",
                               kT0, kT0)
              .ok());
  REQUIRE(store->UpsertBoard("b1", "k", 3, kT0).ok());
  CHECK(store->GetBoard("b1")->state == BoardState::kQuarantined);
  auto events = store->BoardEvents("b1");
  REQUIRE(events->size() == 5);
  CHECK((*events)[0].to_state == "active");
  CHECK((*events)[1].to_state == "quarantined");
  CHECK((*events)[2].detail == "health check failed: still sick");
  REQUIRE(store->DeleteBoard("b1", kT0).ok());
  CHECK(store->GetBoard("b1").status().code() == absl::StatusCode::kNotFound);
  CHECK(store->BoardEvents("b1")->back().to_state == "removed");
}

TEST_CASE("farm store: a database locked by another connection is UNAVAILABLE") {
  FarmTempDir dir;
  const std::string path = dir.File("farm.db");
  base::DatabaseOptions quick;
  quick.busy_timeout = absl::Milliseconds(50);
  auto store = FarmStore::Open(path, quick);
  REQUIRE(store.ok());
  auto other = base::Database::Open(path);
  REQUIRE(other.ok());
  REQUIRE((*other)->Exec("BEGIN IMMEDIATE").ok());
  auto id = (*store)->Enqueue(Request(1), kT0);
  REQUIRE_FALSE(id.ok());
  CHECK(id.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE((*other)->Exec("ROLLBACK").ok());
  CHECK((*store)->Enqueue(Request(1), kT0).ok());
}

}  // namespace
}  // namespace mcutune::device_farm
