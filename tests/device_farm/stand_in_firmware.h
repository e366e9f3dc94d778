// Test helper: builds the stand-in model firmware (codegen/firmware/stand_in)
// for a catalogue board, or with test-only sources, into a per-process
// temporary directory. Used by tests/codegen and tests/device_farm.
#ifndef MCUTUNE_TESTS_DEVICE_FARM_STAND_IN_FIRMWARE_H_
#define MCUTUNE_TESTS_DEVICE_FARM_STAND_IN_FIRMWARE_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/subprocess.h"
#include "codegen/firmware_builder.h"
#include "tuner/space/board.h"

namespace mcutune::testing {

using Defines = std::vector<std::pair<std::string, std::string>>;

inline bool HaveArmToolchain() { return base::ProgramExists("arm-none-eabi-gcc"); }
inline bool HaveQemu() { return base::ProgramExists("qemu-system-arm"); }

// A fresh directory under $TMPDIR, removed when the process exits.
inline std::string TestTempDir() {
  struct Dir {
    std::string path;
    Dir() {
      std::string tmpl = (std::filesystem::temp_directory_path() / "mcutune-test-XXXXXX").string();
      if (mkdtemp(tmpl.data())) path = tmpl;
    }
    ~Dir() {
      std::error_code ec;
      if (!path.empty() && !getenv("MCUTUNE_KEEP_TEST_DIRS")) std::filesystem::remove_all(path, ec);
    }
  };
  static Dir dir;
  return dir.path;
}

inline std::string StandInSource() {
  return std::string(MCUTUNE_SOURCE_DIR) + "/codegen/firmware/stand_in/stand_in_model.c";
}

inline absl::StatusOr<space::BoardSpec> CatalogueBoard(const std::string& id) {
  return space::FindBoard(id, std::string(MCUTUNE_SOURCE_DIR) + "/configs/boards");
}

// Builds `sources` (default: the stand-in) for board `board_id` into
// TestTempDir()/<name>.
inline absl::StatusOr<codegen::BuildResult> BuildForBoard(
    const std::string& board_id, const std::string& name, const Defines& defines = {},
    std::vector<std::string> sources = {}, bool with_harness = true) {
  absl::StatusOr<space::BoardSpec> board = CatalogueBoard(board_id);
  if (!board.ok()) return board.status();
  codegen::FirmwareBuildOptions options;
  options.work_dir = TestTempDir() + "/" + name;
  options.sources = sources.empty() ? std::vector<std::string>{StandInSource()} : sources;
  options.defines = defines;
  options.with_harness = with_harness;
  return codegen::BuildFirmware(*board, options);
}

}  // namespace mcutune::testing

#endif  // MCUTUNE_TESTS_DEVICE_FARM_STAND_IN_FIRMWARE_H_
