// Metrics every family computes the same way: kernel scratch, the code-size
// estimate, flash, external traffic totals and the board-fit check.
//
// Planners fill steps, buffers, arena/stream/overlay figures, MACs and the
// external-memory fields they know about, then call FinishPlan(), which
// derives the rest so that plans of different families compare fairly.
#ifndef MCUTUNE_TUNER_SPACE_PLAN_METRICS_H_
#define MCUTUNE_TUNER_SPACE_PLAN_METRICS_H_

#include <cstdint>
#include <vector>

#include "graph/graph.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/plan.h"

namespace mcutune::space {

// Code-size estimate: bytes of internal flash besides the graph's constant
// tensors, i.e. the generated code, the kernel library, the kernels'
// parameter structs and requantization arrays. Measured with
// arm-none-eabi-gcc -O2 (the firmware builds) on every core of the
// catalogue and rounded up, so that a plan that fits also links (a test
// checks estimate >= linked size on QEMU builds):
//   kCodeBaseBytes          run()/init()/I/O glue, model API, libc memcpy,
//                           memmove, memset
//   kernel library          per entry point used (CodeKernelBytes):
//                           CONV_2D 12.5 KiB (1x1 + general paths, always
//                           linked together), depthwise 7 KiB, in-place
//                           depthwise 1 KiB, ADD 1 KiB, FC 1.75 KiB,
//                           pooling / MEAN 1.25 KiB, softmax 256 B, data
//                           movement (PAD, copies, concatenation,
//                           transpose, stream buffers) 1.25 KiB, DMA 64 B
//   kCodePerOpBytes         per operator a step runs: its parameter struct
//                           (a fused PAD's variant counts once more)
//   requantization          per output channel of CONV_2D, depthwise and
//                           FC: kCodePerChannelBytes (double-rounding
//                           multiplier + shift; single rounding needs 4), and
//                           4 B of folded bias when the graph has none
//                           (none for constants a tinyops plan keeps in
//                           external memory, except FULLY_CONNECTED's);
//                           softmax: its 1 KiB exp table
//   kCodePerCallBytes       each straight-line kernel call (layer-wise, the
//                           whole-tensor steps of patch plans, tinyops)
//   kCodePerDmaCopyBytes    each tinyops DMA copy (mcuk_dma_copy + waits)
//   patch stage             one loop over the patches with constant tables
//                           (codegen/patch_emitter.cc): per stage operator
//                           kCodePerStageOpBytes of loop body, per operator
//                           and patch its views and region (24 B per view,
//                           16 B per region), per stream copy
//                           kCodePerStreamCopyBytes, kStreamCopyBaseBytes
//                           for the copy routine.
// Runtime, stack and harness flash are the board's reserved_flash_bytes.
inline constexpr int64_t kCodeBaseBytes = 2048;
inline constexpr int64_t kCodePerOpBytes = 104;
inline constexpr int64_t kCodePerChannelBytes = 8;
inline constexpr int64_t kCodePerCallBytes = 112;
inline constexpr int64_t kCodePerDmaCopyBytes = 32;
inline constexpr int64_t kCodePerStageOpBytes = 128;
inline constexpr int64_t kCodePerStreamCopyBytes = 32;
inline constexpr int64_t kStreamCopyBaseBytes = 256;
inline constexpr int64_t kCodeDataMovementBytes = 1280;

// SRAM scratch of one kernel call of operator `op` computing `output_rows`
// rows (all columns; -1 = the whole output) on the Cortex-M DSP path
// (CMSIS-NN semantics):
//   CONV_2D, filter not 1x1:     2 * kh * kw * cin * sizeof(int16)  (im2col of
//                                two output pixels, widened to int16)
//   CONV_2D 1x1:                 3 * cin * sizeof(int16) + 4 (three input
//                                pixels widened to int16, word-aligned:
//                                mcuk_conv2d_scratch_bytes)
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

// Bytes of the kernel library's entry point(s) an operator of `type` calls
// (see above); `in_place` for a depthwise convolution running in place.
int64_t CodeKernelBytes(graph::OpType type, bool in_place);

// Estimated code bytes of a schedule (see the constants above). Needs the
// plan's steps and buffers (not their names or step reads / writes):
// kernels from the kernel steps' operators (in place when the output's
// buffer aliases another tensor's), per-call costs by step kind (patch
// stage steps: patch >= 0; copies: StepKind::kCopy), stream copies from
// the stream buffers' geometry (an upper bound: every patch saves and loads
// each column / line buffer).
int64_t EstimateCodeBytes(const graph::Graph& graph, const Plan& plan);
// The same from steps and buffers a plan does not keep (metrics-only
// planning) and its Metrics::stream_copies.
int64_t EstimateCodeBytes(const graph::Graph& graph,
                          const std::vector<Step>& steps,
                          const std::vector<Buffer>& buffers,
                          int64_t stream_copies);

// Completes `plan` (call last, once the planner has set steps, buffers, the
// arena/stream/overlay/scratch figures, MACs and ext fields):
//   board_id; memory.peak_sram_bytes = arena + stream + overlay + scratch;
//   memory.lower_bound_gap_bytes; metrics.kernel_calls (kernel steps) if 0;
//   metrics.weights_bytes = analysis params - external_weight_bytes;
//   metrics.code_bytes, flash_bytes = weights + code;
//   metrics.ext_traffic_bytes = sum of the per-memory traffic;
//   metrics.fits / fit_reason against ctx.sram_limit(), ctx.flash_limit(),
//   the board's external memories and constraints.allow_external_memory.
// `code_bytes` >= 0: the code estimate, computed by the caller with the
// EstimateCodeBytes overload when the plan keeps no steps or buffers.
void FinishPlan(const PlanningContext& ctx, Plan* plan,
                int64_t external_weight_bytes = 0, int64_t code_bytes = -1);

// Frees the steps and buffers of `plan` (Constraints::keep_plan_details ==
// false), keeping candidate, board, memory breakdown and metrics.
void DropPlanDetails(Plan* plan);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_PLAN_METRICS_H_
