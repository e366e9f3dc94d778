// The model IR: an int8 TFLite-style dataflow graph.
//
// Everything mcutune does starts from a Graph: the importer (tflite_reader.h)
// builds one from .tflite bytes and validates it completely, the zoo
// synthesizer builds one from an architecture description, the analysis
// (analysis.h) and the reference interpreter (interpreter.h) read it, and the
// writer (tflite_writer.h) turns it back into .tflite bytes.
//
//   .tflite ──ImportTflite──► Graph ──► Analyze / Interpreter / tuner space
//   zoo arch ──Synthesize────►   │
//                                └──WriteTflite──► .tflite
//
// A Graph is a plain value (copyable, no hidden pointers). Tensors and operators
// refer to each other by index. Operators are stored in the model's execution
// order. After ValidateGraph() succeeds every index is in range, every shape is
// consistent with its operator, constant data has exactly the bytes its shape
// needs, and the operators form an acyclic graph in the stored order; code
// downstream of validation may rely on that (and uses debug asserts only).
#ifndef MCUTUNE_GRAPH_GRAPH_H_
#define MCUTUNE_GRAPH_GRAPH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mcutune::graph {

// Element types. Only kInt8 and kInt32 (biases, shape operands) are supported
// by the analysis and the interpreter; the others exist so the importer can
// name what it rejects.
enum class DataType { kInt8, kInt32, kInt16, kUInt8, kFloat32, kInt64, kOther };

// Bytes per element (kOther: 0).
int DataTypeSize(DataType type);
const char* DataTypeName(DataType type);

// Affine quantization: real = scale * (q - zero_point). Per-tensor when
// scale.size() == 1; per-channel along `quantized_dimension` otherwise.
struct Quantization {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int quantized_dimension = 0;

  bool empty() const { return scale.empty(); }
  bool per_channel() const { return scale.size() > 1; }
};

struct Tensor {
  std::string name;
  DataType type = DataType::kInt8;
  std::vector<int32_t> shape;  // NHWC for 4-D activations
  Quantization quant;
  // Index into Graph::buffers for constant tensors, -1 for activations.
  int buffer = -1;

  bool is_constant() const { return buffer >= 0; }
  int64_t num_elements() const;  // product of shape (1 for a scalar)
  int64_t bytes() const { return num_elements() * DataTypeSize(type); }
};

enum class OpType {
  kConv2D,
  kDepthwiseConv2D,
  kFullyConnected,
  kAdd,
  kAveragePool2D,
  kMaxPool2D,
  kMean,
  kPad,
  kReshape,
  kSoftmax,
  kTranspose,
  kConcatenation,
};
const char* OpTypeName(OpType type);  // TFLite spelling, e.g. "CONV_2D"

enum class Activation { kNone, kRelu, kRelu6, kReluN1To1 };
enum class Padding { kSame, kValid };

// Every builtin option the supported operators carry; fields not meaningful
// for an operator keep their defaults.
struct OpOptions {
  Padding padding = Padding::kValid;
  int stride_w = 1, stride_h = 1;
  int dilation_w = 1, dilation_h = 1;
  int filter_w = 1, filter_h = 1;  // pooling window
  int depth_multiplier = 1;        // depthwise
  Activation activation = Activation::kNone;
  bool keep_num_dims = false;  // fully connected
  bool keep_dims = false;      // mean
  float beta = 1.0f;           // softmax
  int axis = 0;                // concatenation (normalised to >= 0)
};

// Operand conventions (as in TFLite):
//   CONV_2D / DEPTHWISE_CONV_2D: {input, filter, bias(optional, -1 if absent)}
//     filter OHWI (conv) or 1HW(C*M) (depthwise)
//   FULLY_CONNECTED: {input, weights [out, in], bias (optional)}
//   ADD: {a, b}   PAD: {input, paddings int32 [rank,2]}   MEAN: {input, axes}
//   RESHAPE: {input, [shape]}  TRANSPOSE: {input, perm}  CONCATENATION: {...}
struct Operator {
  OpType type = OpType::kConv2D;
  std::vector<int> inputs;   // tensor indices; -1 = optional operand absent
  std::vector<int> outputs;  // tensor indices
  OpOptions options;
};

struct Graph {
  std::string name;
  std::vector<Tensor> tensors;
  std::vector<Operator> ops;  // execution order
  std::vector<std::vector<uint8_t>> buffers;  // constant data (little-endian)
  std::vector<int> inputs;   // graph input tensor indices
  std::vector<int> outputs;  // graph output tensor indices

  // The constant bytes of tensor `t`, or an empty vector for activations.
  const std::vector<uint8_t>& data(int t) const;
};

// Checks everything the header promises (indices, shapes per operator, types,
// quantization arrays, buffer sizes, acyclic order, size limits). Returns
// INVALID_ARGUMENT with a message naming the operator or tensor and its index.
absl::Status ValidateGraph(const Graph& graph);

// The index of the operator producing each tensor (-1 for graph inputs and
// constants), and the operators consuming each tensor, in execution order.
std::vector<int> ProducerOf(const Graph& graph);
std::vector<std::vector<int>> ConsumersOf(const Graph& graph);

// Hard limits that keep hostile files from causing huge allocations.
inline constexpr int64_t kMaxTensorBytes = int64_t{1} << 30;  // 1 GiB
inline constexpr int kMaxRank = 6;
inline constexpr int kMaxTensors = 1 << 20;
inline constexpr int kMaxOps = 1 << 20;

}  // namespace mcutune::graph

#endif  // MCUTUNE_GRAPH_GRAPH_H_
