// Test helpers for tuner/space: the zoo networks (synthesized once per
// process) and a builder of small valid branched graphs made of 1x1
// convolutions, depthwise convolutions, ADD and CONCATENATION.
#ifndef MCUTUNE_TESTS_SPACE_SPACE_TEST_GRAPHS_H_
#define MCUTUNE_TESTS_SPACE_SPACE_TEST_GRAPHS_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"
#include "graph/tflite_reader.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tuner/space/board.h"

namespace mcutune::space::testing {

// The ten MCUNet-zoo networks of ISSUE 3 / shared/zoo.
inline const std::vector<std::string>& TenZooNames() {
  static const std::vector<std::string> names = {
      "mbv2-w0.35",  "proxyless-w0.3", "mcunet-in0",  "mcunet-in1",
      "mcunet-in2",  "mcunet-in3",     "mcunet-in4",  "mcunet-vww0",
      "mcunet-vww1", "mcunet-vww2"};
  return names;
}

// Synthesized with seed 1, cached for the process. Empty graph (no ops) if
// the zoo entry is missing or fails to synthesize.
inline const graph::Graph& ZooGraph(const std::string& name) {
  static std::map<std::string, graph::Graph> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  graph::Graph g;
  auto entry = graph::zoo::FindInZoo(
      name, std::string(MCUTUNE_SOURCE_DIR) + "/configs/models");
  if (entry.ok()) {
    auto s = graph::zoo::Synthesize(entry->arch, 1);
    if (s.ok()) g = *std::move(s);
  }
  return cache.emplace(name, std::move(g)).first->second;
}

inline std::string SharedDir() { return MCUTUNE_SHARED_DIR; }
inline bool HaveShared() {
  std::error_code ec;
  return std::filesystem::is_directory(SharedDir() + "/models", ec);
}

// The real .tflite models of ../shared/models (empty without ../shared).
inline std::vector<std::pair<std::string, graph::Graph>> SharedModels() {
  std::vector<std::pair<std::string, graph::Graph>> out;
  if (!HaveShared()) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& e :
       std::filesystem::directory_iterator(SharedDir() + "/models")) {
    if (e.path().extension() == ".tflite") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto g = graph::ImportTfliteFile(f.string());
    if (g.ok()) out.emplace_back(f.filename().string(), *std::move(g));
  }
  return out;
}

inline BoardSpec TestBoard(int64_t sram = 512 * 1024,
                           int64_t flash = 2 * 1024 * 1024) {
  BoardSpec b;
  b.id = "test";
  b.name = "test board";
  b.core = "cortex-m7";
  b.clock_hz = 216'000'000;
  b.sram_bytes = sram;
  b.flash_bytes = flash;
  return b;
}

// Builds valid int8 graphs with H x W activations of varying channels.
class GraphBuilder {
 public:
  GraphBuilder(int h, int w) : h_(h), w_(w) { g_.name = "test"; }

  int Input(int c) {
    const int t = Act(c);
    g_.inputs.push_back(t);
    return t;
  }
  int Conv1x1(int in, int cout) {
    const int cin = g_.tensors[in].shape[3];
    const int wt = Const({cout, 1, 1, cin}, graph::DataType::kInt8, 0);
    const int bias = Const({cout}, graph::DataType::kInt32, 0);
    const int out = Act(cout);
    Op(graph::OpType::kConv2D, {in, wt, bias}, out);
    return out;
  }
  int Depthwise3x3(int in) {
    const int c = g_.tensors[in].shape[3];
    const int wt = Const({1, 3, 3, c}, graph::DataType::kInt8, 3);
    const int bias = Const({c}, graph::DataType::kInt32, 0);
    const int out = Act(c);
    graph::OpOptions o;
    o.padding = graph::Padding::kSame;
    o.filter_h = o.filter_w = 3;
    Op(graph::OpType::kDepthwiseConv2D, {in, wt, bias}, out, o);
    return out;
  }
  int Add(int a, int b) {
    const int out = Act(g_.tensors[a].shape[3]);
    Op(graph::OpType::kAdd, {a, b}, out);
    return out;
  }
  int Concat(const std::vector<int>& ins) {
    int c = 0;
    for (int t : ins) c += g_.tensors[t].shape[3];
    const int out = Act(c);
    graph::OpOptions o;
    o.axis = 3;
    Op(graph::OpType::kConcatenation, ins, out, o);
    return out;
  }
  graph::Graph Finish(std::vector<int> outputs) {
    g_.outputs = std::move(outputs);
    return g_;
  }

 private:
  static graph::Quantization Q(float scale, int n = 1, int dim = 0) {
    graph::Quantization q;
    for (int i = 0; i < n; ++i) {
      q.scale.push_back(scale);
      q.zero_point.push_back(0);
    }
    q.quantized_dimension = dim;
    return q;
  }
  int Act(int c) {
    graph::Tensor t;
    t.name = "t" + std::to_string(g_.tensors.size());
    t.shape = {1, h_, w_, c};
    t.quant = Q(0.05f);
    g_.tensors.push_back(t);
    return static_cast<int>(g_.tensors.size()) - 1;
  }
  int Const(std::vector<int32_t> shape, graph::DataType type, int qdim) {
    graph::Tensor t;
    t.name = "c" + std::to_string(g_.tensors.size());
    t.type = type;
    t.shape = std::move(shape);
    const int channels = t.shape[qdim];
    t.quant = Q(type == graph::DataType::kInt8 ? 0.01f : 0.0005f, channels,
                qdim);
    g_.buffers.emplace_back(t.bytes(), uint8_t{1});
    t.buffer = static_cast<int>(g_.buffers.size()) - 1;
    g_.tensors.push_back(t);
    return static_cast<int>(g_.tensors.size()) - 1;
  }
  void Op(graph::OpType type, std::vector<int> ins, int out,
          graph::OpOptions o = {}) {
    graph::Operator op;
    op.type = type;
    op.inputs = std::move(ins);
    op.outputs = {out};
    op.options = o;
    g_.ops.push_back(op);
  }

  int h_, w_;
  graph::Graph g_;
};

}  // namespace mcutune::space::testing

#endif  // MCUTUNE_TESTS_SPACE_SPACE_TEST_GRAPHS_H_
