// TinyOps planner.
// - Layout: describe every operator, size bias/qparam buffers by the largest
//   operator, B_max from the budget, partition everything against B_max,
//   B = the largest block (or one-input scratch), leftover -> filter overlay.
// - Constants: one kConstant buffer per distinct constant buffer (and one
//   requantization buffer per convolution) in ext flash, or in ext RAM after
//   the activations when there is no (big enough) external flash.
// - Steps: per operator in the candidate's order, the constant copies, then
//   block 0, then (prefetch j+1, kernel j) for every tiny op; per-operator
//   filter/scratch buffers alias B0/B1 or the overlay.
// - Activations: one ext RAM buffer per tensor, lifetime from its producer's
//   first step to its last consumer's last step, placed by PlanArena;
//   aliasing RESHAPEs share their input's storage.
// - Traffic counters follow the model in the header; FinishPlan completes.
#include "tuner/space/tinyops_planner.h"

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>
#include <set>
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

constexpr int64_t kAlign = 4;  // word alignment for DMA and int32 arrays
int64_t AlignUp(int64_t x) { return (x + kAlign - 1) / kAlign * kAlign; }
int64_t AlignDown(int64_t x) { return x / kAlign * kAlign; }

// MACs of units [u0, u1) of `total` spread exactly over `units`.
int64_t SplitMacs(int64_t total, int units, int u0, int u1) {
  const __int128 t = total;
  return static_cast<int64_t>(t * u1 / units - t * u0 / units);
}

Region RowsRegion(int y0, int y1, int width) {
  Region r;
  r.y0 = y0;
  r.y1 = y1;
  r.x1 = y1 > y0 ? width : 0;
  return r;
}

class Builder {
 public:
  explicit Builder(Plan* plan) : plan_(plan) {}

  int AddBuffer(std::string name, BufferKind kind, Memory memory, int tensor,
                int64_t bytes, int64_t offset = 0, int alias_of = -1) {
    Buffer b;
    b.id = static_cast<int>(plan_->buffers.size());
    b.name = std::move(name);
    b.kind = kind;
    b.memory = memory;
    b.tensor = tensor;
    b.bytes = bytes;
    b.offset = offset;
    b.alias_of = alias_of;
    b.first_step = static_cast<int>(plan_->steps.size());
    plan_->buffers.push_back(std::move(b));
    return plan_->buffers.back().id;
  }
  void AddStep(StepKind kind, int op, Region region, int64_t macs,
               std::vector<int> reads, std::vector<int> writes) {
    Step s;
    s.kind = kind;
    s.op = op;
    s.output = region;
    s.macs = macs;
    s.reads = std::move(reads);
    s.writes = std::move(writes);
    if (kind == StepKind::kCopy) ++plan_->metrics.dma_transfers;
    plan_->steps.push_back(std::move(s));
  }
  void Copy(int op, Region region, int from, int to) {
    AddStep(StepKind::kCopy, op, region, 0, {from}, {to});
  }
  int steps() const { return static_cast<int>(plan_->steps.size()); }
  Buffer& buffer(int id) { return plan_->buffers[id]; }

 private:
  Plan* plan_;
};

}  // namespace

bool TinyOpsAvailable(const BoardSpec& board, const Constraints& constraints) {
  return constraints.allow_external_memory && board.ext_ram() != nullptr;
}

int64_t MinTinyOpsBudget(const Graph& graph) {
  int64_t bias = 0, q = 0, buf = 0;
  for (int op = 0; op < static_cast<int>(graph.ops.size()); ++op) {
    const OpGeometry geo = DescribeTinyOp(graph, op);
    bias = std::max(bias, AlignUp(geo.bias_bytes));
    q = std::max(q, AlignUp(geo.qparam_bytes));
    buf = std::max(buf, AlignUp(MinTinyBufferBytes(geo)));
  }
  return bias + 2 * q + 4 * buf;
}

