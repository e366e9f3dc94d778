// board.cc: board URIs, artifacts loaded from a build dir, SHA-256 against
// FIPS 180-4 test vectors; and the QEMU board's answers to bad
// configurations and requests (no emulator run needed).
#include "device_farm/board.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "device_farm/qemu_board.h"
#include "tests/device_farm/stand_in_firmware.h"

namespace mcutune::device_farm {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::path(testing::TestTempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST_CASE("board URIs parse strictly", "[device_farm]") {
  absl::StatusOr<BoardUri> u = ParseBoardUri("qemu://qemu-f746/0");
  REQUIRE(u.ok());
  CHECK(u->scheme == "qemu");
  CHECK(u->target == "qemu-f746");
  CHECK(u->slot == "0");
  u = ParseBoardUri("qemu://qemu-l552");
  REQUIRE(u.ok());
  CHECK(u->slot.empty());
  u = ParseBoardUri("pyocd://066DFF535254887767184123");
  REQUIRE(u.ok());
  CHECK(u->scheme == "pyocd");
  CHECK(u->target == "066DFF535254887767184123");
  for (const char* bad :
       {"", "qemu-f746", "qemu://", "qemu:///0", "qemu://QEMU-F746",
        "qemu://qemu f746", "qemu://qemu-f746/", "qemu://qemu-f746/a/b",
        "pyocd://", "pyocd://abc/def", "pyocd://a;rm", "http://x", "qemu://x\n",
        "QEMU://qemu-f746"}) {
    INFO(bad);
    absl::StatusOr<BoardUri> r = ParseBoardUri(bad);
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(!r.status().message().empty());
  }
  CHECK(!ParseBoardUri("qemu://" + std::string(300, 'a')).ok());
}

TEST_CASE("SHA-256 matches the FIPS 180-4 vectors", "[device_farm]") {
  CHECK(Sha256Hex("", 0) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc", 3) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const fs::path dir = FreshDir("sha");
  // 1,000,000 x 'a' spans many read blocks.
  Write(dir / "a", std::string(1000000, 'a'));
  absl::StatusOr<std::string> h = Sha256File((dir / "a").string());
  REQUIRE(h.ok());
  CHECK(*h ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(Sha256File((dir / "missing").string()).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(Sha256File(dir.string()).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("LoadArtifact reads and validates a build dir", "[device_farm]") {
  const fs::path dir = FreshDir("artifact");
  CHECK(LoadArtifact((dir / "nope").string()).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(LoadArtifact(dir.string()).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(LoadArtifact("").status().code() == absl::StatusCode::kInvalidArgument);
  Write(dir / "firmware.elf", "abc");

  // No report: an artifact without expectations.
  absl::StatusOr<Artifact> a = LoadArtifact(dir.string());
  REQUIRE(a.ok());
  CHECK(a->sha256 ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(fs::path(a->elf_path).is_absolute());
  CHECK(a->bin_path.empty());
  CHECK(a->expected_output_sha256.empty());
  CHECK(a->semihosting);

  const std::string hash(64, 'a');
  Write(dir / "firmware.bin", "x");
  Write(
      dir / "report.json",
      R"({"expected_output_sha256":")" + hash +
          R"(","build":{"ok":true,"toolchain_version":"arm-none-eabi-gcc 12.2"}})");
  a = LoadArtifact(dir.string());
  REQUIRE(a.ok());
  CHECK(a->expected_output_sha256 == hash);
  CHECK(a->toolchain_version == "arm-none-eabi-gcc 12.2");
  CHECK(a->bin_path == (fs::absolute(dir) / "firmware.bin").string());

  for (const std::string& bad : std::vector<std::string>{
           "not json",
           "[1,2]",
           R"({"expected_output_sha256":"abc"})",
           R"({"expected_output_sha256":")" + std::string(64, 'A') + "\"}",
           R"({"expected_output_sha256":5})",
           R"({"build":{"ok":false}})",
           R"({"build":{"ok":"yes"}})",
           R"({"build":[]})",
           R"({"build":{"toolchain_version":7}})",
           R"({"build":{"toolchain_version":"a\nb"}})",
           R"({"semihosting":"no"})",
       }) {
    INFO(bad);
    Write(dir / "report.json", bad);
    CHECK(LoadArtifact(dir.string()).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  Write(dir / "report.json", R"({"semihosting":false})");
  a = LoadArtifact(dir.string());
  REQUIRE(a.ok());
  CHECK(!a->semihosting);
}

TEST_CASE("a misconfigured QEMU board reports it on Run, never crashes",
          "[device_farm]") {
  absl::StatusOr<space::BoardSpec> spec = testing::CatalogueBoard("qemu-f746");
  REQUIRE(spec.ok());
  absl::StatusOr<space::BoardSpec> real = testing::CatalogueBoard("f746");
  REQUIRE(real.ok());
  Artifact artifact;
  artifact.elf_path = "/nonexistent/firmware.elf";
  RunOptions options;
  struct Case {
    std::string uri;
    space::BoardSpec spec;
    QemuBoardOptions options;
    absl::StatusCode code;
  };
  QemuBoardOptions bad_shift;
  bad_shift.icount_shift = 11;
  QemuBoardOptions bad_slots;
  bad_slots.slots = 0;
  space::BoardSpec unknown_machine = *spec;
  unknown_machine.qemu_machine = "mps2-an999";
  for (const Case& c : std::vector<Case>{
           {"pyocd://123", *spec, {}, absl::StatusCode::kInvalidArgument},
           {"qemu://qemu-f469/0",
            *spec,
            {},
            absl::StatusCode::kInvalidArgument},
           {"qemu://f746", *real, {}, absl::StatusCode::kInvalidArgument},
           {"qemu://qemu-f746",
            unknown_machine,
            {},
            absl::StatusCode::kNotFound},
           {"qemu://qemu-f746", *spec, bad_shift,
            absl::StatusCode::kInvalidArgument},
           {"qemu://qemu-f746", *spec, bad_slots,
            absl::StatusCode::kInvalidArgument},
       }) {
    INFO(c.uri);
    std::unique_ptr<Board> board = MakeQemuBoard(c.uri, c.spec, c.options);
    REQUIRE(board != nullptr);
    CHECK(board->uri() == c.uri);
    CHECK(board->Run(artifact, options).status().code() == c.code);
  }

  std::unique_ptr<Board> board = MakeQemuBoard("qemu://qemu-f746/1", *spec);
  CHECK(board->kind() == "qemu-f746");
  CHECK(board->slots() == 1);
  // Bad requests: INVALID_ARGUMENT (the artifact's fault, not the board's).
  CHECK(board->Run(artifact, options).status().code() ==
        absl::StatusCode::kInvalidArgument);
  const fs::path dir = FreshDir("qemu-board-bad");
  Write(dir / "firmware.elf", "abc");
  artifact.elf_path = (dir / "firmware.elf").string();
  artifact.sha256 = std::string(64, '0');  // not the file's hash
  absl::StatusOr<Measurement> m = board->Run(artifact, options);
  CHECK(m.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(m.status().message()).find("changed on disk") !=
        std::string::npos);
  artifact.sha256.clear();
  artifact.semihosting = false;
  CHECK(board->Run(artifact, options).status().code() ==
        absl::StatusCode::kInvalidArgument);
  artifact.semihosting = true;
  RunOptions bad = options;
  bad.runs = 0;
  CHECK(board->Run(artifact, bad).status().code() ==
        absl::StatusCode::kInvalidArgument);
  bad = options;
  bad.timeout = absl::ZeroDuration();
  CHECK(board->Run(artifact, bad).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // No emulator: NOT_FOUND (quarantine-worthy), named in the message.
  QemuBoardOptions missing;
  missing.qemu_binary = "mcutune-no-such-qemu";
  board = MakeQemuBoard("qemu://qemu-f746/1", *spec, missing);
  m = board->Run(artifact, options);
  CHECK(m.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(m.status().message()).find("mcutune-no-such-qemu") !=
        std::string::npos);
}

}  // namespace
}  // namespace mcutune::device_farm
