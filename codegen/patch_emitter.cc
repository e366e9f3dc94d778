// Patch / stream-1D / stream-2D / hybrid schedules.
// - Geometry: ComputePatchGeometry (tuner/space/patch_geometry.h) with the
//   candidate's parameters, exactly as the planner computed it.
// - Steps outside the stage run whole (EmitWholeStep). Stage steps come
//   patch by patch (raster order); per patch and stage op: the kernel call
//   on the step's region (if the plan has one), then the stream work of the
//   op's output tensor T.
// - Storage of a per-patch tensor T at patch (r, c): its patch buffer holds
//   the window need_y[r] x need_x[c] (dense rows). It is assembled from
//     A  columns [need_x.lo, fresh_x) x all rows      <- column buffer
//     B  columns [fresh_x, need_x.hi) x rows [need_y.lo, fresh_y) <- line buffer
//     C  the computed region comp_y[r] x comp_x[c]    <- the kernel
//   (fresh = comp.lo, or need.hi when nothing is computed along that axis;
//   the axes are independent).
//   Loads run after the kernel (regions are disjoint), which keeps an
//   in-place depthwise kernel's input intact while it runs.
// - Saves right after assembly, before any consumer overwrites T:
//     column buffer <- columns [need_x[c+1].lo, need_x[c].hi), all rows
//     line buffer   <- rows [need_y[r+1].lo, need_y[r].hi) of comp_x[c]
//   The line buffer is full width; each column belongs to exactly one
//   comp_x[c], so a save never clobbers what a later patch of the same row
//   still has to load. The emitter tracks what each stream buffer holds
//   and fails with FAILED_PRECONDITION if a load is not covered or a save
//   exceeds a buffer: the plan's stream-buffer sizes are then wrong.
// - Fused PADs: the convolution reads the PAD's input with the padding
//   added to its own (a variant parameter struct); nothing is materialised.
#include <map>

#include "absl/strings/str_cat.h"
#include "codegen/emit_context.h"
#include "graph/analysis.h"
#include "tuner/space/patch_geometry.h"

namespace mcutune::codegen {
namespace {

using space::Buffer;
using space::BufferKind;
using space::Span;
using space::StageMode;
using space::StageTensor;

class PatchEmitter {
 public:
  explicit PatchEmitter(EmitContext& ctx)
      : ctx_(ctx), g_(ctx.graph()), plan_(ctx.plan()) {}

  absl::Status Run() {
    const space::Candidate& c = plan_.candidate;
    const space::PatchStageInfo info =
        space::AnalyzePatchStage(g_, graph::Analyze(g_));
    absl::StatusOr<space::PatchGeometry> geo = space::ComputePatchGeometry(
        g_, info, c.n_patch, c.split_idx, space::ModesOf(c),
        c.strategy == space::Strategy::kPatch);
    if (!geo.ok()) return geo.status();
    geo_ = *std::move(geo);
    for (const Buffer& b : plan_.buffers) {
      if (b.kind == BufferKind::kPatch && !patch_buf_.count(b.tensor)) {
        patch_buf_[b.tensor] = b.id;
      } else if (b.kind == BufferKind::kActivation) {
        whole_buf_[b.tensor] = b.id;
      } else if (b.kind == BufferKind::kStream) {
        const bool col = b.name.size() >= 4 &&
                         b.name.compare(b.name.size() - 4, 4, "/col") == 0;
        (col ? col_buf_ : line_buf_)[b.tensor] = b.id;
      }
    }
    const int n_steps = static_cast<int>(plan_.steps.size());
    int s = 0;
    for (; s < n_steps && plan_.steps[s].patch < 0; ++s) {
      if (absl::Status st = EmitWholeStep(ctx_, s); !st.ok()) return st;
    }
    const int n = geo_.n_patch;
    for (int p = 0; p < n * n; ++p) {
      ctx_.Line(absl::StrCat("/* patch ", p, " (", p / n, ", ", p % n, ") */"));
      for (int i = 0; i < static_cast<int>(geo_.ops.size()); ++i) {
        if (s < n_steps && plan_.steps[s].patch == p &&
            plan_.steps[s].op == geo_.ops[i].op) {
          if (absl::Status st = StageStep(s, i, p / n, p % n); !st.ok()) {
            return st;
          }
          ++s;
        }
        if (absl::Status st = Stream(i, p / n, p % n); !st.ok()) return st;
      }
    }
    for (; s < n_steps; ++s) {
      if (plan_.steps[s].patch >= 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "plan step ", s, " (op ", plan_.steps[s].op, ", patch ",
            plan_.steps[s].patch, ") is out of the patch-stage order"));
      }
      if (absl::Status st = EmitWholeStep(ctx_, s); !st.ok()) return st;
    }
    return absl::OkStatus();
  }

