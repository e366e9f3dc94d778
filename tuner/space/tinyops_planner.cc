// TinyOps planner.
// - Layout: ChooseTinyOpsLayout (tinyops_layout.h) for the budget; the SRAM
//   buffers are laid out in its order from offset 0.
// - Constants: one kConstant buffer per distinct constant buffer (and one
//   requantization buffer per convolution) in ext flash, or in ext RAM after
//   the activations when there is no (big enough) external flash.
// - Steps: per operator in the candidate's order, the constant copies, then
//   block 0, then (prefetch j+1, kernel j) for every tiny op; per-operator
//   filter / scratch buffers alias B0 / B1 or the overlay, or sit in the
//   scratch region.
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
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tuner/space/arena_planner.h"
#include "tuner/space/execution_order.h"
#include "tuner/space/plan_metrics.h"

namespace mcutune::space {
namespace {

using graph::Graph;

int64_t AlignUp(int64_t x) {
  return (x + kTinyOpsAlign - 1) / kTinyOpsAlign * kTinyOpsAlign;
}

// MACs of units [u0, u1) when `total` is spread exactly over `units`.
int64_t SplitMacs(int64_t total, int units, int u0, int u1) {
  const __int128 t = total;
  return static_cast<int64_t>(t * u1 / units - t * u0 / units);
}

Region Rows(int y0, int y1, int width) {
  Region r;
  r.y0 = y0;
  r.y1 = y1;
  r.x1 = y1 > y0 ? width : 0;
  return r;
}

int WidthOf(const graph::Tensor& t) {
  return t.shape.size() == 4 ? t.shape[2] : 1;
}

// Builds one plan; each method is one phase of PlanTinyOps.
class TinyOpsPlanBuilder {
 public:
  TinyOpsPlanBuilder(const PlanningContext& ctx, TinyOpsLayout layout,
                     std::vector<int> order, Plan* plan)
      : ctx_(ctx),
        g_(*ctx.graph),
        layout_(std::move(layout)),
        order_(std::move(order)),
        plan_(plan),
        m_(plan->metrics) {}

  void Build() {
    PlaceSram();
    PlaceConstantsIn();
    for (int t : g_.inputs) Activation(t);
    op_first_.resize(order_.size());
    op_last_.resize(order_.size());
    for (int pos = 0; pos < static_cast<int>(order_.size()); ++pos) {
      EmitOperator(pos);
    }
    SetLifetimes();
    PlaceExternal();
  }

  // Bytes of the distinct graph constant buffers placed externally.
  int64_t external_weight_bytes() const {
    int64_t bytes = 0;
    for (const auto& [gb, id] : const_buffer_id_)
      bytes += g_.buffers[gb].size();
    return bytes;
  }

 private:
  int steps() const { return static_cast<int>(plan_->steps.size()); }
  Buffer& buffer(int id) { return plan_->buffers[id]; }

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
    b.first_step = b.last_step = steps();
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
    if (kind == StepKind::kCopy) ++m_.dma_transfers;
    plan_->steps.push_back(std::move(s));
  }

  void Copy(int op, Region region, int from, int to) {
    AddStep(StepKind::kCopy, op, region, 0, {from}, {to});
  }

  // SRAM: [A0 A1 B0 B1 bias qmul qshift filter][scratch], from offset 0.
  void PlaceSram() {
    int64_t at = 0;
    auto sram = [&](std::string name, BufferKind kind, int64_t bytes) {
      if (bytes == 0) return -1;
      const int id =
          AddBuffer(std::move(name), kind, Memory::kSram, -1, bytes, at);
      at += bytes;
      return id;
    };
    const int64_t b = layout_.dma_buffer_bytes;
    for (int pair = 0; pair < 2; ++pair) {
      for (int k = 0; k < 2; ++k) {
        dma_[pair][k] = sram(absl::StrCat("dma.", pair ? "b" : "a", k),
                             BufferKind::kDma, b);
      }
    }
    bias_ =
        sram("overlay.bias", BufferKind::kOverlay, layout_.bias_buffer_bytes);
    qmul_ =
        sram("overlay.qmul", BufferKind::kOverlay, layout_.qparam_buffer_bytes);
    qshift_ = sram("overlay.qshift", BufferKind::kOverlay,
                   layout_.qparam_buffer_bytes);
    filter_ = sram("overlay.filter", BufferKind::kOverlay,
                   layout_.filter_overlay_bytes);
    scratch_at_ = at;
    plan_->memory.overlay_buffer_bytes = at;
    plan_->memory.scratch_bytes = layout_.scratch_bytes;
  }

