// TFLite export: a Graph -> .tflite bytes the real TensorFlow Lite runtime
// loads.
//
// The inverse of the importer (tflite_reader.h). It serves the zoo
// synthesizer (zoo/synthesizer.h), single-operator probe models and any tool
// that rewrites a model. The graph is validated first (ValidateGraph), so a
// file is only ever produced from a consistent graph.
//
//   Graph ──ValidateGraph──► flatbuffer (schema v3, identifier "TFL3")
//                              ├─ buffer 0 empty, one buffer per constant
//                              ├─ operator codes: builtin_code and
//                              │  deprecated_builtin_code (capped at 127)
//                              └─ one subgraph, operators in graph order
//
// What is written: tensor names, shapes, types, affine quantization (scale,
// zero point and quantized_dimension for per-channel tensors), the builtin
// options table each operator needs, and operator versions that match what the
// TFLite converter emits for int8 models. Reading the bytes back with
// ImportTflite gives an equal graph (names, tensors, operators, buffers).
//
// Errors: INVALID_ARGUMENT when the graph fails validation (the message is
// ValidateGraph's) or uses a data type TFLite cannot express.
// Thread-safe; the graph is only read.
#ifndef MCUTUNE_GRAPH_TFLITE_WRITER_H_
#define MCUTUNE_GRAPH_TFLITE_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/graph.h"

namespace mcutune::graph {

absl::StatusOr<std::vector<uint8_t>> WriteTflite(const Graph& graph);

// WriteTflite, then writes the bytes to `path`. A file that cannot be created
// or written is INVALID_ARGUMENT naming the path and the system's reason.
absl::Status WriteTfliteFile(const Graph& graph, const std::string& path);

// The TFLite builtin operator code of `type` (CONV_2D -> 3, ...).
int BuiltinCodeOf(OpType type);

}  // namespace mcutune::graph

#endif  // MCUTUNE_GRAPH_TFLITE_WRITER_H_
