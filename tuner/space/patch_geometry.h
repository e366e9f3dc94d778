// Patch-stage geometry: which operators may run patch by patch, and for one
// (n_patch, split_idx, per-operator mode) what every patch computes, reads
// and keeps.
//
// Patch-based inference (PATCH_BASED.md) and stream processing
// (STREAMING.md) run the first `split_idx` counted operators (CONV_2D,
// DEPTHWISE_CONV_2D, ADD; a PAD directly before a convolution is fused into
// it) once per patch of an n_patch x n_patch grid over the stage output, in
// raster order. This file is the arithmetic shared by the patch/stream
// planner, its tests and the schedule simulator:
//
//   Graph ──AnalyzePatchStage──► PatchStageInfo (stage-capable ops, splits)
//         ──ComputePatchGeometry(n, split, modes)──► PatchGeometry
//            per stage tensor and patch row/column: need / computed spans,
//            patch buffer, column (stream) buffer, line buffer sizes
//
// Coordinates are full-tensor coordinates with TFLite's real padding: an
// output row y of a layer reads input rows [y*s - pad_before,
// y*s - pad_before + k); rows outside the input image are that tensor's zero
// point (bypass padding: nothing is materialised). The axes are independent,
// so every quantity is computed per axis and per patch index t in [0, n).
//
// Per stage tensor T (the output of one stage operator), per axis:
//   need(t)     = hull of what T's consumers read for patch t (clipped to
//                 the image), plus tile(t) when T is a stage output;
//   computed(t) = need(t) when the axis recomputes overlap; else the part
//                 of need(t) not computed by earlier patches along the axis.
// Modes (StageMode of T's producer): recompute = no axis streams; stream1d =
// x streams (the column buffer keeps the overlap columns for the next patch
// of the row); stream2d = x and y stream (plus a line buffer spanning the
// full width keeps the overlap rows for the next row of patches). Stage
// inputs (tensors produced before the stage) and stage outputs (read after
// the stage) are full-size buffers: they keep everything.
//
// Uniform patches (`uniform`, the "patch" strategy): MCUNetV2 runs every
// patch as the same receptive-field-sized VALID computation, so its MACs and
// patch buffers use the uniform sizes traced back from the grain (sizes that
// cover the in-image need of every patch); the step regions stay the
// in-image ones. When n_patch does not divide the stage output, the last
// row/column of patches takes the remainder (grain + out % n_patch).
// Thread-safe; plain values.
#ifndef MCUTUNE_TUNER_SPACE_PATCH_GEOMETRY_H_
#define MCUTUNE_TUNER_SPACE_PATCH_GEOMETRY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/analysis.h"
#include "graph/graph.h"
#include "tuner/space/plan.h"

