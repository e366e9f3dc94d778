// Analyze() on hand-built graphs: every expected figure below is worked out
// by hand from the shapes in the test (not from Analyze itself).
#include "graph/analysis.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "graph/analysis_format.h"
#include "graph/graph.h"
#include "nlohmann/json.hpp"

namespace mcutune::graph {
namespace {

// Builds small int8 graphs; sizes are computed here so the builder does not
// depend on the code under test.
class GraphBuilder {
 public:
  int Activation(std::vector<int32_t> shape, const std::string& name) {
    Tensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.quant.scale = {0.05f};
    t.quant.zero_point = {0};
    g_.tensors.push_back(std::move(t));
    return static_cast<int>(g_.tensors.size()) - 1;
  }

  // A constant int8 (weights) or int32 (bias, shape operand) tensor; a new
  // buffer unless `share_buffer_of` names a constant whose buffer it reuses.
  int Constant(std::vector<int32_t> shape, DataType type,
               int share_buffer_of = -1, std::vector<uint8_t> data = {}) {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    Tensor t;
    t.name = "const" + std::to_string(g_.tensors.size());
    t.type = type;
    t.shape = std::move(shape);
    t.quant.scale = {0.01f};
    t.quant.zero_point = {0};
    if (share_buffer_of >= 0) {
      t.buffer = g_.tensors[share_buffer_of].buffer;
    } else {
      if (data.empty()) data.assign(n * (type == DataType::kInt32 ? 4 : 1), 1);
      g_.buffers.push_back(std::move(data));
      t.buffer = static_cast<int>(g_.buffers.size()) - 1;
    }
    g_.tensors.push_back(std::move(t));
    return static_cast<int>(g_.tensors.size()) - 1;
  }

  void Op(OpType type, std::vector<int> inputs, int output,
          OpOptions options = {}) {
    Operator op;
    op.type = type;
    op.inputs = std::move(inputs);
    op.outputs = {output};
    op.options = options;
    g_.ops.push_back(std::move(op));
  }

  Graph Finish(std::vector<int> inputs, std::vector<int> outputs) {
    g_.name = "hand_built";
    g_.inputs = std::move(inputs);
    g_.outputs = std::move(outputs);
    return g_;
  }