  // Constants go to external flash when it holds them, else to external RAM.
  void PlaceConstantsIn() {
    std::set<int> seen;
    int64_t bytes = 0;
    for (const graph::Operator& o : g_.ops) {
      for (int t : o.inputs) {
        if (t >= 0 && g_.tensors[t].is_constant() &&
            seen.insert(g_.tensors[t].buffer).second) {
          bytes += AlignUp(g_.tensors[t].bytes());
        }
      }
    }
    for (const OpPartition& p : layout_.partitions) {
      bytes += AlignUp(2 * p.geometry.qparam_bytes);
    }
    const ExternalMemory* flash = ctx_.board.ext_flash();
    in_flash_ =
        flash && (bytes <= flash->bytes || bytes > ctx_.board.ext_ram()->bytes);
    const_memory_ = in_flash_ ? Memory::kExtFlash : Memory::kExtRam;
  }

  int64_t& ConstReads() {
    return in_flash_ ? m_.ext_flash_read_bytes : m_.ext_ram_read_bytes;
  }

  int Constant(int tensor) {
    const int gb = g_.tensors[tensor].buffer;
    auto it = const_buffer_id_.find(gb);
    if (it != const_buffer_id_.end()) return it->second;
    const int id = AddBuffer(g_.tensors[tensor].name, BufferKind::kConstant,
                             const_memory_, tensor, g_.tensors[tensor].bytes());
    const_ids_.push_back(id);
    const_buffer_id_[gb] = id;
    return id;
  }

  int Activation(int t) {
    auto it = act_.find(t);
    if (it != act_.end()) return it->second;
    const int id = AddBuffer(g_.tensors[t].name, BufferKind::kActivation,
                             Memory::kExtRam, t, g_.tensors[t].bytes());
    act_ids_.push_back(id);
    act_[t] = id;
    return id;
  }

  // Bias, requantization and filter copies; returns the buffers every
  // kernel call of the operator reads, and the per-operator aliases.
  std::vector<int> EmitOverlays(int op, const OpGeometry& geo, int n_tiny,
                                std::vector<int>* op_buffers) {
    std::vector<int> common;
    if (geo.bias_tensor >= 0) {
      Copy(op, {}, Constant(geo.bias_tensor), bias_);
      ConstReads() += geo.bias_bytes;
      common.push_back(bias_);
    }
    if (geo.qparam_bytes > 0) {
      const int q =
          AddBuffer(absl::StrCat("op", op, ".qparams"), BufferKind::kConstant,
                    const_memory_, -1, 2 * geo.qparam_bytes);
      const_ids_.push_back(q);
      Copy(op, {}, q, qmul_);
      Copy(op, {}, q, qshift_);
      ConstReads() += 2 * geo.qparam_bytes;
      common.insert(common.end(), {qmul_, qshift_});
    }
    if (geo.filter_tensor >= 0) {
      const int src = Constant(geo.filter_tensor);
      int home = -1;
      if (geo.filter_bytes <= layout_.filter_overlay_bytes) {
        home = filter_;
      } else if (geo.inputs.size() == 1 &&
                 geo.filter_bytes <= layout_.dma_buffer_bytes) {
        home = dma_[1][0];
      }
      if (home >= 0) {
        const int f = AddBuffer(absl::StrCat("op", op, ".filter"),
                                BufferKind::kOverlay, Memory::kSram, -1,
                                geo.filter_bytes, buffer(home).offset, home);
        op_buffers->push_back(f);
        Copy(op, {}, src, f);
        ConstReads() += geo.filter_bytes;
        common.push_back(f);
      } else {
        ConstReads() += geo.filter_bytes * n_tiny;  // streamed by every call
        common.push_back(src);
      }
    }
    return common;
  }

