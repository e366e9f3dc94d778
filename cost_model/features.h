// Features: what the cost model knows about one (candidate, board kind).
//
//   Plan (steps + buffers) + Graph + BoardSpec
//        │ FeatureExtractor::Extract
//        ▼
//   FeatureVector {values[i] of FeatureNames()[i]}  ──► CostModel
//   (cost_model.h)
//
// Everything is counted from the schedule as the code generator runs it, not
// from the planner's MAC totals: a step's work is its output region times the
// operator's work per output pixel (the "patch" strategy's uniform MACs are
// what MCUNetV2 would run; our kernels compute only the in-image region).
// The kernel library (codegen/kernels) has distinct loops whose cost per MAC
// differs, so MACs are split by the loop that executes them:
//
//   name                 unit          what
//   one                  1             constant (harness/model-call overhead)
//   macs.conv1x1         MACs          CONV_2D 1x1 (pointwise, no im2col)
//   macs.conv1x1_narrow  MACs          ...those with < 32 input channels
//                                      (short dot products, no paired loop)
//   macs.conv3x3         MACs          CONV_2D 3x3 (im2col + two-pixel block)
//   macs.conv5x5, macs.conv7x7, macs.convkxk (other sizes, e.g. 10x4)
//   macs.dw3_s1, macs.dw3_s2, macs.dw5_s1, macs.dw5_s2, macs.dw7_s1,
//   macs.dw7_s2, macs.dwk (other k / stride / dilation)
//                        MACs          DEPTHWISE_CONV_2D, out of place,
//                                      multiplier 1, by kernel size and stride
//   macs.dw_multiplier   MACs          out-of-place depthwise with a depth
//                                      multiplier other than 1 (the scalar
//                                      per-output-channel loop)
//   macs.dw_border       MACs          out-of-place depthwise MACs of output
//                                      pixels whose window crosses the image
//                                      border (general, checked tap loop)
//   macs.dw_inplace      MACs          in-place depthwise (channel-by-
//                                      channel kernel; interior outputs run
//                                      unchecked, 3x3 unrolled)
//   macs.dw_inplace_border MACs        ...those of output pixels whose
//                                      window crosses the image border
//                                      (its checked tap loop)
//   macs.dw_inplace_generic MACs       ...interior ones of windows other
//                                      than 3x3 with dilation 1 (the
//                                      general loop, not the unrolled one)
//   macs.dw_scalar       MACs          dw_inplace + dw_multiplier (both run
//                                      a one-channel scalar tap loop)
//   macs.fc              MACs          FULLY_CONNECTED
//   elems.add            elements      ADD outputs
//   elems.pool           elem x window AVERAGE/MAX_POOL_2D
//   elems.mean           elements      MEAN inputs
//   elems.move           bytes         PAD, RESHAPE (not aliased), TRANSPOSE,
//                                      CONCATENATION, SOFTMAX
//   outputs.conv1x1, outputs.convkxk, outputs.dw, outputs.fc
//                        elements      requantised outputs (one requant each)
//   pixels.conv1x1, pixels.convkxk, pixels.dw
//                        pixels        output pixels (per-pixel loop set-up)
//   macs.conv            MACs          every CONV_2D MAC (1x1 and k x k run
//                                      the same 4-wide dot products)
//   macs.conv_generic    MACs          sum of the k x k conv classes (one
//                                      kernel loop runs them all)
//   macs.dw3             MACs          dw3_s1 + dw3_s2 (unrolled 3x3 path)
//   macs.dw_large        MACs          the other out-of-place multiplier-1
//                                      depthwise classes (generic 4-channel
//                                      tap loop)
//   macs.dot_tail        MACs          conv MACs in the scalar remainder of
//                                      the 4-wide dot products: outputs x
//                                      (kh * kw * cin mod 4)
//   im2col.bytes         bytes         k x k conv receptive fields gathered
//   im2col.calls         calls         gather memcpy/memset calls (per pixel
//                                      and filter row; per tap at the
//                                      left/right image border)
//   inplace.window_bytes bytes         in-place depthwise: input window copied
//                                      to the channel temporary
//   rows                 rows          output rows over all kernel calls
//   kernel_calls         calls         kernel invocations (steps)
//   stage.calls          calls         ...of them in the patch stage
//   copy.bytes           bytes         stream-buffer loads/saves + DMA copies
//   copy.calls           calls         copy calls (stream loads/saves + DMA)
//   copy.rows            rows          rows moved by stream 2-D copies
//   macs.total           MACs          executed MACs (sum of the classes)
//   macs.planned         MACs          Metrics::macs_total (the planner's
//                                      figure: the MAC-only baseline's input)
//   macs.recomputed      MACs          executed MACs beyond the layer-wise ones
//   ext.traffic_bytes    bytes         Metrics::ext_traffic_bytes
//   ext.wait_bytes       bytes         external bytes moved x the wait
//                                      states of that memory (board file);
//                                      for real boards: QEMU emulates no
//                                      wait states, so no signal there
//   dma.transfers        transfers     Metrics::dma_transfers
//   sram.peak_bytes      bytes         MemoryBreakdown::peak_sram_bytes
//   flash.bytes          bytes         Metrics::flash_bytes (internal flash)
//
// The linear model uses a subset (DefaultLinearFeatures(), cost_model.h);
// the rest are kept for analysis, other model kinds and real boards.
// The feature set is versioned (kFeatureSetVersion): stored samples carry the
// version and are re-extracted from their plans when it changes.
// Thread-safe: a FeatureExtractor is immutable after construction.
#ifndef MCUTUNE_COST_MODEL_FEATURES_H_
#define MCUTUNE_COST_MODEL_FEATURES_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "tuner/space/board.h"
#include "tuner/space/plan.h"

