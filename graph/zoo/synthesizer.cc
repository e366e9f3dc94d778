// Zoo synthesizer (algorithm summarised in synthesizer.h).
//
// - `Act` pairs a graph tensor with its dequantized calibration values; every
//   Emit* function appends one operator and returns its output Act, so the
//   float simulation always runs on exactly what the int8 graph would see.
// - Random numbers are drawn in a fixed order (weights in TFLite layout, then
//   per-channel gamma/beta), so the seed fully determines the result.
#include "graph/zoo/synthesizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/zoo/calibration.h"
#include "graph/zoo/float_kernels.h"
#include "graph/zoo/prng.h"

namespace mcutune::graph::zoo {
namespace {

struct Act {
  int tensor = -1;
  std::vector<FloatMap> samples;
};

template <typename T>
std::vector<uint8_t> Bytes(const std::vector<T>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  if (!v.empty())
    std::memcpy(out.data(), v.data(), out.size());  // little-endian host
  return out;
}

class Synthesizer {
 public:
  Synthesizer(const Architecture& arch, uint32_t seed)
      : arch_(arch),
        rng_(0x6d637574756e65ULL ^ (uint64_t{seed} << 17) ^ seed) {}

  absl::StatusOr<Graph> Build();

 private:
  int AddTensor(const std::string& name, DataType type,
                std::vector<int32_t> shape, Quantization quant);
  int AddConstant(const std::string& name, DataType type,
                  std::vector<int32_t> shape, Quantization quant,
                  std::vector<uint8_t> bytes);
  void AddOp(OpType type, std::vector<int> inputs, int output,
             OpOptions options = {});
  const Tensor& T(const Act& a) const { return g_.tensors[a.tensor]; }

  Act EmitInput();
  Act EmitConv(const Act& in, const std::string& name, int cout, int kh, int kw,
               int stride, bool depthwise, Activation act);
  Act EmitAdd(const Act& a, const Act& b, const std::string& name,
              Activation act);
  Act EmitPool(const Act& in, const std::string& name, PoolKind kind);
  Act EmitDense(const Act& in, const std::string& name, int units);
  Act EmitSoftmax(const Act& in, const std::string& name);
  Act EmitLayer(const Act& in, const LayerSpec& l, const std::string& name);

