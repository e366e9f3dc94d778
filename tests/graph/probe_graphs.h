// Test helper: small hand-built int8 graphs, one per supported operator type,
// with deterministic data. The writer tests round-trip them, the oracle tests
// run them through the real TFLite runtime.
#ifndef MCUTUNE_TESTS_GRAPH_PROBE_GRAPHS_H_
#define MCUTUNE_TESTS_GRAPH_PROBE_GRAPHS_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"

namespace mcutune::testing {

using graph::Activation;
using graph::DataType;
using graph::Graph;
using graph::OpType;
using graph::Padding;
using graph::Quantization;

inline Quantization Q(float scale, int64_t zp) {
  Quantization q;
  q.scale = {scale};
  q.zero_point = {zp};
  return q;
}

inline Quantization PerChannel(int n, float base, int dim) {
  Quantization q;
  for (int i = 0; i < n; ++i) {
    q.scale.push_back(base * (1.0f + 0.37f * static_cast<float>(i % 5)));
    q.zero_point.push_back(0);
  }
  q.quantized_dimension = dim;
  return q;
}

class ProbeBuilder {
 public:
  explicit ProbeBuilder(std::string name) { g_.name = std::move(name); }

  int Act(const std::string& name, std::vector<int32_t> shape, Quantization q) {
    graph::Tensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.quant = std::move(q);
    g_.tensors.push_back(t);
    return static_cast<int>(g_.tensors.size()) - 1;
  }
  int Input(const std::string& name, std::vector<int32_t> shape,
            Quantization q) {
    const int t = Act(name, std::move(shape), std::move(q));
    g_.inputs.push_back(t);
    return t;
  }
  // int8 constant filled with a deterministic pattern in [-127, 127].
  int Int8Const(const std::string& name, std::vector<int32_t> shape,
                Quantization q) {
    const int t = Act(name, std::move(shape), std::move(q));
    std::vector<uint8_t> bytes(g_.tensors[t].num_elements());
    for (size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<uint8_t>(
          static_cast<int8_t>(static_cast<int>((i * 37 + 11) % 255) - 127));
    }
    return Attach(t, std::move(bytes));
  }
  int Int32Const(const std::string& name, std::vector<int32_t> shape,
                 const std::vector<int32_t>& values, Quantization q = {}) {
    const int t = Act(name, std::move(shape), std::move(q));
    g_.tensors[t].type = DataType::kInt32;
    std::vector<uint8_t> bytes(values.size() * 4);
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return Attach(t, std::move(bytes));
  }
  void Op(OpType type, std::vector<int> inputs, int output,
          graph::OpOptions options = {}) {
    graph::Operator op;
    op.type = type;
    op.inputs = std::move(inputs);
    op.outputs = {output};
    op.options = options;
    g_.ops.push_back(op);
  }
  Graph Finish(int output) {
    g_.outputs = {output};
    return g_;
  }
  // Several graph outputs, in this order.
  Graph Finish(std::vector<int> outputs) {
    g_.outputs = std::move(outputs);
    return g_;
  }

