// Patch-plan skeletons.
// - Steps: prologue ops, then per patch (raster) per stage op a step with
//   a non-empty region, then the remaining ops; tensor-level reads/writes
//   give every buffer's lifetime (whole tensors over steps, per-patch
//   tensors per patch).
// - Compact problem: per-patch buffers keep their in-patch lifetimes on a
//   time axis where the stage is one patch long; whole tensors alive in the
//   stage span all of it.
// - Expanded buffers: one per whole tensor, one per per-patch tensor and
//   patch it is touched in; stream buffers "<tensor>/col", "<tensor>/line".
// - Cache: a short FIFO of skeletons keyed by what they depend on.
#include "tuner/space/patch_skeleton.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tuner/space/execution_order.h"
#include "tuner/space/patch_planner.h"
#include "tuner/space/reference_allocator.h"

namespace mcutune::space {
namespace {

using graph::Graph;

Region FullRegion(const graph::Tensor& t) {
  if (t.shape.size() == 4) return {0, t.shape[1], 0, t.shape[2]};
  return {0, 1, 0, 1};
}

// Whether stage op `i` (a depthwise convolution) may run in place inside a
// patch when the stage switch allows it.
bool StageDwInPlace(const PatchGeometry& geo, int i) {
  const StageOp& op = geo.ops[i];
  if (op.type != graph::OpType::kDepthwiseConv2D) return false;
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

}  // namespace

PatchGraphFacts MakePatchGraphFacts(const Graph& g) {
  PatchGraphFacts facts;
  const int n_ops = static_cast<int>(g.ops.size());
  for (int ip = 0; ip < 2; ++ip) {
    facts.runs_in_place[ip].resize(n_ops);
    for (int op = 0; op < n_ops; ++op) {
      facts.runs_in_place[ip][op] = RunsInPlace(g, {}, op, ip == 1);
    }
  }
  facts.whole_dw_in_place.resize(n_ops);
  for (int op = 0; op < n_ops; ++op) {
    facts.whole_dw_in_place[op] =
        g.ops[op].type == graph::OpType::kDepthwiseConv2D &&
        facts.runs_in_place[1][op];
  }
  facts.op_reads.resize(n_ops);
  for (int op = 0; op < n_ops; ++op) {
    for (int t : g.ops[op].inputs) {
      if (t >= 0 && !g.tensors[t].is_constant()) {
        facts.op_reads[op].push_back(t);
      }
    }
  }
  return facts;
}

absl::StatusOr<PatchSkeleton> BuildPatchSkeleton(const PlanningContext& ctx,
                                                 const PatchStageInfo& info,
                                                 const PatchGraphFacts& facts,
                                                 const Candidate& candidate) {
  const Graph& g = *ctx.graph;
  PatchSkeleton sk;
  sk.details = ctx.constraints.keep_plan_details;
  absl::StatusOr<PatchGeometry> geo_or = ComputePatchGeometry(
      g, info, candidate.n_patch, candidate.split_idx, ModesOf(candidate),
      candidate.strategy == Strategy::kPatch);
  if (!geo_or.ok()) return geo_or.status();
  sk.geo = *std::move(geo_or);
  const PatchGeometry& geo = sk.geo;
  const int n = geo.n_patch;
  const int n_ops = static_cast<int>(g.ops.size());
  const int n_stage = static_cast<int>(geo.ops.size());
  sk.stage_dw_in_place.resize(n_stage);
  for (int i = 0; i < n_stage; ++i) {
    sk.stage_dw_in_place[i] = StageDwInPlace(geo, i);
  }

  // Steps.
  std::vector<Step>& steps = sk.steps;
  steps.reserve(int64_t{n} * n * n_stage + n_ops);
  auto whole_op_step = [&](int op) {
    Step step;
    step.op = op;
    step.output = FullRegion(g.tensors[g.ops[op].outputs[0]]);
    step.macs = ctx.analysis.ops[op].macs;
    steps.push_back(std::move(step));
  };
  for (int op = 0; op < geo.stage_begin; ++op) whole_op_step(op);
  const int stage_first = static_cast<int>(steps.size());
  std::vector<int> step_local;  // stage op index of each stage step
  step_local.reserve(int64_t{n} * n * n_stage);
  sk.max_rows.assign(n_stage, 0);
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
        sk.macs_patch_stage += step.macs;
        sk.max_rows[i] = std::max(sk.max_rows[i], region.y1 - region.y0);
        ++sk.stage_kernel_calls;
        step_local.push_back(i);
        steps.push_back(std::move(step));
      }
    }
  }
  const int stage_last = static_cast<int>(steps.size()) - 1;
  sk.stage_first = stage_first;
  sk.stage_last = stage_last;
  for (int op = geo.stage_end; op < n_ops; ++op) whole_op_step(op);
  const int n_steps = static_cast<int>(steps.size());
  for (const Step& s : steps) sk.macs_total += s.macs;
  auto reads_of = [&](int s) -> const std::vector<int>& {
    return s >= stage_first && s <= stage_last
               ? geo.ops[step_local[s - stage_first]].inputs
               : facts.op_reads[steps[s].op];
  };
  auto writes_of = [&](int s) -> const std::vector<int>& {
    return g.ops[steps[s].op].outputs;
  };

  // Lifetimes: whole tensors over steps, per-patch tensors per patch.
  const int nt = static_cast<int>(g.tensors.size());
  std::vector<bool>& per_patch = sk.per_patch;
  per_patch.assign(nt, false);
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
    auto& [lo, hi] = v[steps[s].patch];
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

  // Compact problem on a time axis where the stage is one patch long.
  const int pre = stage_first;
  auto compact = [&](int s, bool is_first) {
    if (s < stage_first) return s;
    if (s <= stage_last) return pre + (is_first ? 0 : n_stage - 1);
    return pre + n_stage + (s - stage_last - 1);
  };
  sk.cbuf_of.assign(nt, -1);
  for (int t = 0; t < nt; ++t) {
    Buffer b;
    b.id = static_cast<int>(sk.cbuf.size());
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
    sk.cbuf_of[t] = b.id;
    sk.cbuf.push_back(std::move(b));
  }

  // Expanded buffers.
  std::vector<Buffer>& buffers = sk.buffers;
  sk.whole_of.assign(nt, -1);
  sk.inst_begin.assign(nt, -1);
  // + 1: room for the planner's kernel-scratch buffer.
  buffers.reserve(sk.cbuf.size() + int64_t{n} * n * n_stage + 2 * n_stage + 1);
  for (int t = 0; t < nt; ++t) {
    if (sk.cbuf_of[t] < 0) continue;
    const Buffer& cb = sk.cbuf[sk.cbuf_of[t]];
    auto add = [&](int lo, int hi, BufferKind kind, int patch) {
      Buffer b;
      b.id = static_cast<int>(buffers.size());
      if (sk.details) {  // names only matter to readers of the full plan
        b.name = patch < 0 ? g.tensors[t].name
                           : absl::StrCat(g.tensors[t].name, "@p", patch);
      }
      b.kind = kind;
      b.tensor = t;
      b.bytes = cb.bytes;
      b.first_step = lo;
      b.last_step = hi;
      buffers.push_back(std::move(b));
      return buffers.back().id;
    };
    if (!per_patch[t]) {
      sk.whole_of[t] = add(first[t], last[t], BufferKind::kActivation, -1);
      continue;
    }
    sk.inst_begin[t] = static_cast<int>(sk.inst.size());
    sk.inst.resize(sk.inst.size() + n * n, -1);
    for (int p = 0; p < n * n; ++p) {
      const auto [lo, hi] = span[t][p];
      if (lo < 0) continue;
      sk.inst[sk.inst_begin[t] + p] = add(lo, hi, BufferKind::kPatch, p);
    }
  }
  sk.n_arena = static_cast<int>(buffers.size());
  sk.arena_ids.resize(sk.n_arena);
  std::iota(sk.arena_ids.begin(), sk.arena_ids.end(), 0);
  std::vector<std::vector<int>> stream_of(nt);
  for (const StageTensor& t : geo.tensors) {
    if (t.full) continue;
    for (int k = 0; k < 2; ++k) {
      const int64_t bytes = k == 0 ? t.col_bytes() : t.line_bytes();
      if (bytes == 0) continue;
      Buffer b;
      b.id = static_cast<int>(buffers.size());
      if (sk.details) {
        b.name = absl::StrCat(g.tensors[t.tensor].name,
                              k == 0 ? kColumnBufferSuffix : kLineBufferSuffix);
      }
      b.kind = BufferKind::kStream;
      b.tensor = t.tensor;
      b.bytes = bytes;
      b.offset = sk.stream_buffer_bytes;  // + the arena size
      b.first_step = stage_first;
      b.last_step = stage_last;
      sk.stream_buffer_bytes += bytes;
      stream_of[t.tensor].push_back(b.id);
      buffers.push_back(std::move(b));
    }
  }

  // Step reads / writes only matter to readers of the full plan.
  auto buffer_for = [&](int t, int s) {
    return per_patch[t] ? sk.InstanceOf(t, steps[s].patch) : sk.whole_of[t];
  };
  for (int s = 0; sk.details && s < n_steps; ++s) {
    Step& step = steps[s];
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
  sk.reference_arena_bytes =
      ReferenceFirstFit(PatchReferenceRects(g, geo)).peak_bytes;
  sk.stream_copies = geo.StreamCopies();
  return sk;
}

