// Static arena placement for buffers with known lifetimes.
//
// Every planner ends with the same problem: buffers that live during
// [first_step, last_step] must get SRAM offsets such that buffers alive at
// the same step never overlap, in as small an arena as possible. PlanArena
// solves it for any set of Buffers (layer-wise tensors, per-patch slices,
// stream buffers, ...), honouring in-place aliases:
//
//   offset ▲      ┌────────┐
//          │ ┌────┤   B    ├───┐     buffers = rectangles in (step, address)
//          │ │ A  └────────┘ C │     placement = pack them without overlap
//          └─┴─────────────────┴──► step
//
// Aliases: a buffer with alias_of = j shares j's storage: it is placed at the
// same offset as its alias root (following alias_of transitively) and must
// not be larger than the buffer it aliases. An alias group is placed as one
// unit, each member occupying [root offset, + its own bytes) only during its
// own lifetime.
//
// Thread-safe (no state). Deterministic.
#ifndef MCUTUNE_TUNER_SPACE_ARENA_PLANNER_H_
#define MCUTUNE_TUNER_SPACE_ARENA_PLANNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tuner/space/plan.h"

namespace mcutune::space {

struct ArenaResult {
  int64_t arena_bytes = 0;  // max(offset + bytes) - base over the buffers
  // Max over steps of the bytes alive at once (an alias group counts the
  // largest member alive at that step): no placement can be smaller.
  int64_t lower_bound_bytes = 0;
  std::string heuristic;  // the placement order that won, e.g. "size/first-fit"
};

// Places the buffers `ids` of `*buffers` (all in the same memory; aliases of
// a buffer in `ids` must be in `ids` too) at offsets >= base, trying several
// orderings (by size, lifetime length, start step, area, with first-fit and
// best-fit placement, and the reference allocator's rectangle view of alias
// groups) and keeping the smallest arena (ties: the first heuristic tried).
// The result is never larger than ReferenceFirstFit() on the same
// rectangles (reference_allocator.h). Writes Buffer::offset of each id.
ArenaResult PlanArena(const std::vector<int>& ids, std::vector<Buffer>* buffers,
                      int64_t base = 0);

// The lower bound of ArenaResult alone, without placing anything.
int64_t LiveLowerBound(const std::vector<int>& ids,
                       const std::vector<Buffer>& buffers);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_ARENA_PLANNER_H_
