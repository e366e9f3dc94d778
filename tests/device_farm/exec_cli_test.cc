// `mcutune exec DIR --board B`: runs DIR/firmware.elf on the virtual board
// and prints the measurement JSON; bad requests give usage errors.
#include <filesystem>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "tests/device_farm/stand_in_firmware.h"

namespace mcutune {
namespace {

absl::StatusOr<base::SubprocessResult> Cli(std::vector<std::string> args) {
  args.insert(args.begin(), MCUTUNE_CLI);
  base::SubprocessOptions options;
  options.timeout = absl::Seconds(60);
  return base::RunSubprocess(args, options);
}

TEST_CASE("exec prints the measurement of a firmware directory", "[qemu][cli]") {
  if (!testing::HaveArmToolchain() || !testing::HaveQemu()) {
    WARN("arm-none-eabi-gcc or qemu-system-arm not installed: skipping");
    return;
  }
  absl::StatusOr<codegen::BuildResult> build = testing::BuildForBoard("qemu-f746", "exec-dir");
  REQUIRE(build.ok());
  REQUIRE(build->ok);
  const std::string dir = std::filesystem::path(build->elf_path).parent_path().string();
  absl::StatusOr<base::SubprocessResult> r =
      Cli({"exec", dir, "--board", "qemu-f746", "--runs", "3", "--timeout", "20"});
  REQUIRE(r.ok());
  INFO(r->stdout_data << r->stderr_data);
  CHECK(r->exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r->stdout_data);
  CHECK(j["status"] == "ok");
  CHECK(j["board"] == "qemu-f746");
  CHECK(j["machine"] == "mps2-an500");
  CHECK(j["runs"] == 3);
  CHECK(j["instructions"].get<int64_t>() > 4096);
  CHECK(j["instructions_total"].get<int64_t>() >= 3 * j["instructions"].get<int64_t>() - 3);
  CHECK(j["counted_by"].get<std::string>().find("icount shift=6") != std::string::npos);
  CHECK(j["output_sha256"].get<std::string>().size() == 64);
  CHECK(j["arena_bytes"] == 272);
  CHECK(j["flash_bytes"] == build->flash_bytes);
  CHECK(j["stack_high_water_bytes"].get<int64_t>() > 0);

  // A firmware that hangs: JSON with status "timeout", exit status 1.
  absl::StatusOr<codegen::BuildResult> hang =
      testing::BuildForBoard("qemu-f746", "exec-hang", {{"MCUTUNE_STAND_IN_HANG", "1"}});
  REQUIRE(hang.ok());
  r = Cli({"exec", std::filesystem::path(hang->elf_path).parent_path().string(), "--board",
           "qemu-f746", "--timeout", "1"});
  REQUIRE(r.ok());
  CHECK(r->exit_code == 1);
  CHECK(nlohmann::json::parse(r->stdout_data)["status"] == "timeout");
}

TEST_CASE("exec rejects bad requests", "[cli]") {
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"exec"}, 2, "missing DIR"},
      {{"exec", "/tmp"}, 2, "missing --board"},
      {{"exec", "/tmp", "--board", "qemu-f746", "--runs", "0"}, 2, "--runs"},
      {{"exec", "/tmp", "--board", "qemu-f746", "--timeout", "-1"}, 2, "--timeout"},
      {{"exec", "/tmp", "--board", "qemu-f746", "--frobnicate"}, 2, "unknown option"},
      {{"exec", "/tmp", "--board", "no-such-board"}, 1, "no-such-board"},
      {{"exec", "/tmp", "--board", "f746"}, 1, "no QEMU machine"},
      {{"exec", "/nonexistent-dir", "--board", "qemu-f746"}, 1, "firmware not found"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<base::SubprocessResult> r = Cli(c.args);
    REQUIRE(r.ok());
    INFO(r->stderr_data);
    CHECK(r->exit_code == c.exit_code);
    CHECK(r->stderr_data.find(c.message) != std::string::npos);
  }
}

}  // namespace
}  // namespace mcutune
