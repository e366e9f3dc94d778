// `mcutune plan MODEL --board BOARD --strategy S [--n-patch N --split S]
//  [--modes M] [--tinyops-budget B] [--order best|model] [--no-inplace]
//  [--sram-budget B] [--boards DIR] [--json | --memory-map csv]`:
// plans one candidate and prints it (a summary, one JSON object, or the
// per-step memory map as CSV). Strategies without a planner yet answer
// UNIMPLEMENTED on one "error:" line.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/cli/commands.h"
#include "server/cli/model_arg.h"
#include "tuner/space/board.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/plan.h"
#include "tuner/space/plan_format.h"

namespace mcutune::cli {
namespace {

constexpr char kPlanUsage[] =
    "usage: mcutune plan MODEL --board BOARD --strategy STRATEGY\n"
    "         [--n-patch N --split S] [--modes r,1,2,...] [--tinyops-budget B]\n"
    "         [--order best|model] [--no-inplace] [--sram-budget BYTES]\n"
    "         [--boards DIR] [--json | --memory-map csv]\n"
    "  MODEL: a .tflite file or a zoo network name (mcutune zoo list).\n"
    "  STRATEGY: layerwise | patch | stream1d | stream2d | hybrid | tinyops\n";

int Write(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
      std::fflush(stdout) != 0) {
    return PrintError(absl::UnknownError("plan: cannot write output"));
  }
  return 0;
}

std::string Summary(const space::Plan& p) {
  const space::Metrics& m = p.metrics;
  const space::MemoryBreakdown& mem = p.memory;
  std::string s = absl::StrCat(
      "candidate        ", p.candidate.Id(), " on ", p.board_id, "\n",
      "order            ", space::OrderSourceName(p.candidate.order.source),
      p.candidate.order.proven_optimal ? " (proven optimal)" : "", "\n",
      "MACs             ", m.macs_total, " (patch stage ", m.macs_patch_stage,
      ", recomputed ", m.macs_recomputed, ")\n", "kernel calls     ",
      m.kernel_calls, "\n");
  absl::StrAppend(
      &s, "peak SRAM        ", mem.peak_sram_bytes, " B = arena ",
      mem.arena_bytes, " + stream ", mem.stream_buffer_bytes, " + overlay ",
      mem.overlay_buffer_bytes, " + scratch ", mem.scratch_bytes, "\n",
      "reference arena  ", mem.reference_arena_bytes, " B\n",
      "live lower bound ", mem.live_lower_bound_bytes, " B (gap ",
      mem.lower_bound_gap_bytes, " B, ", mem.arena_heuristic, ")\n",
      "flash            ", m.flash_bytes, " B = weights ", m.weights_bytes,
      " + code ~", m.code_bytes, "\n");
  absl::StrAppend(&s, "external         ram ", m.ext_ram_bytes, " B, flash ",
                  m.ext_flash_bytes, " B, traffic ", m.ext_traffic_bytes,
                  " B, ", m.dma_transfers, " DMA transfers\n",
                  "fits             ", m.fits ? "yes" : "no",
                  m.fits ? "" : absl::StrCat(" (", m.fit_reason, ")"), "\n");
  return s;
}

absl::StatusOr<std::vector<space::StageMode>> ParseModes(
    const std::string& text) {
  std::vector<space::StageMode> modes;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    if (part == "r") {
      modes.push_back(space::StageMode::kRecompute);
    } else if (part == "1") {
      modes.push_back(space::StageMode::kStream1D);
    } else if (part == "2") {
      modes.push_back(space::StageMode::kStream2D);
    } else {
      absl::StatusOr<space::StageMode> m =
          space::ParseStageMode(std::string(part));
      if (!m.ok()) return m.status();
      modes.push_back(*m);
    }
  }
  return modes;
}

}  // namespace

