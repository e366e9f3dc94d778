// Renderings of an Analysis for people and programs.
//
// `mcutune inspect` prints one of these, the daemon serves the JSON form to
// the dashboard (stacked bars per operator from `memory_map`), and users load
// the CSV into spreadsheets:
//
//   Graph ──Analyze──► Analysis ──Format*──► table | CSV | JSON text
//
// All three take the Graph the Analysis was computed from (for tensor names
// and shapes) and never fail. Tensor and model names come from untrusted
// files: the table replaces control characters, the CSV quotes fields
// (RFC 4180) and the JSON replaces invalid UTF-8, so any name is safe to
// print. Thread-safe.
//
// CSV columns, one row per operator after a header row:
//   index,type,output,macs,params_bytes,input_bytes,output_bytes,live_bytes,
//   total_bytes
// JSON (one object): model, num_ops, inputs, outputs (tensor objects: id,
// name, shape, type, bytes), macs_total, other_ops_total, params_bytes,
// peak_live_bytes, peak_op, ops (index, type, output, macs, other_ops,
// params_bytes, input_bytes, output_bytes, live_bytes, total_bytes, inputs,
// outputs, params), memory_map_complete, memory_map (per op: op, total_bytes,
// tensors: [{tensor, name, bytes, role}]) and lifetimes ([{tensor, bytes,
// first_op, last_op}]).
#ifndef MCUTUNE_GRAPH_ANALYSIS_FORMAT_H_
#define MCUTUNE_GRAPH_ANALYSIS_FORMAT_H_

#include <string>

#include "graph/analysis.h"
#include "graph/graph.h"

namespace mcutune::graph {

// Aligned human-readable table with a header (model, inputs, outputs), one
// row per operator, the peak row marked "<- peak", and a totals line.
std::string FormatAnalysisTable(const Graph& graph, const Analysis& analysis);

// CSV with a header row; lines end with "\n".
std::string FormatAnalysisCsv(const Graph& graph, const Analysis& analysis);

// One JSON object. `indent` < 0 gives a single line, otherwise pretty-printed
// with that many spaces. Ends with "\n".
std::string FormatAnalysisJson(const Graph& graph, const Analysis& analysis,
                               int indent = -1);

}  // namespace mcutune::graph

#endif  // MCUTUNE_GRAPH_ANALYSIS_FORMAT_H_
