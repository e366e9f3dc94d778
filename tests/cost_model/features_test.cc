// Feature extraction on a small zoo network (ds-cnn-kws), with the class
// splits worked out by hand from its architecture (configs/models):
//   input 49x10x1
//   conv_k10x4_s2_c64   -> 25x5x64: 25*5*64 * 10*4*1       =   320,000 MACs
//   ds_k3_s1_c64 x4     dw 3x3 s1: 25*5*64 * 9    (x4)     =   288,000
//                       pw 1x1 64->64: 25*5*64 * 64 (x4)   = 2,048,000
//   pool_avg            global 25x5 window: 64 * 125       =     8,000 elems
//   fc_c12              64 * 12                            =       768
//   total                                                    2,656,768 MACs
#include "cost_model/features.h"

#include <catch2/catch.hpp>
#include <string>

#include "codegen/emitter.h"
#include "graph/zoo/architecture.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tuner/space/board.h"
#include "tuner/space/enumerate.h"

namespace mcutune::cost_model {
namespace {

struct Fixture {
  graph::Graph graph;
  space::BoardSpec board;
  space::SpaceResult space;

  // A network and its qemu-f746 space (default: ds-cnn-kws of the zoo).
  explicit Fixture(const graph::zoo::Architecture& arch) {
    auto g = graph::zoo::Synthesize(arch, 1);
    REQUIRE(g.ok());
    graph = *std::move(g);
    auto b = space::FindBoard("qemu-f746");
    REQUIRE(b.ok());
    board = *b;
    auto s = space::Enumerate(graph, board);
    REQUIRE(s.ok());
    space = *std::move(s);
  }

  const space::Plan& Plan(const std::string& id) const {
    for (const space::Plan& p : space.plans) {
      if (p.candidate.Id() == id) return p;
    }
    FAIL("no candidate " << id);
    return space.plans.front();
  }

