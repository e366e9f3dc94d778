// Board catalogue: the shipped files and the bad-input answers.
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "tuner/space/board.h"

namespace mcutune::space {
namespace {

namespace fs = std::filesystem;

std::string Catalogue() {
  return std::string(MCUTUNE_SOURCE_DIR) + "/configs/boards";
}

constexpr char kGood[] = R"({"id": "b1", "name": "B", "kind": "real",
  "core": "cortex-m4", "clock_hz": 1000, "sram_bytes": 65536,
  "flash_bytes": 131072})";

TEST_CASE("the shipped catalogue has the six boards and their stand-ins",
          "[space][board]") {
  absl::StatusOr<std::vector<BoardSpec>> boards = LoadBoardCatalogue(Catalogue());
  REQUIRE(boards.ok());
  CHECK(boards->size() == 12);
  for (const char* id : {"f746", "f767", "f469", "l552", "h743", "l4r5"}) {
    absl::StatusOr<BoardSpec> real = FindBoard(*boards, id);
    REQUIRE(real.ok());
    CHECK_FALSE(real->is_virtual);
    absl::StatusOr<BoardSpec> q = FindBoard(*boards, std::string("qemu-") + id);
    REQUIRE(q.ok());
    CHECK(q->is_virtual);
    CHECK(q->stands_in_for == id);
    CHECK(q->sram_bytes == real->sram_bytes);
    CHECK(q->flash_bytes == real->flash_bytes);
    CHECK(q->core == real->core);
    CHECK(q->usable_sram_bytes() ==
          real->sram_bytes - kDefaultReservedSramBytes);
  }
  const BoardSpec f746 = *FindBoard(*boards, "f746");
  CHECK(f746.sram_bytes == 320 * 1024);
  REQUIRE(f746.ext_ram() != nullptr);
  CHECK(f746.ext_ram()->bytes == 8 * 1024 * 1024);
  REQUIRE(f746.ext_flash() != nullptr);
  CHECK(FindBoard(*boards, "f767")->ext_ram() == nullptr);
  CHECK(FindBoard(*boards, "qemu-f469")->qemu_machine == "mps2-an386");
  CHECK(FindBoard(*boards, "qemu-h743")->qemu_machine == "mps2-an500");
  CHECK(FindBoard(*boards, "qemu-l552")->qemu_machine == "mps2-an505");
}

TEST_CASE("FindBoard: NOT_FOUND lists the valid ids", "[space][board]") {
  absl::StatusOr<BoardSpec> b = FindBoard("nope", Catalogue());
  REQUIRE(b.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(b.status().message()).find("f746") != std::string::npos);
  CHECK(FindBoard("f746", "/nonexistent/dir").status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("ParseBoardSpec rejects malformed descriptions", "[space][board]") {
  REQUIRE(ParseBoardSpec(kGood, "x").ok());
  const char* bad[] = {
      "not json",
      "[]",
      R"({"id": "b1"})",
      R"({"id": "B 1", "name": "B", "kind": "real", "core": "cortex-m4",
          "clock_hz": 1, "sram_bytes": 1, "flash_bytes": 1})",
      R"({"id": "b1", "name": "B", "kind": "real", "core": "cortex-m0",
          "clock_hz": 1, "sram_bytes": 1, "flash_bytes": 1})",
      R"({"id": "b1", "name": "B", "kind": "real", "core": "cortex-m4",
          "clock_hz": 1, "sram_bytes": -5, "flash_bytes": 1})",
      R"({"id": "b1", "name": "B", "kind": "real", "core": "cortex-m4",
          "clock_hz": 1, "sram_bytes": "big", "flash_bytes": 1})",
      R"({"id": "b1", "name": "B", "kind": "real", "core": "cortex-m4",
          "clock_hz": 1, "sram_bytes": 65536, "flash_bytes": 65536,
          "sram_kb": 3})",
      R"({"id": "b1", "name": "B", "kind": "virtual", "core": "cortex-m4",
          "clock_hz": 1, "sram_bytes": 65536, "flash_bytes": 65536})",
      R"({"id": "b1", "name": "B", "kind": "real", "core": "cortex-m4",
          "clock_hz": 1, "sram_bytes": 65536, "flash_bytes": 65536,
          "external": [{"kind": "tape", "bytes": 1, "bandwidth_mb_s": 1,
          "wait_states": 0}]})",
      R"({"id": "b1", "name": "B", "kind": "real", "core": "cortex-m4",
          "clock_hz": 1, "sram_bytes": 65536, "flash_bytes": 65536,
          "reserved_sram_bytes": 65536})",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK(ParseBoardSpec(text, "x").status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("LoadBoardCatalogue checks the catalogue as a whole",
          "[space][board]") {
  const fs::path dir = fs::temp_directory_path() / "mcutune_board_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  CHECK(LoadBoardCatalogue(dir.string()).status().code() ==
        absl::StatusCode::kNotFound);  // empty
  std::ofstream(dir / "b1.json") << kGood;
  CHECK(LoadBoardCatalogue(dir.string()).ok());
  std::ofstream(dir / "other.json") << kGood;  // stem != id
  CHECK(LoadBoardCatalogue(dir.string()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  fs::remove(dir / "other.json");
  std::ofstream(dir / "qemu-b2.json")
      << R"({"id": "qemu-b2", "name": "Q", "kind": "virtual",
             "core": "cortex-m4", "clock_hz": 1, "sram_bytes": 65536,
             "flash_bytes": 131072, "qemu_machine": "mps2-an386",
             "stands_in_for": "b2"})";
  absl::Status s = LoadBoardCatalogue(dir.string()).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find("b2") != std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcutune::space
