// MakeOpParams: its answers for forms the kernels do not cover, the values
// it derives, ownership of its arrays, and the kernels' debug checks.
#include "codegen/kernel_params.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "codegen/kernel_assert.h"
#include "graph/kernels/quantization.h"
#include "tests/codegen/kernel_harness.h"

namespace mcutune::codegen::testing {
namespace {

using graph::RequantMode;

TEST_CASE("the library reports the path it was built with",
          "[codegen][kernels]") {
  INFO(mcuk_path_name());
#ifdef MCUTUNE_EXPECT_KERNEL_PATH
  CHECK(std::string(mcuk_path_name()) == MCUTUNE_EXPECT_KERNEL_PATH);
#endif
}

TEST_CASE("unsupported forms are UNIMPLEMENTED, bad indices INVALID_ARGUMENT",
          "[codegen][params]") {
  std::mt19937 rng(5);
  graph::Graph g = RandomOpGraph(KernelKind::kAdd, rng);
  CHECK(MakeOpParams(g, 3, RequantMode::kSingleRounding).status().code() ==
        absl::StatusCode::kInvalidArgument);
  g.tensors[g.ops[0].inputs[1]].shape = {1, 1, 1, g.tensors[0].shape[3]};
  CHECK(MakeOpParams(g, 0, RequantMode::kSingleRounding).status().code() ==
        absl::StatusCode::kUnimplemented);

  graph::Graph m = RandomOpGraph(KernelKind::kMean, rng);
  const int axes = m.ops[0].inputs[1];
  const int32_t channel_axis[2] = {3, 3};
  std::memcpy(m.buffers[m.tensors[axes].buffer].data(), channel_axis, 8);
  CHECK(MakeOpParams(m, 0, RequantMode::kSingleRounding).status().code() ==
        absl::StatusCode::kUnimplemented);

  graph::Graph c = RandomOpGraph(KernelKind::kConv2D, rng);
  c.tensors[c.ops[0].inputs[0]].shape[0] = 2;
  CHECK(MakeOpParams(c, 0, RequantMode::kSingleRounding).status().code() ==
        absl::StatusCode::kUnimplemented);
}

TEST_CASE("parameters stay valid when OpParams moves", "[codegen][params]") {
  std::mt19937 rng(11);
  const graph::Graph g = RandomOpGraph(KernelKind::kConv2D, rng);
  const Bytes input = RandomBytes(g.tensors[g.inputs[0]].num_elements(), rng);
  const std::vector<Bytes> ref =
      ReferenceTensors(g, {input}, RequantMode::kDoubleRounding);
  absl::StatusOr<OpParams> made =
      MakeOpParams(g, 0, RequantMode::kDoubleRounding);
  REQUIRE(made.ok());
  std::vector<OpParams> moved;
  moved.push_back(*std::move(made));
  moved.emplace_back();  // reallocation moves element 0 again
  moved.emplace_back();
  CHECK(moved[0].conv.filter == moved[0].weights.data());
  CHECK(moved[0].conv.requant.multiplier == moved[0].multiplier.data());
  CHECK(moved[0].conv.requant.scale == nullptr);
  CHECK(RunWhole(moved[0], {&input}) == ref[g.ops[0].outputs[0]]);
}

// Weight (oc, k) of a CONV_2D's parameters as the graph stores it (OHWI),
// decoded from either layout (mcu_kernels.h), and the bias the kernels
// add to channel oc's dot product.
int FilterValue(const OpParams& p, int oc, int k) {
  const mcuk_conv_params& c = p.conv;
  const int len = c.filter_h * c.filter_w * c.in_c;
  if (c.filter_layout == MCUK_FILTER_OHWI) return c.filter[oc * len + k];
  const int t = 2 * (k & 1) + ((k & 3) >> 1);
  const auto* b = reinterpret_cast<const uint8_t*>(c.filter) +
                  2 * (oc / 2) * c.in_c + 8 * (k / 4) + 2 * t;
  const int v = static_cast<int16_t>(b[0] | (b[1] << 8));
  const int lo = static_cast<int8_t>(b[0]);
  return oc % 2 == 0 ? lo : (v - lo) / 256;
}
int32_t ChannelBias(const OpParams& p, int oc) {
  const mcuk_conv_params& c = p.conv;
  if (c.filter_layout == MCUK_FILTER_OHWI || oc % 2 == 0) return c.bias[oc];
  return static_cast<int32_t>(static_cast<uint32_t>(c.bias[oc]) -
                              static_cast<uint32_t>(c.bias[oc - 1])) /
         256;
}

TEST_CASE("conv bias folds the input zero point", "[codegen][params]") {
  for (unsigned seed : {3u, 5u, 11u, 12u, 31u}) {
    std::mt19937 rng(seed);
    const graph::Graph g = RandomOpGraph(KernelKind::kConv2D, rng);
    absl::StatusOr<OpParams> p =
        MakeOpParams(g, 0, RequantMode::kSingleRounding);
    REQUIRE(p.ok());
    const mcuk_conv_params& c = p->conv;
    const int len = c.filter_h * c.filter_w * c.in_c;
    const auto* raw_w =
        reinterpret_cast<const int8_t*>(g.data(g.ops[0].inputs[1]).data());
    std::vector<int32_t> raw(c.out_c, 0);
    if (g.ops[0].inputs[2] >= 0) {
      std::memcpy(raw.data(), g.data(g.ops[0].inputs[2]).data(), 4 * c.out_c);
    }
    INFO("seed " << seed << " layout " << c.filter_layout);
    for (int oc = 0; oc < c.out_c; ++oc) {
      int32_t sum = 0;
      for (int k = 0; k < len; ++k) {
        REQUIRE(FilterValue(*p, oc, k) == raw_w[oc * len + k]);
        sum += raw_w[oc * len + k];
      }
      CHECK(ChannelBias(*p, oc) == raw[oc] - c.input_zero_point * sum);
    }
    const bool pointwise = len == c.in_c;
    CHECK(c.filter_layout == (pointwise && c.in_c % 4 == 0 && c.out_c % 2 == 0
                                  ? MCUK_FILTER_1X1_PAIRED
                                  : MCUK_FILTER_OHWI));
    CHECK(ScratchBytes(*p) == (pointwise ? 6 * c.in_c + 4 : 2 * len));
  }
}

TEST_CASE("fully connected handles a weight zero point", "[codegen][kernels]") {
  // The graph validator rejects zp_w != 0, so the parameters are set by hand
  // and checked against the reference formula.
  std::mt19937 rng(17);
  const int depth = 37, units = 5, batches = 2, zp_in = -7, zp_w = 9;
  const Bytes w = RandomBytes(units * depth, rng);
  const Bytes x = RandomBytes(batches * depth, rng);
  std::vector<int32_t> bias(units), raw_bias(units);
  for (int u = 0; u < units; ++u) {
    raw_bias[u] = u * 1000 - 2000;
    int32_t sum = 0;
    for (int i = 0; i < depth; ++i) sum += w[u * depth + i];
    bias[u] = raw_bias[u] - zp_in * sum + depth * zp_in * zp_w;
  }
  std::vector<float> scale(units, 0.0021f);
  mcuk_fc_params p{};
  p.batches = batches, p.depth = depth, p.units = units;
  p.weight_zero_point = zp_w;
  p.weights = w.data();
  p.bias = bias.data();
  p.requant.mode = MCUK_REQUANT_SINGLE;
  p.requant.output_zero_point = 3;
  p.requant.act_min = -128, p.requant.act_max = 127;
  p.requant.scale = scale.data();
  Bytes out(batches * units);
  mcuk_fully_connected(&p, x.data(), out.data());
  for (int b = 0; b < batches; ++b) {
    for (int u = 0; u < units; ++u) {
      int32_t acc = raw_bias[u];
      for (int i = 0; i < depth; ++i) {
        acc += (x[b * depth + i] - zp_in) * (w[u * depth + i] - zp_w);
      }
      CHECK(out[b * units + u] ==
            graph::RequantizeFloat(acc, scale[u], 3, -128, 127));
    }
  }
}

int g_failures = 0;
void CountFailure(const char*, int, const char*) { ++g_failures; }

TEST_CASE("reading inside the image but outside the window is caught",
          "[codegen][kernels]") {
  std::mt19937 rng(23);
  graph::Graph g;
  absl::StatusOr<OpParams> p = absl::UnknownError("");
  do {  // a 3x3 depthwise convolution with at least 3 input rows
    g = RandomOpGraph(KernelKind::kDepthwiseConv2D, rng);
    p = MakeOpParams(g, 0, RequantMode::kSingleRounding);
  } while (!p.ok() || p->conv.filter_h != 3 || p->in.h < 3);
  const Bytes input = RandomBytes(p->in.elements(), rng);
  Bytes out(p->out.elements());
  // The whole tensor is in memory, but the window claims one row less.
  const mcuk_cview in{input.data(), 0,       0,
                      p->in.h - 1,  p->in.w, p->in.w * p->in.c};
  const mcuk_view o{out.data(), 0, 0, p->out.h, p->out.w, p->out.w * p->out.c};
  const mcuk_region whole{0, p->out.h, 0, p->out.w};
  const KernelAssertHandler previous = SetKernelAssertHandler(&CountFailure);
  g_failures = 0;
  mcuk_depthwise_conv2d(&p->conv, &in, &o, &whole);
  const int with_short_window = g_failures;
  g_failures = 0;
  const mcuk_cview full{input.data(), 0,       0,
                        p->in.h,      p->in.w, p->in.w * p->in.c};
  mcuk_depthwise_conv2d(&p->conv, &full, &o, &whole);
  SetKernelAssertHandler(previous);
  CHECK(with_short_window > 0);
  CHECK(g_failures == 0);
}

}  // namespace
}  // namespace mcutune::codegen::testing