int RunPlan(const Args& args) {
  std::string model, board_id, strategy_name, boards_dir, memory_map;
  std::string order_choice = "best";
  std::string modes_text;
  bool json = false, inplace = true;
  int n_patch = 1, split = 0;
  bool have_n_patch = false, have_split = false;
  int64_t sram_budget = 0, tinyops_budget = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    auto need = [&](const char* what) {
      return UsageError(absl::StrCat("plan: ", a, " needs ", what));
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kPlanUsage, stdout);
      return 0;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--no-inplace") {
      inplace = false;
    } else if (a == "--board") {
      if (!has_value) return need("a board id");
      board_id = args[++i];
    } else if (a == "--strategy") {
      if (!has_value) return need("a strategy");
      strategy_name = args[++i];
    } else if (a == "--boards") {
      if (!has_value) return need("a directory");
      boards_dir = args[++i];
    } else if (a == "--memory-map") {
      if (!has_value) return need("a format (csv)");
      memory_map = args[++i];
      if (memory_map != "csv") return UsageError("plan: --memory-map supports csv");
    } else if (a == "--order") {
      if (!has_value) return need("best or model");
      order_choice = args[++i];
      if (order_choice != "best" && order_choice != "model") {
        return UsageError("plan: --order must be best or model");
      }
    } else if (a == "--modes") {
      if (!has_value) return need("a list of modes");
      modes_text = args[++i];
    } else if (a == "--n-patch" || a == "--split") {
      int v = 0;
      if (!has_value || !absl::SimpleAtoi(args[i + 1], &v) || v < 0 ||
          v > 1000) {
        return need("an integer in 0..1000");
      }
      ++i;
      if (a == "--n-patch") {
        n_patch = v;
        have_n_patch = true;
      } else {
        split = v;
        have_split = true;
      }
    } else if (a == "--sram-budget" || a == "--tinyops-budget") {
      int64_t v = 0;
      if (!has_value || !absl::SimpleAtoi(args[i + 1], &v) || v <= 0) {
        return need("a positive number of bytes");
      }
      ++i;
      (a == "--sram-budget" ? sram_budget : tinyops_budget) = v;
    } else if (a.size() > 1 && a[0] == '-') {
      return UsageError("plan: unknown option '" + a + "'");
    } else if (model.empty()) {
      model = a;
    } else {
      return UsageError("plan: unexpected argument '" + a + "'");
    }
  }
  if (model.empty()) return UsageError("plan: missing MODEL");
  if (board_id.empty()) return UsageError("plan: missing --board BOARD");
  if (strategy_name.empty()) return UsageError("plan: missing --strategy");
  if (json && !memory_map.empty()) {
    return UsageError("plan: --json and --memory-map are exclusive");
  }
  absl::StatusOr<space::Strategy> strategy = space::ParseStrategy(strategy_name);
  if (!strategy.ok()) return UsageError("plan: " + std::string(strategy.status().message()));
  const bool patched = *strategy != space::Strategy::kLayerwise &&
                       *strategy != space::Strategy::kTinyOps;
  if (patched && (!have_n_patch || !have_split)) {
    return UsageError("plan: --strategy " + strategy_name +
                      " needs --n-patch N and --split S");
  }
  if (!patched && (have_n_patch || have_split)) {
    return UsageError("plan: --n-patch/--split only apply to patch-based "
                      "strategies");
  }
  if (patched && n_patch < 1) return UsageError("plan: --n-patch must be >= 1");

  absl::StatusOr<space::BoardSpec> board = space::FindBoard(
      board_id, boards_dir.empty() ? space::DefaultBoardsDir() : boards_dir);
  if (!board.ok()) return PrintError(board.status());
  absl::StatusOr<graph::Graph> g = LoadModelArg(model);
  if (!g.ok()) return PrintError(g.status());

  space::Constraints constraints;
  constraints.sram_budget = sram_budget;
  constraints.search_execution_order = order_choice == "best";
  const space::PlanningContext ctx =
      space::MakePlanningContext(*g, *board, constraints);

  space::Candidate c;
  c.strategy = *strategy;
  c.inplace_depthwise = inplace;
  c.inplace_depthwise_stage = inplace;
  c.order = ctx.orders.back();
  if (patched) {
    c.n_patch = n_patch;
    c.split_idx = split;
  }
  if (*strategy == space::Strategy::kHybrid) {
    if (modes_text.empty()) return UsageError("plan: hybrid needs --modes");
    absl::StatusOr<std::vector<space::StageMode>> modes = ParseModes(modes_text);
    if (!modes.ok()) return UsageError("plan: " + std::string(modes.status().message()));
    c.stage_modes = *modes;
  }
  c.tinyops_sram_budget = tinyops_budget;
  absl::StatusOr<space::Plan> plan = space::PlanCandidate(ctx, c);
  if (!plan.ok()) return PrintError(plan.status());
  if (!memory_map.empty()) return Write(space::FormatMemoryMapCsv(*g, *plan));
  return Write(json ? space::FormatPlanJson(*plan) : Summary(*plan));
}

}  // namespace mcutune::cli
