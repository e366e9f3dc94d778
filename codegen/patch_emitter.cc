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
// - The stage is one loop over the patches, not straight-line code: every
//   call and copy above is worked out (and checked) exactly as a
//   straight-line schedule would make it, then stored in constant tables
//   indexed by the patch: per stage op the input / output views and the
//   region (a single struct when every patch has the same one; an absent
//   step is an empty region the loop skips), and one table of the stream
//   copies with their index ranges per (patch, op). Code size and compile
//   time then no longer grow with n_patch^2 (the tables do, by 64-88 B per
//   call and 28 B per copy).
#include <functional>
#include <map>
#include <utility>
#include <vector>

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
    const int n_stage = static_cast<int>(geo_.ops.size());
    calls_.assign(n_stage, std::vector<CallSpec>(n * n));
    present_.assign(n_stage, std::vector<bool>(n * n, false));
    copies_.assign(int64_t{n} * n * n_stage, {});
    for (int p = 0; p < n * n; ++p) {
      for (int i = 0; i < static_cast<int>(geo_.ops.size()); ++i) {
        if (s < n_steps && plan_.steps[s].patch == p &&
            plan_.steps[s].op == geo_.ops[i].op) {
          if (absl::Status st = StageStep(s, i, p / n, p % n); !st.ok()) {
            return st;
          }
          ++s;
        }
        cur_copies_ = &copies_[int64_t{p} * n_stage + i];
        if (absl::Status st = Stream(i, p / n, p % n); !st.ok()) return st;
      }
    }
    if (absl::Status st = EmitStageLoop(); !st.ok()) return st;
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
    // Checked here with the real windows; emitted by EmitStageLoop.
    absl::StatusOr<KernelCallText> text = MakeKernelCallText(**p, call);
    if (!text.ok()) return text.status();
    if (text->is_call) ++ctx_.kernel_calls;
    const int patch = r * geo_.n_patch + c;
    calls_[i][patch] = std::move(call);
    present_[i][patch] = true;
    return absl::OkStatus();
  }

  // One row of the copy table: rows x bytes from src to dst; `move`: rows
  // moved inside one stream buffer (may overlap; the destination never lies
  // after the source), one memmove per row.
  struct CopyRec {
    std::string dst, src;
    int64_t dst_stride = 0, src_stride = 0;
    int rows = 0;
    int64_t bytes = 0;
    bool move = false;
  };

  void Copy(const std::string& dst, int64_t dst_stride, const std::string& src,
            int64_t src_stride, int rows, int64_t row_bytes) {
    if (rows <= 0 || row_bytes <= 0) return;
    ++ctx_.copies;
    cur_copies_->push_back(
        {dst, src, dst_stride, src_stride, rows, row_bytes, false});
  }

  void MoveRows(const std::string& dst, int64_t stride, const std::string& src,
                int rows, int64_t bytes) {
    if (rows <= 0 || bytes <= 0 || dst == src) return;
    ++ctx_.copies;
    cur_copies_->push_back({dst, src, stride, stride, rows, bytes, true});
  }

  static bool SameWindow(const Window& a, const Window& b) {
    return a.ptr == b.ptr && a.y0 == b.y0 && a.x0 == b.x0 && a.h == b.h &&
           a.w == b.w && a.row_stride == b.row_stride;
  }

  static std::string WindowInit(const Window& w, bool is_const) {
    if (w.ptr.empty()) return "{NULL, 0, 0, 0, 0, 0}";
    return absl::StrCat("{(", is_const ? "const " : "", "int8_t*)", w.ptr, ", ",
                        w.y0, ", ", w.x0, ", ", w.h, ", ", w.w, ", ",
                        w.row_stride, "}");
  }

  // A window table (or one struct when every present patch has the same
  // window) of stage op `i`; returns the C expression of patch `p`'s entry.
  std::string WindowTable(int i, const std::string& name, bool is_const,
                          const std::function<const Window&(int)>& window) {
    const int np = static_cast<int>(present_[i].size());
    const char* type = is_const ? "mcuk_cview" : "mcuk_view";
    int first = -1;
    bool same = true;
    for (int p = 0; p < np; ++p) {
      if (!present_[i][p]) continue;
      if (first < 0) first = p;
      same = same && SameWindow(window(first), window(p));
    }
    std::string d;
    if (same) {
      absl::StrAppend(&d, "static const ", type, " ", name, " = ",
                      WindowInit(window(first), is_const), ";\n");
      ctx_.Decl(d);
      return "&" + name;
    }
    absl::StrAppend(&d, "static const ", type, " ", name, "[", np, "] = {\n");
    static const Window kNone;
    for (int p = 0; p < np; ++p) {
      absl::StrAppend(&d, "  ",
                      WindowInit(present_[i][p] ? window(p) : kNone, is_const),
                      ",\n");
    }
    d += "};\n";
    ctx_.Decl(d);
    return absl::StrCat("&", name, "[p]");
  }

  // The patch loop: tables of stage op calls and stream copies (see the
  // file comment), then for (p) { per op: call; copies }.
  absl::Status EmitStageLoop() {
    const std::string& P = ctx_.prefix();
    const int n_stage = static_cast<int>(geo_.ops.size());
    const int np = geo_.n_patch * geo_.n_patch;
    std::vector<std::string> body;
    std::vector<bool> has_copies(n_stage, false);
    int64_t n_copies = 0;
    for (int64_t k = 0; k < static_cast<int64_t>(copies_.size()); ++k) {
      if (!copies_[k].empty()) has_copies[k % n_stage] = true;
      n_copies += static_cast<int64_t>(copies_[k].size());
    }
    for (int i = 0; i < n_stage; ++i) {
      int first = -1;
      bool all = true;
      for (int p = 0; p < np; ++p) {
        if (present_[i][p] && first < 0) first = p;
        all = all && present_[i][p];
      }
      if (first >= 0) {
        const std::string base = absl::StrCat(P, "_s", i);
        CallSpec call = calls_[i][first];
        for (size_t j = 0; j < call.inputs.size(); ++j) {
          auto input = [&, j](int p) -> const Window& {
            return calls_[i][p].inputs[j];
          };
          call.input_refs.push_back(
              WindowTable(i, absl::StrCat(base, "_in", j), true, input));
        }
        call.output_ref = WindowTable(
            i, base + "_out", false,
            [&](int p) -> const Window& { return calls_[i][p].output; });
        // Regions: a table whenever they differ or some patch skips the op.
        bool same = all;
        for (int p = 0; p < np && same; ++p) {
          const CallSpec& a = calls_[i][first];
          const CallSpec& b = calls_[i][p];
          same = a.y0 == b.y0 && a.y1 == b.y1 && a.x0 == b.x0 && a.x1 == b.x1;
        }
        std::string d = absl::StrCat("static const mcuk_region ", base, "_reg",
                                     same ? "" : absl::StrCat("[", np, "]"),
                                     " = ", same ? "" : "{\n");
        for (int p = 0; p < np; ++p) {
          if (same && p != first) continue;
          const CallSpec& c = calls_[i][p];
          const bool on = present_[i][p];
          absl::StrAppend(&d, same ? "" : "  ", "{", on ? c.y0 : 0, ", ",
                          on ? c.y1 : 0, ", ", on ? c.x0 : 0, ", ",
                          on ? c.x1 : 0, "}", same ? ";\n" : ",\n");
        }
        if (!same) d += "};\n";
        ctx_.Decl(d);
        call.region_ref = absl::StrCat("&", base, "_reg", same ? "" : "[p]");
        absl::StatusOr<const OpParams*> params = ctx_.Params(geo_.ops[i].op);
        if (!params.ok()) return params.status();
        absl::StatusOr<KernelCallText> text =
            MakeKernelCallText(**params, call);
        if (!text.ok()) return text.status();
        const std::string guard =
            all ? ""
                : absl::StrCat("if (", base, "_reg[p].y1 > ", base,
                               "_reg[p].y0) ");
        body.push_back(absl::StrCat("/* op ", geo_.ops[i].op, " ",
                                    graph::OpTypeName(geo_.ops[i].type),
                                    " */"));
        for (const std::string& line : text->lines) {
          body.push_back(guard + line);
        }
      }
      if (has_copies[i]) {
        body.push_back(absl::StrCat(
            P, "_run_copies(", P, "_copy_at[p * ", n_stage, " + ", i, "], ", P,
            "_copy_at[p * ", n_stage, " + ", i + 1, "]);"));
      }
    }
    if (n_copies > 0) EmitCopyTable(n_copies);
    ctx_.Line(absl::StrCat("{ /* the patch stage: ", np,
                           " patches, raster order */"));
    ctx_.Line(absl::StrCat("  int p;"));
    ctx_.Line(absl::StrCat("  for (p = 0; p < ", np, "; ++p) {"));
    for (const std::string& line : body) ctx_.Line("    " + line);
    ctx_.Line("  }");
    ctx_.Line("}");
    return absl::OkStatus();
  }

  // The stream copies in (patch, op) order, their index ranges and the
  // function that runs a range.
  void EmitCopyTable(int64_t n_copies) {
    const std::string& P = ctx_.prefix();
    const char* index = n_copies < 65536 ? "uint16_t" : "uint32_t";
    std::string d = absl::StrCat(
        "typedef struct {\n  int8_t* dst;\n  const int8_t* src;\n"
        "  int32_t dst_stride, src_stride, rows, bytes, move;\n} ",
        P, "_copy_rec;\nstatic const ", P, "_copy_rec ", P, "_copies[",
        n_copies, "] = {\n");
    std::string at = absl::StrCat("static const ", index, " ", P, "_copy_at[",
                                  copies_.size() + 1, "] = {");
    int64_t k = 0;
    for (size_t i = 0; i < copies_.size(); ++i) {
      absl::StrAppend(&at, k, i % 16 == 15 ? ",\n  " : ", ");
      for (const CopyRec& c : copies_[i]) {
        absl::StrAppend(&d, "  {(int8_t*)", c.dst, ", (const int8_t*)", c.src,
                        ", ", c.dst_stride, ", ", c.src_stride, ", ", c.rows,
                        ", ", c.bytes, ", ", c.move ? 1 : 0, "},\n");
        ++k;
      }
    }
    absl::StrAppend(&at, k, "};\n");
    absl::StrAppend(
        &d, "};\n", at, "static void ", P,
        "_run_copies(int k, int end) {\n  for (; k < end; ++k) {\n"
        "    const ", P, "_copy_rec* c = &", P, "_copies[k];\n"
        "    if (c->move) {\n      int32_t i;\n"
        "      for (i = 0; i < c->rows; ++i) {\n"
        "        memmove(c->dst + i * c->dst_stride, c->src + i * "
        "c->src_stride,\n                (size_t)c->bytes);\n      }\n"
        "    } else {\n      mcuk_copy_2d(c->dst, c->dst_stride, c->src, "
        "c->src_stride, c->rows,\n                   c->bytes);\n    }\n"
        "  }\n}\n");
    ctx_.Decl(d);
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
  // The stage's calls per [stage op][patch], which are present, and the
  // copies per patch * n_stage + op (cur_copies_: the current one).
  std::vector<std::vector<CallSpec>> calls_;
  std::vector<std::vector<bool>> present_;
  std::vector<std::vector<CopyRec>> copies_;
  std::vector<CopyRec>* cur_copies_ = nullptr;
};

}  // namespace

absl::Status EmitPatchSchedule(EmitContext& ctx) {
  return PatchEmitter(ctx).Run();
}

}  // namespace mcutune::codegen
