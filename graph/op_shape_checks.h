// Per-operator operand checks used by ValidateGraph, and the output-size
// arithmetic (TFLite's SAME/VALID rules) that the analysis, the interpreter and
// the planners share.
#ifndef MCUTUNE_GRAPH_OP_SHAPE_CHECKS_H_
#define MCUTUNE_GRAPH_OP_SHAPE_CHECKS_H_

#include "absl/status/status.h"
#include "graph/graph.h"

namespace mcutune::graph {

// Output length of a windowed op along one axis (TFLite rules):
//   SAME:  ceil(in / stride)
//   VALID: ceil((in - dilated_kernel + 1) / stride), 0 if the window is larger.
int WindowOutputSize(int in, int kernel, int stride, int dilation,
                     Padding padding);

// Padding added before the first element along one axis (TFLite: half the
// total, rounded down; the extra element goes after). 0 for VALID.
int WindowPaddingBefore(int in, int kernel, int stride, int dilation,
                        Padding padding);

// Checks operator `op_index` of `graph` (structure already checked: all
// indices in range). INVALID_ARGUMENT for inconsistent operands,
// UNIMPLEMENTED for a valid use mcutune does not support (e.g. float or int16
// activations, broadcasting ADD); the message names operator and tensor.
absl::Status CheckOperatorShapes(const Graph& graph, int op_index);

}  // namespace mcutune::graph

#endif  // MCUTUNE_GRAPH_OP_SHAPE_CHECKS_H_
