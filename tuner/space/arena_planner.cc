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
// - Heuristics run in a fixed order until one reaches the live lower bound;
//   the smallest arena wins (ties: first tried).
// - Working storage (groups, orders, placement scratch) is kept per thread:
//   the design-space enumeration calls this tens of thousands of times.
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

// Alias groups, flat: group g owns members [begin, end) of Groups::members
// (in the order of `ids`); groups in the order their roots first appear.
struct Group {
  int begin = 0, end = 0;
  int first = 0, last = 0;  // union of the members' lifetimes
  int64_t bytes = 0;        // largest member
  int size() const { return end - begin; }
};

struct Groups {
  std::vector<Member> members;
  std::vector<Group> groups;
};

enum class Order { kSize, kSizeThenLength, kLength, kStart, kArea };
constexpr int kOrders = 5;
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

struct Placed {
  int first, last;
  int64_t offset, bytes;
};

// A group's sort keys for one Order (ascending), ties by group index: the
// order a stable sort by the heuristic's comparison gives.
struct Keyed {
  int64_t k1, k2;
  int index;
  bool operator<(const Keyed& o) const {
    if (k1 != o.k1) return k1 < o.k1;
    if (k2 != o.k2) return k2 < o.k2;
    return index < o.index;
  }
};

// Working storage of one PlanArena / LiveLowerBound call.
struct Workspace {
  Groups gs;
  std::vector<int> group_of_root, group_of;
  std::vector<int64_t> live, group_live;
  std::vector<Member> sorted;
  std::vector<Keyed> keyed;
  std::vector<int> orders[kOrders];
  std::vector<int64_t> offsets, best_offsets;
  std::vector<Placed> placed;
  std::vector<std::pair<const Placed*, int64_t>> conflicts;
  std::vector<int64_t> candidates;
};

Workspace& ThreadWorkspace() {
  thread_local Workspace ws;
  return ws;
}

int RootOf(const std::vector<Buffer>& buffers, int id) {
  int guard = static_cast<int>(buffers.size());
  while (buffers[id].alias_of >= 0 && guard-- > 0) id = buffers[id].alias_of;
  return id;
}

// Fills ws->gs with the alias groups of `ids`.
void MakeGroups(const std::vector<int>& ids, const std::vector<Buffer>& buffers,
                Workspace* ws) {
  Groups& out = ws->gs;
  out.groups.clear();
  std::vector<int>& group_of_root = ws->group_of_root;
  group_of_root.assign(buffers.size(), -1);
  std::vector<int>& group_of = ws->group_of;
  group_of.resize(ids.size());
  for (size_t k = 0; k < ids.size(); ++k) {
    const int root = RootOf(buffers, ids[k]);
    if (group_of_root[root] < 0) {
      group_of_root[root] = static_cast<int>(out.groups.size());
      out.groups.emplace_back();
    }
    group_of[k] = group_of_root[root];
    ++out.groups[group_of[k]].end;  // member count for now
  }
  int next = 0;
  for (Group& g : out.groups) {
    g.begin = next;
    next += g.end;
    g.end = g.begin;
  }
  out.members.resize(ids.size());
  for (size_t k = 0; k < ids.size(); ++k) {
    Group& g = out.groups[group_of[k]];
    const Buffer& b = buffers[ids[k]];
    out.members[g.end] = {ids[k], b.first_step, b.last_step, b.bytes};
    if (g.end == g.begin) {
      g.first = b.first_step;
      g.last = b.last_step;
    }
    ++g.end;
    g.first = std::min(g.first, b.first_step);
    g.last = std::max(g.last, b.last_step);
    g.bytes = std::max(g.bytes, b.bytes);
  }
}

// The groups in placement order: largest first (kSize), then by length
// (kSizeThenLength), longest first then largest (kLength), earliest start
// then largest (kStart), largest area (kArea); ties keep group order.
void SortGroups(Order order, Workspace* ws, std::vector<int>* idx) {
  const std::vector<Group>& groups = ws->gs.groups;
  std::vector<Keyed>& keyed = ws->keyed;
  keyed.resize(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    const Group& g = groups[i];
    const int64_t length = g.last - g.first + 1;
    Keyed& k = keyed[i];
    k.index = static_cast<int>(i);
    k.k2 = 0;
    switch (order) {
      case Order::kSize:
        k.k1 = -g.bytes;
        break;
      case Order::kSizeThenLength:
        k.k1 = -g.bytes;
        k.k2 = -length;
        break;
      case Order::kLength:
        k.k1 = -length;
        k.k2 = -g.bytes;
        break;
      case Order::kStart:
        k.k1 = g.first;
        k.k2 = -g.bytes;
        break;
      case Order::kArea:
        k.k1 = -(g.bytes * length);
        break;
    }
  }
  std::sort(keyed.begin(), keyed.end());
  idx->resize(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) (*idx)[i] = keyed[i].index;
}

