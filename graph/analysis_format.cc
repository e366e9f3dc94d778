// Table, CSV and JSON renderings of an Analysis.
//
// - Table: cells are built as strings first, then every column is padded to
//   its widest cell (names left-aligned, numbers right-aligned with thousands
//   separators). Long tensor names are shortened from the front, keeping the
//   informative tail ("...block_3/conv").
// - CSV: numbers in plain decimal; text fields quoted when they contain a
//   separator, quote or line break.
// - JSON: built with nlohmann::json and dumped with invalid UTF-8 replaced,
//   since tensor names come straight from the model file.
#include "graph/analysis_format.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace mcutune::graph {
namespace {

constexpr size_t kMaxNameWidth = 40;

std::string Grouped(int64_t v) {
  std::string digits = absl::StrCat(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

// Printable ASCII only (bytes >= 0x80 pass: UTF-8 names stay readable), and
// at most `width` bytes, keeping the end of the name.
std::string Printable(const std::string& s, size_t width) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (out.size() > width && width > 3) {
    size_t cut = out.size() - (width - 3);
    // Do not start in the middle of a UTF-8 sequence.
    while (cut < out.size() && (out[cut] & 0xC0) == 0x80) ++cut;
    out = "..." + out.substr(cut);
  }
  return out;
}

std::string ShapeText(const std::vector<int32_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ","), "]");
}

std::string OutputName(const Graph& g, const OpAnalysis& op) {
  std::vector<std::string> names;
  for (int t : op.outputs) names.push_back(g.tensors[t].name);
  return absl::StrJoin(names, ";");
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string TensorSummary(const Graph& g, int t) {
  const Tensor& tensor = g.tensors[t];
  return absl::StrCat(Printable(tensor.name, kMaxNameWidth), " ",
                      ShapeText(tensor.shape), " ", DataTypeName(tensor.type),
                      " (", Grouped(tensor.bytes()), " B)");
}

nlohmann::json TensorJson(const Graph& g, int t) {
  const Tensor& tensor = g.tensors[t];
  return {{"id", t},
          {"name", tensor.name},
          {"shape", tensor.shape},
          {"type", DataTypeName(tensor.type)},
          {"bytes", tensor.bytes()}};
}

nlohmann::json TensorListJson(const Graph& g, const std::vector<int>& ids) {
  nlohmann::json list = nlohmann::json::array();
  for (int t : ids) list.push_back(TensorJson(g, t));
  return list;
}

}  // namespace

std::string FormatAnalysisTable(const Graph& graph, const Analysis& analysis) {
  std::string out = absl::StrCat("model: ", Printable(graph.name, 80), " (",
                                 analysis.ops.size(), " operators)\n");
  for (int t : graph.inputs) {
    absl::StrAppend(&out, "input:  ", TensorSummary(graph, t), "\n");
  }
  for (int t : graph.outputs) {
    absl::StrAppend(&out, "output: ", TensorSummary(graph, t), "\n");
  }
  out += "\n";

  const std::vector<std::string> header = {"#",      "type",   "output",
                                           "MACs",   "params", "input",
                                           "output", "other",  "total"};
  const size_t kLeftColumns = 3;  // "#" is right-aligned, type/output left
  std::vector<std::vector<std::string>> rows = {header};
  for (const OpAnalysis& op : analysis.ops) {
    rows.push_back({absl::StrCat(op.index), OpTypeName(op.type),
                    Printable(OutputName(graph, op), kMaxNameWidth),
                    Grouped(op.macs), Grouped(op.params_bytes),
                    Grouped(op.input_bytes), Grouped(op.output_bytes),
                    Grouped(op.live_bytes), Grouped(op.total_bytes)});
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const std::string& cell = rows[r][c];
      const std::string pad(width[c] - std::min(width[c], cell.size()), ' ');
      const bool left = c > 0 && c < kLeftColumns;
      if (c > 0) line += "  ";
      line += left ? cell + pad : pad + cell;
    }
    const int op_index = static_cast<int>(r) - 1;
    if (op_index >= 0 && op_index == analysis.peak_op) line += "  <- peak";
    // Trailing blanks of the last left-aligned column are never needed.
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }

  absl::StrAppend(&out, "\ntotal: ", Grouped(analysis.macs_total), " MACs, ",
                  Grouped(analysis.params_bytes), " B parameters, peak ",
                  Grouped(analysis.peak_live_bytes), " B activations");
  if (analysis.peak_op >= 0) {
    absl::StrAppend(&out, " at op ", analysis.peak_op, " (",
                    OpTypeName(analysis.ops[analysis.peak_op].type), ")");
  }
  out += "\n";
  return out;
}

