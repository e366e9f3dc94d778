// TFLite import: untrusted .tflite bytes -> a validated Graph.
//
// The first step of every tuning job. The bytes are checked with the
// flatbuffers verifier (against mcutune's own subset schema,
// graph/schema/tflite_subset.fbs) before any field is read; then every
// operator, tensor and buffer is translated and the result goes through
// ValidateGraph(). Nothing in the file is trusted: sizes, indices, shapes and
// quantization arrays are all range-checked, and allocation is bounded by the
// limits in graph.h.
//
// Errors (absl::Status, never an exception or crash):
//   INVALID_ARGUMENT  malformed, truncated or inconsistent file; the message
//                     names the operator / tensor and its index.
//   UNIMPLEMENTED     a well-formed model using something mcutune does not
//                     support (an operator such as SVDF, int16 or float
//                     tensors in the compute path, several subgraphs).
#ifndef MCUTUNE_GRAPH_TFLITE_READER_H_
#define MCUTUNE_GRAPH_TFLITE_READER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "graph/graph.h"

namespace mcutune::graph {

// Thread-safe; the result owns copies of all constant data.
absl::StatusOr<Graph> ImportTflite(absl::Span<const uint8_t> bytes);

// Reads a file (bounded by kMaxModelFileBytes) and imports it. NOT_FOUND for
// a missing file; INVALID_ARGUMENT for anything but a regular file (FIFO,
// directory, device) and, before reading it whole, for a file without the
// "TFL3" identifier.
absl::StatusOr<Graph> ImportTfliteFile(const std::string& path);

inline constexpr int64_t kMaxModelFileBytes = int64_t{512} << 20;  // 512 MiB

// The TFLite name of a builtin operator code ("SVDF" for 27), or "UNKNOWN".
const char* BuiltinOperatorName(int code);

}  // namespace mcutune::graph

#endif  // MCUTUNE_GRAPH_TFLITE_READER_H_
