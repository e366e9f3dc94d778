// Schedule simulator.
// - Reference: Interpreter::Run on the whole graph.
// - Per tensor: values (full size, written where computed) and availability:
//   whole tensors a written mask; tensors with kPatch buffers a per-patch
//   stamp, a column store (stamped pixel set) and a line ring (row id per
//   slot and column).
// - A patch step gathers its input window pixel by pixel (zero point outside
//   the image, else the pixel must be available), runs the operator's kernel
//   as a VALID operator on the window (kernels prepared on a one-operator
//   graph, cached per window size) and writes its region.
// - When the patch index changes, each per-patch tensor checks its bounding
//   box against its buffer and refills its stream stores (header policy).
// - Finally stage outputs and graph outputs are compared with the reference.
#include "tuner/space/schedule_simulator.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "graph/interpreter.h"
#include "graph/kernels/op_kernel.h"
#include "graph/op_shape_checks.h"

namespace mcutune::space {
namespace {

using graph::Graph;
using graph::OpType;

struct Box {
  int y0 = 0, y1 = 0, x0 = 0, x1 = 0;
  bool empty() const { return y1 <= y0 || x1 <= x0; }
  int64_t area() const { return empty() ? 0 : int64_t{y1 - y0} * (x1 - x0); }
  void Add(int y, int x) {
    if (empty()) {
      *this = {y, y + 1, x, x + 1};
      return;
    }
    y0 = std::min(y0, y);
    y1 = std::max(y1, y + 1);
    x0 = std::min(x0, x);
    x1 = std::max(x1, x + 1);
  }
  void Add(const Box& b) {
    if (b.empty()) return;
    Add(b.y0, b.x0);
    Add(b.y1 - 1, b.x1 - 1);
  }
};

struct TensorState {
  int h = 1, w = 1, c = 1;
  bool per_patch = false;
  std::vector<int8_t> values;
  std::vector<uint8_t> whole;
  std::vector<int> patch_stamp, col_stamp, line_row;
  int col_gen = 0, line_rows = 0;
  int col_frontier = 0;  // right-most column read in this row of patches
  int64_t patch_bytes = 0, col_bytes = 0, line_bytes = 0;
  Box read_box, write_box;
};

class Simulator {
 public:
  Simulator(const Graph& g, const Plan& plan, graph::RequantMode mode)
      : g_(g), plan_(plan), mode_(mode) {}

  absl::StatusOr<SimulationReport> Run(
      const std::vector<std::vector<int8_t>>& inputs,
      const graph::Interpreter* reference);

 private:
  absl::Status RunWhole(int s, const Step& step);
  absl::Status RunRegion(int s, const Step& step);
  absl::Status EndPatch();
  bool Available(const TensorState& t, int y, int x, bool* from_stream) const;
  absl::StatusOr<const graph::OpKernel*> WindowKernel(int op, int wh, int ww);
  absl::StatusOr<const graph::OpKernel*> WholeKernel(int op);
  // The PAD fused into convolution `op` (no step of its own), or -1.
  int FusedPad(int op) const;
  absl::Status Fail(int s, const std::string& what) const {
    const Step& st = plan_.steps[s];
    return absl::FailedPreconditionError(absl::StrCat(
        "step ", s, " (op ", st.op, " ", graph::OpTypeName(g_.ops[st.op].type),
        ", patch ", st.patch, "): ", what));
  }

