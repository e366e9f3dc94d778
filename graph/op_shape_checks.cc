// Operand checks per operator type. Each check reads the operator's operands
// (indices already range-checked by ValidateGraph) and compares the stored
// output shape with the one the operator computes.
#include "graph/op_shape_checks.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mcutune::graph {

int WindowOutputSize(int in, int kernel, int stride, int dilation,
                     Padding padding) {
  const int64_t dilated = int64_t{dilation} * (kernel - 1) + 1;
  if (padding == Padding::kSame) return (in + stride - 1) / stride;
  if (dilated > in) return 0;
  return static_cast<int>((in - dilated + stride) / stride);
}

int WindowPaddingBefore(int in, int kernel, int stride, int dilation,
                        Padding padding) {
  if (padding == Padding::kValid) return 0;
  const int out = WindowOutputSize(in, kernel, stride, dilation, padding);
  const int64_t dilated = int64_t{dilation} * (kernel - 1) + 1;
  const int64_t total = (int64_t{out} - 1) * stride + dilated - in;
  return total > 0 ? static_cast<int>(total / 2) : 0;
}

namespace {

constexpr int kMaxStride = 1 << 12;
constexpr int kMaxWindow = 1 << 12;

// Check helpers bound to one operator, so every message names it.
class OpChecker {
 public:
  OpChecker(const Graph& g, int index)
      : g_(g), op_(g.ops[index]),
        label_(absl::StrCat("operator ", index, " (", OpTypeName(op_.type),
                            ")")) {}

  absl::Status Run();

 private:
  const Tensor& T(int t) const { return g_.tensors[t]; }
  std::string Name(int t) const {
    return absl::StrCat("tensor ", t, " '", T(t).name, "' [",
                        absl::StrJoin(T(t).shape, ","), "]");
  }
  absl::Status Bad(const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(label_, ": ", what));
  }
  absl::Status Unsupported(const std::string& what) const {
    return absl::UnimplementedError(absl::StrCat(label_, ": ", what));
  }
  absl::Status Arity(size_t min_in, size_t max_in, size_t outs) const;
  absl::Status Activation(int t, const char* role) const;
  absl::Status Constant(int t, DataType type, const char* role) const;
  absl::Status Rank(int t, size_t rank, const char* role) const;
  absl::Status OutputShape(const std::vector<int32_t>& want) const;
  absl::Status SameQuant(int a, int b) const;
  absl::Status Window(int kh, int kw) const;

  absl::Status Conv(bool depthwise);
  absl::Status FullyConnected();
  absl::Status Add();
  absl::Status Pool();
  absl::Status Mean();
  absl::Status Pad();
  absl::Status Reshape();
  absl::Status Softmax();
  absl::Status Transpose();
  absl::Status Concatenation();

  const Graph& g_;
  const Operator& op_;
  const std::string label_;
};

absl::Status OpChecker::Arity(size_t min_in, size_t max_in, size_t outs) const {
  if (op_.inputs.size() < min_in || op_.inputs.size() > max_in) {
    return Bad(absl::StrCat("has ", op_.inputs.size(), " inputs, expected ",
                            min_in, min_in == max_in ? "" : absl::StrCat("..", max_in)));
  }
  if (op_.outputs.size() != outs) {
    return Bad(absl::StrCat("has ", op_.outputs.size(), " outputs, expected ",
                            outs));
  }
  for (size_t i = 0; i < min_in; ++i) {
    if (op_.inputs[i] < 0) return Bad(absl::StrCat("input ", i, " is missing"));
  }
  return absl::OkStatus();
}

absl::Status OpChecker::Activation(int t, const char* role) const {
  if (T(t).type != DataType::kInt8) {
    return Unsupported(absl::StrCat(role, " ", Name(t), " is ",
                                    DataTypeName(T(t).type),
                                    ": only int8 activations are supported"));
  }
  if (T(t).quant.scale.size() != 1) {
    return Bad(absl::StrCat(role, " ", Name(t),
                            T(t).quant.empty()
                                ? " has no quantization parameters"
                                : " must be quantized per tensor"));
  }
  return absl::OkStatus();
}