absl::StatusOr<TinyOpsLayout> ChooseTinyOpsLayout(const Graph& graph,
                                                  int64_t budget_bytes) {
  TinyOpsLayout layout;
  layout.budget_bytes = budget_bytes;
  std::vector<OpGeometry> geos;
  for (int op = 0; op < static_cast<int>(graph.ops.size()); ++op) {
    geos.push_back(DescribeTinyOp(graph, op));
    layout.bias_buffer_bytes =
        std::max(layout.bias_buffer_bytes, AlignUp(geos.back().bias_bytes));
    layout.qparam_buffer_bytes =
        std::max(layout.qparam_buffer_bytes, AlignUp(geos.back().qparam_bytes));
  }
  const int64_t min_budget = MinTinyOpsBudget(graph);
  if (budget_bytes < min_budget) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tinyops SRAM budget ", budget_bytes, " B is below the ", min_budget,
        " B that one row of the largest operator needs in four DMA buffers "
        "plus the bias and requantization buffers"));
  }
  const int64_t fixed =
      layout.bias_buffer_bytes + 2 * layout.qparam_buffer_bytes;
  const int64_t b_max = AlignDown((budget_bytes - fixed) / 4);
  int64_t need = 0;
  for (const OpGeometry& geo : geos) {
    absl::StatusOr<OpPartition> part = PartitionTinyOp(geo, b_max);
    if (!part.ok()) return absl::InternalError(part.status().message());
    int64_t op_need = part->max_block_bytes;
    if (geo.inputs.size() == 1) op_need = std::max(op_need, geo.scratch_bytes);
    if (op_need > need) {
      need = op_need;
      layout.largest_op = geo.op;
    }
    layout.partitions.push_back(*std::move(part));
  }
  layout.dma_buffer_bytes = AlignUp(need);
  int64_t useful = 0;  // the largest filter B0 cannot hold
  for (const OpGeometry& geo : geos) {
    if (geo.filter_bytes > layout.dma_buffer_bytes || geo.inputs.size() != 1) {
      useful = std::max(useful, geo.filter_bytes);
    }
  }
  const int64_t leftover =
      budget_bytes - fixed - 4 * layout.dma_buffer_bytes;
  layout.filter_overlay_bytes = std::min(AlignDown(leftover), AlignUp(useful));
  return layout;
}

