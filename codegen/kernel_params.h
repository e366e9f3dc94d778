// Parameters of the C kernel library (codegen/kernels/mcu_kernels.h) for one
// graph operator: the single source of truth for the values the emitter
// prints as static const initialisers and the tests pass to the kernels.
//
//   Graph + op index + RequantMode ──MakeOpParams──► OpParams
//       kind + the mcuk_* struct of that kind (pointers into the arrays
//       below) + the constant arrays (filter, folded bias, per-channel
//       scales / multipliers / shifts, softmax table)
//
// Pointwise CONV_2D filters whose shape and values allow it come out in the
// channel-paired layout (conv.filter_layout == MCUK_FILTER_1X1_PAIRED, same
// byte count, bias[c1] rewritten; see mcu_kernels.h), every other filter as
// the graph stores it.
//
// Every value is derived with the reference interpreter's own helpers
// (graph/kernels/quantization.h: MakeChannelRequant, QuantizeMultiplier,
// ComputeActivationRange) and padding rules (graph/op_shape_checks.h), so a
// kernel call with these parameters is bit-exact with graph/kernels in the
// same RequantMode.
//
// OpParams is move-only: its mcuk_* structs point into its own vectors,
// which moves preserve. Thread-safe (pure functions).
#ifndef MCUTUNE_CODEGEN_KERNEL_PARAMS_H_
#define MCUTUNE_CODEGEN_KERNEL_PARAMS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/kernels/mcu_kernels.h"
#include "graph/graph.h"
#include "graph/kernels/quantization.h"

namespace mcutune::codegen {

enum class KernelKind {
  kConv2D,           // mcuk_conv2d (conv)
  kDepthwiseConv2D,  // mcuk_depthwise_conv2d[_inplace] (conv)
  kFullyConnected,   // mcuk_fully_connected (fc)
  kAdd,              // mcuk_add (add)
  kAveragePool,      // mcuk_avg_pool (pool)
  kMaxPool,          // mcuk_max_pool (pool)
  kMean,             // mcuk_mean_hw (mean)
  kPad,              // mcuk_pad (pad)
  kSoftmax,          // mcuk_softmax (softmax)
  kReshape,          // no kernel: bytes unchanged (alias or mcuk_copy_2d)
  kTranspose,        // mcuk_permute (permute)
  kConcatenation,    // mcuk_copy_2d / mcuk_rescale_2d per input (concat)
};
const char* KernelKindName(KernelKind kind);

// The (H, W, C) view the kernels take of an activation: NHWC with N == 1 as
// is, any other shape as 1 x 1 x elements.
struct Dims {
  int h = 1, w = 1, c = 1;
  int64_t elements() const { return int64_t{h} * w * c; }
};
Dims ActivationDims(const graph::Tensor& tensor);

// One input of a concatenation: `outer` rows of `slab` elements copied into
// output rows of `row` elements at column `offset`.
struct ConcatPart {
  int64_t slab = 0;
  int64_t offset = 0;
  bool rescale = false;  // requantize with `rescale_params`, else copy
  mcuk_rescale_params rescale_params{};
};

struct OpParams {
  OpParams() = default;
  OpParams(OpParams&&) = default;
  OpParams& operator=(OpParams&&) = default;
  OpParams(const OpParams&) = delete;
  OpParams& operator=(const OpParams&) = delete;

  KernelKind kind = KernelKind::kReshape;
  graph::RequantMode mode = graph::RequantMode::kSingleRounding;
  Dims in, out;  // input 0 and the output

  // The one struct of `kind` (see KernelKind) is filled; pointers refer to
  // the arrays below.
  mcuk_conv_params conv{};
  mcuk_fc_params fc{};
  mcuk_add_params add{};
  mcuk_pool_params pool{};
  mcuk_mean_params mean{};
  mcuk_pad_params pad{};
  mcuk_softmax_params softmax{};
  mcuk_permute_params permute{};
  int64_t concat_outer = 0, concat_row = 0;  // kConcatenation
  std::vector<ConcatPart> concat;
  int64_t bytes = 0;  // kReshape: bytes to copy (0 when aliased)

  // Constant arrays.
  std::vector<int8_t> weights;      // conv OHWI / depthwise HWC / fc [u][d]
  std::vector<int32_t> bias;        // zero-point terms folded in
  std::vector<float> scale;         // per channel, single mode
  std::vector<int32_t> multiplier;  // per channel, double mode
  std::vector<int32_t> shift;       // per channel, double mode
  std::vector<float> exp_table;     // softmax, 256 entries
};

// Parameters of graph.ops[op_index] in `mode`. The graph must have passed
// ValidateGraph. INVALID_ARGUMENT for operands the reference interpreter
// rejects too; UNIMPLEMENTED for valid forms the kernel library does not
// cover (batch > 1 spatial operators, MEAN over axes other than {1, 2} of a
// 4-D tensor, broadcasting ADD, PAD of the batch axis, rank > 6 transpose).
absl::StatusOr<OpParams> MakeOpParams(const graph::Graph& graph, int op_index,
                                      graph::RequantMode mode);

// Scratch bytes a whole-tensor call of the operator's kernel needs (conv:
// im2col columns, or a 1x1 block's widened input pixels; everything else
// 0). The in-place depthwise temporary is
// InplaceDepthwiseTempBytes(window).
int64_t ScratchBytes(const OpParams& params);
inline int64_t InplaceDepthwiseTempBytes(int window_h, int window_w) {
  return int64_t{window_h} * window_w;
}

// True when the depthwise operator may run in place (in_c == out_c).
bool SupportsInplaceDepthwise(const OpParams& params);

}  // namespace mcutune::codegen

#endif  // MCUTUNE_CODEGEN_KERNEL_PARAMS_H_
