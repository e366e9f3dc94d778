// Models with several inputs and outputs through the firmware path (model
// API version 2): a probe graph with two inputs x, y and two outputs
// (x + y, conv(y)) is planned, emitted, verified on the host, built with the
// harness for the host and for QEMU (qemu-f746), and the hash the firmware
// reports must be the SHA-256 of the reference interpreter's outputs
// concatenated in graph order, for inputs generated here independently of
// codegen::GoldenInputs (input i: the golden generator with seed + i) or
// embedded (all inputs concatenated in graph order). A single-input model's
// hash stays the plain hash of its one output on the classic generator.
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "codegen/builder.h"
#include "codegen/emitter.h"
#include "codegen/firmware_builder.h"
#include "codegen/host_verifier.h"
#include "device_farm/board.h"
#include "device_farm/qemu_runner.h"
#include "device_farm/result_line.h"
#include "graph/interpreter.h"
#include "graph/tflite_writer.h"
#include "tests/codegen/emitter_testing.h"
#include "tests/codegen/qemu_testing.h"
#include "tests/graph/probe_graphs.h"
#include "tests/testing/cli_runner.h"
#include "tuner/space/board.h"
#include "tests/testing/qemu_tools.h"

namespace mcutune::codegen {
namespace {

namespace fs = std::filesystem;
using ::mcutune::testing::ProbeBuilder;
using ::mcutune::testing::Q;

// Graph inputs (x, y), outputs (sum, conv). The conv on input 1 is the first
// op, so input 0 must survive a step it takes no part in; the output order
// differs from the op order.
graph::Graph TwoInTwoOut() {
  ProbeBuilder b("two_in_two_out");
  const int x = b.Input("x", {1, 6, 6, 4}, Q(0.1f, 2));
  const int y = b.Input("y", {1, 6, 6, 4}, Q(0.07f, -9));
  const graph::Quantization wq = ::mcutune::testing::PerChannel(5, 0.01f, 0);
  const int w = b.Int8Const("conv/weights", {5, 3, 3, 4}, wq);
  graph::Quantization bq = wq;
  for (float& s : bq.scale) s *= 0.07f;
  const int bias =
      b.Int32Const("conv/bias", {5}, ::mcutune::testing::BiasValues(5), bq);
  const int conv = b.Act("conv", {1, 6, 6, 5}, Q(0.05f, -20));
  graph::OpOptions o;
  o.padding = graph::Padding::kSame;
  o.activation = graph::Activation::kRelu6;
  b.Op(graph::OpType::kConv2D, {y, w, bias}, conv, o);
  const int sum = b.Act("sum", {1, 6, 6, 4}, Q(0.15f, -1));
  b.Op(graph::OpType::kAdd, {x, y}, sum);
  return b.Finish({sum, conv});
}

// The golden generator of ../shared/golden/README.md, written out here.
std::vector<int8_t> Lcg(uint32_t seed, int64_t n) {
  std::vector<int8_t> v(static_cast<size_t>(n));
  uint32_t s = seed;
  for (int8_t& x : v) {
    s = s * 1103515245u + 12345u;
    x = static_cast<int8_t>(static_cast<int>((s >> 16) & 255u) - 128);
  }
  return v;
}

// Input i from seed + i: the harness's convention.
std::vector<std::vector<int8_t>> SeededInputs(const graph::Graph& g,
                                              uint32_t seed) {
  std::vector<std::vector<int8_t>> in;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    in.push_back(Lcg(seed + static_cast<uint32_t>(i),
                     g.tensors[g.inputs[i]].bytes()));
  }
  return in;
}

std::string ReferenceHash(const graph::Graph& g,
                          const std::vector<std::vector<int8_t>>& inputs,
                          graph::RequantMode mode) {
  return testing::ReferenceOutputsHash(g, inputs, mode);
}

std::vector<int8_t> Concat(const std::vector<std::vector<int8_t>>& parts) {
  std::vector<int8_t> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

space::Plan FirstPlanOf(const graph::Graph& g, space::Strategy strategy) {
  for (space::Plan& p : testing::AllPlans(g, "qemu-f746")) {
    if (p.candidate.strategy == strategy && p.metrics.fits) return p;
  }
  FAIL("no fitting plan of strategy " << space::StrategyName(strategy));
  return {};
}

// Builds `fo` for the host, runs it and parses its result line.
device_farm::HarnessReport BuildAndRunHost(const FirmwareBuildOptions& fo) {
  absl::StatusOr<BuildResult> r = BuildHost(fo);
  REQUIRE(r.ok());
  INFO(r->log.substr(0, 3000));
  REQUIRE(r->ok);
  absl::StatusOr<base::SubprocessResult> run =
      base::RunSubprocess({r->host_executable});
  REQUIRE(run.ok());
  INFO(run->stdout_data << run->stderr_data);
  absl::StatusOr<device_farm::HarnessReport> report =
      device_farm::ParseResultLine(run->stdout_data);
  REQUIRE(report.ok());
  return *report;
}

// Emits `plan` with the harness API and builds it with the harness for the
// host; returns the parsed result line.
device_farm::HarnessReport RunHostHarness(
    const graph::Graph& g, const space::Plan& plan, const std::string& name,
    std::optional<std::vector<int8_t>> embedded) {
  const fs::path dir = ::mcutune::testing::MakeTempDir("mcutune_multi_io_" + name);
  EmitOptions eo;
  eo.input = embedded;
  absl::StatusOr<EmittedModel> m = EmitModel(g, plan, eo);
  REQUIRE(m.ok());
  REQUIRE(WriteEmittedModel(*m, dir.string()).ok());
  FirmwareBuildOptions fo;
  fo.work_dir = (dir / "build").string();
  fo.include_dirs = {dir.string()};
  fo.opt_level = "O1";
  for (const std::string& c : m->c_files()) {
    fo.sources.push_back((dir / c).string());
  }
  for (const fs::directory_entry& e :
       fs::directory_iterator(fs::path(FirmwareIncludeRoot()) / "codegen" / "kernels")) {
    if (e.path().extension() == ".c") fo.sources.push_back(e.path().string());
  }
  if (embedded.has_value()) fo.defines.push_back({"MCUTUNE_INPUT_ARRAY", "1"});
  device_farm::HarnessReport report = BuildAndRunHost(fo);
  fs::remove_all(dir);
  return report;
}

TEST_CASE("two-input two-output graph: GoldenInputs follow the harness's "
          "seed + i convention", "[emitter]") {
  const graph::Graph g = TwoInTwoOut();
  REQUIRE(g.inputs.size() == 2);
  CHECK(GoldenInputs(g, 4) == SeededInputs(g, 4));
  const std::vector<int8_t> all = Concat(SeededInputs(g, 4));
  CHECK(ConcatTensors(SeededInputs(g, 4)) == all);
  absl::StatusOr<std::vector<std::vector<int8_t>>> split = SplitInputs(g, all);
  REQUIRE(split.ok());
  CHECK(*split == SeededInputs(g, 4));
  absl::StatusOr<std::vector<std::vector<int8_t>>> bad =
      SplitInputs(g, std::vector<int8_t>(all.begin(), all.end() - 1));
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()),
             Catch::Contains("287 bytes") && Catch::Contains("144 + 144"));
}

