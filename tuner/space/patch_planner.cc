// Patch / stream / hybrid planner.
// - Geometry from ComputePatchGeometry (uniform MCUNetV2 patches for the
//   "patch" strategy, in-image spans for the stream strategies).
// - Steps: prologue ops, then per patch (raster) per stage op a step with
//   a non-empty region, then the remaining ops; tensor-level reads/writes
//   are recorded per step to derive every buffer's lifetime.
// - Arena: compressed problem (see the header) placed by PlanArena, offsets
//   copied to the per-patch instances; the live lower bound is measured on
//   the expanded buffers.
// - Stream buffers stacked after the arena, one scratch buffer after them
//   (the largest KernelScratchBytes over the steps).
#include "tuner/space/patch_planner.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tuner/space/arena_planner.h"
#include "tuner/space/execution_order.h"
#include "tuner/space/plan_metrics.h"

namespace mcutune::space {
namespace {

using graph::Graph;
using graph::OpType;

Region FullRegion(const graph::Tensor& t) {
  if (t.shape.size() == 4) return {0, t.shape[1], 0, t.shape[2]};
  return {0, 1, 0, 1};
}

bool IsActivation(const Graph& g, int t) {
  return t >= 0 && !g.tensors[t].is_constant();
}

// Local index (stage op) of a depthwise op that may run in place inside a
// patch, or false.
bool StageDwInPlace(const PatchGeometry& geo, int i, bool enabled) {
  const StageOp& op = geo.ops[i];
  if (!enabled || op.type != OpType::kDepthwiseConv2D) return false;
  const StageTensor& in = geo.tensors[geo.TensorIndex(op.inputs[0])];
  const StageTensor& out = geo.tensors[geo.op_tensor[i]];
  if (in.full || out.full || in.channels != out.channels) return false;
  if (out.patch_bytes() > in.patch_bytes()) return false;
  for (size_t j = i + 1; j < geo.ops.size(); ++j) {
    for (int t : geo.ops[j].inputs) {
      if (t == in.tensor) return false;
    }
  }
  return true;
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
  const bool details = ctx.constraints.keep_plan_details;
  if (absl::Status s = CheckCandidate(g, info, candidate); !s.ok()) return s;
  absl::StatusOr<PatchGeometry> geo_or = ComputePatchGeometry(
      g, info, candidate.n_patch, candidate.split_idx, ModesOf(candidate),
      candidate.strategy == Strategy::kPatch);
  if (!geo_or.ok()) return geo_or.status();
  const PatchGeometry& geo = *geo_or;
  const int n = geo.n_patch;
  const int n_ops = static_cast<int>(g.ops.size());
  const int n_stage = static_cast<int>(geo.ops.size());

  Plan plan;
  plan.candidate = candidate;
  // Activation tensors each whole operator reads.
  std::vector<std::vector<int>> op_reads(n_ops);
  for (int op = 0; op < n_ops; ++op) {
    for (int t : g.ops[op].inputs) {
      if (IsActivation(g, t)) op_reads[op].push_back(t);
    }
  }
  int64_t scratch = 0;
  std::vector<int> max_rows(n_stage, 0);  // per stage op, for its scratch
  std::vector<bool> dw_in_place(n_stage);
  for (int i = 0; i < n_stage; ++i) {
    dw_in_place[i] = StageDwInPlace(geo, i, candidate.inplace_depthwise_stage);
  }
  int64_t kernel_calls = 0;
  auto whole_op_step = [&](int op) {
    const graph::Operator& o = g.ops[op];
    Step step;
    step.op = op;
    step.output = FullRegion(g.tensors[o.outputs[0]]);
    step.macs = ctx.analysis.ops[op].macs;
    const bool in_place = RunsInPlace(g, {}, op, candidate.inplace_depthwise);
    scratch = std::max(
        scratch, KernelScratchBytes(
                     g, op, in_place && o.type == OpType::kDepthwiseConv2D));
    if (!(in_place && o.type == OpType::kReshape)) ++kernel_calls;
    plan.steps.push_back(std::move(step));
  };
  for (int op = 0; op < geo.stage_begin; ++op) whole_op_step(op);
  const int stage_first = static_cast<int>(plan.steps.size());
  std::vector<int> step_local;  // stage op index of each stage step
  step_local.reserve(int64_t{n} * n * n_stage);
  plan.steps.reserve(stage_first + int64_t{n} * n * n_stage + n_ops);
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < n; ++c) {
      for (int i = 0; i < n_stage; ++i) {
        const Region region = geo.StepRegion(i, r, c);
        if (region.area() == 0) continue;
        Step step;
        step.op = geo.ops[i].op;
        step.patch = r * n + c;
        step.output = region;
        step.macs = geo.StepMacs(i, r, c);
        plan.metrics.macs_patch_stage += step.macs;
        max_rows[i] = std::max(max_rows[i], region.y1 - region.y0);
        ++kernel_calls;
        step_local.push_back(i);
        plan.steps.push_back(std::move(step));
      }
    }
  }
  const int stage_last = static_cast<int>(plan.steps.size()) - 1;
  for (int i = 0; i < n_stage; ++i) {
    scratch = std::max(
        scratch,
        KernelScratchBytes(g, geo.ops[i].op, dw_in_place[i], max_rows[i]));
  }
  for (int op = geo.stage_end; op < n_ops; ++op) whole_op_step(op);
  const int n_steps = static_cast<int>(plan.steps.size());
  auto patch_of = [&](int s) { return plan.steps[s].patch; };
  auto reads_of = [&](int s) -> const std::vector<int>& {
    return s >= stage_first && s <= stage_last
               ? geo.ops[step_local[s - stage_first]].inputs
               : op_reads[plan.steps[s].op];
  };
  auto writes_of = [&](int s) -> const std::vector<int>& {
    return g.ops[plan.steps[s].op].outputs;
  };

