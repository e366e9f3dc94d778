// Metrics every family computes the same way: kernel scratch, the code-size
// estimate, flash, external traffic totals and the board-fit check.
//
// Planners fill steps, buffers, arena/stream/overlay figures, MACs and the
// external-memory fields they know about, then call FinishPlan(), which
// derives the rest so that plans of different families compare fairly.
#ifndef MCUTUNE_TUNER_SPACE_PLAN_METRICS_H_
#define MCUTUNE_TUNER_SPACE_PLAN_METRICS_H_

#include <cstdint>

#include "graph/graph.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/plan.h"

namespace mcutune::space {

// Code-size estimate (bytes of internal flash besides the weights), from the
// sizes of CMSIS-NN-style int8 kernels compiled with -Os for Cortex-M:
//   kCodeBaseBytes               startup, runtime glue, requantization helpers
//   kCodePerKernelKindBytes      each distinct (op type, kernel variant) used:
//                                conv 1x1, conv kxk, depthwise 3x3, depthwise
//                                generic, add, pool, fc, ...
//   kCodePerCallBytes            each kernel call emitted in straight-line code
//                                (argument setup; constants folded)
// Runtime, stack and harness flash are the board's reserved_flash_bytes.
inline constexpr int64_t kCodeBaseBytes = 4 * 1024;
inline constexpr int64_t kCodePerKernelKindBytes = 1536;
inline constexpr int64_t kCodePerCallBytes = 48;

// SRAM scratch of one kernel call of operator `op` computing `output_rows`
// rows (all columns; -1 = the whole output) on the Cortex-M DSP path
// (CMSIS-NN semantics):
//   CONV_2D, filter not 1x1:     2 * kh * kw * cin * sizeof(int16)  (im2col of
//                                two output pixels, widened to int16)
//   CONV_2D 1x1:                 0
//   DEPTHWISE_CONV_2D in place:  one channel of the input window the rows
//                                read: min(H_in, (rows-1)*s + k_eff) x W_in
//                                bytes (the channel-by-channel kernel copies
//                                it before overwriting it)
//   DEPTHWISE_CONV_2D 3x3:       0 (dedicated kernel)
//   DEPTHWISE_CONV_2D other:     kh * kw * cin * sizeof(int16)
//   AVERAGE_POOL_2D:             cin * sizeof(int32)
//   others:                      0
int64_t KernelScratchBytes(const graph::Graph& graph, int op, bool in_place,
                           int output_rows = -1);

// Estimated code bytes of a schedule (see the constants above): kernel kinds
// from the kernel steps' operators, one call per kernel step.
int64_t EstimateCodeBytes(const graph::Graph& graph, const Plan& plan);

// Completes `plan` (call last, once the planner has set steps, buffers, the
// arena/stream/overlay/scratch figures, MACs and ext fields):
//   board_id; memory.peak_sram_bytes = arena + stream + overlay + scratch;
//   memory.lower_bound_gap_bytes; metrics.kernel_calls (kernel steps) if 0;
//   metrics.weights_bytes = analysis params - external_weight_bytes;
//   metrics.code_bytes, flash_bytes = weights + code;
//   metrics.ext_traffic_bytes = sum of the per-memory traffic;
//   metrics.fits / fit_reason against ctx.sram_limit(), ctx.flash_limit(),
//   the board's external memories and constraints.allow_external_memory.
void FinishPlan(const PlanningContext& ctx, Plan* plan,
                int64_t external_weight_bytes = 0);

// Frees the steps and buffers of `plan` (Constraints::keep_plan_details ==
// false), keeping candidate, board, memory breakdown and metrics.
void DropPlanDetails(Plan* plan);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_PLAN_METRICS_H_
