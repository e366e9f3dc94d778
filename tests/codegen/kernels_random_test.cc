// Property tests of the C kernel library against the reference interpreter
// (graph/kernels), both requantization modes, on random single-operator
// graphs (deterministic seeds):
// - whole-tensor calls equal the reference output byte for byte;
// - region calls with windowed input / output views (random regions, margins,
//   padded row strides, border patches) equal the slice of the whole output
//   and write nothing outside the region;
// - in-place depthwise equals out-of-place, whole and per region.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "tests/codegen/kernel_harness.h"
#include "tests/graph/probe_graphs.h"

namespace mcutune::codegen::testing {
namespace {

using graph::RequantMode;

const char* ModeName(RequantMode m) {
  return m == RequantMode::kSingleRounding ? "single" : "double";
}

std::vector<Bytes> RandomInputs(const graph::Graph& g, std::mt19937& rng) {
  std::vector<Bytes> inputs;
  for (int t : g.inputs)
    inputs.push_back(RandomBytes(g.tensors[t].num_elements(), rng));
  return inputs;
}

std::vector<const Bytes*> Pointers(const std::vector<Bytes>& v) {
  std::vector<const Bytes*> p;
  for (const Bytes& b : v) p.push_back(&b);
  return p;
}

// Random regions: whole, single rows / pixels, corners and interior boxes.
std::vector<mcuk_region> Regions(const Dims& d, std::mt19937& rng) {
  auto pick = [&](int n, int* a, int* b) {
    *a = std::uniform_int_distribution<int>(0, n - 1)(rng);
    *b = std::uniform_int_distribution<int>(*a + 1, n)(rng);
  };
  std::vector<mcuk_region> regions = {
      {0, d.h, 0, d.w},                            // whole
      {0, std::min(d.h, 2), 0, std::min(d.w, 3)},  // top-left patch
      {d.h - 1, d.h, std::max(0, d.w - 2), d.w},   // bottom-right
  };
  for (int i = 0; i < 5; ++i) {
    mcuk_region r{};
    pick(d.h, &r.y0, &r.y1);
    pick(d.w, &r.x0, &r.x1);
    regions.push_back(r);
  }
  return regions;
}

void CheckKind(KernelKind kind, int cases) {
  for (RequantMode mode :
       {RequantMode::kSingleRounding, RequantMode::kDoubleRounding}) {
    std::mt19937 rng(1234u + static_cast<unsigned>(kind) * 7919u +
                     (mode == RequantMode::kDoubleRounding ? 1 : 0));
    int checked = 0;
    for (int i = 0; i < cases; ++i) {
      const graph::Graph g = RandomOpGraph(kind, rng);
      const std::vector<Bytes> inputs = RandomInputs(g, rng);
      const std::vector<Bytes> ref = ReferenceTensors(g, inputs, mode);
      INFO(KernelKindName(kind) << " mode " << ModeName(mode) << " case " << i);
      REQUIRE(!ref.empty());
      const Bytes& want = ref[g.ops[0].outputs[0]];
      absl::StatusOr<OpParams> p = MakeOpParams(g, 0, mode);
      INFO(p.status().ToString());
      REQUIRE(p.ok());
      const std::vector<const Bytes*> in = Pointers(inputs);
      REQUIRE(RunWhole(*p, in) == want);
      if (IsSpatial(kind)) {
        for (const mcuk_region& r : Regions(p->out, rng)) {
          INFO("region y[" << r.y0 << "," << r.y1 << ") x[" << r.x0 << ","
                           << r.x1 << ")");
          const RegionResult got = RunRegion(*p, in, r, rng, 2);
          CHECK(got.clean);
          REQUIRE(got.values == Slice(want, p->out, r));
        }
      }
      if (SupportsInplaceDepthwise(*p)) {
        REQUIRE(RunInplaceWhole(*p, inputs[0]) == want);
        for (const mcuk_region& r : Regions(p->out, rng)) {
          const RegionResult got = RunRegion(*p, in, r, rng, 2, true);
          REQUIRE(got.values == Slice(want, p->out, r));
        }
      }
      ++checked;
    }
    CHECK(checked == cases);
  }
}

TEST_CASE("conv2d kernels are bit-exact (1x1, kxk, strided, dilated)",
          "[codegen][kernels]") {
  CheckKind(KernelKind::kConv2D, 300);
}

// Pointwise convolutions with the channel counts of real networks (the random
// graphs above stay below 20): every remainder of in_c modulo 8 (paired
// layout when in_c % 4 == 0 and out_c is even, else the general kernel),
// odd widths and strides 1 and 2. OHWI filters also go straight to
// mcuk_conv2d_1x1 (for direct callers: its adjacent-pixel DSP loop
// mcuk_dot_2x2_adj, in_c >= 32, pixel pairs spanning two rows).
TEST_CASE("1x1 conv kernel is bit-exact with many input channels",
          "[codegen][kernels]") {
  namespace pg = mcutune::testing;
  std::mt19937 rng(4242u);
  auto uniform = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  for (RequantMode mode :
       {RequantMode::kSingleRounding, RequantMode::kDoubleRounding}) {
    for (int i = 0; i < 48; ++i) {
      const int cin = 32 + i % 40, cout = uniform(1, 9);
      const int stride = i % 6 == 5 ? 2 : 1;
      const int ih = uniform(1, 6), iw = uniform(1, 7);
      const int oh = (ih + stride - 1) / stride, ow = (iw + stride - 1) / stride;
      pg::ProbeBuilder b("pointwise");
      const float s_in = 0.05f, s_w = 0.01f;
      const int in_t = b.Input("input", {1, ih, iw, cin}, pg::Q(s_in, uniform(-20, 20)));
      const graph::Quantization wq = pg::PerChannel(cout, s_w, 0);
      const int w = b.Int8Const("w", {cout, 1, 1, cin}, wq);
      graph::Quantization bq = wq;
      for (float& x : bq.scale) x *= s_in;
      const int bias = b.Int32Const("b", {cout}, pg::BiasValues(cout), bq);
      const float s_out = s_in * s_w * std::sqrt(float(cin)) * 74.0f * 74.0f / 60.0f;
      const int out_t = b.Act("out", {1, oh, ow, cout}, pg::Q(s_out, uniform(-30, 30)));
      graph::OpOptions o;
      o.padding = graph::Padding::kSame;
      o.stride_h = o.stride_w = stride;
      o.activation = i % 3 == 0 ? graph::Activation::kRelu6 : graph::Activation::kNone;
      b.Op(graph::OpType::kConv2D, {in_t, w, bias}, out_t, o);
      const graph::Graph g = b.Finish(out_t);
      const std::vector<Bytes> inputs = RandomInputs(g, rng);
      const std::vector<Bytes> ref = ReferenceTensors(g, inputs, mode);
      INFO("mode " << ModeName(mode) << " case " << i << " cin " << cin << " cout " << cout
                   << " " << ih << "x" << iw << " stride " << stride);
      REQUIRE(!ref.empty());
      const Bytes& want = ref[g.ops[0].outputs[0]];
      absl::StatusOr<OpParams> p = MakeOpParams(g, 0, mode);
      INFO(p.status().ToString());
      REQUIRE(p.ok());
      const std::vector<const Bytes*> in = Pointers(inputs);
      REQUIRE(RunWhole(*p, in) == want);
      for (const mcuk_region& r : Regions(p->out, rng)) {
        INFO("region y[" << r.y0 << "," << r.y1 << ") x[" << r.x0 << "," << r.x1 << ")");
        const RegionResult got = RunRegion(*p, in, r, rng, 2);
        CHECK(got.clean);
        REQUIRE(got.values == Slice(want, p->out, r));
      }
      if (p->conv.filter_layout == MCUK_FILTER_OHWI) {
        Bytes direct(p->out.elements());
        const mcuk_cview iv{inputs[0].data(), 0, 0, p->in.h, p->in.w, p->in.w * cin};
        const mcuk_view ov{direct.data(), 0, 0, p->out.h, p->out.w, p->out.w * cout};
        const mcuk_region whole{0, p->out.h, 0, p->out.w};
        mcuk_conv2d_1x1(&p->conv, &iv, &ov, &whole);
        REQUIRE(direct == want);
      }
    }
  }
}

// A pointwise CONV_2D graph: input h x w x cin (zero point zp_in) -> cout
// channels, stride `stride`; the filter / bias are the builder's patterns
// unless given.
graph::Graph PointwiseGraph(int h, int w, int cin, int cout, int stride,
                            int zp_in, const std::vector<int8_t>* filter = nullptr,
                            const std::vector<int32_t>* bias = nullptr) {
  namespace pg = mcutune::testing;
  const int oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
  pg::ProbeBuilder b("pointwise");
  const float s_in = 0.05f, s_w = 0.01f;
  const int in_t = b.Input("input", {1, h, w, cin}, pg::Q(s_in, zp_in));
  const graph::Quantization wq = pg::PerChannel(cout, s_w, 0);
  const int wt = b.Int8Const("w", {cout, 1, 1, cin}, wq);
  graph::Quantization bq = wq;
  for (float& x : bq.scale) x *= s_in;
  const int bt = b.Int32Const("b", {cout}, bias ? *bias : pg::BiasValues(cout), bq);
  const float s_out = s_in * s_w * std::sqrt(float(cin)) * 74.0f * 74.0f / 60.0f;
  const int out_t = b.Act("out", {1, oh, ow, cout}, pg::Q(s_out, 7));
  graph::OpOptions o;
  o.padding = graph::Padding::kSame;
  o.stride_h = o.stride_w = stride;
  o.activation = cout % 4 == 2 ? graph::Activation::kRelu6 : graph::Activation::kNone;
  b.Op(graph::OpType::kConv2D, {in_t, wt, bt}, out_t, o);
  graph::Graph g = b.Finish(out_t);
  if (filter) {
    std::vector<uint8_t>& bytes = g.buffers[g.tensors[wt].buffer];
    std::memcpy(bytes.data(), filter->data(), bytes.size());
  }
  return g;
}

// Whole and region calls of op 0 of g equal the reference on `inputs`.
void CheckPointwise(const graph::Graph& g, const std::vector<Bytes>& inputs,
                    RequantMode mode, int layout, std::mt19937& rng) {
  const std::vector<Bytes> ref = ReferenceTensors(g, inputs, mode);
  REQUIRE(!ref.empty());
  const Bytes& want = ref[g.ops[0].outputs[0]];
  absl::StatusOr<OpParams> p = MakeOpParams(g, 0, mode);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  REQUIRE(p->conv.filter_layout == layout);
  const std::vector<const Bytes*> in = Pointers(inputs);
  REQUIRE(RunWhole(*p, in) == want);
  for (const mcuk_region& r : Regions(p->out, rng)) {
    INFO("region y[" << r.y0 << "," << r.y1 << ") x[" << r.x0 << "," << r.x1 << ")");
    const RegionResult got = RunRegion(*p, in, r, rng, 2);
    CHECK(got.clean);
    REQUIRE(got.values == Slice(want, p->out, r));
  }
}

// The channel-paired pointwise layout (in_c % 4 == 0, out_c even): every
// remainder of the pixel count modulo the DSP path's block of three, single
// groups and four-group iterations of its loops, strides 1 and 2.
TEST_CASE("paired 1x1 conv kernel is bit-exact", "[codegen][kernels]") {
  std::mt19937 rng(777u);
  const int cins[] = {4, 8, 12, 16, 20, 28, 36, 64, 100};
  int i = 0;
  for (RequantMode mode :
       {RequantMode::kSingleRounding, RequantMode::kDoubleRounding}) {
    for (int cin : cins) {
      for (int cout : {2, 4, 6, 10}) {
        const int h = 1 + i % 4, w = 1 + (i * 7) % 5, stride = i % 5 == 4 ? 2 : 1;
        ++i;
        const graph::Graph g = PointwiseGraph(h, w, cin, cout, stride, (i % 41) - 20);
        INFO("mode " << ModeName(mode) << " cin " << cin << " cout " << cout << " "
                     << h << "x" << w << " stride " << stride);
        CheckPointwise(g, RandomInputs(g, rng), mode, MCUK_FILTER_1X1_PAIRED, rng);
      }
    }
  }
}

// The layout's value ranges (mcu_kernels.h): at the edges it is still used
// and exact for the most extreme inputs; past them the filter stays OHWI.
TEST_CASE("paired 1x1 layout holds at its value-range edges",
          "[codegen][kernels]") {
  std::mt19937 rng(99u);
  const int cin = 64, cout = 4;
  for (RequantMode mode :
       {RequantMode::kSingleRounding, RequantMode::kDoubleRounding}) {
    // w[c1] = -128 is fine where w[c0] >= 0, not where w[c0] < 0.
    std::vector<int8_t> f(cout * cin);
    for (int k = 0; k < cin; ++k) {
      f[k] = static_cast<int8_t>(k % 2 ? 127 : 0);  // c0
      f[cin + k] = -128;                             // c1
      f[2 * cin + k] = static_cast<int8_t>(k % 2 ? (k % 3 ? 0 : 127) : -128);
      f[3 * cin + k] = static_cast<int8_t>(k % 2 ? -128 : 127);
    }
    std::vector<int32_t> bias = {1000, -2000, 3000, -4000};
    // |bias[c1]| + 128 * sum |w[c1]| just below 2^23 for channel 1 (zp_in 0:
    // nothing folded into the bias).
    bias[1] = -((1 << 23) - 1 - 128 * 128 * cin);
    for (int extreme : {-128, 127, 0}) {
      const graph::Graph g = PointwiseGraph(3, 5, cin, cout, 1, 0, &f, &bias);
      std::vector<Bytes> inputs = RandomInputs(g, rng);
      if (extreme != 0) std::fill(inputs[0].begin(), inputs[0].end(), extreme);
      INFO("mode " << ModeName(mode) << " input " << extreme);
      CheckPointwise(g, inputs, mode, MCUK_FILTER_1X1_PAIRED, rng);
    }
    std::vector<int32_t> over = bias;
    over[1] -= 1;  // the bound reached
    const graph::Graph g_bias = PointwiseGraph(3, 5, cin, cout, 1, 0, &f, &over);
    CheckPointwise(g_bias, RandomInputs(g_bias, rng), mode, MCUK_FILTER_OHWI, rng);
    std::vector<int8_t> neg = f;
    neg[5] = -1;  // c0 < 0 under a c1 of -128: V leaves int16
    const graph::Graph g_v = PointwiseGraph(3, 5, cin, cout, 1, 0, &neg, &bias);
    CheckPointwise(g_v, RandomInputs(g_v, rng), mode, MCUK_FILTER_OHWI, rng);
  }
}

// A PAD fused into a pointwise convolution (the patch emitter's form): the
// kernel reads the input zero point outside the image.
TEST_CASE("paired 1x1 kernel reads the zero point on the border",
          "[codegen][kernels]") {
  namespace pg = mcutune::testing;
  std::mt19937 rng(5u);
  for (RequantMode mode :
       {RequantMode::kSingleRounding, RequantMode::kDoubleRounding}) {
    for (int top : {0, 1, 2}) {
      const int h = 4, w = 5, cin = 24, cout = 6, left = 2 - top;
      const int ph = h + top + 1, pw = w + left + 2;
      pg::ProbeBuilder b("pad_pointwise");
      const int in_t = b.Input("input", {1, h, w, cin}, pg::Q(0.05f, -9));
      const int pads = b.Int32Const("pads", {4, 2}, {0, 0, top, 1, left, 2, 0, 0});
      const int padded = b.Act("padded", {1, ph, pw, cin}, pg::Q(0.05f, -9));
      b.Op(graph::OpType::kPad, {in_t, pads}, padded);
      const graph::Quantization wq = pg::PerChannel(cout, 0.01f, 0);
      const int wt = b.Int8Const("w", {cout, 1, 1, cin}, wq);
      graph::Quantization bq = wq;
      for (float& x : bq.scale) x *= 0.05f;
      const int bt = b.Int32Const("b", {cout}, pg::BiasValues(cout), bq);
      const int out_t = b.Act("out", {1, ph, pw, cout}, pg::Q(0.3f, -5));
      graph::OpOptions o;
      o.padding = graph::Padding::kValid;
      b.Op(graph::OpType::kConv2D, {padded, wt, bt}, out_t, o);
      const graph::Graph g = b.Finish(out_t);
      const std::vector<Bytes> inputs = RandomInputs(g, rng);
      const std::vector<Bytes> ref = ReferenceTensors(g, inputs, mode);
      REQUIRE(!ref.empty());
      const Bytes& want = ref[out_t];
      absl::StatusOr<OpParams> p = MakeOpParams(g, 1, mode);
      REQUIRE(p.ok());
      REQUIRE(p->conv.filter_layout == MCUK_FILTER_1X1_PAIRED);
      mcuk_conv_params c = p->conv;  // fused: reads the unpadded input
      c.in_h = h, c.in_w = w, c.pad_top = top, c.pad_left = left;
      const mcuk_cview in{inputs[0].data(), 0, 0, h, w, w * cin};
      for (const mcuk_region& r : Regions(p->out, rng)) {
        INFO("mode " << ModeName(mode) << " top " << top << " region y[" << r.y0 << ","
                     << r.y1 << ") x[" << r.x0 << "," << r.x1 << ")");
        Bytes got(p->out.elements(), 0);
        const mcuk_view out{got.data(), 0, 0, ph, pw, pw * cout};
        std::vector<int8_t> scratch(mcuk_conv2d_scratch_bytes(&c));
        mcuk_conv2d(&c, &in, &out, &r, scratch.data());
        REQUIRE(Slice(got, p->out, r) == Slice(want, p->out, r));
      }
    }
  }
}

TEST_CASE("depthwise kernels are bit-exact (3x3, multiplier, in place)",
          "[codegen][kernels]") {
  CheckKind(KernelKind::kDepthwiseConv2D, 300);
}

TEST_CASE("fully connected kernel is bit-exact", "[codegen][kernels]") {
  CheckKind(KernelKind::kFullyConnected, 300);
}

TEST_CASE("add kernel is bit-exact in both forms", "[codegen][kernels]") {
  CheckKind(KernelKind::kAdd, 300);
}

TEST_CASE("pooling kernels are bit-exact", "[codegen][kernels]") {
  CheckKind(KernelKind::kAveragePool, 200);
  CheckKind(KernelKind::kMaxPool, 200);
}

TEST_CASE("mean kernel is bit-exact", "[codegen][kernels]") {
  CheckKind(KernelKind::kMean, 200);
}

TEST_CASE("pad kernel is bit-exact", "[codegen][kernels]") {
  CheckKind(KernelKind::kPad, 200);
}

TEST_CASE("softmax kernel is bit-exact", "[codegen][kernels]") {
  CheckKind(KernelKind::kSoftmax, 200);
}

TEST_CASE("data movement kernels are bit-exact", "[codegen][kernels]") {
  CheckKind(KernelKind::kReshape, 50);
  CheckKind(KernelKind::kTranspose, 100);
  CheckKind(KernelKind::kConcatenation, 200);
}

}  // namespace
}  // namespace mcutune::codegen::testing