namespace mcutune::cost_model {

inline constexpr int kFeatureSetVersion = 7;

// Every feature name, in the order of FeatureVector::values.
const std::vector<std::string>& FeatureNames();
// Index of `name` in FeatureNames(), or -1.
int FeatureIndex(std::string_view name);

struct FeatureVector {
  std::vector<double> values;  // FeatureNames().size() entries

  FeatureVector();
  double Get(std::string_view name) const;        // 0 for unknown names
  void Set(std::string_view name, double value);  // ignores unknown names
};

// {"name": value, ...} with the non-zero features, compact.
std::string FeaturesToJson(const FeatureVector& features);
// Inverse of FeaturesToJson; absent names are 0. INVALID_ARGUMENT for
// malformed JSON, unknown names or non-finite / negative values.
absl::StatusOr<FeatureVector> FeaturesFromJson(std::string_view json);

// Extracts features from plans of one graph. Construction analyses the graph
// once (operator classes, padding, patch-stage info), so extracting features
// of thousands of candidates costs little more than planning them.
class FeatureExtractor {
 public:
  // `graph` must be validated and outlive the extractor.
  FeatureExtractor(const graph::Graph& graph, const space::BoardSpec& board);
  ~FeatureExtractor();
  FeatureExtractor(const FeatureExtractor&) = delete;
  FeatureExtractor& operator=(const FeatureExtractor&) = delete;

  // Needs a full plan (Constraints::keep_plan_details): FAILED_PRECONDITION
  // when its steps were dropped; INVALID_ARGUMENT when a step names an
  // operator or buffer the graph / plan does not have.
  absl::StatusOr<FeatureVector> Extract(const space::Plan& plan) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The most instructions one unit of a feature can plausibly cost in the
// kernel library (about 5-10x what its loops spend): 40 per MAC (the scalar
// in-place depthwise loop spends ~20), 400 per requantised output or
// element, 2000 per pixel or row, 20 per byte moved, 500 per memcpy call,
// 5000 per kernel call; +infinity for totals and memory figures. Tight
// bounds (about 1.2x the loop) where the zoo cannot identify a cost on its
// own: 1.5 per macs.conv_generic MAC (the generic loop's extra over
// macs.conv), 1 per im2col byte, 100 per im2col call (docs/cost_model.md).
double FeatureCostCeiling(std::string_view name);

// One-shot convenience: FeatureExtractor(graph, board).Extract(plan).
absl::StatusOr<FeatureVector> ExtractFeatures(const space::Plan& plan,
                                              const graph::Graph& graph,
                                              const space::BoardSpec& board);

}  // namespace mcutune::cost_model

#endif  // MCUTUNE_COST_MODEL_FEATURES_H_
