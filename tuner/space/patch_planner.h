// The patch / stream / hybrid family: MCUNetV2 patch-based inference,
// StreamNet stream-1D and stream-2D, and hybrids of them, planned as a
// straight-line schedule with a static memory plan.
//
//   Candidate {strategy, n_patch, split_idx, stage_modes}
//     │ ComputePatchGeometry (patch_geometry.h)
//     ▼
//   steps:   prologue ops (whole tensors)
//            for each patch (raster order): for each stage op: one kernel
//              step computing its region (full-tensor coordinates)
//            remaining ops (whole tensors)
//   buffers: whole tensors (graph input, stage outputs, the rest) and one
//            per-patch buffer per stage tensor and patch, all patches of a
//            tensor sharing one address (alias_of the first), depthwise in
//            place inside a patch (Candidate::inplace_depthwise_stage) and
//            outside the stage (inplace_depthwise), else the output gets a
//            buffer of its own; stream buffers "<tensor>/col" and
//            "<tensor>/line" (BufferKind::kStream) in the stream region after
//            the arena; one kernel-scratch buffer after them.
//   metrics: MACs per step (patch: MCUNetV2's uniform patches; stream and
//            hybrid: each in-image output once per computation), the
//            reference allocator's arena on the patch-mode rectangles, then
//            FinishPlan.
//
// Everything the in-place switches do not change is built once per
// (split_idx, n_patch, modes) and shared by the variants (patch_skeleton.h).
// The arena is placed by PlanArena on a compressed problem (one
// representative patch: per-patch buffers keep their in-patch lifetimes,
// anything alive across patches spans the whole stage) and the offsets are
// copied to every patch, which is valid because every patch runs the same
// operator sequence.
//
// Reference rectangles (PatchReferenceRects, PATCH_BASED.md's allocator):
// positions are graph operators; per-patch tensors take their per-patch
// buffer size, every other tensor its full size; the full-size tensors read
// by the stage (the input image) stay live until the end of the stage (every
// patch reads them); the stage outputs span [producer, last consumer + 1);
// a depthwise convolution is in place when its input and output are both
// per-patch or both full outside the stage. This reproduces the published
// mcunet-vww1 (2, 5) figure of 59,568 B. (Keeping the stage output live
// from operator 0 as well would give 63,096 B there, which is what the
// planner's own arena honestly needs: see the live lower bound.)
// Thread-safe.
#ifndef MCUTUNE_TUNER_SPACE_PATCH_PLANNER_H_
#define MCUTUNE_TUNER_SPACE_PATCH_PLANNER_H_

#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/patch_geometry.h"
#include "tuner/space/plan.h"
#include "tuner/space/reference_allocator.h"

namespace mcutune::space {

inline constexpr char kColumnBufferSuffix[] = "/col";
inline constexpr char kLineBufferSuffix[] = "/line";

// Plans a kPatch, kStream1D, kStream2D or kHybrid candidate (model order
// only). INVALID_ARGUMENT for another strategy, an execution order other
// than the model's, an invalid split_idx, n_patch outside [1, stage output
// size], or (hybrid) stage_modes.size() != split_idx.
absl::StatusOr<Plan> PlanPatchStage(const PlanningContext& ctx,
                                    const Candidate& candidate);

// The reference allocator's rectangles of a patch schedule (see above).
std::vector<ReferenceRect> PatchReferenceRects(const graph::Graph& graph,
                                               const PatchGeometry& geometry);

// The hybrid mode vectors enumerated for one split: a prefix of the stage in
// one mode and the rest in another, (recompute | stream2d), (stream1d |
// stream2d), (stream2d | stream1d), (stream2d | recompute), switching at up
// to three points (a quarter, half, three quarters of the stage). Mode
// vectors equal to a pure strategy's, or to one listed earlier, once ADD
// entries are resolved, are left out.
std::vector<std::vector<StageMode>> HybridModeSets(const PatchStageInfo& info,
                                                   int split_idx);

// Candidates (patch_family.cc): every valid split_idx x n_patch in
// [2, min(max_n_patch, stage output size)] x {patch, stream1d, stream2d,
// HybridModeSets} x in-place depthwise variants: the default (in place
// wherever possible), "-noip" (nowhere) when some depthwise operator could
// run in place, and when both the stage and the whole-tensor part have one,
// "-noip-stage" (out of place inside the stage only; "-noip-lw", the
// converse, is plannable but not enumerated).
// n_patch = 1 is the layer-wise family's job.
std::unique_ptr<CandidateFamily> MakePatchFamily();

// The (inplace_depthwise, inplace_depthwise_stage) pairs the family lists
// for one split, the default (true, true) first. `whole[op]`: op is a
// depthwise convolution RunsInPlace (model order, in place allowed).
std::vector<std::pair<bool, bool>> PatchInPlaceVariants(
    const graph::Graph& graph, const PatchStageInfo& info, int split_idx,
    const std::vector<bool>& whole);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_PATCH_PLANNER_H_
