// TFLite writer.
//
// - Validate the graph; refuse anything invalid before building bytes.
// - Buffers: TFLite reserves buffer 0 as "no data"; graph buffer i becomes
//   model buffer i + 1 (16-byte aligned data), activations point at buffer 0.
// - Operator codes are deduplicated in first-use order; each carries both the
//   int32 builtin_code and the deprecated int8 field (capped at 127, the
//   PLACEHOLDER_FOR_GREATER_OP_CODES convention).
// - Versions follow the converter's choice for int8 kernels, so the runtime's
//   op resolver picks the int8-capable registration.
#include "graph/tflite_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "flatbuffers/flatbuffers.h"
#include "graph/schema/tflite_subset_generated.h"

namespace mcutune::graph {
namespace {

namespace fb = ::mcutune::tflite_fb;

absl::StatusOr<fb::TensorType> ToTensorType(DataType type) {
  switch (type) {
    case DataType::kInt8:
      return fb::TensorType::INT8;
    case DataType::kInt32:
      return fb::TensorType::INT32;
    case DataType::kInt16:
      return fb::TensorType::INT16;
    case DataType::kUInt8:
      return fb::TensorType::UINT8;
    case DataType::kFloat32:
      return fb::TensorType::FLOAT32;
    case DataType::kInt64:
      return fb::TensorType::INT64;
    case DataType::kOther:
      break;
  }
  return absl::InvalidArgumentError("tensor data type has no TFLite encoding");
}

fb::ActivationFunctionType ToActivation(Activation activation) {
  switch (activation) {
    case Activation::kNone:
      return fb::ActivationFunctionType::NONE;
    case Activation::kRelu:
      return fb::ActivationFunctionType::RELU;
    case Activation::kRelu6:
      return fb::ActivationFunctionType::RELU6;
    case Activation::kReluN1To1:
      return fb::ActivationFunctionType::RELU_N1_TO_1;
  }
  return fb::ActivationFunctionType::NONE;
}

fb::Padding ToPadding(Padding padding) {
  return padding == Padding::kSame ? fb::Padding::SAME : fb::Padding::VALID;
}

// The version the TFLite converter writes for the int8 variant of each
// operator (what the runtime's op resolver expects for int8 tensors).
int Int8VersionOf(OpType type) {
  switch (type) {
    case OpType::kConv2D:
    case OpType::kDepthwiseConv2D:
      return 3;
    case OpType::kFullyConnected:
      return 4;
    case OpType::kReshape:
      return 1;
    default:
      return 2;
  }
}

// The builtin options table of `op` as (union type, offset).
std::pair<fb::BuiltinOptions, flatbuffers::Offset<void>> BuildOptions(
    flatbuffers::FlatBufferBuilder& fbb, const Graph& graph,
    const Operator& op) {
  const OpOptions& o = op.options;
  switch (op.type) {
    case OpType::kConv2D:
      return {fb::BuiltinOptions::Conv2DOptions,
              fb::CreateConv2DOptions(fbb, ToPadding(o.padding), o.stride_w,
                                      o.stride_h, ToActivation(o.activation),
                                      o.dilation_w, o.dilation_h)
                  .Union()};
    case OpType::kDepthwiseConv2D:
      return {fb::BuiltinOptions::DepthwiseConv2DOptions,
              fb::CreateDepthwiseConv2DOptions(
                  fbb, ToPadding(o.padding), o.stride_w, o.stride_h,
                  o.depth_multiplier, ToActivation(o.activation), o.dilation_w,
                  o.dilation_h)
                  .Union()};
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D:
      return {fb::BuiltinOptions::Pool2DOptions,
              fb::CreatePool2DOptions(fbb, ToPadding(o.padding), o.stride_w,
                                      o.stride_h, o.filter_w, o.filter_h,
                                      ToActivation(o.activation))
                  .Union()};
    case OpType::kFullyConnected:
      return {fb::BuiltinOptions::FullyConnectedOptions,
              fb::CreateFullyConnectedOptions(
                  fbb, ToActivation(o.activation), /*weights_format=*/0,
                  o.keep_num_dims, /*asymmetric_quantize_inputs=*/false)
                  .Union()};
    case OpType::kAdd:
      return {fb::BuiltinOptions::AddOptions,
              fb::CreateAddOptions(fbb, ToActivation(o.activation)).Union()};
    case OpType::kSoftmax:
      return {fb::BuiltinOptions::SoftmaxOptions,
              fb::CreateSoftmaxOptions(fbb, o.beta).Union()};
    case OpType::kConcatenation:
      return {fb::BuiltinOptions::ConcatenationOptions,
              fb::CreateConcatenationOptions(fbb, o.axis,
                                             ToActivation(o.activation))
                  .Union()};
    case OpType::kReshape: {
      // The runtime prefers the shape operand; new_shape is written too so
      // readers that only look at options see the same target shape.
      const std::vector<int32_t>& shape = graph.tensors[op.outputs[0]].shape;
      return {fb::BuiltinOptions::ReshapeOptions,
              fb::CreateReshapeOptionsDirect(fbb, &shape).Union()};
    }
    case OpType::kPad:
      return {fb::BuiltinOptions::PadOptions,
              fb::CreatePadOptions(fbb).Union()};
    case OpType::kTranspose:
      return {fb::BuiltinOptions::TransposeOptions,
              fb::CreateTransposeOptions(fbb).Union()};
    case OpType::kMean:
      return {fb::BuiltinOptions::ReducerOptions,
              fb::CreateReducerOptions(fbb, o.keep_dims).Union()};
  }
  return {fb::BuiltinOptions::NONE, 0};
}

flatbuffers::Offset<fb::QuantizationParameters> BuildQuantization(
    flatbuffers::FlatBufferBuilder& fbb, const Quantization& q) {
  if (q.empty()) return 0;
  return fb::CreateQuantizationParametersDirect(
      fbb, /*min=*/nullptr, /*max=*/nullptr, &q.scale, &q.zero_point,
      fb::QuantizationDetails::NONE, 0, q.quantized_dimension);
}

}  // namespace

int BuiltinCodeOf(OpType type) {
  switch (type) {
    case OpType::kAdd:
      return 0;
    case OpType::kAveragePool2D:
      return 1;
    case OpType::kConcatenation:
      return 2;
    case OpType::kConv2D:
      return 3;
    case OpType::kDepthwiseConv2D:
      return 4;
    case OpType::kFullyConnected:
      return 9;
    case OpType::kMaxPool2D:
      return 17;
    case OpType::kReshape:
      return 22;
    case OpType::kSoftmax:
      return 25;
    case OpType::kPad:
      return 34;
    case OpType::kTranspose:
      return 39;
    case OpType::kMean:
      return 40;
  }
  return -1;
}

absl::StatusOr<std::vector<uint8_t>> WriteTflite(const Graph& graph) {
  if (absl::Status s = ValidateGraph(graph); !s.ok()) return s;

  flatbuffers::FlatBufferBuilder fbb(1 << 16);

  // Buffers: 0 is the empty sentinel, then one per graph buffer.
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
  buffers.reserve(graph.buffers.size() + 1);
  buffers.push_back(fb::CreateBuffer(fbb));
  for (const std::vector<uint8_t>& data : graph.buffers) {
    buffers.push_back(fb::CreateBufferDirect(fbb, &data));
  }

  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  tensors.reserve(graph.tensors.size());
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    const Tensor& t = graph.tensors[i];
    absl::StatusOr<fb::TensorType> type = ToTensorType(t.type);
    if (!type.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor ", i, " '", t.name, "': ", type.status().message()));
    }
    const uint32_t buffer =
        t.is_constant() ? static_cast<uint32_t>(t.buffer) + 1 : 0;
    tensors.push_back(fb::CreateTensorDirect(fbb, &t.shape, *type, buffer,
                                             t.name.c_str(),
                                             BuildQuantization(fbb, t.quant)));
  }

