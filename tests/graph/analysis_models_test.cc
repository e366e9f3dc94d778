// Analyze() on the real models in ../shared/models (skipped with a message
// when ../shared is absent). The expected MACs and parameter bytes are summed
// here from layer tables read off the model files (shapes of every CONV_2D,
// DEPTHWISE_CONV_2D and FULLY_CONNECTED), independently of Analyze.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "graph/analysis.h"
#include "graph/tflite_reader.h"

namespace mcutune::graph {
namespace {

enum LayerKind { kConv, kDw, kFc };
struct Layer {
  LayerKind kind;
  int64_t h, w, cout, cin, k;  // output H, W, C; input C; square kernel
};

int64_t LayerMacs(const Layer& l) {
  switch (l.kind) {
    case kConv:
      return l.h * l.w * l.cout * l.cin * l.k * l.k;
    case kDw:
      return l.h * l.w * l.cout * l.k * l.k;
    case kFc:
      return l.cout * l.cin;
  }
  return 0;
}

// int8 weights + int32 bias per output channel.
int64_t LayerParams(const Layer& l) {
  const int64_t weights =
      l.kind == kDw ? l.cout * l.k * l.k : l.cout * l.cin * l.k * l.k;
  return weights + 4 * l.cout;
}

// Returns the path of a shared model, or "" (after a WARN) when absent.
std::string SharedModel(const std::string& file) {
  const std::filesystem::path path =
      std::filesystem::path(MCUTUNE_SHARED_DIR) / "models" / file;
  if (!std::filesystem::exists(path)) {
    WARN("SKIPPED: " << path.string() << " not found (no ../shared)");
    return "";
  }
  return path.string();
}

TEST_CASE("vww_96_int8 (MobileNetV1-0.25 at 96x96): 7.49 M MACs",
          "[analysis][shared]") {
  const std::string path = SharedModel("vww_96_int8.tflite");
  if (path.empty()) return;
  std::vector<Layer> layers = {
      {kConv, 48, 48, 8, 3, 3},   {kDw, 48, 48, 8, 1, 3},
      {kConv, 48, 48, 16, 8, 1},  {kDw, 24, 24, 16, 1, 3},
      {kConv, 24, 24, 32, 16, 1}, {kDw, 24, 24, 32, 1, 3},
      {kConv, 24, 24, 32, 32, 1}, {kDw, 12, 12, 32, 1, 3},
      {kConv, 12, 12, 64, 32, 1}, {kDw, 12, 12, 64, 1, 3},
      {kConv, 12, 12, 64, 64, 1}, {kDw, 6, 6, 64, 1, 3},
      {kConv, 6, 6, 128, 64, 1}};
  for (int i = 0; i < 5; ++i) {
    layers.push_back({kDw, 6, 6, 128, 1, 3});
    layers.push_back({kConv, 6, 6, 128, 128, 1});
  }
  layers.insert(layers.end(), {{kDw, 3, 3, 128, 1, 3},
                               {kConv, 3, 3, 256, 128, 1},
                               {kDw, 3, 3, 256, 1, 3},
                               {kConv, 3, 3, 256, 256, 1},
                               {kFc, 1, 1, 2, 256, 1}});
  int64_t macs = 0, params = 8;  // + the RESHAPE shape operand (2 x int32)
  for (const Layer& l : layers) {
    macs += LayerMacs(l);
    params += LayerParams(l);
  }
  REQUIRE(macs == 7489664);  // the table itself: MobileNetV1-0.25 @ 96

  absl::StatusOr<Graph> g = ImportTfliteFile(path);
  INFO(g.status().ToString());
  REQUIRE(g.ok());
  const Analysis a = Analyze(*g);
  REQUIRE(a.ops.size() == 31);
  CHECK(a.macs_total == macs);
  CHECK(a.params_bytes == params);
  // Largest layer-wise footprint: op 2, 1x1 conv 48x48x8 -> 48x48x16.
  CHECK(a.peak_live_bytes == 48 * 48 * 8 + 48 * 48 * 16);
  CHECK(a.peak_op == 2);
  // op 0 reads the 96x96x3 input and writes 48x48x8.
  CHECK(a.ops[0].total_bytes == 96 * 96 * 3 + 48 * 48 * 8);
}

TEST_CASE("ResNet-8 (CIFAR-10): skip connections in the memory map",
          "[analysis][shared]") {
  const std::string path = SharedModel("pretrainedResnet_quant.tflite");
  if (path.empty()) return;
  const std::vector<Layer> layers = {
      {kConv, 32, 32, 16, 3, 3},  {kConv, 32, 32, 16, 16, 3},
      {kConv, 32, 32, 16, 16, 3}, {kConv, 16, 16, 32, 16, 3},
      {kConv, 16, 16, 32, 32, 3}, {kConv, 16, 16, 32, 16, 1},
      {kConv, 8, 8, 64, 32, 3},   {kConv, 8, 8, 64, 64, 3},
      {kConv, 8, 8, 64, 32, 1},   {kFc, 1, 1, 10, 64, 1}};
  int64_t macs = 0, params = 8;  // + RESHAPE shape operand
  for (const Layer& l : layers) {
    macs += LayerMacs(l);
    params += LayerParams(l);
  }

  absl::StatusOr<Graph> g = ImportTfliteFile(path);
  INFO(g.status().ToString());
  REQUIRE(g.ok());
  const Analysis a = Analyze(*g);
  REQUIRE(a.ops.size() == 16);
  CHECK(a.macs_total == macs);
  CHECK(a.params_bytes == params);
  constexpr int64_t k32x32x16 = 32 * 32 * 16, k16x16x32 = 16 * 16 * 32;
  // op 2 (second conv of block 1): reads and writes 32x32x16 while the block
  // input, a 32x32x16 tensor, waits for the ADD.
  CHECK(a.ops[2].live_bytes == k32x32x16);
  CHECK(a.ops[2].total_bytes == 3 * k32x32x16);
  // op 5 (second 3x3 conv of block 2): the block input waits for op 6.
  CHECK(a.ops[5].live_bytes == k32x32x16);
  // op 6 (1x1 shortcut conv of block 2) reads the block input; the 3x3 branch
  // result (16x16x32) waits for the ADD.
  CHECK(a.ops[6].input_bytes == k32x32x16);
  CHECK(a.ops[6].live_bytes == k16x16x32);
  CHECK(a.peak_live_bytes == 3 * k32x32x16);
  CHECK(a.peak_op == 2);
}

TEST_CASE("MobileNetV2 1.0 224: about 300 M MACs", "[analysis][shared]") {
  const std::string path =
      SharedModel("mobilenet_v2_quantized_1x3x224x224.tflite");
  if (path.empty()) return;
  absl::StatusOr<Graph> g = ImportTfliteFile(path);
  INFO(g.status().ToString());
  REQUIRE(g.ok());
  const Analysis a = Analyze(*g);
  // Published figure for MobileNetV2 1.0 at 224x224: 300 M MACs.
  CHECK(a.macs_total > 299'000'000);
  CHECK(a.macs_total < 302'000'000);
  // Weights: 3.5 M parameters plus int32 biases.
  CHECK(a.params_bytes > 3'400'000);
  CHECK(a.params_bytes < 3'700'000);
}

}  // namespace
}  // namespace mcutune::graph