  // Lifetimes: whole tensors over steps, per-patch tensors per patch.
  const int nt = static_cast<int>(g.tensors.size());
  std::vector<bool> per_patch(nt, false);
  for (const StageTensor& t : geo.tensors) per_patch[t.tensor] = !t.full;
  std::vector<int> first(nt, -1), last(nt, -1);
  std::vector<std::vector<std::pair<int, int>>> span(nt);  // per patch
  std::vector<int> local_first(nt, n_stage), local_last(nt, -1);
  auto touch = [&](int t, int s) {
    if (!per_patch[t]) {
      first[t] = first[t] < 0 ? s : std::min(first[t], s);
      last[t] = std::max(last[t], s);
      return;
    }
    auto& v = span[t];
    if (v.empty()) v.assign(n * n, {-1, -1});
    auto& [lo, hi] = v[patch_of(s)];
    lo = lo < 0 ? s : std::min(lo, s);
    hi = std::max(hi, s);
    const int li = step_local[s - stage_first];
    local_first[t] = std::min(local_first[t], li);
    local_last[t] = std::max(local_last[t], li);
  };
  for (int t : g.inputs) touch(t, 0);
  for (int s = 0; s < n_steps; ++s) {
    for (int t : reads_of(s)) touch(t, s);
    for (int t : writes_of(s)) touch(t, s);
  }
  for (int t : g.outputs) touch(t, n_steps - 1);

  // Compressed time axis for placement.
  const int pre = stage_first;
  auto compact = [&](int s, bool is_first) {
    if (s < stage_first) return s;
    if (s <= stage_last) return pre + (is_first ? 0 : n_stage - 1);
    return pre + n_stage + (s - stage_last - 1);
  };
  std::vector<Buffer> cbuf;  // compact buffers, one per tensor
  std::vector<int> cbuf_of(nt, -1);
  for (int t = 0; t < nt; ++t) {
    Buffer b;
    b.id = static_cast<int>(cbuf.size());
    b.tensor = t;
    if (per_patch[t] && local_last[t] >= 0) {
      b.bytes = geo.tensors[geo.TensorIndex(t)].patch_bytes();
      b.first_step = pre + local_first[t];
      b.last_step = pre + local_last[t];
    } else if (!per_patch[t] && first[t] >= 0) {
      b.bytes = g.tensors[t].bytes();
      b.first_step = compact(first[t], true);
      b.last_step = compact(last[t], false);
    } else {
      continue;
    }
    cbuf_of[t] = b.id;
    cbuf.push_back(std::move(b));
  }
  for (int op = 0; op < n_ops; ++op) {  // whole-tensor in-place operators
    if (op >= geo.stage_begin && op < geo.stage_end) continue;
    const graph::Operator& o = g.ops[op];
    if (RunsInPlace(g, {}, op, candidate.inplace_depthwise) &&
        cbuf_of[o.inputs[0]] >= 0 && cbuf_of[o.outputs[0]] >= 0 &&
        g.tensors[o.outputs[0]].bytes() <= g.tensors[o.inputs[0]].bytes()) {
      cbuf[cbuf_of[o.outputs[0]]].alias_of = cbuf_of[o.inputs[0]];
    }
  }
  for (int i = 0; i < n_stage; ++i) {
    if (dw_in_place[i]) {
      cbuf[cbuf_of[geo.ops[i].output]].alias_of = cbuf_of[geo.ops[i].inputs[0]];
    }
  }
  std::vector<int> cids(cbuf.size());
  std::iota(cids.begin(), cids.end(), 0);
  const ArenaResult arena = PlanArena(cids, &cbuf, 0);

