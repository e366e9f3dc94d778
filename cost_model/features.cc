// Feature extraction (features.h).
// - Per operator, once: its class (which kernel loop runs it), work per
//   output pixel, padding, whether its output is spatial.
// - Per kernel step: pixels of the step's output region x work per pixel,
//   split by class; outputs, pixels, rows; depthwise border pixels counted
//   per axis (a pixel is interior when its window lies inside the image on
//   both axes). Non-spatial operators (FC, MEAN, global pooling, ...) count
//   their whole work once, at their first step: tinyops splits their input
//   into DMA blocks but runs the kernel once.
// - In place: a depthwise step whose written activation/patch buffer
//   overlaps a different activation/patch buffer it reads, in the same
//   memory (the rule the emitters use; stream buffers a step both reads and
//   writes are not its input).
// - Copies: kCopy steps (tinyops DMA: block rows x row bytes, or the
//   constant's bytes) and, for stream / hybrid schedules, the stream-buffer
//   loads and saves (stream_copies.h).
#include "cost_model/features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "cost_model/stream_copies.h"
#include "graph/analysis.h"
#include "graph/op_shape_checks.h"
#include "tuner/space/patch_geometry.h"

namespace mcutune::cost_model {
namespace {

using graph::OpType;

const std::vector<std::string>& Names() {
  static const std::vector<std::string> names = {
      "one",
      "macs.conv1x1",
      "macs.conv1x1_narrow",
      "macs.conv3x3",
      "macs.conv5x5",
      "macs.conv7x7",
      "macs.convkxk",
      "macs.dw3_s1",
      "macs.dw3_s2",
      "macs.dw5_s1",
      "macs.dw5_s2",
      "macs.dw7_s1",
      "macs.dw7_s2",
      "macs.dwk",
      "macs.dw_border",
      "macs.dw_inplace",
      "macs.dw_inplace_border",
      "macs.dw_inplace_generic",
      "macs.dw_multiplier",
      "macs.dw_scalar",
      "macs.fc",
      "elems.add",
      "elems.pool",
      "elems.mean",
      "elems.move",
      "outputs.conv1x1",
      "outputs.convkxk",
      "outputs.dw",
      "outputs.fc",
      "pixels.conv1x1",
      "pixels.convkxk",
      "pixels.dw",
      "macs.conv",
      "macs.conv_generic",
      "macs.dw3",
      "macs.dw_large",
      "macs.dot_tail",
      "im2col.bytes",
      "im2col.calls",
      "inplace.window_bytes",
      "rows",
      "kernel_calls",
      "stage.calls",
      "copy.bytes",
      "copy.calls",
      "copy.rows",
      "macs.total",
      "macs.planned",
      "macs.recomputed",
      "ext.traffic_bytes",
      "ext.wait_bytes",
      "dma.transfers",
      "sram.peak_bytes",
      "flash.bytes",
  };
  return names;
}

// Feature indices used while extracting (resolved once).
struct Idx {
  int one, conv1x1, conv1x1_narrow, conv3, conv5, conv7, convk;
  int dw[3][2], dwk, dw_border, dw_inplace, dw_inplace_border,
      dw_inplace_generic, dw_mult, dw_scalar, fc;
  int add, pool, mean, move;
  int out_1x1, out_k, out_dw, out_fc, px_1x1, px_k, px_dw;
  int conv_all, conv_generic, dw3, dw_large, dot_tail;
  int im2col_bytes, im2col_calls, window_bytes, rows, calls, stage_calls;
  int copy_bytes, copy_calls, copy_rows, macs_total, macs_planned,
      macs_recomputed;
  int ext_traffic, ext_wait, dma, sram, flash;
};

const Idx& I() {
  static const Idx idx = [] {
    Idx i{};
    auto f = [](const char* n) { return FeatureIndex(n); };
    i.one = f("one");
    i.conv1x1 = f("macs.conv1x1");
    i.conv1x1_narrow = f("macs.conv1x1_narrow");
    i.conv3 = f("macs.conv3x3");
    i.conv5 = f("macs.conv5x5");
    i.conv7 = f("macs.conv7x7");
    i.convk = f("macs.convkxk");
    const char* dw[3][2] = {{"macs.dw3_s1", "macs.dw3_s2"},
                            {"macs.dw5_s1", "macs.dw5_s2"},
                            {"macs.dw7_s1", "macs.dw7_s2"}};
    for (int k = 0; k < 3; ++k) {
      for (int s = 0; s < 2; ++s) i.dw[k][s] = f(dw[k][s]);
    }
    i.dwk = f("macs.dwk");
    i.dw_border = f("macs.dw_border");
    i.dw_inplace = f("macs.dw_inplace");
    i.dw_inplace_border = f("macs.dw_inplace_border");
    i.dw_inplace_generic = f("macs.dw_inplace_generic");
    i.dw_mult = f("macs.dw_multiplier");
    i.dw_scalar = f("macs.dw_scalar");
    i.fc = f("macs.fc");
    i.add = f("elems.add");
    i.pool = f("elems.pool");
    i.mean = f("elems.mean");
    i.move = f("elems.move");
    i.out_1x1 = f("outputs.conv1x1");
    i.out_k = f("outputs.convkxk");
    i.out_dw = f("outputs.dw");
    i.out_fc = f("outputs.fc");
    i.px_1x1 = f("pixels.conv1x1");
    i.px_k = f("pixels.convkxk");
    i.px_dw = f("pixels.dw");
    i.im2col_bytes = f("im2col.bytes");
    i.im2col_calls = f("im2col.calls");
    i.conv_generic = f("macs.conv_generic");
    i.conv_all = f("macs.conv");
    i.dw3 = f("macs.dw3");
    i.dw_large = f("macs.dw_large");
    i.dot_tail = f("macs.dot_tail");
    i.window_bytes = f("inplace.window_bytes");
    i.rows = f("rows");
    i.calls = f("kernel_calls");
    i.stage_calls = f("stage.calls");
    i.copy_bytes = f("copy.bytes");
    i.copy_calls = f("copy.calls");
    i.copy_rows = f("copy.rows");
    i.macs_total = f("macs.total");
    i.macs_planned = f("macs.planned");
    i.macs_recomputed = f("macs.recomputed");
    i.ext_traffic = f("ext.traffic_bytes");
    i.ext_wait = f("ext.wait_bytes");
    i.dma = f("dma.transfers");
    i.sram = f("sram.peak_bytes");
    i.flash = f("flash.bytes");
    return i;
  }();
  return idx;
}

struct OpInfo {
  OpType type = OpType::kConv2D;
  bool spatial = false;     // 4-D output larger than 1x1: work follows regions
  int mac_feature = -1;     // MAC class (conv / depthwise / fc)
  int64_t macs_whole = 0;   // whole operator (analysis)
  int64_t elems_whole = 0;  // non-MAC work of the whole operator
  int kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int in_h = 1, in_w = 1, in_c = 1, out_h = 1, out_w = 1, out_c = 1;
  int pad_top = 0, pad_left = 0;
};

int Dim(const graph::Tensor& t, int i, int fallback) {
  return static_cast<int>(t.shape.size()) == 4 ? t.shape[i] : fallback;
}

// Output pixels of region [lo, hi) along one axis whose window lies inside
// the input image.
int64_t InteriorCount(int lo, int hi, int stride, int pad, int span, int in) {
  int64_t n = 0;
  for (int o = lo; o < hi; ++o) {
    const int i0 = o * stride - pad;
    if (i0 >= 0 && i0 + span < in) ++n;
  }
  return n;
}

}  // namespace

const std::vector<std::string>& FeatureNames() { return Names(); }

int FeatureIndex(std::string_view name) {
  const std::vector<std::string>& n = Names();
  for (size_t i = 0; i < n.size(); ++i) {
    if (n[i] == name) return static_cast<int>(i);
  }
  return -1;
}

double FeatureCostCeiling(std::string_view name) {
  auto starts = [&](std::string_view p) {
    return name.substr(0, p.size()) == p;
  };
  if (name == "macs.total" || name == "macs.planned" ||
      name == "macs.recomputed" || starts("ext.") || starts("sram.") ||
      starts("flash.") || name == "one" || name == "dma.transfers") {
    return std::numeric_limits<double>::infinity();
  }
  // Tighter bounds where the zoo cannot separate the costs: k x k
  // convolutions are stems with 27- or 40-long windows everywhere but in
  // resnet8, so the stems' cost per output could land on any of the generic
  // loop's MACs, its gather bytes or its gather calls. The kernels bound
  // each: the generic 2x2 dot loop spends ~30 instructions per 16 MACs
  // (about 1.2 per MAC above the paired 1x1 loop that macs.conv prices),
  // memcpy ~0.55 per byte on its word path, ~20-40 per short call.
  if (name == "macs.conv_generic") return 1.5;
  if (starts("macs.")) return 40;
  if (starts("outputs.") || starts("elems.")) return 400;
  if (starts("pixels.") || name == "rows" || name == "copy.rows") return 2000;
  if (name == "im2col.bytes") return 1;
  if (name == "copy.bytes" || name == "inplace.window_bytes") return 20;
  if (name == "im2col.calls") return 100;
  if (name == "copy.calls") return 500;
  if (name == "kernel_calls" || name == "stage.calls") return 5000;
  return std::numeric_limits<double>::infinity();
}

FeatureVector::FeatureVector() : values(Names().size(), 0.0) {}

double FeatureVector::Get(std::string_view name) const {
  const int i = FeatureIndex(name);
  return i < 0 ? 0.0 : values[i];
}

void FeatureVector::Set(std::string_view name, double value) {
  const int i = FeatureIndex(name);
  if (i >= 0) values[i] = value;
}

std::string FeaturesToJson(const FeatureVector& features) {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < features.values.size(); ++i) {
    if (features.values[i] != 0) j[Names()[i]] = features.values[i];
  }
  return j.dump();
}

