// Test helper: firmware artifacts for the farm tests, built once per process
// into TestTempDir() and cached by name.
//
//   StandInArtifact("qemu-f746", "p2", {{"MCUTUNE_STAND_IN_PASSES", "2"}})
//     the stand-in model; expected output hash from a HOST build of the same
//     sources and defines (never from a board run)
//   HangArtifact / FaultArtifact   stand-in variants whose run() never
//                                  returns / executes an undefined
//                                  instruction (HardFault, cfsr UNDEFINSTR)
//   GarbageArtifact                no harness: prints a malformed result line
//
// Each build dir also gets a report.json (like `mcutune codegen` writes) so
// the CLI can `farm run` it.
#ifndef MCUTUNE_TESTS_DEVICE_FARM_FARM_ARTIFACTS_H_
#define MCUTUNE_TESTS_DEVICE_FARM_FARM_ARTIFACTS_H_

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "device_farm/board.h"
#include "server/cli/farm_health_firmware.h"
#include "tests/device_farm/stand_in_firmware.h"

namespace mcutune::testing {

inline const std::string& FarmTestDataDir() {
  static const std::string* dir = new std::string(
      std::string(MCUTUNE_SOURCE_DIR) + "/tests/device_farm/data/");
  return *dir;
}

// Builds `sources` (default: the stand-in) with `defines` for `board_id` into
// TestTempDir()/<name>, writes report.json and loads it as an Artifact. With
// `expect_output`, the expected hash comes from the host build.
inline absl::StatusOr<device_farm::Artifact> BuildFarmArtifact(
    const std::string& board_id, const std::string& name,
    const Defines& defines = {}, std::vector<std::string> sources = {},
    bool with_harness = true, bool expect_output = true) {
  static std::mutex mu;
  static std::map<std::string, device_farm::Artifact>* cache =
      new std::map<std::string, device_farm::Artifact>();
  std::lock_guard<std::mutex> lock(mu);
  const std::string key = board_id + "/" + name;
  if (auto it = cache->find(key); it != cache->end()) return it->second;
  if (sources.empty()) sources = {StandInSource()};
  absl::StatusOr<codegen::BuildResult> build =
      BuildForBoard(board_id, name, defines, sources, with_harness);
  if (!build.ok()) return build.status();
  if (!build->ok)
    return absl::InternalError("firmware build failed: " + build->log);
  nlohmann::json report;
  report["build"] = {{"ok", true},
                     {"toolchain_version", build->toolchain_version}};
  if (expect_output) {
    absl::StatusOr<std::string> expected = cli::HostOutputSha256(
        sources, defines, TestTempDir() + "/" + name + "-host");
    if (!expected.ok()) return expected.status();
    report["expected_output_sha256"] = *expected;
  }
  const std::filesystem::path dir = std::filesystem::path(TestTempDir()) / name;
  std::ofstream(dir / "report.json") << report.dump(2) << "\n";
  absl::StatusOr<device_farm::Artifact> artifact =
      device_farm::LoadArtifact(dir.string());
  if (artifact.ok()) (*cache)[key] = *artifact;
  return artifact;
}

inline absl::StatusOr<device_farm::Artifact> StandInArtifact(
    const std::string& board_id, const std::string& name,
    const Defines& defines = {}) {
  return BuildFarmArtifact(board_id, name, defines);
}

inline absl::StatusOr<device_farm::Artifact> HangArtifact(
    const std::string& board_id) {
  return BuildFarmArtifact(board_id, "farm-hang-" + board_id,
                           {{"MCUTUNE_STAND_IN_HANG", "1"}}, {}, true,
                           /*expect_output=*/false);
}

inline absl::StatusOr<device_farm::Artifact> FaultArtifact(
    const std::string& board_id) {
  return BuildFarmArtifact(board_id, "farm-fault-" + board_id,
                           {{"MCUTUNE_STAND_IN_FAULT", "1"}}, {}, true, false);
}

inline absl::StatusOr<device_farm::Artifact> GarbageArtifact(
    const std::string& board_id) {
  return BuildFarmArtifact(
      board_id, "farm-garbage-" + board_id, {{"GARBAGE_KIND", "1"}},
      {FarmTestDataDir() + "garbage_main.c"}, /*with_harness=*/false, false);
}

}  // namespace mcutune::testing

#endif  // MCUTUNE_TESTS_DEVICE_FARM_FARM_ARTIFACTS_H_