  const Architecture& arch_;
  SplitMix64 rng_;
  Graph g_;
};

int Synthesizer::AddTensor(const std::string& name, DataType type,
                           std::vector<int32_t> shape, Quantization quant) {
  Tensor t;
  t.name = name;
  t.type = type;
  t.shape = std::move(shape);
  t.quant = std::move(quant);
  g_.tensors.push_back(std::move(t));
  return static_cast<int>(g_.tensors.size()) - 1;
}

int Synthesizer::AddConstant(const std::string& name, DataType type,
                             std::vector<int32_t> shape, Quantization quant,
                             std::vector<uint8_t> bytes) {
  const int t = AddTensor(name, type, std::move(shape), std::move(quant));
  g_.buffers.push_back(std::move(bytes));
  g_.tensors[t].buffer = static_cast<int>(g_.buffers.size()) - 1;
  return t;
}

void Synthesizer::AddOp(OpType type, std::vector<int> inputs, int output,
                        OpOptions options) {
  Operator op;
  op.type = type;
  op.inputs = std::move(inputs);
  op.outputs = {output};
  op.options = options;
  g_.ops.push_back(std::move(op));
}

Act Synthesizer::EmitInput() {
  Quantization q;
  q.scale = {arch_.input_scale};
  q.zero_point = {arch_.input_zero_point};
  Act a;
  a.tensor = AddTensor("input", DataType::kInt8,
                       {1, arch_.height, arch_.width, arch_.channels}, q);
  for (int i = 0; i < kCalibrationInputs; ++i) {
    LcgInput gen(kCalibrationSeedBase + i);
    FloatMap m{arch_.height, arch_.width, arch_.channels, {}};
    m.v.resize(static_cast<size_t>(m.h) * m.w * m.c);
    for (float& x : m.v) {
      x = arch_.input_scale *
          static_cast<float>(gen.Next() - arch_.input_zero_point);
    }
    a.samples.push_back(std::move(m));
  }
  g_.inputs = {a.tensor};
  return a;
}

Act Synthesizer::EmitConv(const Act& in, const std::string& name, int cout,
                          int kh, int kw, int stride, bool depthwise,
                          Activation act) {
  const int cin = T(in).shape[3];
  const float in_scale = T(in).quant.scale[0];
  if (depthwise) cout = cin;
  const int taps =
      kh * kw * (depthwise ? 1 : cin);  // weights per output channel
  std::vector<float> w(static_cast<size_t>(cout) * taps);
  for (float& x : w) x = static_cast<float>(rng_.Uniform(-1.0, 1.0));
  // Index of tap t of channel c in the TFLite layout (OHWI or 1HWC).
  auto at = [&](int c, int t) -> size_t {
    return depthwise ? static_cast<size_t>(t) * cout + c
                     : static_cast<size_t>(c) * taps + t;
  };
  auto run = [&](const std::vector<float>& wt, const std::vector<float>& b) {
    std::vector<FloatMap> out;
    for (const FloatMap& x : in.samples) {
      out.push_back(depthwise ? DepthwiseSame(x, wt, b, kh, kw, stride)
                              : ConvSame(x, wt, b, kh, kw, stride, cout));
    }
    return out;
  };

  // Fold a random batch norm: normalise each channel, then gamma / beta.
  const ChannelStats st = ChannelStatsOf(run(w, {}));
  const bool activated = act != Activation::kNone;
  std::vector<float> bias(cout);
  for (int c = 0; c < cout; ++c) {
    const double gamma = (activated ? 1.5 : 1.0) * rng_.Uniform(0.6, 1.4);
    const double beta =
        gamma * (activated ? rng_.Uniform(-0.5, 1.0) : rng_.Uniform(-0.3, 0.3));
    const double f = st.stddev[c] > 1e-9 ? gamma / st.stddev[c] : 1.0;
    for (int t = 0; t < taps; ++t)
      w[at(c, t)] = static_cast<float>(w[at(c, t)] * f);
    bias[c] = static_cast<float>(beta - st.mean[c] * f);
  }

  // Per-channel symmetric int8 weights, int32 bias at in_scale * w_scale.
  Quantization wq, bq;
  wq.quantized_dimension = depthwise ? 3 : 0;
  std::vector<int8_t> wint(w.size());
  std::vector<int32_t> bint(cout);
  std::vector<float> wdeq(w.size()), bdeq(cout);
  for (int c = 0; c < cout; ++c) {
    float max_abs = 0.0f;
    for (int t = 0; t < taps; ++t)
      max_abs = std::max(max_abs, std::fabs(w[at(c, t)]));
    const float ws = max_abs > 0.0f ? max_abs / 127.0f : 1.0f / 127.0f;
    for (int t = 0; t < taps; ++t) {
      const float q =
          std::min(127.0f, std::max(-127.0f, std::round(w[at(c, t)] / ws)));
      wint[at(c, t)] = static_cast<int8_t>(q);
      wdeq[at(c, t)] = q * ws;
    }
    const float bs = in_scale * ws;
    const double b = std::round(static_cast<double>(bias[c]) / bs);
    bint[c] = static_cast<int32_t>(
        std::min(2147483647.0, std::max(-2147483647.0, b)));
    bdeq[c] = static_cast<float>(bint[c] * static_cast<double>(bs));
    wq.scale.push_back(ws);
    wq.zero_point.push_back(0);
    bq.scale.push_back(bs);
    bq.zero_point.push_back(0);
  }
  const std::vector<int32_t> wshape =
      depthwise ? std::vector<int32_t>{1, kh, kw, cout}
                : std::vector<int32_t>{cout, kh, kw, cin};
  const int wt =
      AddConstant(name + "/weights", DataType::kInt8, wshape, wq, Bytes(wint));
  const int bt =
      AddConstant(name + "/bias", DataType::kInt32, {cout}, bq, Bytes(bint));

  Act out;
  out.samples = run(wdeq, bdeq);
  const Quantization oq = CalibrateActivation(&out.samples, act);
  const FloatMap& m = out.samples[0];
  out.tensor = AddTensor(name, DataType::kInt8, {1, m.h, m.w, m.c}, oq);
  OpOptions o;
  o.padding = Padding::kSame;
  o.stride_h = o.stride_w = stride;
  o.activation = act;
  o.depth_multiplier = 1;
  AddOp(depthwise ? OpType::kDepthwiseConv2D : OpType::kConv2D,
        {in.tensor, wt, bt}, out.tensor, o);
  return out;
}

Act Synthesizer::EmitAdd(const Act& a, const Act& b, const std::string& name,
                         Activation act) {
  Act out;
  for (size_t i = 0; i < a.samples.size(); ++i)
    out.samples.push_back(Sum(a.samples[i], b.samples[i]));
  const Quantization q = CalibrateActivation(&out.samples, act);
  out.tensor = AddTensor(name, DataType::kInt8, T(a).shape, q);
  OpOptions o;
  o.activation = act;
  AddOp(OpType::kAdd, {a.tensor, b.tensor}, out.tensor, o);
  return out;
}

Act Synthesizer::EmitPool(const Act& in, const std::string& name,
                          PoolKind kind) {
  // A copy: AddTensor/AddConstant below may reallocate the tensor list.
  const std::vector<int32_t> s = T(in).shape;
  Act pooled;
  for (const FloatMap& m : in.samples)
    pooled.samples.push_back(GlobalAverage(m));
  if (kind == PoolKind::kMean) {
    const Quantization q =
        CalibrateActivation(&pooled.samples, Activation::kNone);
    const int axes = AddConstant(name + "/axes", DataType::kInt32, {2}, {},
                                 Bytes(std::vector<int32_t>{1, 2}));
    pooled.tensor = AddTensor(name, DataType::kInt8, {1, s[3]}, q);
    AddOp(OpType::kMean, {in.tensor, axes}, pooled.tensor);  // keep_dims false
    return pooled;
  }
  // AVERAGE_POOL_2D keeps the input's quantization; RESHAPE flattens.
  const Quantization q = T(in).quant;
  FakeQuantize(&pooled.samples, q);
  pooled.tensor = AddTensor(name, DataType::kInt8, {1, 1, 1, s[3]}, q);
  OpOptions o;
  o.padding = Padding::kValid;
  o.filter_h = s[1];
  o.filter_w = s[2];
  AddOp(OpType::kAveragePool2D, {in.tensor}, pooled.tensor, o);
  const int shape = AddConstant(name + "/shape", DataType::kInt32, {2}, {},
                                Bytes(std::vector<int32_t>{1, s[3]}));
  Act flat;
  flat.samples = std::move(pooled.samples);
  flat.tensor = AddTensor(name + "/flat", DataType::kInt8, {1, s[3]}, q);
  AddOp(OpType::kReshape, {pooled.tensor, shape}, flat.tensor);
  return flat;
}

Act Synthesizer::EmitDense(const Act& in, const std::string& name, int units) {
  const int depth = T(in).shape.back();
  const float in_scale = T(in).quant.scale[0];
  std::vector<float> w(static_cast<size_t>(units) * depth);
  for (float& x : w) x = static_cast<float>(rng_.Uniform(-1.0, 1.0));
  std::vector<FloatMap> raw;
  for (const FloatMap& x : in.samples)
    raw.push_back(FullyConnected(x, w, {}, units));
  // One global gain (weights are per-tensor), each unit centred on its
  // calibration mean so the logits vary with the input, not with the unit.
  const ChannelStats st = ChannelStatsOf(raw);
  double spread = 0.0;
  for (double sd : st.stddev) spread += sd * sd;
  spread = std::sqrt(spread / units);
  const double f = spread > 1e-9 ? 2.0 / spread : 1.0;
  std::vector<float> bias(units);
  for (float& x : w) x = static_cast<float>(x * f);
  for (int u = 0; u < units; ++u) {
    bias[u] = static_cast<float>(rng_.Uniform(-1.0, 1.0) - st.mean[u] * f);
  }
  float max_abs = 0.0f;
  for (float x : w) max_abs = std::max(max_abs, std::fabs(x));
  const float ws = max_abs > 0.0f ? max_abs / 127.0f : 1.0f / 127.0f;
  const float bs = in_scale * ws;
  std::vector<int8_t> wint(w.size());
  std::vector<float> wdeq(w.size()), bdeq(units);
  std::vector<int32_t> bint(units);
  for (size_t i = 0; i < w.size(); ++i) {
    const float q = std::min(127.0f, std::max(-127.0f, std::round(w[i] / ws)));
    wint[i] = static_cast<int8_t>(q);
    wdeq[i] = q * ws;
  }
  for (int u = 0; u < units; ++u) {
    const double b = std::round(static_cast<double>(bias[u]) / bs);
    bint[u] = static_cast<int32_t>(
        std::min(2147483647.0, std::max(-2147483647.0, b)));
    bdeq[u] = static_cast<float>(bint[u] * static_cast<double>(bs));
  }
  Quantization wq, bq;
  wq.scale = {ws};
  wq.zero_point = {0};
  bq.scale = {bs};
  bq.zero_point = {0};
  const int wt = AddConstant(name + "/weights", DataType::kInt8, {units, depth},
                             wq, Bytes(wint));
  const int bt =
      AddConstant(name + "/bias", DataType::kInt32, {units}, bq, Bytes(bint));
  Act out;
  for (const FloatMap& x : in.samples)
    out.samples.push_back(FullyConnected(x, wdeq, bdeq, units));
  const Quantization oq = CalibrateActivation(&out.samples, Activation::kNone);
  out.tensor = AddTensor(name, DataType::kInt8, {1, units}, oq);
  AddOp(OpType::kFullyConnected, {in.tensor, wt, bt}, out.tensor);
  return out;
}

Act Synthesizer::EmitSoftmax(const Act& in, const std::string& name) {
  Quantization q;
  q.scale = {1.0f / 256.0f};
  q.zero_point = {-128};
  Act out;  // nothing consumes softmax samples: it is always last
  out.tensor = AddTensor(name, DataType::kInt8, T(in).shape, q);
  OpOptions o;
  o.beta = 1.0f;
  AddOp(OpType::kSoftmax, {in.tensor}, out.tensor, o);
  return out;
}

Act Synthesizer::EmitLayer(const Act& in, const LayerSpec& l,
                           const std::string& name) {
  const Activation act = arch_.activation;
  const int cin = T(in).shape.back();
  switch (l.kind) {
    case LayerKind::kConv:
      return EmitConv(in, name + ".conv", l.channels, l.kernel_h, l.kernel_w,
                      l.stride, false, l.linear ? Activation::kNone : act);
    case LayerKind::kInvertedResidual: {
      Act x = HasExpansion(l, cin)
                  ? EmitConv(in, name + ".pw1", MiddleChannels(l, cin), 1, 1, 1,
                             false, act)
                  : in;
      x = EmitConv(x, name + ".dw", 0, l.kernel_h, l.kernel_w, l.stride, true,
                   act);
      x = EmitConv(x, name + ".pw2", l.channels, 1, 1, 1, false,
                   Activation::kNone);
      if (l.stride == 1 && cin == l.channels) {
        x = EmitAdd(x, in, name + ".add", Activation::kNone);
      }
      return x;
    }
    case LayerKind::kSeparable: {
      Act x = EmitConv(in, name + ".dw", 0, l.kernel_h, l.kernel_w, l.stride,
                       true, act);
      return EmitConv(x, name + ".pw", l.channels, 1, 1, 1, false, act);
    }
    case LayerKind::kBasicResidual: {
      Act x = EmitConv(in, name + ".conv1", l.channels, l.kernel_h, l.kernel_w,
                       l.stride, false, act);
      x = EmitConv(x, name + ".conv2", l.channels, l.kernel_h, l.kernel_w, 1,
                   false, Activation::kNone);
      if (l.stride == 1 && cin == l.channels)
        return EmitAdd(x, in, name + ".add", act);
      Act shortcut = EmitConv(in, name + ".shortcut", l.channels, 1, 1,
                              l.stride, false, Activation::kNone);
      return EmitAdd(x, shortcut, name + ".add", act);
    }
    case LayerKind::kGlobalPool:
      return EmitPool(in, name + ".pool", l.pool);
    case LayerKind::kFullyConnected:
      return EmitDense(in, name + ".fc", l.channels);
    case LayerKind::kSoftmax:
      return EmitSoftmax(in, name + ".softmax");
  }
  return in;
}

absl::StatusOr<Graph> Synthesizer::Build() {
  if (absl::StatusOr<ArchitectureStats> st = ComputeStats(arch_); !st.ok()) {
    return st.status();
  }
  g_.name = arch_.name;
  Act x = EmitInput();
  for (size_t i = 0; i < arch_.layers.size(); ++i) {
    x = EmitLayer(x, arch_.layers[i], absl::StrCat("layers.", i));
  }
  g_.outputs = {x.tensor};
  if (absl::Status s = ValidateGraph(g_); !s.ok()) {
    return absl::InternalError(
        absl::StrCat("synthesized graph is invalid: ", s.message()));
  }
  return std::move(g_);
}

}  // namespace

absl::StatusOr<Graph> Synthesize(const Architecture& arch, uint32_t seed) {
  return Synthesizer(arch, seed).Build();
}

}  // namespace mcutune::graph::zoo
