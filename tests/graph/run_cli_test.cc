// `mcutune run` end to end: the CLI binary (MCUTUNE_CLI) is spawned without a
// shell on a tiny model written here (WriteTflite), so it needs no ../shared.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tflite_writer.h"

extern char** environ;

namespace mcutune::graph {
namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;
  std::string err;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Result RunCli(const fs::path& dir, std::vector<std::string> args) {
  const std::string err_path = dir / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  args.insert(args.begin(), {MCUTUNE_CLI, "run"});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc =
      posix_spawn(&pid, MCUTUNE_CLI, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(err_path)};
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
  CHECK(ReadFile(out) == std::string({0, 2, 0, -2, 2}));
  r = RunCli(dir, {model, "--input", in, "--output", out, "--requant",
                   "double"});
  CHECK(r.exit_code == 0);
  CHECK(ReadFile(out) == std::string({1, 2, 0, -1, 3}));

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