namespace mcutune::space {

// A half-open interval [lo, hi) of rows or columns.
struct Span {
  int lo = 0, hi = 0;
  int size() const { return hi > lo ? hi - lo : 0; }
  bool empty() const { return hi <= lo; }
};

// One counted operator that can run in a patch stage.
struct StageOp {
  int op = -1;      // graph operator (CONV_2D, DEPTHWISE_CONV_2D or ADD)
  int pad_op = -1;  // the PAD fused into it, or -1
  graph::OpType type = graph::OpType::kConv2D;
  std::vector<int> inputs;  // activation tensors read (a fused PAD's input)
  int output = -1;
  int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;  // padding before: fused PAD + own SAME
  int in_h = 0, in_w = 0;         // size of inputs[0] (the image bounds)
  int out_h = 0, out_w = 0, out_c = 0;
  int64_t macs_per_pixel = 0;  // per output pixel, all channels
  // The first graph operator of this stage op (its PAD when fused).
  int first_graph_op() const { return pad_op >= 0 ? pad_op : op; }
};

// Which operators of a graph a patch stage may hold.
struct PatchStageInfo {
  // Counted operators from the first one up to the first operator that
  // cannot run per patch (FC, MEAN, RESHAPE, pooling, a non-fusable PAD,
  // dilation, ...), in execution order. ops[i] is counted operator i.
  std::vector<StageOp> ops;
  // Valid split_idx values, ascending (1 <= s <= ops.size()): the operators
  // after the stage exist and every stage output has the spatial size of the
  // stage's main output.
  std::vector<int> splits;
  // Spatial size (H, W) of the stage output for each split (index s - 1).
  std::vector<int> out_h, out_w;
  // graph::ConsumersOf(graph), shared by every ComputePatchGeometry call
  // (recomputed there when its size does not match the graph's tensors).
  std::vector<std::vector<int>> consumers;
  bool IsValidSplit(int split_idx) const;
};

// Never fails: a graph without stage-capable operators has no splits.
PatchStageInfo AnalyzePatchStage(const graph::Graph& graph,
                                 const graph::Analysis& analysis);

// One activation tensor touched by the stage.
struct StageTensor {
  int tensor = -1;
  int producer = -1;  // index into PatchGeometry::ops; -1: made before stage
  bool full = false;  // full-size buffer (stage input or stage output)
  StageMode mode = StageMode::kRecompute;  // non-full tensors only
  int height = 0, width = 0, channels = 0;
  std::vector<Span> need_y, need_x;  // per patch row / column
  std::vector<Span> comp_y, comp_x;
  // Per-patch buffer and stream buffers (non-full tensors; bytes = rows x
  // cols x channels; the line buffer spans the full width).
  int patch_rows = 0, patch_cols = 0;
  int col_rows = 0, col_cols = 0;
  int line_rows = 0;
  int64_t patch_bytes() const;
  int64_t col_bytes() const;
  int64_t line_bytes() const;
};

struct PatchGeometry {
  int n_patch = 0, split_idx = 0;
  bool uniform = false;
  int out_h = 0, out_w = 0;
  std::vector<Span> tile_y, tile_x;
  std::vector<StageOp> ops;          // the stage, execution order
  std::vector<StageMode> modes;      // per stage op (the mode of its output)
  std::vector<int> op_tensor;        // per stage op: index into tensors
  std::vector<StageTensor> tensors;  // producers before consumers
  // Uniform output size of each stage op per patch row / column.
  std::vector<std::vector<int>> uniform_h, uniform_w;
  // PATCH_BASED.md figures along H (reporting): grain = out_h / n_patch,
  // rf1 = RF(1), grain_rf = RF(grain), pad_l = rf1 / 2, pad_r, feat_stride.
  int grain = 0, rf1 = 0, grain_rf = 0, pad_l = 0, pad_r = 0, feat_stride = 0;
  int stage_begin = 0;  // first graph operator of the stage
  int stage_end = 0;    // first graph operator after the stage

  // Output region of stage op `i` for patch (r, c); may be empty.
  Region StepRegion(int i, int r, int c) const;
  // MACs of that step (uniform sizes when `uniform`).
  int64_t StepMacs(int i, int r, int c) const;
  // Sum of StepMacs over every patch and stage op.
  int64_t StageMacs() const;
  // Layer-wise MACs of the stage operators.
  int64_t LayerwiseStageMacs() const;
  int64_t StreamBufferBytes() const;  // sum of col + line buffers
  // The 2-D copies (loads, saves, moves inside a stream buffer) the patch
  // emitter makes per inference: its stream-buffer bookkeeping replayed
  // (codegen/patch_emitter.cc Stream()).
  int64_t StreamCopies() const;
  // Index into tensors of graph tensor t, or -1.
  int TensorIndex(int t) const;
};

// Geometry of one candidate. `modes`: one per stage op (split_idx entries;
// entries of ADD operators are replaced by the mode of the operator before
// them). INVALID_ARGUMENT when split_idx is not a valid split, n_patch < 1 or
// larger than the stage output, or modes has the wrong length.
absl::StatusOr<PatchGeometry> ComputePatchGeometry(const graph::Graph& graph,
                                                   const PatchStageInfo& info,
                                                   int n_patch, int split_idx,
                                                   std::vector<StageMode> modes,
                                                   bool uniform);

// The per-op modes of a strategy: patch -> recompute, stream1d / stream2d ->
// that mode everywhere, hybrid -> candidate.stage_modes.
std::vector<StageMode> ModesOf(const Candidate& candidate);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_PATCH_GEOMETRY_H_