absl::Status OpChecker::Constant(int t, DataType type, const char* role) const {
  if (!T(t).is_constant()) {
    return Unsupported(absl::StrCat(role, " ", Name(t), " must be constant"));
  }
  if (T(t).type != type) {
    return Unsupported(absl::StrCat(role, " ", Name(t), " is ",
                                    DataTypeName(T(t).type), ", expected ",
                                    DataTypeName(type)));
  }
  return absl::OkStatus();
}

absl::Status OpChecker::Rank(int t, size_t rank, const char* role) const {
  if (T(t).shape.size() != rank) {
    return Bad(absl::StrCat(role, " ", Name(t), " must have rank ", rank));
  }
  return absl::OkStatus();
}

absl::Status OpChecker::OutputShape(const std::vector<int32_t>& want) const {
  const int out = op_.outputs[0];
  if (T(out).shape != want) {
    return Bad(absl::StrCat("output ", Name(out), " should have shape [",
                            absl::StrJoin(want, ","), "]"));
  }
  return absl::OkStatus();
}

absl::Status OpChecker::SameQuant(int a, int b) const {
  const Quantization& qa = T(a).quant;
  const Quantization& qb = T(b).quant;
  if (qa.scale != qb.scale || qa.zero_point != qb.zero_point) {
    return Unsupported(absl::StrCat("input ", Name(a), " and output ", Name(b),
                                    " must share scale and zero point"));
  }
  return absl::OkStatus();
}

absl::Status OpChecker::Window(int kh, int kw) const {
  const OpOptions& o = op_.options;
  if (o.stride_h < 1 || o.stride_w < 1 || o.stride_h > kMaxStride ||
      o.stride_w > kMaxStride) {
    return Bad(absl::StrCat("has stride ", o.stride_h, "x", o.stride_w));
  }
  if (o.dilation_h < 1 || o.dilation_w < 1 || o.dilation_h > kMaxStride ||
      o.dilation_w > kMaxStride) {
    return Bad(absl::StrCat("has dilation ", o.dilation_h, "x", o.dilation_w));
  }
  if (kh < 1 || kw < 1 || kh > kMaxWindow || kw > kMaxWindow) {
    return Bad(absl::StrCat("has window ", kh, "x", kw));
  }
  return absl::OkStatus();
}

absl::Status OpChecker::Conv(bool depthwise) {
  if (auto s = Arity(2, 3, 1); !s.ok()) return s;
  const int in = op_.inputs[0], filter = op_.inputs[1], out = op_.outputs[0];
  const int bias = op_.inputs.size() > 2 ? op_.inputs[2] : -1;
  if (auto s = Activation(in, "input"); !s.ok()) return s;
  if (auto s = Activation(out, "output"); !s.ok()) return s;
  if (auto s = Rank(in, 4, "input"); !s.ok()) return s;
  if (auto s = Constant(filter, DataType::kInt8, "filter"); !s.ok()) return s;
  if (auto s = Rank(filter, 4, "filter"); !s.ok()) return s;
  const auto& is = T(in).shape;
  const auto& fs = T(filter).shape;
  const int cin = is[3];
  int cout;
  if (depthwise) {
    cout = fs[3];
    if (fs[0] != 1 || cout % cin != 0) {
      return Bad(absl::StrCat("filter ", Name(filter),
                              " does not fit input channels ", cin));
    }
    if (op_.options.depth_multiplier != cout / cin) {
      return Bad(absl::StrCat("depth_multiplier ", op_.options.depth_multiplier,
                              " disagrees with channels ", cin, "->", cout));
    }
  } else {
    cout = fs[0];
    if (fs[3] != cin) {
      return Unsupported(absl::StrCat("filter ", Name(filter),
                                      " does not match input channels ", cin,
                                      " (grouped convolution)"));
    }
  }
  const int qdim = depthwise ? 3 : 0;
  const Quantization& fq = T(filter).quant;
  if (fq.empty()) return Bad(absl::StrCat("filter ", Name(filter), " has no quantization"));
  if (fq.per_channel() && fq.quantized_dimension != qdim) {
    return Unsupported(absl::StrCat("filter ", Name(filter),
                                    " is quantized along dimension ",
                                    fq.quantized_dimension, ", expected ",
                                    qdim));
  }
  for (int64_t zp : fq.zero_point) {
    if (zp != 0) return Unsupported(absl::StrCat("filter ", Name(filter), " has non-zero zero point"));
  }
  if (bias >= 0) {
    if (auto s = Constant(bias, DataType::kInt32, "bias"); !s.ok()) return s;
    if (T(bias).num_elements() != cout) {
      return Bad(absl::StrCat("bias ", Name(bias), " needs ", cout, " values"));
    }
  }
  if (auto s = Window(fs[1], fs[2]); !s.ok()) return s;
  const OpOptions& o = op_.options;
  const int oh = WindowOutputSize(is[1], fs[1], o.stride_h, o.dilation_h, o.padding);
  const int ow = WindowOutputSize(is[2], fs[2], o.stride_w, o.dilation_w, o.padding);
  if (oh < 1 || ow < 1) return Bad("the filter window is larger than the input");
  return OutputShape({is[0], oh, ow, cout});
}

