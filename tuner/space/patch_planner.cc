// Patch / stream / hybrid planner: the per-candidate part.
// - The skeleton (patch_skeleton.h: geometry, steps, lifetimes, compact and
//   expanded buffers, stream buffers, MACs, reference arena) comes from the
//   context's PatchPlanCache, shared by the in-place variants of a point.
// - Here: the in-place aliases the switches allow (whole-tensor operators
//   via RunsInPlace, stage depthwise operators per patch), the compact
//   problem placed by PlanArena with its offsets copied to the per-patch
//   instances, the live lower bound on the expanded buffers, stream buffers
//   stacked after the arena, one scratch buffer after them (the largest
//   KernelScratchBytes over the steps), kernel calls, FinishPlan.
// - Metrics only (Constraints::keep_plan_details false): the plan gets no
//   steps or buffers; the lower bound and code estimate use the skeleton's
//   steps and a per-thread copy of its buffers.
#include "tuner/space/patch_planner.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tuner/space/arena_planner.h"
#include "tuner/space/patch_skeleton.h"
#include "tuner/space/plan_metrics.h"

namespace mcutune::space {
namespace {

using graph::Graph;
using graph::OpType;

bool IsActivation(const Graph& g, int t) {
  return t >= 0 && !g.tensors[t].is_constant();
}

absl::Status CheckCandidate(const Graph& g, const PatchStageInfo& info,
                            const Candidate& c) {
  if (c.strategy != Strategy::kPatch && c.strategy != Strategy::kStream1D &&
      c.strategy != Strategy::kStream2D && c.strategy != Strategy::kHybrid) {
    return absl::InvalidArgumentError(absl::StrCat(
        "patch planner got a '", StrategyName(c.strategy), "' candidate"));
  }
  if (!c.order.ops.empty()) {
    for (int i = 0; i < static_cast<int>(c.order.ops.size()); ++i) {
      if (c.order.ops[i] != i || c.order.ops.size() != g.ops.size()) {
        return absl::InvalidArgumentError(
            "patch schedules run in the model's execution order");
      }
    }
  }
  if (!info.IsValidSplit(c.split_idx)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "split_idx ", c.split_idx, " is not valid for this graph (",
        info.splits.empty() ? std::string("no operator can run per patch")
                            : absl::StrCat("valid: 1..", info.splits.back()),
        ")"));
  }
  if (c.strategy == Strategy::kHybrid &&
      static_cast<int>(c.stage_modes.size()) != c.split_idx) {
    return absl::InvalidArgumentError(
        absl::StrCat("hybrid candidate needs ", c.split_idx,
                     " stage modes, has ", c.stage_modes.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Plan> PlanPatchStage(const PlanningContext& ctx,
                                    const Candidate& candidate) {
  const Graph& g = *ctx.graph;
  const PatchStageInfo computed = ctx.has_patch_stage
                                      ? PatchStageInfo{}
                                      : AnalyzePatchStage(g, ctx.analysis);
  const PatchStageInfo& info = ctx.has_patch_stage ? ctx.patch_stage : computed;
  if (absl::Status s = CheckCandidate(g, info, candidate); !s.ok()) return s;
  // The skeleton: memoised by the context's cache, else built here.
  PatchPlanCache* cache =
      ctx.has_patch_stage && ctx.patch_cache && ctx.patch_cache->graph() == &g
          ? ctx.patch_cache.get()
          : nullptr;
  PatchGraphFacts own_facts;
  SkeletonRef ref;
  if (cache) {
    absl::StatusOr<SkeletonRef> got = cache->Get(ctx, info, candidate);
    if (!got.ok()) return got.status();
    ref = *std::move(got);
  } else {
    own_facts = MakePatchGraphFacts(g);
    absl::StatusOr<PatchSkeleton> built =
        BuildPatchSkeleton(ctx, info, own_facts, candidate);
    if (!built.ok()) return built.status();
    ref.owned = std::make_shared<PatchSkeleton>(*std::move(built));
  }
  const PatchSkeleton& sk = ref.get();
  const PatchGraphFacts& facts = cache ? cache->facts() : own_facts;
  const std::vector<bool>& whole_in_place =
      facts.runs_in_place[candidate.inplace_depthwise ? 1 : 0];
  const PatchGeometry& geo = sk.geo;
  const int n = geo.n_patch;
  const int n_ops = static_cast<int>(g.ops.size());
  const int n_stage = static_cast<int>(geo.ops.size());
  const int nt = static_cast<int>(g.tensors.size());

  Plan plan;
  plan.candidate = candidate;
  // The steps and buffers: the plan's own when it keeps them (the
  // skeleton's storage on its last use), else the skeleton's steps and a
  // per-thread copy of its buffers for the lower bound and code estimate.
  thread_local std::vector<Buffer> metrics_buffers;
  std::vector<Buffer>* buffers = &plan.buffers;
  if (!sk.details) {
    metrics_buffers = sk.buffers;
    buffers = &metrics_buffers;
  } else if (ref.owned) {
    plan.steps = std::move(ref.owned->steps);
    plan.buffers = std::move(ref.owned->buffers);
  } else {
    plan.steps = sk.steps;
    plan.buffers.reserve(sk.buffers.size() + 1);  // + the scratch buffer
    plan.buffers = sk.buffers;
  }
  const std::vector<Step>& steps = sk.details ? plan.steps : sk.steps;
  // Kernel scratch and calls of the whole-tensor and stage operators.
  int64_t scratch = 0;
  int64_t kernel_calls = sk.stage_kernel_calls;
  for (int op = 0; op < n_ops; ++op) {
    if (op >= geo.stage_begin && op < geo.stage_end) continue;
    const graph::OpType type = g.ops[op].type;
    const bool in_place = whole_in_place[op];
    scratch = std::max(
        scratch, KernelScratchBytes(
                     g, op, in_place && type == OpType::kDepthwiseConv2D));
    if (!(in_place && type == OpType::kReshape)) ++kernel_calls;
  }
  std::vector<bool> dw_in_place(n_stage);
  for (int i = 0; i < n_stage; ++i) {
    dw_in_place[i] =
        candidate.inplace_depthwise_stage && sk.stage_dw_in_place[i];
    scratch = std::max(
        scratch,
        KernelScratchBytes(g, geo.ops[i].op, dw_in_place[i], sk.max_rows[i]));
  }

  // The compact problem with this candidate's aliases, placed.
  thread_local std::vector<Buffer> cbuf;
  thread_local std::vector<int> cids;
  cbuf = sk.cbuf;
  const std::vector<int>& cbuf_of = sk.cbuf_of;
  for (int op = 0; op < n_ops; ++op) {  // whole-tensor in-place operators
    if (op >= geo.stage_begin && op < geo.stage_end) continue;
    const graph::Operator& o = g.ops[op];
    if (whole_in_place[op] && cbuf_of[o.inputs[0]] >= 0 &&
        cbuf_of[o.outputs[0]] >= 0 &&
        g.tensors[o.outputs[0]].bytes() <= g.tensors[o.inputs[0]].bytes()) {
      cbuf[cbuf_of[o.outputs[0]]].alias_of = cbuf_of[o.inputs[0]];
    }
  }
  for (int i = 0; i < n_stage; ++i) {
    if (dw_in_place[i]) {
      cbuf[cbuf_of[geo.ops[i].output]].alias_of = cbuf_of[geo.ops[i].inputs[0]];
    }
  }
  cids.resize(cbuf.size());
  std::iota(cids.begin(), cids.end(), 0);
  const ArenaResult arena = PlanArena(cids, &cbuf, 0);

  // Expanded buffers: offsets and aliases follow the compact problem.
  for (int id = 0; id < sk.n_arena; ++id) {
    Buffer& b = (*buffers)[id];
    b.offset = cbuf[cbuf_of[b.tensor]].offset;
  }
  for (int t = 0; t < nt; ++t) {
    if (cbuf_of[t] < 0) continue;
    const int ca = cbuf[cbuf_of[t]].alias_of;
    const int at = ca >= 0 ? cbuf[ca].tensor : -1;
    if (!sk.per_patch[t]) {
      if (at >= 0) (*buffers)[sk.whole_of[t]].alias_of = sk.whole_of[at];
      continue;
    }
    int root = -1;
    for (int p = 0; p < n * n; ++p) {
      const int id = sk.InstanceOf(t, p);
      if (id < 0) continue;
      if (at >= 0 && sk.InstanceOf(at, p) >= 0) {
        (*buffers)[id].alias_of = sk.InstanceOf(at, p);
      } else if (root >= 0) {
        (*buffers)[id].alias_of = root;
      }
      if (root < 0 && at < 0) root = id;
    }
  }

  MemoryBreakdown& mem = plan.memory;
  mem.arena_bytes = arena.arena_bytes;
  mem.arena_heuristic = arena.heuristic;
  mem.live_lower_bound_bytes = LiveLowerBound(sk.arena_ids, *buffers);
  for (size_t id = sk.n_arena; id < buffers->size(); ++id) {
    (*buffers)[id].offset += mem.arena_bytes;  // stream buffers
  }
  mem.stream_buffer_bytes = sk.stream_buffer_bytes;
  mem.scratch_bytes = scratch;
  if (mem.scratch_bytes > 0) {
    Buffer b;
    b.id = static_cast<int>(buffers->size());
    b.name = "kernel-scratch";
    b.kind = BufferKind::kScratch;
    b.bytes = mem.scratch_bytes;
    b.offset = mem.arena_bytes + mem.stream_buffer_bytes;
    b.first_step = 0;
    b.last_step = static_cast<int>(steps.size()) - 1;
    buffers->push_back(std::move(b));
  }
  mem.reference_arena_bytes = sk.reference_arena_bytes;

  plan.metrics.macs_total = sk.macs_total;
  plan.metrics.macs_patch_stage = sk.macs_patch_stage;
  plan.metrics.macs_recomputed =
      std::max<int64_t>(0, sk.macs_patch_stage - geo.LayerwiseStageMacs());
  plan.metrics.kernel_calls = kernel_calls;
  plan.metrics.stream_copies = sk.stream_copies;
  if (sk.details) {
    FinishPlan(ctx, &plan);
    return plan;
  }
  if (kernel_calls == 0) {  // FinishPlan's count on the steps it cannot see
    for (const Step& s : steps) kernel_calls += s.kind == StepKind::kKernel;
    plan.metrics.kernel_calls = kernel_calls;
  }
  FinishPlan(ctx, &plan, 0,
             EstimateCodeBytes(g, steps, *buffers, sk.stream_copies));
  return plan;
}

std::vector<ReferenceRect> PatchReferenceRects(const Graph& g,
                                               const PatchGeometry& geo) {
  const int n_ops = static_cast<int>(g.ops.size());
  const int nt = static_cast<int>(g.tensors.size());
  std::vector<int> stage_index(n_ops, -1);
  std::vector<bool> fused_pad(n_ops, false);
  for (int i = 0; i < static_cast<int>(geo.ops.size()); ++i) {
    stage_index[geo.ops[i].op] = i;
    if (geo.ops[i].pad_op >= 0) fused_pad[geo.ops[i].pad_op] = true;
  }
  std::vector<int> begin(nt, -1), last(nt, -1);
  auto touch = [&](int t, int p) {
    if (!IsActivation(g, t)) return;
    begin[t] = begin[t] < 0 ? p : std::min(begin[t], p);
    last[t] = std::max(last[t], p);
  };
  for (int op = 0; op < n_ops; ++op) {
    if (fused_pad[op]) continue;
    const int si = stage_index[op];
    for (int t : si >= 0 ? geo.ops[si].inputs : g.ops[op].inputs) {
      touch(t, op);
    }
    for (int t : g.ops[op].outputs) touch(t, op);
  }
  std::vector<int64_t> bytes(nt, 0);
  for (int t = 0; t < nt; ++t) bytes[t] = g.tensors[t].bytes();
  std::vector<bool> per_patch(nt, false);
  for (const StageTensor& t : geo.tensors) {
    if (!t.full) {
      per_patch[t.tensor] = true;
      bytes[t.tensor] = t.patch_bytes();
    } else if (t.producer < 0) {
      last[t.tensor] = std::max(last[t.tensor], geo.stage_end - 1);
    }
  }
  std::vector<int> owner(nt);
  std::iota(owner.begin(), owner.end(), 0);
  for (int op = 0; op < n_ops; ++op) {
    const graph::Operator& o = g.ops[op];
    if (o.type != OpType::kDepthwiseConv2D) continue;
    const int in =
        stage_index[op] >= 0 ? geo.ops[stage_index[op]].inputs[0] : o.inputs[0];
    const int out = o.outputs[0];
    if (!IsActivation(g, in) || per_patch[in] != per_patch[out]) continue;
    owner[out] = owner[in];
  }
  std::vector<int64_t> size(nt, 0);
  std::vector<int> first(nt, -1), end(nt, -1);
  for (int t = 0; t < nt; ++t) {
    if (begin[t] < 0) continue;
    const int o = owner[t];
    size[o] = std::max(size[o], bytes[t]);
    first[o] = first[o] < 0 ? begin[t] : std::min(first[o], begin[t]);
    end[o] = std::max(end[o], last[t] + 1);
  }
  std::vector<ReferenceRect> rects;
  for (int t = 0; t < nt; ++t) {
    if (owner[t] != t || first[t] < 0) continue;
    rects.push_back({size[t], first[t], end[t], t});
  }
  return rects;
}

}  // namespace mcutune::space