TEST_CASE("two-input two-output graph: every planned strategy is bit-exact "
          "on the host", "[emitter]") {
  const graph::Graph g = TwoInTwoOut();
  const std::vector<space::Plan> all = testing::AllPlans(g, "qemu-f746");
  const std::vector<space::Plan> plans = testing::SamplePlans(all, 40, 3);
  const std::string strategies = testing::Strategies(plans);
  INFO("strategies: " << strategies);
  CHECK_THAT(strategies, Catch::Contains("layerwise"));
  testing::CheckBitExactBothModes(g, plans,
                                  {SeededInputs(g, 1), SeededInputs(g, 9)},
                                  "two_in_two_out");
}

TEST_CASE("the host harness fills every input and hashes every output",
          "[emitter][firmware]") {
  const graph::Graph g = TwoInTwoOut();
  const space::Plan plan = FirstPlanOf(g, space::Strategy::kLayerwise);
  const graph::RequantMode single = graph::RequantMode::kSingleRounding;
  {
    device_farm::HarnessReport r = RunHostHarness(g, plan, "gen", std::nullopt);
    CHECK(r.status == device_farm::RunStatus::kOk);
    CHECK(r.output_sha256 == ReferenceHash(g, SeededInputs(g, 1), single));
    // Not just output 0, not just one generator run over both inputs.
    graph::InterpreterOptions io;
    const std::vector<std::vector<int8_t>> out0 =
        *graph::RunInference(g, SeededInputs(g, 1), io);
    CHECK(r.output_sha256 != device_farm::Sha256Hex(out0[0].data(), out0[0].size()));
    const std::vector<int8_t> one_run = Lcg(1, 288);
    CHECK(r.output_sha256 !=
          ReferenceHash(g,
                        {std::vector<int8_t>(one_run.begin(), one_run.begin() + 144),
                         std::vector<int8_t>(one_run.begin() + 144, one_run.end())},
                        single));
    CHECK(r.input_bytes == 2 * 144);
    CHECK(r.output_bytes == 144 + 180);
  }
  {
    const std::vector<std::vector<int8_t>> in = SeededInputs(g, 7);
    device_farm::HarnessReport r = RunHostHarness(g, plan, "embedded", Concat(in));
    CHECK(r.status == device_farm::RunStatus::kOk);
    CHECK(r.output_sha256 == ReferenceHash(g, in, single));
  }
  // An embedded input of the wrong total size never reaches the compiler.
  EmitOptions eo;
  eo.input = std::vector<int8_t>(144);
  absl::StatusOr<EmittedModel> m = EmitModel(g, plan, eo);
  CHECK(m.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(m.status().message()),
             Catch::Contains("144 bytes") && Catch::Contains("need 288") &&
                 Catch::Contains("144 + 144"));
}

