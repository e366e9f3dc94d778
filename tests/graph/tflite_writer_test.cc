// WriteTflite: the flatbuffer fields TFLite needs, and the round trip through
// ImportTflite for every supported operator.
#include "graph/tflite_writer.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "graph/schema/tflite_subset_generated.h"
#include "graph/tflite_reader.h"
#include "tests/graph/probe_graphs.h"

namespace mcutune::graph {
namespace {

namespace fb = ::mcutune::tflite_fb;
using testing::ProbeGraphs;

void ExpectSameGraph(const Graph& a, const Graph& b) {
  CHECK(a.name == b.name);
  CHECK(a.inputs == b.inputs);
  CHECK(a.outputs == b.outputs);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    INFO("tensor " << i << " " << a.tensors[i].name);
    const Tensor& x = a.tensors[i];
    const Tensor& y = b.tensors[i];
    CHECK(x.name == y.name);
    CHECK(x.type == y.type);
    CHECK(x.shape == y.shape);
    CHECK(x.quant.scale == y.quant.scale);
    CHECK(x.quant.zero_point == y.quant.zero_point);
    if (x.quant.per_channel())
      CHECK(x.quant.quantized_dimension == y.quant.quantized_dimension);
    CHECK(x.is_constant() == y.is_constant());
    CHECK(a.data(static_cast<int>(i)) == b.data(static_cast<int>(i)));
  }
  REQUIRE(a.ops.size() == b.ops.size());
  for (size_t i = 0; i < a.ops.size(); ++i) {
    INFO("op " << i << " " << OpTypeName(a.ops[i].type));
    const Operator& x = a.ops[i];
    const Operator& y = b.ops[i];
    CHECK(x.type == y.type);
    CHECK(x.inputs == y.inputs);
    CHECK(x.outputs == y.outputs);
    const OpOptions& p = x.options;
    const OpOptions& q = y.options;
    switch (x.type) {
      case OpType::kConv2D:
      case OpType::kDepthwiseConv2D:
        CHECK(p.padding == q.padding);
        CHECK(p.stride_h == q.stride_h);
        CHECK(p.stride_w == q.stride_w);
        CHECK(p.dilation_h == q.dilation_h);
        CHECK(p.activation == q.activation);
        if (x.type == OpType::kDepthwiseConv2D)
          CHECK(p.depth_multiplier == q.depth_multiplier);
        break;
      case OpType::kAveragePool2D:
      case OpType::kMaxPool2D:
        CHECK(p.padding == q.padding);
        CHECK(p.stride_h == q.stride_h);
        CHECK(p.filter_h == q.filter_h);
        CHECK(p.filter_w == q.filter_w);
        break;
      case OpType::kFullyConnected:
        CHECK(p.activation == q.activation);
        CHECK(p.keep_num_dims == q.keep_num_dims);
        break;
      case OpType::kAdd:
        CHECK(p.activation == q.activation);
        break;
      case OpType::kMean:
        CHECK(p.keep_dims == q.keep_dims);
        break;
      case OpType::kSoftmax:
        CHECK(p.beta == q.beta);
        break;
      case OpType::kConcatenation:
        CHECK(p.axis == q.axis);
        break;
      default:
        break;
    }
  }
}

TEST_CASE("writer: a conv model has every field TFLite needs", "[writer]") {
  const Graph g = ProbeGraphs()[0];
  auto bytes = WriteTflite(g);
  REQUIRE(bytes.ok());
  REQUIRE(bytes->size() > 8);
  CHECK(std::string(bytes->begin() + 4, bytes->begin() + 8) == "TFL3");
  flatbuffers::Verifier verifier(bytes->data(), bytes->size());
  REQUIRE(fb::VerifyModelBuffer(verifier));
  const fb::Model* m = fb::GetModel(bytes->data());
  CHECK(m->version() == 3);
  REQUIRE(m->buffers()->size() == g.buffers.size() + 1);
  CHECK((m->buffers()->Get(0)->data() == nullptr ||
         m->buffers()->Get(0)->data()->size() == 0));
  REQUIRE(m->operator_codes()->size() == 1);
  CHECK(m->operator_codes()->Get(0)->builtin_code() == 3);
  CHECK(m->operator_codes()->Get(0)->deprecated_builtin_code() == 3);
  CHECK(m->operator_codes()->Get(0)->version() == 3);
  const fb::SubGraph* sg = m->subgraphs()->Get(0);
  CHECK(sg->name()->str() == "conv_2d");
  const fb::Operator* op = sg->operators()->Get(0);
  REQUIRE(op->builtin_options_type() == fb::BuiltinOptions::Conv2DOptions);
  CHECK(op->builtin_options_as_Conv2DOptions()->stride_h() == 2);
  CHECK(op->builtin_options_as_Conv2DOptions()->padding() == fb::Padding::SAME);
  CHECK(op->builtin_options_as_Conv2DOptions()->fused_activation_function() ==
        fb::ActivationFunctionType::RELU6);
  const fb::Tensor* filter = sg->tensors()->Get(1);
  CHECK(filter->name()->str() == "conv/weights");
  CHECK(filter->type() == fb::TensorType::INT8);
  CHECK(filter->quantization()->scale()->size() == 5);
  CHECK(filter->quantization()->quantized_dimension() == 0);
  const fb::Tensor* bias = sg->tensors()->Get(2);
  CHECK(bias->type() == fb::TensorType::INT32);
  CHECK(m->buffers()->Get(bias->buffer())->data()->size() == 20);
  // Activations point at the empty buffer 0.
  CHECK(sg->tensors()->Get(0)->buffer() == 0);
  // Constant data is 16-byte aligned.
  const auto* data = m->buffers()->Get(filter->buffer())->data()->data();
  CHECK(reinterpret_cast<uintptr_t>(data) % 16 ==
        reinterpret_cast<uintptr_t>(bytes->data()) % 16);
}

TEST_CASE("writer: every operator round-trips through the importer",
          "[writer]") {
  for (const Graph& g : ProbeGraphs()) {
    INFO("probe " << g.name);
    auto bytes = WriteTflite(g);
    INFO(bytes.status().message());
    REQUIRE(bytes.ok());
    flatbuffers::Verifier verifier(bytes->data(), bytes->size());
    CHECK(fb::VerifyModelBuffer(verifier));
    const fb::Model* m = fb::GetModel(bytes->data());
    const int code = BuiltinCodeOf(g.ops[0].type);
    CHECK(m->operator_codes()->Get(0)->builtin_code() == code);
    CHECK(m->operator_codes()->Get(0)->deprecated_builtin_code() == code);
    auto back = ImportTflite(*bytes);
    REQUIRE(back.ok());
    ExpectSameGraph(g, *back);
  }
}

TEST_CASE("writer: builtin codes", "[writer]") {
  CHECK(BuiltinCodeOf(OpType::kAdd) == 0);
  CHECK(BuiltinCodeOf(OpType::kAveragePool2D) == 1);
  CHECK(BuiltinCodeOf(OpType::kConcatenation) == 2);
  CHECK(BuiltinCodeOf(OpType::kConv2D) == 3);
  CHECK(BuiltinCodeOf(OpType::kDepthwiseConv2D) == 4);
  CHECK(BuiltinCodeOf(OpType::kFullyConnected) == 9);
  CHECK(BuiltinCodeOf(OpType::kMaxPool2D) == 17);
  CHECK(BuiltinCodeOf(OpType::kReshape) == 22);
  CHECK(BuiltinCodeOf(OpType::kSoftmax) == 25);
  CHECK(BuiltinCodeOf(OpType::kPad) == 34);
  CHECK(BuiltinCodeOf(OpType::kTranspose) == 39);
  CHECK(BuiltinCodeOf(OpType::kMean) == 40);
}

TEST_CASE("writer: operator codes are shared and listed in first-use order",
          "[writer]") {
  testing::ProbeBuilder b("two_adds_and_a_reshape");
  const int x = b.Input("x", {1, 2, 2, 3}, testing::Q(0.1f, 0));
  const int y = b.Act("y", {1, 2, 2, 3}, testing::Q(0.2f, 0));
  const int z = b.Act("z", {1, 2, 2, 3}, testing::Q(0.3f, 0));
  const int shape = b.Int32Const("shape", {2}, {1, 12});
  const int flat = b.Act("flat", {1, 12}, testing::Q(0.3f, 0));
  b.Op(OpType::kAdd, {x, x}, y);
  b.Op(OpType::kAdd, {y, x}, z);
  b.Op(OpType::kReshape, {z, shape}, flat);
  const Graph g = b.Finish(flat);
  auto bytes = WriteTflite(g);
  REQUIRE(bytes.ok());
  const fb::Model* m = fb::GetModel(bytes->data());
  REQUIRE(m->operator_codes()->size() == 2);
  CHECK(m->operator_codes()->Get(0)->builtin_code() == 0);
  CHECK(m->operator_codes()->Get(1)->builtin_code() == 22);
  const fb::SubGraph* sg = m->subgraphs()->Get(0);
  CHECK(sg->operators()->Get(1)->opcode_index() == 0);
  CHECK(sg->operators()->Get(2)->opcode_index() == 1);
  const fb::ReshapeOptions* ro =
      sg->operators()->Get(2)->builtin_options_as_ReshapeOptions();
  REQUIRE(ro != nullptr);
  CHECK(
      std::vector<int32_t>(ro->new_shape()->begin(), ro->new_shape()->end()) ==
      std::vector<int32_t>{1, 12});
  auto back = ImportTflite(*bytes);
  REQUIRE(back.ok());
  ExpectSameGraph(g, *back);
}

TEST_CASE("writer: invalid graphs are refused", "[writer]") {
  Graph g = ProbeGraphs()[0];
  g.ops[0].inputs[0] = 99;
  auto bytes = WriteTflite(g);
  REQUIRE_FALSE(bytes.ok());
  CHECK(bytes.status().code() == absl::StatusCode::kInvalidArgument);

  Graph shape = ProbeGraphs()[0];
  shape.tensors[shape.outputs[0]].shape = {1, 9, 9, 5};
  CHECK(WriteTflite(shape).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("writer: file output", "[writer]") {
  const Graph g = ProbeGraphs()[1];
  const std::string path =
      (std::filesystem::temp_directory_path() / "mcutune_writer_test.tflite")
          .string();
  const absl::Status written = WriteTfliteFile(g, path);
  INFO(written.message());
  REQUIRE(written.ok());
  auto back = ImportTfliteFile(path);
  std::remove(path.c_str());
  REQUIRE(back.ok());
  ExpectSameGraph(g, *back);
  const absl::Status bad = WriteTfliteFile(g, "/nonexistent-dir/x.tflite");
  CHECK(bad.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad.message()).find("/nonexistent-dir/x.tflite") !=
        std::string::npos);
}

}  // namespace
}  // namespace mcutune::graph