absl::StatusOr<FeatureVector> FeaturesFromJson(std::string_view json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("features: not a JSON object");
  }
  FeatureVector f;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const int i = FeatureIndex(it.key());
    if (i < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("features: unknown feature '", it.key(), "'"));
    }
    if (!it->is_number() || !std::isfinite(it->get<double>()) ||
        it->get<double>() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "features: '", it.key(), "' must be a finite number >= 0"));
    }
    f.values[i] = it->get<double>();
  }
  return f;
}

struct FeatureExtractor::Impl {
  const graph::Graph& g;
  space::BoardSpec board;
  graph::Analysis analysis;
  space::PatchStageInfo stage;
  std::vector<OpInfo> ops;

  Impl(const graph::Graph& graph, const space::BoardSpec& b)
      : g(graph), board(b), analysis(graph::Analyze(graph)) {
    stage = space::AnalyzePatchStage(g, analysis);
    ops.resize(g.ops.size());
    for (size_t i = 0; i < g.ops.size(); ++i)
      ops[i] = Describe(static_cast<int>(i));
  }

  OpInfo Describe(int index) const {
    const graph::Operator& o = g.ops[index];
    const graph::Tensor& out = g.tensors[o.outputs[0]];
    OpInfo info;
    info.type = o.type;
    info.macs_whole = analysis.ops[index].macs;
    info.elems_whole = analysis.ops[index].other_ops;
    info.out_h = Dim(out, 1, 1);
    info.out_w = Dim(out, 2, 1);
    info.out_c = Dim(out, 3, static_cast<int>(out.num_elements()));
    info.spatial =
        out.shape.size() == 4 && int64_t{info.out_h} * info.out_w > 1;
    const int in_t = o.inputs.empty() ? -1 : o.inputs[0];
    if (in_t >= 0) {
      const graph::Tensor& in = g.tensors[in_t];
      info.in_h = Dim(in, 1, 1);
      info.in_w = Dim(in, 2, 1);
      info.in_c = Dim(in, 3, static_cast<int>(in.num_elements()));
    }
    const graph::OpOptions& op = o.options;
    info.sh = op.stride_h;
    info.sw = op.stride_w;
    info.dh = op.dilation_h;
    info.dw = op.dilation_w;
    const Idx& x = I();
    if (o.type == OpType::kConv2D || o.type == OpType::kDepthwiseConv2D) {
      const graph::Tensor& f = g.tensors[o.inputs[1]];
      info.kh = f.shape.size() == 4 ? f.shape[1] : 1;
      info.kw = f.shape.size() == 4 ? f.shape[2] : 1;
    } else if (o.type == OpType::kAveragePool2D ||
               o.type == OpType::kMaxPool2D) {
      info.kh = op.filter_h;
      info.kw = op.filter_w;
    }
    info.pad_top = graph::WindowPaddingBefore(info.in_h, info.kh, info.sh,
                                              info.dh, op.padding);
    info.pad_left = graph::WindowPaddingBefore(info.in_w, info.kw, info.sw,
                                               info.dw, op.padding);
    if (o.type == OpType::kConv2D) {
      if (info.kh == 1 && info.kw == 1) {
        info.mac_feature = info.in_c < 32 ? x.conv1x1_narrow : x.conv1x1;
      } else if (info.kh == info.kw && info.kh == 3) {
        info.mac_feature = x.conv3;
      } else if (info.kh == info.kw && info.kh == 5) {
        info.mac_feature = x.conv5;
      } else if (info.kh == info.kw && info.kh == 7) {
        info.mac_feature = x.conv7;
      } else {
        info.mac_feature = x.convk;
      }
    } else if (o.type == OpType::kDepthwiseConv2D) {
      const int k = info.kh == info.kw ? info.kh : 0;
      const int s = info.sh == info.sw ? info.sh : 0;
      const int ki = k == 3 ? 0 : k == 5 ? 1 : k == 7 ? 2 : -1;
      info.mac_feature =
          op.depth_multiplier != 1 ? x.dw_mult
          : ki >= 0 && (s == 1 || s == 2) && info.dh == 1 && info.dw == 1
              ? x.dw[ki][s - 1]
              : x.dwk;
    } else if (o.type == OpType::kFullyConnected) {
      info.mac_feature = x.fc;
    }
    return info;
  }