// A hand-written two-input model whose embedded input is one byte short:
// the harness refuses to run it and names both sizes.
TEST_CASE("the harness rejects an embedded input of the wrong total size",
          "[firmware]") {
  const fs::path dir = ::mcutune::testing::MakeTempDir("mcutune_multi_io_short");
  {
    std::ofstream f(dir / "short_model.c");
    f << "#include \"codegen/firmware/model_api.h\"\n"
         "const uint32_t mcutune_model_num_inputs = 2;\n"
         "const uint32_t mcutune_model_num_outputs = 1;\n"
         "const uint32_t mcutune_model_input_bytes[] = {3, 4};\n"
         "const uint32_t mcutune_model_output_bytes[] = {2};\n"
         "const uint32_t mcutune_model_arena_bytes = 16;\n"
         "static int8_t arena[16] MCUTUNE_ARENA_ATTR;\n"
         "void mcutune_model_init(void) {}\n"
         "int8_t* mcutune_model_input(int i) { return arena + (i ? 3 : 0); }\n"
         "void mcutune_model_run(void) { arena[8] = arena[0]; arena[9] = arena[6]; }\n"
         "const int8_t* mcutune_model_output(int i) { return i ? 0 : arena + 8; }\n"
         "const int8_t mcutune_input_data[6] = {1, 2, 3, 4, 5, 6};\n"
         "const uint32_t mcutune_input_data_bytes = 6;\n";
  }
  FirmwareBuildOptions fo;
  fo.work_dir = (dir / "build").string();
  fo.sources = {(dir / "short_model.c").string()};
  fo.defines = {{"MCUTUNE_INPUT_ARRAY", "1"}};
  const device_farm::HarnessReport report = BuildAndRunHost(fo);
  CHECK(report.status == device_farm::RunStatus::kHarnessError);
  CHECK(report.error == "embedded input has 6 bytes, the model's 2 inputs need 7");
  CHECK(report.input_bytes == 7);
  fs::remove_all(dir);
}

