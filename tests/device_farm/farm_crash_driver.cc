// A scheduler process for farm_crash_test.cc: serves the queue of a farm
// database with fake boards that take --delay-ms per repeat, so the test can
// SIGKILL it mid-queue and start it again over the same file.
//
//   farm_crash_driver --db PATH --boards N --delay-ms D --lease-ms L
//                     [--max-seconds S]
// Boards are of kind "k" (tests/device_farm/farm_scheduler_util.h).
// Exits 0 once no run is queued or leased (after reclaiming expired leases
// of a killed predecessor), 2 when --max-seconds passed first, 1 on errors.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "device_farm/farm_store.h"
#include "device_farm/scheduler.h"
#include "device_farm/testing/fake_board.h"

namespace df = mcutune::device_farm;

namespace {

int Fail(const std::string& what) {
  std::fprintf(stderr, "farm_crash_driver: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  int boards = 2, delay_ms = 100, lease_ms = 1000, max_seconds = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--db") {
      db = value;
    } else if (flag == "--boards") {
      boards = std::atoi(value.c_str());
    } else if (flag == "--delay-ms") {
      delay_ms = std::atoi(value.c_str());
    } else if (flag == "--lease-ms") {
      lease_ms = std::atoi(value.c_str());
    } else if (flag == "--max-seconds") {
      max_seconds = std::atoi(value.c_str());
    } else {
      return Fail("unknown flag " + flag);
    }
  }
  if (db.empty() || boards < 1 || boards > 8 || delay_ms < 0 ||
      lease_ms < 10 || max_seconds < 1) {
    return Fail("usage: --db PATH --boards 1..8 --delay-ms D --lease-ms L");
  }
  auto store = df::FarmStore::Open(db);
  if (!store.ok()) return Fail(store.status().ToString());
  std::shared_ptr<df::FarmStore> shared = *std::move(store);

  std::vector<std::unique_ptr<df::Board>> fakes;
  for (int i = 0; i < boards; ++i) {
    auto b = std::make_unique<df::FakeBoard>(
        "fake://crash/" + std::to_string(i), df::FakeSpec("k"));  // the kind of KRequest()
    b->SetDefault(df::FakeOutcome::Ok(3000 + 3 * i,
                                      absl::Milliseconds(delay_ms)));
    fakes.push_back(std::move(b));
  }
  df::SchedulerOptions options;
  options.lease_duration = absl::Milliseconds(lease_ms);
  options.poll_interval = absl::Milliseconds(20);
  options.retry_backoff = absl::Milliseconds(10);
  options.retry_backoff_max = absl::Milliseconds(100);
  auto scheduler = df::MakeScheduler(shared, std::move(fakes), options);
  if (!scheduler.ok()) return Fail(scheduler.status().ToString());

  const absl::Time deadline = absl::Now() + absl::Seconds(max_seconds);
  while (absl::Now() < deadline) {
    df::RunFilter queued, leased;
    queued.state = df::RunState::kQueued;
    leased.state = df::RunState::kLeased;
    auto q = shared->ListRuns(queued);
    auto l = shared->ListRuns(leased);
    if (q.ok() && l.ok() && q->empty() && l->empty()) {
      (*scheduler)->Stop();
      std::printf("idle\n");
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  (*scheduler)->Stop();
  return 2;
}
