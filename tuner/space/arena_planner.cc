// PlanArena: offline placement of buffers with lifetimes.
// - Buffers are grouped by alias root; a group is placed as one unit.
// - A placement heuristic = an ordering of the groups x a fit policy
//   (first-fit: lowest feasible offset; best-fit: the feasible offset whose
//   gap above is tightest, preferring offsets that do not raise the arena) x
//   a group view (exact: each member occupies its own bytes during its own
//   lifetime; block: the group is one rectangle over the union of lifetimes
//   with the largest member's bytes, which is how the reference allocator
//   sees an in-place pair).
// - Feasible offsets are 0 and the end of every placed rectangle that
//   overlaps the group in time (the lowest feasible offset is always one).
// - Every heuristic is run; the smallest arena wins (ties: first tried).
#include "tuner/space/arena_planner.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <numeric>
#include <utility>

namespace mcutune::space {
namespace {

struct Member {
  int id;
  int first, last;
  int64_t bytes;
};

struct Group {
  std::vector<Member> members;
  int first = 0, last = 0;  // union of the members' lifetimes
  int64_t bytes = 0;        // largest member
};

struct Placed {
  int first, last;
  int64_t offset, bytes;
};

enum class Order { kSize, kSizeThenLength, kLength, kStart, kArea };
enum class Fit { kFirst, kBest };

struct Heuristic {
  Order order;
  Fit fit;
  bool block;
  const char* name;
};

constexpr Heuristic kHeuristics[] = {
    {Order::kSize, Fit::kFirst, true, "size/first-fit/block"},
    {Order::kSize, Fit::kFirst, false, "size/first-fit"},
    {Order::kSize, Fit::kBest, false, "size/best-fit"},
    {Order::kSizeThenLength, Fit::kFirst, false, "size+length/first-fit"},
    {Order::kLength, Fit::kFirst, false, "length/first-fit"},
    {Order::kLength, Fit::kBest, false, "length/best-fit"},
    {Order::kStart, Fit::kFirst, false, "start/first-fit"},
    {Order::kStart, Fit::kBest, false, "start/best-fit"},
    {Order::kArea, Fit::kFirst, false, "area/first-fit"},
    {Order::kArea, Fit::kBest, false, "area/best-fit"},
};

int RootOf(const std::vector<Buffer>& buffers, int id) {
  int guard = static_cast<int>(buffers.size());
  while (buffers[id].alias_of >= 0 && guard-- > 0) id = buffers[id].alias_of;
  return id;
}

std::vector<Group> MakeGroups(const std::vector<int>& ids,
                              const std::vector<Buffer>& buffers) {
  std::vector<int> group_of_root(buffers.size(), -1);
  std::vector<Group> groups;
  for (int id : ids) {
    const int root = RootOf(buffers, id);
    if (group_of_root[root] < 0) {
      group_of_root[root] = static_cast<int>(groups.size());
      groups.emplace_back();
    }
    Group& g = groups[group_of_root[root]];
    const Buffer& b = buffers[id];
    g.members.push_back({id, b.first_step, b.last_step, b.bytes});
    if (g.members.size() == 1) {
      g.first = b.first_step;
      g.last = b.last_step;
    }
    g.first = std::min(g.first, b.first_step);
    g.last = std::max(g.last, b.last_step);
    g.bytes = std::max(g.bytes, b.bytes);
  }
  return groups;
}

std::vector<int> SortGroups(const std::vector<Group>& groups, Order order) {
  std::vector<int> idx(groups.size());
  std::iota(idx.begin(), idx.end(), 0);
  auto length = [&](int i) { return groups[i].last - groups[i].first + 1; };
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) {
    const Group& ga = groups[a];
    const Group& gb = groups[b];
    switch (order) {
      case Order::kSize:
        return ga.bytes > gb.bytes;
      case Order::kSizeThenLength:
        if (ga.bytes != gb.bytes) return ga.bytes > gb.bytes;
        return length(a) > length(b);
      case Order::kLength:
        if (length(a) != length(b)) return length(a) > length(b);
        return ga.bytes > gb.bytes;
      case Order::kStart:
        if (ga.first != gb.first) return ga.first < gb.first;
        return ga.bytes > gb.bytes;
      case Order::kArea:
        return ga.bytes * length(a) > gb.bytes * length(b);
    }
    return false;
  });
  return idx;
}

