// Shared metric derivations: kernel scratch, code estimate, fit check.
#include "tuner/space/plan_metrics.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mcutune::space {
namespace {

using graph::OpType;

// The kernel variant an operator compiles to (for the code estimate).
std::string KernelKind(const graph::Graph& g, int op) {
  const graph::Operator& o = g.ops[op];
  if (o.type == OpType::kConv2D || o.type == OpType::kDepthwiseConv2D) {
    const std::vector<int32_t>& f = g.tensors[o.inputs[1]].shape;
    const std::string k = f.size() == 4 ? absl::StrCat(f[1], "x", f[2]) : "?";
    return absl::StrCat(graph::OpTypeName(o.type), ":",
                        o.type == OpType::kConv2D
                            ? (k == "1x1" ? "1x1" : "kxk")
                            : (k == "3x3" ? "3x3" : "generic"));
  }
  return graph::OpTypeName(o.type);
}

std::string Bytes(int64_t b) { return absl::StrCat(b, " B"); }

}  // namespace

int64_t KernelScratchBytes(const graph::Graph& graph, int op, bool in_place,
                           int output_rows) {
  const graph::Operator& o = graph.ops[op];
  int64_t scratch = 0;
  switch (o.type) {
    case OpType::kConv2D: {
      const std::vector<int32_t>& f = graph.tensors[o.inputs[1]].shape;
      if (f.size() == 4 && !(f[1] == 1 && f[2] == 1)) {
        scratch = int64_t{2} * f[1] * f[2] * f[3] * 2;
      }
      break;
    }
    case OpType::kDepthwiseConv2D: {
      const std::vector<int32_t>& f = graph.tensors[o.inputs[1]].shape;
      if (in_place) {
        // Channel-by-channel kernel: one channel of the input window it
        // reads (mcuk_depthwise_conv2d_inplace copies it before overwriting
        // it): the rows `output_rows` output rows read, at most the whole
        // input, times the input width. Larger than one output channel for
        // strided layers.
        const std::vector<int32_t>& in = graph.tensors[o.inputs[0]].shape;
        const std::vector<int32_t>& out = graph.tensors[o.outputs[0]].shape;
        if (in.size() == 4 && out.size() == 4 && f.size() == 4) {
          const int rows = output_rows >= 0 ? output_rows : out[1];
          const int64_t k_eff =
              int64_t{f[1] - 1} * o.options.dilation_h + 1;
          const int64_t in_rows = std::min<int64_t>(
              in[1], (int64_t{rows} - 1) * o.options.stride_h + k_eff);
          scratch = std::max<int64_t>(0, in_rows) * in[2];
        }
      } else if (f.size() == 4 && !(f[1] == 3 && f[2] == 3)) {
        scratch = int64_t{1} * f[1] * f[2] * f[3] * 2;
      }
      break;
    }
    case OpType::kAveragePool2D: {
      const std::vector<int32_t>& in = graph.tensors[o.inputs[0]].shape;
      if (!in.empty()) scratch = int64_t{in.back()} * 4;
      break;
    }
    default:
      break;
  }
  return scratch;
}

int64_t EstimateCodeBytes(const graph::Graph& graph, const Plan& plan) {
  std::set<std::string> kinds;
  std::vector<bool> seen(graph.ops.size(), false);  // patch plans repeat ops
  int64_t calls = 0;
  for (const Step& s : plan.steps) {
    if (s.kind != StepKind::kKernel || s.op < 0) continue;
    if (!seen[s.op]) kinds.insert(KernelKind(graph, s.op));
    seen[s.op] = true;
    ++calls;
  }
  return kCodeBaseBytes +
         kCodePerKernelKindBytes * static_cast<int64_t>(kinds.size()) +
         kCodePerCallBytes * calls;
}

void FinishPlan(const PlanningContext& ctx, Plan* plan,
                int64_t external_weight_bytes) {
  plan->board_id = ctx.board.id;
  MemoryBreakdown& mem = plan->memory;
  mem.peak_sram_bytes = mem.arena_bytes + mem.stream_buffer_bytes +
                        mem.overlay_buffer_bytes + mem.scratch_bytes;
  mem.lower_bound_gap_bytes = mem.arena_bytes - mem.live_lower_bound_bytes;

  Metrics& m = plan->metrics;
  if (m.kernel_calls == 0) {
    for (const Step& s : plan->steps) {
      if (s.kind == StepKind::kKernel) ++m.kernel_calls;
    }
  }
  m.weights_bytes = ctx.analysis.params_bytes - external_weight_bytes;
  m.code_bytes = EstimateCodeBytes(*ctx.graph, *plan);
  m.flash_bytes = m.weights_bytes + m.code_bytes;
  m.ext_traffic_bytes =
      m.ext_ram_read_bytes + m.ext_ram_write_bytes + m.ext_flash_read_bytes;

  std::vector<std::string> why;
  const BoardSpec& b = ctx.board;
  const int64_t sram_limit = ctx.sram_limit();
  if (mem.peak_sram_bytes > sram_limit) {
    why.push_back(absl::StrCat("peak SRAM ", Bytes(mem.peak_sram_bytes),
                               " > limit ", Bytes(sram_limit), " (",
                               b.id, ": ", b.sram_bytes, " B - ",
                               b.reserved_sram_bytes, " B reserve",
                               ctx.constraints.sram_budget > 0
                                   ? ", or the SRAM budget"
                                   : "",
                               ")"));
  }
  const int64_t flash_limit = ctx.flash_limit();
  if (m.flash_bytes > flash_limit) {
    why.push_back(absl::StrCat("flash ", Bytes(m.flash_bytes), " > limit ",
                               Bytes(flash_limit), " (", b.id, ": ",
                               b.flash_bytes, " B - ", b.reserved_flash_bytes,
                               " B reserve",
                               ctx.constraints.flash_budget > 0
                                   ? ", or the flash budget"
                                   : "",
                               ")"));
  }
  const bool uses_ext = m.ext_ram_bytes > 0 || m.ext_flash_bytes > 0;
  if (uses_ext && !ctx.constraints.allow_external_memory) {
    why.push_back("uses external memory, which the constraints forbid");
  }
  if (m.ext_ram_bytes > 0) {
    const ExternalMemory* ram = b.ext_ram();
    if (!ram) {
      why.push_back(absl::StrCat(b.id, " has no external RAM"));
    } else if (m.ext_ram_bytes > ram->bytes) {
      why.push_back(absl::StrCat("external RAM ", Bytes(m.ext_ram_bytes),
                                 " > ", Bytes(ram->bytes)));
    }
  }
  if (m.ext_flash_bytes > 0) {
    const ExternalMemory* fl = b.ext_flash();
    if (!fl) {
      why.push_back(absl::StrCat(b.id, " has no external flash"));
    } else if (m.ext_flash_bytes > fl->bytes) {
      why.push_back(absl::StrCat("external flash ", Bytes(m.ext_flash_bytes),
                                 " > ", Bytes(fl->bytes)));
    }
  }
  m.fits = why.empty();
  m.fit_reason = absl::StrJoin(why, "; ");
}

void DropPlanDetails(Plan* plan) {
  std::vector<Step>().swap(plan->steps);
  std::vector<Buffer>().swap(plan->buffers);
}

}  // namespace mcutune::space