std::string FormatAnalysisCsv(const Graph& graph, const Analysis& analysis) {
  std::string out =
      "index,type,output,macs,params_bytes,input_bytes,output_bytes,"
      "live_bytes,total_bytes\n";
  for (const OpAnalysis& op : analysis.ops) {
    absl::StrAppend(&out, op.index, ",", OpTypeName(op.type), ",",
                    CsvField(OutputName(graph, op)), ",", op.macs, ",",
                    op.params_bytes, ",", op.input_bytes, ",", op.output_bytes,
                    ",", op.live_bytes, ",", op.total_bytes, "\n");
  }
  return out;
}

std::string FormatAnalysisJson(const Graph& graph, const Analysis& analysis,
                               int indent) {
  using nlohmann::json;
  json ops = json::array();
  json memory_map = json::array();
  for (const OpAnalysis& op : analysis.ops) {
    ops.push_back({{"index", op.index},
                   {"type", OpTypeName(op.type)},
                   {"output", OutputName(graph, op)},
                   {"macs", op.macs},
                   {"other_ops", op.other_ops},
                   {"params_bytes", op.params_bytes},
                   {"input_bytes", op.input_bytes},
                   {"output_bytes", op.output_bytes},
                   {"live_bytes", op.live_bytes},
                   {"total_bytes", op.total_bytes},
                   {"inputs", TensorListJson(graph, op.inputs)},
                   {"outputs", TensorListJson(graph, op.outputs)},
                   {"params", TensorListJson(graph, op.params)}});
    json tensors = json::array();
    for (const LiveTensor& live : op.memory) {
      tensors.push_back({{"tensor", live.tensor},
                         {"name", graph.tensors[live.tensor].name},
                         {"bytes", live.bytes},
                         {"role", TensorRoleName(live.role)}});
    }
    memory_map.push_back({{"op", op.index},
                          {"total_bytes", op.total_bytes},
                          {"tensors", std::move(tensors)}});
  }
  json lifetimes = json::array();
  for (const TensorLifetime& l : analysis.lifetimes) {
    lifetimes.push_back({{"tensor", l.tensor},
                         {"bytes", l.bytes},
                         {"first_op", l.first_op},
                         {"last_op", l.last_op}});
  }
  json doc = {{"model", graph.name},
              {"num_ops", analysis.ops.size()},
              {"inputs", TensorListJson(graph, graph.inputs)},
              {"outputs", TensorListJson(graph, graph.outputs)},
              {"macs_total", analysis.macs_total},
              {"other_ops_total", analysis.other_ops_total},
              {"params_bytes", analysis.params_bytes},
              {"peak_live_bytes", analysis.peak_live_bytes},
              {"peak_op", analysis.peak_op},
              {"memory_map_complete", analysis.memory_map_complete},
              {"ops", std::move(ops)},
              {"memory_map", std::move(memory_map)},
              {"lifetimes", std::move(lifetimes)}};
  return doc.dump(indent, ' ', /*ensure_ascii=*/false,
                  json::error_handler_t::replace) +
         "\n";
}

}  // namespace mcutune::graph
