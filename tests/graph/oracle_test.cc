// The real-runtime check: synthesized zoo models and single-operator probes
// are written with WriteTflite, run through TensorFlow Lite itself
// (tests/oracle/tflite_oracle.js, the WASM runtime from the npm registry) and
// compared byte for byte with the reference interpreter.
//
// Needs node and tests/oracle/node_modules (`npm ci` in tests/oracle, which
// `make test` does). Missing pieces fail the test with that instruction.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/subprocess.h"
#include "graph/interpreter.h"
#include "graph/tflite_writer.h"
#include "graph/zoo/prng.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "nlohmann/json.hpp"
#include "tests/graph/probe_graphs.h"

namespace mcutune::graph {
namespace {

namespace fs = std::filesystem;

std::string SourceDir() {
  if (const char* env = std::getenv("MCUTUNE_SOURCE_DIR"); env && *env)
    return env;
  return MCUTUNE_SOURCE_DIR;
}

std::string OracleDir() { return SourceDir() + "/tests/oracle"; }

// Fails the test (with the fix) unless node and the runtime are installed.
void RequireOracle() {
  const fs::path wasm =
      fs::path(OracleDir()) /
      "node_modules/@tensorflow/tfjs-tflite/wasm/tflite_web_api_cc.wasm";
  if (!fs::exists(wasm)) {
    FAIL("the TFLite oracle runtime is not installed ("
         << wasm.string() << " is missing): run `make test`, or `npm ci` in "
         << OracleDir());
  }
  absl::StatusOr<base::SubprocessResult> node =
      base::RunSubprocess({"node", "--version"});
  if (!node.ok() || !node->ok()) {
    FAIL(
        "node is not on PATH: install Node.js (>= 18) to run the [oracle] "
        "tests");
  }
}

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (fs::temp_directory_path() / "mcutune_oracle_XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const {
    return (fs::path(path_) / name).string();
  }

 private:
  std::string path_;
};

void WriteBytes(const std::string& path, const std::vector<int8_t>& v) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()),
            static_cast<std::streamsize>(v.size()));
  REQUIRE(out.good());
}

