// TinyOps schedules: activations in external RAM, constants in an external
// image, H-partitioned kernel calls on ping-pong SRAM buffers.
// - Constants image: every kConstant buffer of the plan at its offset, with
//   kernel-ready contents: filters as stored, biases folded (bias - zp_in *
//   sum(w), from MakeOpParams of the op that copies them), "opN.qparams" =
//   per-channel scale (single rounding) or multiplier, then shift.
// - kCopy steps become mcuk_dma_copy on the channel of the destination
//   (0..3 the DMA buffers A0 A1 B0 B1, 4 the overlays); the emitter tracks
//   which tensor rows each DMA buffer holds.
// - Kernel steps wait for the channels they read, then call the kernel on
//   a view of the DMA buffer (rows [y0, y1) of the input, full width) with
//   an op-specific parameter struct whose filter / bias / requantization
//   pointers are the SRAM overlays the plan filled (or the external image
//   when the filter is streamed). The output goes straight to external RAM.
// - Reductions over H (MEAN, pooling with one output row): every step folds
//   the rows its DMA buffer holds into the op's scratch accumulator
//   (mcuk_*_rows, the first step starts it), the completing step then writes
//   the output (mcuk_*_finish); the input never leaves the DMA buffers.
#include <cstring>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "codegen/emit_context.h"
#include "tuner/space/tinyops_partition.h"

namespace mcutune::codegen {
namespace {

using space::Buffer;
using space::BufferKind;
using space::Memory;
using space::Step;
using space::StepKind;

struct Held {
  int tensor = -1;
  int y0 = 0, y1 = 0;
};

int64_t RowBytes(const graph::Tensor& t) {
  return t.shape.size() == 4 ? int64_t{t.shape[2]} * t.shape[3] : t.bytes();
}

class TinyOpsEmitter {
 public:
  explicit TinyOpsEmitter(EmitContext& ctx)
      : ctx_(ctx), g_(ctx.graph()), plan_(ctx.plan()) {}

