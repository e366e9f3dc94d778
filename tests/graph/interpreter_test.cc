// Reference interpreter: hand-computed single-operator cases in both
// requantization modes, intermediate tensors, and bad input. Expected values
// are worked out by hand in the comments, not taken from the implementation.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "graph/interpreter.h"
#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {
namespace {

using Bytes = std::vector<int8_t>;
constexpr RequantMode kSingle = RequantMode::kSingleRounding;
constexpr RequantMode kDouble = RequantMode::kDoubleRounding;

// Builds small graphs by hand.
struct Builder {
  Graph g;
  int Tensor8(std::vector<int32_t> shape, float scale, int64_t zp) {
    Tensor t;
    t.name = "t" + std::to_string(g.tensors.size());
    t.shape = std::move(shape);
    t.quant.scale = {scale};
    t.quant.zero_point = {zp};
    g.tensors.push_back(t);
    return static_cast<int>(g.tensors.size()) - 1;
  }
  int Const8(std::vector<int32_t> shape, std::vector<float> scales,
             const Bytes& data, int quantized_dimension = 0) {
    const int t = Tensor8(std::move(shape), 1.0f, 0);
    g.tensors[t].quant.scale = scales;
    g.tensors[t].quant.zero_point.assign(scales.size(), 0);
    g.tensors[t].quant.quantized_dimension = quantized_dimension;
    g.buffers.emplace_back(data.begin(), data.end());
    g.tensors[t].buffer = static_cast<int>(g.buffers.size()) - 1;
    return t;
  }
  int Const32(std::vector<int32_t> shape, const std::vector<int32_t>& data) {
    Tensor t;
    t.name = "c" + std::to_string(g.tensors.size());
    t.type = DataType::kInt32;
    t.shape = std::move(shape);
    std::vector<uint8_t> bytes(data.size() * 4);
    std::memcpy(bytes.data(), data.data(), bytes.size());
    g.buffers.push_back(bytes);
    t.buffer = static_cast<int>(g.buffers.size()) - 1;
    g.tensors.push_back(t);
    return static_cast<int>(g.tensors.size()) - 1;
  }
  Operator& Op(OpType type, std::vector<int> inputs, int output) {
    Operator op;
    op.type = type;
    op.inputs = std::move(inputs);
    op.outputs = {output};
    g.ops.push_back(op);
    return g.ops.back();
  }
};

Bytes Run1(const Graph& g, const std::vector<Bytes>& inputs, RequantMode mode) {
  absl::StatusOr<std::vector<Bytes>> out = RunInference(g, inputs, {mode});
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  REQUIRE(out->size() == 1);
  return (*out)[0];
}

TEST_CASE("fully connected rounds ties to even (single) or up (double)",
          "[interpreter]") {
  // x * 0.5 for x = 1, 3, -1, -3, 5: exact values 0.5, 1.5, -0.5, -1.5, 2.5.
  // Single (fp32, ties to even): 0, 2, 0, -2, 2. Double: M = 2^30, shift 0,
  // so only the high multiply rounds: (x * 2^30 + nudge) / 2^31 with nudge
  // 2^30 (x > 0) or 1 - 2^30 (x < 0), truncated: 1, 2, 0, -1, 3.
  Builder b;
  const int in = b.Tensor8({5, 1}, 0.5f, 0);
  const int w = b.Const8({1, 1}, {1.0f}, {1});
  const int out = b.Tensor8({5, 1}, 1.0f, 0);
  b.Op(OpType::kFullyConnected, {in, w, -1}, out);
  b.g.inputs = {in};
  b.g.outputs = {out};
  const Bytes x = {1, 3, -1, -3, 5};
  CHECK(Run1(b.g, {x}, kSingle) == Bytes{0, 2, 0, -2, 2});
  CHECK(Run1(b.g, {x}, kDouble) == Bytes{1, 2, 0, -1, 3});
}

TEST_CASE("fully connected with zero points, bias and relu", "[interpreter]") {
  // acc = bias + sum (x - zp_in) * w; out = clamp(acc * 0.25 + zp_out, relu).
  // x = {5, 7}, zp_in = 3 -> {2, 4}. unit 0: w {1, 2} -> 10, bias 6 -> 16 ->
  // 4 + zp_out(-2) = 2. unit 1: w {-3, -1} -> -10, bias 0 -> -2.5 -> relu
  // clamps at zp_out = -2.
  Builder b;
  const int in = b.Tensor8({1, 2}, 0.5f, 3);
  const int w = b.Const8({2, 2}, {0.5f}, {1, 2, -3, -1});
  const int bias = b.Const32({2}, {6, 0});
  const int out = b.Tensor8({1, 2}, 1.0f, -2);
  b.Op(OpType::kFullyConnected, {in, w, bias}, out).options.activation =
      Activation::kRelu;
  b.g.inputs = {in};
  b.g.outputs = {out};
  for (RequantMode mode : {kSingle, kDouble}) {
    CHECK(Run1(b.g, {{5, 7}}, mode) == Bytes{2, -2});
  }
}

TEST_CASE("conv SAME padding counts padded taps as the input zero point",
          "[interpreter]") {
  // 3x3 input 1..9 with zp_in = 1 (centred values 0..8), 3x3 all-ones filter:
  // each output is the sum of the centred values its window covers.
  Builder b;
  const int in = b.Tensor8({1, 3, 3, 1}, 1.0f, 1);
  const int w = b.Const8({1, 3, 3, 1}, {1.0f}, Bytes(9, 1));
  const int out = b.Tensor8({1, 3, 3, 1}, 1.0f, 0);
  Operator& op = b.Op(OpType::kConv2D, {in, w, -1}, out);
  op.options.padding = Padding::kSame;
  b.g.inputs = {in};
  b.g.outputs = {out};
  const Bytes x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const Bytes want = {8, 15, 12, 21, 36, 27, 20, 33, 24};
  CHECK(Run1(b.g, {x}, kSingle) == want);
  CHECK(Run1(b.g, {x}, kDouble) == want);
}

TEST_CASE("conv stride 2 VALID with per-channel scales", "[interpreter]") {
  // 4x4x1 input of ones (zp 0), 2x2 filters: channel 0 all 1 (scale 1),
  // channel 1 all 2 (scale 0.25), stride 2 -> 2x2x2 output.
  // channel 0: 4 * 1 = 4; channel 1: 4 * 2 * 0.25 = 2.
  Builder b;
  const int in = b.Tensor8({1, 4, 4, 1}, 1.0f, 0);
  const int w = b.Const8({2, 2, 2, 1}, {1.0f, 0.25f},
                         {1, 1, 1, 1, 2, 2, 2, 2});
  const int out = b.Tensor8({1, 2, 2, 2}, 1.0f, 0);
  Operator& op = b.Op(OpType::kConv2D, {in, w, -1}, out);
  op.options.stride_h = op.options.stride_w = 2;
  b.g.inputs = {in};
  b.g.outputs = {out};
  CHECK(Run1(b.g, {Bytes(16, 1)}, kSingle) == Bytes{4, 2, 4, 2, 4, 2, 4, 2});
}

TEST_CASE("depthwise with depth_multiplier 2 and relu6", "[interpreter]") {
  // 1x1 kernel; input channels {3, -2} -> outputs (c0*m0, c0*m1, c1*m0,
  // c1*m1) with filter {1, 5, 2, -1}: {3, 15, -4, 2}. Output scale 0.5, so
  // relu6 caps at 12 and floors at 0: {3, 12, 0, 2}.
  Builder b;
  const int in = b.Tensor8({1, 1, 1, 2}, 0.5f, 0);
  const int w = b.Const8({1, 1, 1, 4}, {1.0f}, {1, 5, 2, -1}, 3);
  const int out = b.Tensor8({1, 1, 1, 4}, 0.5f, 0);
  Operator& op = b.Op(OpType::kDepthwiseConv2D, {in, w, -1}, out);
  op.options.depth_multiplier = 2;
  op.options.activation = Activation::kRelu6;
  b.g.inputs = {in};
  b.g.outputs = {out};
  CHECK(Run1(b.g, {{3, -2}}, kSingle) == Bytes{3, 12, 0, 2});
  CHECK(Run1(b.g, {{3, -2}}, kDouble) == Bytes{3, 12, 0, 2});
}

TEST_CASE("average pool rounds half away from zero, max pool",
          "[interpreter]") {
  // Four 2x2 windows (channels separate): sums 7, -7, 6, -6 over 4 taps:
  // 1.75 -> 2, -1.75 -> -2, 1.5 -> 2, -1.5 -> -2.
  Builder b;
  const int in = b.Tensor8({1, 2, 2, 4}, 0.1f, 0);
  const int out = b.Tensor8({1, 1, 1, 4}, 0.1f, 0);
  Operator& op = b.Op(OpType::kAveragePool2D, {in}, out);
  op.options.filter_h = op.options.filter_w = 2;
  op.options.stride_h = op.options.stride_w = 2;
  b.g.inputs = {in};
  b.g.outputs = {out};
  const Bytes x = {1, -1, 1, -1, 2, -2, 1, -1, 2, -2, 2, -2, 2, -2, 2, -2};
  CHECK(Run1(b.g, {x}, kSingle) == Bytes{2, -2, 2, -2});
  b.g.ops[0].type = OpType::kMaxPool2D;
  CHECK(Run1(b.g, {x}, kDouble) == Bytes{2, -1, 2, -1});
}

TEST_CASE("add saturates", "[interpreter]") {
  Builder b;
  const int a = b.Tensor8({1, 2, 2, 1}, 1.0f, 0);
  const int c = b.Tensor8({1, 2, 2, 1}, 1.0f, 0);
  const int out = b.Tensor8({1, 2, 2, 1}, 1.0f, 0);
  b.Op(OpType::kAdd, {a, c}, out);
  b.g.inputs = {a, c};
  b.g.outputs = {out};
  for (RequantMode mode : {kSingle, kDouble}) {
    CHECK(Run1(b.g, {{1, 2, -100, 120}, {10, -5, -100, 10}}, mode) ==
          Bytes{11, -3, -128, 127});
  }
}

TEST_CASE("add kernel broadcasts a [1,1,1,C] operand", "[interpreter]") {
  // ValidateGraph does not accept broadcasting ADD yet; the kernel does.
  Builder b;
  const int a = b.Tensor8({1, 2, 1, 2}, 1.0f, 0);
  const int c = b.Tensor8({1, 1, 1, 2}, 1.0f, 0);
  const int out = b.Tensor8({1, 2, 1, 2}, 1.0f, 0);
  b.Op(OpType::kAdd, {a, c}, out);
  KernelContext ctx{b.g, b.g.ops[0], 0, kSingle};
  OpKernelOr kernel = PrepareAdd(ctx);
  REQUIRE(kernel.ok());
  const Bytes x = {1, 2, 3, 4}, y = {10, 20};
  Bytes z(4);
  const int8_t* operands[] = {x.data(), y.data()};
  (*kernel)->Run(operands, z.data());
  CHECK(z == Bytes{11, 22, 13, 24});
}

TEST_CASE("add with differing scales rounds half up in single mode",
          "[interpreter]") {
  // 0.5 * a + 0.25 * b with a = 1, b = 0 -> 0.5; a = -1 -> -0.5;
  // a = 1, b = 2 -> 1.0. Single (ties up): 1, 0, 1. Double (ties away): 1,
  // -1, 1.
  Builder b;
  const int a = b.Tensor8({3}, 0.5f, 0);
  const int c = b.Tensor8({3}, 0.25f, 0);
  const int out = b.Tensor8({3}, 1.0f, 0);
  b.Op(OpType::kAdd, {a, c}, out);
  b.g.inputs = {a, c};
  b.g.outputs = {out};
  CHECK(Run1(b.g, {{1, -1, 1}, {0, 0, 2}}, kSingle) == Bytes{1, 0, 1});
  CHECK(Run1(b.g, {{1, -1, 1}, {0, 0, 2}}, kDouble) == Bytes{1, -1, 1});
}

TEST_CASE("mean over H and W with keep_dims", "[interpreter]") {
  // channel 0: {1, 2, 3, 4} -> 2.5; channel 1: {-1, -2, -3, -4} -> -2.5.
  // single: ties to even -> 2, -2; double: ties away -> 3, -3.
  Builder b;
  const int in = b.Tensor8({1, 2, 2, 2}, 1.0f, 0);
  const int axes = b.Const32({2}, {1, 2});
  const int out = b.Tensor8({1, 1, 1, 2}, 1.0f, 0);
  b.Op(OpType::kMean, {in, axes}, out).options.keep_dims = true;
  b.g.inputs = {in};
  b.g.outputs = {out};
  const Bytes x = {1, -1, 2, -2, 3, -3, 4, -4};
  CHECK(Run1(b.g, {x}, kSingle) == Bytes{2, -2});
  CHECK(Run1(b.g, {x}, kDouble) == Bytes{3, -3});
}

TEST_CASE("pad fills with the zero point", "[interpreter]") {
  Builder b;
  const int in = b.Tensor8({1, 1, 2, 1}, 0.1f, -3);
  const int pads = b.Const32({4, 2}, {0, 0, 1, 0, 0, 1, 0, 0});
  const int out = b.Tensor8({1, 2, 3, 1}, 0.1f, -3);
  b.Op(OpType::kPad, {in, pads}, out);
  b.g.inputs = {in};
  b.g.outputs = {out};
  CHECK(Run1(b.g, {{5, 6}}, kSingle) == Bytes{-3, -3, -3, 5, 6, -3});
}

TEST_CASE("transpose, reshape and concatenation", "[interpreter]") {
  Builder b;
  const int in = b.Tensor8({1, 2, 3}, 1.0f, 0);
  const int perm = b.Const32({3}, {0, 2, 1});
  const int t = b.Tensor8({1, 3, 2}, 1.0f, 0);
  b.Op(OpType::kTranspose, {in, perm}, t);
  const int shape = b.Const32({2}, {1, 6});
  const int r = b.Tensor8({1, 6}, 1.0f, 0);
  b.Op(OpType::kReshape, {t, shape}, r);
  // Concatenate with a second input at scale 0.5: {7, -7} -> 3.5, -3.5,
  // ties rounding up in both modes (M = 2^30, shift 0): 4, -3.
  const int other = b.Tensor8({1, 2}, 0.5f, 0);
  const int out = b.Tensor8({1, 8}, 1.0f, 0);
  b.Op(OpType::kConcatenation, {r, other}, out).options.axis = 1;
  b.g.inputs = {in, other};
  b.g.outputs = {out};
  const Bytes x = {0, 1, 2, 3, 4, 5};
  // [[0,1,2],[3,4,5]] transposed: [[0,3],[1,4],[2,5]].
  CHECK(Run1(b.g, {x, {7, -7}}, kSingle) == Bytes{0, 3, 1, 4, 2, 5, 4, -3});
  CHECK(Run1(b.g, {x, {7, -7}}, kDouble) == Bytes{0, 3, 1, 4, 2, 5, 4, -3});
}

TEST_CASE("softmax of equal logits", "[interpreter]") {
  // Four equal logits: p = 0.25 = 64 / 256 -> 64 - 128 = -64.
  Builder b;
  const int in = b.Tensor8({1, 4}, 0.1f, 0);
  const int out = b.Tensor8({1, 4}, 1.0f / 256, -128);
  b.Op(OpType::kSoftmax, {in}, out);
  b.g.inputs = {in};
  b.g.outputs = {out};
  CHECK(Run1(b.g, {{9, 9, 9, 9}}, kSingle) == Bytes{-64, -64, -64, -64});
}

TEST_CASE("keeps every intermediate tensor", "[interpreter]") {
  // x -> FC (x * 1) -> ADD with itself: the FC output stays readable.
  Builder b;
  const int in = b.Tensor8({1, 1}, 1.0f, 0);
  const int w = b.Const8({1, 1}, {1.0f}, {1});
  const int mid = b.Tensor8({1, 1}, 1.0f, 0);
  const int out = b.Tensor8({1, 1}, 1.0f, 0);
  b.Op(OpType::kFullyConnected, {in, w, -1}, mid);
  b.Op(OpType::kAdd, {mid, mid}, out);
  b.g.inputs = {in};
  b.g.outputs = {out};
  absl::StatusOr<std::unique_ptr<Interpreter>> interp =
      Interpreter::Create(b.g);
  REQUIRE(interp.ok());
  REQUIRE((*interp)->Run({{21}}).ok());
  CHECK((*interp)->tensor(in) == Bytes{21});
  CHECK((*interp)->tensor(mid) == Bytes{21});
  CHECK((*interp)->tensor(out) == Bytes{42});
  CHECK((*interp)->tensor(w) == Bytes{1});
  // A second run with other values replaces them.
  REQUIRE((*interp)->Run({{-3}}).ok());
  CHECK((*interp)->outputs() == std::vector<Bytes>{{-6}});
}

TEST_CASE("rejects bad inputs with INVALID_ARGUMENT", "[interpreter]") {
  Builder b;
  const int in = b.Tensor8({1, 2}, 1.0f, 0);
  const int w = b.Const8({1, 2}, {1.0f}, {1, 1});
  const int out = b.Tensor8({1, 1}, 1.0f, 0);
  b.Op(OpType::kFullyConnected, {in, w, -1}, out);
  b.g.inputs = {in};
  b.g.outputs = {out};
  absl::StatusOr<std::unique_ptr<Interpreter>> interp =
      Interpreter::Create(b.g);
  REQUIRE(interp.ok());
  CHECK((*interp)->Run({}).code() == absl::StatusCode::kInvalidArgument);
  CHECK((*interp)->Run({{1, 2}, {3}}).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK((*interp)->Run({{1, 2, 3}}).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK((*interp)->Run({{}}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(RunInference(b.g, {{1}}).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("rejects graphs it cannot run", "[interpreter]") {
  SECTION("float activations") {
    Builder b;
    const int in = b.Tensor8({1, 2}, 1.0f, 0);
    b.g.tensors[in].type = DataType::kFloat32;
    const int w = b.Const8({1, 2}, {1.0f}, {1, 1});
    const int out = b.Tensor8({1, 1}, 1.0f, 0);
    b.Op(OpType::kFullyConnected, {in, w, -1}, out);
    b.g.inputs = {in};
    b.g.outputs = {out};
    CHECK_FALSE(Interpreter::Create(b.g).ok());
  }
  SECTION("conv filter that does not match the input channels") {
    Builder b;
    const int in = b.Tensor8({1, 3, 3, 2}, 1.0f, 0);
    const int w = b.Const8({1, 1, 1, 3}, {1.0f}, {1, 1, 1});
    const int out = b.Tensor8({1, 3, 3, 1}, 1.0f, 0);
    b.Op(OpType::kConv2D, {in, w, -1}, out);
    b.g.inputs = {in};
    b.g.outputs = {out};
    CHECK_FALSE(Interpreter::Create(b.g).ok());
    // The kernel's own check, behind ValidateGraph's.
    KernelContext ctx{b.g, b.g.ops[0], 0, kSingle};
    CHECK(PrepareConv2D(ctx).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  SECTION("missing quantization") {
    Builder b;
    const int in = b.Tensor8({1, 2}, 1.0f, 0);
    const int out = b.Tensor8({1, 2}, 1.0f, 0);
    b.g.tensors[out].quant = Quantization{};
    b.Op(OpType::kSoftmax, {in}, out);
    b.g.inputs = {in};
    b.g.outputs = {out};
    CHECK(Interpreter::Create(b.g).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace mcutune::graph
