// FuzzTfliteReader (fuzz_entries.h): untrusted .tflite bytes through what
// `mcutune inspect` does (server/cli/inspect_command.cc).
// - ImportTflite must return a Status for anything (never crash, never
//   allocate without bound).
// - A graph it returns has passed ValidateGraph: validating it again must
//   succeed, and Analyze() may rely on it.
// - The analysis is checked against its documented invariants
//   (graph/analysis.h): one entry per operator, byte figures that add up,
//   memory maps that sum to the totals, the peak as the maximum, lifetimes
//   inside the operator range.
// - All three renderings are produced (they must not fail on hostile names).
#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "graph/analysis.h"
#include "graph/analysis_format.h"
#include "graph/graph.h"
#include "graph/tflite_reader.h"
#include "tests/fuzz/fuzz_entries.h"

namespace mcutune::fuzz {
namespace {

absl::Status Broken(const std::string& what) {
  return absl::InternalError(absl::StrCat("tflite invariant: ", what));
}

absl::Status CheckAnalysis(const graph::Graph& g, const graph::Analysis& a) {
  const int num_ops = static_cast<int>(g.ops.size());
  if (a.ops.size() != g.ops.size()) return Broken("one OpAnalysis per op");
  int64_t peak = 0;
  int peak_op = -1;
  for (int i = 0; i < num_ops; ++i) {
    const graph::OpAnalysis& op = a.ops[i];
    if (op.index != i) return Broken(absl::StrCat("op ", i, " index"));
    if (op.macs < 0 || op.other_ops < 0 || op.params_bytes < 0 ||
        op.input_bytes < 0 || op.output_bytes < 0 || op.live_bytes < 0) {
      return Broken(absl::StrCat("op ", i, ": negative figure"));
    }
    if (op.total_bytes != op.input_bytes + op.output_bytes + op.live_bytes) {
      return Broken(absl::StrCat("op ", i, ": total != in + out + live"));
    }
    if (a.memory_map_complete) {
      int64_t sum = 0;
      for (const graph::LiveTensor& t : op.memory) {
        if (t.tensor < 0 || t.tensor >= static_cast<int>(g.tensors.size())) {
          return Broken(absl::StrCat("op ", i, ": memory map tensor range"));
        }
        sum += t.bytes;
      }
      if (sum != op.total_bytes) {
        return Broken(absl::StrCat("op ", i, ": memory map sums to ", sum,
                                   ", total_bytes ", op.total_bytes));
      }
    } else if (!op.memory.empty()) {
      return Broken(absl::StrCat("op ", i, ": map kept though incomplete"));
    }
    if (peak_op < 0 || op.total_bytes > peak) {
      peak = op.total_bytes;
      peak_op = i;
    }
  }
  if (a.peak_op != peak_op || (peak_op >= 0 && a.peak_live_bytes != peak)) {
    return Broken("peak is not the first maximum of total_bytes");
  }
  for (const graph::TensorLifetime& l : a.lifetimes) {
    if (l.first_op < 0 || l.first_op > l.last_op ||
        l.last_op >= std::max(num_ops, 1)) {
      return Broken(absl::StrCat("tensor ", l.tensor, ": lifetime ", l.first_op,
                                 "..", l.last_op));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FuzzTfliteReader(const uint8_t* data, size_t size) {
  absl::StatusOr<graph::Graph> g =
      graph::ImportTflite(absl::Span<const uint8_t>(data, size));
  if (!g.ok()) {
    if (g.status().code() == absl::StatusCode::kInternal) {
      return Broken(absl::StrCat("import: ", g.status().ToString()));
    }
    return g.status();
  }
  if (absl::Status s = graph::ValidateGraph(*g); !s.ok()) {
    return Broken(
        absl::StrCat("imported graph fails ValidateGraph: ", s.ToString()));
  }
  const graph::Analysis analysis = graph::Analyze(*g);
  if (absl::Status s = CheckAnalysis(*g, analysis); !s.ok()) return s;
  // The renderings never fail; they must not crash on any name or shape.
  const std::string table = graph::FormatAnalysisTable(*g, analysis);
  const std::string csv = graph::FormatAnalysisCsv(*g, analysis);
  const std::string json = graph::FormatAnalysisJson(*g, analysis, 2);
  if (table.empty() || csv.empty() || json.empty()) {
    return Broken("an empty rendering");
  }
  return absl::OkStatus();
}

}  // namespace mcutune::fuzz
