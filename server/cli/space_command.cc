// `mcutune space MODEL --board BOARD [--sram-budget B] [--flash-budget B]
//  [--max-n-patch N] [--no-external] [--fits-only] [--boards DIR]
//  [--json|--csv]`: enumerates every candidate of the design space, plans
// each and prints them with the Pareto-optimal ones marked.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/cli/commands.h"
#include "server/cli/model_arg.h"
#include "tuner/space/board.h"
#include "tuner/space/enumerate.h"
#include "tuner/space/plan_format.h"

namespace mcutune::cli {
namespace {

constexpr char kSpaceUsage[] =
    "usage: mcutune space MODEL --board BOARD [--sram-budget BYTES]\n"
    "         [--flash-budget BYTES] [--max-n-patch N] [--no-external]\n"
    "         [--fits-only] [--pareto-only] [--boards DIR] [--json|--csv]\n"
    "  Every deployment candidate with MACs, peak SRAM, flash, external\n"
    "  memory and fit; Pareto-optimal candidates are marked.\n";

enum class Format { kTable, kCsv, kJson };

}  // namespace

int RunSpace(const Args& args) {
  std::string model, board_id, boards_dir;
  space::Constraints constraints;
  // The table / CSV / JSON report metrics only: drop each plan's steps and
  // buffers as it is made (large networks otherwise need ~1 GB).
  constraints.keep_plan_details = false;
  Format format = Format::kTable;
  bool have_format = false;
  bool pareto_only = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "-h" || a == "--help") {
      std::fputs(kSpaceUsage, stdout);
      return 0;
    } else if (a == "--json" || a == "--csv") {
      const Format f = a == "--json" ? Format::kJson : Format::kCsv;
      if (have_format && f != format) {
        return UsageError("space: --json and --csv are exclusive");
      }
      format = f;
      have_format = true;
    } else if (a == "--no-external") {
      constraints.allow_external_memory = false;
    } else if (a == "--pareto-only") {
      pareto_only = true;
    } else if (a == "--fits-only") {
      constraints.keep_unfit = false;
    } else if (a == "--board" || a == "--boards") {
      if (!has_value) return UsageError("space: " + a + " needs a value");
      (a == "--board" ? board_id : boards_dir) = args[++i];
    } else if (a == "--sram-budget" || a == "--flash-budget") {
      int64_t v = 0;
      if (!has_value || !absl::SimpleAtoi(args[i + 1], &v) || v <= 0) {
        return UsageError("space: " + a + " needs a positive number of bytes");
      }
      ++i;
      (a == "--sram-budget" ? constraints.sram_budget
                            : constraints.flash_budget) = v;
    } else if (a == "--max-n-patch") {
      int v = 0;
      if (!has_value || !absl::SimpleAtoi(args[i + 1], &v) || v < 1 ||
          v > 64) {
        return UsageError("space: --max-n-patch needs an integer in 1..64");
      }
      ++i;
      constraints.max_n_patch = v;
    } else if (a.size() > 1 && a[0] == '-') {
      return UsageError("space: unknown option '" + a + "'");
    } else if (model.empty()) {
      model = a;
    } else {
      return UsageError("space: unexpected argument '" + a + "'");
    }
  }
  if (model.empty()) return UsageError("space: missing MODEL");
  if (board_id.empty()) return UsageError("space: missing --board BOARD");

  absl::StatusOr<space::BoardSpec> board = space::FindBoard(
      board_id, boards_dir.empty() ? space::DefaultBoardsDir() : boards_dir);
  if (!board.ok()) return PrintError(board.status());
  absl::StatusOr<graph::Graph> g = LoadModelArg(model);
  if (!g.ok()) return PrintError(g.status());
  absl::StatusOr<space::SpaceResult> result =
      space::Enumerate(*g, *board, constraints);
  if (!result.ok()) return PrintError(result.status());
  if (pareto_only) {
    std::vector<space::Plan> front;
    for (int i : result->pareto) front.push_back(std::move(result->plans[i]));
    result->plans = std::move(front);
    result->pareto.clear();
    for (size_t i = 0; i < result->plans.size(); ++i) {
      result->pareto.push_back(static_cast<int>(i));
    }
  }

  std::string text;
  switch (format) {
    case Format::kTable:
      text = space::FormatSpaceTable(model, *board, *result);
      break;
    case Format::kCsv:
      text = space::FormatSpaceCsv(*result);
      break;
    case Format::kJson:
      text = space::FormatSpaceJson(model, *board, *result);
      break;
  }
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
      std::fflush(stdout) != 0) {
    return PrintError(absl::UnknownError("space: cannot write output"));
  }
  return 0;
}

}  // namespace mcutune::cli