  void EmitOperator(int pos) {
    const int op = order_[pos];
    const graph::Operator& o = g_.ops[op];
    OpPartition& part = layout_.partitions[op];
    OpGeometry& geo = part.geometry;
    if (geo.mode == TinyMode::kAlias && !RunsInPlace(g_, order_, pos, false)) {
      geo.mode = TinyMode::kDirect;  // the input lives on: copy it
    }
    op_first_[pos] = steps();
    const int out = Activation(o.outputs[0]);
    if (geo.mode == TinyMode::kAlias) {
      buffer(out).alias_of = Activation(o.inputs[0]);
    }
    const int n_tiny = static_cast<int>(part.tiny.size());
    std::vector<int> op_buffers;
    std::vector<int> common = EmitOverlays(op, geo, n_tiny, &op_buffers);
    const bool streamed = geo.mode == TinyMode::kRows ||
                          geo.mode == TinyMode::kReduce ||
                          geo.mode == TinyMode::kWhole;
    if (streamed && geo.inputs.size() == 1 && geo.scratch_bytes > 0) {
      const bool spare = geo.scratch_bytes <= layout_.dma_buffer_bytes;
      const int s =
          AddBuffer(absl::StrCat("op", op, ".scratch"), BufferKind::kScratch,
                    Memory::kSram, -1, geo.scratch_bytes,
                    spare ? buffer(dma_[1][1]).offset : scratch_at_,
                    spare ? dma_[1][1] : -1);
      op_buffers.push_back(s);
      common.push_back(s);
    }
    const int64_t macs = ctx_.analysis.ops[op].macs;
    m_.macs_total += macs;
    if (streamed) {
      EmitTinyOps(part, common, out, macs);
    } else {
      EmitInPlaceKernel(op, geo, common, out, macs);
    }
    op_last_[pos] = steps() - 1;
    for (int id : op_buffers) buffer(id).last_step = op_last_[pos];
  }

  void CopyBlock(const OpPartition& part, int j) {
    const OpGeometry& geo = part.geometry;
    for (size_t i = 0; i < geo.inputs.size(); ++i) {
      const RowSpan r = part.tiny[j].in[i];
      if (r.size() == 0) continue;
      const int t = geo.inputs[i].tensor;
      Copy(geo.op, Rows(r.begin, r.end, WidthOf(g_.tensors[t])), Activation(t),
           dma_[i][j % 2]);
      m_.ext_ram_read_bytes += r.size() * geo.inputs[i].row_bytes;
    }
  }

  // Ping-pong: block j+1 is copied before kernel j runs on block j.
  void EmitTinyOps(const OpPartition& part, const std::vector<int>& common,
                   int out, int64_t macs) {
    const OpGeometry& geo = part.geometry;
    const int n = static_cast<int>(part.tiny.size());
    CopyBlock(part, 0);
    for (int j = 0; j < n; ++j) {
      if (j + 1 < n) CopyBlock(part, j + 1);
      const TinyOp& t = part.tiny[j];
      std::vector<int> reads;
      for (size_t i = 0; i < geo.inputs.size(); ++i) {
        if (t.in[i].size() > 0) reads.push_back(dma_[i][j % 2]);
      }
      reads.insert(reads.end(), common.begin(), common.end());
      AddStep(StepKind::kKernel, geo.op,
              Rows(t.out.begin, t.out.end, geo.out_width),
              SplitMacs(macs, geo.units, t.units.begin, t.units.end),
              std::move(reads), {out});
      ++m_.kernel_calls;
    }
    m_.ext_ram_write_bytes += buffer(out).bytes;
  }

  // kDirect (the kernel works on external memory) and kAlias (no-op).
  void EmitInPlaceKernel(int op, const OpGeometry& geo,
                         const std::vector<int>& common, int out,
                         int64_t macs) {
    const bool direct = geo.mode == TinyMode::kDirect;
    std::vector<int> reads;
    for (int t : g_.ops[op].inputs) {
      if (t < 0) continue;
      if (g_.tensors[t].is_constant()) {
        if (t != geo.bias_tensor && t != geo.filter_tensor) {
          reads.push_back(Constant(t));  // shape operands, read in place
        }
        continue;
      }
      const int id = Activation(t);
      if (std::find(reads.begin(), reads.end(), id) != reads.end()) continue;
      reads.push_back(id);
      if (direct) m_.ext_ram_read_bytes += g_.tensors[t].bytes();
    }
    reads.insert(reads.end(), common.begin(), common.end());
    if (direct) {
      m_.ext_ram_write_bytes += buffer(out).bytes;
      ++m_.kernel_calls;
    }
    AddStep(StepKind::kKernel, op, Rows(0, geo.out_rows, geo.out_width), macs,
            std::move(reads), {out});
  }

