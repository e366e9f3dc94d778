// `mcutune run` end to end: the CLI binary (MCUTUNE_CLI) is spawned without a
// shell on a tiny model written here (WriteTflite), so it needs no ../shared.

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tflite_writer.h"
#include "tests/testing/cli_runner.h"

namespace mcutune::graph {
namespace {

namespace fs = std::filesystem;

using Result = mcutune::testing::CliRun;

Result RunCli(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "run");
  return mcutune::testing::RunMcutune(args);
}

// FULLY_CONNECTED [5,1] x [1,1] = {1}: out = x * 0.5 (see interpreter_test).
Graph HalvingModel() {
  Graph g;
  auto add = [&](std::vector<int32_t> shape, float scale) {
    Tensor t;
    t.name = "t" + std::to_string(g.tensors.size());
    t.shape = std::move(shape);
    t.quant.scale = {scale};
    t.quant.zero_point = {0};
    g.tensors.push_back(t);
    return static_cast<int>(g.tensors.size()) - 1;
  };
  const int in = add({5, 1}, 0.5f);
  const int w = add({1, 1}, 1.0f);
  const int out = add({5, 1}, 1.0f);
  g.buffers.push_back({1});
  g.tensors[w].buffer = 0;
  Operator op;
  op.type = OpType::kFullyConnected;
  op.inputs = {in, w, -1};
  op.outputs = {out};
  g.ops = {op};
  g.inputs = {in};
  g.outputs = {out};
  return g;
}

void CheckOneErrorLine(const Result& r) {
  CHECK(r.exit_code != 0);
  CHECK(r.err.rfind("error:", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("mcutune run: raw bytes in and out, both requant modes",
          "[cli][interpreter]") {
  std::string pattern = fs::temp_directory_path() / "run_cli_XXXXXX";
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  const fs::path dir = pattern;
  const std::string model = dir / "m.tflite";
  REQUIRE(WriteTfliteFile(HalvingModel(), model).ok());
  const std::string in = dir / "in.bin", out = dir / "out.bin";
  const std::vector<int8_t> x = {1, 3, -1, -3, 5};
  std::ofstream(in, std::ios::binary)
      .write(reinterpret_cast<const char*>(x.data()), x.size());

  Result r = RunCli(dir, {model, "--input", in, "--output", out});
  CHECK(r.exit_code == 0);
  CHECK(mcutune::testing::ReadFileText(out) == std::string({0, 2, 0, -2, 2}));
  r = RunCli(dir, {model, "--input", in, "--output", out, "--requant",
                   "double"});
  CHECK(r.exit_code == 0);
  CHECK(mcutune::testing::ReadFileText(out) == std::string({1, 2, 0, -1, 3}));

  CheckOneErrorLine(RunCli(dir, {}));
  CheckOneErrorLine(RunCli(dir, {model, "--input", in}));
  CheckOneErrorLine(RunCli(dir, {model, "--input", in, "--output", out,
                                 "--requant", "triple"}));
  CheckOneErrorLine(RunCli(dir, {model, "--input", in, "--input", in,
                                 "--output", out}));
  CheckOneErrorLine(RunCli(dir, {model, "--input", model, "--output", out}));
  CheckOneErrorLine(
      RunCli(dir, {model, "--input", dir / "missing", "--output", out}));
  CheckOneErrorLine(RunCli(dir, {in, "--input", in, "--output", out}));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcutune::graph
