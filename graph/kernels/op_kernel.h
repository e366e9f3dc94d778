// The prepared form of one operator, as the reference interpreter runs it.
//
// Interpreter::Create turns every Operator of a Graph into an OpKernel once:
// the Prepare<Op> factory checks what the kernel relies on (int8 activations,
// quantization present, shapes consistent with the operator) and precomputes
// everything that does not depend on the input values (requantization
// multipliers per output channel, filter sums for zero-point hoisting, padding,
// activation range, strides). Run then only reads inputs and writes the
// output.
//
//   Graph ──Prepare<Op>(KernelContext)──► OpKernel ──Run(inputs, output)
//
// Values are int8 in the tensors' own layout (NHWC for 4-D activations).
#ifndef MCUTUNE_GRAPH_KERNELS_OP_KERNEL_H_
#define MCUTUNE_GRAPH_KERNELS_OP_KERNEL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "graph/graph.h"
#include "graph/kernels/quantization.h"

namespace mcutune::graph {

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  // inputs[i] holds the int8 values of operator input i (an activation or an
  // int8 constant), nullptr for absent operands and int32 operands (the
  // kernel captured those at Prepare time). `output` has room for the output
  // tensor. Run keeps no state: a kernel may run concurrently on distinct
  // buffers.
  virtual void Run(absl::Span<const int8_t* const> inputs,
                   int8_t* output) const = 0;
};

using OpKernelOr = absl::StatusOr<std::unique_ptr<OpKernel>>;

// What a Prepare<Op> factory sees. References stay valid during the call
// only; kernels copy what they need.
struct KernelContext {
  const Graph& graph;
  const Operator& op;
  int op_index;
  RequantMode mode;

  const Tensor& tensor(int index) const { return graph.tensors[index]; }
  const Tensor& input(int i) const { return graph.tensors[op.inputs[i]]; }
  const Tensor& output() const { return graph.tensors[op.outputs[0]]; }
  bool has_input(int i) const {
    return i < static_cast<int>(op.inputs.size()) && op.inputs[i] >= 0;
  }
  // INVALID_ARGUMENT "<OP> (op N): message".
  absl::Status Error(const std::string& message) const;
  // Checks operand counts and that the listed operands and the output are
  // int8 with per-tensor quantization.
  absl::Status ExpectOperands(int min_inputs, int max_inputs) const;
  absl::Status ExpectInt8PerTensor(const Tensor& tensor,
                                   const char* role) const;
  // The int32 constant values of input i (INVALID_ARGUMENT if not one).
  absl::StatusOr<std::vector<int32_t>> Int32Constant(int i) const;
};

inline float Scale(const Tensor& t) { return t.quant.scale[0]; }
inline int32_t ZeroPoint(const Tensor& t) {
  return static_cast<int32_t>(t.quant.zero_point[0]);
}

// TFLite's padding rule: the padding before the data along one spatial axis
// (for VALID 0; for SAME half the total, rounded down).
int ComputePaddingBefore(Padding padding, int in_size, int filter_size,
                         int stride, int dilation, int out_size);

// TFLite's output size along one spatial axis.
int ComputeOutputSize(Padding padding, int in_size, int filter_size,
                      int stride, int dilation);

// One factory per operator family (graph/kernels/<family>.cc).
OpKernelOr PrepareConv2D(const KernelContext& ctx);
OpKernelOr PrepareDepthwiseConv2D(const KernelContext& ctx);
OpKernelOr PrepareFullyConnected(const KernelContext& ctx);
OpKernelOr PrepareAdd(const KernelContext& ctx);
OpKernelOr PreparePool2D(const KernelContext& ctx);  // average and max
OpKernelOr PrepareMean(const KernelContext& ctx);
OpKernelOr PreparePad(const KernelContext& ctx);
OpKernelOr PrepareReshape(const KernelContext& ctx);
OpKernelOr PrepareSoftmax(const KernelContext& ctx);
OpKernelOr PrepareTranspose(const KernelContext& ctx);
OpKernelOr PrepareConcatenation(const KernelContext& ctx);

// Dispatches on ctx.op.type.
OpKernelOr PrepareKernel(const KernelContext& ctx);

}  // namespace mcutune::graph

#endif  // MCUTUNE_GRAPH_KERNELS_OP_KERNEL_H_
