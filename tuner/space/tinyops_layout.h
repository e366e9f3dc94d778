// TinyOps SRAM layout: how one SRAM budget is divided between the DMA
// buffers and the overlays, and how every operator is partitioned to fit.
//
//   SRAM  [ A0 | A1 | B0 | B1 | bias | qmul | qshift | filter overlay ][
//   scratch ]
//          \____ 4 x B ____/  \____ largest operator ___/  \ leftover / \ > B1
//          /
//
//   A0/A1, B0/B1    two ping-pong pairs of tiny input blocks; ADD streams one
//                   input through each pair; a one-input operator reuses B0
//                   to overlay its filter (when it fits one buffer) and B1
//                   for its im2col / accumulator scratch.
//   bias, qmul/qshift  the current operator's bias and per-channel
//                   requantization arrays, sized by the largest operator.
//   filter overlay  whatever the budget leaves, capped at the largest filter
//                   B0 cannot hold: filters that fit are copied once per
//                   operator instead of being streamed by every tiny op.
//   scratch         only for kernels whose scratch exceeds B1 (7x7
//                   depthwise, ...): the largest such scratch.
//
// Sizing (budget-adaptive, TINYOPS.md): B_max = (budget - bias - 2 q -
// scratch) / 4; every operator is partitioned (tinyops_partition.h) into
// the fewest tiny ops whose blocks fit B_max; the largest block over all
// operators becomes B, so the largest tiny operator meets the budget and
// the others fit its buffers. The scratch region is re-sized for B and the
// sizing repeated until stable (scratch only grows, B only shrinks). The
// rest goes to the filter overlay. Every buffer is a multiple of 4 bytes
// (word-aligned DMA and int32 arrays) and sram_bytes() <= budget.
// Thread-safe, no state.
#ifndef MCUTUNE_TUNER_SPACE_TINYOPS_LAYOUT_H_
#define MCUTUNE_TUNER_SPACE_TINYOPS_LAYOUT_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "tuner/space/tinyops_partition.h"

namespace mcutune::space {

inline constexpr int64_t kTinyOpsAlign = 4;

struct TinyOpsLayout {
  int64_t budget_bytes = 0;
  int64_t dma_buffer_bytes = 0;  // B, each of the four
  int64_t bias_buffer_bytes = 0;
  int64_t qparam_buffer_bytes = 0;  // each of qmul, qshift
  int64_t filter_overlay_bytes = 0;
  int64_t scratch_bytes = 0;  // the region after the overlays (may be 0)
  int largest_op = -1;        // the operator whose block set B (-1: none)
  std::vector<OpPartition> partitions;  // indexed by graph operator

  int64_t overlay_region_bytes() const {
    return 4 * dma_buffer_bytes + bias_buffer_bytes + 2 * qparam_buffer_bytes +
           filter_overlay_bytes;
  }
  int64_t sram_bytes() const { return overlay_region_bytes() + scratch_bytes; }
};

// The smallest budget for which ChooseTinyOpsLayout succeeds: one unit
// (row) of every operator in four buffers, plus bias, requantization and
// the scratch that exceeds such a buffer.
int64_t MinTinyOpsBudget(const graph::Graph& graph);

// Sizes the buffers and partitions every operator for `budget_bytes`.
// INVALID_ARGUMENT (naming the minimum) when budget < MinTinyOpsBudget.
absl::StatusOr<TinyOpsLayout> ChooseTinyOpsLayout(const graph::Graph& graph,
                                                  int64_t budget_bytes);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_TINYOPS_LAYOUT_H_