 private:
  const StageTensor& Tensor(int t) const {
    return geo_.tensors[geo_.TensorIndex(t)];
  }

  // The window of stage tensor `t` at patch (r, c).
  absl::StatusOr<Window> StageWindow(int t, int r, int c) const {
    const StageTensor& st = Tensor(t);
    if (st.full) {
      auto it = whole_buf_.find(t);
      if (it == whole_buf_.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("no whole buffer for stage tensor ", t));
      }
      return ctx_.WholeWindow(it->second, t);
    }
    auto it = patch_buf_.find(t);
    if (it == patch_buf_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("no patch buffer for stage tensor ", t));
    }
    Window w;
    w.ptr = ctx_.BufferPtr(it->second);
    w.y0 = st.need_y[r].lo;
    w.x0 = st.need_x[c].lo;
    w.h = st.need_y[r].size();
    w.w = st.need_x[c].size();
    w.row_stride = int64_t{w.w} * st.channels;
    if (w.h * w.row_stride > plan_.buffers[it->second].bytes) {
      return absl::FailedPreconditionError(absl::StrCat(
          "patch (", r, ", ", c, "): window of tensor ", t, " (", w.h, "x",
          w.w, "x", st.channels, ") exceeds its patch buffer of ",
          plan_.buffers[it->second].bytes, " B"));
    }
    return w;
  }

  absl::StatusOr<std::string> StageParams(int i) {
    const space::StageOp& op = geo_.ops[i];
    if (op.pad_op < 0) return ctx_.ParamsName(op.op);
    auto it = fused_.find(op.op);
    if (it != fused_.end()) return it->second;
    absl::StatusOr<const OpParams*> p = ctx_.Params(op.op);
    if (!p.ok()) return p.status();
    const graph::Tensor& pin = g_.tensors[g_.ops[op.pad_op].inputs[0]];
    const graph::Tensor& pout = g_.tensors[g_.ops[op.pad_op].outputs[0]];
    if (pin.quant.zero_point != pout.quant.zero_point) {
      return absl::UnimplementedError(absl::StrCat(
          "fused PAD (op ", op.pad_op, ") changes the zero point"));
    }
    OpParams v;
    v.kind = (*p)->kind;
    v.mode = (*p)->mode;
    v.conv = (*p)->conv;
    v.conv.in_h = op.in_h;
    v.conv.in_w = op.in_w;
    v.conv.pad_top = op.pad_top;
    v.conv.pad_left = op.pad_left;
    const std::string name =
        ctx_.DefineParams(v, absl::StrCat("f", op.op), ctx_.WeightArrays(op.op));
    fused_[op.op] = name;
    return name;
  }

  absl::Status StageStep(int s, int i, int r, int c) {
    const space::Step& step = plan_.steps[s];
    const space::StageOp& op = geo_.ops[i];
    absl::StatusOr<const OpParams*> p = ctx_.Params(op.op);
    if (!p.ok()) return p.status();
    absl::StatusOr<std::string> name = StageParams(i);
    if (!name.ok()) return name.status();
    CallSpec call;
    call.op = op.op;
    call.params = *name;
    call.context = absl::StrCat("step ", s, " patch (", r, ", ", c, ")");
    for (int t : op.inputs) {
      absl::StatusOr<Window> w = StageWindow(t, r, c);
      if (!w.ok()) return w.status();
      call.inputs.push_back(*std::move(w));
    }
    absl::StatusOr<Window> out = StageWindow(op.output, r, c);
    if (!out.ok()) return out.status();
    call.output = *std::move(out);
    call.y0 = step.output.y0;
    call.y1 = step.output.y1;
    call.x0 = step.output.x0;
    call.x1 = step.output.x1;
    const int scratch = ctx_.ScratchBuffer(s);
    if (scratch >= 0) {
      call.scratch = ctx_.BufferPtr(scratch);
      call.scratch_bytes = plan_.buffers[scratch].bytes;
    }
    if (op.type == graph::OpType::kDepthwiseConv2D &&
        !Tensor(op.inputs[0]).full && !Tensor(op.output).full &&
        patch_buf_.count(op.inputs[0]) && patch_buf_.count(op.output) &&
        plan_.buffers[patch_buf_[op.inputs[0]]].offset ==
            plan_.buffers[patch_buf_[op.output]].offset) {
      call.in_place = true;
    }
    ctx_.Line(absl::StrCat("/* step ", s, ": op ", op.op, " ",
                           graph::OpTypeName(op.type), " */"));
    return EmitKernelCall(ctx_, **p, call);
  }

  void Copy(const std::string& dst, int64_t dst_stride, const std::string& src,
            int64_t src_stride, int rows, int64_t row_bytes) {
    if (rows <= 0 || row_bytes <= 0) return;
    ++ctx_.copies;
    ctx_.Line(absl::StrCat("mcuk_copy_2d(", dst, ", ", dst_stride, ", ", src,
                           ", ", src_stride, ", ", rows, ", ", row_bytes,
                           ");"));
  }

  // Rows of `bytes` moved inside one stream buffer (regions may overlap;
  // the destination never lies after the source).
  void MoveRows(const std::string& dst, int64_t stride, const std::string& src,
                int rows, int64_t bytes) {
    if (rows <= 0 || bytes <= 0 || dst == src) return;
    ++ctx_.copies;
    ctx_.Line(absl::StrCat("{ int i; for (i = 0; i < ", rows,
                           "; ++i) memmove(", dst, " + i * ", stride, ", ",
                           src, " + i * ", stride, ", ", bytes, "); }"));
  }

  absl::Status Fail(int t, int r, int c, const std::string& what) const {
    return absl::FailedPreconditionError(absl::StrCat(
        "patch (", r, ", ", c, "), tensor ", t, " ('", g_.tensors[t].name,
        "'): ", what, " (stream buffer geometry of the plan)"));
  }

  // Loads the streamed parts of T = output of stage op i, then saves what
  // later patches need.
  absl::Status Stream(int i, int r, int c) {
    const int t = geo_.ops[i].output;
    const StageTensor& st = Tensor(t);
    if (st.full) return absl::OkStatus();
    const Span ny = st.need_y[r], nx = st.need_x[c];
    if (ny.empty() || nx.empty()) return absl::OkStatus();
    const Span cy = st.comp_y[r], cx = st.comp_x[c];
    const int fy = cy.empty() ? ny.hi : cy.lo, fx = cx.empty() ? nx.hi : cx.lo;
    const bool xs = st.mode != StageMode::kRecompute;
    const bool ys = st.mode == StageMode::kStream2D;
    const int64_t ch = st.channels;
    const int64_t pstride = int64_t{nx.size()} * ch;
    const std::string pbuf = ctx_.BufferPtr(patch_buf_[t]);
    auto pat = [&](int y, int x) {
      return absl::StrCat("(", pbuf, " + ",
                          (y - ny.lo) * pstride + (x - nx.lo) * ch, ")");
    };
    if ((!xs && fx > nx.lo) || (!ys && fy > ny.lo && fx < nx.hi)) {
      return Fail(t, r, c, "needs data its mode does not stream");
    }
    ColState& col = cols_[t];
    if (fx > nx.lo) {  // A from the column buffer
      if (!col_buf_.count(t) || col.x0 > nx.lo || col.x1 < fx ||
          col.y0 > ny.lo || col.y1 < ny.hi) {
        return Fail(t, r, c, absl::StrCat(
            "column buffer holds columns [", col.x0, ", ", col.x1, ") rows [",
            col.y0, ", ", col.y1, "), the patch needs columns [", nx.lo, ", ",
            fx, ") rows [", ny.lo, ", ", ny.hi, ")"));
      }
      const Buffer& cb = plan_.buffers[col_buf_[t]];
      const int64_t cstride = int64_t{st.col_cols} * ch;
      Copy(pat(ny.lo, nx.lo), pstride,
           ctx_.BufferPtr(cb.id, (ny.lo - col.y0) * cstride +
                                     (nx.lo - col.x0) * ch),
           cstride, ny.size(), (fx - nx.lo) * ch);
    }
    if (fy > ny.lo && fx < nx.hi) {  // B from the line buffer
      if (!line_buf_.count(t)) return Fail(t, r, c, "no line buffer");
      const Buffer& lb = plan_.buffers[line_buf_[t]];
      auto& lines = lines_[t];
      lines.resize(st.width, {-1, -1});
      const int base = lines[fx].first;
      for (int x = fx; x < nx.hi; ++x) {
        if (lines[x].first != base || base < 0 || base > ny.lo ||
            lines[x].second < fy) {
          return Fail(t, r, c, "line buffer does not hold the rows above");
        }
      }
      const int64_t lstride = int64_t{st.width} * ch;
      Copy(pat(ny.lo, fx), pstride,
           ctx_.BufferPtr(lb.id, (ny.lo - base) * lstride + fx * ch), lstride,
           fy - ny.lo, (nx.hi - fx) * ch);
    }
    const int n = geo_.n_patch;
    if (c == 0) col = {};  // a new row of patches starts streaming afresh
    if (xs && c + 1 < n && !st.need_x[c + 1].empty()) {  // right overlap
      // Columns [x0, hi): from the patch up to nx.hi, beyond it (computed by
      // an earlier patch that reached further) from the old contents.
      const int x0 = std::max(st.need_x[c + 1].lo, nx.lo);
      const bool old_rows = col.y0 == ny.lo && col.y1 == ny.hi;
      const int hi = std::max(nx.hi, old_rows ? col.x1 : nx.hi);
      const int keep = std::max(nx.hi, x0);
      if (hi > x0) {
        if (!col_buf_.count(t) || hi - x0 > st.col_cols ||
            ny.size() > st.col_rows || (keep < hi && col.x0 > keep)) {
          return Fail(t, r, c, absl::StrCat("column buffer (", st.col_cols,
                                            " cols x ", st.col_rows,
                                            " rows) cannot keep columns [",
                                            x0, ", ", hi, ") x ", ny.size(),
                                            " rows"));
        }
        const int64_t cstride = int64_t{st.col_cols} * ch;
        const int id = col_buf_[t];
        if (keep < hi) {
          MoveRows(ctx_.BufferPtr(id, (keep - x0) * ch), cstride,
                   ctx_.BufferPtr(id, (keep - col.x0) * ch), ny.size(),
                   (hi - keep) * ch);
        }
        if (x0 < nx.hi) {
          Copy(ctx_.BufferPtr(id), cstride, pat(ny.lo, x0), pstride,
               ny.size(), (nx.hi - x0) * ch);
        }
        col = {x0, hi, ny.lo, ny.hi};
      } else {
        col = {};
      }
    }
    if (ys && r + 1 < n && !st.need_y[r + 1].empty() && !cx.empty()) {
      // Rows [y0, hi) of columns comp_x[c] for the next row of patches.
      const int y0 = std::max(st.need_y[r + 1].lo, ny.lo);
      auto& lines = lines_[t];
      lines.resize(st.width, {-1, -1});
      const std::pair<int, int> old = lines[cx.lo];
      for (int x = cx.lo; x < cx.hi; ++x) {
        if (lines[x] != old) return Fail(t, r, c, "line buffer columns differ");
      }
      const int hi = std::max(ny.hi, old.first >= 0 ? old.second : ny.hi);
      const int keep = std::max(ny.hi, y0);
      if (hi > y0) {
        if (!line_buf_.count(t) || hi - y0 > st.line_rows ||
            (keep < hi && old.first > keep)) {
          return Fail(t, r, c, absl::StrCat("line buffer (", st.line_rows,
                                            " rows) cannot keep rows [", y0,
                                            ", ", hi, ")"));
        }
        const int64_t lstride = int64_t{st.width} * ch;
        const int id = line_buf_[t];
        if (keep < hi) {  // rows move up (new base >= old base): in order
          MoveRows(ctx_.BufferPtr(id, (keep - y0) * lstride + cx.lo * ch),
                   lstride,
                   ctx_.BufferPtr(id, (keep - old.first) * lstride + cx.lo * ch),
                   hi - keep, int64_t{cx.size()} * ch);
        }
        if (y0 < ny.hi) {
          Copy(ctx_.BufferPtr(id, cx.lo * ch), lstride, pat(y0, cx.lo),
               pstride, ny.hi - y0, int64_t{cx.size()} * ch);
        }
        for (int x = cx.lo; x < cx.hi; ++x) lines[x] = {y0, hi};
      }
    }
    return absl::OkStatus();
  }

  struct ColState {
    int x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  };

  EmitContext& ctx_;
  const graph::Graph& g_;
  const space::Plan& plan_;
  space::PatchGeometry geo_;
  std::map<int, int> patch_buf_, whole_buf_, col_buf_, line_buf_;
  std::map<int, std::string> fused_;
  std::map<int, ColState> cols_;
  std::map<int, std::vector<std::pair<int, int>>> lines_;  // per column
};

}  // namespace

absl::Status EmitPatchSchedule(EmitContext& ctx) {
  return PatchEmitter(ctx).Run();
}

}  // namespace mcutune::codegen
