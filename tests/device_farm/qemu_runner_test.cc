// The QEMU runner on the three virtual cores: exact instruction counts,
// determinism, linearity, stack high-water, and every failure mode (hang,
// HardFault, garbage output, exit status that contradicts the result line).
#include "device_farm/qemu_runner.h"

#include <cmath>
#include <map>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/device_farm/stand_in_firmware.h"

namespace mcutune::device_farm {
namespace {

using testing::BuildForBoard;

const std::string kData = std::string(MCUTUNE_SOURCE_DIR) + "/tests/device_farm/data/";

#define REQUIRE_QEMU()                                                  \
  if (!testing::HaveArmToolchain() || !testing::HaveQemu()) {           \
    WARN("arm-none-eabi-gcc or qemu-system-arm not installed: skip");   \
    return;                                                             \
  }

// Builds for `board`, runs on its machine, returns the measurement.
Measurement BuildAndRun(const std::string& board, const std::string& name,
                        const testing::Defines& defines = {},
                        std::vector<std::string> sources = {}, int runs = 0,
                        absl::Duration timeout = absl::Seconds(20),
                        bool with_harness = true) {
  absl::StatusOr<codegen::BuildResult> build =
      BuildForBoard(board, name, defines, sources, with_harness);
  REQUIRE(build.ok());
  INFO(build->log);
  REQUIRE(build->ok);
  QemuRunOptions options;
  options.machine = testing::CatalogueBoard(board)->qemu_machine;
  options.runs = runs;
  options.timeout = timeout;
  absl::StatusOr<Measurement> m = RunOnQemu(build->elf_path, options);
  REQUIRE(m.ok());
  return *m;
}

const char* const kBoards[] = {"qemu-f746", "qemu-f469", "qemu-l552"};

TEST_CASE("instruction counts are exact on every machine", "[qemu][device_farm]") {
  REQUIRE_QEMU();
  for (const char* board : kBoards) {
    INFO(board);
    // 8M iterations = 16M instructions: past 2^24 SysTick ticks, so the
    // wrap interrupt (about a dozen counted instructions per wrap) is exercised.
    for (int n : {100000, 8000000}) {
      const Measurement m =
          BuildAndRun(board, absl::StrCat("calib-", board, "-", n),
                      {{"CALIB_N", std::to_string(n)}}, {kData + "calibration_model.c"});
      INFO(m.raw_log);
      REQUIRE(m.status == RunStatus::kOk);
      CHECK(m.unit == CountUnit::kInstructions);
      // 2N + 2 in run(), +1 for the call; one SysTick tick of rounding.
      const double wraps = std::floor(m.raw_ticks / 16777216.0);
      UNSCOPED_INFO(board << " N=" << n << " per_inference=" << m.per_inference << " ticks=" << m.raw_ticks);
      CHECK(std::abs(m.per_inference - (2.0 * n + 3)) <= 2.0 + 20 * wraps);
      if (n == 8000000) CHECK(wraps >= 1);
    }
  }
}

TEST_CASE("counts are deterministic run to run and linear in work", "[qemu][device_farm]") {
  REQUIRE_QEMU();
  for (const char* board : kBoards) {
    INFO(board);
    absl::StatusOr<codegen::BuildResult> build = BuildForBoard(board, absl::StrCat("det-", board));
    REQUIRE(build.ok());
    REQUIRE(build->ok);
    QemuRunOptions options;
    options.machine = testing::CatalogueBoard(board)->qemu_machine;
    std::map<int, Measurement> by_runs;
    for (int runs : {1, 1, 2, 8}) {
      options.runs = runs;
      absl::StatusOr<Measurement> m = RunOnQemu(build->elf_path, options);
      REQUIRE(m.ok());
      REQUIRE(m->status == RunStatus::kOk);
      CHECK(m->runs == runs);
      if (by_runs.count(runs)) {
        CHECK(m->raw_ticks == by_runs[runs].raw_ticks);  // identical, not close
        CHECK(m->output_sha256 == by_runs[runs].output_sha256);
      }
      by_runs[runs] = *m;
    }
    const double one = static_cast<double>(by_runs[1].total_count);
    CHECK(std::abs(by_runs[2].total_count - 2 * one) <= 4);
    CHECK(std::abs(by_runs[8].total_count - 8 * one) <= 16);
    CHECK(by_runs[8].output_sha256 == by_runs[1].output_sha256);

    // Four passes of the layer: about four times the work per inference.
    const Measurement four = BuildAndRun(board, absl::StrCat("passes4-", board),
                                         {{"MCUTUNE_STAND_IN_PASSES", "4"}});
    REQUIRE(four.status == RunStatus::kOk);
    CHECK(four.per_inference / by_runs[1].per_inference == Approx(4.0).epsilon(0.02));
  }
}

TEST_CASE("stack high-water mark follows the model's stack use", "[qemu][device_farm]") {
  REQUIRE_QEMU();
  const Measurement base = BuildAndRun("qemu-f746", "stack0");
  const Measurement deep =
      BuildAndRun("qemu-f746", "stack4k", {{"MCUTUNE_STAND_IN_STACK_BYTES", "4096"}});
  REQUIRE(base.status == RunStatus::kOk);
  REQUIRE(deep.status == RunStatus::kOk);
  CHECK(base.stack_bytes == 8192);
  // The mark is the deepest of all calls (SHA-256 is ~450 bytes deep, a
  // sibling of run()), so 4 KiB in run() shows as >= 4 KiB, < 4 KiB + base.
  CHECK(base.stack_high_water_bytes > 0);
  CHECK(base.stack_high_water_bytes < 1024);
  CHECK(deep.stack_high_water_bytes >= 4096);
  CHECK(deep.stack_high_water_bytes <= 4096 + base.stack_high_water_bytes);
  CHECK(deep.output_sha256 == base.output_sha256);
}

TEST_CASE("a firmware that hangs is killed at the timeout", "[qemu][device_farm]") {
  REQUIRE_QEMU();
  const absl::Time start = absl::Now();
  const Measurement m = BuildAndRun("qemu-f469", "hang", {{"MCUTUNE_STAND_IN_HANG", "1"}}, {},
                                    0, absl::Milliseconds(1500));
  CHECK(m.status == RunStatus::kTimeout);
  CHECK(m.error.find("killed") != std::string::npos);
  CHECK(absl::Now() - start < absl::Seconds(15));
}

TEST_CASE("a HardFault is reported with its registers", "[qemu][device_farm]") {
  REQUIRE_QEMU();
  for (const char* board : kBoards) {
    INFO(board);
    const Measurement m = BuildAndRun(board, absl::StrCat("fault-", board),
                                      {{"MCUTUNE_STAND_IN_FAULT", "1"}});
    INFO(m.raw_log);
    CHECK(m.status == RunStatus::kFault);
    CHECK(m.exit_code == 3);
    CHECK(m.error.find("pc=0x") != std::string::npos);
    CHECK(m.error.find("cfsr=0x00010000") != std::string::npos);  // UNDEFINSTR
    CHECK(m.output_sha256.empty());
  }
}

TEST_CASE("garbage output is bad_output, never a measurement", "[qemu][device_farm]") {
  REQUIRE_QEMU();
  const std::string src = kData + "garbage_main.c";
  Measurement m = BuildAndRun("qemu-f746", "garbage1", {{"GARBAGE_KIND", "1"}}, {src}, 0,
                              absl::Seconds(20), /*with_harness=*/false);
  CHECK(m.status == RunStatus::kBadOutput);
  m = BuildAndRun("qemu-f746", "garbage2", {{"GARBAGE_KIND", "2"}}, {src}, 0,
                  absl::Seconds(20), false);
  CHECK(m.status == RunStatus::kBadOutput);
  CHECK(m.error.find("without a result line") != std::string::npos);
  m = BuildAndRun("qemu-f746", "garbage3", {{"GARBAGE_KIND", "3"}}, {src}, 0,
                  absl::Seconds(20), false);
  CHECK(m.status == RunStatus::kBadOutput);
  CHECK(m.error.find("exited with status 3") != std::string::npos);
}

TEST_CASE("bad run requests are errors", "[device_farm]") {
  QemuRunOptions options;
  options.machine = "mps2-an999";
  CHECK(RunOnQemu("/bin/true", options).status().code() == absl::StatusCode::kNotFound);
  options.machine = "mps2-an500";
  CHECK(RunOnQemu("/nonexistent.elf", options).status().code() == absl::StatusCode::kNotFound);
  options.icount_shift = 11;
  CHECK(RunOnQemu("/bin/true", options).status().code() == absl::StatusCode::kInvalidArgument);
  options.icount_shift = 6;
  options.timeout = absl::ZeroDuration();
  CHECK(RunOnQemu("/bin/true", options).status().code() == absl::StatusCode::kInvalidArgument);
  options.timeout = absl::Seconds(5);
  options.qemu_binary = "mcutune-no-such-qemu";
  CHECK(RunOnQemu("/bin/true", options).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("the command line carries runs and icount", "[device_farm]") {
  QemuRunOptions options;
  options.machine = "mps2-an505";
  options.runs = 4;
  options.warmup = 0;
  const std::vector<std::string> argv = QemuCommandLine("/x/firmware.elf", options);
  const std::string line = absl::StrJoin(argv, " ");
  CHECK(line.find("-machine mps2-an505") != std::string::npos);
  CHECK(line.find("enable=on,target=native,arg=firmware,arg=runs=4,arg=warmup=0") !=
        std::string::npos);
  CHECK(line.find("-icount shift=6") != std::string::npos);
  CHECK(line.find("-monitor none -serial null") != std::string::npos);
  CHECK(argv.back() == "/x/firmware.elf");
}

}  // namespace
}  // namespace mcutune::device_farm
