// TFLite import: real models, every field the IR carries, and hostile input.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "graph/tflite_reader.h"
#include "tests/graph/raw_tflite.h"

namespace mcutune::graph {
namespace {

using testing::RawModel;
using testing::Serialize;
using testing::SmallConvModel;
namespace fb = ::mcutune::tflite_fb;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

absl::Status ImportRaw(const RawModel& m) {
  return ImportTflite(Serialize(m)).status();
}

TEST_CASE("imports every field of a small model", "[reader]") {
  absl::StatusOr<Graph> g = ImportTflite(Serialize(SmallConvModel()));
  REQUIRE(g.ok());
  REQUIRE(g->ops.size() == 2);
  CHECK(g->ops[0].type == OpType::kConv2D);
  CHECK(g->ops[0].options.activation == Activation::kRelu6);
  CHECK(g->ops[0].options.padding == Padding::kValid);
  CHECK(g->ops[1].type == OpType::kDepthwiseConv2D);
  CHECK(g->ops[1].options.padding == Padding::kSame);
  CHECK(g->ops[1].options.depth_multiplier == 1);
  CHECK(g->ops[1].inputs == std::vector<int>{3, 4, -1});
  const Tensor& w = g->tensors[1];
  CHECK(w.is_constant());
  CHECK(w.quant.scale == std::vector<float>{0.1f, 0.2f, 0.3f});
  CHECK(w.quant.per_channel());
  CHECK(g->data(1).size() == 6);
  CHECK(g->tensors[0].quant.zero_point == std::vector<int64_t>{-1});
  CHECK(g->tensors[2].type == DataType::kInt32);
  CHECK(g->inputs == std::vector<int>{0});
  CHECK(g->outputs == std::vector<int>{5});
  CHECK(g->tensors[5].bytes() == 48);
}

TEST_CASE("operator codes: deprecated and new fields", "[reader]") {
  RawModel m = SmallConvModel();
  m.codes[0] = {3, 0, ""};  // old files: only the deprecated byte
  CHECK(ImportRaw(m).ok());
  m.codes[0] = {0, 3, ""};  // new files may leave the byte at 0
  CHECK(ImportRaw(m).ok());
  m.codes[0] = {127, 150, ""};  // code > 127: placeholder byte + new field
  absl::Status s = ImportRaw(m);
  CHECK(s.code() == absl::StatusCode::kUnimplemented);
  CHECK_THAT(Msg(s), Catch::Contains("GELU") && Catch::Contains("operator 0"));
}

TEST_CASE("rejects unsupported content by name", "[reader]") {
  RawModel m = SmallConvModel();
  SECTION("unknown operator") {
    m.codes[1] = {18, 18, ""};
    absl::Status s = ImportRaw(m);
    CHECK(s.code() == absl::StatusCode::kUnimplemented);
    CHECK_THAT(Msg(s), Catch::Contains("MUL") && Catch::Contains("operator 1"));
  }
  SECTION("custom operator") {
    m.codes[1] = {32, 32, "MyOp"};
    CHECK_THAT(Msg(ImportRaw(m)), Catch::Contains("custom operator 'MyOp'"));
  }
  SECTION("int16 activation") {
    m.tensors[3].type = fb::TensorType::INT16;
    absl::Status s = ImportRaw(m);
    CHECK(s.code() == absl::StatusCode::kUnimplemented);
    CHECK_THAT(Msg(s), Catch::Contains("tensor 3 'conv_out'") &&
                           Catch::Contains("int16"));
  }
  SECTION("float input") {
    m.tensors[0].type = fb::TensorType::FLOAT32;
    CHECK_THAT(Msg(ImportRaw(m)), Catch::Contains("tensor 0 'input'") &&
                                      Catch::Contains("float32"));
  }
  SECTION("second subgraph") {
    m.subgraphs = 2;
    absl::Status s = ImportRaw(m);
    CHECK(s.code() == absl::StatusCode::kUnimplemented);
    CHECK_THAT(Msg(s), Catch::Contains("2 subgraphs"));
  }
  SECTION("grouped convolution") {
    m.tensors[1].shape = {3, 1, 1, 1};
    m.buffers[1].resize(3);
    CHECK_THAT(Msg(ImportRaw(m)), Catch::Contains("grouped convolution"));
  }
  SECTION("schema version") {
    m.version = 2;
    CHECK_THAT(Msg(ImportRaw(m)), Catch::Contains("schema version 2"));
  }
}

TEST_CASE("rejects inconsistent models with a precise message", "[reader]") {
  RawModel m = SmallConvModel();
  std::string want;
  SECTION("tensor index out of range") {
    m.ops[1].inputs[0] = 99;
    want = "operator 1 (DEPTHWISE_CONV_2D) reads tensor 99 of 6";
  }
  SECTION("negative tensor index in outputs") {
    m.ops[0].outputs[0] = -3;
    want = "operator 0 (CONV_2D) writes tensor -3";
  }
  SECTION("negative dimension") {
    m.tensors[3].shape[1] = -4;
    want = "tensor 3 'conv_out' has dimension -4";
  }
  SECTION("absurd dimensions") {
    m.tensors[3].shape = {1 << 30, 1 << 30, 1 << 30, 3};
    want = "tensor 3 'conv_out' shape [1073741824";
  }
  SECTION("rank too high") {
    m.tensors[3].shape = {1, 1, 1, 1, 1, 1, 1, 1};
    want = "rank 8";
  }
  SECTION("output shape mismatch") {
    m.tensors[5].shape = {1, 2, 2, 3};
    want = "operator 1 (DEPTHWISE_CONV_2D): output tensor 5 'dw_out' [1,2,2,3] "
           "should have shape [1,4,4,3]";
  }
  SECTION("opcode index out of range") {
    m.ops[0].opcode_index = 7;
    want = "operator 0: opcode index 7 is out of range";
  }
  SECTION("buffer index out of range") {
    m.tensors[1].buffer = 40;
    want = "tensor 1 'conv_w' refers to buffer 40";
  }
  SECTION("constant data of the wrong size") {
    m.buffers[1].resize(5);
    want = "tensor 1 'conv_w' needs 6 bytes of constant data but its buffer has 5";
  }
  SECTION("per-channel scale count") {
    m.tensors[1].scale = {0.1f, 0.2f};
    m.tensors[1].zero_point = {0, 0};
    want = "2 per-channel scales for dimension 0 of size 3";
  }
  SECTION("zero point count") {
    m.tensors[1].zero_point = {0, 0};
    want = "3 scales but 2 zero points";
  }
  SECTION("non-positive scale") {
    m.tensors[3].scale = {0.0f};
    want = "non-positive or non-finite scale";
  }
  SECTION("zero point out of int8 range") {
    m.tensors[3].zero_point = {300};
    want = "zero point 300";
  }
  SECTION("input read before it is produced") {
    m.ops[0].inputs[0] = 5;  // conv reads dw_out: a cycle conv -> dw -> conv
    want = "the operators form a cycle: 1 -> 0 -> 1";
  }
  SECTION("tensor written twice") {
    m.ops[1].outputs[0] = 3;
    want = "already written by operator 0";
  }
  SECTION("graph input index out of range") {
    m.inputs = {12};
    want = "graph input refers to tensor 12";
  }
  SECTION("zero points at a misaligned offset") {
    m.tensors[1].misaligned_zero_point = true;
    want = "tensor 1 'conv_w' has its zero_point vector at a misaligned offset";
  }
  SECTION("buffer offset outside the file") {
    m.buffers[1].clear();
    m.offset_buffers.push_back({1, {1'000'000, 6}});
    want = "lies outside the";
  }
  absl::Status s = ImportRaw(m);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Msg(s), Catch::Contains(want));
}

TEST_CASE("rejects bytes that are not a model", "[reader]") {
  std::vector<uint8_t> bytes = Serialize(SmallConvModel());
  SECTION("wrong magic") {
    bytes[4] = 'X';
    CHECK_THAT(Msg(ImportTflite(bytes).status()),
               Catch::Contains("file identifier 'XFL3'"));
  }
  SECTION("tiny file") {
    bytes.resize(3);
    CHECK_THAT(Msg(ImportTflite(bytes).status()), Catch::Contains("only 3 bytes"));
  }
  SECTION("every truncation is an error") {
    for (size_t n = 0; n < bytes.size(); ++n) {
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
      INFO("prefix of " << n << " bytes");
      REQUIRE_FALSE(ImportTflite(cut).ok());
    }
  }
  SECTION("misaligned input buffer is handled") {
    std::vector<uint8_t> shifted(bytes.size() + 1);
    std::copy(bytes.begin(), bytes.end(), shifted.begin() + 1);
    CHECK(ImportTflite(absl::MakeConstSpan(shifted).subspan(1)).ok());
  }
}

TEST_CASE("random corruption never crashes", "[reader]") {
  const std::vector<uint8_t> good = Serialize(SmallConvModel());
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> bytes = good;
    const int flips = 1 + iter % 4;
    for (int f = 0; f < flips; ++f) {
      bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    absl::StatusOr<Graph> g = ImportTflite(bytes);
    if (g.ok()) {
      ++accepted;
      REQUIRE(ValidateGraph(*g).ok());
    } else {
      REQUIRE_FALSE(g.status().message().empty());
    }
  }
  // Some flips land in data or names and leave a valid model; most do not.
  CHECK(accepted < 3000);
}

TEST_CASE("file errors", "[reader]") {
  absl::StatusOr<Graph> g = ImportTfliteFile("/nonexistent/model.tflite");
  CHECK(g.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(Msg(g.status()), Catch::Contains("/nonexistent/model.tflite"));
}

TEST_CASE("imports the real models in ../shared", "[reader][shared]") {
  const std::filesystem::path dir = std::filesystem::path(MCUTUNE_SHARED_DIR) / "models";
  if (!std::filesystem::exists(dir)) {
    WARN("skipped: " << dir << " is absent (a user's clone has no ../shared)");
    return;
  }
  const std::vector<std::pair<std::string, size_t>> expected_ops = {
      {"ad01_int8", 10},          {"kws_ref_model", 13},
      {"micro_speech_quantized", 4}, {"mobilenet_v2_quantized_1x3x224x224", 84},
      {"person_detect", 31},      {"pretrainedResnet_quant", 16},
      {"str_ww_ref_model", 11},   {"vww_96_int8", 31}};
  for (const auto& [name, n_ops] : expected_ops) {
    absl::StatusOr<Graph> g = ImportTfliteFile((dir / (name + ".tflite")).string());
    INFO(name);
    REQUIRE(g.ok());
    CHECK(g->ops.size() == n_ops);
  }
  absl::StatusOr<Graph> bad =
      ImportTfliteFile((dir / "keyword_scrambled_8bit.tflite").string());
  CHECK(bad.status().code() == absl::StatusCode::kUnimplemented);
  CHECK_THAT(Msg(bad.status()), Catch::Contains("SVDF (operator 1)"));
  // Truncations and corruptions of a real model: errors, never crashes.
  std::ifstream in((dir / "vww_96_int8.tflite").string(), std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  for (size_t n = 0; n < bytes.size(); n += 997) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    REQUIRE_FALSE(ImportTflite(cut).ok());
  }
}

}  // namespace
}  // namespace mcutune::graph
