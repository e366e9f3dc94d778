// The real models of ../shared: for every golden model, the layer-wise
// schedules and a sample of every other strategy the planner produces are
// bit-exact on the host with the reference interpreter on the golden inputs,
// and the interpreter reproduces the golden outputs of the real TFLite
// runtime, so the generated code does too. Skips when ../shared is absent.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "base/subprocess.h"
#include "codegen/builder.h"
#include "codegen/firmware/sha256.h"
#include "codegen/host_verifier.h"
#include "device_farm/qemu_runner.h"
#include "tests/testing/cli_runner.h"
#include "tuner/space/board.h"
#include "graph/interpreter.h"
#include "graph/tflite_reader.h"
#include "tests/codegen/emitter_testing.h"
#include "tests/codegen/qemu_testing.h"

namespace mcutune::codegen {
namespace {

namespace fs = std::filesystem;

std::vector<int8_t> ReadBytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(f)), {});
  return std::vector<int8_t>(s.begin(), s.end());
}

TEST_CASE("generated code reproduces the golden outputs", "[emitter][shared]") {
  const fs::path golden = fs::path(MCUTUNE_SHARED_DIR) / "golden";
  const fs::path models = fs::path(MCUTUNE_SHARED_DIR) / "models";
  if (!fs::exists(golden)) {
    WARN("../shared/golden is absent: skipped");
    return;
  }
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(golden)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  REQUIRE(!names.empty());
  for (const std::string& name : names) {
    SECTION(name) {
      absl::StatusOr<graph::Graph> g =
          graph::ImportTfliteFile((models / (name + ".tflite")).string());
      REQUIRE(g.ok());
      std::vector<std::vector<std::vector<int8_t>>> inputs;
      std::vector<std::vector<int8_t>> outputs;
      for (int seed = 1; seed <= 3; ++seed) {
        const std::string stem = "seed" + std::to_string(seed);
        inputs.push_back({ReadBytes(golden / name / (stem + ".input0.bin"))});
        outputs.push_back(ReadBytes(golden / name / (stem + ".output0.bin")));
        absl::StatusOr<std::vector<std::vector<int8_t>>> ref =
            graph::RunInference(*g, inputs.back());
        REQUIRE(ref.ok());
        CHECK((*ref)[0] == outputs.back());
      }
      const std::vector<space::Plan> all = testing::AllPlans(*g, "qemu-f746");
      const std::vector<space::Plan> plans = testing::SamplePlans(all, 10, 1);
      absl::StatusOr<HostVerifyResult> r = VerifyOnHost(*g, plans, inputs);
      REQUIRE(r.ok());
      INFO(name << ": " << plans.size() << " candidates ("
                << testing::Strategies(plans) << ") of " << all.size()
                << "\n" << testing::Failures(*r));
      CHECK(r->all_ok());
    }
  }
}

// The layer-wise firmware of every golden model that fits the board, with
// the golden input embedded, reports the SHA-256 of the golden output on the
// virtual Cortex-M7 and Cortex-M4.
TEST_CASE("golden models on QEMU reproduce the golden outputs",
          "[emitter][shared][qemu]") {
  const fs::path golden = fs::path(MCUTUNE_SHARED_DIR) / "golden";
  const fs::path models = fs::path(MCUTUNE_SHARED_DIR) / "models";
  if (!fs::exists(golden) || !base::ProgramExists("arm-none-eabi-gcc") ||
      !base::ProgramExists("qemu-system-arm")) {
    WARN("../shared/golden, arm-none-eabi-gcc or QEMU absent: skipped");
    return;
  }
  int ran = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(golden)) {
    if (!e.is_directory()) continue;
    const std::string name = e.path().filename().string();
    absl::StatusOr<graph::Graph> g =
        graph::ImportTfliteFile((models / (name + ".tflite")).string());
    REQUIRE(g.ok());
    const std::vector<int8_t> out = ReadBytes(e.path() / "seed1.output0.bin");
    uint8_t d[32];
    mcutune_sha256(out.data(), out.size(), d);
    std::string want;
    for (uint8_t b : d) {
      static const char kHex[] = "0123456789abcdef";
      want += std::string{kHex[b >> 4], kHex[b & 15]};
    }
    for (const char* board_id : {"qemu-f746", "qemu-f469"}) {
      absl::StatusOr<space::BoardSpec> board = space::FindBoard(board_id);
      REQUIRE(board.ok());
      std::vector<space::Plan> plans = testing::AllPlans(*g, board_id);
      const space::Plan& plan = plans.front();  // layer-wise, model order
      BuilderOptions bo;
      bo.work_dir = ::mcutune::testing::MakeTempDir("mcutune_golden_qemu");
      bo.input = ReadBytes(e.path() / "seed1.input0.bin");
      absl::StatusOr<ModelBuild> b = MakeBuilder(*g, bo)->Build(plan, *board);
      REQUIRE(b.ok());
      if (!b->ok && b->stage == "link" && !b->firmware.overflows.empty()) {
        WARN(name << " does not fit " << board_id << " (overflow "
                  << b->firmware.overflows[0].region << " "
                  << b->firmware.overflows[0].bytes << " B)");
        fs::remove_all(bo.work_dir);
        continue;
      }
      INFO(name << " on " << board_id << ": " << b->stage << " " << b->error);
      REQUIRE(b->ok);
      const device_farm::Measurement m =
          testing::RunOnBoardQemu(b->firmware.elf_path, *board, absl::Seconds(300));
      CHECK(m.output_sha256 == want);
      fs::remove_all(bo.work_dir);
      ++ran;
    }
  }
  CHECK(ran >= 8);
}

}  // namespace
}  // namespace mcutune::codegen
