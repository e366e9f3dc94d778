// Sweep definition files: every field parsed, defaults, items and their
// requests, every bad-input answer, directory loading, and the shipped
// configs/sweeps/*.json.
#include "tuner/sweep_definition.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/testing/cli_runner.h"
#include "tuner/sweep_inputs.h"

namespace mcutune::tuner {
namespace {

namespace fs = std::filesystem;

const std::vector<space::BoardSpec>& Catalogue() {
  static const std::vector<space::BoardSpec> c =
      *space::LoadBoardCatalogue(MCUTUNE_SOURCE_DIR "/configs/boards");
  return c;
}

absl::StatusOr<SweepDefinition> Parse(const std::string& json,
                                      const std::string& base = "/tmp") {
  return ParseSweepDefinition(json, "s.json", base, "s", Catalogue());
}

TEST_CASE("sweep definition: every field, defaults and items") {
  const fs::path dir = ::mcutune::testing::MakeTempDir("sweep_def");
  { std::ofstream(dir / "mine.tflite") << "not parsed at load time"; }
  absl::StatusOr<SweepDefinition> d = Parse(R"({
    "name": "nightly", "description": "three models",
    "schedule": "30 1 * * MON-FRI", "timezone": "UTC", "enabled": false,
    "models": ["ds-cnn-kws", {"zoo": "mcunet-vww0", "name": "vww"},
               "mine.tflite", {"file": "mine.tflite", "name": "mine2"}],
    "board_kinds": ["qemu-f746", "qemu-f469"],
    "constraints": [{"name": "board"},
                    {"name": "small", "sram_budget": "128K", "flash_budget": 524288,
                     "allow_external_memory": false, "max_n_patch": 4}],
    "measurement_budget": 5, "batch_size": 2, "runs_per_measurement": 4,
    "seed": 9, "remeasure_after_hours": 24, "remeasure_repeats": 5,
    "catch_up": "skip",
    "drift": {"noise_floor": 0.05, "spread_factor": 2, "min_board_pairs": 3,
              "cost_model_abs_growth": 0.1, "cost_model_rel_growth": 1}
  })",
                                            dir.string());
  INFO(d.status().message());
  REQUIRE(d.ok());
  CHECK(d->name == "nightly");
  CHECK(d->description == "three models");
  CHECK(d->schedule == "30 1 * * MON-FRI");
  CHECK_FALSE(d->enabled);
  REQUIRE(d->models.size() == 4);
  CHECK(d->models[0].name == "ds-cnn-kws");
  CHECK(d->models[0].zoo == "ds-cnn-kws");
  CHECK(d->models[1].name == "vww");
  CHECK(d->models[2].name == "mine");
  CHECK(d->models[2].file == (dir / "mine.tflite").string());
  CHECK(d->models[3].name == "mine2");
  CHECK(d->constraints.size() == 2);
  CHECK(d->constraints[1].sram_budget_bytes == 128 * 1024);
  CHECK(d->constraints[1].flash_budget_bytes == 524288);
  CHECK_FALSE(d->constraints[1].allow_external_memory);
  CHECK(d->constraints[1].max_n_patch == 4);
  CHECK(d->measurement_budget == 5);
  CHECK(d->batch_size == 2);
  CHECK(d->runs_per_measurement == 4);
  CHECK(d->seed == 9);
  CHECK(d->remeasure_after == absl::Hours(24));
  CHECK(d->remeasure_repeats == 5);
  CHECK(d->catch_up == CatchUp::kSkip);
  CHECK(d->drift.noise_floor == 0.05);
  CHECK(d->drift.min_board_pairs == 3);
  // 4 models x 2 kinds x 2 constraints, nested in that order.
  const std::vector<SweepItem> items = Items(*d);
  REQUIRE(items.size() == 16);
  CHECK(items[0].key == "ds-cnn-kws/qemu-f746/board");
  CHECK(items[1].key == "ds-cnn-kws/qemu-f746/small");
  CHECK(items[2].key == "ds-cnn-kws/qemu-f469/board");
  CHECK(items[15].key == "mine2/qemu-f469/small");
  const TuneRequest r = ItemRequest(*d, items[1], std::string(64, 'a'));
  CHECK(r.board_kinds == std::vector<std::string>{"qemu-f746"});
  CHECK(r.sram_budget_bytes == 128 * 1024);
  CHECK_FALSE(r.allow_external_memory);
  CHECK(r.measurement_budget == 5);
  CHECK(r.runs_per_measurement == 4);
  CHECK(r.seed == 9);
  // Canonical JSON round-trips through the parser.
  absl::StatusOr<SweepDefinition> again =
      Parse(SweepDefinitionToJson(*d), dir.string());
  INFO(again.status().message());
  REQUIRE(again.ok());
  CHECK(SweepDefinitionToJson(*again) == SweepDefinitionToJson(*d));
  fs::remove_all(dir);

