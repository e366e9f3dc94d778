// Synthesized zoo models: deterministic, realistically quantized, and their
// activations neither saturate nor collapse when run by the reference
// interpreter on the project's LCG inputs.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <set>
#include <string>

#include "graph/interpreter.h"
#include "graph/tflite_reader.h"
#include "graph/tflite_writer.h"
#include "graph/zoo/prng.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"

namespace mcutune::graph::zoo {
namespace {

Graph Build(const std::string& name, uint32_t seed) {
  auto entry = FindInZoo(name);
  INFO(entry.status().message());
  REQUIRE(entry.ok());
  auto g = Synthesize(entry->arch, seed);
  INFO(g.status().message());
  REQUIRE(g.ok());
  return *std::move(g);
}

std::vector<int8_t> LcgBytes(uint32_t seed, int64_t n) {
  LcgInput gen(seed);
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = gen.Next();
  return v;
}

TEST_CASE("synthesizer: LCG inputs follow the golden generator", "[zoo]") {
  // s = 1 -> 1103527590; (s >> 16) & 255 = 198 -> 70 (0x46, as in
  // ../shared/golden/*/seed1.input0.bin).
  LcgInput gen(1);
  CHECK(gen.Next() == 70);
  SplitMix64 a(5), b(5);
  CHECK(a.Next() == b.Next());
  CHECK(a.Uniform() < 1.0);
}

TEST_CASE("synthesizer: same seed, same bytes, another seed, other weights",
          "[zoo]") {
  const Graph a = Build("mcunet-vww0", 3);
  const Graph b = Build("mcunet-vww0", 3);
  const Graph c = Build("mcunet-vww0", 4);
  auto ba = WriteTflite(a), bb = WriteTflite(b), bc = WriteTflite(c);
  REQUIRE(ba.ok());
  REQUIRE(bb.ok());
  REQUIRE(bc.ok());
  CHECK(*ba == *bb);
  CHECK(*ba != *bc);
  CHECK(a.ops.size() == c.ops.size());
}

TEST_CASE(
    "synthesizer: weights and biases are quantized like a converted model",
    "[zoo]") {
  const Graph g = Build("mcunet-in0", 1);
  REQUIRE(g.inputs.size() == 1);
  REQUIRE(g.outputs.size() == 1);
  CHECK(g.tensors[g.inputs[0]].shape == std::vector<int32_t>{1, 48, 48, 3});
  CHECK(g.tensors[g.outputs[0]].shape == std::vector<int32_t>{1, 1000});
  for (const Operator& op : g.ops) {
    if (op.type != OpType::kConv2D && op.type != OpType::kDepthwiseConv2D &&
        op.type != OpType::kFullyConnected) {
      continue;
    }
    const Tensor& in = g.tensors[op.inputs[0]];
    const Tensor& w = g.tensors[op.inputs[1]];
    const Tensor& bias = g.tensors[op.inputs[2]];
    INFO(w.name);
    const int channels =
        op.type == OpType::kDepthwiseConv2D ? w.shape[3] : w.shape[0];
    const size_t want_scales =
        op.type == OpType::kFullyConnected ? 1 : channels;
    REQUIRE(w.quant.scale.size() == want_scales);
    if (want_scales > 1) {
      CHECK(w.quant.quantized_dimension ==
            (op.type == OpType::kDepthwiseConv2D ? 3 : 0));
    }
    for (int64_t zp : w.quant.zero_point) CHECK(zp == 0);
    CHECK(bias.type == DataType::kInt32);
    REQUIRE(bias.quant.scale.size() == want_scales);
    for (size_t c = 0; c < want_scales; ++c) {
      CHECK(bias.quant.scale[c] == in.quant.scale[0] * w.quant.scale[c]);
    }
    // Symmetric int8: every channel reaches +-127, none goes to -128.
    const std::vector<uint8_t>& data = g.data(op.inputs[1]);
    int max_abs = 0, min_value = 0;
    for (uint8_t byte : data) {
      const int v = static_cast<int8_t>(byte);
      min_value = std::min(min_value, v);
      max_abs = std::max(max_abs, std::abs(v));
    }
    CHECK(min_value >= -127);
    CHECK(max_abs == 127);
    // Scales differ across channels (a folded batch norm, not one constant).
    if (want_scales > 1) {
      const auto [lo, hi] =
          std::minmax_element(w.quant.scale.begin(), w.quant.scale.end());
      CHECK(*hi > *lo * 1.05f);
    }
  }
}

// Runs the interpreter on three LCG inputs and checks every activation.
void CheckActivations(const std::string& name) {
  INFO("model " << name);
  const Graph g = Build(name, 1);
  auto interp = Interpreter::Create(g);
  INFO(interp.status().message());
  REQUIRE(interp.ok());
  const int64_t n = g.tensors[g.inputs[0]].num_elements();
  std::vector<std::vector<int8_t>> outputs;
  std::vector<std::set<int>> values(g.ops.size());
  std::vector<int64_t> saturated(g.ops.size(), 0), total(g.ops.size(), 0);
  for (uint32_t seed : {1u, 2u, 3u}) {
    REQUIRE((*interp)->Run({LcgBytes(seed, n)}).ok());
    outputs.push_back((*interp)->outputs()[0]);
    for (size_t i = 0; i < g.ops.size(); ++i) {
      const Tensor& t = g.tensors[g.ops[i].outputs[0]];
      for (int8_t v : (*interp)->tensor(g.ops[i].outputs[0])) {
        values[i].insert(v);
        saturated[i] +=
            v == 127 || (v == -128 && t.quant.zero_point[0] != -128);
        ++total[i];
      }
    }
  }
  // The output depends on the input.
  CHECK(outputs[0] != outputs[1]);
  CHECK(outputs[1] != outputs[2]);
  const std::set<int8_t> distinct(outputs[0].begin(), outputs[0].end());
  CHECK(distinct.size() >= std::min<size_t>(outputs[0].size(), 2));
  for (size_t i = 0; i < g.ops.size(); ++i) {
    if (g.ops[i].type == OpType::kSoftmax) continue;  // fixed 1/256 scale
    const Tensor& t = g.tensors[g.ops[i].outputs[0]];
    INFO("op " << i << " " << OpTypeName(g.ops[i].type) << " -> " << t.name);
    const int span = *values[i].rbegin() - *values[i].begin();
    // Small tensors (pooled vectors, logits) have few values to show.
    const int want_span = total[i] >= 3000 ? 128 : 24;
    CHECK(span >= want_span);
    CHECK(values[i].size() >= std::min<size_t>(total[i] / 2, want_span / 2));
    // Saturation at the clipping ends stays rare (ReLU6 tops excepted: a
    // clipped 6.0 is the real value).
    if (g.ops[i].options.activation != Activation::kRelu6) {
      CHECK(saturated[i] <= total[i] / 50 + 1);
    }
  }
}

TEST_CASE("synthesizer: activations use the int8 range, outputs vary",
          "[zoo]") {
  for (const char* name : {"mcunet-in0", "mcunet-vww1", "ds-cnn-kws",
                           "resnet8-cifar", "mbv2-w0.35", "proxyless-w0.3"}) {
    SECTION(name) { CheckActivations(name); }
  }
}

TEST_CASE("synthesizer: every zoo model validates, writes and re-imports",
          "[zoo]") {
  auto entries = ListZoo();
  REQUIRE(entries.ok());
  for (const ZooEntry& e : *entries) {
    INFO("model " << e.arch.name);
    auto g = Synthesize(e.arch, 1);
    INFO(g.status().message());
    REQUIRE(g.ok());
    CHECK(g->name == e.arch.name);
    auto bytes = WriteTflite(*g);
    REQUIRE(bytes.ok());
    auto back = ImportTflite(*bytes);
    INFO(back.status().message());
    REQUIRE(back.ok());
    CHECK(back->ops.size() == g->ops.size());
    CHECK(back->tensors.size() == g->tensors.size());
  }
}

TEST_CASE("synthesizer: an invalid architecture is refused", "[zoo]") {
  Architecture arch;
  arch.name = "broken";
  arch.height = arch.width = 8;
  arch.channels = 3;
  LayerSpec fc;
  fc.kind = LayerKind::kFullyConnected;
  fc.channels = 4;
  fc.text = "fc_c4";
  arch.layers = {fc};  // fc without pooling
  auto g = Synthesize(arch, 1);
  REQUIRE_FALSE(g.ok());
  CHECK(g.status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mcutune::graph::zoo