absl::Status OpChecker::FullyConnected() {
  if (auto s = Arity(2, 3, 1); !s.ok()) return s;
  const int in = op_.inputs[0], w = op_.inputs[1], out = op_.outputs[0];
  const int bias = op_.inputs.size() > 2 ? op_.inputs[2] : -1;
  if (auto s = Activation(in, "input"); !s.ok()) return s;
  if (auto s = Activation(out, "output"); !s.ok()) return s;
  if (auto s = Constant(w, DataType::kInt8, "weights"); !s.ok()) return s;
  if (auto s = Rank(w, 2, "weights"); !s.ok()) return s;
  const Quantization& wq = T(w).quant;
  if (wq.empty()) return Bad(absl::StrCat("weights ", Name(w), " have no quantization"));
  if (wq.per_channel() && wq.quantized_dimension != 0) {
    return Unsupported(absl::StrCat("weights ", Name(w), " quantized along dimension ", wq.quantized_dimension));
  }
  for (int64_t zp : wq.zero_point) {
    if (zp != 0) return Unsupported(absl::StrCat("weights ", Name(w), " have non-zero zero point"));
  }
  const int units = T(w).shape[0], depth = T(w).shape[1];
  if (T(in).num_elements() % depth != 0) {
    return Bad(absl::StrCat("input ", Name(in), " is not a multiple of depth ", depth));
  }
  if (bias >= 0) {
    if (auto s = Constant(bias, DataType::kInt32, "bias"); !s.ok()) return s;
    if (T(bias).num_elements() != units) {
      return Bad(absl::StrCat("bias ", Name(bias), " needs ", units, " values"));
    }
  }
  const int64_t batch = T(in).num_elements() / depth;
  const auto& os = T(out).shape;
  if (os.empty() || os.back() != units || T(out).num_elements() != batch * units) {
    return Bad(absl::StrCat("output ", Name(out), " should hold ", batch, "x", units));
  }
  return absl::OkStatus();
}

absl::Status OpChecker::Add() {
  if (auto s = Arity(2, 2, 1); !s.ok()) return s;
  for (int t : op_.inputs) {
    if (auto s = Activation(t, "input"); !s.ok()) return s;
  }
  if (auto s = Activation(op_.outputs[0], "output"); !s.ok()) return s;
  if (T(op_.inputs[0]).shape != T(op_.inputs[1]).shape) {
    return Unsupported(absl::StrCat("broadcasting ", Name(op_.inputs[0]), " + ",
                                    Name(op_.inputs[1]), " is not supported"));
  }
  return OutputShape(T(op_.inputs[0]).shape);
}