// Places every group with one heuristic; returns the offset of each group's
// root (by group index) and the arena size through `arena`.
std::vector<int64_t> PlaceAll(const std::vector<Group>& groups,
                              const Heuristic& h, int64_t* arena) {
  std::vector<int64_t> offsets(groups.size(), 0);
  std::vector<Placed> placed;
  size_t n_members = 0;
  for (const Group& g : groups) n_members += g.members.size();
  placed.reserve(n_members);
  // Reused across groups to avoid an allocation per group.
  std::vector<std::pair<const Placed*, int64_t>> conflicts;
  std::vector<int64_t> candidates;
  int64_t top = 0;
  for (int gi : SortGroups(groups, h.order)) {
    const Group& g = groups[gi];
    const Member block = {-1, g.first, g.last, g.bytes};
    const Member* members = h.block ? &block : g.members.data();
    const Member* members_end =
        h.block ? &block + 1 : g.members.data() + g.members.size();
    // Placed rectangles overlapping some member in time, with the largest
    // member bytes they constrain.
    conflicts.clear();
    for (const Placed& p : placed) {
      int64_t need = -1;
      for (const Member* m = members; m != members_end; ++m) {
        if (m->first <= p.last && p.first <= m->last) {
          need = std::max(need, m->bytes);
        }
      }
      if (need >= 0) conflicts.emplace_back(&p, need);
    }
    candidates.assign(1, 0);
    for (const auto& [p, need] : conflicts) {
      candidates.push_back(p->offset + p->bytes);
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()),
                     candidates.end());
    int64_t best = -1;
    int64_t best_score = std::numeric_limits<int64_t>::max();
    for (int64_t o : candidates) {
      bool ok = true;
      int64_t above = std::numeric_limits<int64_t>::max();
      for (const auto& [p, need] : conflicts) {
        if (p->offset < o + need && o < p->offset + p->bytes) {
          ok = false;
          break;
        }
        if (p->offset >= o + g.bytes) above = std::min(above, p->offset);
      }
      if (!ok) continue;
      if (h.fit == Fit::kFirst) {
        best = o;
        break;
      }
      // Best fit: tightest gap below the current top; else lowest offset.
      int64_t score;
      if (o + g.bytes <= top) {
        score = std::min(above, top) - (o + g.bytes);
      } else {
        score = (int64_t{1} << 50) + o;
      }
      if (score < best_score) {
        best_score = score;
        best = o;
      }
    }
    assert(best >= 0);  // the end of the highest conflict is always free
    offsets[gi] = best;
    for (const Member* m = members; m != members_end; ++m) {
      placed.push_back({m->first, m->last, best, m->bytes});
    }
    top = std::max(top, best + g.bytes);
  }
  *arena = top;
  return offsets;
}

// Max over steps of the bytes live in `groups` (a group counts its largest
// live member).
int64_t GroupsLowerBound(const std::vector<Group>& groups) {
  int last_step = -1;
  for (const Group& g : groups) last_step = std::max(last_step, g.last);
  if (last_step < 0) return 0;
  std::vector<int64_t> live(last_step + 2, 0);
  std::vector<int64_t> group_live;
  std::vector<size_t> order;
  for (const Group& g : groups) {
    if (g.members.size() == 1) {  // difference array
      live[g.first] += g.bytes;
      live[g.last + 1] -= g.bytes;
      continue;
    }
    // The group's live bytes (largest live member) are zero outside its
    // members' lifetimes, so only clusters of chain-overlapping members
    // need a dense pass (per-patch instances of one tensor are disjoint).
    order.clear();
    for (size_t k = 0; k < g.members.size(); ++k) {
      if (g.members[k].first <= g.members[k].last) order.push_back(k);
    }
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return g.members[a].first < g.members[b].first;
    });
    for (size_t i = 0; i < order.size();) {
      const int lo = g.members[order[i]].first;
      int hi = g.members[order[i]].last;
      size_t j = i + 1;
      while (j < order.size() && g.members[order[j]].first <= hi) {
        hi = std::max(hi, g.members[order[j]].last);
        ++j;
      }
      group_live.assign(hi - lo + 1, 0);
      for (size_t k = i; k < j; ++k) {
        const Member& m = g.members[order[k]];
        for (int s = m.first; s <= m.last; ++s) {
          group_live[s - lo] = std::max(group_live[s - lo], m.bytes);
        }
      }
      for (int s = lo; s <= hi; ++s) {
        live[s] += group_live[s - lo];
        live[s + 1] -= group_live[s - lo];
      }
      i = j;
    }
  }
  int64_t running = 0, peak = 0;
  for (int s = 0; s <= last_step; ++s) {
    running += live[s];
    peak = std::max(peak, running);
  }
  return peak;
}

}  // namespace

int64_t LiveLowerBound(const std::vector<int>& ids,
                       const std::vector<Buffer>& buffers) {
  return GroupsLowerBound(MakeGroups(ids, buffers));
}

ArenaResult PlanArena(const std::vector<int>& ids, std::vector<Buffer>* buffers,
                      int64_t base) {
  ArenaResult result;
  const std::vector<Group> groups = MakeGroups(ids, *buffers);
  result.lower_bound_bytes = GroupsLowerBound(groups);
  if (groups.empty()) {
    result.heuristic = "empty";
    return result;
  }
  std::vector<int64_t> best_offsets;
  int64_t best_arena = std::numeric_limits<int64_t>::max();
  for (const Heuristic& h : kHeuristics) {
    int64_t arena = 0;
    std::vector<int64_t> offsets = PlaceAll(groups, h, &arena);
    if (arena < best_arena) {
      best_arena = arena;
      best_offsets = std::move(offsets);
      result.heuristic = h.name;
    }
    if (best_arena == result.lower_bound_bytes) break;  // optimal already
  }
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    for (const Member& m : groups[gi].members) {
      (*buffers)[m.id].offset = base + best_offsets[gi];
    }
  }
  result.arena_bytes = best_arena;
  return result;
}

}  // namespace mcutune::space