bool PatchPlanCache::Key::operator==(const Key& o) const {
  return details == o.details && uniform == o.uniform &&
         split_idx == o.split_idx && n_patch == o.n_patch && modes == o.modes;
}

PatchPlanCache::PatchPlanCache(const Graph& graph)
    : graph_(&graph), facts_(MakePatchGraphFacts(graph)) {}

int PatchPlanCache::ExpectedUses(const PatchStageInfo& info, int split_idx) {
  if (split_idx >= static_cast<int>(uses_of_split_.size())) {
    uses_of_split_.resize(split_idx + 1, 0);
  }
  int& uses = uses_of_split_[split_idx];
  if (uses == 0) {
    uses = static_cast<int>(
        PatchInPlaceVariants(*graph_, info, split_idx, facts_.whole_dw_in_place)
            .size());
  }
  return uses;
}

absl::StatusOr<SkeletonRef> PatchPlanCache::Get(const PlanningContext& ctx,
                                                const PatchStageInfo& info,
                                                const Candidate& candidate) {
  Key key{ctx.constraints.keep_plan_details,
          candidate.strategy == Strategy::kPatch, candidate.split_idx,
          candidate.n_patch, ModesOf(candidate)};
  SkeletonRef ref;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (!(it->key == key)) continue;
      if (--it->uses_left > 0) {
        ref.shared = it->skeleton;
        return ref;
      }
      std::shared_ptr<PatchSkeleton> last = std::move(it->skeleton);
      entries_.erase(it);
      // Nobody can get it from the cache any more: it is ours alone unless
      // another thread still reads it.
      if (last.use_count() == 1) {
        ref.owned = std::move(last);
      } else {
        ref.shared = std::move(last);
      }
      return ref;
    }
  }
  absl::StatusOr<PatchSkeleton> built =
      BuildPatchSkeleton(ctx, info, facts_, candidate);
  if (!built.ok()) return built.status();
  auto skeleton = std::make_shared<PatchSkeleton>(*std::move(built));
  std::lock_guard<std::mutex> lock(mu_);
  const int uses = ExpectedUses(info, candidate.split_idx);
  if (uses <= 1) {
    ref.owned = std::move(skeleton);
    return ref;
  }
  if (entries_.size() >= kCapacity) entries_.pop_front();
  entries_.push_back({std::move(key), uses - 1, skeleton});
  ref.shared = std::move(skeleton);
  return ref;
}

std::shared_ptr<PatchPlanCache> MakePatchPlanCache(const Graph& graph) {
  return std::make_shared<PatchPlanCache>(graph);
}

}  // namespace mcutune::space
