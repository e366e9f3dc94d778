// A scheduler over fake boards for the scheduler tests.
#ifndef MCUTUNE_TESTS_DEVICE_FARM_FARM_SCHEDULER_UTIL_H_
#define MCUTUNE_TESTS_DEVICE_FARM_FARM_SCHEDULER_UTIL_H_

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "device_farm/farm_store.h"
#include "device_farm/scheduler.h"
#include "device_farm/testing/fake_board.h"
#include "tests/device_farm/farm_test_util.h"

namespace mcutune::testing {

struct FakeFarm {
  std::shared_ptr<device_farm::FarmStore> store;
  std::vector<device_farm::FakeBoard*> boards;  // owned by the scheduler
  std::unique_ptr<device_farm::Scheduler> scheduler;
  device_farm::RunRecord Run(int64_t id) {
    auto r = store->GetRun(id);
    REQUIRE(r.ok());
    return *r;
  }
  device_farm::BoardRecord Board(const std::string& uri) {
    auto b = store->GetBoard(uri);
    REQUIRE(b.ok());
    return *b;
  }
};

// Fast polling, quick retries, leases that do not expire during a test.
inline device_farm::SchedulerOptions FastOptions() {
  device_farm::SchedulerOptions o;
  o.lease_duration = absl::Seconds(60);
  o.poll_interval = absl::Milliseconds(5);
  o.retry_backoff = absl::Milliseconds(1);
  o.retry_backoff_max = absl::Milliseconds(4);
  o.health_check_interval = absl::Hours(1);
  o.health_check_max_interval = absl::Hours(8);
  o.owner = "test-owner";
  return o;
}

// Boards "fake://a", "fake://b", ... of kind "k" with `slots` slots.
inline FakeFarm MakeFakeFarm(int boards, device_farm::SchedulerOptions options,
                             std::shared_ptr<device_farm::FarmStore> store = {},
                             int slots = 1) {
  FakeFarm farm;
  if (!store) {
    auto opened = device_farm::FarmStore::Open(":memory:");
    REQUIRE(opened.ok());
    store = *std::move(opened);
  }
  farm.store = store;
  std::vector<std::unique_ptr<device_farm::Board>> owned;
  for (int i = 0; i < boards; ++i) {
    auto b = std::make_unique<device_farm::FakeBoard>(
        std::string("fake://") + static_cast<char>('a' + i),
        device_farm::FakeSpec("k"), slots);
    farm.boards.push_back(b.get());
    owned.push_back(std::move(b));
  }
  auto scheduler = device_farm::MakeScheduler(store, std::move(owned), options);
  REQUIRE(scheduler.ok());
  farm.scheduler = *std::move(scheduler);
  return farm;
}

inline device_farm::RunRequest KRequest(int artifact, int repeats = 1) {
  device_farm::RunRequest r;
  r.artifact = FakeArtifact(artifact);
  r.board_kind = "k";
  r.repeats = repeats;
  r.options.runs = 1;
  r.options.warmup = 0;
  return r;
}

inline bool HasEvent(const std::vector<device_farm::RunEvent>& events,
                     const std::string& needle) {
  for (const auto& e : events) {
    if (e.detail.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace mcutune::testing

#endif  // MCUTUNE_TESTS_DEVICE_FARM_FARM_SCHEDULER_UTIL_H_
