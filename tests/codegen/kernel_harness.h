// Test harness for the C kernel library: runs one operator's kernel on
// whole tensors or on a region with windowed views, the way generated code
// will, and builds random single-operator graphs for the property tests.
#ifndef MCUTUNE_TESTS_CODEGEN_KERNEL_HARNESS_H_
#define MCUTUNE_TESTS_CODEGEN_KERNEL_HARNESS_H_

#include <cstdint>
#include <random>
#include <vector>

#include "codegen/kernel_params.h"
#include "graph/graph.h"
#include "graph/kernels/quantization.h"

namespace mcutune::codegen::testing {

using Bytes = std::vector<int8_t>;

// Whole-tensor (layer-wise) call of the operator's kernel; inputs[i] holds
// activation input i (constants are inside `p`).
Bytes RunWhole(const OpParams& p, const std::vector<const Bytes*>& inputs);

// In-place depthwise on whole tensors: the input copied into a buffer that
// the output then overwrites. Requires SupportsInplaceDepthwise(p).
Bytes RunInplaceWhole(const OpParams& p, const Bytes& input);

// True for the kinds with a region-aware kernel.
bool IsSpatial(KernelKind kind);

// Input rows [y_lo, y_hi] and columns [x_lo, x_hi] (clipped to the image,
// may be empty) that computing output `r` reads.
struct Span {
  int y_lo, y_hi, x_lo, x_hi;
};
Span InputSpan(const OpParams& p, const mcuk_region& r);

// Region call with windowed views: each input is copied into a window of
// the needed span widened by up to `margin` rows / columns (clipped to the
// image), inside a buffer with a padded row stride and guard bytes; the
// output goes to a window of the region widened by up to `margin`. Returns
// false (with a message) when anything outside the region of the output
// buffer changed; fills *region_out with the region's values (row-major,
// all channels).
struct RegionResult {
  Bytes values;
  bool clean = true;  // nothing outside the region was written
};
RegionResult RunRegion(const OpParams& p,
                       const std::vector<const Bytes*>& inputs,
                       const mcuk_region& r, std::mt19937& rng, int margin,
                       bool inplace = false);

// The slice `r` of a whole NHWC output (h x w x c).
Bytes Slice(const Bytes& whole, const Dims& d, const mcuk_region& r);

// Random single-operator graphs: kind picks the operator type. Deterministic
// for a given rng state. Shapes are kept small (tests run thousands).
graph::Graph RandomOpGraph(KernelKind kind, std::mt19937& rng);
// AVERAGE_POOL_2D / MAX_POOL_2D whose output has one row (H reduced).
graph::Graph RandomOneRowPoolGraph(bool average, std::mt19937& rng);

// Random int8 bytes.
Bytes RandomBytes(size_t n, std::mt19937& rng);

// Runs graph.ops[op] through the reference interpreter on `inputs` (one
// per graph input) and returns every tensor value.
std::vector<Bytes> ReferenceTensors(const graph::Graph& graph,
                                    const std::vector<Bytes>& inputs,
                                    graph::RequantMode mode);

}  // namespace mcutune::codegen::testing

#endif  // MCUTUNE_TESTS_CODEGEN_KERNEL_HARNESS_H_