 private:
  Graph g_;
};

OpOptions Same() {
  OpOptions o;
  o.padding = Padding::kSame;
  return o;
}

// Residual block: x -> conv1x1 (16->32) -> depthwise 3x3 -> conv1x1 (32->16)
// -> ADD(x, .). x (the graph input) stays live across the whole block.
Graph ResidualBlock() {
  GraphBuilder b;
  const int x = b.Activation({1, 8, 8, 16}, "x");  // 1024 B
  const int a = b.Activation({1, 8, 8, 32}, "a");  // 2048 B
  const int c = b.Activation({1, 8, 8, 32}, "b");  // 2048 B
  const int d = b.Activation({1, 8, 8, 16}, "c");  // 1024 B
  const int y = b.Activation({1, 8, 8, 16}, "y");  // 1024 B
  b.Op(OpType::kConv2D,
       {x, b.Constant({32, 1, 1, 16}, DataType::kInt8),  // 512 B
        b.Constant({32}, DataType::kInt32)},             // 128 B
       a, Same());
  b.Op(OpType::kDepthwiseConv2D,
       {a, b.Constant({1, 3, 3, 32}, DataType::kInt8),  // 288 B
        b.Constant({32}, DataType::kInt32)},            // 128 B
       c, Same());
  b.Op(OpType::kConv2D,
       {c, b.Constant({16, 1, 1, 32}, DataType::kInt8),  // 512 B
        b.Constant({16}, DataType::kInt32)},             // 64 B
       d, Same());
  b.Op(OpType::kAdd, {x, d}, y);
  return b.Finish({x}, {y});
}

TEST_CASE("Residual block: MACs params and skip connection liveness",
          "[analysis]") {
  const Graph g = ResidualBlock();
  REQUIRE(ValidateGraph(g).ok());
  const Analysis a = Analyze(g);
  REQUIRE(a.ops.size() == 4);

  CHECK(a.ops[0].macs == 8 * 8 * 32 * 16);     // 32768
  CHECK(a.ops[1].macs == 8 * 8 * 32 * 3 * 3);  // 18432
  CHECK(a.ops[2].macs == 8 * 8 * 16 * 32);     // 32768
  CHECK(a.ops[3].macs == 0);
  CHECK(a.ops[3].other_ops == 8 * 8 * 16);
  CHECK(a.macs_total == 32768 + 18432 + 32768);

  CHECK(a.ops[0].params_bytes == 512 + 128);
  CHECK(a.ops[1].params_bytes == 288 + 128);
  CHECK(a.ops[2].params_bytes == 512 + 64);
  CHECK(a.ops[3].params_bytes == 0);
  CHECK(a.params_bytes == 640 + 416 + 576);

  // op0: reads x, writes a; nothing else alive.
  CHECK(a.ops[0].input_bytes == 1024);
  CHECK(a.ops[0].output_bytes == 2048);
  CHECK(a.ops[0].live_bytes == 0);
  CHECK(a.ops[0].total_bytes == 3072);
  // op1 and op2: x waits for the ADD.
  CHECK(a.ops[1].live_bytes == 1024);
  CHECK(a.ops[1].total_bytes == 2048 + 2048 + 1024);
  CHECK(a.ops[2].live_bytes == 1024);
  CHECK(a.ops[2].total_bytes == 2048 + 1024 + 1024);
  // op3: x is now an input, not "other".
  CHECK(a.ops[3].input_bytes == 2048);
  CHECK(a.ops[3].live_bytes == 0);
  CHECK(a.ops[3].total_bytes == 3072);

  CHECK(a.peak_live_bytes == 5120);
  CHECK(a.peak_op == 1);

  // The memory map of op1: input a, output b, other x.
  const std::vector<LiveTensor>& m = a.ops[1].memory;
  REQUIRE(m.size() == 3);
  CHECK((m[0].tensor == 1 && m[0].role == TensorRole::kInput));
  CHECK((m[1].tensor == 2 && m[1].role == TensorRole::kOutput));
  CHECK((m[2].tensor == 0 && m[2].role == TensorRole::kOther));
  CHECK(m[2].bytes == 1024);

  // Lifetimes: x from 0 to the ADD (op 3); y (graph output) to the end.
  REQUIRE(a.lifetimes.size() == 5);
  CHECK(a.lifetimes[0].tensor == 0);
  CHECK(a.lifetimes[0].first_op == 0);
  CHECK(a.lifetimes[0].last_op == 3);
  CHECK(a.lifetimes[1].first_op == 0);
  CHECK(a.lifetimes[1].last_op == 1);
  CHECK(a.lifetimes[4].first_op == 3);
  CHECK(a.lifetimes[4].last_op == 3);
}

// Two 1x1 convolutions on the same input (sharing one weight tensor, and two
// bias tensors sharing one buffer), concatenated, pooled, reshaped, FC,
// softmax.
Graph Branch() {
  GraphBuilder b;
  const int x = b.Activation({1, 4, 4, 8}, "x");               // 128 B
  const int p = b.Activation({1, 4, 4, 8}, "p");               // 128 B
  const int q = b.Activation({1, 4, 4, 8}, "q");               // 128 B
  const int r = b.Activation({1, 4, 4, 16}, "r");              // 256 B
  const int s = b.Activation({1, 1, 1, 16}, "s");              // 16 B
  const int t = b.Activation({1, 16}, "t");                    // 16 B
  const int u = b.Activation({1, 10}, "u");                    // 10 B
  const int v = b.Activation({1, 10}, "v");                    // 10 B
  const int w = b.Constant({8, 1, 1, 8}, DataType::kInt8);     // 64 B
  const int bias0 = b.Constant({8}, DataType::kInt32);         // 32 B
  const int bias1 = b.Constant({8}, DataType::kInt32, bias0);  // shared
  b.Op(OpType::kConv2D, {x, w, bias0}, p);
  b.Op(OpType::kConv2D, {x, w, bias1}, q);
  OpOptions concat;
  concat.axis = 3;
  b.Op(OpType::kConcatenation, {p, q}, r, concat);
  OpOptions pool;
  pool.filter_h = pool.filter_w = 4;
  b.Op(OpType::kAveragePool2D, {r}, s, pool);
  const int shape = b.Constant({2}, DataType::kInt32, -1,  // 8 B
                               {1, 0, 0, 0, 16, 0, 0, 0});
  b.Op(OpType::kReshape, {s, shape}, t);
  b.Op(OpType::kFullyConnected,
       {t, b.Constant({10, 16}, DataType::kInt8),  // 160 B
        b.Constant({10}, DataType::kInt32)},       // 40 B
       u);
  b.Op(OpType::kSoftmax, {u}, v);
  return b.Finish({x}, {v});
}

TEST_CASE("Branch: concat of two paths with shared constants counted once",
          "[analysis]") {
  const Graph g = Branch();
  REQUIRE(ValidateGraph(g).ok());
  const Analysis a = Analyze(g);
  REQUIRE(a.ops.size() == 7);

  CHECK(a.ops[0].macs == 4 * 4 * 8 * 8);
  CHECK(a.ops[1].macs == 4 * 4 * 8 * 8);
  CHECK(a.ops[5].macs == 1 * 16 * 10);
  CHECK(a.macs_total == 1024 + 1024 + 160);
  CHECK(a.ops[3].other_ops == 16 * 4 * 4);
  CHECK(a.ops[6].other_ops == 10);

  // Per operator, each op's own constants; in the total, each buffer once:
  // w 64 + bias buffer 32 + shape 8 + fc weights 160 + fc bias 40.
  CHECK(a.ops[0].params_bytes == 96);
  CHECK(a.ops[1].params_bytes == 96);
  CHECK(a.ops[4].params_bytes == 8);
  CHECK(a.ops[5].params_bytes == 200);
  CHECK(a.params_bytes == 64 + 32 + 8 + 160 + 40);

  CHECK(a.ops[0].total_bytes == 128 + 128);
  // op1: x in, q out, p waits for the concat.
  CHECK(a.ops[1].live_bytes == 128);
  CHECK(a.ops[1].total_bytes == 128 + 128 + 128);
  // op2: x is dead (last read by op1).
  CHECK(a.ops[2].input_bytes == 256);
  CHECK(a.ops[2].live_bytes == 0);
  CHECK(a.ops[2].total_bytes == 512);
  CHECK(a.ops[3].total_bytes == 256 + 16);
  // RESHAPE output is a tensor of its own.
  CHECK(a.ops[4].total_bytes == 16 + 16);
  CHECK(a.ops[5].total_bytes == 16 + 10);
  CHECK(a.ops[6].total_bytes == 10 + 10);
  CHECK(a.peak_live_bytes == 512);
  CHECK(a.peak_op == 2);
}

TEST_CASE("Depthwise with multiplier and batched conv and FC", "[analysis]") {
  GraphBuilder b;
  const int x = b.Activation({1, 6, 6, 3}, "x");
  const int dw = b.Activation({1, 4, 4, 6}, "dw");
  OpOptions mult;
  mult.depth_multiplier = 2;
  b.Op(OpType::kDepthwiseConv2D,
       {x, b.Constant({1, 3, 3, 6}, DataType::kInt8), -1}, dw, mult);
  const Graph g1 = b.Finish({x}, {dw});
  REQUIRE(ValidateGraph(g1).ok());
  // hout * wout * (cin * multiplier) * kh * kw
  CHECK(Analyze(g1).macs_total == 4 * 4 * 6 * 3 * 3);
  CHECK(Analyze(g1).ops[0].params_bytes == 54);

  GraphBuilder c;
  const int in = c.Activation({2, 5, 5, 2}, "in");
  const int conv = c.Activation({2, 3, 3, 4}, "conv");
  const int flat = c.Activation({3, 24}, "flat");
  const int fc = c.Activation({3, 5}, "fc");
  c.Op(OpType::kConv2D, {in, c.Constant({4, 3, 3, 2}, DataType::kInt8)}, conv);
  c.Op(OpType::kReshape,
       {conv, c.Constant({2}, DataType::kInt32, -1, {3, 0, 0, 0, 24, 0, 0, 0})},
       flat);
  c.Op(OpType::kFullyConnected, {flat, c.Constant({5, 24}, DataType::kInt8)},
       fc);
  const Graph g2 = c.Finish({in}, {fc});
  REQUIRE(ValidateGraph(g2).ok());
  const Analysis a = Analyze(g2);
  CHECK(a.ops[0].macs == 2 * (3 * 3 * 4) * (3 * 3 * 2));  // per batch x 2
  CHECK(a.ops[2].macs == 3 * 24 * 5);                     // batch*in*out
  CHECK(a.macs_total == 1296 + 360);
}

TEST_CASE(
    "Graph outputs stay live to the end and duplicate operands count once",
    "[analysis]") {
  GraphBuilder b;
  const int x = b.Activation({1, 4, 4, 4}, "x");  // 64 B
  const int a = b.Activation({1, 4, 4, 4}, "a");  // 64 B, graph output
  const int c = b.Activation({1, 4, 4, 4}, "c");
  const int d = b.Activation({1, 4, 4, 4}, "d");
  b.Op(OpType::kAdd, {x, x}, a);
  b.Op(OpType::kAdd, {a, a}, c);
  b.Op(OpType::kAdd, {c, c}, d);
  const Graph g = b.Finish({x}, {a, d});
  REQUIRE(ValidateGraph(g).ok());
  const Analysis an = Analyze(g);
  CHECK(an.ops[0].input_bytes == 64);  // x + x is one tensor
  CHECK(an.ops[0].inputs == std::vector<int>{x});
  CHECK(an.ops[1].total_bytes == 128);
  CHECK(an.ops[2].live_bytes == 64);  // a, a graph output, is still held
  CHECK(an.ops[2].total_bytes == 192);
  CHECK(an.peak_op == 2);
}

TEST_CASE("Memory map sums to the per-op totals", "[analysis]") {
  for (const Graph& g : {ResidualBlock(), Branch()}) {
    const Analysis a = Analyze(g);
    for (const OpAnalysis& op : a.ops) {
      int64_t sum = 0;
      for (const LiveTensor& t : op.memory) sum += t.bytes;
      CHECK(sum == op.total_bytes);
    }
  }
}

TEST_CASE("Huge memory maps are dropped but byte figures stay exact",
          "[analysis]") {
  // Op i: t_i = ADD(x, x); every t_i is a graph output, so t_0..t_i are all
  // live at op i: the map needs n(n+1)/2 + n entries.
  for (const int n : {100, 3000}) {
    GraphBuilder b;
    const int x = b.Activation({1}, "x");
    std::vector<int> outputs;
    for (int i = 0; i < n; ++i) {
      outputs.push_back(b.Activation({1}, "t" + std::to_string(i)));
      b.Op(OpType::kAdd, {x, x}, outputs.back());
    }
    const Analysis a = Analyze(b.Finish({x}, outputs));
    const int64_t entries = int64_t{n} * (n + 1) / 2 + n;
    CHECK(a.memory_map_complete == (entries <= kMaxMemoryMapEntries));
    CHECK(a.ops[n - 1].total_bytes == n + 1);
    CHECK(a.ops[n - 1].live_bytes == n - 1);
    CHECK(a.peak_live_bytes == n + 1);
    CHECK(a.peak_op == n - 1);
    CHECK(a.ops[n / 2].memory.size() ==
          (a.memory_map_complete ? size_t(n / 2 + 2) : 0));
  }
}

TEST_CASE("Graph without operators", "[analysis]") {
  GraphBuilder b;
  const int x = b.Activation({1, 4}, "x");
  const Analysis a = Analyze(b.Finish({x}, {x}));
  CHECK(a.ops.empty());
  CHECK(a.peak_op == -1);
  CHECK(a.peak_live_bytes == 0);
  CHECK(FormatAnalysisJson(b.Finish({x}, {x}), a).find("\"peak_op\":-1") !=
        std::string::npos);
}

TEST_CASE("Formats: table marks the peak and CSV and JSON carry the figures",
          "[analysis][format]") {
  Graph g = ResidualBlock();
  g.tensors[2].name = "b,\"quoted\"\nname";  // the depthwise output
  g.tensors[4].name = std::string("bad\xff\xfeutf8");
  const Analysis a = Analyze(g);

  const std::string table = FormatAnalysisTable(g, a);
  const size_t peak = table.find("<- peak");
  REQUIRE(peak != std::string::npos);
  const size_t line_start = table.rfind('\n', peak) + 1;
  CHECK(table.substr(line_start, peak - line_start).find("DEPTHWISE_CONV_2D") !=
        std::string::npos);
  CHECK(table.find("83,968 MACs") != std::string::npos);

  const std::string csv = FormatAnalysisCsv(g, a);
  CHECK(csv.rfind("index,type,output,macs,params_bytes,input_bytes,"
                  "output_bytes,live_bytes,total_bytes\n",
                  0) == 0);
  CHECK(csv.find("\n1,DEPTHWISE_CONV_2D,\"b,\"\"quoted\"\"\nname\",18432,416,"
                 "2048,2048,1024,5120\n") != std::string::npos);

  const nlohmann::json j = nlohmann::json::parse(FormatAnalysisJson(g, a));
  CHECK(j["model"] == "hand_built");
  CHECK(j["macs_total"] == 83968);
  CHECK(j["params_bytes"] == 1632);
  CHECK(j["peak_live_bytes"] == 5120);
  CHECK(j["peak_op"] == 1);
  REQUIRE(j["ops"].size() == 4);
  CHECK(j["ops"][1]["type"] == "DEPTHWISE_CONV_2D");
  CHECK(j["ops"][1]["live_bytes"] == 1024);
  CHECK(j["ops"][1]["inputs"][0]["shape"] == std::vector<int>{1, 8, 8, 32});
  CHECK(j["inputs"][0]["bytes"] == 1024);
  REQUIRE(j["memory_map"][1]["tensors"].size() == 3);
  CHECK(j["memory_map"][1]["tensors"][2]["role"] == "other");
  CHECK(j["memory_map"][1]["tensors"][2]["bytes"] == 1024);
}

}  // namespace
}  // namespace mcutune::graph