  // The first fitting plan of a strategy.
  const space::Plan* First(space::Strategy s) const {
    for (const space::Plan& p : space.plans) {
      if (p.candidate.strategy == s && p.metrics.fits) return &p;
    }
    return nullptr;
  }
};

const Fixture& Ds() {
  static const Fixture f(graph::zoo::FindInZoo("ds-cnn-kws")->arch);
  return f;
}

double MacClasses(const FeatureVector& f) {
  double s = 0;
  for (const char* n :
       {"macs.conv1x1", "macs.conv1x1_narrow", "macs.conv3x3", "macs.conv5x5",
        "macs.conv7x7", "macs.convkxk", "macs.dw3_s1", "macs.dw3_s2",
        "macs.dw5_s1", "macs.dw5_s2", "macs.dw7_s1", "macs.dw7_s2", "macs.dwk",
        "macs.dw_inplace", "macs.dw_multiplier", "macs.fc"}) {
    s += f.Get(n);
  }
  return s;
}

TEST_CASE("layer-wise features of ds-cnn-kws match the hand-worked split") {
  const Fixture& fx = Ds();
  const space::Plan& p = fx.Plan("layerwise-noip");
  auto f = ExtractFeatures(p, fx.graph, fx.board);
  REQUIRE(f.ok());
  CHECK(f->Get("macs.convkxk") == 320000);
  CHECK(f->Get("macs.dw3_s1") == 288000);
  CHECK(f->Get("macs.conv1x1") == 2048000);
  CHECK(f->Get("macs.conv1x1_narrow") == 0);
  CHECK(f->Get("macs.fc") == 768);
  CHECK(f->Get("macs.dw_inplace") == 0);
  CHECK(f->Get("elems.pool") == 8000);
  // Requantised outputs: 25*5*64 per conv-like layer.
  CHECK(f->Get("outputs.convkxk") == 8000);
  CHECK(f->Get("outputs.dw") == 4 * 8000);
  CHECK(f->Get("outputs.conv1x1") == 4 * 8000);
  CHECK(f->Get("outputs.fc") == 12);
  // im2col of the 10x4 stem (SAME, stride 2 on 49x10: pad_top 4, pad_left
  // 1): 125 pixels x 40 bytes. Columns: ix0 = 2 ox - 1 for ox 0..4 is
  // -1 1 3 5 7; windows of 4 fit for ix0 in {1, 3, 5}: 3 contiguous pixels
  // (1 call per filter row), 2 border pixels (4 calls per in-image row, 1
  // per padding row). Rows: iy = 2 oy - 4 + ky; padding rows (iy < 0 or
  // >= 49) over oy 0..24, ky 0..9: oy 0: 4, oy 1: 2, oy 22: 1, oy 23: 3,
  // oy 24: 5 -> 15. Calls = (250 - 15) * (3 + 2 * 4) + 15 * 5 = 2660.
  CHECK(f->Get("im2col.bytes") == 5000);
  CHECK(f->Get("im2col.calls") == 2660);
  // Dot tails: the stem's 40 and the pointwise 64 are multiples of 4; the
  // FC's 64 too.
  CHECK(f->Get("macs.dot_tail") == 0);
  CHECK(f->Get("macs.conv_generic") == 320000);
  CHECK(f->Get("macs.dw3") == 288000);
  CHECK(f->Get("macs.dw_large") == 0);
  // 3x3 SAME on 25x5: interior rows 1..23 (23), columns 1..3 (3): 69 of
  // 125 pixels interior, 56 border pixels x 64 channels x 9 taps, x4.
  CHECK(f->Get("macs.dw_border") == 4 * 56 * 64 * 9);
  CHECK(MacClasses(*f) == 2656768);
  CHECK(f->Get("macs.total") == 2656768);
  CHECK(f->Get("macs.planned") == static_cast<double>(p.metrics.macs_total));
  CHECK(f->Get("macs.recomputed") == 0);
  CHECK(f->Get("kernel_calls") == static_cast<double>(p.metrics.kernel_calls));
  CHECK(f->Get("copy.bytes") == 0);
  CHECK(f->Get("one") == 1);
  CHECK(f->Get("sram.peak_bytes") ==
        static_cast<double>(p.memory.peak_sram_bytes));
}

TEST_CASE("in-place depthwise steps are their own class") {
  const Fixture& fx = Ds();
  auto f = ExtractFeatures(fx.Plan("layerwise"), fx.graph, fx.board);
  REQUIRE(f.ok());
  CHECK(f->Get("macs.dw_inplace") == 288000);
  CHECK(f->Get("macs.dw3_s1") == 0);
  CHECK(f->Get("macs.dw_border") == 0);
  // The in-place kernel's checked loop runs the same 56 border pixels of
  // each layer (see the hand-worked split above); 3x3 interiors unrolled.
  CHECK(f->Get("macs.dw_inplace_border") == 4 * 56 * 64 * 9);
  CHECK(f->Get("macs.dw_inplace_generic") == 0);
  // Window copied per layer: the 25x5x64 input (stride 1 reads every row).
  CHECK(f->Get("inplace.window_bytes") == 4 * 8000);
  CHECK(MacClasses(*f) == 2656768);
}

TEST_CASE("in-place 5x5 interiors are priced on the general loop") {
  // dw 5x5 SAME stride 1 on 9x9x8: 81 * 8 * 25 = 16200 MACs; windows inside
  // the image for outputs 2..6 in each dimension: 25 interior pixels
  // (5000 MACs on the general loop), 56 border pixels (11200 MACs).
  auto arch = graph::zoo::ParseArchitecture(R"({
    "name": "dw5-probe", "input": [9, 9, 8], "layers": ["ds_k5_s1_c8"]})");
  REQUIRE(arch.ok());
  const Fixture fx(*arch);
  for (const char* id : {"layerwise", "layerwise-noip"}) {
    INFO(id);
    auto f = ExtractFeatures(fx.Plan(id), fx.graph, fx.board);
    REQUIRE(f.ok());
    const bool inplace = std::string(id) == "layerwise";
    CHECK(f->Get("macs.dw_inplace") == (inplace ? 16200 : 0));
    CHECK(f->Get("macs.dw_inplace_border") == (inplace ? 11200 : 0));
    CHECK(f->Get("macs.dw_inplace_generic") == (inplace ? 5000 : 0));
    CHECK(f->Get("macs.dw5_s1") == (inplace ? 0 : 16200));
    CHECK(f->Get("macs.dw_border") == (inplace ? 0 : 11200));
  }
}

TEST_CASE("patch schedules recompute, stream-2D schedules copy instead") {
  const Fixture& fx = Ds();
  // A stage of 3 operators (stem, dw, pw) on a 2x2 grid: windows overlap.
  const space::Plan* patch = nullptr;
  for (const space::Plan& p : fx.space.plans) {
    if (p.candidate.strategy == space::Strategy::kPatch && p.metrics.fits &&
        p.candidate.split_idx == 3 && p.candidate.n_patch == 2) {
      patch = &p;
    }
  }
  const space::Plan* s2 = nullptr;
  REQUIRE(patch != nullptr);
  for (const space::Plan& p : fx.space.plans) {
    if (p.candidate.strategy == space::Strategy::kStream2D && p.metrics.fits &&
        p.candidate.n_patch == patch->candidate.n_patch &&
        p.candidate.split_idx == patch->candidate.split_idx) {
      s2 = &p;
    }
  }
  REQUIRE(s2 != nullptr);
  auto fp = ExtractFeatures(*patch, fx.graph, fx.board);
  auto fs = ExtractFeatures(*s2, fx.graph, fx.board);
  REQUIRE(fp.ok());
  REQUIRE(fs.ok());
  INFO(patch->candidate.Id() << " vs " << s2->candidate.Id());
  CHECK(fp->Get("macs.total") == MacClasses(*fp));
  // Executed MACs never exceed the planner's (uniform patches plan more).
  CHECK(fp->Get("macs.total") <= fp->Get("macs.planned"));
  CHECK(fp->Get("macs.recomputed") > 0);
  CHECK(fp->Get("macs.recomputed") == fp->Get("macs.total") - 2656768);
  CHECK(fp->Get("copy.calls") == 0);
  CHECK(fs->Get("macs.recomputed") == 0);
  CHECK(fs->Get("macs.total") == 2656768);
  CHECK(fs->Get("copy.calls") > 0);
  CHECK(fs->Get("copy.bytes") > 0);
  const double stage_ops = patch->candidate.split_idx;
  const double patches = patch->candidate.n_patch * patch->candidate.n_patch;
  CHECK(fp->Get("stage.calls") <= stage_ops * patches);
  CHECK(fp->Get("stage.calls") > 0);
}

TEST_CASE("tinyops plans report DMA copies") {
  const Fixture& fx = Ds();
  const space::Plan* t = fx.First(space::Strategy::kTinyOps);
  REQUIRE(t != nullptr);
  auto f = ExtractFeatures(*t, fx.graph, fx.board);
  REQUIRE(f.ok());
  CHECK(f->Get("dma.transfers") ==
        static_cast<double>(t->metrics.dma_transfers));
  CHECK(f->Get("copy.calls") == f->Get("dma.transfers"));
  CHECK(f->Get("copy.bytes") > 0);
  CHECK(f->Get("ext.traffic_bytes") ==
        static_cast<double>(t->metrics.ext_traffic_bytes));
  // Ext memory wait states (6 for SDRAM, 20 for QSPI on f746) weight bytes.
  CHECK(f->Get("ext.wait_bytes") >= 6 * f->Get("ext.traffic_bytes") * 0.99);
  CHECK(MacClasses(*f) == 2656768);
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1))
    ++n;
  return n;
}