  absl::StatusOr<SweepDefinition> minimal = Parse(
      R"({"schedule": "@daily", "models": ["ds-cnn-kws"], "board_kinds": ["qemu-f746"]})");
  REQUIRE(minimal.ok());
  CHECK(minimal->name == "s");  // the file stem
  CHECK(minimal->enabled);
  CHECK(minimal->constraints.size() == 1);
  CHECK(minimal->constraints[0].name == "board");
  CHECK(minimal->remeasure_after == absl::Hours(24 * 7));
  CHECK(minimal->catch_up == CatchUp::kLatest);
  CHECK(minimal->timezone == "UTC");
}

TEST_CASE("sweep definition: bad input is rejected naming the key") {
  const std::string ok_tail =
      R"("models": ["ds-cnn-kws"], "board_kinds": ["qemu-f746"])";
  struct Bad {
    std::string json, needle;
  };
  for (
      const Bad& b : std::vector<Bad>{
          {"[]", "not a JSON object"},
          {"{", "not a JSON object"},
          {"{" + ok_tail + "}", "\"schedule\" is required"},
          {R"({"schedule": "0 2 * *", )" + ok_tail + "}", "4 fields"},
          {R"({"schedule": 5, )" + ok_tail + "}", "schedule: must be a string"},
          {R"({"schedule": "@daily", "bogus": 1, )" + ok_tail + "}",
           "unknown key 'bogus'"},
          {R"({"schedule": "@daily", "name": "a b", )" + ok_tail + "}",
           ".name"},
          {R"({"schedule": "@daily", "timezone": "Mars/Base", )" + ok_tail +
               "}",
           "unknown time zone"},
          {R"({"schedule": "@daily", "enabled": "yes", )" + ok_tail + "}",
           "enabled"},
          {R"({"schedule": "@daily", "models": [], "board_kinds": ["qemu-f746"]})",
           "models"},
          {R"({"schedule": "@daily", "models": ["no-such-net"], "board_kinds": ["qemu-f746"]})",
           "unknown zoo model"},
          {R"({"schedule": "@daily", "models": ["missing.tflite"], "board_kinds": ["qemu-f746"]})",
           "does not exist"},
          {R"({"schedule": "@daily", "models": [{"zoo": "ds-cnn-kws", "file": "x.tflite"}], "board_kinds": ["qemu-f746"]})",
           "exactly one"},
          {R"({"schedule": "@daily", "models": ["ds-cnn-kws", "ds-cnn-kws"], "board_kinds": ["qemu-f746"]})",
           "repeated"},
          {R"({"schedule": "@daily", "models": [7], "board_kinds": ["qemu-f746"]})",
           "models[0]"},
          {R"({"schedule": "@daily", "models": ["ds-cnn-kws"], "board_kinds": []})",
           "board_kinds"},
          {R"({"schedule": "@daily", "models": ["ds-cnn-kws"], "board_kinds": ["qemu-z80"]})",
           "unknown board kind 'qemu-z80'"},
          {R"({"schedule": "@daily", "models": ["ds-cnn-kws"], "board_kinds": ["qemu-f746", "qemu-f746"]})",
           "repeated"},
          {R"({"schedule": "@daily", "constraints": [{"name": "x", "sram_budget": 512}], )" +
               ok_tail + "}",
           "sram_budget_bytes: 512 is impossible"},
          {R"({"schedule": "@daily", "constraints": [{"name": "x", "sram_budget": "64M"}], )" +
               ok_tail + "}",
           "exceeds"},
          {R"({"schedule": "@daily", "constraints": [{"name": "x", "sram_budget": "12Q"}], )" +
               ok_tail + "}",
           "byte count"},
          {R"({"schedule": "@daily", "constraints": [{"name": "x"}, {"name": "x"}], )" +
               ok_tail + "}",
           "repeated"},
          {R"({"schedule": "@daily", "constraints": [{"nom": "x"}], )" +
               ok_tail + "}",
           "unknown key 'nom'"},
          {R"({"schedule": "@daily", "constraints": [{"max_n_patch": 99}], )" +
               ok_tail + "}",
           "max_n_patch"},
          {R"({"schedule": "@daily", "measurement_budget": 0, )" + ok_tail +
               "}",
           "measurement_budget"},
          {R"({"schedule": "@daily", "batch_size": 1.5, )" + ok_tail + "}",
           "batch_size"},
          {R"({"schedule": "@daily", "remeasure_after_hours": -1, )" + ok_tail +
               "}",
           "remeasure_after_hours"},
          {R"({"schedule": "@daily", "remeasure_repeats": 50, )" + ok_tail +
               "}",
           "remeasure_repeats"},
          {R"({"schedule": "@daily", "catch_up": "all", )" + ok_tail + "}",
           "catch_up"},
          {R"({"schedule": "@daily", "drift": {"noise_floor": 0}, )" + ok_tail +
               "}",
           "noise_floor"},
          {R"({"schedule": "@daily", "drift": {"x": 1}, )" + ok_tail + "}",
           "unknown key 'x'"},
      }) {
    absl::StatusOr<SweepDefinition> d = Parse(b.json);
    INFO(b.json << "\n -> " << d.status().message());
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(d.status().message()).find(b.needle) !=
          std::string::npos);
    CHECK(std::string(d.status().message()).rfind("s.json", 0) == 0);
  }
}

