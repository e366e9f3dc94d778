// KernelContext helpers shared by the Prepare<Op> factories, and the
// dispatch from OpType to factory.
#include "graph/kernels/op_kernel.h"

#include "graph/op_shape_checks.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace mcutune::graph {

absl::Status KernelContext::Error(const std::string& message) const {
  return absl::InvalidArgumentError(
      absl::StrCat(OpTypeName(op.type), " (op ", op_index, "): ", message));
}

absl::Status KernelContext::ExpectInt8PerTensor(const Tensor& t,
                                                const char* role) const {
  if (t.type != DataType::kInt8) {
    return Error(absl::StrCat(role, " '", t.name, "' is ",
                              DataTypeName(t.type), ", expected INT8"));
  }
  if (t.quant.scale.size() != 1 || t.quant.zero_point.size() != 1) {
    return Error(absl::StrCat(role, " '", t.name,
                              "' needs per-tensor quantization"));
  }
  const float scale = t.quant.scale[0];
  if (!(scale > 0.0f) || !std::isfinite(scale)) {
    return Error(absl::StrCat(role, " '", t.name, "' has scale ", scale));
  }
  const int64_t zp = t.quant.zero_point[0];
  if (zp < -128 || zp > 127) {
    return Error(absl::StrCat(role, " '", t.name, "' has zero point ", zp));
  }
  return absl::OkStatus();
}

absl::Status KernelContext::ExpectOperands(int min_inputs,
                                           int max_inputs) const {
  const int n = static_cast<int>(op.inputs.size());
  if (n < min_inputs || n > max_inputs || op.outputs.size() != 1) {
    return Error(absl::StrCat("has ", n, " inputs and ", op.outputs.size(),
                              " outputs"));
  }
  const int num_tensors = static_cast<int>(graph.tensors.size());
  for (int t : op.inputs) {
    if (t < -1 || t >= num_tensors) return Error("operand index out of range");
  }
  if (op.outputs[0] < 0 || op.outputs[0] >= num_tensors) {
    return Error("output index out of range");
  }
  if (op.inputs.empty() || op.inputs[0] < 0) return Error("input 0 absent");
  return ExpectInt8PerTensor(output(), "output");
}

absl::StatusOr<std::vector<int32_t>> KernelContext::Int32Constant(
    int i) const {
  if (!has_input(i)) return Error(absl::StrCat("operand ", i, " absent"));
  const Tensor& t = input(i);
  if (t.type != DataType::kInt32 || !t.is_constant() ||
      t.buffer >= static_cast<int>(graph.buffers.size())) {
    return Error(absl::StrCat("operand ", i, " '", t.name,
                              "' must be a constant INT32 tensor"));
  }
  const std::vector<uint8_t>& bytes = graph.buffers[t.buffer];
  if (static_cast<int64_t>(bytes.size()) != t.num_elements() * 4) {
    return Error(absl::StrCat("operand ", i, " '", t.name, "' has ",
                              bytes.size(), " bytes of data"));
  }
  std::vector<int32_t> values(bytes.size() / 4);
  for (size_t k = 0; k < values.size(); ++k) {
    const uint8_t* p = bytes.data() + 4 * k;
    values[k] = static_cast<int32_t>(uint32_t{p[0]} | uint32_t{p[1]} << 8 |
                                     uint32_t{p[2]} << 16 |
                                     uint32_t{p[3]} << 24);
  }
  return values;
}

// Thin adapters over the shared TFLite window arithmetic (op_shape_checks.h),
// so the validator, the analysis and the kernels agree by construction.
int ComputePaddingBefore(Padding padding, int in_size, int filter_size,
                         int stride, int dilation, int out_size) {
  (void)out_size;  // implied by the other arguments (checked by callers)
  return WindowPaddingBefore(in_size, filter_size, stride, dilation, padding);
}

int ComputeOutputSize(Padding padding, int in_size, int filter_size,
                      int stride, int dilation) {
  return WindowOutputSize(in_size, filter_size, stride, dilation, padding);
}

OpKernelOr PrepareKernel(const KernelContext& ctx) {
  switch (ctx.op.type) {
    case OpType::kConv2D:
      return PrepareConv2D(ctx);
    case OpType::kDepthwiseConv2D:
      return PrepareDepthwiseConv2D(ctx);
    case OpType::kFullyConnected:
      return PrepareFullyConnected(ctx);
    case OpType::kAdd:
      return PrepareAdd(ctx);
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D:
      return PreparePool2D(ctx);
    case OpType::kMean:
      return PrepareMean(ctx);
    case OpType::kPad:
      return PreparePad(ctx);
    case OpType::kReshape:
      return PrepareReshape(ctx);
    case OpType::kSoftmax:
      return PrepareSoftmax(ctx);
    case OpType::kTranspose:
      return PrepareTranspose(ctx);
    case OpType::kConcatenation:
      return PrepareConcatenation(ctx);
  }
  return ctx.Error("unsupported operator");
}

}  // namespace mcutune::graph