// The code generator is what the features describe: calls, copies and the
// in-place depthwise kernel must match what it emits, for every strategy.
TEST_CASE("calls, copies and in-place depthwise match the emitted code") {
  const Fixture& fx = Ds();
  int checked = 0;
  for (const space::Plan& p : fx.space.plans) {
    if (!p.metrics.fits) continue;
    // A spread of candidates: every 23rd one (all families appear).
    if (++checked % 23 != 1) continue;
    INFO(p.candidate.Id());
    auto f = ExtractFeatures(p, fx.graph, fx.board);
    REQUIRE(f.ok());
    auto m = codegen::EmitModel(fx.graph, p, {});
    REQUIRE(m.ok());
    std::string text;
    for (const codegen::EmittedFile& file : m->files) text += file.text;
    CHECK(f->Get("kernel_calls") == static_cast<double>(m->kernel_calls));
    CHECK(f->Get("copy.calls") == static_cast<double>(m->copies));
    const int inplace = Count(text, "mcuk_depthwise_conv2d_inplace(");
    CHECK((f->Get("macs.dw_inplace") > 0) == (inplace > 0));
    // Every depthwise MAC lands in exactly one depthwise class, at least
    // the layer-wise 288,000 (more with recomputation).
    CHECK(f->Get("macs.dw_inplace") + f->Get("macs.dw3") +
              f->Get("macs.dw_large") >=
          288000);
  }
  CHECK(checked > 100);
}

TEST_CASE("plans without details are refused, bad plans rejected") {
  const Fixture& fx = Ds();
  space::Plan p = fx.Plan("layerwise");
  space::Plan bare = p;
  bare.steps.clear();
  bare.buffers.clear();
  CHECK(ExtractFeatures(bare, fx.graph, fx.board).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  space::Plan bad = p;
  bad.steps[0].op = 9999;
  CHECK(ExtractFeatures(bad, fx.graph, fx.board).status().code() ==
        absl::StatusCode::kInvalidArgument);
  bad = p;
  bad.steps[0].writes = {12345};
  CHECK(ExtractFeatures(bad, fx.graph, fx.board).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("feature JSON round-trips and validates") {
  FeatureVector f;
  f.Set("macs.conv1x1", 1234);
  f.Set("copy.bytes", 0.5);
  f.Set("no.such.feature", 7);  // ignored
  auto back = FeaturesFromJson(FeaturesToJson(f));
  REQUIRE(back.ok());
  CHECK(back->values == f.values);
  CHECK(FeaturesToJson(FeatureVector()) == "{}");
  CHECK(FeaturesFromJson("{\"bogus\": 1}").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(FeaturesFromJson("{\"one\": -1}").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(FeaturesFromJson("{\"one\": \"x\"}").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(FeaturesFromJson("[1]").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(FeatureIndex("one") == 0);
  CHECK(FeatureIndex("nope") == -1);
}

}  // namespace
}  // namespace mcutune::cost_model