  const Graph& g_;
  const Plan& plan_;
  graph::RequantMode mode_;
  std::vector<TensorState> t_;
  std::vector<int> producer_;
  std::vector<bool> has_step_;
  int patch_ = -1;
  SimulationReport report_;
  std::map<int, Graph> templates_;
  std::map<std::tuple<int, int, int>, std::unique_ptr<graph::OpKernel>>
      window_kernels_;
  std::map<int, std::unique_ptr<graph::OpKernel>> whole_kernels_;
  std::vector<bool> written_by_patch_;
};

int FromLe32(const std::vector<uint8_t>& b, int i) {
  return static_cast<int32_t>(b[4 * i] | (b[4 * i + 1] << 8) |
                              (b[4 * i + 2] << 16) |
                              (uint32_t{b[4 * i + 3]} << 24));
}

int Simulator::FusedPad(int op) const {
  const graph::Operator& o = g_.ops[op];
  if (o.type != OpType::kConv2D && o.type != OpType::kDepthwiseConv2D) {
    return -1;
  }
  const int p = producer_[o.inputs[0]];
  if (p < 0 || g_.ops[p].type != OpType::kPad || has_step_[p]) return -1;
  return p;
}

bool Simulator::Available(const TensorState& t, int y, int x,
                          bool* from_stream) const {
  const int i = y * t.w + x;
  *from_stream = false;
  if (!t.per_patch) return t.whole[i] != 0;
  if (t.patch_stamp[i] == patch_ + 1) return true;
  *from_stream = true;
  if (t.col_gen > 0 && t.col_stamp[i] == t.col_gen) return true;
  return t.line_rows > 0 && t.line_row[(y % t.line_rows) * t.w + x] == y;
}

absl::StatusOr<const graph::OpKernel*> Simulator::WholeKernel(int op) {
  auto& k = whole_kernels_[op];
  if (!k) {
    graph::KernelContext ctx{g_, g_.ops[op], op, mode_};
    graph::OpKernelOr made = graph::PrepareKernel(ctx);
    if (!made.ok()) return made.status();
    k = std::move(*made);
  }
  return k.get();
}

absl::StatusOr<const graph::OpKernel*> Simulator::WindowKernel(int op, int wh,
                                                               int ww) {
  auto& k = window_kernels_[{op, wh, ww}];
  if (k) return k.get();
  const graph::Operator& o = g_.ops[op];
  auto [it, fresh] = templates_.try_emplace(op);
  Graph& t = it->second;
  if (fresh) {  // one-operator graph with copies of the operands
    graph::Operator top = o;
    top.options.padding = graph::Padding::kValid;
    for (int& in : top.inputs) {
      if (in < 0) continue;
      graph::Tensor copy = g_.tensors[in];
      if (copy.is_constant()) {
        t.buffers.push_back(g_.data(in));
        copy.buffer = static_cast<int>(t.buffers.size()) - 1;
      }
      t.tensors.push_back(std::move(copy));
      in = static_cast<int>(t.tensors.size()) - 1;
    }
    t.tensors.push_back(g_.tensors[o.outputs[0]]);
    top.outputs = {static_cast<int>(t.tensors.size()) - 1};
    t.ops = {top};
  }
  graph::Operator& top = t.ops[0];
  int oh = wh, ow = ww;
  if (o.type != OpType::kAdd) {
    const std::vector<int32_t>& f = g_.tensors[o.inputs[1]].shape;
    oh = (wh - f[1]) / o.options.stride_h + 1;
    ow = (ww - f[2]) / o.options.stride_w + 1;
  }
  for (size_t j = 0; j < top.inputs.size(); ++j) {
    if (top.inputs[j] < 0) continue;
    graph::Tensor& in = t.tensors[top.inputs[j]];
    if (!in.is_constant()) in.shape = {1, wh, ww, in.shape[3]};
  }
  graph::Tensor& out = t.tensors[top.outputs[0]];
  out.shape = {1, oh, ow, out.shape[3]};
  graph::KernelContext ctx{t, top, 0, mode_};
  graph::OpKernelOr made = graph::PrepareKernel(ctx);
  if (!made.ok()) return made.status();
  k = std::move(*made);
  return k.get();
}

absl::Status Simulator::RunWhole(int s, const Step& step) {
  const graph::Operator& o = g_.ops[step.op];
  std::vector<const int8_t*> operands(o.inputs.size(), nullptr);
  for (size_t j = 0; j < o.inputs.size(); ++j) {
    const int in = o.inputs[j];
    if (in < 0 || g_.tensors[in].type != graph::DataType::kInt8) continue;
    if (g_.tensors[in].is_constant()) {
      operands[j] = reinterpret_cast<const int8_t*>(g_.data(in).data());
      continue;
    }
    const TensorState& ts = t_[in];
    if (ts.per_patch ||
        std::find(ts.whole.begin(), ts.whole.end(), 0) != ts.whole.end()) {
      return Fail(
          s, absl::StrCat("whole operator reads tensor '", g_.tensors[in].name,
                          "' which is not complete"));
    }
    operands[j] = ts.values.data();
  }
  absl::StatusOr<const graph::OpKernel*> k = WholeKernel(step.op);
  if (!k.ok()) return k.status();
  TensorState& out = t_[o.outputs[0]];
  (*k)->Run(operands, out.values.data());
  std::fill(out.whole.begin(), out.whole.end(), 1);
  ++report_.whole_steps;
  return absl::OkStatus();
}

absl::Status Simulator::RunRegion(int s, const Step& step) {
  const graph::Operator& o = g_.ops[step.op];
  const Region r = step.output;
  TensorState& out = t_[o.outputs[0]];
  if (r.y0 < 0 || r.x0 < 0 || r.y1 > out.h || r.x1 > out.w || r.area() <= 0) {
    return Fail(s, "region outside the output tensor or empty");
  }
  int wy0 = r.y0, wx0 = r.x0, wh = r.y1 - r.y0, ww = r.x1 - r.x0;
  std::vector<int> sources;
  if (o.type == OpType::kAdd) {
    sources = {o.inputs[0], o.inputs[1]};
  } else if (o.type == OpType::kConv2D || o.type == OpType::kDepthwiseConv2D) {
    const int pad = FusedPad(step.op);
    const graph::Tensor& ci = g_.tensors[o.inputs[0]];
    const std::vector<int32_t>& f = g_.tensors[o.inputs[1]].shape;
    const graph::OpOptions& opt = o.options;
    int top = graph::WindowPaddingBefore(ci.shape[1], f[1], opt.stride_h, 1,
                                         opt.padding);
    int left = graph::WindowPaddingBefore(ci.shape[2], f[2], opt.stride_w, 1,
                                          opt.padding);
    if (pad >= 0) {
      const std::vector<uint8_t>& b = g_.data(g_.ops[pad].inputs[1]);
      top += FromLe32(b, 2);
      left += FromLe32(b, 4);
    }
    sources = {pad >= 0 ? g_.ops[pad].inputs[0] : o.inputs[0]};
    wy0 = r.y0 * opt.stride_h - top;
    wx0 = r.x0 * opt.stride_w - left;
    wh = (r.y1 - r.y0 - 1) * opt.stride_h + f[1];
    ww = (r.x1 - r.x0 - 1) * opt.stride_w + f[2];
  } else {
    return Fail(s, "only CONV_2D, DEPTHWISE_CONV_2D and ADD run per patch");
  }
  std::vector<std::vector<int8_t>> windows;
  for (size_t j = 0; j < sources.size(); ++j) {
    TensorState& src = t_[sources[j]];
    const int8_t zp =
        static_cast<int8_t>(graph::ZeroPoint(g_.tensors[o.inputs[j]]));
    std::vector<int8_t> win(int64_t{wh} * ww * src.c, zp);
    for (int y = std::max(wy0, 0); y < std::min(wy0 + wh, src.h); ++y) {
      for (int x = std::max(wx0, 0); x < std::min(wx0 + ww, src.w); ++x) {
        bool from_stream = false;
        if (!Available(src, y, x, &from_stream)) {
          return Fail(s,
                      absl::StrCat("needs pixel (", y, ", ", x, ") of tensor '",
                                   g_.tensors[sources[j]].name,
                                   "' which the plan does not retain"));
        }
        if (from_stream) ++report_.pixels_from_stream;
        if (src.per_patch) src.read_box.Add(y, x);
        std::copy_n(&src.values[(int64_t{y} * src.w + x) * src.c], src.c,
                    &win[((int64_t{y - wy0}) * ww + (x - wx0)) * src.c]);
      }
    }
    windows.push_back(std::move(win));
  }
  absl::StatusOr<const graph::OpKernel*> k = WindowKernel(step.op, wh, ww);
  if (!k.ok()) return k.status();
  std::vector<const int8_t*> operands(o.inputs.size(), nullptr);
  for (size_t j = 0; j < o.inputs.size(); ++j) {
    const int in = o.inputs[j];
    if (j < windows.size()) {
      operands[j] = windows[j].data();
    } else if (in >= 0 && g_.tensors[in].type == graph::DataType::kInt8) {
      operands[j] = reinterpret_cast<const int8_t*>(g_.data(in).data());
    }
  }
  const int rh = r.y1 - r.y0, rw = r.x1 - r.x0;
  std::vector<int8_t> result(int64_t{rh} * rw * out.c);
  (*k)->Run(operands, result.data());
  for (int y = r.y0; y < r.y1; ++y) {
    for (int x = r.x0; x < r.x1; ++x) {
      const int i = y * out.w + x;
      std::copy_n(&result[((int64_t{y - r.y0}) * rw + (x - r.x0)) * out.c],
                  out.c, &out.values[int64_t{i} * out.c]);
      if (out.per_patch) {
        out.patch_stamp[i] = patch_ + 1;
      } else {
        out.whole[i] = 1;
      }
    }
  }
  if (out.per_patch) out.write_box.Add(Box{r.y0, r.y1, r.x0, r.x1});
  written_by_patch_[o.outputs[0]] = true;
  report_.pixels_computed += r.area();
  ++report_.patch_steps;
  return absl::OkStatus();
}

absl::Status Simulator::EndPatch() {
  for (size_t ti = 0; ti < t_.size(); ++ti) {
    TensorState& t = t_[ti];
    if (!t.per_patch) continue;
    Box used = t.read_box;
    used.Add(t.write_box);
    if (used.area() * t.c > t.patch_bytes) {
      return absl::FailedPreconditionError(absl::StrCat(
          "patch ", patch_, ": tensor '", g_.tensors[ti].name, "' uses a ",
          used.y1 - used.y0, "x", used.x1 - used.x0, "x", t.c,
          " region, more than its ", t.patch_bytes, " B patch buffer"));
    }
    const Box b = used;  // what the patch buffer held
    t.read_box = t.write_box = Box{};
    if (b.empty()) continue;
    std::vector<int> col_keep, line_keep;
    bool unused;
    const int n = std::max(plan_.candidate.n_patch, 1);
    t.col_frontier = patch_ % n == 0 ? b.x1 : std::max(t.col_frontier, b.x1);
    if (t.col_bytes > 0) {
      const int rows = b.y1 - b.y0;
      const int cols = static_cast<int>(std::min<int64_t>(
          t.col_frontier, t.col_bytes / (int64_t{rows} * t.c)));
      for (int y = b.y0; y < b.y1; ++y) {
        for (int x = t.col_frontier - cols; x < t.col_frontier; ++x) {
          if (Available(t, y, x, &unused)) col_keep.push_back(y * t.w + x);
        }
      }
    }
    if (t.line_rows > 0) {
      for (int y = std::max(b.y0, b.y1 - t.line_rows); y < b.y1; ++y) {
        for (int x = b.x0; x < b.x1; ++x) {
          if (Available(t, y, x, &unused)) line_keep.push_back(y * t.w + x);
        }
      }
    }
    ++t.col_gen;
    for (int i : col_keep) t.col_stamp[i] = t.col_gen;
    for (int i : line_keep) {  // a ring of the newest rows per column
      const int y = i / t.w, x = i % t.w;
      int& slot = t.line_row[(y % t.line_rows) * t.w + x];
      slot = std::max(slot, y);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SimulationReport> Simulator::Run(
    const std::vector<std::vector<int8_t>>& inputs,
    const graph::Interpreter* reference) {
  std::unique_ptr<graph::Interpreter> own;
  if (reference == nullptr) {
    absl::StatusOr<std::unique_ptr<graph::Interpreter>> made =
        graph::Interpreter::Create(g_, graph::InterpreterOptions{mode_});
    if (!made.ok()) return made.status();
    if (absl::Status st = (*made)->Run(inputs); !st.ok()) return st;
    own = std::move(*made);
    reference = own.get();
  } else {
    mode_ = reference->options().requant;
  }

  const int nt = static_cast<int>(g_.tensors.size());
  producer_ = graph::ProducerOf(g_);
  has_step_.assign(g_.ops.size(), false);
  for (const Step& st : plan_.steps) {
    if (st.op < 0 || st.op >= static_cast<int>(g_.ops.size())) {
      return absl::InvalidArgumentError("plan step names an unknown operator");
    }
    has_step_[st.op] = true;
  }
  t_.resize(nt);
  written_by_patch_.assign(nt, false);
  for (int i = 0; i < nt; ++i) {
    const graph::Tensor& gt = g_.tensors[i];
    if (gt.is_constant()) continue;
    TensorState& t = t_[i];
    if (gt.shape.size() == 4) {
      t.h = gt.shape[1];
      t.w = gt.shape[2];
      t.c = gt.shape[3];
    } else {
      t.c = static_cast<int>(gt.num_elements());
    }
    t.values.assign(gt.num_elements(), 0);
    t.whole.assign(int64_t{t.h} * t.w, 0);
  }
  for (size_t i = 0; i < inputs.size() && i < g_.inputs.size(); ++i) {
    t_[g_.inputs[i]].values = inputs[i];
    std::fill(t_[g_.inputs[i]].whole.begin(), t_[g_.inputs[i]].whole.end(), 1);
  }
  for (const Buffer& b : plan_.buffers) {
    if (b.tensor < 0 || b.tensor >= nt) continue;
    TensorState& t = t_[b.tensor];
    if (b.kind == BufferKind::kPatch) {
      t.per_patch = true;
      t.patch_bytes = std::max(t.patch_bytes, b.bytes);
    } else if (b.kind == BufferKind::kStream) {
      if (absl::EndsWith(b.name, "/col")) t.col_bytes += b.bytes;
      if (absl::EndsWith(b.name, "/line")) t.line_bytes += b.bytes;
    }
  }
  for (TensorState& t : t_) {
    if (!t.per_patch) continue;
    t.patch_stamp.assign(int64_t{t.h} * t.w, 0);
    t.col_stamp.assign(int64_t{t.h} * t.w, 0);
    t.line_rows = static_cast<int>(t.line_bytes / (int64_t{t.w} * t.c));
    t.line_row.assign(int64_t{t.line_rows} * t.w, -1);
  }
  for (int s = 0; s < static_cast<int>(plan_.steps.size()); ++s) {
    const Step& step = plan_.steps[s];
    if (step.kind != StepKind::kKernel) continue;
    if (step.patch != patch_) {
      if (patch_ >= 0) {
        if (absl::Status st = EndPatch(); !st.ok()) return st;
      }
      patch_ = step.patch;
    }
    absl::Status st = step.patch < 0 ? RunWhole(s, step) : RunRegion(s, step);
    if (!st.ok()) return st;
  }
  if (patch_ >= 0) {
    if (absl::Status st = EndPatch(); !st.ok()) return st;
  }
  for (int i = 0; i < nt; ++i) {
    const bool is_output =
        std::find(g_.outputs.begin(), g_.outputs.end(), i) != g_.outputs.end();
    if (!is_output && !(written_by_patch_[i] && !t_[i].per_patch)) continue;
    if (std::find(t_[i].whole.begin(), t_[i].whole.end(), 0) !=
        t_[i].whole.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "tensor '", g_.tensors[i].name, "' is not completely computed"));
    }
    const std::vector<int8_t>& want = reference->tensor(i);
    if (t_[i].values != want) {
      int64_t first = 0;
      while (t_[i].values[first] == want[first]) ++first;
      return absl::InternalError(absl::StrCat(
          "tensor '", g_.tensors[i].name, "' differs from the interpreter at ",
          "element ", first));
    }
    ++report_.tensors_compared;
  }
  return report_;
}

}  // namespace

absl::StatusOr<SimulationReport> SimulateSchedule(
    const Graph& graph, const Plan& plan,
    const std::vector<std::vector<int8_t>>& inputs, graph::RequantMode mode,
    const graph::Interpreter* reference) {
  if (inputs.size() != graph.inputs.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected ", graph.inputs.size(), " inputs, got ", inputs.size()));
  }
  Simulator sim(graph, plan, mode);
  return sim.Run(inputs, reference);
}

}  // namespace mcutune::space
