// The part of a patch / stream / hybrid plan that does not depend on the
// in-place depthwise switches (Candidate::inplace_depthwise,
// inplace_depthwise_stage), built once per (split_idx, n_patch, stage modes,
// uniform) and shared by the candidates that differ only in those switches
// (the family lists up to three such variants per point):
//
//   PatchSkeleton: geometry, steps (reads / writes when details are kept),
//                  the compact placement problem and the expanded buffers
//                  (names when details are kept) with lifetimes but without
//                  aliases or offsets, stream buffers at offsets relative to
//                  the end of the arena, MACs, stream copies, the reference
//                  allocator's arena.
//   PlanPatchStage (patch_planner.cc) copies it into the Plan and adds what
//   the switches decide: aliases, arena placement, offsets, live lower
//   bound, kernel scratch, kernel calls, FinishPlan.
//
// PatchPlanCache memoises skeletons (and the per-graph in-place facts) for
// one PlanningContext; MakePlanningContext creates it. It only saves work:
// a skeleton is a pure function of its key and the context's graph,
// analysis and patch-stage analysis. Thread-safe.
#ifndef MCUTUNE_TUNER_SPACE_PATCH_SKELETON_H_
#define MCUTUNE_TUNER_SPACE_PATCH_SKELETON_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/patch_geometry.h"
#include "tuner/space/plan.h"

namespace mcutune::space {

// Facts of the graph in model order every skeleton and plan uses.
struct PatchGraphFacts {
  // Depthwise convolutions that run in place when allowed (the `whole`
  // argument of PatchInPlaceVariants).
  std::vector<bool> whole_dw_in_place;
  // RunsInPlace(graph, {}, op, inplace_depthwise) for inplace_depthwise =
  // false ([0]) and true ([1]).
  std::vector<bool> runs_in_place[2];
  // Activation tensors each operator reads (inputs that are not constant).
  std::vector<std::vector<int>> op_reads;
};
PatchGraphFacts MakePatchGraphFacts(const graph::Graph& graph);

struct PatchSkeleton {
  bool details = false;  // steps' reads / writes and buffer names filled
  PatchGeometry geo;
  std::vector<Step> steps;
  int stage_first = 0, stage_last = -1;  // step range of the patch stage
  // Per stage op: the tallest region a step computes (its scratch), and
  // whether its depthwise convolution runs in place when the stage switch
  // allows it.
  std::vector<int> max_rows;
  std::vector<bool> stage_dw_in_place;
  int64_t stage_kernel_calls = 0;
  int64_t macs_patch_stage = 0, macs_total = 0;
  int64_t stream_copies = 0;
  int64_t reference_arena_bytes = 0;
  // Compact problem (one representative patch), one buffer per tensor;
  // alias_of unset.
  std::vector<Buffer> cbuf;
  std::vector<int> cbuf_of;  // per graph tensor, -1 if none
  // Plan buffers: arena buffers (ids [0, n_arena): whole tensors and
  // per-patch instances, alias_of and offset unset), then the stream
  // buffers (offset relative to the end of the arena).
  std::vector<Buffer> buffers;
  int n_arena = 0;
  std::vector<int> arena_ids;  // 0 .. n_arena - 1
  int64_t stream_buffer_bytes = 0;
  std::vector<bool> per_patch;  // per graph tensor
  std::vector<int> whole_of;    // per graph tensor: buffer id or -1
  // Per-patch instances: inst[inst_begin[t] + patch] (buffer id or -1);
  // inst_begin[t] = -1 for tensors without any.
  std::vector<int> inst_begin, inst;
  int InstanceOf(int t, int patch) const {
    return inst_begin[t] < 0 ? -1 : inst[inst_begin[t] + patch];
  }
};

// A skeleton from the cache: read `shared`, or, when `owned` is set (the
// last use the cache expected, or a skeleton built for one plan), take its
// steps and buffers instead of copying them.
struct SkeletonRef {
  std::shared_ptr<const PatchSkeleton> shared;
  std::shared_ptr<PatchSkeleton> owned;
  const PatchSkeleton& get() const { return owned ? *owned : *shared; }
};

// Builds the skeleton of a kPatch / kStream1D / kStream2D / kHybrid
// candidate already checked by the planner (valid split, modes).
absl::StatusOr<PatchSkeleton> BuildPatchSkeleton(const PlanningContext& ctx,
                                                 const PatchStageInfo& info,
                                                 const PatchGraphFacts& facts,
                                                 const Candidate& candidate);

class PatchPlanCache {
 public:
  explicit PatchPlanCache(const graph::Graph& graph);
  // The graph the cache was made for (a context must use it with that
  // graph only).
  const graph::Graph* graph() const { return graph_; }
  const PatchGraphFacts& facts() const { return facts_; }
  // The memoised skeleton of `candidate` (built on a miss). An entry is
  // expected to serve the in-place variants the family lists for its split
  // (PatchInPlaceVariants); the last of them gets it `owned` (and it leaves
  // the cache).
  absl::StatusOr<SkeletonRef> Get(const PlanningContext& ctx,
                                  const PatchStageInfo& info,
                                  const Candidate& candidate);

 private:
  struct Key {
    bool details, uniform;
    int split_idx, n_patch;
    std::vector<StageMode> modes;
    bool operator==(const Key& o) const;
  };
  // Enough for every (strategy, hybrid) of one (split, n_patch), which the
  // family lists once per in-place variant.
  static constexpr size_t kCapacity = 32;

  const graph::Graph* const graph_;
  const PatchGraphFacts facts_;
  std::mutex mu_;
  struct Entry {
    Key key;
    int uses_left = 0;
    std::shared_ptr<PatchSkeleton> skeleton;
  };
  int ExpectedUses(const PatchStageInfo& info, int split_idx);

  std::deque<Entry> entries_;
  std::vector<int> uses_of_split_;  // memo of ExpectedUses, 0 = unknown
};

// A cache for ctx.graph (MakePlanningContext stores it in the context).
std::shared_ptr<PatchPlanCache> MakePatchPlanCache(const graph::Graph& graph);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_PATCH_SKELETON_H_
