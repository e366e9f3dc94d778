// `mcutune model ...`: bad input exits 2 with "error:"; with the shipped
// calibration data (configs/cost_models) eval/fit/predict work on a fresh
// database, and the shipped models meet the goals.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/testing/cli_runner.h"

namespace mcutune {
namespace {

namespace fs = std::filesystem;
using testing::RunMcutune;

bool Shipped(const std::string& kind) {
  return fs::exists(fs::path(MCUTUNE_SOURCE_DIR) / "configs/cost_models" /
                    (kind + ".json"));
}

TEST_CASE("model subcommands reject bad input with exit 2") {
  const fs::path dir = testing::MakeTempDir("mcutune_model_cli");
  const std::string db = (dir / "m.db").string();
  const std::vector<std::vector<std::string>> bad = {
      {"model"},
      {"model", "frobnicate"},
      {"model", "eval", "--db", db},
      {"model", "eval", "--board-kind"},
      {"model", "eval", "--board-kind", "no-such-kind", "--db", db},
      {"model", "fit", "--board-kind", "qemu-f746", "--bogus"},
      {"model", "predict", "--board", "qemu-f746", "--db", db},
      {"model", "predict", "ds-cnn-kws", "--db", db},
      {"model", "predict", "no-such-net", "--board", "qemu-f746", "--db", db},
      {"model", "predict", "ds-cnn-kws", "--board", "no-such-board", "--db",
       db},
      {"model", "predict", "ds-cnn-kws", "--board", "qemu-f746", "--top", "0"},
      {"model", "calibrate", "--db", db},
      {"model", "calibrate", "--board-kind", "f746", "--db", db},  // real board
      {"model", "calibrate", "--board-kind", "qemu-f746", "--share-from",
       "qemu-l552", "--db", db},
      {"model", "calibrate", "--board-kind", "qemu-f746", "--per-model", "0"},
      {"model", "calibrate", "--board-kind", "qemu-f746", "--jobs", "9"},
      {"model", "calibrate", "--board-kind", "qemu-f746", "--strategies",
       "warp"},
      {"model", "calibrate", "--board-kind", "qemu-f746", "--models",
       "no-such-net", "--db", db},
  };
  for (const auto& args : bad) {
    std::string line;
    for (const auto& a : args) line += a + " ";
    INFO(line);
    const testing::CliRun r = RunMcutune(args);
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("error: ", 0) == 0);
  }
  CHECK(RunMcutune({"model", "--help"}).exit_code == 0);
  CHECK(RunMcutune({"model", "calibrate", "--help"}).exit_code == 0);
  fs::remove_all(dir);
}

TEST_CASE("shipped models meet the goals on held-out networks") {
  for (const std::string kind : {"qemu-f746", "qemu-f469", "qemu-l552"}) {
    INFO(kind);
    if (!Shipped(kind)) {
      WARN("no configs/cost_models/" << kind << ".json: skipped");
      continue;
    }
    const fs::path dir = testing::MakeTempDir("mcutune_model_eval");
    const testing::CliRun r =
        RunMcutune({"model", "eval", "--board-kind", kind, "--json", "--db",
                    (dir / "m.db").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    CHECK(j["board_kind"] == kind);
    CHECK(j["method"] == "leave_one_model_out");
    CHECK(j["pearson_r"].get<double>() >= 0.97);
    CHECK(j["mape"].get<double>() <= 0.10);
    CHECK(j["top5_recall"].get<double>() >= 0.90);
    CHECK(j["pearson_r"].get<double>() > j["baseline_pearson_r"].get<double>());
    CHECK(j["mape"].get<double>() < j["baseline_mape"].get<double>());
    CHECK(j["top5_recall"].get<double>() >=
          j["baseline_top5_recall"].get<double>());
    // qemu-l552 runs only the four networks that fit its 512 KiB flash.
    CHECK(j["model"]["models"].get<int>() >= 4);
    fs::remove_all(dir);
  }
}

TEST_CASE("predict ranks candidates with intervals, fit adds a version") {
  if (!Shipped("qemu-f746")) {
    WARN("no shipped qemu-f746 model: skipped");
    return;
  }
  const fs::path dir = testing::MakeTempDir("mcutune_model_predict");
  const std::string db = (dir / "m.db").string();
  const testing::CliRun r =
      RunMcutune({"model", "predict", "ds-cnn-kws", "--board", "qemu-f746",
                  "--json", "--top", "5", "--db", db});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["board"] == "qemu-f746");
  CHECK(j["cost_model_version"] == 1);
  REQUIRE(j["ranking"].size() == 5);
  CHECK(j["candidates"].get<int>() > 5);
  double last = 0;
  for (const nlohmann::json& row : j["ranking"]) {
    const double p = row["predicted"];
    CHECK(p >= last);
    CHECK(row["lower"].get<double>() <= p);
    CHECK(row["upper"].get<double>() >= p);
    last = p;
  }
  const testing::CliRun table = RunMcutune(
      {"model", "predict", "ds-cnn-kws", "--board", "qemu-f746", "--db", db});
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("layerwise") != std::string::npos);
  const testing::CliRun fit =
      RunMcutune({"model", "fit", "--board-kind", "qemu-f746", "--db", db});
  INFO(fit.err);
  CHECK(fit.exit_code == 0);
  CHECK(fit.out.find("version 2") != std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcutune
