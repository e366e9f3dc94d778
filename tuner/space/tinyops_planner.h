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
//   SRAM              DMA buffers and overlays (memory.overlay_buffer_bytes)
//                     then scratch beyond B1 (memory.scratch_bytes), as laid
//                     out in tinyops_layout.h; arena and stream regions are
//                     empty (activations never sit whole in SRAM).
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

#include <memory>

#include "absl/status/statusor.h"
#include "tuner/space/board.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/plan.h"
#include "tuner/space/tinyops_layout.h"

namespace mcutune::space {

// True when tinyops candidates exist for `board` under `constraints`.
bool TinyOpsAvailable(const BoardSpec& board, const Constraints& constraints);

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
