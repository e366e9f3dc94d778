// The Board conformance suite: one set of checks of the board.h contract,
// run against every Board implementation (IREE hal/cts style).
//
//   fixture (per implementation)            checks (same for all)
//   ─────────────────────────────            ──────────────────────────────
//   qemu      QemuBoard + stand-in ELFs      identity: uri/kind/slots
//   fake      FakeBoard, scripted            healthy run: ok, count, hash
//   pyocd     (hook for the pyOCD stand-in)  deterministic output
//                                            no image: INVALID_ARGUMENT
//                                            missing file: error, no crash
//                                            hang: kTimeout near the deadline
//
// A fixture supplies the board and artifacts that, on that implementation,
// are healthy / hang; how it makes them hang is its own business (a real
// firmware loop for QEMU, a scripted delay for the fake). Everything else is
// asserted identically.
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device_farm/board.h"
#include "device_farm/qemu_board.h"
#include "device_farm/testing/fake_board.h"
#include "tests/device_farm/farm_artifacts.h"

namespace mcutune::device_farm {
namespace {

struct BoardUnderTest {
  std::string name;
  std::unique_ptr<Board> board;
  std::string expected_uri;
  std::string expected_kind;
  Artifact healthy;  // expected_output_sha256 set
  Artifact hanging;  // never finishes on this board
  // The implementation reads the image from disk (a missing file must be an
  // error). A fake that never touches files declares false.
  bool reads_files = true;
};

using Fixture = std::function<std::optional<BoardUnderTest>()>;

std::optional<BoardUnderTest> QemuFixture() {
  if (!testing::HaveArmToolchain() || !testing::HaveQemu()) {
    WARN("arm-none-eabi-gcc or qemu-system-arm missing: qemu fixture skipped");
    return std::nullopt;
  }
  absl::StatusOr<space::BoardSpec> spec = testing::CatalogueBoard("qemu-f746");
  REQUIRE(spec.ok());
  absl::StatusOr<Artifact> healthy =
      testing::StandInArtifact("qemu-f746", "cts-healthy");
  REQUIRE(healthy.ok());
  absl::StatusOr<Artifact> hanging = testing::HangArtifact("qemu-f746");
  REQUIRE(hanging.ok());
  BoardUnderTest t;
  t.name = "qemu";
  QemuBoardOptions options;
  options.slots = 2;
  t.board = MakeQemuBoard("qemu://qemu-f746/cts", *spec, options);
  t.expected_uri = "qemu://qemu-f746/cts";
  t.expected_kind = "qemu-f746";
  t.healthy = *healthy;
  t.hanging = *hanging;
  return t;
}

std::optional<BoardUnderTest> FakeFixture() {
  BoardUnderTest t;
  t.name = "fake";
  auto board = std::make_unique<FakeBoard>("qemu://qemu-f746/fake",
                                           FakeSpec("qemu-f746"), 2);
  t.healthy.elf_path = "/fake/healthy.elf";
  t.healthy.sha256 = std::string(64, '1');
  t.healthy.expected_output_sha256 = std::string(64, 'e');
  t.hanging.elf_path = "/fake/hang.elf";
  t.hanging.sha256 = std::string(64, '2');
  // The fake's hang: it reports a timeout after a delay.
  board->SetArtifactDefault(
      t.hanging.sha256,
      FakeOutcome::Firmware(RunStatus::kTimeout, absl::Seconds(1)));
  t.board = std::move(board);
  t.expected_uri = "qemu://qemu-f746/fake";
  t.expected_kind = "qemu-f746";
  t.reads_files = false;
  return t;
}

// HOOK (pyOCD board, helper B): add a fixture that builds
// MakePyocdBoard("pyocd://<stand-in uid>", spec, options) over the
// stand-in endpoint (tests/device_farm/pyocd_stand_in.py) with the
// semihosting-free stand-in build as `healthy` and the hang variant as
// `hanging`, and list it in Fixtures() below.

std::vector<std::pair<std::string, Fixture>> Fixtures() {
  return {{"qemu", QemuFixture}, {"fake", FakeFixture}};
}

// Runs `check` against every implementation, each in its own section.
void ForEachBoard(const std::function<void(BoardUnderTest&)>& check) {
  for (const auto& [name, fixture] : Fixtures()) {
    DYNAMIC_SECTION("board: " << name) {
      std::optional<BoardUnderTest> t = fixture();
      if (!t.has_value()) continue;
      INFO("implementation " << t->name);
      check(*t);
    }
  }
}

RunOptions Options(int runs = 2, absl::Duration timeout = absl::Seconds(30)) {
  RunOptions o;
  o.runs = runs;
  o.warmup = 1;
  o.timeout = timeout;
  return o;
}

TEST_CASE("conformance: identity", "[device_farm][conformance][qemu]") {
  ForEachBoard([](BoardUnderTest& t) {
    CHECK(t.board->uri() == t.expected_uri);
    CHECK(t.board->kind() == t.expected_kind);
    CHECK(t.board->spec().id == t.expected_kind);
    CHECK(t.board->slots() >= 1);
    CHECK(ParseBoardUri(t.board->uri()).ok());
  });
}

TEST_CASE("conformance: a healthy run is ok with a count and the expected hash",
          "[device_farm][conformance][qemu]") {
  ForEachBoard([](BoardUnderTest& t) {
    absl::StatusOr<Measurement> m = t.board->Run(t.healthy, Options(2));
    REQUIRE(m.ok());
    INFO(m->error << "\n" << m->raw_log);
    CHECK(m->status == RunStatus::kOk);
    CHECK(m->error.empty());
    CHECK(m->output_sha256 == t.healthy.expected_output_sha256);
    CHECK(m->unit != CountUnit::kNone);
    CHECK(m->total_count > 0);
    CHECK(m->per_inference > 0);
    CHECK(m->runs == 2);
    CHECK(!m->counted_by.empty());
    // Same firmware, same input: the same output every time.
    absl::StatusOr<Measurement> again = t.board->Run(t.healthy, Options(1));
    REQUIRE(again.ok());
    CHECK(again->status == RunStatus::kOk);
    CHECK(again->output_sha256 == m->output_sha256);
  });
}

TEST_CASE("conformance: a bad artifact is an error, never a crash",
          "[device_farm][conformance][qemu]") {
  ForEachBoard([](BoardUnderTest& t) {
    Artifact no_image = t.healthy;
    no_image.elf_path.clear();
    no_image.bin_path.clear();
    CHECK(t.board->Run(no_image, Options()).status().code() ==
          absl::StatusCode::kInvalidArgument);
    if (t.reads_files) {
      Artifact missing = t.healthy;
      missing.elf_path = "/nonexistent/mcutune/firmware.elf";
      missing.bin_path = "/nonexistent/mcutune/firmware.bin";
      absl::StatusOr<Measurement> m = t.board->Run(missing, Options());
      CHECK(!m.ok());
      CHECK((m.status().code() == absl::StatusCode::kInvalidArgument ||
             m.status().code() == absl::StatusCode::kNotFound));
    }
    RunOptions bad = Options();
    bad.runs = 0;
    CHECK(!t.board->Run(t.healthy, bad).ok());
  });
}

TEST_CASE("conformance: the run timeout is honoured",
          "[device_farm][conformance][qemu]") {
  ForEachBoard([](BoardUnderTest& t) {
    const absl::Duration timeout = absl::Milliseconds(1500);
    const absl::Time start = absl::Now();
    absl::StatusOr<Measurement> m =
        t.board->Run(t.hanging, Options(1, timeout));
    const absl::Duration took = absl::Now() - start;
    REQUIRE(m.ok());
    CHECK(m->status == RunStatus::kTimeout);
    CHECK(m->output_sha256.empty());
    CHECK(took < timeout + absl::Seconds(10));
  });
}

}  // namespace
}  // namespace mcutune::device_farm
