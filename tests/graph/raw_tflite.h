// Test helper: serialises a raw, unvalidated model description into TFLite
// bytes with the flatbuffers builder, so tests can make well-formed files with
// any content (bad indices, bad shapes, cycles...) that WriteTflite (which
// validates first) would refuse to produce.
#ifndef MCUTUNE_TESTS_GRAPH_RAW_TFLITE_H_
#define MCUTUNE_TESTS_GRAPH_RAW_TFLITE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "graph/schema/tflite_subset_generated.h"

namespace mcutune::testing {

namespace fb = ::mcutune::tflite_fb;

struct RawTensor {
  std::string name;
  std::vector<int32_t> shape;
  fb::TensorType type = fb::TensorType::INT8;
  uint32_t buffer = 0;
  std::vector<float> scale{0.5f};
  std::vector<int64_t> zero_point{0};
  int quantized_dimension = 0;
  // Writes zero_point 4 bytes off its 8-byte alignment (a corrupt file that
  // flatbuffers 2.0's verifier accepts).
  bool misaligned_zero_point = false;
};

// A vector of int64 whose elements start 4 bytes past an 8-byte boundary.
inline flatbuffers::Offset<flatbuffers::Vector<int64_t>> MisalignedInt64Vector(
    flatbuffers::FlatBufferBuilder& b, const std::vector<int64_t>& v) {
  b.PreAlign(8 * v.size(), 8);        // the data would end 8-aligned...
  b.PushElement<uint32_t>(0xA5A5A5A5);  // ...so 4 bytes after it shift it
  b.StartVector(2 * v.size(), 4);
  for (size_t i = v.size(); i-- > 0;) {  // back to front, little-endian words
    const uint64_t u = static_cast<uint64_t>(v[i]);
    b.PushElement<uint32_t>(static_cast<uint32_t>(u >> 32));
    b.PushElement<uint32_t>(static_cast<uint32_t>(u));
  }
  return flatbuffers::Offset<flatbuffers::Vector<int64_t>>(b.EndVector(v.size()));
}

struct RawOp {
  uint32_t opcode_index = 0;
  std::vector<int32_t> inputs, outputs;
  // Conv2D-style options (used when options == Conv2DOptions, etc.).
  fb::BuiltinOptions options = fb::BuiltinOptions::NONE;
  int stride = 1;
  fb::Padding padding = fb::Padding::VALID;
  fb::ActivationFunctionType activation = fb::ActivationFunctionType::NONE;
};

struct RawCode {
  int8_t deprecated = 0;
  int32_t builtin = 0;
  std::string custom;
};

struct RawModel {
  uint32_t version = 3;
  std::vector<RawCode> codes;
  std::vector<RawTensor> tensors;
  std::vector<RawOp> ops;
  std::vector<int32_t> inputs, outputs;
  std::vector<std::vector<uint8_t>> buffers{{}};  // buffer 0 empty
  int subgraphs = 1;  // >1 duplicates the subgraph
  // Buffers given as (offset, size) instead of inline data: index -> pair.
  std::vector<std::pair<uint32_t, std::pair<uint64_t, uint64_t>>> offset_buffers;
};

inline std::vector<uint8_t> Serialize(const RawModel& m) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes;
  for (const RawCode& c : m.codes) {
    codes.push_back(fb::CreateOperatorCode(
        b, c.deprecated, c.custom.empty() ? 0 : b.CreateString(c.custom), 1,
        c.builtin));
  }
  auto make_subgraph = [&]() {
    std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
    for (const RawTensor& t : m.tensors) {
      auto q = fb::CreateQuantizationParameters(
          b, 0, 0, b.CreateVector(t.scale),
          t.misaligned_zero_point ? MisalignedInt64Vector(b, t.zero_point)
                                  : b.CreateVector(t.zero_point),
          fb::QuantizationDetails::NONE, 0, t.quantized_dimension);
      tensors.push_back(fb::CreateTensor(b, b.CreateVector(t.shape), t.type,
                                         t.buffer, b.CreateString(t.name), q));
    }
    std::vector<flatbuffers::Offset<fb::Operator>> ops;
    for (const RawOp& op : m.ops) {
      flatbuffers::Offset<void> options;
      switch (op.options) {
        case fb::BuiltinOptions::Conv2DOptions:
          options = fb::CreateConv2DOptions(b, op.padding, op.stride, op.stride,
                                            op.activation).Union();
          break;
        case fb::BuiltinOptions::DepthwiseConv2DOptions:
          options = fb::CreateDepthwiseConv2DOptions(b, op.padding, op.stride,
                                                     op.stride, 1, op.activation)
                        .Union();
          break;
        case fb::BuiltinOptions::AddOptions:
          options = fb::CreateAddOptions(b, op.activation).Union();
          break;
        default:
          break;
      }
      ops.push_back(fb::CreateOperator(b, op.opcode_index,
                                       b.CreateVector(op.inputs),
                                       b.CreateVector(op.outputs), op.options,
                                       options));
    }
    return fb::CreateSubGraph(b, b.CreateVector(tensors),
                              b.CreateVector(m.inputs), b.CreateVector(m.outputs),
                              b.CreateVector(ops), b.CreateString("main"));
  };
  std::vector<flatbuffers::Offset<fb::SubGraph>> subgraphs;
  for (int i = 0; i < m.subgraphs; ++i) subgraphs.push_back(make_subgraph());
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
  for (size_t i = 0; i < m.buffers.size(); ++i) {
    uint64_t off = 0, size = 0;
    for (const auto& ob : m.offset_buffers) {
      if (ob.first == i) std::tie(off, size) = ob.second;
    }
    b.ForceVectorAlignment(m.buffers[i].size(), 1, 16);
    buffers.push_back(fb::CreateBuffer(
        b, m.buffers[i].empty() ? 0 : b.CreateVector(m.buffers[i]), off, size));
  }
  auto model = fb::CreateModel(b, m.version, b.CreateVector(codes),
                               b.CreateVector(subgraphs), b.CreateString("raw"),
                               b.CreateVector(buffers));
  b.Finish(model, fb::ModelIdentifier());
  return std::vector<uint8_t>(b.GetBufferPointer(),
                              b.GetBufferPointer() + b.GetSize());
}

