// Property tests of the C kernel library against the reference interpreter
// (graph/kernels), both requantization modes, on random single-operator
// graphs (deterministic seeds):
// - whole-tensor calls equal the reference output byte for byte;
// - region calls with windowed input / output views (random regions, margins,
//   padded row strides, border patches) equal the slice of the whole output
//   and write nothing outside the region;
// - in-place depthwise equals out-of-place, whole and per region.
#include <catch2/catch.hpp>
#include <cmath>
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
// graphs above stay below 20): the DSP 1x1 kernel's adjacent-pixel loop
// (mcuk_dot_2x2_adj, in_c >= 32), every remainder of in_c modulo 8, odd
// widths (pixel pairs spanning two rows) and strides 1 and 2.
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
