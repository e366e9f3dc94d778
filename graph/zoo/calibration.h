// Calibration: from float activations to int8 quantization parameters.
//
// The synthesizer (synthesizer.h) runs each layer in float on a few
// calibration inputs. This file holds the statistics it needs: per-channel
// mean / standard deviation (to fold a random batch norm into the weights)
// and the choice of an output scale and zero point, the way post-training
// quantization does it:
//   - linear outputs: [min(0, p0.1%), max(0, p99.9%)] mapped onto [-128, 127]
//     (asymmetric, zero exactly representable);
//   - ReLU / ReLU6 outputs: [0, p99.9%] (ReLU6: at most 6), zero point -128;
//   - tensors with few values (logits of a small classifier): min / max
//     plus 25% margin, as percentiles of a handful of values predict
//     nothing about unseen inputs.
// After choosing, the samples are fake-quantized in place so the next layer
// calibrates on exactly the values the int8 model will see.
#ifndef MCUTUNE_GRAPH_ZOO_CALIBRATION_H_
#define MCUTUNE_GRAPH_ZOO_CALIBRATION_H_

#include <vector>

#include "graph/graph.h"
#include "graph/zoo/float_kernels.h"

namespace mcutune::graph::zoo {

struct ChannelStats {
  std::vector<double> mean;
  std::vector<double> stddev;
};

// Per-channel statistics over all positions of all samples (non-empty, all
// with the same channel count).
ChannelStats ChannelStatsOf(const std::vector<FloatMap>& samples);

float ApplyActivation(Activation act, float x);

// Applies `act` to the samples, picks the per-tensor output quantization and
// fake-quantizes the samples with it.
Quantization CalibrateActivation(std::vector<FloatMap>* samples,
                                 Activation act);

// x -> (clamp(round(x / s) + zp, -128, 127) - zp) * s, in place.
void FakeQuantize(std::vector<FloatMap>* samples, const Quantization& q);

}  // namespace mcutune::graph::zoo

#endif  // MCUTUNE_GRAPH_ZOO_CALIBRATION_H_