// A valid two-operator model: input [1,4,4,2] -> CONV_2D 1x1 (3 filters,
// per-channel) -> [1,4,4,3] -> DEPTHWISE 3x3 SAME -> [1,4,4,3].
inline RawModel SmallConvModel() {
  RawModel m;
  m.codes = {{3, 3, ""}, {4, 4, ""}};
  m.buffers.push_back(std::vector<uint8_t>(3 * 2, 1));       // 1: conv filter
  m.buffers.push_back(std::vector<uint8_t>(3 * 4, 0));       // 2: conv bias
  m.buffers.push_back(std::vector<uint8_t>(9 * 3, 2));       // 3: dw filter
  m.tensors = {
      {"input", {1, 4, 4, 2}, fb::TensorType::INT8, 0, {0.5f}, {-1}},
      {"conv_w", {3, 1, 1, 2}, fb::TensorType::INT8, 1, {0.1f, 0.2f, 0.3f}, {0, 0, 0}, 0},
      {"conv_b", {3}, fb::TensorType::INT32, 2, {0.05f, 0.1f, 0.15f}, {0, 0, 0}, 0},
      {"conv_out", {1, 4, 4, 3}, fb::TensorType::INT8, 0, {0.25f}, {3}},
      {"dw_w", {1, 3, 3, 3}, fb::TensorType::INT8, 3, {0.01f}, {0}},
      {"dw_out", {1, 4, 4, 3}, fb::TensorType::INT8, 0, {0.125f}, {-5}},
  };
  RawOp conv{0, {0, 1, 2}, {3}, fb::BuiltinOptions::Conv2DOptions};
  conv.activation = fb::ActivationFunctionType::RELU6;
  RawOp dw{1, {3, 4, -1}, {5}, fb::BuiltinOptions::DepthwiseConv2DOptions};
  dw.padding = fb::Padding::SAME;
  m.ops = {conv, dw};
  m.inputs = {0};
  m.outputs = {5};
  return m;
}

}  // namespace mcutune::testing

#endif  // MCUTUNE_TESTS_GRAPH_RAW_TFLITE_H_
