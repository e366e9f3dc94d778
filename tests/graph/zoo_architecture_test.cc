// Architecture descriptions: parsing, validation messages, and the shipped
// configs/models checked against the MCUNet-zoo layer lists in ../shared/zoo
// (MACs, parameters and the layer-by-layer structure of the synthesized graph).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "graph/zoo/architecture.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "nlohmann/json.hpp"

namespace mcutune::graph::zoo {
namespace {

namespace fs = std::filesystem;

std::string Error(const std::string& json) {
  absl::StatusOr<Architecture> a = ParseArchitecture(json);
  REQUIRE_FALSE(a.ok());
  CHECK(a.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(a.status().message());
}

std::string WithLayers(const std::string& layers) {
  return R"({"name": "t", "input": [32, 32, 3], "layers": [)" + layers + "]}";
}

// MACs / params of a graph, with the zoo's formulas, from the operators.
struct Counts {
  int64_t macs = 0, params = 0;
};
Counts CountGraph(const Graph& g) {
  Counts c;
  for (const Operator& op : g.ops) {
    const auto& out = g.tensors[op.outputs[0]].shape;
    const auto& w = op.inputs.size() > 1 ? g.tensors[op.inputs[1]].shape : out;
    switch (op.type) {
      case OpType::kConv2D:  // [cout, kh, kw, cin]
        c.macs += int64_t{out[1]} * out[2] * w[0] * w[1] * w[2] * w[3];
        c.params += int64_t{w[0]} * w[1] * w[2] * w[3] + w[0];
        break;
      case OpType::kDepthwiseConv2D:  // [1, kh, kw, c]
        c.macs += int64_t{out[1]} * out[2] * w[3] * w[1] * w[2];
        c.params += int64_t{w[1]} * w[2] * w[3] + w[3];
        break;
      case OpType::kFullyConnected:  // [units, depth]
        c.macs += int64_t{w[0]} * w[1];
        c.params += int64_t{w[0]} * w[1] + w[0];
        break;
      default:
        break;
    }
  }
  return c;
}

TEST_CASE("architecture: a full description parses", "[zoo]") {
  auto a = ParseArchitecture(R"({
    "name": "tiny-net", "description": "d", "input": [49, 10, 1],
    "activation": "relu", "input_quant": [0.5, 3],
    "layers": ["conv_k10x4_s2_c8", "mb_e3_k5_s1_c8_n2", "ds_k3_s2_c16",
               "res_k3_s1_c16", "conv_k1_s1_c4_lin", "pool_mean", "fc_c5",
               "softmax"]})");
  REQUIRE(a.ok());
  CHECK(a->name == "tiny-net");
  CHECK(a->activation == Activation::kRelu);
  CHECK(a->input_scale == 0.5f);
  CHECK(a->input_zero_point == 3);
  REQUIRE(a->layers.size() == 9);  // mb repeated twice
  CHECK(a->layers[0].kernel_h == 10);
  CHECK(a->layers[0].kernel_w == 4);
  CHECK(a->layers[1].expand == 3.0);
  CHECK(a->layers[2].kind == LayerKind::kInvertedResidual);
  CHECK(a->layers[5].linear);
  CHECK(a->layers[6].pool == PoolKind::kMean);
  auto st = ComputeStats(*a);
  REQUIRE(st.ok());
  CHECK(st->output_shape == std::vector<int32_t>{1, 5});
  // conv 25x5x8x40, mb x2 (pw1 24, dw 5x5, pw2 8), ds s2 -> 13x3, res, 1x1, fc.
  const int64_t mb = 125 * (24 * 8) + 125 * 24 * 25 + 125 * (8 * 24);
  const int64_t want = 125 * 8 * 40 + 2 * mb + 39 * 8 * 9 + 39 * 16 * 8 +
                       2 * 39 * 16 * 16 * 9 + 39 * 4 * 16 + 4 * 5;
  CHECK(st->macs == want);
}

TEST_CASE("architecture: bad descriptions name what is wrong", "[zoo]") {
  CHECK(Error("{").find("not valid JSON") != std::string::npos);
  CHECK(Error("[]").find("object") != std::string::npos);
  CHECK(Error(R"({"input": [8,8,3], "layers": ["fc_c2"]})").find("name") !=
        std::string::npos);
  CHECK(
      Error(R"({"name": "Bad Name", "input": [8,8,3], "layers": ["softmax"]})")
          .find("[a-z0-9._-]") != std::string::npos);
  CHECK(Error(R"({"name": "t", "input": [8,8], "layers": ["softmax"]})")
            .find("input") != std::string::npos);
  CHECK(Error(R"({"name": "t", "input": [0,8,3], "layers": ["softmax"]})")
            .find("range") != std::string::npos);
  CHECK(Error(R"({"name": "t", "input": [8,8,3], "layers": []})")
            .find("layers") != std::string::npos);
  CHECK(
      Error(R"({"name": "t", "input": [8,8,3], "layers": ["softmax"], "x": 1})")
          .find("unknown field \"x\"") != std::string::npos);
  CHECK(
      Error(
          R"({"name": "t", "input": [8,8,3], "activation": "tanh", "layers": ["softmax"]})")
          .find("activation") != std::string::npos);
  CHECK(Error(WithLayers(R"("conv_k3_s2_c8", 5)"))
            .find("layer 1 is not a string") != std::string::npos);
  CHECK(Error(WithLayers(R"("blob_k3")"))
            .find("layer 0 'blob_k3': unknown layer kind") !=
        std::string::npos);
  CHECK(Error(WithLayers(R"("conv_k3_q2_c8")")).find("'q2'") !=
        std::string::npos);
  CHECK(Error(WithLayers(R"("conv_k3_k5_c8")")).find("'k5'") !=
        std::string::npos);
  CHECK(Error(WithLayers(R"("conv_k3_s2")")).find("missing parameter 'c'") !=
        std::string::npos);
  CHECK(Error(WithLayers(R"("conv_k0_c8")")).find("bad value in 'k0'") !=
        std::string::npos);
  CHECK(Error(WithLayers(R"("mb_e0.5_k3_c8")")).find("bad value") !=
        std::string::npos);
  CHECK(Error(WithLayers(R"("conv_k3_s9_c8")")).find("bad value in 's9'") !=
        std::string::npos);
  CHECK(Error(WithLayers(R"("pool")")).find("avg or mean") !=
        std::string::npos);
  CHECK(Error(WithLayers(R"("conv_k3_c8", "fc_c10")")).find("pooled input") !=
        std::string::npos);
  CHECK(Error(WithLayers(R"("pool_avg", "conv_k3_c8")"))
            .find("follows pooling") != std::string::npos);
  CHECK(Error(WithLayers(R"("pool_avg", "softmax", "fc_c2")"))
            .find("last layer") != std::string::npos);
  CHECK(Error(WithLayers(R"("conv_k3_c16384_n64")")).find("100 G MACs") !=
        std::string::npos);
}

TEST_CASE("zoo: every shipped description loads, names match files", "[zoo]") {
  auto entries = ListZoo();
  INFO(entries.status().message());
  REQUIRE(entries.ok());
  CHECK(entries->size() >= 14);
  std::map<std::string, int64_t> macs;
  for (const ZooEntry& e : *entries) macs[e.arch.name] = e.stats.macs;
  CHECK(macs.at("mcunet-in1") == 12790096);
  CHECK(macs.at("ds-cnn-kws") == 2656768);
  CHECK(macs.at("resnet8-cifar") == 12501632);
  CHECK(macs.count("mobilenetv2-w0.5-r96") == 1);

  auto found = FindInZoo("mcunet-vww1");
  REQUIRE(found.ok());
  CHECK(found->arch.height == 80);
  auto missing = FindInZoo("no-such-net");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.status().message()).find("mcunet-in0") !=
        std::string::npos);
  CHECK(ListZoo("/nonexistent").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("zoo: a broken file in the directory is an error naming it",
          "[zoo]") {
  const fs::path dir = fs::temp_directory_path() / "mcutune_zoo_arch_test";
  fs::create_directories(dir);
  std::ofstream(dir / "good.json")
      << R"({"name": "good", "input": [8,8,3], "layers": ["conv_k3_c4"]})";
  std::ofstream(dir / "other.json")
      << R"({"name": "mismatch", "input": [8,8,3], "layers": ["conv_k3_c4"]})";
  auto list = ListZoo(dir.string());
  REQUIRE_FALSE(list.ok());
  CHECK(std::string(list.status().message()).find("other.json") !=
        std::string::npos);
  CHECK(
      std::string(list.status().message()).find("differs from the file name") !=
      std::string::npos);
  auto good = FindInZoo("good", dir.string());
  CHECK(good.ok());
  fs::remove_all(dir);
}

// The shared layer lists are the reference: same MACs and parameters, and
// the synthesized graph has the same operators in the same order.
TEST_CASE("zoo: MCUNet-zoo networks match ../shared/zoo layer by layer",
          "[zoo][shared]") {
  const fs::path shared = fs::path(MCUTUNE_SHARED_DIR) / "zoo";
  if (!fs::exists(shared)) {
    WARN("skipped: " << shared.string() << " is absent");
    return;
  }
  int checked = 0;
  for (const auto& file : fs::directory_iterator(shared)) {
    if (file.path().extension() != ".json") continue;
    nlohmann::json ref;
    std::ifstream(file.path()) >> ref;
    const std::string name = ref["name"].get<std::string>();
    INFO("model " << name);
    int64_t ref_macs = 0, ref_params = 0;
    for (const auto& l : ref["layers"]) {
      const std::string op = l["op"];
      if (op == "conv" || op == "pwconv" || op == "dwconv") {
        const int64_t per = (op == "dwconv" ? 1
                                            : l["cin"].get<int64_t>() /
                                                  l["groups"].get<int64_t>()) *
                            l["k"].get<int64_t>() * l["k"].get<int64_t>();
        ref_macs += l["hout"].get<int64_t>() * l["wout"].get<int64_t>() *
                    l["cout"].get<int64_t>() * per;
        ref_params += l["cout"].get<int64_t>() * (per + 1);
      } else if (op == "fc") {
        ref_macs += l["cin"].get<int64_t>() * l["cout"].get<int64_t>();
        ref_params += (l["cin"].get<int64_t>() + 1) * l["cout"].get<int64_t>();
      }
    }
    auto entry = FindInZoo(name);
    REQUIRE(entry.ok());
    CHECK(entry->stats.macs == ref_macs);
    CHECK(entry->stats.params == ref_params);

    auto g = Synthesize(entry->arch, 1);
    REQUIRE(g.ok());
    const Counts counts = CountGraph(*g);
    CHECK(counts.macs == ref_macs);
    CHECK(counts.params == ref_params);

    // Layer by layer (RESHAPE is ours only): type, kernel, stride, channels,
    // output size, and which layers an ADD joins.
    std::vector<int> ops;  // our op index per zoo layer
    for (size_t i = 0; i < g->ops.size(); ++i) {
      if (g->ops[i].type != OpType::kReshape)
        ops.push_back(static_cast<int>(i));
    }
    REQUIRE(ops.size() == ref["layers"].size());
    const std::vector<int> producer = ProducerOf(*g);
    for (size_t i = 0; i < ops.size(); ++i) {
      const auto& l = ref["layers"][i];
      const Operator& op = g->ops[ops[i]];
      const std::string kind = l["op"];
      INFO("layer " << i << " " << l["name"].get<std::string>());
      const std::map<std::string, OpType> kTypes = {
          {"conv", OpType::kConv2D},
          {"pwconv", OpType::kConv2D},
          {"dwconv", OpType::kDepthwiseConv2D},
          {"add", OpType::kAdd},
          {"avgpool", OpType::kAveragePool2D},
          {"fc", OpType::kFullyConnected}};
      REQUIRE(op.type == kTypes.at(kind));
      const auto& out = g->tensors[op.outputs[0]].shape;
      const auto& in = g->tensors[op.inputs[0]].shape;
      CHECK(in.back() == l["cin"].get<int>());
      CHECK(out.back() == l["cout"].get<int>());
      if (kind != "fc") {
        CHECK(out[1] == l["hout"].get<int>());
        CHECK(out[2] == l["wout"].get<int>());
        CHECK(in[1] == l["hin"].get<int>());
      }
      if (kind == "conv" || kind == "pwconv" || kind == "dwconv") {
        CHECK(g->tensors[op.inputs[1]].shape[1] == l["k"].get<int>());
        CHECK(op.options.stride_h == l["s"].get<int>());
        CHECK(op.options.padding == Padding::kSame);
        CHECK(op.options.activation ==
              (kind == "pwconv" &&
                       std::string(l["name"]).find("pw2") != std::string::npos
                   ? Activation::kNone
                   : Activation::kRelu6));
      }
      // Producers: zoo indices map to our op indices (-1 = network input).
      for (size_t k = 0; k < l["inputs"].size(); ++k) {
        const int ref_in = l["inputs"][k];
        const int want = ref_in < 0 ? -1 : ops[ref_in];
        int got = producer[op.inputs[k]];
        if (got >= 0 && g->ops[got].type == OpType::kReshape)
          got = producer[g->ops[got].inputs[0]];
        CHECK(got == want);
      }
    }
    ++checked;
  }
  CHECK(checked == 10);
}

}  // namespace
}  // namespace mcutune::graph::zoo