absl::StatusOr<Plan> PlanTinyOps(const PlanningContext& ctx,
                                 const Candidate& candidate) {
  if (candidate.strategy != Strategy::kTinyOps) {
    return absl::InvalidArgumentError(
        absl::StrCat("tinyops planner got a '",
                     StrategyName(candidate.strategy), "' candidate"));
  }
  const ExternalMemory* ext_ram = ctx.board.ext_ram();
  if (ext_ram == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "board ", ctx.board.id, " has no external RAM for tinyops"));
  }
  const Graph& g = *ctx.graph;
  const int n = static_cast<int>(g.ops.size());
  if (n == 0) return absl::InvalidArgumentError("graph has no operators");
  std::vector<int> order = candidate.order.ops;
  if (order.empty()) {
    order.resize(n);
    std::iota(order.begin(), order.end(), 0);
  }
  if (!IsTopologicalOrder(g, order)) {
    return absl::InvalidArgumentError(
        "candidate execution order is not a topological order of the graph");
  }
  const int64_t budget = candidate.tinyops_sram_budget > 0
                             ? candidate.tinyops_sram_budget
                             : ctx.sram_limit();
  absl::StatusOr<TinyOpsLayout> layout_or = ChooseTinyOpsLayout(g, budget);
  if (!layout_or.ok()) return layout_or.status();
  TinyOpsLayout& layout = *layout_or;

  Plan plan;
  plan.candidate = candidate;
  plan.candidate.order.ops = order;
  Metrics& m = plan.metrics;
  Builder b(&plan);

  // SRAM buffers, laid out from offset 0 (the overlay region).
  const int64_t B = layout.dma_buffer_bytes;
  int64_t at = 0;
  auto sram = [&](std::string name, BufferKind kind, int64_t bytes) {
    if (bytes == 0) return -1;
    const int id = b.AddBuffer(std::move(name), kind, Memory::kSram, -1, bytes,
                               at);
    at += bytes;
    return id;
  };
  const int dma[2][2] = {{sram("dma.a0", BufferKind::kDma, B),
                          sram("dma.a1", BufferKind::kDma, B)},
                         {sram("dma.b0", BufferKind::kDma, B),
                          sram("dma.b1", BufferKind::kDma, B)}};
  const int bias_buf =
      sram("overlay.bias", BufferKind::kOverlay, layout.bias_buffer_bytes);
  const int qmul_buf =
      sram("overlay.qmul", BufferKind::kOverlay, layout.qparam_buffer_bytes);
  const int qshift_buf =
      sram("overlay.qshift", BufferKind::kOverlay, layout.qparam_buffer_bytes);
  const int filter_buf = sram("overlay.filter", BufferKind::kOverlay,
                              layout.filter_overlay_bytes);

  // Constants: where they live and one buffer each.
  std::set<int> const_buffers;
  int64_t const_bytes = 0;
  for (const graph::Operator& o : g.ops) {
    for (int t : o.inputs) {
      if (t >= 0 && g.tensors[t].is_constant() &&
          const_buffers.insert(g.tensors[t].buffer).second) {
        const_bytes += AlignUp(g.tensors[t].bytes());
      }
    }
  }
  int64_t qparam_total = 0;
  for (const OpPartition& p : layout.partitions) {
    qparam_total += 2 * AlignUp(p.geometry.qparam_bytes);
  }
  const ExternalMemory* ext_flash = ctx.board.ext_flash();
  const bool in_flash =
      ext_flash && (const_bytes + qparam_total <= ext_flash->bytes ||
                    const_bytes + qparam_total > ext_ram->bytes);
  const Memory const_mem = in_flash ? Memory::kExtFlash : Memory::kExtRam;
  int64_t& const_reads = in_flash ? m.ext_flash_read_bytes : m.ext_ram_read_bytes;
  std::map<int, int> const_buffer_id;  // graph buffer -> plan buffer
  std::vector<int> const_ids;
  auto const_of = [&](int tensor) {
    const int gb = g.tensors[tensor].buffer;
    auto it = const_buffer_id.find(gb);
    if (it != const_buffer_id.end()) return it->second;
    const int id = b.AddBuffer(g.tensors[tensor].name, BufferKind::kConstant,
                               const_mem, tensor, g.tensors[tensor].bytes());
    const_ids.push_back(id);
    const_buffer_id[gb] = id;
    return id;
  };

  // Activation buffers in external RAM (lifetimes filled in below).
  const int nt = static_cast<int>(g.tensors.size());
  std::vector<int> act(nt, -1);
  std::vector<int> act_ids;
  auto act_of = [&](int t) {
    if (act[t] < 0) {
      act[t] = b.AddBuffer(g.tensors[t].name, BufferKind::kActivation,
                           Memory::kExtRam, t, g.tensors[t].bytes());
      b.buffer(act[t]).first_step = -1;
      act_ids.push_back(act[t]);
    }
    return act[t];
  };
  for (int t : g.inputs) act_of(t);
  std::vector<int> op_first(n), op_last(n);

  for (int pos = 0; pos < n; ++pos) {
    const int op = order[pos];
    const graph::Operator& o = g.ops[op];
    OpPartition& part = layout.partitions[op];
    OpGeometry& geo = part.geometry;
    if (geo.mode == TinyMode::kAlias && !RunsInPlace(g, order, pos, false)) {
      geo.mode = TinyMode::kDirect;
    }
    op_first[pos] = b.steps();
    const int out = act_of(o.outputs[0]);
    if (geo.mode == TinyMode::kAlias) {
      b.buffer(out).alias_of = act_of(o.inputs[0]);
    }
    std::vector<int> common;  // SRAM/ext buffers every kernel call reads
    if (geo.bias_tensor >= 0) {
      b.Copy(op, {}, const_of(geo.bias_tensor), bias_buf);
      const_reads += geo.bias_bytes;
      common.push_back(bias_buf);
    }
    if (geo.qparam_bytes > 0) {
      const int q = b.AddBuffer(absl::StrCat("op", op, ".qparams"),
                                BufferKind::kConstant, const_mem, -1,
                                2 * geo.qparam_bytes);
      const_ids.push_back(q);
      b.Copy(op, {}, q, qmul_buf);
      b.Copy(op, {}, q, qshift_buf);
      const_reads += 2 * geo.qparam_bytes;
      common.insert(common.end(), {qmul_buf, qshift_buf});
    }
    const int n_tiny = static_cast<int>(part.tiny.size());
    std::vector<int> op_aliases;
    if (geo.filter_tensor >= 0) {
      const int src = const_of(geo.filter_tensor);
      int home = -1;
      if (geo.filter_bytes <= layout.filter_overlay_bytes) {
        home = filter_buf;
      } else if (geo.inputs.size() == 1 && geo.filter_bytes <= B) {
        home = dma[1][0];
      }
      if (home >= 0) {
        const int f = b.AddBuffer(absl::StrCat("op", op, ".filter"),
                                  BufferKind::kOverlay, Memory::kSram, -1,
                                  geo.filter_bytes, b.buffer(home).offset,
                                  home);
        op_aliases.push_back(f);
        b.Copy(op, {}, src, f);
        const_reads += geo.filter_bytes;
        common.push_back(f);
      } else {
        const_reads += geo.filter_bytes * n_tiny;  // streamed on every call
        common.push_back(src);
      }
    }
    const bool dma_mode = !geo.inputs.empty() &&
                          geo.mode != TinyMode::kDirect &&
                          geo.mode != TinyMode::kAlias;
    if (dma_mode && geo.inputs.size() == 1 && geo.scratch_bytes > 0) {
      const int s = b.AddBuffer(absl::StrCat("op", op, ".scratch"),
                                BufferKind::kScratch, Memory::kSram, -1,
                                geo.scratch_bytes, b.buffer(dma[1][1]).offset,
                                dma[1][1]);
      op_aliases.push_back(s);
      common.push_back(s);
    }
    const int64_t macs = ctx.analysis.ops[op].macs;
    m.macs_total += macs;
    if (!dma_mode) {
      std::vector<int> reads;
      for (int t : o.inputs) {
        if (t < 0 || g.tensors[t].is_constant()) continue;
        const int id = act_of(t);
        if (std::find(reads.begin(), reads.end(), id) != reads.end()) continue;
        reads.push_back(id);
        if (geo.mode == TinyMode::kDirect) m.ext_ram_read_bytes += g.tensors[t].bytes();
      }
      for (int t : o.inputs) {
        if (t >= 0 && g.tensors[t].is_constant() && t != geo.bias_tensor &&
            t != geo.filter_tensor) {
          reads.push_back(const_of(t));  // shape operands, read in place
        }
      }
      reads.insert(reads.end(), common.begin(), common.end());
      if (geo.mode == TinyMode::kDirect) {
        m.ext_ram_write_bytes += g.tensors[o.outputs[0]].bytes();
        ++m.kernel_calls;
      }
      b.AddStep(StepKind::kKernel, op, RowsRegion(0, geo.out_rows, geo.out_width),
                macs, std::move(reads), {out});
    } else {
      auto copy_block = [&](int j) {
        for (size_t i = 0; i < geo.inputs.size(); ++i) {
          const RowSpan r = part.tiny[j].in[i];
          if (r.size() == 0) continue;
          const graph::Tensor& in = g.tensors[geo.inputs[i].tensor];
          const int width = in.shape.size() == 4 ? in.shape[2] : 1;
          b.Copy(op, RowsRegion(r.begin, r.end, width),
                 act_of(geo.inputs[i].tensor), dma[i][j % 2]);
          m.ext_ram_read_bytes += r.size() * geo.inputs[i].row_bytes;
        }
      };
      copy_block(0);
      for (int j = 0; j < n_tiny; ++j) {
        if (j + 1 < n_tiny) copy_block(j + 1);
        const TinyOp& t = part.tiny[j];
        std::vector<int> reads;
        for (size_t i = 0; i < geo.inputs.size(); ++i) {
          if (t.in[i].size() > 0) reads.push_back(dma[i][j % 2]);
        }
        reads.insert(reads.end(), common.begin(), common.end());
        b.AddStep(StepKind::kKernel, op,
                  RowsRegion(t.out.begin, t.out.end, geo.out_width),
                  SplitMacs(macs, geo.units, t.units.begin, t.units.end),
                  std::move(reads), {out});
        ++m.kernel_calls;
      }
      m.ext_ram_write_bytes += g.tensors[o.outputs[0]].bytes();
    }
    op_last[pos] = b.steps() - 1;
    for (int id : op_aliases) b.buffer(id).last_step = op_last[pos];
  }

  // Lifetimes: activations from producer to last consumer, the rest always.
  const int last_step = b.steps() - 1;
  for (Buffer& buf : plan.buffers) {
    if (buf.kind == BufferKind::kActivation) continue;
    if (buf.kind == BufferKind::kOverlay && buf.alias_of >= 0) continue;
    if (buf.kind == BufferKind::kScratch) continue;
    buf.first_step = 0;
    buf.last_step = last_step;
  }
  for (int pos = 0; pos < n; ++pos) {
    const graph::Operator& o = g.ops[order[pos]];
    for (int t : o.outputs) {
      b.buffer(act[t]).first_step = op_first[pos];
      b.buffer(act[t]).last_step = op_last[pos];
    }
    for (int t : o.inputs) {
      if (t < 0 || act[t] < 0) continue;
      Buffer& buf = b.buffer(act[t]);
      buf.last_step = std::max(buf.last_step, op_last[pos]);
    }
  }
  for (int t : g.inputs) b.buffer(act[t]).first_step = 0;
  for (int t : g.outputs) {
    if (act[t] >= 0) b.buffer(act[t]).last_step = last_step;
  }
  for (int id : act_ids) {
    Buffer& buf = b.buffer(id);
    buf.first_step = std::max(buf.first_step, 0);
    buf.last_step = std::max(buf.last_step, buf.first_step);
  }

  // External placement.
  const ArenaResult arena = PlanArena(act_ids, &plan.buffers, 0);
  int64_t const_at = in_flash ? 0 : AlignUp(arena.arena_bytes);
  for (int id : const_ids) {
    b.buffer(id).offset = const_at;
    const_at += AlignUp(b.buffer(id).bytes);
  }
  m.ext_ram_bytes = in_flash ? arena.arena_bytes : const_at;
  m.ext_flash_bytes = in_flash ? const_at : 0;

  MemoryBreakdown& mem = plan.memory;
  mem.overlay_buffer_bytes = at;
  mem.arena_heuristic = absl::StrCat("ext_ram:", arena.heuristic);
  int64_t external_weights = 0;
  for (int gb : const_buffers) external_weights += g.buffers[gb].size();
  FinishPlan(ctx, &plan, external_weights);
  return plan;
}

