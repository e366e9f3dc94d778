// End to end: the stand-in model built for the M7, M4 and M33 virtual boards
// and run on QEMU produces exactly the output the same C computes on the
// host (in this process and as a host build), hashed by the harness.
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>

#include "base/subprocess.h"
#include "codegen/firmware/model_api.h"
#include "codegen/firmware/sha256.h"
#include "codegen/firmware_builder.h"
#include "device_farm/qemu_runner.h"
#include "device_farm/result_line.h"
#include "tests/device_farm/stand_in_firmware.h"

namespace mcutune::codegen {
namespace {

// The stand-in (linked into this test) on the golden-generator input, seed 1.
std::string InProcessHash() {
  mcutune_model_init();
  REQUIRE(mcutune_model_num_inputs == 1);
  REQUIRE(mcutune_model_num_outputs == 1);
  int8_t* in = mcutune_model_input(0);
  uint32_t s = 1;
  for (uint32_t i = 0; i < mcutune_model_input_bytes[0]; ++i) {
    s = s * 1103515245u + 12345u;
    in[i] = static_cast<int8_t>(static_cast<int>((s >> 16) & 255u) - 128);
  }
  mcutune_model_run();
  uint8_t d[32];
  mcutune_sha256(mcutune_model_output(0), mcutune_model_output_bytes[0], d);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (uint8_t b : d) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

TEST_CASE("the harness's input generator matches ../shared/golden inputs",
          "[firmware][shared]") {
  const std::string path = std::string(MCUTUNE_SHARED_DIR) + "/golden/ad01_int8/seed1.input0.bin";
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    WARN("../shared not present: skipping");
    return;
  }
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() >= 256);
  // The harness's generator (harness.c LoadInput), seed 1.
  uint32_t s = 1;
  for (size_t i = 0; i < bytes.size(); ++i) {
    s = s * 1103515245u + 12345u;
    REQUIRE(static_cast<int8_t>(bytes[i]) ==
            static_cast<int8_t>(static_cast<int>((s >> 16) & 255u) - 128));
  }
}

TEST_CASE("host build output hash equals the in-process stand-in", "[firmware]") {
  FirmwareBuildOptions o;
  o.work_dir = testing::TestTempDir() + "/host-hash";
  o.sources = {testing::StandInSource()};
  absl::StatusOr<BuildResult> r = BuildHost(o);
  REQUIRE(r.ok());
  REQUIRE(r->ok);
  absl::StatusOr<base::SubprocessResult> run = base::RunSubprocess({r->host_executable});
  REQUIRE(run.ok());
  absl::StatusOr<device_farm::HarnessReport> report =
      device_farm::ParseResultLine(run->stdout_data);
  REQUIRE(report.ok());
  CHECK(report->output_sha256 == InProcessHash());
  CHECK(report->output_bytes == 16);
  CHECK(report->arena_bytes == 272);
}

TEST_CASE("stand-in on QEMU M7, M4 and M33 reproduces the host output", "[qemu][firmware]") {
  if (!testing::HaveArmToolchain() || !testing::HaveQemu()) {
    WARN("arm-none-eabi-gcc or qemu-system-arm not installed: skipping");
    return;
  }
  const std::string expected = InProcessHash();
  for (const char* id : {"qemu-f746", "qemu-f469", "qemu-l552"}) {
    INFO(id);
    absl::StatusOr<space::BoardSpec> board = testing::CatalogueBoard(id);
    REQUIRE(board.ok());
    absl::StatusOr<BuildResult> build = testing::BuildForBoard(id, std::string("e2e-") + id);
    REQUIRE(build.ok());
    REQUIRE(build->ok);
    device_farm::QemuRunOptions options;
    options.machine = board->qemu_machine;
    options.timeout = absl::Seconds(20);
    absl::StatusOr<device_farm::Measurement> m = device_farm::RunOnQemu(build->elf_path, options);
    REQUIRE(m.ok());
    INFO(m->raw_log);
    CHECK(m->status == device_farm::RunStatus::kOk);
    CHECK(m->output_sha256 == expected);
    CHECK(m->unit == device_farm::CountUnit::kInstructions);
    CHECK(m->per_inference > 4096);  // at least one instruction per MAC
    CHECK(m->arena_bytes == 272);
    CHECK(m->flash_bytes == build->flash_bytes);
    CHECK(m->ram_bytes == build->ram_bytes);
    CHECK(m->stack_high_water_bytes > 0);
    CHECK(m->stack_high_water_bytes < 2048);
  }
}

}  // namespace
}  // namespace mcutune::codegen
