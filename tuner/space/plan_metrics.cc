// Shared metric derivations: kernel scratch, code estimate, fit check.
#include "tuner/space/plan_metrics.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mcutune::space {
namespace {

using graph::OpType;

std::string Bytes(int64_t b) { return absl::StrCat(b, " B"); }

}  // namespace

int64_t KernelScratchBytes(const graph::Graph& graph, int op, bool in_place,
                           int output_rows) {
  const graph::Operator& o = graph.ops[op];
  int64_t scratch = 0;
  switch (o.type) {
    case OpType::kConv2D: {
      const std::vector<int32_t>& f = graph.tensors[o.inputs[1]].shape;
      if (f.size() == 4 && f[1] == 1 && f[2] == 1) {
        // mcuk_conv2d_scratch_bytes: three sign-extended input pixels
        // (int16) of the pointwise kernel, plus word-alignment slack.
        scratch = int64_t{6} * f[3] + 4;
      } else if (f.size() == 4) {
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

int64_t CodeKernelBytes(graph::OpType type, bool in_place) {
  switch (type) {
    case OpType::kConv2D:
      return 12544;
    case OpType::kDepthwiseConv2D:
      return in_place ? 1024 : 7168;
    case OpType::kAdd:
      return 1024;
    case OpType::kFullyConnected:
      return 1792;
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D:
    case OpType::kMean:
      return 1280;
    case OpType::kSoftmax:
      return 256;
    default:  // PAD, CONCATENATION, TRANSPOSE, RESHAPE: data movement
      return kCodeDataMovementBytes;
  }
}

int64_t EstimateCodeBytes(const graph::Graph& graph, const Plan& plan) {
  return EstimateCodeBytes(graph, plan.steps, plan.buffers,
                           plan.metrics.stream_copies);
}

int64_t EstimateCodeBytes(const graph::Graph& graph,
                          const std::vector<Step>& steps,
                          const std::vector<Buffer>& buffers,
                          int64_t stream_copies) {
  const int n_ops = static_cast<int>(graph.ops.size());
  // Flags per operator / tensor (kept per thread: plans are estimated by
  // the ten thousand during an enumeration).
  struct Scratch {
    std::vector<char> in_place, external, seen, stage_op, kernel_used;
    std::vector<int> producer;
  };
  thread_local Scratch scratch;
  // Depthwise operators whose output aliases another tensor's buffer run
  // in place (per-patch instances alias their first instance otherwise).
  std::vector<char>& in_place = scratch.in_place;
  in_place.assign(n_ops, false);
  std::vector<int>& producer = scratch.producer;
  producer.assign(graph.tensors.size(), -1);
  for (int op = 0; op < n_ops; ++op) {
    for (int t : graph.ops[op].outputs) producer[t] = op;
  }
  // Constants a tinyops plan keeps in external memory take their
  // requantization arrays with them.
  std::vector<char>& external = scratch.external;
  external.assign(graph.tensors.size(), false);
  for (const Buffer& b : buffers) {
    if (b.kind == BufferKind::kConstant && b.tensor >= 0) {
      external[b.tensor] = b.memory != Memory::kSram;
    }
    if (b.alias_of < 0 || b.tensor < 0 || producer[b.tensor] < 0) continue;
    if (buffers[b.alias_of].tensor != b.tensor) {
      in_place[producer[b.tensor]] = true;
    }
  }
  // Kernel entry points (the two depthwise kernels apart), the operators
  // that get parameter structs, straight-line calls and DMA copies.
  // kernel_used[2 * type + in_place]: entry points linked.
  std::vector<char>& kernel_used = scratch.kernel_used;
  kernel_used.clear();
  std::vector<char>& seen = scratch.seen;
  std::vector<char>& stage_op = scratch.stage_op;
  seen.assign(n_ops, false);
  stage_op.assign(n_ops, false);
  int64_t bytes = kCodeBaseBytes;
  int max_patch = -1;
  for (const Step& s : steps) {
    if (s.op < 0 || s.op >= n_ops) continue;
    if (s.kind == StepKind::kCopy) {
      bytes += kCodePerDmaCopyBytes;
      continue;
    }
    const OpType type = graph.ops[s.op].type;
    const size_t k = 2 * static_cast<size_t>(type) +
                     (type == OpType::kDepthwiseConv2D && in_place[s.op]);
    if (k >= kernel_used.size()) kernel_used.resize(k + 2, false);
    kernel_used[k] = true;
    seen[s.op] = true;
    if (s.patch >= 0) {
      stage_op[s.op] = true;
      max_patch = std::max(max_patch, s.patch);
    } else {
      bytes += kCodePerCallBytes;
    }
  }
  const int64_t copies = stream_copies;
  bool data_movement = false;
  for (size_t i = 0; i < kernel_used.size(); ++i) {
    if (!kernel_used[i]) continue;
    const int64_t k = CodeKernelBytes(static_cast<OpType>(i / 2), i % 2);
    data_movement = data_movement || k == kCodeDataMovementBytes;
    bytes += k;
  }
  if (copies > 0 && !data_movement) bytes += kCodeDataMovementBytes;
  const int64_t n_patches = max_patch + 1;
  int64_t n_stage_ops = 0;
  for (int op = 0; op < n_ops; ++op) {
    if (!seen[op]) continue;
    const graph::Operator& o = graph.ops[op];
    bytes += kCodePerOpBytes;
    if (o.type == OpType::kConv2D || o.type == OpType::kDepthwiseConv2D ||
        o.type == OpType::kFullyConnected) {
      const std::vector<int32_t>& out = graph.tensors[o.outputs[0]].shape;
      const int64_t channels = out.empty() ? 1 : out.back();
      const bool has_bias = o.inputs.size() > 2 && o.inputs[2] >= 0;
      const bool ext =
          o.inputs.size() > 1 && o.inputs[1] >= 0 && external[o.inputs[1]];
      // External constants take their requantization arrays along, but
      // FULLY_CONNECTED's per-tensor ones stay in the weights file.
      const bool internal = !ext || o.type == OpType::kFullyConnected;
      if (internal) {
        bytes += channels * (kCodePerChannelBytes + (has_bias ? 0 : 4));
      }
    }
    if (o.type == OpType::kSoftmax) bytes += 1024;  // exp table
    if (!stage_op[op]) continue;
    // Loop body, a fused PAD's parameter variant (its PAD runs no step),
    // and per patch the views of its activation inputs and output plus its
    // region.
    ++n_stage_ops;
    int views = 1;
    for (int t : o.inputs) {
      if (t < 0 || graph.tensors[t].is_constant()) continue;
      ++views;
      const int pad = producer[t];
      if (pad >= 0 && graph.ops[pad].type == OpType::kPad && !seen[pad]) {
        bytes += kCodePerOpBytes;
      }
    }
    bytes += kCodePerStageOpBytes + n_patches * (24 * views + 16);
  }
  if (copies > 0) {  // the copy table, its index per (patch, op), routine
    bytes += kStreamCopyBaseBytes + copies * kCodePerStreamCopyBytes +
             n_patches * n_stage_ops * 4;
  }
  return bytes;
}

void FinishPlan(const PlanningContext& ctx, Plan* plan,
                int64_t external_weight_bytes, int64_t code_bytes) {
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
  m.code_bytes =
      code_bytes >= 0 ? code_bytes : EstimateCodeBytes(*ctx.graph, *plan);
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
