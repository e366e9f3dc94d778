#include "graph/graph.h"

namespace mcutune::graph {

int DataTypeSize(DataType type) {
  switch (type) {
    case DataType::kInt8:
    case DataType::kUInt8:
      return 1;
    case DataType::kInt16:
      return 2;
    case DataType::kInt32:
    case DataType::kFloat32:
      return 4;
    case DataType::kInt64:
      return 8;
    case DataType::kOther:
      return 0;
  }
  return 0;
}

const char* DataTypeName(DataType type) {
  switch (type) {
    case DataType::kInt8:
      return "int8";
    case DataType::kInt32:
      return "int32";
    case DataType::kInt16:
      return "int16";
    case DataType::kUInt8:
      return "uint8";
    case DataType::kFloat32:
      return "float32";
    case DataType::kInt64:
      return "int64";
    case DataType::kOther:
      return "other";
  }
  return "other";
}

const char* OpTypeName(OpType type) {
  switch (type) {
    case OpType::kConv2D:
      return "CONV_2D";
    case OpType::kDepthwiseConv2D:
      return "DEPTHWISE_CONV_2D";
    case OpType::kFullyConnected:
      return "FULLY_CONNECTED";
    case OpType::kAdd:
      return "ADD";
    case OpType::kAveragePool2D:
      return "AVERAGE_POOL_2D";
    case OpType::kMaxPool2D:
      return "MAX_POOL_2D";
    case OpType::kMean:
      return "MEAN";
    case OpType::kPad:
      return "PAD";
    case OpType::kReshape:
      return "RESHAPE";
    case OpType::kSoftmax:
      return "SOFTMAX";
    case OpType::kTranspose:
      return "TRANSPOSE";
    case OpType::kConcatenation:
      return "CONCATENATION";
  }
  return "UNKNOWN";
}

int64_t Tensor::num_elements() const {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

const std::vector<uint8_t>& Graph::data(int t) const {
  static const std::vector<uint8_t> kEmpty;
  const Tensor& tensor = tensors[t];
  if (tensor.buffer < 0) return kEmpty;
  return buffers[tensor.buffer];
}

std::vector<int> ProducerOf(const Graph& graph) {
  std::vector<int> producer(graph.tensors.size(), -1);
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    for (int t : graph.ops[i].outputs) {
      if (t >= 0 && t < static_cast<int>(producer.size())) {
        producer[t] = static_cast<int>(i);
      }
    }
  }
  return producer;
}

std::vector<std::vector<int>> ConsumersOf(const Graph& graph) {
  std::vector<std::vector<int>> consumers(graph.tensors.size());
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    for (int t : graph.ops[i].inputs) {
      if (t < 0 || t >= static_cast<int>(consumers.size())) continue;
      auto& list = consumers[t];
      if (list.empty() || list.back() != static_cast<int>(i)) {
        list.push_back(static_cast<int>(i));
      }
    }
  }
  return consumers;
}

}  // namespace mcutune::graph