  bool Overlap(const space::Buffer& a, const space::Buffer& b) const {
    return a.memory == b.memory && a.offset < b.offset + b.bytes &&
           b.offset < a.offset + a.bytes;
  }

  // memcpy/memset calls of the im2col gather (codegen/kernels/conv.c): per
  // pixel and filter row one call when the row lies outside the image or
  // the window's columns lie inside it, else one per filter column.
  static double GatherCalls(const OpInfo& op, const space::Region& r) {
    int64_t contiguous = 0;
    for (int ox = r.x0; ox < r.x1; ++ox) {
      const int ix0 = ox * op.sw - op.pad_left;
      if (op.dw == 1 && ix0 >= 0 && ix0 + op.kw <= op.in_w) ++contiguous;
    }
    const int64_t width = r.x1 - r.x0;
    double calls = 0;
    for (int oy = r.y0; oy < r.y1; ++oy) {
      for (int ky = 0; ky < op.kh; ++ky) {
        const int iy = oy * op.sh - op.pad_top + ky * op.dh;
        calls += iy < 0 || iy >= op.in_h
                     ? static_cast<double>(width)
                     : static_cast<double>(contiguous +
                                           (width - contiguous) * op.kw);
      }
    }
    return calls;
  }

  absl::Status KernelStep(const space::Plan& plan, const space::Step& s,
                          std::set<int>* counted, FeatureVector* f) const {
    const Idx& x = I();
    const OpInfo& op = ops[s.op];
    double* v = f->values.data();
    const graph::Operator& o = g.ops[s.op];
    // An aliased RESHAPE is not a call (plan_metrics.h counts the same).
    if (o.type == OpType::kReshape) {
      for (int w : s.writes) {
        if (plan.buffers[w].alias_of >= 0) return absl::OkStatus();
      }
    }
    v[x.calls] += 1;
    if (s.patch >= 0) v[x.stage_calls] += 1;
    if (!op.spatial) {
      if (!counted->insert(s.op).second) return absl::OkStatus();
      v[x.rows] += 1;
      switch (o.type) {
        case OpType::kFullyConnected:
          v[x.fc] += op.macs_whole;
          v[x.out_fc] += op.out_c;
          break;
        case OpType::kConv2D:
        case OpType::kDepthwiseConv2D:
          v[op.mac_feature] += op.macs_whole;
          if (o.type == OpType::kConv2D) {
            v[x.dot_tail] += static_cast<double>(op.out_c) *
                             ((int64_t{op.kh} * op.kw * op.in_c) % 4);
          }
          v[o.type == OpType::kConv2D ? x.out_1x1 : x.out_dw] += op.out_c;
          break;
        case OpType::kAdd:
          v[x.add] += op.elems_whole;
          break;
        case OpType::kAveragePool2D:
        case OpType::kMaxPool2D:
          v[x.pool] += op.elems_whole;
          break;
        case OpType::kMean:
          v[x.mean] += op.elems_whole;
          break;
        default:
          v[x.move] += g.tensors[o.outputs[0]].bytes();
      }
      return absl::OkStatus();
    }
    const space::Region r = s.output;
    const int64_t pixels = r.area();
    if (pixels <= 0) return absl::OkStatus();
    v[x.rows] += r.y1 - r.y0;
    const int64_t outs = pixels * op.out_c;
    switch (o.type) {
      case OpType::kConv2D: {
        const int64_t window = int64_t{op.kh} * op.kw * op.in_c;
        v[op.mac_feature] += static_cast<double>(outs) * window;
        v[x.dot_tail] += static_cast<double>(outs) * (window % 4);
        if (op.kh == 1 && op.kw == 1) {
          v[x.out_1x1] += outs;
          v[x.px_1x1] += pixels;
        } else {
          v[x.out_k] += outs;
          v[x.px_k] += pixels;
          v[x.im2col_bytes] += static_cast<double>(pixels) * window;
          v[x.im2col_calls] += GatherCalls(op, r);
        }
        break;
      }
      case OpType::kDepthwiseConv2D: {
        const double macs = static_cast<double>(outs) * op.kh * op.kw;
        v[x.out_dw] += outs;
        v[x.px_dw] += pixels;
        // In place: the output's buffer overlaps (or aliases) the input's.
        // Stream buffers a step both reads and writes do not count.
        auto data = [](const space::Buffer& b) {
          return b.kind == space::BufferKind::kActivation ||
                 b.kind == space::BufferKind::kPatch;
        };
        bool in_place = false;
        for (int w : s.writes) {
          for (int rd : s.reads) {
            const space::Buffer& a = plan.buffers[w];
            const space::Buffer& b = plan.buffers[rd];
            if (w == rd || !data(a) || !data(b)) continue;
            if (a.alias_of == rd || Overlap(a, b)) in_place = true;
          }
        }
        // Both kernels run outputs whose window crosses the image border
        // through a checked tap loop, the others through a faster one.
        const int64_t inner = InteriorCount(r.y0, r.y1, op.sh, op.pad_top,
                                            (op.kh - 1) * op.dh, op.in_h) *
                              InteriorCount(r.x0, r.x1, op.sw, op.pad_left,
                                            (op.kw - 1) * op.dw, op.in_w);
        const double border_macs =
            static_cast<double>(pixels - inner) * op.out_c * op.kh * op.kw;
        if (in_place) {
          v[x.dw_inplace] += macs;
          v[x.dw_inplace_border] += border_macs;
          // Interior outputs of windows other than 3x3 (dilation 1) take
          // the kernel's general loop instead of the unrolled one.
          if (op.kh != 3 || op.kw != 3 || op.dh != 1 || op.dw != 1) {
            v[x.dw_inplace_generic] += macs - border_macs;
          }
          const int rows =
              std::min<int64_t>(op.in_h, int64_t{r.y1 - r.y0 - 1} * op.sh +
                                             (op.kh - 1) * op.dh + 1);
          const int cols = s.patch >= 0
                               ? std::min<int64_t>(
                                     op.in_w, int64_t{r.x1 - r.x0 - 1} * op.sw +
                                                  (op.kw - 1) * op.dw + 1)
                               : op.in_w;
          v[x.window_bytes] += static_cast<double>(rows) * cols * op.out_c;
        } else {
          v[op.mac_feature] += macs;
          v[x.dw_border] += border_macs;
        }
        break;
      }
      case OpType::kFullyConnected:
        v[x.fc] += op.macs_whole;
        v[x.out_fc] += op.out_c;
        break;
      case OpType::kAdd:
        v[x.add] += outs;
        break;
      case OpType::kAveragePool2D:
      case OpType::kMaxPool2D:
        v[x.pool] += static_cast<double>(outs) * op.kh * op.kw;
        break;
      case OpType::kMean:
        v[x.mean] += op.elems_whole * static_cast<double>(pixels) /
                     (int64_t{op.out_h} * op.out_w);
        break;
      default:
        v[x.move] += outs;
    }
    return absl::OkStatus();
  }

