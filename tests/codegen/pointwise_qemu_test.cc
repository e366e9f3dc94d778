// The pointwise convolution kernel (codegen/kernels/conv_1x1_paired.c: its
// inline-assembly loops run only on the Cortex-M targets) on QEMU: a chain
// of 1x1 convolutions whose input channel counts take every loop form (4k
// channels for k = 1..4 unrolled, k % 8 == 0, k % 4 == 0, other k), pixel
// counts that leave blocks of three, two and single pixels, stride 2, a PAD
// the patch plans fuse into the next convolution (border pixels) and a
// layer the emitter cannot pair (odd out_c, in_c % 4 != 0: the general
// kernel). Built layer-wise and as a patch plan for qemu-f746 (M7) and
// qemu-f469 (M4), layer-wise for qemu-l552 (M33), both requantization
// modes, DSP and portable paths; the output hash must be the reference
// interpreter's.
#include <catch2/catch.hpp>
#include <filesystem>

#include "base/subprocess.h"
#include "codegen/builder.h"
#include "codegen/host_verifier.h"
#include "codegen/kernel_params.h"
#include "tests/codegen/emitter_testing.h"
#include "tests/codegen/qemu_testing.h"
#include "tests/graph/probe_graphs.h"
#include "tests/testing/cli_runner.h"
#include "tuner/space/board.h"
#include "tests/testing/qemu_tools.h"