// Places every group in `order` with one heuristic; writes the offset of
// each group's root (by group index) to ws->offsets and returns the arena
// size.
int64_t PlaceAll(const std::vector<int>& order, const Heuristic& h,
                 Workspace* ws) {
  const Groups& gs = ws->gs;
  ws->offsets.assign(gs.groups.size(), 0);
  std::vector<Placed>& placed = ws->placed;
  placed.clear();
  placed.reserve(gs.members.size());
  std::vector<std::pair<const Placed*, int64_t>>& conflicts = ws->conflicts;
  std::vector<int64_t>& candidates = ws->candidates;
  int64_t top = 0;
  for (int gi : order) {
    const Group& g = gs.groups[gi];
    const Member block = {-1, g.first, g.last, g.bytes};
    const Member* members = h.block ? &block : gs.members.data() + g.begin;
    const Member* members_end =
        h.block ? &block + 1 : gs.members.data() + g.end;
    // Placed rectangles overlapping some member in time, with the largest
    // member bytes they constrain.
    conflicts.clear();
    candidates.assign(1, 0);
    for (const Placed& p : placed) {
      if (p.first > g.last || g.first > p.last) continue;  // no member can
      int64_t need = -1;
      for (const Member* m = members; m != members_end; ++m) {
        if (m->first <= p.last && p.first <= m->last) {
          need = std::max(need, m->bytes);
        }
      }
      if (need >= 0) {
        conflicts.emplace_back(&p, need);
        candidates.push_back(p.offset + p.bytes);
      }
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
    ws->offsets[gi] = best;
    for (const Member* m = members; m != members_end; ++m) {
      placed.push_back({m->first, m->last, best, m->bytes});
    }
    top = std::max(top, best + g.bytes);
  }
  return top;
}

// Max over steps of the bytes live in ws->gs (a group counts its largest
// live member).
int64_t GroupsLowerBound(Workspace* ws) {
  const Groups& gs = ws->gs;
  int last_step = -1;
  for (const Group& g : gs.groups) last_step = std::max(last_step, g.last);
  if (last_step < 0) return 0;
  std::vector<int64_t>& live = ws->live;
  live.assign(last_step + 2, 0);
  auto add = [&](int lo, int hi, int64_t bytes) {  // difference array
    live[lo] += bytes;
    live[hi + 1] -= bytes;
  };
  std::vector<int64_t>& group_live = ws->group_live;
  std::vector<Member>& sorted = ws->sorted;
  for (const Group& g : gs.groups) {
    if (g.size() == 1) {
      add(g.first, g.last, g.bytes);
      continue;
    }
    // The group's live bytes (largest live member) are zero outside its
    // members' lifetimes, so only clusters of chain-overlapping members
    // need a dense pass (per-patch instances of one tensor are disjoint).
    sorted.clear();
    for (int k = g.begin; k < g.end; ++k) {
      const Member& m = gs.members[k];
      if (m.first <= m.last) sorted.push_back(m);
    }
    auto by_first = [](const Member& a, const Member& b) {
      return a.first < b.first;
    };
    if (!std::is_sorted(sorted.begin(), sorted.end(), by_first)) {
      std::sort(sorted.begin(), sorted.end(), by_first);
    }
    for (size_t i = 0; i < sorted.size();) {
      const int lo = sorted[i].first;
      int hi = sorted[i].last;
      size_t j = i + 1;
      while (j < sorted.size() && sorted[j].first <= hi) {
        hi = std::max(hi, sorted[j].last);
        ++j;
      }
      if (j == i + 1) {  // a lone member: its bytes over its lifetime
        add(lo, hi, std::max<int64_t>(0, sorted[i].bytes));
        i = j;
        continue;
      }
      group_live.assign(hi - lo + 1, 0);
      for (size_t k = i; k < j; ++k) {
        const Member& m = sorted[k];
        for (int s = m.first; s <= m.last; ++s) {
          group_live[s - lo] = std::max(group_live[s - lo], m.bytes);
        }
      }
      for (int s = lo; s <= hi; ++s) add(s, s, group_live[s - lo]);
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
  Workspace& ws = ThreadWorkspace();
  MakeGroups(ids, buffers, &ws);
  return GroupsLowerBound(&ws);
}

ArenaResult PlanArena(const std::vector<int>& ids, std::vector<Buffer>* buffers,
                      int64_t base) {
  ArenaResult result;
  Workspace& ws = ThreadWorkspace();
  MakeGroups(ids, *buffers, &ws);
  const Groups& gs = ws.gs;
  result.lower_bound_bytes = GroupsLowerBound(&ws);
  if (gs.groups.empty()) {
    result.heuristic = "empty";
    return result;
  }
  bool sorted[kOrders] = {};  // an order serves several heuristics
  int64_t best_arena = std::numeric_limits<int64_t>::max();
  const char* best_name = nullptr;
  for (const Heuristic& h : kHeuristics) {
    const int o = static_cast<int>(h.order);
    if (!sorted[o]) {
      SortGroups(h.order, &ws, &ws.orders[o]);
      sorted[o] = true;
    }
    const int64_t arena = PlaceAll(ws.orders[o], h, &ws);
    if (arena < best_arena) {
      best_arena = arena;
      ws.best_offsets.swap(ws.offsets);
      best_name = h.name;
    }
    if (best_arena == result.lower_bound_bytes) break;  // optimal already
  }
  result.heuristic = best_name;
  for (size_t gi = 0; gi < gs.groups.size(); ++gi) {
    const Group& g = gs.groups[gi];
    for (int k = g.begin; k < g.end; ++k) {
      (*buffers)[gs.members[k].id].offset = base + ws.best_offsets[gi];
    }
  }
  result.arena_bytes = best_arena;
  return result;
}

}  // namespace mcutune::space