// Runs the oracle on `model` with the given input files; returns its outputs.
std::vector<std::vector<int8_t>> RunOracle(
    const TempDir& dir, const std::string& model,
    const std::vector<std::string>& inputs) {
  std::vector<std::string> argv = {"node", OracleDir() + "/tflite_oracle.js",
                                   model};
  for (const std::string& in : inputs) argv.insert(argv.end(), {"--input", in});
  base::SubprocessOptions options;
  options.max_output_bytes = size_t{1} << 30;  // every tensor as hex
  options.timeout = absl::Minutes(10);
  absl::StatusOr<base::SubprocessResult> run = base::RunSubprocess(argv, options);
  INFO("oracle: " << base::FormatCommandLine(argv));
  REQUIRE(run.ok());
  INFO("stderr: " << run->stderr_data);
  REQUIRE(run->exit_code == 0);
  const std::string& out = run->stdout_data;
  const nlohmann::json j =
      nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  REQUIRE(j.is_object());
  std::vector<std::vector<int8_t>> outputs;
  for (const auto& o : j["outputs"]) {
    const std::string hex = o["hex"].get<std::string>();
    std::vector<int8_t> bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      bytes.push_back(
          static_cast<int8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    outputs.push_back(std::move(bytes));
  }
  return outputs;
}

// After a mismatch: reruns with every operator output exposed as a graph
// output and names the first operator whose output differs.
std::string FirstDivergence(const Graph& g,
                            const std::vector<std::vector<int8_t>>& inputs,
                            const std::vector<std::string>& input_files) {
  TempDir dir;
  Graph all = g;
  all.outputs.clear();
  for (const Operator& op : g.ops) all.outputs.push_back(op.outputs[0]);
  const std::string model = dir.File("all_outputs.tflite");
  if (!WriteTfliteFile(all, model).ok())
    return "(cannot write the diagnostic model)";
  const std::vector<std::vector<int8_t>> want =
      RunOracle(dir, model, input_files);
  absl::StatusOr<std::vector<std::vector<int8_t>>> got =
      RunInference(all, inputs);
  if (!got.ok() || got->size() != want.size()) return "(diagnostic run failed)";
  for (size_t i = 0; i < want.size(); ++i) {
    if ((*got)[i] == want[i]) continue;
    int differ = 0;
    size_t first = 0;
    for (size_t k = 0; k < want[i].size() && k < (*got)[i].size(); ++k) {
      if ((*got)[i][k] != want[i][k] && differ++ == 0) first = k;
    }
    std::ostringstream msg;
    msg << "first differing operator: " << i << " " << OpTypeName(g.ops[i].type)
        << " -> '" << g.tensors[all.outputs[i]].name << "' (" << differ
        << " of " << want[i].size() << " bytes; [" << first << "] ours "
        << int{(*got)[i][first]} << ", TFLite " << int{want[i][first]} << ")";
    // Elementwise operands at the same index, with their quantization.
    auto quant = [](const Tensor& t) {
      std::ostringstream q;
      q.precision(9);
      if (!t.quant.empty())
        q << " scale " << t.quant.scale[0] << " zp " << t.quant.zero_point[0];
      return q.str();
    };
    for (int in : g.ops[i].inputs) {
      if (in < 0 ||
          g.tensors[in].num_elements() != static_cast<int64_t>(want[i].size()))
        continue;
      const Tensor& t = g.tensors[in];
      int value = 0;
      for (size_t p = 0; p < i; ++p) {
        if (all.outputs[p] == in) value = want[p][first];
      }
      for (size_t p = 0; p < g.inputs.size(); ++p) {
        if (g.inputs[p] == in) value = inputs[p][first];
      }
      msg << "; input '" << t.name << "' = " << value << quant(t);
    }
    msg << "; output" << quant(g.tensors[all.outputs[i]]);
    return msg.str();
  }
  return "(no operator output differs when all are exposed)";
}

// Runs `g` on `inputs` through both the oracle and the reference interpreter
// and compares every output byte.
void CompareOnInputs(const Graph& g,
                     const std::vector<std::vector<int8_t>>& inputs) {
  TempDir dir;
  const std::string model = dir.File(g.name + ".tflite");
  const absl::Status written = WriteTfliteFile(g, model);
  INFO(written.message());
  REQUIRE(written.ok());
  std::vector<std::string> files;
  for (size_t i = 0; i < inputs.size(); ++i) {
    files.push_back(dir.File("input" + std::to_string(i) + ".bin"));
    WriteBytes(files.back(), inputs[i]);
  }
  const std::vector<std::vector<int8_t>> want = RunOracle(dir, model, files);
  absl::StatusOr<std::vector<std::vector<int8_t>>> got =
      RunInference(g, inputs);
  INFO(got.status().message());
  REQUIRE(got.ok());
  REQUIRE(got->size() == want.size());
  for (size_t o = 0; o < want.size(); ++o) {
    REQUIRE((*got)[o].size() == want[o].size());
    int differ = 0, max_diff = 0;
    std::string first;
    for (size_t i = 0; i < want[o].size(); ++i) {
      const int d = std::abs((*got)[o][i] - want[o][i]);
      if (d == 0) continue;
      if (differ++ < 5) {
        first += " [" + std::to_string(i) + "] " +
                 std::to_string((*got)[o][i]) + " vs " +
                 std::to_string(want[o][i]);
      }
      max_diff = std::max(max_diff, d);
    }
    INFO("output " << o << ": " << differ << " of " << want[o].size()
                   << " bytes differ (max " << max_diff
                   << "), ours vs TFLite:" << first);
    const std::string where =
        differ != 0 ? FirstDivergence(g, inputs, files) : "";
    INFO(where);
    CHECK(differ == 0);
  }
}

// The same on LCG inputs (one generator stream across the inputs) per seed.
void CompareWithOracle(const Graph& g, const std::vector<uint32_t>& seeds) {
  for (uint32_t seed : seeds) {
    INFO("model " << g.name << ", seed " << seed);
    zoo::LcgInput gen(seed);
    std::vector<std::vector<int8_t>> inputs;
    for (int t : g.inputs) {
      std::vector<int8_t> v(g.tensors[t].num_elements());
      for (int8_t& x : v) x = gen.Next();
      inputs.push_back(std::move(v));
    }
    CompareOnInputs(g, inputs);
  }
}

TEST_CASE("oracle: single-operator probes match TFLite", "[oracle]") {
  RequireOracle();
  for (const Graph& g : testing::ProbeGraphs()) {
    SECTION(g.name) { CompareWithOracle(g, {1, 2}); }
  }
}

TEST_CASE("oracle: synthesized zoo models match TFLite byte for byte",
          "[oracle]") {
  RequireOracle();
  const char* kModels[] = {
      "mcunet-in0",           "mcunet-in1",           "mcunet-in2",
      "mcunet-in3",           "mcunet-in4",           "mcunet-vww0",
      "mcunet-vww1",          "mcunet-vww2",          "mbv2-w0.35",
      "proxyless-w0.3",       "ds-cnn-kws",           "resnet8-cifar",
      "mobilenetv2-w0.5-r96", "mobilenetv2-w1.0-r128"};
  for (const char* name : kModels) {
    SECTION(name) {
      auto entry = zoo::FindInZoo(name);
      INFO(entry.status().message());
      REQUIRE(entry.ok());
      auto g = zoo::Synthesize(entry->arch, /*seed=*/7);
      INFO(g.status().message());
      REQUIRE(g.ok());
      CompareWithOracle(*g, {1, 2, 3});
    }
  }
}

// Every pair of int8 operands, with the quantization of an ADD where the
// runtime and a TFLite-reference ADD were seen to disagree (mcunet-in0,
// seed 7, layers.12.add: 9 + -43 -> TFLite -32, TFLite reference formula -33).
TEST_CASE("oracle: ADD over all 65536 operand pairs", "[oracle]") {
  RequireOracle();
  testing::ProbeBuilder b("add_exhaustive");
  const int x = b.Input("x", {1, 256, 256, 1}, testing::Q(0.0495574288f, 13));
  const int y = b.Input("y", {1, 256, 256, 1}, testing::Q(0.0633535609f, -5));
  const int sum = b.Act("sum", {1, 256, 256, 1}, testing::Q(0.0827195123f, -1));
  b.Op(OpType::kAdd, {x, y}, sum);
  const Graph g = b.Finish(sum);
  std::vector<int8_t> a(65536), c(65536);
  for (int i = 0; i < 65536; ++i) {
    a[i] = static_cast<int8_t>(i / 256 - 128);
    c[i] = static_cast<int8_t>(i % 256 - 128);
  }
  CompareOnInputs(g, {a, c});
}

}  // namespace
}  // namespace mcutune::graph