TEST_CASE("a single-input model's host-harness hash is its one output's",
          "[emitter][firmware]") {
  // The conv_2d probe: one input, one output; the classic generator (seed 1).
  const graph::Graph g = ::mcutune::testing::ProbeGraphs()[0];
  REQUIRE(g.inputs.size() == 1);
  REQUIRE(g.outputs.size() == 1);
  const space::Plan plan = FirstPlanOf(g, space::Strategy::kLayerwise);
  device_farm::HarnessReport r = RunHostHarness(g, plan, "single", std::nullopt);
  CHECK(r.status == device_farm::RunStatus::kOk);
  graph::InterpreterOptions io;
  const std::vector<std::vector<int8_t>> out =
      *graph::RunInference(g, {Lcg(1, g.tensors[g.inputs[0]].bytes())}, io);
  CHECK(r.output_sha256 == device_farm::Sha256Hex(out[0].data(), out[0].size()));
}

TEST_CASE("two-input two-output firmware on QEMU M7 reports the "
          "interpreter's hash and mcutune codegen + exec agree",
          "[emitter][qemu][cli]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  const graph::Graph g = TwoInTwoOut();
  absl::StatusOr<space::BoardSpec> board = space::FindBoard("qemu-f746");
  REQUIRE(board.ok());
  // The Builder, layer-wise, golden generator (seed 1 + i).
  {
    const space::Plan plan = FirstPlanOf(g, space::Strategy::kLayerwise);
    BuilderOptions bo;
    bo.work_dir = ::mcutune::testing::MakeTempDir("mcutune_multi_io_qemu");
    absl::StatusOr<ModelBuild> b = MakeBuilder(g, bo)->Build(plan, *board);
    REQUIRE(b.ok());
    INFO(b->stage << " " << b->error << "\n" << b->firmware.log.substr(0, 3000));
    REQUIRE(b->ok);
    const device_farm::Measurement m = testing::RunOnBoardQemu(
        b->firmware.elf_path, *board, absl::Seconds(30));
    INFO(m.raw_log);
    CHECK(m.output_sha256 ==
          ReferenceHash(g, SeededInputs(g, 1), graph::RequantMode::kSingleRounding));
    CHECK(m.input_bytes == 288);
    CHECK(m.output_bytes == 324);
    fs::remove_all(bo.work_dir);
  }
  // The CLI: a .tflite with two inputs, an embedded input file (seed 5 + i,
  // concatenated), double rounding; report.json promises the hash exec sees.
  const fs::path dir = ::mcutune::testing::MakeTempDir("mcutune_multi_io_cli");
  REQUIRE(graph::WriteTfliteFile(g, (dir / "two.tflite").string()).ok());
  const std::vector<std::vector<int8_t>> in = SeededInputs(g, 5);
  const std::vector<int8_t> all = Concat(in);
  {
    std::ofstream f(dir / "in.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(all.data()), all.size());
    std::ofstream s(dir / "short.bin", std::ios::binary);
    s.write(reinterpret_cast<const char*>(all.data()), 144);
  }
  using ::mcutune::testing::RunMcutune;
  ::mcutune::testing::CliRun bad = RunMcutune(
      {"codegen", (dir / "two.tflite").string(), "--board", "qemu-f746",
       "--strategy", "layerwise", "--input", (dir / "short.bin").string(),
       "-o", (dir / "bad").string()});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("144 + 144"));
  const std::string out = (dir / "bundle").string();
  ::mcutune::testing::CliRun gen = RunMcutune(
      {"codegen", (dir / "two.tflite").string(), "--board", "qemu-f746",
       "--strategy", "layerwise", "--input", (dir / "in.bin").string(),
       "--requant", "double", "-o", out});
  INFO(gen.out << gen.err);
  REQUIRE(gen.exit_code == 0);
  CHECK_THAT(gen.err, !Catch::Contains("warning"));
  const nlohmann::json report = nlohmann::json::parse(
      ::mcutune::testing::ReadFileText(fs::path(out) / "report.json"));
  const std::string expected =
      ReferenceHash(g, in, graph::RequantMode::kDoubleRounding);
  CHECK(report["expected_output_sha256"] == expected);
  ::mcutune::testing::CliRun run =
      RunMcutune({"exec", out, "--board", "qemu-f746"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json m = nlohmann::json::parse(run.out);
  CHECK(m["status"] == "ok");
  CHECK(m["output_sha256"] == expected);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcutune::codegen
