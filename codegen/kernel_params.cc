// MakeOpParams: graph operator -> mcuk_* parameters.
//
// Mirrors the Prepare<Op> factories of graph/kernels (same helpers, same
// float expressions in the same order) so the C kernels reproduce the
// reference bit for bit:
// - conv-like ops: MakeChannelRequant for scales / multipliers / activation
//   range; the bias gets -zp_in * sum(w) (fc also + depth * zp_in * zp_w);
// - ADD: XNNPACK's form when the reference uses it (single rounding and a
//   ratio XNNPACK accepts), TFLite's double-rounding form otherwise;
// - MEAN: s_in / (s_out * n) in float and QuantizeMultiplier(s_in / s_out);
// - SOFTMAX: the 256-entry exp table, computed as the reference does.
#include "codegen/kernel_params.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "graph/op_shape_checks.h"

namespace mcutune::codegen {
namespace {

using graph::Graph;
using graph::Operator;
using graph::OpType;
using graph::RequantMode;
using graph::Tensor;

float Scale(const Tensor& t) { return t.quant.scale[0]; }
int32_t ZeroPoint(const Tensor& t) {
  return static_cast<int32_t>(t.quant.zero_point[0]);
}

absl::Status Error(const Graph& g, int op, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(
      graph::OpTypeName(g.ops[op].type), " (op ", op, "): ", message));
}
absl::Status Unsupported(const Graph& g, int op, const std::string& message) {
  return absl::UnimplementedError(absl::StrCat(
      graph::OpTypeName(g.ops[op].type), " (op ", op, "): ", message));
}

std::vector<int32_t> Int32Data(const Graph& g, int tensor) {
  const std::vector<uint8_t>& bytes = g.data(tensor);
  std::vector<int32_t> values(bytes.size() / 4);
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

int32_t ModeOf(RequantMode mode) {
  return mode == RequantMode::kSingleRounding ? MCUK_REQUANT_SINGLE
                                              : MCUK_REQUANT_DOUBLE;
}

// Fills p.scale / multiplier / shift and returns the mcuk_requant pointing
// into them.
mcuk_requant MakeRequant(OpParams& p, const graph::ChannelRequant& r) {
  p.scale = r.scale;
  p.multiplier = r.multiplier;
  p.shift = r.shift;
  mcuk_requant q{};
  q.mode = ModeOf(r.mode);
  q.output_zero_point = r.output_zero_point;
  q.act_min = r.range.min;
  q.act_max = r.range.max;
  if (r.mode == RequantMode::kSingleRounding) {
    q.scale = p.scale.data();
  } else {
    q.multiplier = p.multiplier.data();
    q.shift = p.shift.data();
  }
  return q;
}

// Rewrites a pointwise CONV_2D's filter and bias into the channel-paired
// layout of mcu_kernels.h (MCUK_FILTER_1X1_PAIRED) when the shape allows it
// (in_c % 4 == 0, out_c even) and its value ranges hold for every channel
// pair (c0, c1): each V = w[c0][k] + 256 w[c1][k] fits int16, and
// |bias[c1]| + 128 sum_k |w[c1][k]| < 2^23, so that (A - B) / 256 recovers
// channel c1's accumulator for any int8 input. Otherwise the filter stays
// OHWI. Same byte count either way.
void PairPointwiseFilter(OpParams& p) {
  mcuk_conv_params& c = p.conv;
  if (c.filter_h != 1 || c.filter_w != 1 || c.in_c < 4 || c.in_c % 4 != 0 ||
      c.out_c < 2 || c.out_c % 2 != 0) {
    return;
  }
  const int cin = c.in_c;
  for (int j = 0; j < c.out_c / 2; ++j) {
    const int8_t* w0 = &p.weights[size_t{2} * j * cin];
    const int8_t* w1 = w0 + cin;
    int64_t bound = std::abs(int64_t{p.bias[2 * j + 1]});
    for (int k = 0; k < cin; ++k) {
      if (w1[k] == -128 && w0[k] < 0) return;
      bound += 128 * std::abs(int64_t{w1[k]});
    }
    if (bound >= (int64_t{1} << 23)) return;
  }
  std::vector<int8_t> paired(p.weights.size());
  for (int j = 0; j < c.out_c / 2; ++j) {
    const int8_t* w0 = &p.weights[size_t{2} * j * cin];
    const int8_t* w1 = w0 + cin;
    int8_t* dst = &paired[size_t{2} * j * cin];
    for (int k = 0; k < cin; ++k) {
      // Group k / 4 holds k = 4g, 4g+2, 4g+1, 4g+3 as halfwords 0..3.
      const int t = 2 * (k & 1) + ((k & 3) >> 1);
      const int32_t v = int32_t{w0[k]} + 256 * int32_t{w1[k]};
      const size_t at = size_t{8} * (k / 4) + 2 * t;
      dst[at] = static_cast<int8_t>(static_cast<uint8_t>(v & 0xff));
      dst[at + 1] = static_cast<int8_t>(static_cast<uint8_t>((v >> 8) & 0xff));
    }
    const uint32_t b0 = static_cast<uint32_t>(p.bias[2 * j]);
    const uint32_t b1 = static_cast<uint32_t>(p.bias[2 * j + 1]);
    p.bias[2 * j + 1] = static_cast<int32_t>(b0 + (b1 << 8));
  }
  p.weights = std::move(paired);
  c.filter_layout = MCUK_FILTER_1X1_PAIRED;
}

absl::Status MakeConv(const Graph& g, int op_index, OpParams& p) {
  const Operator& op = g.ops[op_index];
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& filter = g.tensors[op.inputs[1]];
  const Tensor& out = g.tensors[op.outputs[0]];
  const bool depthwise = op.type == OpType::kDepthwiseConv2D;
  if (in.shape.size() != 4 || out.shape.size() != 4 || in.shape[0] != 1) {
    return Unsupported(g, op_index, "needs 4-D tensors with batch 1");
  }
  const graph::OpOptions& o = op.options;
  mcuk_conv_params& c = p.conv;
  c.in_h = in.shape[1], c.in_w = in.shape[2], c.in_c = in.shape[3];
  c.out_h = out.shape[1], c.out_w = out.shape[2], c.out_c = out.shape[3];
  c.filter_h = filter.shape[1], c.filter_w = filter.shape[2];
  c.stride_h = o.stride_h, c.stride_w = o.stride_w;
  c.dilation_h = o.dilation_h, c.dilation_w = o.dilation_w;
  c.pad_top = graph::WindowPaddingBefore(c.in_h, c.filter_h, c.stride_h,
                                         c.dilation_h, o.padding);
  c.pad_left = graph::WindowPaddingBefore(c.in_w, c.filter_w, c.stride_w,
                                          c.dilation_w, o.padding);
  c.depth_multiplier = depthwise ? o.depth_multiplier : 1;
  c.input_zero_point = ZeroPoint(in);
  const std::vector<uint8_t>& bytes = g.data(op.inputs[1]);
  p.weights.assign(bytes.begin(), bytes.end());
  const int64_t taps = int64_t{c.filter_h} * c.filter_w;
  const int64_t per_channel = depthwise ? taps : taps * c.in_c;
  if (static_cast<int64_t>(p.weights.size()) != per_channel * c.out_c) {
    return Error(g, op_index, "filter data size mismatch");
  }
  p.bias.assign(c.out_c, 0);
  if (op.inputs.size() > 2 && op.inputs[2] >= 0)
    p.bias = Int32Data(g, op.inputs[2]);
  if (static_cast<int>(p.bias.size()) != c.out_c) {
    return Error(g, op_index, "bias size differs from output channels");
  }
  for (int oc = 0; oc < c.out_c; ++oc) {
    int32_t sum = 0;
    for (int64_t k = 0; k < per_channel; ++k) {
      sum += depthwise ? p.weights[k * c.out_c + oc]
                       : p.weights[oc * per_channel + k];
    }
    p.bias[oc] -= c.input_zero_point * sum;
  }
  c.filter_layout = MCUK_FILTER_OHWI;
  if (!depthwise) PairPointwiseFilter(p);
  c.filter = p.weights.data();
  c.bias = p.bias.data();
  c.requant = MakeRequant(
      p, graph::MakeChannelRequant(Scale(in), filter.quant.scale, out,
                                   o.activation, p.mode, c.out_c,
                                   /*float_product=*/false));
  return absl::OkStatus();
}

absl::Status MakeFullyConnected(const Graph& g, int op_index, OpParams& p) {
  const Operator& op = g.ops[op_index];
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& weights = g.tensors[op.inputs[1]];
  const Tensor& out = g.tensors[op.outputs[0]];
  mcuk_fc_params& f = p.fc;
  f.units = weights.shape[0];
  f.depth = weights.shape[1];
  if (f.depth < 1 || in.num_elements() % f.depth != 0) {
    return Error(g, op_index, "input does not split into rows of depth");
  }
  f.batches = static_cast<int32_t>(in.num_elements() / f.depth);
  const int32_t zp_w = static_cast<int32_t>(weights.quant.zero_point[0]);
  f.weight_zero_point = zp_w;
  const std::vector<uint8_t>& bytes = g.data(op.inputs[1]);
  p.weights.assign(bytes.begin(), bytes.end());
  p.bias.assign(f.units, 0);
  if (op.inputs.size() > 2 && op.inputs[2] >= 0)
    p.bias = Int32Data(g, op.inputs[2]);
  if (static_cast<int>(p.bias.size()) != f.units ||
      static_cast<int64_t>(p.weights.size()) != int64_t{f.units} * f.depth) {
    return Error(g, op_index, "weights or bias size mismatch");
  }
  const int32_t zp_in = ZeroPoint(in);
  for (int u = 0; u < f.units; ++u) {
    int32_t sum = 0;
    for (int i = 0; i < f.depth; ++i) sum += p.weights[static_cast<size_t>(u) * f.depth + i];
    p.bias[u] += -zp_in * sum + f.depth * zp_in * zp_w;
  }
  f.weights = p.weights.data();
  f.bias = p.bias.data();
  f.requant = MakeRequant(
      p, graph::MakeChannelRequant(Scale(in), weights.quant.scale, out,
                                   op.options.activation, p.mode, f.units,
                                   /*float_product=*/true));
  return absl::OkStatus();
}

absl::Status MakeAdd(const Graph& g, int op_index, OpParams& p) {
  const Operator& op = g.ops[op_index];
  const Tensor& a = g.tensors[op.inputs[0]];
  const Tensor& b = g.tensors[op.inputs[1]];
  const Tensor& out = g.tensors[op.outputs[0]];
  if (a.shape != out.shape || b.shape != out.shape) {
    return Unsupported(g, op_index, "broadcasting ADD");
  }
  mcuk_add_params& q = p.add;
  q.h = p.out.h, q.w = p.out.w, q.c = p.out.c;
  q.zp_a = ZeroPoint(a), q.zp_b = ZeroPoint(b), q.zp_out = ZeroPoint(out);
  const graph::ActivationRange range = graph::ComputeActivationRange(
      op.options.activation, Scale(out), q.zp_out);
  q.act_min = range.min, q.act_max = range.max;
  constexpr int kLeftShift = 20;
  const double twice_max = 2.0 * std::max<double>(Scale(a), Scale(b));
  const graph::QuantizedMultiplier ma =
      graph::QuantizeMultiplier(Scale(a) / twice_max);
  const graph::QuantizedMultiplier mb =
      graph::QuantizeMultiplier(Scale(b) / twice_max);
  const graph::QuantizedMultiplier mo = graph::QuantizeMultiplier(
      twice_max / ((1 << kLeftShift) * double{Scale(out)}));
  q.mult_a = ma.multiplier, q.shift_a = ma.shift;
  q.mult_b = mb.multiplier, q.shift_b = mb.shift;
  q.mult_out = mo.multiplier, q.shift_out = mo.shift;
  q.form = MCUK_ADD_TFLITE;
  const float ra = Scale(a) / Scale(out), rb = Scale(b) / Scale(out);
  const int shift = 20 - std::ilogb(std::max(ra, rb));
  if (p.mode == RequantMode::kSingleRounding && shift >= 12 && shift <= 30 &&
      std::min(ra, rb) >= 0x1.0p-10f) {
    q.form = MCUK_ADD_XNNPACK;
    q.x_shift = shift;
    q.x_mult_a = static_cast<int32_t>(std::lrint(std::ldexp(ra, shift)));
    q.x_mult_b = static_cast<int32_t>(std::lrint(std::ldexp(rb, shift)));
    q.x_bias =
        (int32_t{1} << (shift - 1)) - q.x_mult_a * q.zp_a - q.x_mult_b * q.zp_b;
  }
  return absl::OkStatus();
}

absl::Status MakePool(const Graph& g, int op_index, OpParams& p) {
  const Operator& op = g.ops[op_index];
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  if (in.shape.size() != 4 || in.shape[0] != 1 || out.shape.size() != 4) {
    return Unsupported(g, op_index, "needs 4-D tensors with batch 1");
  }
  const graph::OpOptions& o = op.options;
  mcuk_pool_params& q = p.pool;
  q.in_h = p.in.h, q.in_w = p.in.w, q.channels = p.in.c;
  q.out_h = p.out.h, q.out_w = p.out.w;
  q.filter_h = o.filter_h, q.filter_w = o.filter_w;
  q.stride_h = o.stride_h, q.stride_w = o.stride_w;
  q.pad_top =
      graph::WindowPaddingBefore(q.in_h, q.filter_h, q.stride_h, 1, o.padding);
  q.pad_left =
      graph::WindowPaddingBefore(q.in_w, q.filter_w, q.stride_w, 1, o.padding);
  const graph::ActivationRange range =
      graph::ComputeActivationRange(o.activation, Scale(out), ZeroPoint(out));
  q.act_min = range.min, q.act_max = range.max;
  return absl::OkStatus();
}

absl::Status MakeMean(const Graph& g, int op_index, OpParams& p) {
  const Operator& op = g.ops[op_index];
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  std::vector<int32_t> axes = Int32Data(g, op.inputs[1]);
  for (int32_t& a : axes) a = a < 0 ? a + static_cast<int>(in.shape.size()) : a;
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  if (in.shape.size() != 4 || in.shape[0] != 1 ||
      axes != std::vector<int32_t>{1, 2}) {
    return Unsupported(g, op_index, "MEAN other than over H, W of NHWC");
  }
  mcuk_mean_params& q = p.mean;
  q.in_h = p.in.h, q.in_w = p.in.w, q.channels = p.in.c;
  q.mode = ModeOf(p.mode);
  q.count = q.in_h * q.in_w;
  q.zp_in = ZeroPoint(in), q.zp_out = ZeroPoint(out);
  q.scale = Scale(in) / (Scale(out) * static_cast<float>(q.count));
  const graph::QuantizedMultiplier m =
      graph::QuantizeMultiplier(double{Scale(in)} / double{Scale(out)});
  q.multiplier = m.multiplier, q.shift = m.shift;
  return absl::OkStatus();
}

absl::Status MakePad(const Graph& g, int op_index, OpParams& p) {
  const Operator& op = g.ops[op_index];
  const Tensor& in = g.tensors[op.inputs[0]];
  const std::vector<int32_t> pads = Int32Data(g, op.inputs[1]);
  if (in.shape.size() != 4 || pads.size() != 8 || pads[0] != 0 ||
      pads[1] != 0 || in.shape[0] != 1) {
    return Unsupported(g, op_index, "PAD other than H, W, C of NHWC batch 1");
  }
  mcuk_pad_params& q = p.pad;
  q.in_h = p.in.h, q.in_w = p.in.w, q.in_c = p.in.c;
  q.out_h = p.out.h, q.out_w = p.out.w, q.out_c = p.out.c;
  q.pad_top = pads[2], q.pad_left = pads[4], q.pad_channels = pads[6];
  q.zero_point = ZeroPoint(g.tensors[op.outputs[0]]);
  return absl::OkStatus();
}

absl::Status MakeSoftmax(const Graph& g, int op_index, OpParams& p) {
  const Operator& op = g.ops[op_index];
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  const int depth = in.shape.back();
  p.softmax.depth = depth;
  p.softmax.rows = static_cast<int32_t>(in.num_elements() / depth);
  p.softmax.zp_out = ZeroPoint(out);
  p.softmax.output_scale = Scale(out);
  const float scale = -Scale(in) * op.options.beta;
  p.exp_table.resize(256);
  for (int d = 0; d <= 255; ++d) p.exp_table[255 - d] = std::exp(scale * d);
  p.softmax.exp_table = p.exp_table.data();
  return absl::OkStatus();
}

absl::Status MakeTranspose(const Graph& g, int op_index, OpParams& p) {
  const Operator& op = g.ops[op_index];
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& out = g.tensors[op.outputs[0]];
  const std::vector<int32_t> perm = Int32Data(g, op.inputs[1]);
  const int rank = static_cast<int>(in.shape.size());
  if (rank < 1 || rank > MCUK_MAX_RANK) {
    return Unsupported(g, op_index, "rank above 6");
  }
  int64_t stride = 1;
  std::vector<int32_t> in_strides(rank);
  for (int d = rank - 1; d >= 0; --d) {
    in_strides[d] = static_cast<int32_t>(stride);
    stride *= in.shape[d];
  }
  p.permute.rank = rank;
  for (int i = 0; i < rank; ++i) {
    p.permute.shape[i] = out.shape[i];
    p.permute.in_stride[i] = in_strides[perm[i]];
  }
  return absl::OkStatus();
}

absl::Status MakeConcat(const Graph& g, int op_index, OpParams& p) {
  const Operator& op = g.ops[op_index];
  const Tensor& out = g.tensors[op.outputs[0]];
  const int rank = static_cast<int>(out.shape.size());
  int axis = op.options.axis < 0 ? op.options.axis + rank : op.options.axis;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= out.shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= out.shape[d];
  const graph::ActivationRange range = graph::ComputeActivationRange(
      op.options.activation, Scale(out), ZeroPoint(out));
  const bool clamps = range.min > -128 || range.max < 127;
  int64_t offset = 0;
  for (int t : op.inputs) {
    const Tensor& in = g.tensors[t];
    ConcatPart part;
    part.slab = in.shape[axis] * inner;
    part.offset = offset;
    offset += part.slab;
    part.rescale =
        clamps || Scale(in) != Scale(out) || ZeroPoint(in) != ZeroPoint(out);
    const graph::QuantizedMultiplier m =
        graph::QuantizeMultiplier(double{Scale(in)} / double{Scale(out)});
    mcuk_rescale_params& r = part.rescale_params;
    r.mode = ModeOf(p.mode);
    r.zp_in = ZeroPoint(in), r.zp_out = ZeroPoint(out);
    r.multiplier = m.multiplier, r.shift = m.shift;
    r.act_min = range.min, r.act_max = range.max;
    p.concat.push_back(part);
  }
  p.concat_outer = outer;
  p.concat_row = offset;
  return absl::OkStatus();
}

}  // namespace

const char* KernelKindName(KernelKind kind) {
  switch (kind) {
    case KernelKind::kConv2D:
      return "conv2d";
    case KernelKind::kDepthwiseConv2D:
      return "depthwise_conv2d";
    case KernelKind::kFullyConnected:
      return "fully_connected";
    case KernelKind::kAdd:
      return "add";
    case KernelKind::kAveragePool:
      return "avg_pool";
    case KernelKind::kMaxPool:
      return "max_pool";
    case KernelKind::kMean:
      return "mean";
    case KernelKind::kPad:
      return "pad";
    case KernelKind::kSoftmax:
      return "softmax";
    case KernelKind::kReshape:
      return "reshape";
    case KernelKind::kTranspose:
      return "transpose";
    case KernelKind::kConcatenation:
      return "concatenation";
  }
  return "?";
}

Dims ActivationDims(const Tensor& tensor) {
  Dims d;
  if (tensor.shape.size() == 4 && tensor.shape[0] == 1) {
    d.h = tensor.shape[1], d.w = tensor.shape[2], d.c = tensor.shape[3];
  } else {
    d.c = static_cast<int>(tensor.num_elements());
  }
  return d;
}

absl::StatusOr<OpParams> MakeOpParams(const Graph& graph, int op_index,
                                      RequantMode mode) {
  if (op_index < 0 || op_index >= static_cast<int>(graph.ops.size())) {
    return absl::InvalidArgumentError(absl::StrCat("no operator ", op_index));
  }
  const Operator& op = graph.ops[op_index];
  OpParams p;
  p.mode = mode;
  p.in = ActivationDims(graph.tensors[op.inputs[0]]);
  p.out = ActivationDims(graph.tensors[op.outputs[0]]);
  absl::Status status;
  switch (op.type) {
    case OpType::kConv2D:
      p.kind = KernelKind::kConv2D;
      status = MakeConv(graph, op_index, p);
      break;
    case OpType::kDepthwiseConv2D:
      p.kind = KernelKind::kDepthwiseConv2D;
      status = MakeConv(graph, op_index, p);
      break;
    case OpType::kFullyConnected:
      p.kind = KernelKind::kFullyConnected;
      status = MakeFullyConnected(graph, op_index, p);
      break;
    case OpType::kAdd:
      p.kind = KernelKind::kAdd;
      status = MakeAdd(graph, op_index, p);
      break;
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D:
      p.kind = op.type == OpType::kAveragePool2D ? KernelKind::kAveragePool
                                                 : KernelKind::kMaxPool;
      status = MakePool(graph, op_index, p);
      break;
    case OpType::kMean:
      p.kind = KernelKind::kMean;
      status = MakeMean(graph, op_index, p);
      break;
    case OpType::kPad:
      p.kind = KernelKind::kPad;
      status = MakePad(graph, op_index, p);
      break;
    case OpType::kSoftmax:
      p.kind = KernelKind::kSoftmax;
      status = MakeSoftmax(graph, op_index, p);
      break;
    case OpType::kReshape:
      p.kind = KernelKind::kReshape;
      p.bytes = graph.tensors[op.inputs[0]].num_elements();
      break;
    case OpType::kTranspose:
      p.kind = KernelKind::kTranspose;
      status = MakeTranspose(graph, op_index, p);
      break;
    case OpType::kConcatenation:
      p.kind = KernelKind::kConcatenation;
      status = MakeConcat(graph, op_index, p);
      break;
  }
  if (!status.ok()) return status;
  return p;
}

int64_t ScratchBytes(const OpParams& params) {
  if (params.kind == KernelKind::kConv2D) {
    return mcuk_conv2d_scratch_bytes(&params.conv);
  }
  return 0;
}

bool SupportsInplaceDepthwise(const OpParams& params) {
  return params.kind == KernelKind::kDepthwiseConv2D &&
         params.conv.depth_multiplier == 1 &&
         params.conv.in_c == params.conv.out_c;
}

}  // namespace mcutune::codegen
