// Zoo synthesizer: an Architecture -> an int8 Graph with deterministic,
// realistically quantized weights.
//
// mcutune's search works on the shape of a network (MACs, tensor sizes,
// operator mix), so the zoo networks are built from their architecture alone.
// The weights are random but shaped like a trained, BN-folded, post-training
// quantized model, so that kernels see realistic value distributions and
// bit-exactness checks exercise rounding everywhere:
//
//   for each layer, in execution order:
//     raw float weights (SplitMix64(seed)) ── float pass on calibration
//     inputs ──► per-channel mean/std ──► fold a random "batch norm" (gamma,
//     beta) into weights and bias ──► int8 per-channel symmetric weights,
//     int32 bias (scale in_scale * w_scale) ──► float pass with the
//     dequantized weights ──► output scale/zero point from the 0.1% / 99.9%
//     percentiles (ReLU6: at most 6; min/max + 25% for tensors with few
//     values, e.g. logits) ──► fake-quantize for the next layer
//
// Calibration inputs are the project's LCG inputs (prng.h LcgInput) with seeds
// kCalibrationSeedBase + i, dequantized with the architecture's input_quant.
// Lowering: conv -> CONV_2D (SAME), mb -> [CONV_2D 1x1] DEPTHWISE_CONV_2D
// CONV_2D 1x1 (linear) [ADD], ds -> DEPTHWISE_CONV_2D CONV_2D, res -> CONV_2D
// CONV_2D [CONV_2D 1x1 shortcut] ADD(activation), pool_avg -> AVERAGE_POOL_2D
// (window = whole map, same quantization) + RESHAPE [1, C], pool_mean -> MEAN
// over H, W, fc -> FULLY_CONNECTED (per-tensor weights), softmax -> SOFTMAX
// (output scale 1/256, zero point -128). Tensors are named
// "layers.<i>.<part>", constants "<op output>/weights" and "/bias".
//
// The same (architecture, seed) gives the same Graph bytes on a given
// platform (only IEEE float arithmetic in a fixed order and our own PRNG).
// Thread-safe (no shared state).
#ifndef MCUTUNE_GRAPH_ZOO_SYNTHESIZER_H_
#define MCUTUNE_GRAPH_ZOO_SYNTHESIZER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/zoo/architecture.h"

namespace mcutune::graph::zoo {

inline constexpr int kCalibrationInputs = 8;
inline constexpr uint32_t kCalibrationSeedBase = 1000;

// Returns a validated Graph (ValidateGraph passes). INVALID_ARGUMENT if the
// architecture is invalid (see ComputeStats).
absl::StatusOr<Graph> Synthesize(const Architecture& arch, uint32_t seed);

}  // namespace mcutune::graph::zoo

#endif  // MCUTUNE_GRAPH_ZOO_SYNTHESIZER_H_