  void CopyStep(const space::Plan& plan, const space::Step& s,
                FeatureVector* f) const {
    const Idx& x = I();
    const space::Buffer& src = plan.buffers[s.reads[0]];
    const space::Buffer& dst = plan.buffers[s.writes[0]];
    double bytes = static_cast<double>(std::min(src.bytes, dst.bytes));
    if (src.kind == space::BufferKind::kActivation && src.tensor >= 0) {
      const graph::Tensor& t = g.tensors[src.tensor];
      if (t.shape.size() == 4) {
        bytes = static_cast<double>(s.output.y1 - s.output.y0) * t.shape[2] *
                t.shape[3];
      }
    }
    f->values[x.copy_calls] += 1;
    f->values[x.copy_rows] += 1;
    f->values[x.copy_bytes] += bytes;
  }

  // Stream-buffer loads and saves of stream / hybrid schedules.
  void StreamCopies(const space::Plan& plan, FeatureVector* f) const {
    const space::Candidate& c = plan.candidate;
    if (c.strategy == space::Strategy::kLayerwise ||
        c.strategy == space::Strategy::kTinyOps ||
        c.strategy == space::Strategy::kPatch || c.split_idx <= 0) {
      return;
    }
    absl::StatusOr<space::PatchGeometry> geo = space::ComputePatchGeometry(
        g, stage, c.n_patch, c.split_idx, space::ModesOf(c), false);
    if (!geo.ok()) return;
    const CopyCounts n = ReplayStreamCopies(*geo);
    const Idx& x = I();
    f->values[x.copy_calls] += n.calls;
    f->values[x.copy_rows] += n.rows;
    f->values[x.copy_bytes] += n.bytes;
  }
};

