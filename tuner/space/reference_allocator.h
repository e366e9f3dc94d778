// The reference allocator of PATCH_BASED.md, implemented exactly as
// specified so mcutune can quote numbers comparable with published ones.
//
// Each tensor is a rectangle [begin, end) in operator positions (first
// operator that touches it .. last consumer + 1) with a size in bytes.
// Rectangles are sorted by size, descending (stable: ties keep their input
// order), and each is placed first-fit at the lowest address where it does
// not overlap any already placed rectangle that overlaps it in time.
// peak = max(offset + size).
//
// Layer-wise rectangles (LayerwiseReferenceRects): one per activation tensor
// in the given execution order; every int8 DEPTHWISE_CONV_2D is in place: its
// output has no rectangle of its own, it extends the rectangle of its input
// (size max(input, output), end = the output's last consumer + 1); graph
// outputs end one position after their producer. Reference value: the
// synthesized mcunet-vww1 in model order gives 89,600 B.
// Patch-mode rectangles are built by the patch planner with the same
// ReferenceFirstFit.
#ifndef MCUTUNE_TUNER_SPACE_REFERENCE_ALLOCATOR_H_
#define MCUTUNE_TUNER_SPACE_REFERENCE_ALLOCATOR_H_

#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace mcutune::space {

struct ReferenceRect {
  int64_t bytes = 0;
  int begin = 0;  // inclusive
  int end = 0;    // exclusive
  int tensor = -1;  // informative
};

struct ReferenceResult {
  int64_t peak_bytes = 0;
  std::vector<int64_t> offsets;  // one per input rectangle
};

ReferenceResult ReferenceFirstFit(const std::vector<ReferenceRect>& rects);

// `order`: a topological order of graph.ops (empty = model order).
std::vector<ReferenceRect> LayerwiseReferenceRects(
    const graph::Graph& graph, const std::vector<int>& order = {});

// ReferenceFirstFit(LayerwiseReferenceRects(graph, order)).peak_bytes.
int64_t ReferenceLayerwiseArena(const graph::Graph& graph,
                                const std::vector<int>& order = {});

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_REFERENCE_ALLOCATOR_H_
