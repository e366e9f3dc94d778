// The C kernels on every operator of real networks: the synthesized zoo
// (configs/models) and the golden models of ../shared/models ("[shared]",
// skipped with a warning when absent). Each operator gets its reference
// input tensors from the interpreter (which keeps every tensor) and must
// reproduce the reference output byte for byte, in both requantization
// modes; spatial operators also run on random regions with windowed views,
// and depthwise operators in place.
#include <catch2/catch.hpp>
#include <filesystem>

#include "graph/tflite_reader.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tests/codegen/kernel_harness.h"

namespace mcutune::codegen::testing {
namespace {

namespace fs = std::filesystem;
using graph::RequantMode;

// The golden generator of ../shared/golden/README.md.
Bytes GoldenInput(uint32_t seed, size_t n) {
  Bytes values(n);
  uint32_t s = seed;
  for (int8_t& v : values) {
    s = s * 1103515245u + 12345u;
    v = static_cast<int8_t>(static_cast<int>((s >> 16) & 255) - 128);
  }
  return values;
}

struct Counts {
  int ops = 0, regions = 0, inplace = 0;
};

// Checks every operator of `g`; returns what was checked.
Counts CheckGraph(const graph::Graph& g, RequantMode mode, uint32_t seed,
                  int regions_per_op) {
  Counts counts;
  std::vector<Bytes> inputs;
  for (int t : g.inputs) {
    inputs.push_back(GoldenInput(seed, g.tensors[t].num_elements()));
  }
  const std::vector<Bytes> values = ReferenceTensors(g, inputs, mode);
  REQUIRE(!values.empty());
  std::mt19937 rng(seed);
  for (int op = 0; op < static_cast<int>(g.ops.size()); ++op) {
    const graph::Operator& o = g.ops[op];
    INFO(g.name << " op " << op << " " << graph::OpTypeName(o.type)
                << (mode == RequantMode::kSingleRounding ? " single"
                                                         : " double"));
    absl::StatusOr<OpParams> p = MakeOpParams(g, op, mode);
    INFO(p.status().ToString());
    REQUIRE(p.ok());
    std::vector<const Bytes*> in;
    for (int t : o.inputs) {
      if (t >= 0 && !g.tensors[t].is_constant()) in.push_back(&values[t]);
    }
    const Bytes& want = values[o.outputs[0]];
    REQUIRE(RunWhole(*p, in) == want);
    ++counts.ops;
    if (IsSpatial(p->kind)) {
      for (int i = 0; i < regions_per_op; ++i) {
        std::uniform_int_distribution<int> ys(0, p->out.h - 1),
            xs(0, p->out.w - 1);
        mcuk_region r{};
        r.y0 = ys(rng), r.x0 = xs(rng);
        r.y1 = std::uniform_int_distribution<int>(r.y0 + 1, p->out.h)(rng);
        r.x1 = std::uniform_int_distribution<int>(r.x0 + 1, p->out.w)(rng);
        const RegionResult got = RunRegion(*p, in, r, rng, 3);
        CHECK(got.clean);
        REQUIRE(got.values == Slice(want, p->out, r));
        ++counts.regions;
      }
    }
    if (SupportsInplaceDepthwise(*p)) {
      REQUIRE(RunInplaceWhole(*p, *in[0]) == want);
      ++counts.inplace;
    }
  }
  return counts;
}

TEST_CASE("kernels reproduce every operator of the synthesized zoo",
          "[codegen][kernels][zoo]") {
  auto entries = graph::zoo::ListZoo();
  REQUIRE(entries.ok());
  REQUIRE(entries->size() >= 10);
  for (const auto& entry : *entries) {
    auto g = graph::zoo::Synthesize(entry.arch, /*seed=*/1);
    INFO(entry.path);
    REQUIRE(g.ok());
    for (RequantMode mode :
         {RequantMode::kSingleRounding, RequantMode::kDoubleRounding}) {
      const Counts c = CheckGraph(*g, mode, /*seed=*/1, /*regions_per_op=*/2);
      CHECK(c.ops == static_cast<int>(g->ops.size()));
    }
  }
}

TEST_CASE("kernels reproduce every operator of the golden models",
          "[codegen][kernels][shared]") {
  const fs::path models = fs::path(MCUTUNE_SHARED_DIR) / "models";
  const char* env = std::getenv("MCUTUNE_SHARED_DIR");
  const fs::path dir = env != nullptr ? fs::path(env) / "models" : models;
  if (!fs::is_directory(dir)) {
    WARN("SKIPPED: " << dir.string()
                     << " not found (a user's clone has no ../shared)");
    return;
  }
  int checked = 0;
  for (const char* name :
       {"ad01_int8", "kws_ref_model", "micro_speech_quantized",
        "mobilenet_v2_quantized_1x3x224x224", "pretrainedResnet_quant",
        "str_ww_ref_model", "vww_96_int8", "person_detect"}) {
    const fs::path path = dir / (std::string(name) + ".tflite");
    if (!fs::exists(path)) continue;
    absl::StatusOr<graph::Graph> g = graph::ImportTfliteFile(path.string());
    INFO(name << ": " << g.status().ToString());
    REQUIRE(g.ok());
    for (RequantMode mode :
         {RequantMode::kSingleRounding, RequantMode::kDoubleRounding}) {
      CheckGraph(*g, mode, /*seed=*/1, /*regions_per_op=*/1);
    }
    ++checked;
  }
  CHECK(checked >= 7);
}

}  // namespace
}  // namespace mcutune::codegen::testing