FeatureExtractor::FeatureExtractor(const graph::Graph& graph,
                                   const space::BoardSpec& board)
    : impl_(std::make_unique<Impl>(graph, board)) {}

FeatureExtractor::~FeatureExtractor() = default;

absl::StatusOr<FeatureVector> FeatureExtractor::Extract(
    const space::Plan& plan) const {
  const Impl& m = *impl_;
  if (plan.steps.empty() && plan.metrics.kernel_calls > 0) {
    return absl::FailedPreconditionError(
        "features need a full plan (steps were dropped)");
  }
  const int n_ops = static_cast<int>(m.g.ops.size());
  const int n_buffers = static_cast<int>(plan.buffers.size());
  FeatureVector f;
  const Idx& x = I();
  f.values[x.one] = 1;
  std::set<int> counted;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const space::Step& s = plan.steps[i];
    if (s.op < 0 || s.op >= n_ops) {
      return absl::InvalidArgumentError(
          absl::StrCat("plan step ", i, " names operator ", s.op,
                       " (graph has ", n_ops, ")"));
    }
    for (const std::vector<int>* ids : {&s.reads, &s.writes}) {
      for (int b : *ids) {
        if (b < 0 || b >= n_buffers) {
          return absl::InvalidArgumentError(
              absl::StrCat("plan step ", i, " names buffer ", b, " (plan has ",
                           n_buffers, ")"));
        }
      }
    }
    if (s.kind == space::StepKind::kCopy) {
      if (s.reads.empty() || s.writes.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "plan copy step ", i, " has no source or destination"));
      }
      m.CopyStep(plan, s, &f);
      continue;
    }
    if (absl::Status st = m.KernelStep(plan, s, &counted, &f); !st.ok())
      return st;
  }
  m.StreamCopies(plan, &f);
  double macs = 0;
  for (int i : {x.conv1x1, x.conv1x1_narrow, x.conv3, x.conv5, x.conv7, x.convk,
                x.dwk, x.dw_inplace, x.dw_mult, x.fc}) {
    macs += f.values[i];
  }
  for (int k = 0; k < 3; ++k)
    macs += f.values[x.dw[k][0]] + f.values[x.dw[k][1]];
  f.values[x.macs_total] = macs;
  f.values[x.conv_generic] = f.values[x.conv3] + f.values[x.conv5] +
                             f.values[x.conv7] + f.values[x.convk];
  f.values[x.conv_all] = f.values[x.conv_generic] + f.values[x.conv1x1] +
                         f.values[x.conv1x1_narrow];
  f.values[x.dw3] = f.values[x.dw[0][0]] + f.values[x.dw[0][1]];
  f.values[x.dw_large] = f.values[x.dw[1][0]] + f.values[x.dw[1][1]] +
                         f.values[x.dw[2][0]] + f.values[x.dw[2][1]] +
                         f.values[x.dwk];
  f.values[x.dw_scalar] = f.values[x.dw_inplace] + f.values[x.dw_mult];
  f.values[x.macs_recomputed] =
      std::max(0.0, macs - static_cast<double>(m.analysis.macs_total));
  const space::Metrics& mt = plan.metrics;
  f.values[x.macs_planned] = static_cast<double>(mt.macs_total);
  f.values[x.ext_traffic] = static_cast<double>(mt.ext_traffic_bytes);
  f.values[x.dma] = static_cast<double>(mt.dma_transfers);
  f.values[x.sram] = static_cast<double>(plan.memory.peak_sram_bytes);
  f.values[x.flash] = static_cast<double>(mt.flash_bytes);
  const space::ExternalMemory* ram = m.board.ext_ram();
  const space::ExternalMemory* flash = m.board.ext_flash();
  f.values[x.ext_wait] =
      static_cast<double>(mt.ext_ram_read_bytes + mt.ext_ram_write_bytes) *
          (ram ? ram->wait_states : 0) +
      static_cast<double>(mt.ext_flash_read_bytes) *
          (flash ? flash->wait_states : 0);
  return f;
}

absl::StatusOr<FeatureVector> ExtractFeatures(const space::Plan& plan,
                                              const graph::Graph& graph,
                                              const space::BoardSpec& board) {
  return FeatureExtractor(graph, board).Extract(plan);
}

}  // namespace mcutune::cost_model
