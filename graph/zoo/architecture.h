// Architecture descriptions of the zoo networks (configs/models/*.json).
//
// mcutune tunes deployments of real-shaped networks without needing their
// trained weights: an Architecture says what the layers are, the synthesizer
// (synthesizer.h) turns it into an int8 Graph with deterministic weights.
//
//   configs/models/NAME.json ──LoadArchitecture──► Architecture
//        ──Synthesize(seed)──► Graph ──WriteTflite──► NAME.tflite
//
// File format (a JSON object):
//   "name"         string, [a-z0-9._-]+, equal to the file's stem
//   "description"  string (optional)
//   "input"        [height, width, channels]
//   "activation"   "relu6" (default) or "relu": the fused activation of every
//                  layer that has one
//   "input_quant"  [scale, zero_point] of the int8 input (optional)
//   "layers"       list of layer strings, executed in order
// A layer string is a kind followed by '_'-separated parameters, e.g.
// "mb_e6_k3_s2_c24_n2":
//   conv_k3_s2_c16     k x k convolution (k may be "10x4"), activation after
//                      it; "_lin" drops the activation
//   mb_e4_k5_s2_c24    inverted residual: 1x1 expand (omitted when e is 1),
//                      k x k depthwise, linear 1x1 projection, residual ADD
//                      when stride 1 and channels are unchanged; "m<N>" sets
//                      the middle width explicitly
//   ds_k3_s1_c64       depthwise-separable: k x k depthwise + act, 1x1 + act
//   res_k3_s2_c32      ResNet basic block: conv+act, conv, shortcut (identity
//                      or 1x1 stride-s convolution), ADD with the activation
//   pool_avg|pool_mean global average pooling (AVERAGE_POOL_2D or MEAN)
//   fc_c1000           fully connected (needs a pooled / flat input)
//   softmax            only as the last layer
// "_n<N>" repeats a layer N times; only the first copy keeps the stride.
// Spatial padding is TFLite SAME: output = ceil(input / stride), the total
// padding split with the smaller half first. For odd kernels at stride 1 that
// is PyTorch's symmetric k/2 padding; at stride 2 on an even input TFLite pads
// (k/2 - 1) before and k/2 after where PyTorch pads k/2 on both sides. The
// output sizes, and so the MACs, are the same (they reproduce the MCUNet-zoo
// figures); only which border pixels the windows see differs, which does not
// matter for synthesized weights. No PAD operators are inserted.
#ifndef MCUTUNE_GRAPH_ZOO_ARCHITECTURE_H_
#define MCUTUNE_GRAPH_ZOO_ARCHITECTURE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"

namespace mcutune::graph::zoo {

enum class LayerKind {
  kConv,
  kInvertedResidual,
  kSeparable,
  kBasicResidual,
  kGlobalPool,
  kFullyConnected,
  kSoftmax,
};

enum class PoolKind { kAverage, kMean };

// One layer after "_n" expansion. Fields not meaningful for the kind keep
// their defaults.
struct LayerSpec {
  LayerKind kind = LayerKind::kConv;
  std::string text;  // the string as written, for messages
  int kernel_h = 1;
  int kernel_w = 1;
  int stride = 1;
  int channels = 0;  // output channels (classes for fc)
  double expand = 1.0;
  int mid_channels = 0;  // explicit middle width of "mb" (0: from expand)
  bool linear = false;   // conv without activation
  PoolKind pool = PoolKind::kAverage;
};

struct Architecture {
  std::string name;
  std::string description;
  int height = 0;
  int width = 0;
  int channels = 0;
  Activation activation = Activation::kRelu6;
  float input_scale = 1.0f / 127.5f;
  int input_zero_point = -1;
  std::vector<LayerSpec> layers;
};

// Figures derived from the shapes alone (no weights needed).
struct ArchitectureStats {
  int64_t macs = 0;    // conv h*w*cout*cin*kh*kw, dw h*w*c*kh*kw, fc in*out
  int64_t params = 0;  // weights + biases
  std::vector<int32_t> output_shape;
};

// Parses and validates a description (INVALID_ARGUMENT naming the field or
// the layer index and string). Shapes are checked too: every layer must have
// a non-empty input, fc needs a pooled input, softmax comes last.
absl::StatusOr<Architecture> ParseArchitecture(std::string_view json_text);

// Reads `path` (NOT_FOUND if missing) and parses it; also checks that "name"
// equals the file's stem.
absl::StatusOr<Architecture> LoadArchitecture(const std::string& path);

// Statistics of a valid architecture (INVALID_ARGUMENT if it is not).
absl::StatusOr<ArchitectureStats> ComputeStats(const Architecture& arch);

// The middle width of an inverted-residual layer with input `in_channels`.
int MiddleChannels(const LayerSpec& layer, int in_channels);
// Whether that layer has its 1x1 expansion convolution (not when e is 1).
bool HasExpansion(const LayerSpec& layer, int in_channels);

// TFLite SAME output size.
inline int SameOutputSize(int in, int stride) {
  return (in + stride - 1) / stride;
}

}  // namespace mcutune::graph::zoo

#endif  // MCUTUNE_GRAPH_ZOO_ARCHITECTURE_H_