absl::Status OpChecker::Pool() {
  if (auto s = Arity(1, 1, 1); !s.ok()) return s;
  const int in = op_.inputs[0], out = op_.outputs[0];
  if (auto s = Activation(in, "input"); !s.ok()) return s;
  if (auto s = Activation(out, "output"); !s.ok()) return s;
  if (auto s = Rank(in, 4, "input"); !s.ok()) return s;
  if (auto s = SameQuant(in, out); !s.ok()) return s;
  const OpOptions& o = op_.options;
  if (auto s = Window(o.filter_h, o.filter_w); !s.ok()) return s;
  if (o.dilation_h != 1 || o.dilation_w != 1) return Bad("pooling has dilation");
  const auto& is = T(in).shape;
  const int oh = WindowOutputSize(is[1], o.filter_h, o.stride_h, 1, o.padding);
  const int ow = WindowOutputSize(is[2], o.filter_w, o.stride_w, 1, o.padding);
  if (oh < 1 || ow < 1) return Bad("the pooling window is larger than the input");
  return OutputShape({is[0], oh, ow, is[3]});
}

std::vector<int32_t> ReadInts(const Graph& g, int t) {
  const auto& data = g.data(t);
  std::vector<int32_t> v;
  const int size = DataTypeSize(g.tensors[t].type);
  for (size_t i = 0; i + size <= data.size(); i += size) {
    int64_t x = 0;
    for (int b = size - 1; b >= 0; --b) x = (x << 8) | data[i + b];
    if (size == 4) x = static_cast<int32_t>(x);
    v.push_back(static_cast<int32_t>(std::max<int64_t>(INT32_MIN, std::min<int64_t>(INT32_MAX, x))));
  }
  return v;
}

absl::Status OpChecker::Mean() {
  if (auto s = Arity(2, 2, 1); !s.ok()) return s;
  const int in = op_.inputs[0], axes = op_.inputs[1];
  if (auto s = Activation(in, "input"); !s.ok()) return s;
  if (auto s = Activation(op_.outputs[0], "output"); !s.ok()) return s;
  if (auto s = Constant(axes, DataType::kInt32, "axes"); !s.ok()) return s;
  const int rank = static_cast<int>(T(in).shape.size());
  std::vector<bool> reduced(rank, false);
  for (int32_t a : ReadInts(g_, axes)) {
    if (a < -rank || a >= rank) return Bad(absl::StrCat("axis ", a, " is out of range"));
    reduced[a < 0 ? a + rank : a] = true;
  }
  std::vector<int32_t> want;
  for (int d = 0; d < rank; ++d) {
    if (!reduced[d]) want.push_back(T(in).shape[d]);
    else if (op_.options.keep_dims) want.push_back(1);
  }
  return OutputShape(want);
}

absl::Status OpChecker::Pad() {
  if (auto s = Arity(2, 2, 1); !s.ok()) return s;
  const int in = op_.inputs[0], pads = op_.inputs[1], out = op_.outputs[0];
  if (auto s = Activation(in, "input"); !s.ok()) return s;
  if (auto s = Activation(out, "output"); !s.ok()) return s;
  if (auto s = SameQuant(in, out); !s.ok()) return s;
  if (T(pads).type != DataType::kInt32 && T(pads).type != DataType::kInt64) {
    return Unsupported(absl::StrCat("paddings ", Name(pads), " must be int32 or int64"));
  }
  if (!T(pads).is_constant()) return Unsupported(absl::StrCat("paddings ", Name(pads), " must be constant"));
  const int rank = static_cast<int>(T(in).shape.size());
  if (T(pads).shape != std::vector<int32_t>{rank, 2}) {
    return Bad(absl::StrCat("paddings ", Name(pads), " should be [", rank, ",2]"));
  }
  const std::vector<int32_t> p = ReadInts(g_, pads);
  std::vector<int32_t> want;
  for (int d = 0; d < rank; ++d) {
    if (p[2 * d] < 0 || p[2 * d + 1] < 0 || p[2 * d] > kMaxWindow || p[2 * d + 1] > kMaxWindow) {
      return Bad(absl::StrCat("padding ", p[2 * d], ",", p[2 * d + 1], " on axis ", d));
    }
    want.push_back(T(in).shape[d] + p[2 * d] + p[2 * d + 1]);
  }
  return OutputShape(want);
}

absl::Status OpChecker::Reshape() {
  if (auto s = Arity(1, 2, 1); !s.ok()) return s;
  const int in = op_.inputs[0], out = op_.outputs[0];
  if (auto s = Activation(in, "input"); !s.ok()) return s;
  if (auto s = Activation(out, "output"); !s.ok()) return s;
  if (auto s = SameQuant(in, out); !s.ok()) return s;
  if (T(in).num_elements() != T(out).num_elements()) {
    return Bad(absl::StrCat("output ", Name(out), " has a different size than input ", Name(in)));
  }
  return absl::OkStatus();
}

