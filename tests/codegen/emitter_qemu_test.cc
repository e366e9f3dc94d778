// Generated firmware on the virtual boards: a sample of candidates of every
// strategy is built by the Builder for qemu-f746 (Cortex-M7) and qemu-f469
// (Cortex-M4), run in QEMU, and the output hash the firmware reports must
// be the SHA-256 of the reference interpreter's output; both kernel paths
// (DSP, portable) and both requantization modes are covered. Also the CLI
// end to end: `mcutune codegen` + `mcutune exec`.
#include <filesystem>
#include <fstream>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "codegen/builder.h"
#include "codegen/host_verifier.h"
#include "tests/codegen/emitter_testing.h"
#include "tests/codegen/qemu_testing.h"
#include "tests/testing/qemu_tools.h"
#include "tests/testing/cli_runner.h"
#include "tuner/space/board.h"

namespace mcutune::codegen {
namespace {

namespace fs = std::filesystem;

std::string ReferenceHash(const graph::Graph& g,
                          const std::vector<int8_t>& input,
                          graph::RequantMode mode) {
  return testing::ReferenceOutputsHash(g, {input}, mode);
}

// One representative plan per strategy (and a hybrid).
std::vector<space::Plan> OnePerStrategy(const graph::Graph& g,
                                        const std::string& board) {
  std::vector<space::Plan> all = testing::AllPlans(g, board);
  std::vector<space::Plan> out;
  std::set<space::Strategy> seen;
  for (space::Plan& p : testing::SamplePlans(all, 24, 5)) {
    if (seen.insert(p.candidate.strategy).second && p.metrics.fits) {
      out.push_back(std::move(p));
    }
  }
  return out;
}

TEST_CASE("generated firmware matches the interpreter on QEMU M7 and M4",
          "[emitter][qemu]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  const graph::Graph& g = testing::ZooGraph("mcunet-vww0");
  const std::vector<int8_t> input = GoldenInputs(g, 1)[0];
  int runs = 0;
  for (const char* board_id : {"qemu-f746", "qemu-f469"}) {
    absl::StatusOr<space::BoardSpec> board = space::FindBoard(board_id);
    REQUIRE(board.ok());
    int k = 0;
    for (const space::Plan& plan : OnePerStrategy(g, board_id)) {
      const bool portable = k % 2 == 1;
      const graph::RequantMode mode = k % 3 == 2
                                          ? graph::RequantMode::kDoubleRounding
                                          : graph::RequantMode::kSingleRounding;
      ++k;
      BuilderOptions bo;
      bo.requant = mode;
      bo.work_dir = ::mcutune::testing::MakeTempDir("mcutune_emit_qemu");
      if (portable) bo.firmware.defines.push_back({"MCUK_PORTABLE", ""});
      absl::StatusOr<ModelBuild> b = MakeBuilder(g, bo)->Build(plan, *board);
      REQUIRE(b.ok());
      INFO(board_id << " " << plan.candidate.Id() << " stage " << b->stage
                    << " " << b->error << "\n"
                    << b->firmware.log.substr(0, 3000));
      REQUIRE(b->ok);
      const device_farm::Measurement m =
          testing::RunOnBoardQemu(b->firmware.elf_path, *board);
      CHECK(m.output_sha256 == ReferenceHash(g, input, mode));
      CHECK(m.arena_bytes == plan.memory.peak_sram_bytes);
      // Views are block-scoped compound literals: the stack stays small
      // however many calls a schedule makes.
      CHECK(m.stack_high_water_bytes < 2048);
      fs::remove_all(bo.work_dir);
      ++runs;
    }
  }
  CHECK(runs >= 8);
}

TEST_CASE("mcutune codegen + exec: the firmware output hash is the "
          "interpreter's", "[emitter][qemu][cli]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  const graph::Graph& g = testing::ZooGraph("mcunet-vww0");
  const fs::path dir = ::mcutune::testing::MakeTempDir("mcutune_codegen_cli");
  // An explicit input file (seed 9), double rounding, a stream-2D candidate.
  const std::vector<int8_t> input = GoldenInputs(g, 9)[0];
  {
    std::ofstream f(dir / "in.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(input.data()), input.size());
  }
  const std::string out = (dir / "bundle").string();
  ::mcutune::testing::CliRun gen = ::mcutune::testing::RunMcutune(
      {"codegen", "mcunet-vww0", "--board", "qemu-f746", "--strategy",
       "stream2d", "--n-patch", "3", "--split", "4", "--input",
       (dir / "in.bin").string(), "--requant", "double", "-o", out});
  INFO(gen.err);
  REQUIRE(gen.exit_code == 0);
  for (const char* f : {"Makefile", "README.md", "report.json", "firmware.elf",
                        "firmware.bin", "firmware.ld", "model_model.c",
                        "codegen/kernels/mcu_kernels.h",
                        "codegen/firmware/harness.c"}) {
    CHECK(fs::exists(fs::path(out) / f));
  }
  const nlohmann::json report = nlohmann::json::parse(
      ::mcutune::testing::ReadFileText(fs::path(out) / "report.json"));
  CHECK(report["build"]["ok"] == true);
  CHECK(report["candidate_id"] == "stream2d-n3-s4");
  CHECK(!report["build"]["toolchain_version"].get<std::string>().empty());
  ::mcutune::testing::CliRun run = ::mcutune::testing::RunMcutune(
      {"exec", out, "--board", "qemu-f746"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json m = nlohmann::json::parse(run.out);
  CHECK(m["status"] == "ok");
  CHECK(m["output_sha256"] ==
        ReferenceHash(g, input, graph::RequantMode::kDoubleRounding));
  // report.json promises the hash the firmware reports (the device farm
  // judges output_matches by it).
  CHECK(report["expected_output_sha256"] == m["output_sha256"]);
  CHECK(m["instructions"].get<int64_t>() > 0);

  // Without --input: the golden generator with seed 1; layer-wise.
  const std::string out2 = (dir / "bundle2").string();
  gen = ::mcutune::testing::RunMcutune({"codegen", "mcunet-vww0", "--board",
                                        "qemu-f469", "--candidate",
                                        "layerwise", "-o", out2});
  REQUIRE(gen.exit_code == 0);
  run = ::mcutune::testing::RunMcutune({"exec", out2, "--board", "qemu-f469"});
  REQUIRE(run.exit_code == 0);
  const std::string hash2 = nlohmann::json::parse(run.out)["output_sha256"];
  CHECK(hash2 == ReferenceHash(g, GoldenInputs(g, 1)[0],
                               graph::RequantMode::kSingleRounding));
  const nlohmann::json report2 = nlohmann::json::parse(
      ::mcutune::testing::ReadFileText(fs::path(out2) / "report.json"));
  CHECK(report2["expected_output_sha256"] == hash2);

  // The bundle rebuilds with plain make.
  base::SubprocessOptions so;
  so.working_dir = out;
  so.timeout = absl::Seconds(300);
  absl::StatusOr<base::SubprocessResult> mk =
      base::RunSubprocess({"make", "-s", "clean", "all"}, so);
  REQUIRE(mk.ok());
  INFO(mk->stderr_data);
  CHECK(mk->ok());
  fs::remove_all(dir);
}

TEST_CASE("mcutune codegen answers bad requests", "[emitter][cli]") {
  using ::mcutune::testing::RunMcutune;
  CHECK(RunMcutune({"codegen"}).exit_code == 2);
  CHECK(RunMcutune({"codegen", "mcunet-vww0", "--board", "qemu-f746", "-o",
                    "/tmp/x"}).exit_code == 2);  // no candidate / strategy
  CHECK(RunMcutune({"codegen", "mcunet-vww0", "--board", "qemu-f746",
                    "--strategy", "layerwise", "--requant", "triple", "-o",
                    "/tmp/x"}).exit_code == 2);
  CHECK(RunMcutune({"codegen", "mcunet-vww0", "--board", "nope",
                    "--strategy", "layerwise", "-o", "/tmp/x"}).exit_code == 1);
  CHECK(RunMcutune({"codegen", "mcunet-vww0", "--board", "qemu-f746",
                    "--candidate", "no-such", "-o", "/tmp/x"}).exit_code == 1);
}

}  // namespace
}  // namespace mcutune::codegen
