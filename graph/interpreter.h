// The reference int8 interpreter: runs a Graph with TensorFlow Lite's integer
// semantics, bit-exact with a chosen runtime.
//
// It is mcutune's ground truth. Code generation checks every tensor of a
// generated deployment against it, the zoo synthesizer calibrates with it and
// `mcutune run` exposes it. Correct first, fast second: kernels (one file per
// operator family in graph/kernels/) precompute all per-operator parameters
// once, and their hot loops run over contiguous channels.
//
//   Graph ──Interpreter::Create──► Interpreter ──Run(inputs)──► every tensor
//                                                               (tensor(i))
//
// RequantMode (graph/kernels/quantization.h) picks the rounding:
//   kSingleRounding  the TFLite WASM runtime of the golden files (default);
//   kDoubleRounding  TFLite Micro / CMSIS-NN.
// docs/tflite_runtime_arithmetic.md records what each operator computes.
#ifndef MCUTUNE_GRAPH_INTERPRETER_H_
#define MCUTUNE_GRAPH_INTERPRETER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/kernels/quantization.h"

namespace mcutune::graph {

struct InterpreterOptions {
  // Rounding of every requantization (see above).
  RequantMode requant = RequantMode::kSingleRounding;
};

class OpKernel;

// Holds its own copy of the graph. Create and the accessors are thread-safe;
// Run mutates the tensor values, so one Interpreter must not Run on two
// threads at once (use one Interpreter per thread).
class Interpreter {
 public:
  // Validates the graph (ValidateGraph plus what the kernels need: int8
  // activations with per-tensor quantization, int32 constant operands,
  // shapes consistent with each operator) and prepares every operator.
  // INVALID_ARGUMENT names the offending operator or tensor; ValidateGraph's
  // own errors (INVALID_ARGUMENT, or UNIMPLEMENTED for constructs it does not
  // support) are returned unchanged.
  static absl::StatusOr<std::unique_ptr<Interpreter>> Create(
      Graph graph, const InterpreterOptions& options = {});
  ~Interpreter();

  // Runs the graph. inputs[i] holds the raw int8 bytes of graph input i in
  // its tensor's layout. INVALID_ARGUMENT (and no values change) when the
  // number of inputs or a byte size is wrong.
  absl::Status Run(const std::vector<std::vector<int8_t>>& inputs);

  // The values of tensor `index` after the last Run: activations (including
  // graph inputs and every intermediate) hold int8 values, int8 constants
  // their data; int32 constants and never-run activations are empty.
  // Requires 0 <= index < graph().tensors.size().
  const std::vector<int8_t>& tensor(int index) const;

  // Copies of the graph outputs, in Graph::outputs order.
  std::vector<std::vector<int8_t>> outputs() const;

  const Graph& graph() const { return graph_; }
  const InterpreterOptions& options() const { return options_; }

 private:
  Interpreter(Graph graph, const InterpreterOptions& options);

  Graph graph_;
  InterpreterOptions options_;
  std::vector<std::unique_ptr<OpKernel>> kernels_;  // one per graph op
  std::vector<std::vector<int8_t>> values_;         // one per tensor
};

// Create + Run + outputs in one call.
absl::StatusOr<std::vector<std::vector<int8_t>>> RunInference(
    const Graph& graph, const std::vector<std::vector<int8_t>>& inputs,
    const InterpreterOptions& options = {});

}  // namespace mcutune::graph

#endif  // MCUTUNE_GRAPH_INTERPRETER_H_