namespace {

class TinyOpsFamily : public CandidateFamily {
 public:
  std::string_view name() const override { return "tinyops"; }
  bool Handles(Strategy s) const override { return s == Strategy::kTinyOps; }

  std::vector<Candidate> Candidates(const PlanningContext& ctx) const override {
    std::vector<Candidate> out;
    if (!TinyOpsAvailable(ctx.board, ctx.constraints)) return out;
    const int64_t usable = ctx.board.usable_sram_bytes();
    const int64_t limit = ctx.sram_limit();
    const int64_t min_budget = MinTinyOpsBudget(*ctx.graph);
    std::set<int64_t, std::greater<int64_t>> budgets = {
        limit, usable / 2, usable / 4, usable / 8};
    if (ctx.constraints.sram_budget > 0) {
      budgets.insert(ctx.constraints.sram_budget);
    }
    for (int64_t budget : budgets) {
      if (budget > limit || budget < min_budget) continue;
      Candidate c;
      c.strategy = Strategy::kTinyOps;
      c.order = ctx.orders.front();
      c.tinyops_sram_budget = budget;
      out.push_back(c);
    }
    return out;
  }

  absl::StatusOr<Plan> MakePlan(const PlanningContext& ctx,
                                const Candidate& c) const override {
    return PlanTinyOps(ctx, c);
  }
};

}  // namespace

std::unique_ptr<CandidateFamily> MakeTinyOpsFamily() {
  return std::make_unique<TinyOpsFamily>();
}

}  // namespace mcutune::space
