// Model analysis: per-operator compute, parameters and activation memory map.
//
// The first thing mcutune tells a user about a model, and the baseline every
// deployment strategy is compared with. For each operator, in the stored
// execution order, Analyze() reports the multiply-accumulates it performs, the
// constant bytes it reads (flash), and the activation tensors that must be in
// SRAM while it runs:
//
//   op i:  [ inputs ][ outputs ][ other live tensors (skip connections, ...) ]
//          \______________________ total_bytes _____________________________/
//
// peak_live_bytes = max over operators of total_bytes: the lower bound on the
// activation arena of any layer-by-layer schedule that keeps every tensor in
// its own buffer (no in-place reuse). The per-op memory map and the tensor
// lifetimes are kept so the memory planners (tuner/space) and the dashboard
// can reuse them instead of recomputing liveness.
//
// Liveness rules:
//   - a graph input is live from operator 0 until its last consumer;
//   - a produced tensor is live from its producer until its last consumer;
//   - a graph output stays live until the last operator;
//   - constants (weights, biases, shape operands) are never activations.
// RESHAPE is counted as a separate tensor (its output is a new buffer), which
// is conservative: a runtime may alias it with its input.
//
// Analyze() expects a graph that passed ValidateGraph() and does not fail.
// Results are plain values; the functions are thread-safe.
#ifndef MCUTUNE_GRAPH_ANALYSIS_H_
#define MCUTUNE_GRAPH_ANALYSIS_H_

#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace mcutune::graph {

// Why a tensor is in SRAM during an operator.
enum class TensorRole {
  kInput,   // an activation operand of the operator
  kOutput,  // produced by the operator
  kOther,   // alive across the operator (produced earlier, consumed later)
};
const char* TensorRoleName(TensorRole role);  // "input", "output", "other"

struct LiveTensor {
  int tensor = -1;  // index into Graph::tensors
  int64_t bytes = 0;
  TensorRole role = TensorRole::kOther;
};

// The span of operators [first_op, last_op] (inclusive) during which an
// activation tensor occupies memory.
struct TensorLifetime {
  int tensor = -1;
  int64_t bytes = 0;
  int first_op = 0;  // producer, or 0 for graph inputs
  int last_op = 0;   // last consumer; the last operator for graph outputs
};

struct OpAnalysis {
  int index = 0;  // position in Graph::ops (execution order)
  OpType type = OpType::kConv2D;
  int64_t macs = 0;
  // Non-MAC arithmetic, one per element touched: ADD (output elements),
  // pooling (output elements x window), MEAN and SOFTMAX (input elements).
  // Pure data movement (PAD, RESHAPE, TRANSPOSE, CONCATENATION) counts 0.
  int64_t other_ops = 0;
  int64_t params_bytes = 0;  // constant operands, each distinct tensor once
  int64_t input_bytes = 0;   // distinct activation inputs
  int64_t output_bytes = 0;
  int64_t live_bytes = 0;    // every other live activation tensor
  int64_t total_bytes = 0;   // input + output + live
  std::vector<int> inputs;   // distinct activation input tensors, in order
  std::vector<int> outputs;  // output tensors
  std::vector<int> params;   // distinct constant operand tensors
  // Every tensor in SRAM during the operator: inputs, then outputs, then the
  // others by ascending tensor index. Sum of bytes == total_bytes. Empty for
  // every operator when Analysis::memory_map_complete is false.
  std::vector<LiveTensor> memory;
};

struct Analysis {
  std::vector<OpAnalysis> ops;  // one per Graph::ops, same order
  int64_t macs_total = 0;       // saturates at INT64_MAX
  int64_t other_ops_total = 0;
  // Distinct constant buffers read by any operator (a buffer shared by
  // several tensors or operators counts once).
  int64_t params_bytes = 0;
  int64_t peak_live_bytes = 0;  // max of OpAnalysis::total_bytes
  int peak_op = -1;             // first operator reaching the peak; -1 if none
  // One entry per activation tensor that is ever live, by tensor index.
  std::vector<TensorLifetime> lifetimes;
  // False when the per-op memory maps would hold more than
  // kMaxMemoryMapEntries entries in total (only pathological graphs: many
  // tensors alive across many operators); the maps are then left empty, and
  // every byte figure and the lifetimes are still exact.
  bool memory_map_complete = true;
};

// Bound on the total number of LiveTensor entries Analyze() materialises
// (64 MiB); real models need a few per operator.
inline constexpr int64_t kMaxMemoryMapEntries = int64_t{1} << 22;

// Analyzes `graph` in its stored execution order. Requires a validated graph.
Analysis Analyze(const Graph& graph);

}  // namespace mcutune::graph

#endif  // MCUTUNE_GRAPH_ANALYSIS_H_
