// PlanArena and the reference allocator on hand-made and random buffer sets,
// validated by the independent plan checker.
#include <algorithm>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "tuner/space/arena_planner.h"
#include "tuner/space/plan_checker.h"
#include "tuner/space/reference_allocator.h"

namespace mcutune::space {
namespace {

Buffer B(int id, int64_t bytes, int first, int last, int alias_of = -1) {
  Buffer b;
  b.id = id;
  b.name = "b" + std::to_string(id);
  b.bytes = bytes;
  b.first_step = first;
  b.last_step = last;
  b.alias_of = alias_of;
  return b;
}

// A plan holding only `buffers` over `steps` steps, arena = `arena`.
Plan Wrap(const std::vector<Buffer>& buffers, int steps, int64_t arena) {
  Plan p;
  p.buffers = buffers;
  p.steps.resize(steps);
  p.memory.arena_bytes = arena;
  p.memory.peak_sram_bytes = arena;
  return p;
}

std::vector<int> AllIds(const std::vector<Buffer>& b) {
  std::vector<int> ids(b.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
  return ids;
}

TEST_CASE("reference first-fit: hand example", "[space][arena]") {
  // Sizes 100 [0,2), 60 [1,3), 50 [2,4), 40 [3,5).
  const std::vector<ReferenceRect> rects = {
      {100, 0, 2}, {60, 1, 3}, {50, 2, 4}, {40, 3, 5}};
  const ReferenceResult r = ReferenceFirstFit(rects);
  CHECK(r.offsets == std::vector<int64_t>{0, 100, 0, 50});
  CHECK(r.peak_bytes == 160);
}

TEST_CASE("reference first-fit: ties keep input order", "[space][arena]") {
  const ReferenceResult r = ReferenceFirstFit({{10, 0, 2}, {10, 1, 3}});
  CHECK(r.offsets == std::vector<int64_t>{0, 10});
}

TEST_CASE("arena: chain reuses memory and reaches the lower bound",
          "[space][arena]") {
  std::vector<Buffer> b = {B(0, 100, 0, 1), B(1, 50, 1, 2), B(2, 100, 2, 3),
                           B(3, 10, 3, 3)};
  const ArenaResult r = PlanArena(AllIds(b), &b);
  CHECK(r.lower_bound_bytes == 150);
  CHECK(r.arena_bytes == 150);
  CHECK(CheckMemoryPlan(Wrap(b, 4, r.arena_bytes)).ok());
}

TEST_CASE("arena: an alias shares its root's offset", "[space][arena]") {
  // In-place: 1 aliases 0 (smaller), then 2 is produced from 1.
  std::vector<Buffer> b = {B(0, 80, 0, 1), B(1, 40, 1, 2, 0), B(2, 40, 2, 3)};
  const ArenaResult r = PlanArena(AllIds(b), &b, 16);
  CHECK(b[1].offset == b[0].offset);
  CHECK(b[0].offset >= 16);
  CHECK(r.lower_bound_bytes == 80);
  CHECK(r.arena_bytes == 80);
}

TEST_CASE("checker catches overlaps, bad aliases and dead operands",
          "[space][arena][checker]") {
  std::vector<Buffer> b = {B(0, 100, 0, 1), B(1, 50, 1, 2)};
  b[1].offset = 60;  // overlaps buffer 0 at step 1
  CHECK(CheckMemoryPlan(Wrap(b, 3, 200)).code() ==
        absl::StatusCode::kInternal);
  b[1].offset = 100;
  CHECK(CheckMemoryPlan(Wrap(b, 3, 200)).ok());
  CHECK_FALSE(CheckMemoryPlan(Wrap(b, 3, 120)).ok());  // outside the arena
  b[1].alias_of = 0;
  CHECK_FALSE(CheckMemoryPlan(Wrap(b, 3, 200)).ok());  // alias not inside
  b[1].offset = 0;
  CHECK(CheckMemoryPlan(Wrap(b, 3, 200)).ok());
  Plan p = Wrap(b, 3, 200);
  p.steps[2].reads = {0};  // buffer 0 is dead at step 2
  CHECK_FALSE(CheckMemoryPlan(p).ok());
  p.steps[2].reads = {7};
  CHECK_FALSE(CheckMemoryPlan(p).ok());
}

TEST_CASE("random buffer sets: valid, >= lower bound, <= reference",
          "[space][arena]") {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 300; ++trial) {
    const int steps = 3 + static_cast<int>(rng() % 30);
    const int n = 1 + static_cast<int>(rng() % 40);
    std::vector<Buffer> b;
    std::vector<ReferenceRect> rects;
    for (int i = 0; i < n; ++i) {
      const int first = static_cast<int>(rng() % steps);
      const int last =
          std::min(steps - 1, first + static_cast<int>(rng() % 6));
      const int64_t bytes = 1 + static_cast<int64_t>(rng() % 1000);
      b.push_back(B(i, bytes, first, last));
      rects.push_back({bytes, first, last + 1});
    }
    const ArenaResult r = PlanArena(AllIds(b), &b);
    INFO("trial " << trial);
    REQUIRE(CheckMemoryPlan(Wrap(b, steps, r.arena_bytes)).ok());
    CHECK(r.arena_bytes >= r.lower_bound_bytes);
    CHECK(r.arena_bytes <= ReferenceFirstFit(rects).peak_bytes);
    CHECK(r.lower_bound_bytes == LiveLowerBound(AllIds(b), b));
  }
}

}  // namespace
}  // namespace mcutune::space
