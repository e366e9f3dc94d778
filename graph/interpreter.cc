// Interpreter: prepares one OpKernel per operator, keeps one value buffer per
// tensor, and runs the operators in the stored (topological) order.
//
// - Create: ValidateGraph, then per-tensor checks (activations must be int8),
//   then PrepareKernel for every operator. Constant int8 tensors get their
//   data copied into their value buffer once, so kernels read activations and
//   int8 constants alike (ADD / CONCATENATION of a constant).
// - Run: checks input count and byte sizes before touching any state, copies
//   the inputs in, and runs each kernel on pointers to its operands' values.
#include "graph/interpreter.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "graph/kernels/op_kernel.h"

namespace mcutune::graph {

Interpreter::Interpreter(Graph graph, const InterpreterOptions& options)
    : graph_(std::move(graph)), options_(options) {}

Interpreter::~Interpreter() = default;

absl::StatusOr<std::unique_ptr<Interpreter>> Interpreter::Create(
    Graph graph, const InterpreterOptions& options) {
  if (absl::Status s = ValidateGraph(graph); !s.ok()) return s;
  std::unique_ptr<Interpreter> interp(
      new Interpreter(std::move(graph), options));
  const Graph& g = interp->graph_;
  const int num_tensors = static_cast<int>(g.tensors.size());
  interp->values_.resize(num_tensors);
  std::vector<bool> produced(num_tensors, false);
  for (int t : g.inputs) {
    if (t < 0 || t >= num_tensors) {
      return absl::InvalidArgumentError(absl::StrCat("graph input ", t));
    }
    produced[t] = true;
  }
  for (const Operator& op : g.ops) {
    for (int t : op.outputs) {
      if (t >= 0 && t < num_tensors) produced[t] = true;
    }
  }
  for (int t = 0; t < num_tensors; ++t) {
    const Tensor& tensor = g.tensors[t];
    if (tensor.is_constant()) {
      if (tensor.type != DataType::kInt8) continue;
      if (tensor.buffer >= static_cast<int>(g.buffers.size()) ||
          static_cast<int64_t>(g.buffers[tensor.buffer].size()) !=
              tensor.num_elements()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tensor ", t, " '", tensor.name, "': constant data size"));
      }
      const std::vector<uint8_t>& bytes = g.buffers[tensor.buffer];
      interp->values_[t].assign(bytes.begin(), bytes.end());
    } else if (produced[t] && tensor.type != DataType::kInt8) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor ", t, " '", tensor.name, "' is ",
                       DataTypeName(tensor.type),
                       "; the interpreter runs INT8 activations only"));
    }
  }
  // Every operand must be a constant or already computed when its operator
  // runs (ValidateGraph checks this too; kernels rely on it).
  std::vector<bool> ready(num_tensors, false);
  for (int t : g.inputs) ready[t] = true;
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    const Operator& op = g.ops[i];
    for (int t : op.inputs) {
      if (t < -1 || t >= num_tensors ||
          (t >= 0 && !ready[t] && !g.tensors[t].is_constant())) {
        return absl::InvalidArgumentError(absl::StrCat(
            OpTypeName(op.type), " (op ", i, "): operand ", t,
            " is not computed before the operator runs"));
      }
    }
    if (op.outputs.size() != 1 || op.outputs[0] < 0 ||
        op.outputs[0] >= num_tensors) {
      return absl::InvalidArgumentError(absl::StrCat(
          OpTypeName(op.type), " (op ", i, "): needs exactly one output"));
    }
    ready[op.outputs[0]] = true;
  }
  for (int t : g.outputs) {
    if (t < 0 || t >= num_tensors || !ready[t]) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph output ", t, " is never computed"));
    }
  }
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    KernelContext ctx{g, g.ops[i], i, options.requant};
    OpKernelOr kernel = PrepareKernel(ctx);
    if (!kernel.ok()) return kernel.status();
    interp->kernels_.push_back(*std::move(kernel));
  }
  return interp;
}

absl::Status Interpreter::Run(const std::vector<std::vector<int8_t>>& inputs) {
  if (inputs.size() != graph_.inputs.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", graph_.inputs.size(), " inputs, got ",
                     inputs.size()));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = graph_.tensors[graph_.inputs[i]];
    if (static_cast<int64_t>(inputs[i].size()) != t.bytes()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input ", i, " ('", t.name, "') needs ", t.bytes(), " bytes, got ",
          inputs[i].size()));
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    values_[graph_.inputs[i]] = inputs[i];
  }
  std::vector<const int8_t*> operands;
  for (size_t k = 0; k < graph_.ops.size(); ++k) {
    const Operator& op = graph_.ops[k];
    operands.assign(op.inputs.size(), nullptr);
    for (size_t j = 0; j < op.inputs.size(); ++j) {
      const int t = op.inputs[j];
      if (t >= 0 && graph_.tensors[t].type == DataType::kInt8) {
        operands[j] = values_[t].data();
      }
    }
    std::vector<int8_t>& out = values_[op.outputs[0]];
    out.resize(graph_.tensors[op.outputs[0]].num_elements());
    kernels_[k]->Run(operands, out.data());
  }
  return absl::OkStatus();
}

const std::vector<int8_t>& Interpreter::tensor(int index) const {
  return values_[index];
}

std::vector<std::vector<int8_t>> Interpreter::outputs() const {
  std::vector<std::vector<int8_t>> result;
  result.reserve(graph_.outputs.size());
  for (int t : graph_.outputs) result.push_back(values_[t]);
  return result;
}

absl::StatusOr<std::vector<std::vector<int8_t>>> RunInference(
    const Graph& graph, const std::vector<std::vector<int8_t>>& inputs,
    const InterpreterOptions& options) {
  absl::StatusOr<std::unique_ptr<Interpreter>> interp =
      Interpreter::Create(graph, options);
  if (!interp.ok()) return interp.status();
  if (absl::Status s = (*interp)->Run(inputs); !s.ok()) return s;
  return (*interp)->outputs();
}

}  // namespace mcutune::graph
