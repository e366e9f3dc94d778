// Host throughput of the C kernel library (codegen/kernels, portable path)
// against the reference kernels (graph/kernels, run through the
// interpreter) on typical MobileNet-style layer shapes, both requantization
// modes. Prints ms per call and the ratio reference / C (> 1: C faster).
// Host speed matters less than speed on the MCU (see the QEMU benchmarks);
// this catches gross regressions and shows the cost of the region-aware,
// padding-free design on the host.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "codegen/kernel_params.h"
#include "graph/interpreter.h"

namespace mcutune {
namespace {

using graph::OpType;
using Clock = std::chrono::steady_clock;

struct Layer {
  std::string name;
  OpType type;
  int h, w, cin, cout, k, stride;
};

graph::Quantization Q(float scale, int64_t zp) {
  graph::Quantization q;
  q.scale = {scale};
  q.zero_point = {zp};
  return q;
}

int AddTensor(graph::Graph& g, std::vector<int32_t> shape,
              graph::Quantization q) {
  graph::Tensor t;
  t.name = "t" + std::to_string(g.tensors.size());
  t.shape = std::move(shape);
  t.quant = std::move(q);
  g.tensors.push_back(t);
  return static_cast<int>(g.tensors.size()) - 1;
}

void Constant(graph::Graph& g, int t, std::vector<uint8_t> bytes) {
  g.buffers.push_back(std::move(bytes));
  g.tensors[t].buffer = static_cast<int>(g.buffers.size()) - 1;
}

graph::Graph MakeLayer(const Layer& l, std::mt19937& rng) {
  graph::Graph g;
  std::uniform_int_distribution<int> byte(-127, 127);
  const bool dw = l.type == OpType::kDepthwiseConv2D;
  const bool fc = l.type == OpType::kFullyConnected;
  const int in = fc ? AddTensor(g, {1, l.cin}, Q(0.02f, -5))
                    : AddTensor(g, {1, l.h, l.w, l.cin}, Q(0.02f, -5));
  g.inputs = {in};
  graph::Operator op;
  op.type = l.type;
  op.options.padding = graph::Padding::kSame;
  op.options.stride_h = op.options.stride_w = l.stride;
  op.options.activation = graph::Activation::kRelu6;
  int out = -1;
  if (l.type == OpType::kAdd) {
    const int b = AddTensor(g, {1, l.h, l.w, l.cin}, Q(0.03f, 4));
    g.inputs.push_back(b);
    out = AddTensor(g, {1, l.h, l.w, l.cin}, Q(0.04f, -2));
    op.inputs = {in, b};
  } else {
    const int taps = dw ? l.k * l.k : l.k * l.k * l.cin;
    graph::Quantization wq;
    wq.quantized_dimension = dw ? 3 : 0;
    for (int c = 0; c < l.cout; ++c) {
      wq.scale.push_back(0.01f * (1.0f + 0.1f * static_cast<float>(c % 7)));
      wq.zero_point.push_back(0);
    }
    if (fc) wq = Q(0.01f, 0);
    const std::vector<int32_t> wshape =
        fc   ? std::vector<int32_t>{l.cout, l.cin}
        : dw ? std::vector<int32_t>{1, l.k, l.k, l.cout}
             : std::vector<int32_t>{l.cout, l.k, l.k, l.cin};
    const int w = AddTensor(g, wshape, wq);
    std::vector<uint8_t> wb(static_cast<size_t>(taps) * l.cout);
    for (uint8_t& v : wb) v = static_cast<uint8_t>(byte(rng));
    Constant(g, w, std::move(wb));
    const int bias = AddTensor(g, {l.cout}, {});
    g.tensors[bias].type = graph::DataType::kInt32;
    std::vector<int32_t> bv(l.cout);
    for (int32_t& v : bv) v = byte(rng) * 40;
    std::vector<uint8_t> bb(bv.size() * 4);
    std::memcpy(bb.data(), bv.data(), bb.size());
    Constant(g, bias, std::move(bb));
    const float s_out = 0.02f * 0.01f * std::sqrt(float(taps)) * 74 * 74 / 60;
    const int oh = (l.h + l.stride - 1) / l.stride;
    const int ow = (l.w + l.stride - 1) / l.stride;
    out = fc ? AddTensor(g, {1, l.cout}, Q(s_out, 3))
             : AddTensor(g, {1, oh, ow, l.cout}, Q(s_out, -128));
    op.inputs = {in, w, bias};
  }
  op.outputs = {out};
  g.ops.push_back(op);
  g.outputs = {out};
  return g;
}

template <typename F>
double MillisPerCall(F&& f) {
  f();  // warm-up
  int iters = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    f();
    ++iters;
    elapsed =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  } while (elapsed < 300.0);
  return elapsed / iters;
}

}  // namespace
}  // namespace mcutune

