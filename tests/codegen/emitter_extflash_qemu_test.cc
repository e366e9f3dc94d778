// Firmware of the newer design-space options on QEMU: a tinyops constants
// image larger than internal flash (linked into the stand-in's PSRAM, loaded
// by QEMU from the ELF, limited to the board's declared external flash; or
// preloaded at its place in external RAM when the board has no QSPI), an
// out-of-place depthwise patch candidate, and the planner's code-size
// estimate against what really links (the linker map).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "base/subprocess.h"
#include "codegen/builder.h"
#include "codegen/host_verifier.h"
#include "tests/codegen/emitter_testing.h"
#include "tests/codegen/qemu_testing.h"
#include "tests/testing/qemu_tools.h"
#include "tests/testing/cli_runner.h"
#include "tuner/space/board.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/enumerate.h"

namespace mcutune::codegen {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<ModelBuild> Build(const graph::Graph& g, const space::Plan& p,
                                 const space::BoardSpec& board,
                                 graph::RequantMode mode, std::string* dir) {
  BuilderOptions bo;
  bo.requant = mode;
  bo.work_dir = ::mcutune::testing::MakeTempDir("mcutune_extflash");
  *dir = bo.work_dir;
  return MakeBuilder(g, bo)->Build(p, board);
}

// The output hash `elf` reports on the board's machine.
std::string RunHash(const std::string& elf, const space::BoardSpec& board) {
  return testing::RunOnBoardQemu(elf, board).output_sha256;
}

std::string ReferenceHash(const graph::Graph& g, graph::RequantMode mode) {
  return testing::ReferenceOutputsHash(g, GoldenInputs(g, 1), mode);
}

space::Plan PlanFor(const graph::Graph& g, const space::BoardSpec& board,
                    const space::Candidate& c) {
  space::Constraints cons;
  cons.search_execution_order = false;
  const space::PlanningContext ctx =
      space::MakePlanningContext(g, board, cons);
  absl::StatusOr<space::Plan> p = space::PlanCandidate(ctx, c);
  REQUIRE(p.ok());
  return *std::move(p);
}

TEST_CASE("a tinyops image larger than internal flash runs from PSRAM",
          "[emitter][qemu][extflash]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  const graph::Graph& g = testing::ZooGraph("mcunet-vww0");
  absl::StatusOr<space::BoardSpec> board = space::FindBoard("qemu-f746");
  REQUIRE(board.ok());
  // qemu-f746 with 256 KiB of internal flash: mcunet-vww0's constants
  // (~0.4 MB) only fit the external flash.
  board->flash_bytes = 256 * 1024;
  space::Candidate c;
  c.strategy = space::Strategy::kTinyOps;
  const space::Plan plan = PlanFor(g, *board, c);
  REQUIRE(plan.metrics.fits);
  REQUIRE(plan.metrics.ext_flash_bytes > board->flash_bytes);
  std::string dir;
  absl::StatusOr<ModelBuild> b =
      Build(g, plan, *board, graph::RequantMode::kSingleRounding, &dir);
  REQUIRE(b.ok());
  INFO(b->stage << " " << b->error << "\n" << b->firmware.log.substr(0, 3000));
  REQUIRE(b->ok);
  CHECK(b->firmware.flash_bytes < board->flash_bytes);
  CHECK(b->firmware.ext_flash_bytes > board->flash_bytes);
  REQUIRE(!b->firmware.ext_flash_bin_path.empty());
  CHECK(static_cast<int64_t>(fs::file_size(b->firmware.ext_flash_bin_path)) ==
        b->firmware.ext_flash_bytes);
  // firmware.bin holds internal flash only (no 1.5 GB gap to the PSRAM).
  CHECK(static_cast<int64_t>(fs::file_size(b->firmware.bin_path)) <=
        board->flash_bytes);
  CHECK(RunHash(b->firmware.elf_path, *board) ==
        ReferenceHash(g, graph::RequantMode::kSingleRounding));
  fs::remove_all(dir);

  // The region is the board's declared external flash: a smaller one
  // overflows at link time.
  for (space::ExternalMemory& m : board->external) {
    if (m.kind == space::ExternalKind::kQspiFlash) m.bytes = 128 * 1024;
  }
  b = Build(g, plan, *board, graph::RequantMode::kSingleRounding, &dir);
  REQUIRE(b.ok());
  CHECK_FALSE(b->ok);
  CHECK(b->stage == "link");
  CHECK(b->firmware.overflow_bytes("EXTFLASH") > 0);
  fs::remove_all(dir);
}

TEST_CASE("constants a tinyops plan keeps in external RAM are preloaded",
          "[emitter][qemu][extflash]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  // qemu-l552 has external SRAM and no QSPI flash: the constants live in
  // external RAM. With 256 KiB of internal flash they cannot be copied
  // there from flash; the ELF puts them in place.
  const graph::Graph& g = testing::ZooGraph("mcunet-vww0");
  absl::StatusOr<space::BoardSpec> board = space::FindBoard("qemu-l552");
  REQUIRE(board.ok());
  board->flash_bytes = 256 * 1024;
  space::Candidate c;
  c.strategy = space::Strategy::kTinyOps;
  const space::Plan plan = PlanFor(g, *board, c);
  REQUIRE(plan.metrics.fits);
  std::string dir;
  absl::StatusOr<ModelBuild> b =
      Build(g, plan, *board, graph::RequantMode::kDoubleRounding, &dir);
  REQUIRE(b.ok());
  INFO(b->stage << " " << b->error << "\n" << b->firmware.log.substr(0, 3000));
  REQUIRE(b->ok);
  REQUIRE(b->model.ext_ram_image_offset >= 0);
  CHECK(b->firmware.flash_bytes < board->flash_bytes);
  CHECK(RunHash(b->firmware.elf_path, *board) ==
        ReferenceHash(g, graph::RequantMode::kDoubleRounding));
  fs::remove_all(dir);
}

TEST_CASE("an out-of-place depthwise patch candidate is bit-exact on QEMU",
          "[emitter][qemu][inplace]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  const graph::Graph& g = testing::ZooGraph("mcunet-vww0");
  absl::StatusOr<space::BoardSpec> board = space::FindBoard("qemu-f469");
  REQUIRE(board.ok());
  space::Candidate c;
  c.strategy = space::Strategy::kStream2D;
  c.n_patch = 3;
  c.split_idx = 6;
  c.inplace_depthwise = false;
  c.inplace_depthwise_stage = false;
  const space::Plan plan = PlanFor(g, *board, c);
  REQUIRE(plan.candidate.Id() == "stream2d-n3-s6-noip");
  std::string dir;
  absl::StatusOr<ModelBuild> b =
      Build(g, plan, *board, graph::RequantMode::kDoubleRounding, &dir);
  REQUIRE(b.ok());
  INFO(b->stage << " " << b->error << "\n" << b->firmware.log.substr(0, 3000));
  REQUIRE(b->ok);
  CHECK(RunHash(b->firmware.elf_path, *board) ==
        ReferenceHash(g, graph::RequantMode::kDoubleRounding));
  fs::remove_all(dir);
}

// FLASH bytes of the measurement harness (start-up, semihosting, timing,
// SHA-256, result block) in a GNU ld map: what the board's flash reserve
// covers, not the plan's code estimate.
int64_t HarnessFlashBytes(const std::string& map_path) {
  std::ifstream in(map_path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const size_t start = text.find("Linker script and memory map");
  REQUIRE(start != std::string::npos);
  static const std::regex kHarness(
      R"(_(result_block|startup|semihosting|harness|sha256|platform_cortex_m)\.o$)");
  static const std::regex kOut(R"(^(\.\S+))");
  static const std::regex kIn(
      R"(^ ?(\.\S+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+\.o)$)");
  int64_t bytes = 0;
  bool flash = false;
  std::istringstream lines(text.substr(start));
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kOut)) {
      const std::string s = m[1];
      flash = s == ".vectors" || s == ".text" || s == ".rodata" ||
              s == ".data" || s.rfind(".ARM", 0) == 0;
    } else if (flash && std::regex_search(line, m, kIn) &&
               std::regex_search(m[3].str(), kHarness)) {
      bytes += std::stoll(m[2].str(), nullptr, 16);
    }
  }
  return bytes;
}

