// TinyOps partitioning: how one operator is split along H into "tiny
// operators" whose input blocks fit a fast SRAM DMA buffer (TINYOPS.md).
//
// Tensors are NHWC with N = 1, so a block of rows is one contiguous byte
// range that a single DMA transfer can copy. An operator is partitioned over
// "units" and every tiny operator covers a contiguous range of them:
//
//   kRows    units = output rows. Tiny op [y0, y1) needs input rows
//            [y0*s - pad_top, (y1-1)*s - pad_top + k_eff) clipped to the
//            tensor (k_eff = (k-1)*dilation + 1). Consecutive blocks overlap
//            by k_eff - s rows (the halo), which are DMA'd again, never
//            recomputed. CONV_2D, DEPTHWISE_CONV_2D, pooling, PAD (s = k = 1,
//            pad_top from the paddings), ADD and SOFTMAX (1:1, two inputs for
//            ADD, each in its own ping-pong pair).
//   kReduce  units = input rows of a reduction over H (MEAN over H, pooling
//            whose output has one row): each tiny op folds its rows into an
//            accumulator (kernel scratch); the last one writes the output.
//   kWhole   one tiny op, the whole input in one block (FULLY_CONNECTED).
//   kDirect  no DMA: the kernel reads and writes external memory itself
//            (TRANSPOSE, CONCATENATION, batch > 1, anything unpartitionable).
//   kAlias   RESHAPE that only reinterprets its input: no data moves.
//
//   output rows     ┌──┬──┬──┬──┐   4 tiny ops of r = 2 rows (3x3, s = 1)
//   input blocks   [───][───]      each block = r + 2 rows; adjacent blocks
//                     [───][───]   share 2 halo rows, re-read from SDRAM
//
// Choosing the rows: the largest r whose every block fits the buffer, then
// balanced (n = ceil(U / r), r = ceil(U / n)) so the same number of kernel
// calls uses the smallest blocks. Thread-safe, no state.
#ifndef MCUTUNE_TUNER_SPACE_TINYOPS_PARTITION_H_
#define MCUTUNE_TUNER_SPACE_TINYOPS_PARTITION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"

namespace mcutune::space {

enum class TinyMode { kRows, kReduce, kWhole, kDirect, kAlias };
const char* TinyModeName(TinyMode mode);  // "rows", "reduce", ...

// Rows [begin, end) of a tensor (or units of a partition).
struct RowSpan {
  int begin = 0;
  int end = 0;
  int size() const { return end > begin ? end - begin : 0; }
};

// An activation input streamed through a DMA buffer pair.
struct TinyInput {
  int tensor = -1;
  int rows = 1;           // H of an N=1 NHWC tensor, else 1
  int64_t row_bytes = 0;  // bytes of one row (W * C for NHWC)
};

// What an operator needs, independent of any buffer size.
struct OpGeometry {
  int op = -1;
  TinyMode mode = TinyMode::kDirect;
  std::vector<TinyInput> inputs;  // DMA'd inputs (kRows/kReduce/kWhole)
  int out_rows = 1;
  int out_width = 1;  // W of the output (for Regions), 1 if not NHWC
  int64_t out_row_bytes = 0;
  // kRows row map, the same for every input.
  int stride = 1, kernel = 1, pad_top = 0;
  RowSpan reduce_span;  // kReduce: the input rows folded
  int units = 1;        // rows (kRows), input rows (kReduce) or 1
  // Kernel scratch per call (im2col, accumulators), from KernelScratchBytes.
  int64_t scratch_bytes = 0;
  // Constant operands: filter (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED),
  // bias, and the per-channel requantization arrays CMSIS-NN convolutions
  // take (multiplier and shift, int32 per output channel; 0 for others).
  int filter_tensor = -1, bias_tensor = -1;
  int64_t filter_bytes = 0, bias_bytes = 0, qparam_bytes = 0;
};

// One tiny operator of a partition.
struct TinyOp {
  RowSpan units;            // the units it covers
  RowSpan out;              // output rows it completes (empty: partial sum)
  std::vector<RowSpan> in;  // rows DMA'd per input (empty span: no copy)
};

struct OpPartition {
  OpGeometry geometry;
  int units_per_tiny = 0;    // balanced rows per tiny op (the last may be less)
  std::vector<TinyOp> tiny;  // kDirect / kAlias: one entry, no inputs
  int64_t max_block_bytes = 0;  // largest single DMA block
  int64_t dma_in_bytes = 0;     // all input blocks (halo re-reads included)
  // dma_in_bytes minus the distinct input rows copied: the halo re-reads.
  int64_t halo_bytes = 0;
};

// The geometry of operator `op` of a validated graph. `reshape_aliases`:
// whether a RESHAPE may alias its input (see RunsInPlace).
OpGeometry DescribeTinyOp(const graph::Graph& graph, int op,
                          bool reshape_aliases = true);

// Input rows each DMA'd input needs for `units` of `geometry`.
std::vector<RowSpan> BlockRows(const OpGeometry& geometry, RowSpan units);

// The smallest DMA buffer for which the operator has a partition: the
// largest block of a single unit. 0 for kDirect / kAlias.
int64_t MinTinyBufferBytes(const OpGeometry& geometry);

// Partitions into the fewest tiny ops whose blocks fit `buffer_bytes`
// (balanced, see above). RESOURCE_EXHAUSTED if even one unit does not fit.
absl::StatusOr<OpPartition> PartitionTinyOp(const OpGeometry& geometry,
                                            int64_t buffer_bytes);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_TINYOPS_PARTITION_H_