int main() {
  using namespace mcutune;
  const std::vector<Layer> layers = {
      {"conv 3x3 s2 112x112x3->16", OpType::kConv2D, 112, 112, 3, 16, 3, 2},
      {"pointwise 56x56x16->96", OpType::kConv2D, 56, 56, 16, 96, 1, 1},
      {"pointwise 28x28x144->32", OpType::kConv2D, 28, 28, 144, 32, 1, 1},
      {"conv 3x3 28x28x32->32", OpType::kConv2D, 28, 28, 32, 32, 3, 1},
      {"depthwise 3x3 56x56x96", OpType::kDepthwiseConv2D, 56, 56, 96, 96, 3,
       1},
      {"depthwise 3x3 s2 56x56x96", OpType::kDepthwiseConv2D, 56, 56, 96, 96, 3,
       2},
      {"depthwise 5x5 14x14x240", OpType::kDepthwiseConv2D, 14, 14, 240, 240, 5,
       1},
      {"fully connected 1024->1000", OpType::kFullyConnected, 1, 1, 1024, 1000,
       1, 1},
      {"add 28x28x64", OpType::kAdd, 28, 28, 64, 64, 1, 1},
  };
  std::printf("%-30s %-7s %10s %10s %8s\n", "layer", "mode", "ref ms", "C ms",
              "ref/C");
  std::mt19937 rng(1);
  for (const Layer& l : layers) {
    const graph::Graph g = MakeLayer(l, rng);
    for (graph::RequantMode mode : {graph::RequantMode::kSingleRounding,
                                    graph::RequantMode::kDoubleRounding}) {
      graph::InterpreterOptions options;
      options.requant = mode;
      auto interp = graph::Interpreter::Create(g, options);
      auto params = codegen::MakeOpParams(g, 0, mode);
      if (!interp.ok() || !params.ok()) {
        std::printf("%s: setup failed\n", l.name.c_str());
        return 1;
      }
      std::vector<std::vector<int8_t>> inputs;
      for (int t : g.inputs) {
        std::vector<int8_t> v(g.tensors[t].num_elements());
        for (int8_t& x : v) x = static_cast<int8_t>(rng() & 0xff);
        inputs.push_back(std::move(v));
      }
      const double ref = MillisPerCall([&] { (void)(*interp)->Run(inputs); });
      const codegen::OpParams& p = *params;
      std::vector<int8_t> out(p.out.elements());
      std::vector<int8_t> scratch(codegen::ScratchBytes(p) + 1);
      const mcuk_cview a{inputs[0].data(), 0,      0,
                         p.in.h,           p.in.w, p.in.w * p.in.c};
      const mcuk_cview b{inputs.size() > 1 ? inputs[1].data() : nullptr,
                         0,
                         0,
                         p.in.h,
                         p.in.w,
                         p.in.w * p.in.c};
      const mcuk_view o{out.data(), 0, 0, p.out.h, p.out.w, p.out.w * p.out.c};
      const mcuk_region r{0, p.out.h, 0, p.out.w};
      const double c = MillisPerCall([&] {
        switch (p.kind) {
          case codegen::KernelKind::kConv2D:
            mcuk_conv2d(&p.conv, &a, &o, &r, scratch.data());
            break;
          case codegen::KernelKind::kDepthwiseConv2D:
            mcuk_depthwise_conv2d(&p.conv, &a, &o, &r);
            break;
          case codegen::KernelKind::kFullyConnected:
            mcuk_fully_connected(&p.fc, inputs[0].data(), out.data());
            break;
          case codegen::KernelKind::kAdd:
            mcuk_add(&p.add, &a, &b, &o, &r);
            break;
          default:
            break;
        }
      });
      const bool same = out == (*interp)->tensor(g.outputs[0]);
      std::printf(
          "%-30s %-7s %10.3f %10.3f %8.2f%s\n", l.name.c_str(),
          mode == graph::RequantMode::kSingleRounding ? "single" : "double",
          ref, c, ref / c, same ? "" : "  MISMATCH");
    }
  }
  return 0;
}
