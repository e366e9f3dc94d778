// TinyOps SRAM layout.
// - Collect per operator: geometry, bias / requantization sizes, the block
//   of one unit (the smallest buffer it can run with) and its scratch.
// - Iterate: B_max from the budget minus the fixed buffers and the scratch
//   region; partition every operator against B_max; B = the largest block;
//   re-size the scratch region for B; stop when it no longer grows.
// - The filter overlay takes the aligned leftover, capped at the largest
//   filter the spare buffer B0 cannot hold (or any filter of an operator
//   without a spare pair).
#include "tuner/space/tinyops_layout.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mcutune::space {
namespace {

using graph::Graph;

int64_t AlignUp(int64_t x) {
  return (x + kTinyOpsAlign - 1) / kTinyOpsAlign * kTinyOpsAlign;
}
int64_t AlignDown(int64_t x) { return x / kTinyOpsAlign * kTinyOpsAlign; }

// Per-operator needs shared by MinTinyOpsBudget and ChooseTinyOpsLayout.
struct Needs {
  std::vector<OpGeometry> geos;
  int64_t bias = 0, qparam = 0;  // aligned buffer sizes
  int64_t min_buffer = 0;        // aligned: one unit of every operator
};

Needs CollectNeeds(const Graph& graph) {
  Needs n;
  for (int op = 0; op < static_cast<int>(graph.ops.size()); ++op) {
    n.geos.push_back(DescribeTinyOp(graph, op));
    const OpGeometry& geo = n.geos.back();
    n.bias = std::max(n.bias, AlignUp(geo.bias_bytes));
    n.qparam = std::max(n.qparam, AlignUp(geo.qparam_bytes));
    n.min_buffer = std::max(n.min_buffer, AlignUp(MinTinyBufferBytes(geo)));
  }
  return n;
}

// Scratch that does not fit the spare buffer B1 of size `b`.
int64_t ScratchBeyond(const std::vector<OpGeometry>& geos, int64_t b) {
  int64_t need = 0;
  for (const OpGeometry& geo : geos) {
    if (geo.inputs.size() == 1 && geo.scratch_bytes > b) {
      need = std::max(need, AlignUp(geo.scratch_bytes));
    }
  }
  return need;
}

}  // namespace

int64_t MinTinyOpsBudget(const Graph& graph) {
  const Needs n = CollectNeeds(graph);
  return n.bias + 2 * n.qparam + 4 * n.min_buffer +
         ScratchBeyond(n.geos, n.min_buffer);
}

absl::StatusOr<TinyOpsLayout> ChooseTinyOpsLayout(const Graph& graph,
                                                  int64_t budget_bytes) {
  const Needs needs = CollectNeeds(graph);
  const int64_t min_budget = MinTinyOpsBudget(graph);
  if (budget_bytes < min_budget) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tinyops SRAM budget ", budget_bytes, " B is below the ", min_budget,
        " B that one row of the largest operator needs in four DMA buffers "
        "plus the bias, requantization and scratch buffers"));
  }
  TinyOpsLayout layout;
  layout.budget_bytes = budget_bytes;
  layout.bias_buffer_bytes = needs.bias;
  layout.qparam_buffer_bytes = needs.qparam;
  const int64_t fixed = needs.bias + 2 * needs.qparam;
  // The scratch region only grows and B only shrinks, so this settles
  // within a few rounds (the minimum budget guarantees b_max >= min_buffer).
  for (int64_t scratch = 0;;) {
    const int64_t b_max = AlignDown((budget_bytes - fixed - scratch) / 4);
    layout.partitions.clear();
    layout.largest_op = -1;
    int64_t need = 0;
    for (const OpGeometry& geo : needs.geos) {
      absl::StatusOr<OpPartition> part = PartitionTinyOp(geo, b_max);
      if (!part.ok()) return absl::InternalError(part.status().message());
      if (part->max_block_bytes > need) {
        need = part->max_block_bytes;
        layout.largest_op = geo.op;
      }
      layout.partitions.push_back(*std::move(part));
    }
    layout.dma_buffer_bytes = AlignUp(need);
    const int64_t beyond = ScratchBeyond(needs.geos, layout.dma_buffer_bytes);
    if (beyond <= scratch) {
      layout.scratch_bytes = scratch;
      break;
    }
    scratch = beyond;
  }
  int64_t useful = 0;  // the largest filter B0 cannot hold
  for (const OpGeometry& geo : needs.geos) {
    if (geo.filter_bytes > layout.dma_buffer_bytes || geo.inputs.size() != 1) {
      useful = std::max(useful, geo.filter_bytes);
    }
  }
  const int64_t leftover =
      budget_bytes - fixed - layout.scratch_bytes - 4 * layout.dma_buffer_bytes;
  layout.filter_overlay_bytes = std::min(AlignDown(leftover), AlignUp(useful));
  return layout;
}

}  // namespace mcutune::space