TEST_CASE("sweep definitions: a directory, duplicate names, the shipped ones") {
  const fs::path dir = ::mcutune::testing::MakeTempDir("sweep_dir");
  CHECK(LoadSweepDefinitions((dir / "none").string(), Catalogue())->empty());
  const std::string body =
      R"("schedule": "@daily", "models": ["ds-cnn-kws"], "board_kinds": ["qemu-f746"])";
  std::ofstream(dir / "b.json") << "{" << body << "}";
  std::ofstream(dir / "a.json") << "{" << body << "}";
  std::ofstream(dir / "notes.txt") << "ignored";
  absl::StatusOr<std::vector<SweepDefinition>> ds =
      LoadSweepDefinitions(dir.string(), Catalogue());
  REQUIRE(ds.ok());
  REQUIRE(ds->size() == 2);
  CHECK((*ds)[0].name == "a");
  CHECK((*ds)[1].name == "b");
  CHECK((*ds)[1].file == (dir / "b.json").string());
  std::ofstream(dir / "c.json") << R"({"name": "a", )" << body << "}";
  ds = LoadSweepDefinitions(dir.string(), Catalogue());
  REQUIRE_FALSE(ds.ok());
  CHECK(std::string(ds.status().message()).find("also used by") !=
        std::string::npos);
  fs::remove_all(dir);

  ds = LoadSweepDefinitions(MCUTUNE_SOURCE_DIR "/configs/sweeps", Catalogue());
  INFO(ds.status().message());
  REQUIRE(ds.ok());
  REQUIRE_FALSE(ds->empty());
  bool found = false;
  for (const SweepDefinition& d : *ds) {
    if (d.name != "nightly-zoo") continue;
    found = true;
    CHECK(d.models.size() == 3);
    CHECK(d.board_kinds == std::vector<std::string>{"qemu-f746", "qemu-f469"});
    CHECK(d.cron.Next(absl::FromCivil(absl::CivilMinute(2030, 1, 1, 0, 0),
                                      absl::UTCTimeZone()),
                      d.tz) ==
          absl::FromCivil(absl::CivilMinute(2030, 1, 1, 2, 0),
                          absl::UTCTimeZone()));
  }
  CHECK(found);
}

TEST_CASE("sweep inputs: fingerprints, change descriptions, codegen version") {
  ItemInputs a;
  a.model_hash = std::string(64, 'a');
  a.board_kind = "qemu-f746";
  a.toolchain = "gcc 12";
  a.codegen = "codegen-1+x";
  a.cost_model_version = 2;
  a.request_json = R"({"measurement_budget":4})";
  ItemInputs b = a;
  CHECK(Fingerprint(a) == Fingerprint(b));
  CHECK(DescribeChange(a, b).empty());
  b.toolchain = "gcc 13";
  b.cost_model_version = 3;
  CHECK(Fingerprint(a) != Fingerprint(b));
  CHECK(DescribeChange(a, b) ==
        "toolchain 'gcc 12' -> 'gcc 13'; cost model v2 -> v3");
  b = a;
  b.request_json = R"({"measurement_budget":5})";
  CHECK(DescribeChange(a, b) == "request (constraints or budget) changed");
  absl::StatusOr<ItemInputs> back = ItemInputsFromJson(ItemInputsToJson(a));
  REQUIRE(back.ok());
  CHECK(Fingerprint(*back) == Fingerprint(a));
  CHECK_FALSE(ItemInputsFromJson("{}").ok());

  // The codegen version follows the kernel sources.
  const fs::path root = ::mcutune::testing::MakeTempDir("codegen_root");
  fs::create_directories(root / "codegen/kernels");
  fs::create_directories(root / "codegen/firmware");
  std::ofstream(root / "codegen/kernels/conv.c") << "int conv;";
  std::ofstream(root / "codegen/firmware/harness.c") << "int main;";
  const std::string v1 = CodegenVersion(root.string());
  CHECK(v1.rfind(std::string(kCodegenVersion) + "+", 0) == 0);
  CHECK(CodegenVersion(root.string()) == v1);
  std::ofstream(root / "codegen/kernels/conv.c") << "int conv2;";
  CHECK(CodegenVersion(root.string()) != v1);
  fs::remove_all(root);
  // The real tree has sources.
  CHECK(CodegenVersion().find("no-sources") == std::string::npos);
}

}  // namespace
}  // namespace mcutune::tuner