namespace mcutune::codegen {
namespace {

namespace fs = std::filesystem;
namespace pg = ::mcutune::testing;

// input 7x7x12 -> 1x1 convs 12->16->20->8->64->48->36->24->28, PAD 1, 28->4
// (stride 2: 5x5), 4->6, 6->5 (unpaired). in_c / 4 = 3, 4, 5, 2, 16, 12, 9,
// 6, 7, 1, (unpaired): every loop form, single groups 1..3 before the loop
// of four; linear layers (full range, any zero point), clamped ReLU / ReLU6
// and full-range ReLU6.
graph::Graph PointwiseChain() {
  pg::ProbeBuilder b("pointwise_chain");
  int t = b.Input("input", {1, 7, 7, 12}, pg::Q(0.05f, -3));
  int h = 7, cin = 12, zp = -3;
  float s_in = 0.05f;
  int layer = 0;
  // full: a ReLU6 whose range covers every int8 code (zero point -128,
  // scale 6/255), the unclamped requantization with unsigned saturation.
  auto conv = [&](int cout, int stride, graph::Activation act,
                  bool full = false) {
    const std::string n = "pw" + std::to_string(layer++);
    const graph::Quantization wq = pg::PerChannel(cout, 0.01f, 0);
    const int w = b.Int8Const(n + "/w", {cout, 1, 1, cin}, wq);
    graph::Quantization bq = wq;
    for (float& x : bq.scale) x *= s_in;
    const int bias = b.Int32Const(n + "/b", {cout}, pg::BiasValues(cout), bq);
    const int oh = (h + stride - 1) / stride;
    const float s_out =
        full ? 6.0f / 255.0f : s_in * 0.01f * 6.0f * static_cast<float>(cin);
    zp = full ? -128 : layer % 3 - 1;
    const int out = b.Act(n, {1, oh, oh, cout}, pg::Q(s_out, zp));
    graph::OpOptions o;
    o.padding = graph::Padding::kSame;
    o.stride_h = o.stride_w = stride;
    o.activation = act;
    b.Op(graph::OpType::kConv2D, {t, w, bias}, out, o);
    t = out, h = oh, cin = cout, s_in = s_out;
  };
  conv(16, 1, graph::Activation::kRelu6);
  conv(20, 1, graph::Activation::kNone);
  conv(8, 1, graph::Activation::kRelu);
  conv(64, 1, graph::Activation::kRelu6);
  conv(48, 1, graph::Activation::kNone);
  conv(36, 1, graph::Activation::kRelu6);
  conv(24, 1, graph::Activation::kRelu6, true);
  conv(28, 1, graph::Activation::kRelu6, true);
  {
    const int pads = b.Int32Const("pads", {4, 2}, {0, 0, 1, 1, 1, 1, 0, 0});
    const int padded = b.Act("padded", {1, h + 2, h + 2, cin}, pg::Q(s_in, zp));
    b.Op(graph::OpType::kPad, {t, pads}, padded);
    t = padded, h += 2;
  }
  conv(4, 2, graph::Activation::kNone);
  conv(6, 1, graph::Activation::kRelu6);
  conv(5, 1, graph::Activation::kNone);
  return b.Finish(t);
}

TEST_CASE("pointwise convolutions match the interpreter on QEMU M7 / M4 / M33",
          "[emitter][kernels][qemu]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  const graph::Graph g = PointwiseChain();
  REQUIRE(graph::ValidateGraph(g).ok());
  int paired = 0;
  for (int op = 0; op < static_cast<int>(g.ops.size()); ++op) {
    absl::StatusOr<OpParams> p =
        MakeOpParams(g, op, graph::RequantMode::kSingleRounding);
    REQUIRE(p.ok());
    paired += p->conv.filter_layout == MCUK_FILTER_1X1_PAIRED;
  }
  CHECK(paired == 10);  // all but the PAD and the 6 -> 5 layer
  const std::vector<int8_t> input = GoldenInputs(g, 3)[0];
  struct Run {
    const char* board;
    bool patch;
    graph::RequantMode mode;
    bool portable;
  };
  const Run runs[] = {
      {"qemu-f746", false, graph::RequantMode::kSingleRounding, false},
      {"qemu-f746", true, graph::RequantMode::kDoubleRounding, false},
      {"qemu-f469", true, graph::RequantMode::kSingleRounding, false},
      {"qemu-f469", false, graph::RequantMode::kDoubleRounding, true},
      {"qemu-l552", false, graph::RequantMode::kSingleRounding, false},
  };
  int patch_runs = 0;
  for (const Run& r : runs) {
    absl::StatusOr<space::BoardSpec> board = space::FindBoard(r.board);
    REQUIRE(board.ok());
    const space::Plan* plan = nullptr;
    const std::vector<space::Plan> plans = testing::AllPlans(g, r.board);
    for (const space::Plan& p : plans) {
      const bool is_patch =
          p.candidate.strategy != space::Strategy::kLayerwise &&
          p.candidate.strategy != space::Strategy::kTinyOps;
      if (p.metrics.fits && is_patch == r.patch &&
          (plan == nullptr || p.candidate.n_patch > plan->candidate.n_patch)) {
        plan = &p;
      }
    }
    if (plan == nullptr) continue;  // no patch plan fits: layer-wise only
    patch_runs += r.patch;
    BuilderOptions bo;
    bo.requant = r.mode;
    bo.input = input;
    bo.work_dir = ::mcutune::testing::MakeTempDir("mcutune_pw_qemu");
    if (r.portable) bo.firmware.defines.push_back({"MCUK_PORTABLE", ""});
    absl::StatusOr<ModelBuild> b = MakeBuilder(g, bo)->Build(*plan, *board);
    REQUIRE(b.ok());
    INFO(r.board << " " << plan->candidate.Id() << " stage " << b->stage << " "
                 << b->error << "\n"
                 << b->firmware.log.substr(0, 3000));
    REQUIRE(b->ok);
    const device_farm::Measurement m =
        testing::RunOnBoardQemu(b->firmware.elf_path, *board);
    CHECK(m.output_sha256 == testing::ReferenceOutputsHash(g, {input}, r.mode));
    CHECK(m.arena_bytes == plan->memory.peak_sram_bytes);
    fs::remove_all(bo.work_dir);
  }
  CHECK(patch_runs >= 1);
}

}  // namespace
}  // namespace mcutune::codegen