absl::Status OpChecker::Softmax() {
  if (auto s = Arity(1, 1, 1); !s.ok()) return s;
  const int in = op_.inputs[0];
  if (auto s = Activation(in, "input"); !s.ok()) return s;
  if (auto s = Activation(op_.outputs[0], "output"); !s.ok()) return s;
  if (!(op_.options.beta > 0.0f) || !(op_.options.beta < 1e6f)) {
    return Bad(absl::StrCat("beta ", op_.options.beta, " is out of range"));
  }
  return OutputShape(T(in).shape);
}

absl::Status OpChecker::Transpose() {
  if (auto s = Arity(2, 2, 1); !s.ok()) return s;
  const int in = op_.inputs[0], perm = op_.inputs[1], out = op_.outputs[0];
  if (auto s = Activation(in, "input"); !s.ok()) return s;
  if (auto s = Activation(out, "output"); !s.ok()) return s;
  if (auto s = SameQuant(in, out); !s.ok()) return s;
  if (auto s = Constant(perm, DataType::kInt32, "permutation"); !s.ok()) return s;
  const int rank = static_cast<int>(T(in).shape.size());
  const std::vector<int32_t> p = ReadInts(g_, perm);
  if (static_cast<int>(p.size()) != rank) return Bad(absl::StrCat("permutation ", Name(perm), " needs ", rank, " entries"));
  std::vector<bool> seen(rank, false);
  std::vector<int32_t> want;
  for (int32_t a : p) {
    if (a < 0 || a >= rank || seen[a]) return Bad(absl::StrCat("permutation ", Name(perm), " is not a permutation"));
    seen[a] = true;
    want.push_back(T(in).shape[a]);
  }
  return OutputShape(want);
}

absl::Status OpChecker::Concatenation() {
  if (auto s = Arity(1, 1024, 1); !s.ok()) return s;
  const int first = op_.inputs[0];
  const int rank = static_cast<int>(T(first).shape.size());
  const int axis = op_.options.axis;
  if (axis < 0 || axis >= rank) return Bad(absl::StrCat("axis ", axis, " is out of range"));
  std::vector<int32_t> want = T(first).shape;
  want[axis] = 0;
  for (int t : op_.inputs) {
    if (t < 0) return Bad("an input is missing");
    if (auto s = Activation(t, "input"); !s.ok()) return s;
    if (static_cast<int>(T(t).shape.size()) != rank) return Bad(absl::StrCat("input ", Name(t), " has a different rank"));
    for (int d = 0; d < rank; ++d) {
      if (d != axis && T(t).shape[d] != want[d]) return Bad(absl::StrCat("input ", Name(t), " does not match on axis ", d));
    }
    if (want[axis] > kMaxTensorBytes - T(t).shape[axis]) return Bad("concatenated size overflows");
    want[axis] += T(t).shape[axis];
  }
  if (auto s = Activation(op_.outputs[0], "output"); !s.ok()) return s;
  if (want[axis] > INT32_MAX) return Bad("concatenated size overflows");
  return OutputShape(want);
}

absl::Status OpChecker::Run() {
  switch (op_.type) {
    case OpType::kConv2D: return Conv(false);
    case OpType::kDepthwiseConv2D: return Conv(true);
    case OpType::kFullyConnected: return FullyConnected();
    case OpType::kAdd: return Add();
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D: return Pool();
    case OpType::kMean: return Mean();
    case OpType::kPad: return Pad();
    case OpType::kReshape: return Reshape();
    case OpType::kSoftmax: return Softmax();
    case OpType::kTranspose: return Transpose();
    case OpType::kConcatenation: return Concatenation();
  }
  return Bad("unknown operator type");
}

}  // namespace

absl::Status CheckOperatorShapes(const Graph& graph, int op_index) {
  return OpChecker(graph, op_index).Run();
}

}  // namespace mcutune::graph
