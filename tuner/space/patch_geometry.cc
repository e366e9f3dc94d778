// Patch-stage geometry.
// - AnalyzePatchStage walks the operators in execution order: operators
//   before the first counted one form a prologue (run layer-wise); from the
//   first counted operator on, CONV_2D / DEPTHWISE_CONV_2D / ADD (4-D, batch
//   1, no dilation) join the stage-capable list, a PAD whose only consumer
//   is the next convolution is fused into it, anything else ends the list.
// - A split is valid when operators follow the stage and every tensor the
//   stage hands to them (or to the graph outputs) has one spatial size.
// - ComputePatchGeometry runs, per axis and patch index t (raster order
//   makes the axes independent), a backward pass over the stage ops:
//   need(T) = hull of the input windows of T's consumers' computed spans,
//   computed(T) = need(T) minus what earlier patches computed when the axis
//   streams for T. Buffer sizes follow from the spans (header).
// - Uniform sizes trace each patch's grain back through the kernels exactly
//   as PATCH_BASED.md's receptive field: s = 1: g + k - 1, else (g-1)s + k.
#include "tuner/space/patch_geometry.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "graph/op_shape_checks.h"

namespace mcutune::space {
namespace {

using graph::Graph;
using graph::OpType;

bool IsCounted(OpType t) {
  return t == OpType::kConv2D || t == OpType::kDepthwiseConv2D ||
         t == OpType::kAdd;
}

bool IsBatch1Image(const graph::Tensor& t) {
  return t.shape.size() == 4 && t.shape[0] == 1 &&
         t.type == graph::DataType::kInt8 && !t.is_constant();
}

// The spatial (top, left) padding of a PAD that can be fused into the
// convolution `next`, or false.
bool FusablePad(const Graph& g, int pad, int next,
                const std::vector<std::vector<int>>& consumers, int* top,
                int* left) {
  const graph::Operator& p = g.ops[pad];
  if (next >= static_cast<int>(g.ops.size())) return false;
  const graph::Operator& c = g.ops[next];
  if (c.type != OpType::kConv2D && c.type != OpType::kDepthwiseConv2D) {
    return false;
  }
  const int out = p.outputs[0];
  if (c.inputs[0] != out || consumers[out] != std::vector<int>{next}) {
    return false;
  }
  for (int o : g.outputs) {
    if (o == out) return false;
  }
  if (p.inputs.size() < 2 || !IsBatch1Image(g.tensors[p.inputs[0]])) {
    return false;
  }
  const graph::Tensor& pads = g.tensors[p.inputs[1]];
  if (pads.type != graph::DataType::kInt32 || pads.num_elements() != 8) {
    return false;
  }
  const std::vector<uint8_t>& bytes = g.data(p.inputs[1]);
  if (bytes.size() != 32) return false;
  int32_t v[8];
  for (int i = 0; i < 8; ++i) {
    v[i] = static_cast<int32_t>(bytes[4 * i] | (bytes[4 * i + 1] << 8) |
                                (bytes[4 * i + 2] << 16) |
                                (uint32_t{bytes[4 * i + 3]} << 24));
    if (v[i] < 0) return false;
  }
  if (v[0] || v[1] || v[6] || v[7]) return false;  // batch / channel pads
  *top = v[2];
  *left = v[4];
  return true;
}

bool MakeStageOp(const Graph& g, const graph::Analysis& a, int op, int pad_op,
                 int pad_top, int pad_left, StageOp* s) {
  const graph::Operator& o = g.ops[op];
  const graph::Tensor& out = g.tensors[o.outputs[0]];
  if (!IsBatch1Image(out)) return false;
  s->op = op;
  s->pad_op = pad_op;
  s->type = o.type;
  s->output = o.outputs[0];
  s->out_h = out.shape[1];
  s->out_w = out.shape[2];
  s->out_c = out.shape[3];
  if (o.type == OpType::kAdd) {
    for (int t : o.inputs) {
      if (t < 0 || !IsBatch1Image(g.tensors[t]) ||
          g.tensors[t].shape != out.shape) {
        return false;
      }
      s->inputs.push_back(t);
    }
    s->in_h = s->out_h;
    s->in_w = s->out_w;
  } else {
    const graph::OpOptions& opt = o.options;
    if (opt.dilation_h != 1 || opt.dilation_w != 1) return false;
    const int in = pad_op >= 0 ? g.ops[pad_op].inputs[0] : o.inputs[0];
    const graph::Tensor& conv_in = g.tensors[o.inputs[0]];
    if (!IsBatch1Image(g.tensors[in]) || !IsBatch1Image(conv_in)) return false;
    const graph::Tensor& filter = g.tensors[o.inputs[1]];
    s->inputs = {in};
    s->kernel_h = filter.shape[1];
    s->kernel_w = filter.shape[2];
    s->stride_h = opt.stride_h;
    s->stride_w = opt.stride_w;
    s->in_h = g.tensors[in].shape[1];
    s->in_w = g.tensors[in].shape[2];
    s->pad_top =
        pad_top + graph::WindowPaddingBefore(conv_in.shape[1], s->kernel_h,
                                             s->stride_h, 1, opt.padding);
    s->pad_left =
        pad_left + graph::WindowPaddingBefore(conv_in.shape[2], s->kernel_w,
                                              s->stride_w, 1, opt.padding);
  }
  const int64_t pixels = int64_t{s->out_h} * s->out_w;
  s->macs_per_pixel = pixels > 0 ? a.ops[op].macs / pixels : 0;
  return true;
}

Span Hull(Span a, Span b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}

// Input rows read by output rows `out` of a window op, clipped to the image.
Span InputSpan(Span out, int k, int s, int pad, int in_size) {
  if (out.empty()) return {};
  const int lo = out.lo * s - pad;
  const int hi = (out.hi - 1) * s - pad + k;
  return {std::max(lo, 0), std::min(hi, in_size)};
}

std::vector<Span> Tiles(int out, int n) {
  std::vector<Span> tiles(n);
  const int g = out / n;
  for (int t = 0; t < n; ++t) {
    tiles[t] = {t * g, t == n - 1 ? out : (t + 1) * g};
  }
  return tiles;
}

// Per-tensor uniform sizes for a stage-output grain along one axis; fills
// the uniform output size of every op. Returns the size of tensors[0].
int TraceUniform(const PatchGeometry& geo, int grain, bool x,
                 std::vector<int>* op_sizes) {
  std::vector<int> size(geo.tensors.size(), 0);
  for (size_t i = 0; i < geo.tensors.size(); ++i) {
    if (geo.tensors[i].full && geo.tensors[i].producer >= 0) size[i] = grain;
  }
  op_sizes->assign(geo.ops.size(), 0);
  for (int i = static_cast<int>(geo.ops.size()) - 1; i >= 0; --i) {
    const StageOp& op = geo.ops[i];
    const int o = size[geo.op_tensor[i]];
    (*op_sizes)[i] = o;
    const int k = x ? op.kernel_w : op.kernel_h;
    const int s = x ? op.stride_w : op.stride_h;
    const int in = o <= 0 ? 0 : (o - 1) * s + k;
    for (int t : op.inputs) {
      const int ti = geo.TensorIndex(t);
      size[ti] = std::max(size[ti], in);
    }
  }
  return size.empty() ? 0 : size[0];
}

// Need / computed spans of every tensor along one axis.
void PropagateAxis(PatchGeometry* geo, bool x) {
  const int n = geo->n_patch;
  const std::vector<Span>& tiles = x ? geo->tile_x : geo->tile_y;
  for (StageTensor& t : geo->tensors) {
    (x ? t.need_x : t.need_y).assign(n, Span{});
    (x ? t.comp_x : t.comp_y).assign(n, Span{});
  }
  std::vector<int> done(geo->tensors.size(), INT_MIN);
  for (int p = 0; p < n; ++p) {
    for (StageTensor& t : geo->tensors) {
      if (t.full && t.producer >= 0) (x ? t.need_x : t.need_y)[p] = tiles[p];
    }
    for (int i = static_cast<int>(geo->ops.size()) - 1; i >= 0; --i) {
      const StageOp& op = geo->ops[i];
      const int ti = geo->op_tensor[i];
      StageTensor& t = geo->tensors[ti];
      const Span need = (x ? t.need_x : t.need_y)[p];
      const bool streams = t.full || t.mode == StageMode::kStream2D ||
                           (x && t.mode == StageMode::kStream1D);
      Span comp = need;
      if (streams && done[ti] != INT_MIN) {
        comp.lo = std::max(need.lo, done[ti]);
      }
      if (comp.empty()) comp = {};
      (x ? t.comp_x : t.comp_y)[p] = comp;
      if (comp.empty()) continue;
      done[ti] = std::max(done[ti], comp.hi);
      const Span in = InputSpan(
          comp, x ? op.kernel_w : op.kernel_h, x ? op.stride_w : op.stride_h,
          x ? op.pad_left : op.pad_top, x ? op.in_w : op.in_h);
      for (int input : op.inputs) {
        StageTensor& it = geo->tensors[geo->TensorIndex(input)];
        Span& slot = (x ? it.need_x : it.need_y)[p];
        slot = Hull(slot, in);
      }
    }
  }
}

// Largest span a stream buffer must carry from patch t to later patches:
// of what is computed by the end of patch t, everything from the lowest
// start any later patch needs up to the highest end it needs.
int MaxRetained(const std::vector<Span>& need, const std::vector<Span>& comp) {
  const int n = static_cast<int>(need.size());
  int best = 0, done = INT_MIN;
  for (int t = 0; t + 1 < n; ++t) {
    if (!comp[t].empty()) done = std::max(done, comp[t].hi);
    if (done == INT_MIN) continue;
    int lo = INT_MAX, hi = INT_MIN;
    for (int u = t + 1; u < n; ++u) {
      if (need[u].empty()) continue;
      lo = std::min(lo, need[u].lo);
      hi = std::max(hi, need[u].hi);
    }
    if (lo != INT_MAX) best = std::max(best, std::min(done, hi) - lo);
  }
  return best;
}

int MaxSize(const std::vector<Span>& spans) {
  int best = 0;
  for (const Span& s : spans) best = std::max(best, s.size());
  return best;
}

}  // namespace

bool PatchStageInfo::IsValidSplit(int split_idx) const {
  return std::binary_search(splits.begin(), splits.end(), split_idx);
}

PatchStageInfo AnalyzePatchStage(const Graph& g, const graph::Analysis& a) {
  PatchStageInfo info;
  const int n_ops = static_cast<int>(g.ops.size());
  info.consumers = graph::ConsumersOf(g);
  const std::vector<std::vector<int>>& consumers = info.consumers;
  bool started = false;
  for (int i = 0; i < n_ops; ++i) {
    const graph::Operator& o = g.ops[i];
    int top = 0, left = 0;
    StageOp s;
    bool ok = false;
    if (o.type == OpType::kPad &&
        FusablePad(g, i, i + 1, consumers, &top, &left)) {
      ok = MakeStageOp(g, a, i + 1, i, top, left, &s);
      if (ok) ++i;
    } else if (IsCounted(o.type)) {
      ok = MakeStageOp(g, a, i, -1, 0, 0, &s);
    }
    if (ok) {
      started = true;
      info.ops.push_back(std::move(s));
    } else if (started) {
      break;
    }
  }
  const int n = static_cast<int>(info.ops.size());
  info.out_h.assign(n, 0);
  info.out_w.assign(n, 0);
  for (int split = 1; split <= n; ++split) {
    const int end =
        split < n ? info.ops[split].first_graph_op() : info.ops[n - 1].op + 1;
    if (end >= n_ops) continue;
    int h = -1, w = -1;
    bool ok = true;
    for (int i = 0; i < split && ok; ++i) {
      const int t = info.ops[i].output;
      bool out =
          std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end();
      for (int c : consumers[t]) out = out || c >= end;
      if (!out) continue;
      if (h < 0) {
        h = info.ops[i].out_h;
        w = info.ops[i].out_w;
      }
      ok = h == info.ops[i].out_h && w == info.ops[i].out_w;
    }
    if (!ok || h <= 0 || w <= 0) continue;
    info.splits.push_back(split);
    info.out_h[split - 1] = h;
    info.out_w[split - 1] = w;
  }
  return info;
}

int64_t StageTensor::patch_bytes() const {
  return int64_t{patch_rows} * patch_cols * channels;
}
int64_t StageTensor::col_bytes() const {
  return int64_t{col_rows} * col_cols * channels;
}
int64_t StageTensor::line_bytes() const {
  return int64_t{line_rows} * width * channels;
}

int PatchGeometry::TensorIndex(int t) const {
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].tensor == t) return static_cast<int>(i);
  }
  return -1;
}