  // Activations: producer .. last consumer (graph inputs from step 0, graph
  // outputs to the end); SRAM buffers and constants: the whole schedule.
  void SetLifetimes() {
    const int last = steps() - 1;
    for (Buffer& b : plan_->buffers) {
      const bool per_op = b.kind == BufferKind::kScratch ||
                          (b.kind == BufferKind::kOverlay && b.alias_of >= 0);
      if (b.kind == BufferKind::kActivation || per_op) continue;
      b.first_step = 0;
      b.last_step = last;
    }
    for (int pos = 0; pos < static_cast<int>(order_.size()); ++pos) {
      const graph::Operator& o = g_.ops[order_[pos]];
      for (int t : o.outputs) {
        buffer(act_[t]).first_step = op_first_[pos];
        buffer(act_[t]).last_step = op_last_[pos];
      }
      for (int t : o.inputs) {
        auto it = act_.find(t);
        if (it == act_.end()) continue;
        buffer(it->second).last_step =
            std::max(buffer(it->second).last_step, op_last_[pos]);
      }
    }
    for (int t : g_.inputs) buffer(act_[t]).first_step = 0;
    for (int t : g_.outputs) {
      if (act_.count(t)) buffer(act_[t]).last_step = last;
    }
  }

  void PlaceExternal() {
    const ArenaResult arena = PlanArena(act_ids_, &plan_->buffers, 0);
    int64_t at = in_flash_ ? 0 : AlignUp(arena.arena_bytes);
    for (int id : const_ids_) {
      buffer(id).offset = at;
      at += AlignUp(buffer(id).bytes);
    }
    m_.ext_ram_bytes = in_flash_ ? arena.arena_bytes : at;
    m_.ext_flash_bytes = in_flash_ ? at : 0;
    plan_->memory.arena_heuristic = absl::StrCat("ext_ram:", arena.heuristic);
  }

  const PlanningContext& ctx_;
  const Graph& g_;
  TinyOpsLayout layout_;
  std::vector<int> order_;
  Plan* plan_;
  Metrics& m_;
  int dma_[2][2] = {{-1, -1}, {-1, -1}};
  int bias_ = -1, qmul_ = -1, qshift_ = -1, filter_ = -1;
  int64_t scratch_at_ = 0;
  bool in_flash_ = false;
  Memory const_memory_ = Memory::kExtFlash;
  std::map<int, int> const_buffer_id_;  // graph buffer -> plan buffer
  std::vector<int> const_ids_;
  std::map<int, int> act_;  // tensor -> plan buffer
  std::vector<int> act_ids_;
  std::vector<int> op_first_, op_last_;
};

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
    std::set<int64_t, std::greater<int64_t>> budgets = {limit, usable / 2,
                                                        usable / 4, usable / 8};
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

bool TinyOpsAvailable(const BoardSpec& board, const Constraints& constraints) {
  return constraints.allow_external_memory && board.ext_ram() != nullptr;
}

absl::StatusOr<Plan> PlanTinyOps(const PlanningContext& ctx,
                                 const Candidate& candidate) {
  if (candidate.strategy != Strategy::kTinyOps) {
    return absl::InvalidArgumentError(
        absl::StrCat("tinyops planner got a '",
                     StrategyName(candidate.strategy), "' candidate"));
  }
  if (ctx.board.ext_ram() == nullptr) {
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
  absl::StatusOr<TinyOpsLayout> layout = ChooseTinyOpsLayout(g, budget);
  if (!layout.ok()) return layout.status();

  Plan plan;
  plan.candidate = candidate;
  plan.candidate.order.ops = order;
  TinyOpsPlanBuilder builder(ctx, *std::move(layout), std::move(order), &plan);
  builder.Build();
  FinishPlan(ctx, &plan, builder.external_weight_bytes());
  return plan;
}

std::unique_ptr<CandidateFamily> MakeTinyOpsFamily() {
  return std::make_unique<TinyOpsFamily>();
}

}  // namespace mcutune::space
