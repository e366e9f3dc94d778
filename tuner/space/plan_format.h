// Text forms of plans and spaces, shared by the CLI (`mcutune plan`,
// `mcutune space`) and the daemon.
//
// JSON field names are an interface (scripts and later checks rely on them):
// a plan object carries id, strategy, n_patch, split_idx, stage_modes,
// inplace_depthwise (patch family: also inplace_depthwise_stage), order
// {source, proven_optimal, ops}, board, macs_total,
// macs_patch_stage, macs_recomputed, kernel_calls, peak_sram_bytes,
// reference_arena_bytes, flash_bytes, weights_bytes, code_bytes,
// ext_ram_bytes, ext_flash_bytes, ext_traffic_bytes, traffic {ext_ram_read,
// ext_ram_write, ext_flash_read}, dma_transfers, fits, fit_reason and memory
// {arena_bytes, stream_buffer_bytes, overlay_buffer_bytes, scratch_bytes,
// peak_sram_bytes, reference_arena_bytes, live_lower_bound_bytes,
// lower_bound_gap_bytes, arena_heuristic}.
// All functions are pure and thread-safe; output ends with a newline.
#ifndef MCUTUNE_TUNER_SPACE_PLAN_FORMAT_H_
#define MCUTUNE_TUNER_SPACE_PLAN_FORMAT_H_

#include <string>

#include "graph/graph.h"
#include "tuner/space/enumerate.h"
#include "tuner/space/plan.h"

namespace mcutune::space {

// One JSON object. indent < 0: a single line.
std::string FormatPlanJson(const Plan& plan, int indent = 2);

// {"model", "board", "candidates": [plan + "pareto": bool], "pareto": [ids],
//  "failures": [{"candidate", "error"}], "order_search": {...}}.
std::string FormatSpaceJson(const std::string& model, const BoardSpec& board,
                            const SpaceResult& space, int indent = 2);

// Header + one row per candidate (the scalar plan fields + pareto).
std::string FormatSpaceCsv(const SpaceResult& space);

// Readable table, Pareto-optimal rows marked with '*', failures listed.
std::string FormatSpaceTable(const std::string& model, const BoardSpec& board,
                             const SpaceResult& space);

// Per-step memory map: one row per (step, buffer live at that step) with
// step, op, op_type, patch, buffer, name, kind, memory, role (read, write,
// live), offset, bytes, step_sram_bytes (all SRAM buffers live at the step).
std::string FormatMemoryMapCsv(const graph::Graph& graph, const Plan& plan);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_PLAN_FORMAT_H_