Region PatchGeometry::StepRegion(int i, int r, int c) const {
  const StageTensor& t = tensors[op_tensor[i]];
  const Span y = t.comp_y[r], x = t.comp_x[c];
  if (y.empty() || x.empty()) return {};
  return {y.lo, y.hi, x.lo, x.hi};
}

int64_t PatchGeometry::StepMacs(int i, int r, int c) const {
  const Region reg = StepRegion(i, r, c);
  if (reg.area() == 0) return 0;
  if (uniform) {
    return int64_t{uniform_h[i][r]} * uniform_w[i][c] * ops[i].macs_per_pixel;
  }
  return reg.area() * ops[i].macs_per_pixel;
}

int64_t PatchGeometry::StageMacs() const {
  int64_t total = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    for (int r = 0; r < n_patch; ++r) {
      for (int c = 0; c < n_patch; ++c) {
        total += StepMacs(static_cast<int>(i), r, c);
      }
    }
  }
  return total;
}

int64_t PatchGeometry::LayerwiseStageMacs() const {
  int64_t total = 0;
  for (const StageOp& op : ops) {
    total += int64_t{op.out_h} * op.out_w * op.macs_per_pixel;
  }
  return total;
}

int64_t PatchGeometry::StreamBufferBytes() const {
  int64_t total = 0;
  for (const StageTensor& t : tensors) total += t.col_bytes() + t.line_bytes();
  return total;
}

