// FarmStore::LeaseNext shares boards fairly between run tags (tuning jobs)
// of the same priority: one job queueing many runs first does not starve a
// later one. Priorities still go strictly first.
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "device_farm/farm_store.h"
#include "tests/device_farm/farm_test_util.h"

namespace mcutune::device_farm {
namespace {

using testing::FakeArtifact;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

std::unique_ptr<FarmStore> Memory() {
  auto s = FarmStore::Open(":memory:");
  REQUIRE(s.ok());
  return *std::move(s);
}

// Queues `n` runs tagged `tag` (artifacts first_artifact ...).
std::vector<int64_t> Queue(FarmStore& store, const std::string& tag, int n,
                           int first_artifact, int priority = 0) {
  std::vector<int64_t> ids;
  for (int i = 0; i < n; ++i) {
    RunRequest r;
    r.artifact = FakeArtifact(first_artifact + i);
    r.board_kind = "k";
    r.priority = priority;
    r.tag = tag;
    auto id = store.Enqueue(r, kT0);
    REQUIRE(id.ok());
    ids.push_back(*id);
  }
  return ids;
}

LeaseQuery Query(const std::string& board) {
  LeaseQuery q;
  q.board_uri = board;
  q.kind = "k";
  q.owner = "owner-1";
  return q;
}

// Leases the next run on `board` and returns its tag ("" when none).
std::string LeaseTag(FarmStore& store, const std::string& board,
                     std::optional<Lease>* held = nullptr) {
  auto lease = store.LeaseNext(Query(board), kT0);
  REQUIRE(lease.ok());
  if (!lease->has_value()) return "";
  const std::string tag = (*lease)->run.request.tag;
  if (held != nullptr) *held = **lease;
  return tag;
}

void Complete(FarmStore& store, const Lease& lease) {
  REQUIRE(store
              .CompleteRun(lease, RunState::kDone, AttemptOutcome::kOk, "ok",
                           "", kT0)
              .ok());
}

TEST_CASE("fair share: two jobs queued one after the other alternate") {
  auto store = Memory();
  const std::vector<int64_t> a = Queue(*store, "job-a", 10, 100);
  const std::vector<int64_t> b = Queue(*store, "job-b", 10, 200);
  std::vector<std::string> order;
  std::map<std::string, std::vector<int64_t>> runs;
  for (int i = 0; i < 25; ++i) {
    std::optional<Lease> lease;
    const std::string tag = LeaseTag(*store, "b1", &lease);
    if (tag.empty()) break;
    order.push_back(tag);
    runs[tag].push_back(lease->run_id);
    Complete(*store, *lease);
  }
  REQUIRE(order.size() == 20);
  for (size_t i = 0; i < order.size(); ++i) {
    INFO("lease " << i);
    // The first queued job starts; then strictly alternating.
    CHECK(order[i] == (i % 2 == 0 ? "job-a" : "job-b"));
  }
  // Within a job, oldest first.
  CHECK(runs["job-a"] == a);
  CHECK(runs["job-b"] == b);
}

TEST_CASE("fair share: a job with a run in progress yields the next board") {
  auto store = Memory();
  Queue(*store, "job-a", 5, 100);
  Queue(*store, "job-b", 5, 200);
  std::optional<Lease> on_b1, on_b2;
  CHECK(LeaseTag(*store, "b1", &on_b1) == "job-a");
  // job-a holds a lease, job-b none: b2 serves job-b.
  CHECK(LeaseTag(*store, "b2", &on_b2) == "job-b");
  // job-a's run finishes: it holds no lease now, job-b one.
  Complete(*store, *on_b1);
  CHECK(LeaseTag(*store, "b1", &on_b1) == "job-a");
  // job-b's run finishes: job-b has none leased now, job-a one.
  Complete(*store, *on_b2);
  CHECK(LeaseTag(*store, "b2", &on_b2) == "job-b");
}

TEST_CASE("fair share: a third job arriving late gets its turn at once") {
  auto store = Memory();
  Queue(*store, "job-a", 6, 100);
  Queue(*store, "job-b", 6, 200);
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) {
    std::optional<Lease> lease;
    order.push_back(LeaseTag(*store, "b1", &lease));
    Complete(*store, *lease);
  }
  Queue(*store, "job-c", 2, 300);
  for (int i = 0; i < 5; ++i) {
    std::optional<Lease> lease;
    order.push_back(LeaseTag(*store, "b1", &lease));
    Complete(*store, *lease);
  }
  CHECK(order == std::vector<std::string>{"job-a", "job-b", "job-a", "job-b",
                                          "job-c", "job-a", "job-b", "job-c",
                                          "job-a"});
}

TEST_CASE("fair share: priorities still go first, fairness within one") {
  auto store = Memory();
  Queue(*store, "sweep-1", 4, 100, /*priority=*/-10);
  Queue(*store, "job-a", 3, 200);
  Queue(*store, "job-b", 3, 300);
  std::vector<std::string> order;
  for (int i = 0; i < 12; ++i) {
    std::optional<Lease> lease;
    const std::string tag = LeaseTag(*store, "b1", &lease);
    if (tag.empty()) break;
    order.push_back(tag);
    Complete(*store, *lease);
  }
  CHECK(order == std::vector<std::string>{"job-a", "job-b", "job-a", "job-b",
                                          "job-a", "job-b", "sweep-1",
                                          "sweep-1", "sweep-1", "sweep-1"});
}

TEST_CASE("fair share: a run only another board may retry passes the turn") {
  auto store = Memory();
  const std::vector<int64_t> a = Queue(*store, "job-a", 1, 100);
  const std::vector<int64_t> b = Queue(*store, "job-b", 2, 200);
  // job-a's run fails on b1 and is queued again.
  std::optional<Lease> lease;
  REQUIRE(LeaseTag(*store, "b1", &lease) == "job-a");
  REQUIRE(store
              ->RequeueRun(*lease, AttemptOutcome::kInfra, "infra", "x", kT0,
                           kT0)
              .ok());
  // b2: job-b was never served, so it goes first.
  LeaseQuery q2 = Query("b2");
  q2.peer_boards = {"b1"};
  auto on_b2 = store->LeaseNext(q2, kT0);
  REQUIRE(on_b2.ok());
  REQUIRE(on_b2->has_value());
  CHECK((*on_b2)->run_id == b[0]);
  // b1: it is job-a's turn (no lease held), but b1 already tried job-a's
  // only run and b2 has not: job-b's next run instead.
  LeaseQuery q1 = Query("b1");
  q1.peer_boards = {"b2"};
  auto on_b1 = store->LeaseNext(q1, kT0);
  REQUIRE(on_b1.ok());
  REQUIRE(on_b1->has_value());
  CHECK((*on_b1)->run_id == b[1]);
  // b2 finishes and retries job-a's run.
  Complete(*store, **on_b2);
  auto retry = store->LeaseNext(q2, kT0);
  REQUIRE(retry.ok());
  REQUIRE(retry->has_value());
  CHECK((*retry)->run_id == a[0]);
  CHECK((*retry)->attempt == 2);
}

}  // namespace
}  // namespace mcutune::device_farm
