// `mcutune inspect MODEL [--json|--csv]`: imports a .tflite file and prints
// the per-operator analysis (graph/analysis.h) as a table (default), CSV or
// one JSON object on stdout. Errors go to stderr as one "error:" line.
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "graph/analysis.h"
#include "graph/analysis_format.h"
#include "graph/tflite_reader.h"
#include "server/cli/commands.h"

namespace mcutune::cli {
namespace {

enum class Format { kTable, kCsv, kJson };

constexpr char kInspectUsage[] =
    "usage: mcutune inspect MODEL [--json|--csv]\n"
    "  Per-operator MACs, parameter bytes and activation memory map of an\n"
    "  int8 .tflite model (table by default).\n";

}  // namespace

int RunInspect(const Args& args) {
  std::string model_path;
  bool have_model = false;
  bool have_format = false;
  Format format = Format::kTable;
  bool options_done = false;
  for (const std::string& arg : args) {
    if (!options_done && (arg == "-h" || arg == "--help")) {
      std::fputs(kInspectUsage, stdout);
      return 0;
    }
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && (arg == "--json" || arg == "--csv")) {
      const Format f = arg == "--json" ? Format::kJson : Format::kCsv;
      if (have_format && f != format) {
        return UsageError("inspect: --json and --csv are exclusive");
      }
      format = f;
      have_format = true;
      continue;
    }
    if (!options_done && arg.size() > 1 && arg[0] == '-') {
      return UsageError("inspect: unknown option '" + arg + "'");
    }
    if (have_model) {
      return UsageError("inspect: expected one MODEL, got '" + model_path +
                        "' and '" + arg + "'");
    }
    model_path = arg;
    have_model = true;
  }
  if (!have_model) return UsageError("inspect: missing MODEL");

  absl::StatusOr<graph::Graph> g = graph::ImportTfliteFile(model_path);
  if (!g.ok()) return PrintError(g.status());
  const graph::Analysis analysis = graph::Analyze(*g);

  std::string text;
  switch (format) {
    case Format::kTable:
      text = graph::FormatAnalysisTable(*g, analysis);
      break;
    case Format::kCsv:
      text = graph::FormatAnalysisCsv(*g, analysis);
      break;
    case Format::kJson:
      text = graph::FormatAnalysisJson(*g, analysis, /*indent=*/2);
      break;
  }
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
      std::fflush(stdout) != 0) {
    return PrintError(absl::UnknownError("inspect: cannot write output"));
  }
  return 0;
}

}  // namespace mcutune::cli
