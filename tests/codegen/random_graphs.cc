// RandomOpGraph: random single-operator graphs for the kernel property
// tests (random shapes, strides, paddings, dilations, scales, zero points,
// activations), valid for the reference interpreter.
#include <cmath>
#include <cstring>
#include <numeric>

#include "tests/codegen/kernel_harness.h"

namespace mcutune::codegen::testing {
namespace {

using graph::Activation;
using graph::DataType;
using graph::Graph;
using graph::OpType;
using graph::Padding;
using graph::Quantization;

int Uniform(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
float UniformF(std::mt19937& rng, float lo, float hi) {
  return std::uniform_real_distribution<float>(lo, hi)(rng);
}
// Log-uniform scale.
float LogScale(std::mt19937& rng, float lo, float hi) {
  return std::exp(UniformF(rng, std::log(lo), std::log(hi)));
}

Quantization Q(float scale, int64_t zp) {
  Quantization q;
  q.scale = {scale};
  q.zero_point = {zp};
  return q;
}

class Builder {
 public:
  int Act(std::vector<int32_t> shape, Quantization q) {
    graph::Tensor t;
    t.name = "t" + std::to_string(g.tensors.size());
    t.shape = std::move(shape);
    t.quant = std::move(q);
    g.tensors.push_back(std::move(t));
    return static_cast<int>(g.tensors.size()) - 1;
  }
  int Input(std::vector<int32_t> shape, Quantization q) {
    const int t = Act(std::move(shape), std::move(q));
    g.inputs.push_back(t);
    return t;
  }
  int Int8(std::vector<int32_t> shape, Quantization q, std::mt19937& rng) {
    const int t = Act(std::move(shape), std::move(q));
    const Bytes v = RandomBytes(g.tensors[t].num_elements(), rng);
    return Attach(t, std::vector<uint8_t>(v.begin(), v.end()));
  }
  int Int32(std::vector<int32_t> shape, const std::vector<int32_t>& values) {
    const int t = Act(std::move(shape), {});
    g.tensors[t].type = DataType::kInt32;
    std::vector<uint8_t> bytes(values.size() * 4);
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return Attach(t, std::move(bytes));
  }
  void Op(OpType type, std::vector<int> inputs, int output,
          graph::OpOptions o = {}) {
    graph::Operator op;
    op.type = type;
    op.inputs = std::move(inputs);
    op.outputs = {output};
    op.options = o;
    g.ops.push_back(op);
    g.outputs = {output};
  }
  Graph g;

 private:
  int Attach(int t, std::vector<uint8_t> bytes) {
    g.buffers.push_back(std::move(bytes));
    g.tensors[t].buffer = static_cast<int>(g.buffers.size()) - 1;
    return t;
  }
};

Activation RandomActivation(std::mt19937& rng) {
  static const Activation kAll[] = {Activation::kNone, Activation::kNone,
                                    Activation::kRelu, Activation::kRelu6,
                                    Activation::kReluN1To1};
  return kAll[Uniform(rng, 0, 4)];
}

int OutSize(int in, int k, int s, int d, Padding pad) {
  const int eff = (k - 1) * d + 1;
  return pad == Padding::kSame ? (in + s - 1) / s
                               : (in >= eff ? (in - eff + s) / s : 0);
}

Graph ConvLike(KernelKind kind, std::mt19937& rng) {
  Builder b;
  const bool dw = kind == KernelKind::kDepthwiseConv2D;
  graph::OpOptions o;
  o.padding = Uniform(rng, 0, 2) ? Padding::kSame : Padding::kValid;
  const int shape_kind = Uniform(rng, 0, 3);  // 0: 1x1, 1: 3x3, else any
  const int kh = shape_kind == 0 ? 1 : shape_kind == 1 ? 3 : Uniform(rng, 1, 5);
  const int kw = shape_kind == 0 ? 1 : shape_kind == 1 ? 3 : Uniform(rng, 1, 5);
  o.stride_h = Uniform(rng, 1, 3), o.stride_w = Uniform(rng, 1, 3);
  if (Uniform(rng, 0, 3) == 0) o.dilation_h = Uniform(rng, 1, 3);
  if (Uniform(rng, 0, 3) == 0) o.dilation_w = Uniform(rng, 1, 3);
  o.activation = RandomActivation(rng);
  const int ih = Uniform(rng, (kh - 1) * o.dilation_h + 1, 14);
  const int iw = Uniform(rng, (kw - 1) * o.dilation_w + 1, 14);
  const int cin = Uniform(rng, 1, dw ? 24 : 20);
  o.depth_multiplier = dw && Uniform(rng, 0, 3) == 0 ? Uniform(rng, 2, 3) : 1;
  const int cout = dw ? cin * o.depth_multiplier : Uniform(rng, 1, 19);
  const int oh = OutSize(ih, kh, o.stride_h, o.dilation_h, o.padding);
  const int ow = OutSize(iw, kw, o.stride_w, o.dilation_w, o.padding);
  const float s_in = LogScale(rng, 0.005f, 0.1f);
  const int zp_in = Uniform(rng, -128, 127);
  Quantization wq;
  wq.quantized_dimension = dw ? 3 : 0;
  const bool per_channel = Uniform(rng, 0, 4) != 0;
  for (int c = 0; c < (per_channel ? cout : 1); ++c) {
    wq.scale.push_back(LogScale(rng, 0.002f, 0.02f));
    wq.zero_point.push_back(0);
  }
  const int taps = dw ? kh * kw : kh * kw * cin;
  const float acc_std = std::sqrt(float(taps)) * 74.0f * 74.0f;
  const float s_out =
      s_in * wq.scale[0] * acc_std / 60.0f * LogScale(rng, 0.3f, 3.0f);
  const int in = b.Input({1, ih, iw, cin}, Q(s_in, zp_in));
  const int w = dw ? b.Int8({1, kh, kw, cout}, wq, rng)
                   : b.Int8({cout, kh, kw, cin}, wq, rng);
  std::vector<int32_t> bias(cout);
  for (int32_t& v : bias) v = Uniform(rng, -int(acc_std), int(acc_std));
  const int bt = b.Int32({cout}, bias);
  const int out = b.Act({1, oh, ow, cout}, Q(s_out, Uniform(rng, -128, 127)));
  b.Op(dw ? OpType::kDepthwiseConv2D : OpType::kConv2D,
       {in, w, Uniform(rng, 0, 5) ? bt : -1}, out, o);
  return b.g;
}

Graph FullyConnected(std::mt19937& rng) {
  Builder b;
  const int batches = Uniform(rng, 1, 3), depth = Uniform(rng, 1, 80);
  const int units = Uniform(rng, 1, 21);
  const float s_in = LogScale(rng, 0.005f, 0.1f);
  const float s_w = LogScale(rng, 0.002f, 0.02f);
  const int zp_w = 0;  // the graph validator rejects others
  const float acc_std = std::sqrt(float(depth)) * 74.0f * 74.0f;
  const int in = b.Input({batches, depth}, Q(s_in, Uniform(rng, -128, 127)));
  const int w = b.Int8({units, depth}, Q(s_w, zp_w), rng);
  std::vector<int32_t> bias(units);
  for (int32_t& v : bias) v = Uniform(rng, -int(acc_std), int(acc_std));
  const int bt = b.Int32({units}, bias);
  const int out = b.Act({batches, units}, Q(s_in * s_w * acc_std / 60.0f *
                                                LogScale(rng, 0.3f, 3.0f),
                                            Uniform(rng, -128, 127)));
  graph::OpOptions o;
  o.activation = RandomActivation(rng);
  b.Op(OpType::kFullyConnected, {in, w, bt}, out, o);
  return b.g;
}

Graph Add(std::mt19937& rng) {
  Builder b;
  const std::vector<int32_t> shape = {1, Uniform(rng, 1, 9), Uniform(rng, 1, 9),
                                      Uniform(rng, 1, 17)};
  const float sa = LogScale(rng, 0.01f, 0.1f), sb = LogScale(rng, 0.01f, 0.1f);
  float so = (sa + sb) * LogScale(rng, 0.3f, 2.0f);
  if (Uniform(rng, 0, 7) == 0) so = sa / 700.0f;  // outside XNNPACK's range
  const int a = b.Input(shape, Q(sa, Uniform(rng, -128, 127)));
  const int bb = b.Input(shape, Q(sb, Uniform(rng, -128, 127)));
  const int out = b.Act(shape, Q(so, Uniform(rng, -128, 127)));
  graph::OpOptions o;
  o.activation = RandomActivation(rng);
  b.Op(OpType::kAdd, {a, bb}, out, o);
  return b.g;
}

// one_row: the output has one row (a reduction over H): a global window
// (VALID, filter_h = H) or a SAME window whose stride covers H.
Graph Pool(bool average, std::mt19937& rng, bool one_row = false) {
  Builder b;
  graph::OpOptions o;
  o.padding = Uniform(rng, 0, 1) ? Padding::kSame : Padding::kValid;
  o.filter_h = Uniform(rng, 1, 4), o.filter_w = Uniform(rng, 1, 4);
  o.stride_h = Uniform(rng, 1, 3), o.stride_w = Uniform(rng, 1, 3);
  o.activation = RandomActivation(rng);
  int ih = Uniform(rng, o.filter_h, 12);
  const int iw = Uniform(rng, o.filter_w, 12);
  if (one_row) {
    ih = Uniform(rng, 2, 12);
    if (o.padding == Padding::kValid) {
      o.filter_h = ih;
    } else {
      o.filter_h = Uniform(rng, 1, ih + 2);
      o.stride_h = Uniform(rng, ih, ih + 2);
    }
  }
  const int c = Uniform(rng, 1, 21);
  const Quantization q = Q(LogScale(rng, 0.01f, 0.1f), Uniform(rng, -128, 127));
  const int in = b.Input({1, ih, iw, c}, q);
  const int out = b.Act({1, OutSize(ih, o.filter_h, o.stride_h, 1, o.padding),
                         OutSize(iw, o.filter_w, o.stride_w, 1, o.padding), c},
                        q);
  b.Op(average ? OpType::kAveragePool2D : OpType::kMaxPool2D, {in}, out, o);
  return b.g;
}

Graph Mean(std::mt19937& rng) {
  Builder b;
  const int h = Uniform(rng, 1, 9), w = Uniform(rng, 1, 9),
            c = Uniform(rng, 1, 21);
  const float s = LogScale(rng, 0.01f, 0.1f);
  const int in = b.Input({1, h, w, c}, Q(s, Uniform(rng, -128, 127)));
  const int axes =
      b.Int32({2}, Uniform(rng, 0, 1) ? std::vector<int32_t>{1, 2}
                                      : std::vector<int32_t>{2, -3});
  graph::OpOptions o;
  o.keep_dims = Uniform(rng, 0, 1);
  const std::vector<int32_t> out_shape = o.keep_dims
                                             ? std::vector<int32_t>{1, 1, 1, c}
                                             : std::vector<int32_t>{1, c};
  const float so = Uniform(rng, 0, 2) ? s : s * LogScale(rng, 0.3f, 3.0f);
  const int out = b.Act(out_shape, Q(so, Uniform(rng, -128, 127)));
  b.Op(OpType::kMean, {in, axes}, out, o);
  return b.g;
}

Graph Pad(std::mt19937& rng) {
  Builder b;
  const int h = Uniform(rng, 1, 9), w = Uniform(rng, 1, 9),
            c = Uniform(rng, 1, 9);
  std::vector<int32_t> pads = {0,
                               0,
                               Uniform(rng, 0, 3),
                               Uniform(rng, 0, 3),
                               Uniform(rng, 0, 3),
                               Uniform(rng, 0, 3),
                               0,
                               0};
  if (Uniform(rng, 0, 3) == 0)
    pads[6] = Uniform(rng, 0, 2), pads[7] = Uniform(rng, 0, 2);
  const Quantization q = Q(0.05f, Uniform(rng, -128, 127));
  const int in = b.Input({1, h, w, c}, q);
  const int pt = b.Int32({4, 2}, pads);
  const int out = b.Act(
      {1, h + pads[2] + pads[3], w + pads[4] + pads[5], c + pads[6] + pads[7]},
      q);
  b.Op(OpType::kPad, {in, pt}, out);
  return b.g;
}

Graph Softmax(std::mt19937& rng) {
  Builder b;
  const int rows = Uniform(rng, 1, 4), depth = Uniform(rng, 1, 40);
  const int in = b.Input(
      {rows, depth}, Q(LogScale(rng, 0.01f, 0.5f), Uniform(rng, -128, 127)));
  const Quantization q = Uniform(rng, 0, 2) ? Q(1.0f / 256.0f, -128)
                                            : Q(LogScale(rng, 0.002f, 0.01f),
                                                Uniform(rng, -128, 0));
  const int out = b.Act({rows, depth}, q);
  graph::OpOptions o;
  o.beta = Uniform(rng, 0, 1) ? 1.0f : UniformF(rng, 0.3f, 2.0f);
  b.Op(OpType::kSoftmax, {in}, out, o);
  return b.g;
}

Graph Transpose(std::mt19937& rng) {
  Builder b;
  std::vector<int32_t> shape(4), perm(4);
  for (int32_t& d : shape) d = Uniform(rng, 1, 5);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<int32_t> out_shape(4);
  for (int i = 0; i < 4; ++i) out_shape[i] = shape[perm[i]];
  const Quantization q = Q(0.05f, 3);
  const int in = b.Input(shape, q);
  const int pt = b.Int32({4}, perm);
  const int out = b.Act(out_shape, q);
  b.Op(OpType::kTranspose, {in, pt}, out);
  return b.g;
}

Graph Concat(std::mt19937& rng) {
  Builder b;
  graph::OpOptions o;
  o.axis = Uniform(rng, 1, 3);
  const int parts = Uniform(rng, 2, 3);
  std::vector<int32_t> shape = {1, Uniform(rng, 1, 6), Uniform(rng, 1, 6),
                                Uniform(rng, 1, 9)};
  const Quantization qo = Q(0.05f, Uniform(rng, -20, 20));
  std::vector<int> inputs;
  int total = 0;
  for (int i = 0; i < parts; ++i) {
    std::vector<int32_t> s = shape;
    s[o.axis] = Uniform(rng, 1, 5);
    total += s[o.axis];
    inputs.push_back(b.Input(
        s, Uniform(rng, 0, 1)
               ? qo
               : Q(LogScale(rng, 0.02f, 0.1f), Uniform(rng, -128, 127))));
  }
  if (Uniform(rng, 0, 3) == 0) o.activation = Activation::kRelu;
  shape[o.axis] = total;
  const int out = b.Act(shape, qo);
  b.Op(OpType::kConcatenation, inputs, out, o);
  return b.g;
}

Graph Reshape(std::mt19937& rng) {
  Builder b;
  const int h = Uniform(rng, 1, 5), w = Uniform(rng, 1, 5),
            c = Uniform(rng, 1, 9);
  const Quantization q = Q(0.05f, 1);
  const int in = b.Input({1, h, w, c}, q);
  const int out = b.Act({1, h * w * c}, q);
  b.Op(OpType::kReshape, {in}, out);
  return b.g;
}

}  // namespace

Graph RandomOneRowPoolGraph(bool average, std::mt19937& rng) {
  return Pool(average, rng, /*one_row=*/true);
}

Graph RandomOpGraph(KernelKind kind, std::mt19937& rng) {
  switch (kind) {
    case KernelKind::kConv2D:
    case KernelKind::kDepthwiseConv2D:
      return ConvLike(kind, rng);
    case KernelKind::kFullyConnected:
      return FullyConnected(rng);
    case KernelKind::kAdd:
      return Add(rng);
    case KernelKind::kAveragePool:
      return Pool(true, rng);
    case KernelKind::kMaxPool:
      return Pool(false, rng);
    case KernelKind::kMean:
      return Mean(rng);
    case KernelKind::kPad:
      return Pad(rng);
    case KernelKind::kSoftmax:
      return Softmax(rng);
    case KernelKind::kReshape:
      return Reshape(rng);
    case KernelKind::kTranspose:
      return Transpose(rng);
    case KernelKind::kConcatenation:
      return Concat(rng);
  }
  return {};
}

}  // namespace mcutune::codegen::testing