TEST_CASE("the code estimate covers the linked code",
          "[emitter][qemu][code]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  const graph::Graph& g = testing::ZooGraph("mcunet-vww0");
  absl::StatusOr<space::BoardSpec> board = space::FindBoard("qemu-f746");
  REQUIRE(board.ok());
  // Layer-wise, the fitting stream plan with the most calls + copies, and
  // tinyops; double rounding (the larger requantization arrays).
  std::vector<space::Plan> plans;
  const space::Plan* stream = nullptr;
  std::vector<space::Plan> all = testing::AllPlans(g, board->id);
  for (const space::Plan& p : all) {
    if (!p.metrics.fits) continue;
    const space::Strategy s = p.candidate.strategy;
    if (s == space::Strategy::kStream2D &&
        (!stream || p.metrics.kernel_calls + p.metrics.stream_copies >
                        stream->metrics.kernel_calls +
                            stream->metrics.stream_copies)) {
      stream = &p;
    }
    if ((s == space::Strategy::kLayerwise || s == space::Strategy::kTinyOps) &&
        std::none_of(plans.begin(), plans.end(), [&](const space::Plan& q) {
          return q.candidate.strategy == s;
        })) {
      plans.push_back(p);
    }
  }
  REQUIRE(stream != nullptr);
  plans.push_back(*stream);
  REQUIRE(plans.size() == 3);
  for (const space::Plan& plan : plans) {
    std::string dir;
    absl::StatusOr<ModelBuild> b =
        Build(g, plan, *board, graph::RequantMode::kDoubleRounding, &dir);
    REQUIRE(b.ok());
    INFO(plan.candidate.Id() << " " << b->stage << "\n"
                             << b->firmware.log.substr(0, 2000));
    REQUIRE(b->ok);
    // Internal flash besides the harness: the weights kept internal and
    // what the estimate covers (code, kernels, parameters, requantization).
    const int64_t harness = HarnessFlashBytes(b->firmware.map_path);
    const int64_t code =
        b->firmware.flash_bytes - harness - plan.metrics.weights_bytes;
    INFO("linked code " << code << " B, estimate "
                        << plan.metrics.code_bytes << " B, harness "
                        << harness << " B");
    CHECK(harness > 1000);
    CHECK(harness < board->reserved_flash_bytes);
    CHECK(code <= plan.metrics.code_bytes);
    CHECK(plan.metrics.code_bytes <= 2 * code);  // still informative
    fs::remove_all(dir);
  }
}

}  // namespace
}  // namespace mcutune::codegen