  absl::Status Run() {
    ctx_.uses_dma = true;
    if (absl::Status s = BuildImage(); !s.ok()) return s;
    for (int s = 0; s < static_cast<int>(plan_.steps.size()); ++s) {
      const Step& step = plan_.steps[s];
      absl::Status st = step.kind == StepKind::kCopy ? Copy(s) : Kernel(s);
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  }

 private:
  int Channel(int id) const {
    const Buffer& b = plan_.buffers[id];
    if (b.alias_of >= 0) return Channel(b.alias_of);
    if (b.kind == BufferKind::kDma && b.name.size() == 6) {  // "dma.a0"
      return (b.name[4] == 'b' ? 2 : 0) + (b.name[5] - '0');
    }
    return 4;
  }

  int BiasTensor(int op) const {
    const graph::Operator& o = g_.ops[op];
    return o.inputs.size() > 2 ? o.inputs[2] : -1;
  }

  // Writes `bytes` at plan buffer `id`'s offset into the image.
  absl::Status Put(int id, const void* data, size_t bytes) {
    const Buffer& b = plan_.buffers[id];
    if (static_cast<int64_t>(bytes) > b.bytes) {
      return absl::InternalError(absl::StrCat("constant ", b.name, " too big"));
    }
    const int64_t at = b.offset - ctx_.const_image_base;
    std::vector<int8_t>& img = ctx_.const_image;
    if (written_.count(id) &&
        std::memcmp(img.data() + at, data, bytes) != 0) {
      return absl::UnimplementedError(absl::StrCat(
          "tinyops: constant buffer ", b.name,
          " is shared by operators that fold it differently"));
    }
    std::memcpy(img.data() + at, data, bytes);
    written_.insert(id);
    return absl::OkStatus();
  }

  absl::Status BuildImage() {
    int64_t lo = -1, hi = 0;
    for (const Buffer& b : plan_.buffers) {
      if (b.kind != BufferKind::kConstant) continue;
      lo = lo < 0 ? b.offset : std::min(lo, b.offset);
      hi = std::max(hi, b.offset + b.bytes);
      ctx_.const_image_in_ram = b.memory == Memory::kExtRam;
    }
    if (lo < 0) return absl::OkStatus();
    ctx_.const_image_base = lo;
    ctx_.const_image.assign(hi - lo, 0);
    for (const Buffer& b : plan_.buffers) {  // raw graph data first
      if (b.kind != BufferKind::kConstant || b.tensor < 0) continue;
      const std::vector<uint8_t>& d = g_.data(b.tensor);
      std::memcpy(ctx_.const_image.data() + (b.offset - lo), d.data(),
                  std::min<size_t>(d.size(), b.bytes));
    }
    // Filters the kernels read in another layout than the graph's (paired
    // pointwise filters, same size).
    for (int op = 0; op < static_cast<int>(g_.ops.size()); ++op) {
      const graph::Operator& o = g_.ops[op];
      if (o.type != graph::OpType::kConv2D || o.inputs.size() < 2) continue;
      absl::StatusOr<const OpParams*> p = ctx_.Params(op);
      if (!p.ok() || (*p)->conv.filter_layout == MCUK_FILTER_OHWI) continue;
      for (const Buffer& b : plan_.buffers) {
        if (b.kind != BufferKind::kConstant || b.tensor != o.inputs[1]) continue;
        if (absl::Status s = Put(b.id, (*p)->weights.data(),
                                 (*p)->weights.size());
            !s.ok()) {
          return s;
        }
      }
    }
    // Folded biases and requantization arrays, by the op that copies them.
    for (const Step& st : plan_.steps) {
      if (st.kind != StepKind::kCopy) continue;
      const int src = st.reads[0];
      const Buffer& b = plan_.buffers[src];
      if (b.kind != BufferKind::kConstant) continue;
      absl::StatusOr<const OpParams*> p = ctx_.Params(st.op);
      if (!p.ok()) return p.status();
      const OpParams& q = **p;
      const bool single = q.mode == graph::RequantMode::kSingleRounding;
      if (b.tensor < 0) {  // opN.qparams
        const size_t n = q.scale.size() * 4;
        std::vector<int8_t> v(2 * n);
        std::memcpy(v.data(), single ? static_cast<const void*>(q.scale.data())
                                     : q.multiplier.data(),
                    n);
        if (!single) std::memcpy(v.data() + n, q.shift.data(), n);
        if (absl::Status s = Put(src, v.data(), v.size()); !s.ok()) return s;
      } else if (b.tensor == BiasTensor(st.op)) {
        if (absl::Status s = Put(src, q.bias.data(), q.bias.size() * 4);
            !s.ok()) {
          return s;
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status Copy(int s) {
    const Step& st = plan_.steps[s];
    const int src = st.reads.at(0), dst = st.writes.at(0);
    const Buffer& sb = plan_.buffers[src];
    const Buffer& db = plan_.buffers[dst];
    int64_t from = 0, bytes = sb.bytes;
    if (sb.kind == BufferKind::kActivation) {
      // Rows as the partitioner counts them for this op (a whole-tensor
      // input such as FULLY_CONNECTED's is one row of all its bytes).
      int64_t rb = RowBytes(g_.tensors[sb.tensor]);
      for (const space::TinyInput& in :
           space::DescribeTinyOp(g_, st.op).inputs) {
        if (in.tensor == sb.tensor) rb = in.row_bytes;
      }
      from = st.output.y0 * rb;
      bytes = int64_t{st.output.y1 - st.output.y0} * rb;
      held_[dst] = {sb.tensor, st.output.y0, st.output.y1};
    } else if (sb.tensor < 0) {  // qparams: scale|multiplier, then shift
      bytes = sb.bytes / 2;
      if (absl::EndsWith(db.name, "qshift")) from = bytes;
    }
    if (bytes > db.bytes) {
      return absl::FailedPreconditionError(absl::StrCat(
          "step ", s, ": copy of ", bytes, " B into ", db.name, " (",
          db.bytes, " B)"));
    }
    ++ctx_.copies;
    ctx_.Line(absl::StrCat("mcuk_dma_copy(", Channel(dst), ", ",
                           ctx_.BufferPtr(dst), ", ", ctx_.BufferPtr(src, from),
                           ", ", bytes, "u);"));
    return absl::OkStatus();
  }

  // The op's parameter struct with pointers into the overlays it reads.
  absl::StatusOr<std::string> OpParamsName(int op, const Step& st,
                                           const OpParams& p) {
    auto it = names_.find(op);
    if (it != names_.end()) return it->second;
    ParamArrays a = ctx_.WeightArrays(op);
    const graph::Operator& o = g_.ops[op];
    for (int id : st.reads) {
      const Buffer& b = plan_.buffers[id];
      const std::string ptr = ctx_.BufferPtr(id);
      if (b.kind == BufferKind::kOverlay && absl::EndsWith(b.name, ".filter")) {
        a.weights = absl::StrCat("(const int8_t*)", ptr);
      } else if (b.kind == BufferKind::kConstant && o.inputs.size() > 1 &&
                 b.tensor == o.inputs[1]) {
        a.weights = absl::StrCat("(const int8_t*)", ptr);  // streamed
      } else if (b.name == "overlay.bias") {
        a.bias = absl::StrCat("(const int32_t*)", ptr);
      } else if (b.name == "overlay.qmul") {
        if (p.mode == graph::RequantMode::kSingleRounding) {
          a.scale = absl::StrCat("(const float*)", ptr);
        } else {
          a.multiplier = absl::StrCat("(const int32_t*)", ptr);
        }
      } else if (b.name == "overlay.qshift" &&
                 p.mode == graph::RequantMode::kDoubleRounding) {
        a.shift = absl::StrCat("(const int32_t*)", ptr);
      }
    }
    const std::string name = ctx_.DefineParams(p, absl::StrCat("t", op), a);
    names_[op] = name;
    return name;
  }

  // One step of a reduction over H: fold the held rows into the scratch
  // accumulator; the completing step (output rows non-empty) also finishes.
  absl::Status Reduce(int s, const OpParams& p, const std::string& name,
                      bool partial) {
    const Step& st = plan_.steps[s];
    const graph::Operator& o = g_.ops[st.op];
    int dma = -1, scratch = -1;
    for (int id : st.reads) {
      const Buffer& b = plan_.buffers[id];
      auto h = held_.find(id);
      if (b.kind == BufferKind::kDma && h != held_.end() &&
          h->second.tensor == o.inputs[0]) {
        dma = id;
      }
      if (b.kind == BufferKind::kScratch) scratch = id;
    }
    const char* fn = p.kind == KernelKind::kMean          ? "mcuk_mean_hw"
                     : p.kind == KernelKind::kAveragePool ? "mcuk_avg_pool"
                     : p.kind == KernelKind::kMaxPool     ? "mcuk_max_pool"
                                                          : nullptr;
    const int64_t need = int64_t{p.out.w} * p.out.c *
                         (p.kind == KernelKind::kMaxPool ? 1 : 4);
    if (fn == nullptr || dma < 0 || scratch < 0 ||
        plan_.buffers[scratch].bytes < need) {
      return absl::FailedPreconditionError(absl::StrCat(
          "step ", s, ": reduction over H of op ", st.op,
          " without a held input block or an accumulator of ", need, " B"));
    }
    const Held& h = held_[dma];
    Window in = ctx_.WholeWindow(dma, o.inputs[0]);
    in.y0 = h.y0;
    in.h = h.y1 - h.y0;
    const std::string acc =
        absl::StrCat("(", p.kind == KernelKind::kMaxPool ? "int8_t" : "int32_t",
                     "*)", ctx_.BufferPtr(scratch));
    const bool first = started_.insert(st.op).second;
    ++ctx_.kernel_calls;
    ctx_.Line(absl::StrCat("{ ", fn, "_rows(&", name, ", ",
                           EmitContext::CView(in), ", ", h.y0, ", ", h.y1,
                           ", ", first ? 1 : 0, ", ", acc, "); }"));
    if (partial) return absl::OkStatus();
    const int out = ctx_.TensorBuffer(st, o.outputs[0]);
    if (out < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("step ", s, ": no output buffer"));
    }
    const Window w = ctx_.WholeWindow(out, o.outputs[0]);
    ctx_.Line(absl::StrCat("{ ", fn, "_finish(&", name, ", ", acc, ", ",
                           p.kind == KernelKind::kMean ? w.ptr
                                                       : EmitContext::View(w),
                           "); }"));
    return absl::OkStatus();
  }

  absl::Status Kernel(int s) {
    const Step& st = plan_.steps[s];
    const graph::Operator& o = g_.ops[st.op];
    absl::StatusOr<const OpParams*> pp = ctx_.Params(st.op);
    if (!pp.ok()) return pp.status();
    const OpParams& p = **pp;
    const bool partial = st.output.y1 <= st.output.y0;
    std::string waits;
    for (int id : st.reads) {
      if (plan_.buffers[id].memory == Memory::kSram) {
        const std::string w = absl::StrCat("mcuk_dma_wait(", Channel(id), ");");
        if (waits.find(w) == std::string::npos) waits += w + " ";
      }
    }
    if (!waits.empty()) ctx_.Line(waits);
    ctx_.Line(absl::StrCat("/* step ", s, ": op ", st.op, " ",
                           graph::OpTypeName(o.type), " rows [",
                           st.output.y0, ", ", st.output.y1, ") */"));
    absl::StatusOr<std::string> name = OpParamsName(st.op, st, p);
    if (!name.ok()) return name.status();
    if (space::DescribeTinyOp(g_, st.op).mode == space::TinyMode::kReduce) {
      return Reduce(s, p, *name, partial);
    }
    if (partial) {
      return absl::InternalError(absl::StrCat("step ", s, ": no output rows"));
    }
    CallSpec call;
    call.op = st.op;
    call.params = *name;
    call.context = absl::StrCat("step ", s);
    for (int t : o.inputs) {
      if (t < 0 || g_.tensors[t].is_constant()) continue;
      int dma = -1;
      for (int id : st.reads) {
        auto h = held_.find(id);
        if (h != held_.end() && h->second.tensor == t &&
            plan_.buffers[id].kind == BufferKind::kDma) {
          dma = id;
        }
      }
      if (dma >= 0) {
        const Held& h = held_[dma];
        Window w = ctx_.WholeWindow(dma, t);
        if (g_.tensors[t].shape.size() == 4) {
          w.y0 = h.y0;
          w.h = h.y1 - h.y0;
        }
        call.inputs.push_back(w);
        continue;
      }
      int ext = -1;
      for (const Buffer& b : plan_.buffers) {
        if (b.tensor == t && b.kind == BufferKind::kActivation) ext = b.id;
      }
      if (ext < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(call.context, ": no buffer for tensor ", t));
      }
      call.inputs.push_back(ctx_.WholeWindow(ext, t));
    }
    const int out = ctx_.TensorBuffer(st, o.outputs[0]);
    if (out < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(call.context, ": no output buffer"));
    }
    call.output = ctx_.WholeWindow(out, o.outputs[0]);
    call.y0 = st.output.y0;
    call.y1 = st.output.y1;
    call.x0 = 0;
    call.x1 = p.out.w;
    for (int id : st.reads) {
      if (plan_.buffers[id].kind == BufferKind::kScratch) {
        call.scratch = ctx_.BufferPtr(id);
        call.scratch_bytes = plan_.buffers[id].bytes;
      }
    }
    if (p.kind == KernelKind::kSoftmax &&
        (call.y0 != 0 || call.y1 != p.out.h)) {
      // Rows of a softmax: a struct with that many rows, pointers offset.
      OpParams rows;
      rows.kind = p.kind;
      rows.softmax = p.softmax;
      rows.softmax.rows = (call.y1 - call.y0) * p.out.w;
      const std::string n = ctx_.DefineParams(
          rows, ctx_.Unique(absl::StrCat("t", st.op, "_rows")),
          ctx_.WeightArrays(st.op));
      const int64_t row_bytes = int64_t{p.out.w} * p.out.c;
      const Window& in = call.inputs[0];
      ++ctx_.kernel_calls;
      ctx_.Line(absl::StrCat(
          "mcuk_softmax(&", n, ", ", in.ptr, " + ",
          (call.y0 - in.y0) * row_bytes, ", ", call.output.ptr, " + ",
          call.y0 * row_bytes, ");"));
      return absl::OkStatus();
    }
    return EmitKernelCall(ctx_, p, call);
  }

  EmitContext& ctx_;
  const graph::Graph& g_;
  const space::Plan& plan_;
  std::map<int, Held> held_;  // DMA buffer -> rows it holds
  std::map<int, std::string> names_;
  std::set<int> written_;
  std::set<int> started_;  // reductions whose accumulator is started
};

}  // namespace

absl::Status EmitTinyOpsSchedule(EmitContext& ctx) {
  return TinyOpsEmitter(ctx).Run();
}

}  // namespace mcutune::codegen