 private:
  int Attach(int t, std::vector<uint8_t> bytes) {
    g_.buffers.push_back(std::move(bytes));
    g_.tensors[t].buffer = static_cast<int>(g_.buffers.size()) - 1;
    return t;
  }
  Graph g_;
};

// Bias values for `n` channels and their int32 quantization.
inline std::vector<int32_t> BiasValues(int n) {
  std::vector<int32_t> v;
  for (int i = 0; i < n; ++i) v.push_back((i * 7919) % 2001 - 1000);
  return v;
}

// One graph per operator type (name = the TFLite operator name, lower case).
inline std::vector<Graph> ProbeGraphs() {
  std::vector<Graph> out;
  {  // conv: per-channel, SAME, stride 2, relu6
    ProbeBuilder b("conv_2d");
    const int in = b.Input("input", {1, 9, 8, 3}, Q(0.05f, -3));
    const Quantization wq = PerChannel(5, 0.01f, 0);
    const int w = b.Int8Const("conv/weights", {5, 3, 3, 3}, wq);
    Quantization bq = wq;
    for (float& s : bq.scale) s *= 0.05f;
    const int bias = b.Int32Const("conv/bias", {5}, BiasValues(5), bq);
    const int out_t = b.Act("conv", {1, 5, 4, 5}, Q(0.04f, -128));
    graph::OpOptions o;
    o.padding = Padding::kSame;
    o.stride_h = o.stride_w = 2;
    o.activation = Activation::kRelu6;
    b.Op(OpType::kConv2D, {in, w, bias}, out_t, o);
    out.push_back(b.Finish(out_t));
  }
  {  // depthwise: VALID, multiplier 2, per-channel along dim 3
    ProbeBuilder b("depthwise_conv_2d");
    const int in = b.Input("input", {1, 7, 7, 4}, Q(0.1f, 5));
    const Quantization wq = PerChannel(8, 0.02f, 3);
    const int w = b.Int8Const("dw/weights", {1, 3, 3, 8}, wq);
    Quantization bq = wq;
    bq.quantized_dimension = 0;
    for (float& s : bq.scale) s *= 0.1f;
    const int bias = b.Int32Const("dw/bias", {8}, BiasValues(8), bq);
    const int out_t = b.Act("dw", {1, 5, 5, 8}, Q(0.2f, 3));
    graph::OpOptions o;
    o.padding = Padding::kValid;
    o.depth_multiplier = 2;
    b.Op(OpType::kDepthwiseConv2D, {in, w, bias}, out_t, o);
    out.push_back(b.Finish(out_t));
  }
  {  // fully connected, per-tensor, relu
    ProbeBuilder b("fully_connected");
    const int in = b.Input("input", {1, 24}, Q(0.1f, -10));
    const int w = b.Int8Const("fc/weights", {6, 24}, Q(0.01f, 0));
    const int bias = b.Int32Const("fc/bias", {6}, BiasValues(6), Q(0.001f, 0));
    const int out_t = b.Act("fc", {1, 6}, Q(0.3f, -128));
    graph::OpOptions o;
    o.activation = Activation::kRelu;
    b.Op(OpType::kFullyConnected, {in, w, bias}, out_t, o);
    out.push_back(b.Finish(out_t));
  }
  {  // add with different scales
    ProbeBuilder b("add");
    const int x = b.Input("x", {1, 4, 4, 6}, Q(0.1f, 2));
    const int y = b.Input("y", {1, 4, 4, 6}, Q(0.07f, -9));
    const int out_t = b.Act("sum", {1, 4, 4, 6}, Q(0.15f, -1));
    b.Op(OpType::kAdd, {x, y}, out_t);
    out.push_back(b.Finish(out_t));
  }
  for (OpType pool : {OpType::kAveragePool2D, OpType::kMaxPool2D}) {
    ProbeBuilder b(pool == OpType::kAveragePool2D ? "average_pool_2d"
                                                  : "max_pool_2d");
    const int in = b.Input("input", {1, 7, 7, 3}, Q(0.1f, -4));
    const int out_t = b.Act("pool", {1, 4, 4, 3}, Q(0.1f, -4));
    graph::OpOptions o;
    o.padding = Padding::kSame;
    o.stride_h = o.stride_w = 2;
    o.filter_h = o.filter_w = 3;
    b.Op(pool, {in}, out_t, o);
    out.push_back(b.Finish(out_t));
  }
  {  // mean over H, W keeping dims
    ProbeBuilder b("mean");
    const int in = b.Input("input", {1, 5, 5, 4}, Q(0.1f, -4));
    const int axes = b.Int32Const("axes", {2}, {1, 2});
    const int out_t = b.Act("mean", {1, 1, 1, 4}, Q(0.05f, 1));
    graph::OpOptions o;
    o.keep_dims = true;
    b.Op(OpType::kMean, {in, axes}, out_t, o);
    out.push_back(b.Finish(out_t));
  }
  {  // pad
    ProbeBuilder b("pad");
    const int in = b.Input("input", {1, 4, 4, 2}, Q(0.1f, -7));
    const int pads = b.Int32Const("paddings", {4, 2}, {0, 0, 1, 2, 2, 1, 0, 0});
    const int out_t = b.Act("padded", {1, 7, 7, 2}, Q(0.1f, -7));
    b.Op(OpType::kPad, {in, pads}, out_t);
    out.push_back(b.Finish(out_t));
  }
  {  // reshape
    ProbeBuilder b("reshape");
    const int in = b.Input("input", {1, 2, 3, 4}, Q(0.1f, 0));
    const int shape = b.Int32Const("shape", {2}, {1, 24});
    const int out_t = b.Act("flat", {1, 24}, Q(0.1f, 0));
    b.Op(OpType::kReshape, {in, shape}, out_t);
    out.push_back(b.Finish(out_t));
  }
  {  // softmax
    ProbeBuilder b("softmax");
    const int in = b.Input("input", {1, 10}, Q(0.15f, 3));
    const int out_t = b.Act("probs", {1, 10}, Q(1.0f / 256.0f, -128));
    graph::OpOptions o;
    o.beta = 1.0f;
    b.Op(OpType::kSoftmax, {in}, out_t, o);
    out.push_back(b.Finish(out_t));
  }
  {  // transpose
    ProbeBuilder b("transpose");
    const int in = b.Input("input", {1, 2, 3, 4}, Q(0.1f, 0));
    const int perm = b.Int32Const("perm", {4}, {0, 3, 1, 2});
    const int out_t = b.Act("transposed", {1, 4, 2, 3}, Q(0.1f, 0));
    b.Op(OpType::kTranspose, {in, perm}, out_t);
    out.push_back(b.Finish(out_t));
  }
  {  // concatenation along channels
    ProbeBuilder b("concatenation");
    const int x = b.Input("x", {1, 3, 3, 2}, Q(0.1f, 0));
    const int y = b.Input("y", {1, 3, 3, 5}, Q(0.1f, 0));
    const int out_t = b.Act("cat", {1, 3, 3, 7}, Q(0.1f, 0));
    graph::OpOptions o;
    o.axis = 3;
    b.Op(OpType::kConcatenation, {x, y}, out_t, o);
    out.push_back(b.Finish(out_t));
  }
  return out;
}

}  // namespace mcutune::testing

#endif  // MCUTUNE_TESTS_GRAPH_PROBE_GRAPHS_H_