int64_t PatchGeometry::StreamCopies() const {
  // Per patch and stage op whose output T is per-patch: a load from the
  // column buffer (columns left of the computed span), one from the line
  // buffer (rows above it), then the saves for the next patch of the row
  // (a move of what the column buffer still holds, a copy from the patch)
  // and for the next row of patches (the same for the line buffer).
  struct Col {
    int x1 = 0, y0 = -1, y1 = -1;
  };
  std::vector<Col> cols(tensors.size());
  std::vector<std::vector<std::pair<int, int>>> lines(tensors.size());
  int64_t copies = 0;
  const int n = n_patch;
  for (int p = 0; p < n * n; ++p) {
    const int r = p / n, c = p % n;
    for (size_t i = 0; i < ops.size(); ++i) {
      const StageTensor& st = tensors[op_tensor[i]];
      if (st.full) continue;
      const Span ny = st.need_y[r], nx = st.need_x[c];
      if (ny.empty() || nx.empty()) continue;
      const Span cy = st.comp_y[r], cx = st.comp_x[c];
      const int fy = cy.empty() ? ny.hi : cy.lo;
      const int fx = cx.empty() ? nx.hi : cx.lo;
      copies += (fx > nx.lo) + (fy > ny.lo && fx < nx.hi);
      Col& col = cols[op_tensor[i]];
      if (c == 0) col = {};
      if (st.mode != StageMode::kRecompute && c + 1 < n &&
          !st.need_x[c + 1].empty()) {
        const int x0 = std::max(st.need_x[c + 1].lo, nx.lo);
        const bool old_rows = col.y0 == ny.lo && col.y1 == ny.hi;
        const int hi = std::max(nx.hi, old_rows ? col.x1 : nx.hi);
        if (hi > x0) {
          copies += (std::max(nx.hi, x0) < hi) + (x0 < nx.hi);
          col = {hi, ny.lo, ny.hi};
        } else {
          col = {};
        }
      }
      if (st.mode == StageMode::kStream2D && r + 1 < n &&
          !st.need_y[r + 1].empty() && !cx.empty()) {
        std::vector<std::pair<int, int>>& l = lines[op_tensor[i]];
        l.resize(st.width, {-1, -1});
        const int y0 = std::max(st.need_y[r + 1].lo, ny.lo);
        const std::pair<int, int> old = l[cx.lo];
        const int hi = std::max(ny.hi, old.first >= 0 ? old.second : ny.hi);
        if (hi > y0) {
          copies += (std::max(ny.hi, y0) < hi) + (y0 < ny.hi);
          for (int x = cx.lo; x < cx.hi; ++x) l[x] = {y0, hi};
        }
      }
    }
  }
  return copies;
}

