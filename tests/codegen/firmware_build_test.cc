// The toolchain driver: stand-in firmware for the three virtual boards, the
// host build, and failures as data (compile error, image that does not fit)
// versus errors (bad options, missing toolchain).
#include "codegen/firmware_builder.h"

#include <fstream>

#include <catch2/catch.hpp>

#include "base/subprocess.h"
#include "tests/device_farm/stand_in_firmware.h"

namespace mcutune::codegen {
namespace {

using testing::BuildForBoard;
using testing::HaveArmToolchain;

#define REQUIRE_TOOLCHAIN()                                  \
  if (!HaveArmToolchain()) {                                 \
    WARN("arm-none-eabi-gcc not installed: skipping");       \
    return;                                                  \
  }

TEST_CASE("stand-in firmware builds for every virtual core", "[qemu][firmware]") {
  REQUIRE_TOOLCHAIN();
  for (const char* board : {"qemu-f746", "qemu-f469", "qemu-l552"}) {
    INFO(board);
    absl::StatusOr<BuildResult> r = BuildForBoard(board, std::string("ok-") + board);
    REQUIRE(r.ok());
    INFO(r->log);
    REQUIRE(r->ok);
    CHECK(r->stage == BuildStage::kDone);
    CHECK(r->overflows.empty());
    CHECK(r->toolchain_version.find("arm-none-eabi-gcc") != std::string::npos);
    CHECK(r->arena_bytes == 272);
    CHECK(r->sections.at(".stack") == 8192);
    CHECK(r->flash_bytes > 1000);
    CHECK(r->flash_bytes < 16 * 1024);
    CHECK(r->ram_bytes >= 8192 + 272);
    std::ifstream bin(r->bin_path, std::ios::binary | std::ios::ate);
    CHECK(static_cast<int64_t>(bin.tellg()) == r->flash_bytes);
  }
}

TEST_CASE("an arena that does not fit fails to link with the exact overflow",
          "[qemu][firmware]") {
  REQUIRE_TOOLCHAIN();
  absl::StatusOr<space::BoardSpec> board = testing::CatalogueBoard("qemu-f746");
  REQUIRE(board.ok());
  absl::StatusOr<BuildResult> fits = BuildForBoard("qemu-f746", "fits");
  REQUIRE(fits.ok());
  REQUIRE(fits->ok);
  // An arena of the whole SRAM: RAM use grows by (sram - 272) bytes.
  const int64_t arena = board->sram_bytes;
  absl::StatusOr<BuildResult> big = BuildForBoard(
      "qemu-f746", "too-big", {{"MCUTUNE_STAND_IN_ARENA_BYTES", std::to_string(arena)}});
  REQUIRE(big.ok());
  INFO(big->log);
  CHECK_FALSE(big->ok);
  CHECK(big->stage == BuildStage::kLink);
  CHECK(big->overflow_bytes("RAM") == fits->ram_bytes + (arena - 272) - board->sram_bytes);
  CHECK(big->overflow_bytes("FLASH") == 0);
}

TEST_CASE("a compile error is data, not an error", "[qemu][firmware]") {
  REQUIRE_TOOLCHAIN();
  const std::string src = testing::TestTempDir() + "/broken.c";
  std::ofstream(src) << "int broken( { return 0; }\n";
  absl::StatusOr<BuildResult> r = BuildForBoard("qemu-f469", "broken", {}, {src});
  REQUIRE(r.ok());
  CHECK_FALSE(r->ok);
  CHECK(r->stage == BuildStage::kCompile);
  CHECK(r->log.find("error") != std::string::npos);
}

TEST_CASE("bad build requests are errors", "[firmware]") {
  absl::StatusOr<space::BoardSpec> board = testing::CatalogueBoard("qemu-f746");
  REQUIRE(board.ok());
  FirmwareBuildOptions o;
  o.work_dir = testing::TestTempDir() + "/bad";
  CHECK(BuildFirmware(*board, o).status().code() == absl::StatusCode::kInvalidArgument);
  o.sources = {testing::StandInSource()};
  o.defines = {{"BAD NAME", "1"}};
  CHECK(BuildFirmware(*board, o).status().code() == absl::StatusCode::kInvalidArgument);
  o.defines = {{"X", "1; rm -rf /"}};
  CHECK(BuildFirmware(*board, o).status().code() == absl::StatusCode::kInvalidArgument);
  o.defines = {};
  o.opt_level = "O9";
  CHECK(BuildFirmware(*board, o).status().code() == absl::StatusCode::kInvalidArgument);
  o.opt_level = "O2";
  o.sources = {"/nonexistent/model.c"};
  CHECK(BuildFirmware(*board, o).status().code() == absl::StatusCode::kInvalidArgument);
  o.sources = {testing::StandInSource()};
  o.toolchain_prefix = "mcutune-missing-toolchain-";
  CHECK(BuildFirmware(*board, o).status().code() == absl::StatusCode::kNotFound);
  space::BoardSpec odd = *board;
  odd.core = "cortex-m0";
  o.toolchain_prefix = "arm-none-eabi-";
  CHECK(BuildFirmware(odd, o).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("host build runs the same harness on the host", "[firmware]") {
  FirmwareBuildOptions o;
  o.work_dir = testing::TestTempDir() + "/host";
  o.sources = {testing::StandInSource()};
  absl::StatusOr<BuildResult> r = BuildHost(o);
  REQUIRE(r.ok());
  INFO(r->log);
  REQUIRE(r->ok);
  base::SubprocessOptions sub;
  sub.env = std::vector<std::string>{"MCUTUNE_ARGS=runs=3 warmup=0"};
  absl::StatusOr<base::SubprocessResult> run = base::RunSubprocess({r->host_executable}, sub);
  REQUIRE(run.ok());
  CHECK(run->exit_code == 0);
  CHECK(run->stdout_data.rfind("MCUTUNE_RESULT {\"v\":1,\"status\":\"ok\",\"timer\":\"host_ns\"", 0) == 0);
  CHECK(run->stdout_data.find("\"runs\":3,\"warmup\":0") != std::string::npos);
}

}  // namespace
}  // namespace mcutune::codegen