  // Expanded buffers.
  std::vector<int> whole_of(nt, -1);
  std::vector<std::vector<int>> inst_of(nt);
  std::vector<int> arena_ids;
  const int64_t max_buffers =
      cbuf.size() + int64_t{n} * n * n_stage + 2 * n_stage + 1;
  arena_ids.reserve(max_buffers);
  plan.buffers.reserve(max_buffers);
  for (int t = 0; t < nt; ++t) {
    if (cbuf_of[t] < 0) continue;
    const Buffer& cb = cbuf[cbuf_of[t]];
    auto add = [&](int lo, int hi, BufferKind kind, int patch) {
      Buffer b;
      b.id = static_cast<int>(plan.buffers.size());
      if (details) {  // names only matter to readers of the full plan
        b.name = patch < 0 ? g.tensors[t].name
                           : absl::StrCat(g.tensors[t].name, "@p", patch);
      }
      b.kind = kind;
      b.tensor = t;
      b.bytes = cb.bytes;
      b.offset = cb.offset;
      b.first_step = lo;
      b.last_step = hi;
      arena_ids.push_back(b.id);
      plan.buffers.push_back(std::move(b));
      return plan.buffers.back().id;
    };
    if (!per_patch[t]) {
      whole_of[t] = add(first[t], last[t], BufferKind::kActivation, -1);
      continue;
    }
    inst_of[t].assign(n * n, -1);
    for (int p = 0; p < n * n; ++p) {
      const auto [lo, hi] = span[t][p];
      if (lo < 0) continue;
      inst_of[t][p] = add(lo, hi, BufferKind::kPatch, p);
    }
  }
  for (int t = 0; t < nt; ++t) {  // aliases follow the compact problem
    if (cbuf_of[t] < 0) continue;
    const int ca = cbuf[cbuf_of[t]].alias_of;
    const int at = ca >= 0 ? cbuf[ca].tensor : -1;
    if (!per_patch[t]) {
      if (at >= 0) plan.buffers[whole_of[t]].alias_of = whole_of[at];
      continue;
    }
    int root = -1;
    for (int p = 0; p < n * n; ++p) {
      const int id = inst_of[t][p];
      if (id < 0) continue;
      if (at >= 0 && inst_of[at][p] >= 0) {
        plan.buffers[id].alias_of = inst_of[at][p];
      } else if (root >= 0) {
        plan.buffers[id].alias_of = root;
      }
      if (root < 0 && at < 0) root = id;
    }
  }
  auto buffer_for = [&](int t, int s) {
    return per_patch[t] ? inst_of[t][patch_of(s)] : whole_of[t];
  };

  MemoryBreakdown& mem = plan.memory;
  mem.arena_bytes = arena.arena_bytes;
  mem.arena_heuristic = arena.heuristic;
  mem.live_lower_bound_bytes = LiveLowerBound(arena_ids, plan.buffers);
  std::vector<std::vector<int>> stream_of(nt);
  for (const StageTensor& t : geo.tensors) {
    if (t.full) continue;
    for (int k = 0; k < 2; ++k) {
      const int64_t bytes = k == 0 ? t.col_bytes() : t.line_bytes();
      if (bytes == 0) continue;
      Buffer b;
      b.id = static_cast<int>(plan.buffers.size());
      if (details) {
        b.name = absl::StrCat(g.tensors[t.tensor].name,
                              k == 0 ? kColumnBufferSuffix : kLineBufferSuffix);
      }
      b.kind = BufferKind::kStream;
      b.tensor = t.tensor;
      b.bytes = bytes;
      b.offset = mem.arena_bytes + mem.stream_buffer_bytes;
      b.first_step = stage_first;
      b.last_step = stage_last;
      mem.stream_buffer_bytes += bytes;
      stream_of[t.tensor].push_back(b.id);
      plan.buffers.push_back(std::move(b));
    }
  }
  // Step reads / writes only matter to readers of the full plan.
  for (int s = 0; details && s < n_steps; ++s) {
    Step& step = plan.steps[s];
    const bool in_stage = s >= stage_first && s <= stage_last;
    size_t n_stream = 0;
    for (int t : reads_of(s)) n_stream += in_stage ? stream_of[t].size() : 0;
    step.reads.reserve(reads_of(s).size() + n_stream);
    step.writes.reserve(writes_of(s).size() + n_stream);
    for (int t : reads_of(s)) {
      const int id = buffer_for(t, s);
      if (std::find(step.reads.begin(), step.reads.end(), id) ==
          step.reads.end()) {
        step.reads.push_back(id);
      }
      if (in_stage) {
        for (int sb : stream_of[t]) {
          step.reads.push_back(sb);
          step.writes.push_back(sb);
        }
      }
    }
    for (int t : writes_of(s)) step.writes.push_back(buffer_for(t, s));
  }
  mem.scratch_bytes = scratch;
  if (mem.scratch_bytes > 0) {
    Buffer b;
    b.id = static_cast<int>(plan.buffers.size());
    b.name = "kernel-scratch";
    b.kind = BufferKind::kScratch;
    b.bytes = mem.scratch_bytes;
    b.offset = mem.arena_bytes + mem.stream_buffer_bytes;
    b.first_step = 0;
    b.last_step = n_steps - 1;
    plan.buffers.push_back(std::move(b));
  }
  mem.reference_arena_bytes =
      ReferenceFirstFit(PatchReferenceRects(g, geo)).peak_bytes;

  for (const Step& s : plan.steps) plan.metrics.macs_total += s.macs;
  plan.metrics.macs_recomputed = std::max<int64_t>(
      0, plan.metrics.macs_patch_stage - geo.LayerwiseStageMacs());
  plan.metrics.kernel_calls = kernel_calls;
  plan.metrics.stream_copies = geo.StreamCopies();
  FinishPlan(ctx, &plan);
  if (!details) DropPlanDetails(&plan);
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
