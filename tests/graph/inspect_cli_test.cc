// `mcutune inspect` end to end: the CLI binary (MCUTUNE_CLI) is spawned
// without a shell, stdout and stderr captured in temporary files. A tiny
// .tflite is built here with the flatbuffers API so the happy path runs
// without ../shared; real models are checked when MCUTUNE_SHARED_DIR exists.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "graph/schema/tflite_subset_generated.h"
#include "nlohmann/json.hpp"
#include "tests/testing/cli_runner.h"

namespace {

namespace fb = mcutune::tflite_fb;
namespace fs = std::filesystem;

using CliResult = mcutune::testing::CliRun;
using mcutune::testing::ReadFileText;

fs::path TempDir() { return mcutune::testing::MakeTempDir("inspect_cli"); }

CliResult RunCli(std::vector<std::string> args) {
  args.insert(args.begin(), "inspect");
  return mcutune::testing::RunMcutune(args);
}

void CheckOneErrorLine(const CliResult& r) {
  CHECK(r.exit_code != 0);
  CHECK(r.out.empty());
  CHECK(r.err.rfind("error:", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

// input [1,4,4,2] -> CONV_2D 1x1 (3 filters, bias) -> output [1,4,4,3].
// MACs 4*4*3*2 = 96, params 6 + 12 B, input 32 B, output 48 B.
std::vector<uint8_t> TinyConvModel() {
  flatbuffers::FlatBufferBuilder b;
  auto quant = [&](float scale) {
    std::vector<float> s = {scale};
    std::vector<int64_t> z = {0};
    return fb::CreateQuantizationParametersDirect(b, nullptr, nullptr, &s, &z);
  };
  const std::vector<int32_t> in_shape = {1, 4, 4, 2}, w_shape = {3, 1, 1, 2},
                             b_shape = {3}, out_shape = {1, 4, 4, 3};
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors = {
      fb::CreateTensorDirect(b, &in_shape, fb::TensorType::INT8, 0, "input",
                             quant(0.1f)),
      fb::CreateTensorDirect(b, &w_shape, fb::TensorType::INT8, 1, "weights",
                             quant(0.02f)),
      fb::CreateTensorDirect(b, &b_shape, fb::TensorType::INT32, 2, "bias",
                             quant(0.002f)),
      fb::CreateTensorDirect(b, &out_shape, fb::TensorType::INT8, 0, "output",
                             quant(0.1f))};
  const std::vector<int32_t> op_in = {0, 1, 2}, op_out = {3}, g_in = {0},
                             g_out = {3};
  auto options = fb::CreateConv2DOptions(b, fb::Padding::VALID, 1, 1);
  std::vector<flatbuffers::Offset<fb::Operator>> ops = {
      fb::CreateOperatorDirect(b, 0, &op_in, &op_out,
                               fb::BuiltinOptions::Conv2DOptions,
                               options.Union())};
  std::vector<flatbuffers::Offset<fb::SubGraph>> subgraphs = {
      fb::CreateSubGraphDirect(b, &tensors, &g_in, &g_out, &ops, "main")};
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes = {
      fb::CreateOperatorCode(b, /*deprecated_builtin_code=*/3, 0, 1,
                             /*builtin_code=*/3)};
  const std::vector<uint8_t> weights = {1, 2, 3, 4, 5, 6};
  const std::vector<uint8_t> bias(12, 0);
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers = {
      fb::CreateBuffer(b), fb::CreateBufferDirect(b, &weights),
      fb::CreateBufferDirect(b, &bias)};
  fb::FinishModelBuffer(
      b, fb::CreateModelDirect(b, 3, &codes, &subgraphs, "tiny", &buffers));
  return std::vector<uint8_t>(b.GetBufferPointer(),
                              b.GetBufferPointer() + b.GetSize());
}

fs::path WriteFile(const fs::path& dir, const std::string& name,
                   const std::vector<uint8_t>& bytes) {
  const fs::path path = dir / name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return path;
}

TEST_CASE("inspect --json prints one parseable object", "[cli]") {
  const fs::path dir = TempDir();
  const std::string model = WriteFile(dir, "tiny.tflite", TinyConvModel());
  const CliResult r = RunCli({model, "--json"});
  fs::remove_all(dir);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  const nlohmann::json j = nlohmann::json::parse(r.out);  // exactly one value
  REQUIRE(j.is_object());
  for (const char* key :
       {"model", "inputs", "outputs", "macs_total", "params_bytes",
        "peak_live_bytes", "peak_op", "ops", "memory_map"}) {
    CHECK(j.contains(key));
  }
  CHECK(j["macs_total"] == 96);
  CHECK(j["params_bytes"] == 18);
  CHECK(j["peak_live_bytes"] == 80);
  CHECK(j["peak_op"] == 0);
  CHECK(j["inputs"][0]["shape"] == std::vector<int>{1, 4, 4, 2});
  CHECK(j["outputs"][0]["shape"] == std::vector<int>{1, 4, 4, 3});
  REQUIRE(j["ops"].size() == 1);
  const nlohmann::json& op = j["ops"][0];
  CHECK(op["type"] == "CONV_2D");
  for (const char* key :
       {"index", "macs", "params_bytes", "input_bytes", "output_bytes",
        "live_bytes", "total_bytes", "inputs", "outputs"}) {
    CHECK(op.contains(key));
  }
  CHECK(j["memory_map"][0]["tensors"].size() == 2);
}

TEST_CASE("inspect --csv and the default table", "[cli]") {
  const fs::path dir = TempDir();
  const std::string model = WriteFile(dir, "tiny.tflite", TinyConvModel());
  const CliResult csv = RunCli({"--csv", model});
  const CliResult table = RunCli({model});
  fs::remove_all(dir);
  INFO(csv.err);
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out ==
        "index,type,output,macs,params_bytes,input_bytes,output_bytes,"
        "live_bytes,total_bytes\n0,CONV_2D,output,96,18,32,48,0,80\n");
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("<- peak") != std::string::npos);
  CHECK(table.out.find("96 MACs") != std::string::npos);
}

TEST_CASE("inspect errors: one stderr line and non-zero exit", "[cli]") {
  const fs::path dir = TempDir();
  SECTION("missing file") {
    CheckOneErrorLine(RunCli({(dir / "no_such.tflite").string()}));
  }
  SECTION("garbage file") {
    std::vector<uint8_t> garbage(4096);
    uint32_t s = 12345;  // fixed seed
    for (uint8_t& byte : garbage) {
      s = s * 1103515245u + 12345u;
      byte = static_cast<uint8_t>(s >> 16);
    }
    CheckOneErrorLine(RunCli({WriteFile(dir, "junk.tflite", garbage)}));
  }
  SECTION("truncated model") {
    std::vector<uint8_t> model = TinyConvModel();
    model.resize(model.size() / 2);
    CheckOneErrorLine(RunCli({WriteFile(dir, "cut.tflite", model)}));
  }
  SECTION("empty file") {
    CheckOneErrorLine(RunCli({WriteFile(dir, "empty.tflite", {})}));
  }
  SECTION("unknown flag") {
    const std::string model = WriteFile(dir, "tiny.tflite", TinyConvModel());
    const CliResult r = RunCli({model, "--yaml"});
    CheckOneErrorLine(r);
    CHECK(r.exit_code == 2);
  }
  SECTION("no model / two models / both formats") {
    CheckOneErrorLine(RunCli({}));
    CheckOneErrorLine(RunCli({"a.tflite", "b.tflite"}));
    CheckOneErrorLine(RunCli({"a.tflite", "--json", "--csv"}));
  }
  fs::remove_all(dir);
}

}  // namespace
