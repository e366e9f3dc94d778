// The TinyOps family: external-memory deployment with H-partitioned tiny
// operators, ping-pong DMA buffers and overlays (TINYOPS.md).
//
// Exists only on boards with external RAM (activations must be writable)
// and when constraints.allow_external_memory. One candidate per SRAM budget
// (Candidate::tinyops_sram_budget; 0 = ctx.sram_limit()).
//
// Placement:
//   ext flash (QSPI)  every constant (filters, biases, PAD/MEAN/RESHAPE
//                     operands) + per-conv requantization arrays, when the
//                     board has external flash that holds them: it is
//                     non-volatile and memory-mapped (no boot copy) and leaves
//                     the SDRAM to activations. Otherwise the constants go to
//                     external RAM after the activations (loaded at boot from
//                     the board's storage, e.g. l552's SD card).
//   ext RAM (SDRAM)   every activation tensor, placed by PlanArena; RESHAPE
//                     aliases its input. Internal flash holds code only.
//   SRAM              [ in A0 | in A1 | in B0 | in B1 | bias | qmul | qshift |
//                       filter overlay ]  (offsets from 0; the plan's arena,
//                     stream and scratch regions are empty)
//     A0/A1, B0/B1    ping-pong pairs of tiny input blocks; ADD uses both;
//                     a one-input operator reuses B0 as a filter overlay
//                     (filters <= one buffer) and B1 for its im2col scratch.
//     bias, qmul/qshift  the current operator's bias and requantization
//                     arrays (sized by the largest operator).
//     filter overlay  whatever budget is left (capped at the largest filter
//                     that does not fit B0): filters that fit are copied
//                     once per operator.
//
// Sizing (budget-adaptive): B_max = (budget - bias - 2 q) / 4; every operator
// is partitioned (tinyops_partition.h) into the fewest tiny ops whose blocks
// fit B_max; the largest block over all operators becomes the buffer size B,
// so the largest tiny operator meets the budget and the others fit its
// buffers; the rest goes to the filter overlay. Peak SRAM <= budget always.
//
// Schedule per operator: kCopy bias, qmul, qshift, filter (if overlaid),
// kCopy block 0, then for each tiny op j: kCopy block j+1 into the other
// buffer of the pair (the DMA runs while the CPU computes j), kKernel j
// (Step::output = its output rows, written straight to SDRAM).
//
// Traffic / cost model (bytes per inference, Metrics fields):
//   ext_ram_read    every DMA'd input block, so halo rows (k_eff - s rows
//                   shared by neighbouring blocks) count each time they are
//                   copied; inputs of kDirect kernels (read in place once);
//                   constants too when they live in external RAM.
//   ext_ram_write   every operator output once (RESHAPE aliases: nothing).
//   ext_flash_read  per operator its bias and requantization arrays once;
//                   its filter once if overlaid (overlay or B0), else once
//                   per tiny op (the kernel streams it from memory-mapped
//                   flash on every call: the price of small buffers).
//   dma_transfers   the kCopy steps (empty blocks, e.g. PAD rows that are
//                   all padding, are not copied).
//   kernel_calls    kernel steps except aliasing RESHAPEs.
//   MACs            unchanged by partitioning: halo rows are re-read, never
//                   recomputed (macs_recomputed = 0).
// Fit: FinishPlan's checks (SRAM limit, internal flash = code, external
// capacities, allow_external_memory). Thread-safe, stateless.
#ifndef MCUTUNE_TUNER_SPACE_TINYOPS_PLANNER_H_
#define MCUTUNE_TUNER_SPACE_TINYOPS_PLANNER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "tuner/space/board.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/plan.h"
#include "tuner/space/tinyops_partition.h"

namespace mcutune::space {

// The SRAM buffers and every operator's partition for one budget.
struct TinyOpsLayout {
  int64_t budget_bytes = 0;
  int64_t dma_buffer_bytes = 0;     // B, each of the four
  int64_t bias_buffer_bytes = 0;
  int64_t qparam_buffer_bytes = 0;  // each of qmul, qshift
  int64_t filter_overlay_bytes = 0;
  int largest_op = -1;  // the operator whose block set B (-1: none)
  std::vector<OpPartition> partitions;  // indexed by graph operator

  int64_t sram_bytes() const {
    return 4 * dma_buffer_bytes + bias_buffer_bytes +
           2 * qparam_buffer_bytes + filter_overlay_bytes;
  }
};

// True when tinyops candidates exist for `board` under `constraints`.
bool TinyOpsAvailable(const BoardSpec& board, const Constraints& constraints);

// The smallest budget for which ChooseTinyOpsLayout succeeds.
int64_t MinTinyOpsBudget(const graph::Graph& graph);

// Sizes the buffers and partitions every operator for `budget_bytes`.
// INVALID_ARGUMENT when the budget cannot hold one row of some operator (the
// message names it and the minimum budget).
absl::StatusOr<TinyOpsLayout> ChooseTinyOpsLayout(const graph::Graph& graph,
                                                  int64_t budget_bytes);

// Plans a kTinyOps candidate (its order when set, else the model order).
// INVALID_ARGUMENT for another strategy, a bad order or an impossible
// budget; FAILED_PRECONDITION when the board has no external RAM.
absl::StatusOr<Plan> PlanTinyOps(const PlanningContext& ctx,
                                 const Candidate& candidate);

// The family: budgets = the SRAM limit, 1/2, 1/4, 1/8 of the board's usable
// SRAM, and constraints.sram_budget, deduplicated, keeping those within the
// SRAM limit and at least MinTinyOpsBudget. None when !TinyOpsAvailable.
std::unique_ptr<CandidateFamily> MakeTinyOpsFamily();

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_TINYOPS_PLANNER_H_