  // Operator codes in first-use order.
  std::map<OpType, uint32_t> code_index;
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes;
  std::vector<flatbuffers::Offset<fb::Operator>> ops;
  ops.reserve(graph.ops.size());
  for (const Operator& op : graph.ops) {
    auto [it, inserted] = code_index.emplace(op.type, codes.size());
    if (inserted) {
      const int code = BuiltinCodeOf(op.type);
      codes.push_back(
          fb::CreateOperatorCode(fbb, static_cast<int8_t>(std::min(code, 127)),
                                 0, Int8VersionOf(op.type), code));
    }
    auto [options_type, options] = BuildOptions(fbb, graph, op);
    ops.push_back(fb::CreateOperatorDirect(fbb, it->second, &op.inputs,
                                           &op.outputs, options_type, options));
  }

  auto subgraph = fb::CreateSubGraphDirect(
      fbb, &tensors, &graph.inputs, &graph.outputs, &ops, graph.name.c_str());
  std::vector<flatbuffers::Offset<fb::SubGraph>> subgraphs = {subgraph};
  auto model = fb::CreateModelDirect(fbb, /*version=*/3, &codes, &subgraphs,
                                     "mcutune", &buffers);
  fb::FinishModelBuffer(fbb, model);
  return std::vector<uint8_t>(fbb.GetBufferPointer(),
                              fbb.GetBufferPointer() + fbb.GetSize());
}

absl::Status WriteTfliteFile(const Graph& graph, const std::string& path) {
  absl::StatusOr<std::vector<uint8_t>> bytes = WriteTflite(graph);
  if (!bytes.ok()) return bytes.status();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write '", path, "': ", std::strerror(errno)));
  }
  const size_t written = std::fwrite(bytes->data(), 1, bytes->size(), f);
  const bool closed = std::fclose(f) == 0;
  if (written != bytes->size() || !closed) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write '", path, "': ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace mcutune::graph