std::vector<StageMode> ModesOf(const Candidate& c) {
  switch (c.strategy) {
    case Strategy::kStream1D:
      return std::vector<StageMode>(c.split_idx, StageMode::kStream1D);
    case Strategy::kStream2D:
      return std::vector<StageMode>(c.split_idx, StageMode::kStream2D);
    case Strategy::kHybrid:
      return c.stage_modes;
    default:
      return std::vector<StageMode>(c.split_idx, StageMode::kRecompute);
  }
}

absl::StatusOr<PatchGeometry> ComputePatchGeometry(const Graph& g,
                                                   const PatchStageInfo& info,
                                                   int n_patch, int split_idx,
                                                   std::vector<StageMode> modes,
                                                   bool uniform) {
  if (!info.IsValidSplit(split_idx)) {
    return absl::InvalidArgumentError(
        absl::StrCat("split_idx ", split_idx, " is not a valid split (",
                     info.splits.size(), " valid splits)"));
  }
  PatchGeometry geo;
  geo.n_patch = n_patch;
  geo.split_idx = split_idx;
  geo.uniform = uniform;
  geo.out_h = info.out_h[split_idx - 1];
  geo.out_w = info.out_w[split_idx - 1];
  if (n_patch < 1 || n_patch > std::min(geo.out_h, geo.out_w)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "n_patch ", n_patch, " must be in [1, ", std::min(geo.out_h, geo.out_w),
        "] for split ", split_idx));
  }
  if (static_cast<int>(modes.size()) != split_idx) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected ", split_idx, " stage modes, got ", modes.size()));
  }
  geo.ops.assign(info.ops.begin(), info.ops.begin() + split_idx);
  for (int i = 0; i < split_idx; ++i) {
    if (geo.ops[i].type == OpType::kAdd) {
      modes[i] = i > 0 ? modes[i - 1] : StageMode::kStream2D;
    }
  }
  geo.modes = modes;
  geo.stage_begin = geo.ops.front().first_graph_op();
  geo.stage_end = split_idx < static_cast<int>(info.ops.size())
                      ? info.ops[split_idx].first_graph_op()
                      : geo.ops.back().op + 1;
  std::vector<std::vector<int>> own_consumers;
  if (info.consumers.size() != g.tensors.size()) {
    own_consumers = graph::ConsumersOf(g);
  }
  const std::vector<std::vector<int>>& consumers =
      own_consumers.empty() ? info.consumers : own_consumers;
  geo.tensors.reserve(2 * split_idx + 1);
  geo.op_tensor.reserve(split_idx);
  auto add_tensor = [&](int t, int producer) {
    StageTensor st;
    st.tensor = t;
    st.producer = producer;
    const graph::Tensor& gt = g.tensors[t];
    st.height = gt.shape[1];
    st.width = gt.shape[2];
    st.channels = gt.shape[3];
    if (producer < 0) {
      st.full = true;
    } else {
      st.mode = modes[producer];
      for (int c : consumers[t]) st.full = st.full || c >= geo.stage_end;
      for (int o : g.outputs) st.full = st.full || o == t;
    }
    geo.tensors.push_back(std::move(st));
    return static_cast<int>(geo.tensors.size()) - 1;
  };
  for (int i = 0; i < split_idx; ++i) {
    for (int t : geo.ops[i].inputs) {
      if (geo.TensorIndex(t) < 0) add_tensor(t, -1);
    }
    geo.op_tensor.push_back(add_tensor(geo.ops[i].output, i));
  }
  geo.tile_y = Tiles(geo.out_h, n_patch);
  geo.tile_x = Tiles(geo.out_w, n_patch);
  PropagateAxis(&geo, /*x=*/false);
  PropagateAxis(&geo, /*x=*/true);

  geo.uniform_h.assign(split_idx, std::vector<int>(n_patch, 0));
  geo.uniform_w = geo.uniform_h;
  std::vector<int> sizes;
  for (int t = 0; t < n_patch; ++t) {
    TraceUniform(geo, geo.tile_y[t].size(), false, &sizes);
    for (int i = 0; i < split_idx; ++i) geo.uniform_h[i][t] = sizes[i];
    TraceUniform(geo, geo.tile_x[t].size(), true, &sizes);
    for (int i = 0; i < split_idx; ++i) geo.uniform_w[i][t] = sizes[i];
  }
  for (StageTensor& t : geo.tensors) {
    if (t.full) continue;
    t.patch_rows = MaxSize(t.need_y);
    t.patch_cols = MaxSize(t.need_x);
    if (uniform) {
      for (int p = 0; p < n_patch; ++p) {
        t.patch_rows = std::max(t.patch_rows, geo.uniform_h[t.producer][p]);
        t.patch_cols = std::max(t.patch_cols, geo.uniform_w[t.producer][p]);
      }
    }
    const bool x_streams = t.mode != StageMode::kRecompute;
    const bool y_streams = t.mode == StageMode::kStream2D;
    if (x_streams) {
      t.col_cols = MaxRetained(t.need_x, t.comp_x);
      t.col_rows = t.col_cols > 0 ? MaxSize(t.need_y) : 0;
    }
    if (y_streams) t.line_rows = MaxRetained(t.need_y, t.comp_y);
  }

  geo.grain = geo.out_h / n_patch;
  geo.rf1 = TraceUniform(geo, 1, false, &sizes);
  geo.grain_rf = TraceUniform(geo, geo.grain, false, &sizes);
  geo.pad_l = geo.rf1 / 2;
  const int resolution = geo.tensors.front().height;
  geo.feat_stride = resolution / geo.out_h;
  geo.pad_r =
      std::max(0, geo.grain_rf + geo.feat_stride * geo.grain * (n_patch - 1) -
                      geo.pad_l - resolution);
  return geo;
}

}  // namespace mcutune::space
