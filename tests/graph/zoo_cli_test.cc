// `mcutune zoo list|build` end to end: the CLI binary (MCUTUNE_CLI) is
// spawned without a shell; stdout and stderr go to temporary files.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "graph/tflite_reader.h"
#include "nlohmann/json.hpp"
#include "tests/testing/cli_runner.h"

namespace mcutune::graph {
namespace {

namespace fs = std::filesystem;

using Run = mcutune::testing::CliRun;

// A temporary directory for outputs, and `mcutune` runs.
class ZooCli {
 public:
  ZooCli() : dir_(mcutune::testing::MakeTempDir("mcutune_zoo_cli")) {}
  ~ZooCli() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const {
    return (dir_ / name).string();
  }
  Run operator()(const std::vector<std::string>& args) const {
    return mcutune::testing::RunMcutune(args);
  }

 private:
  fs::path dir_;
};

void CheckOneErrorLine(const Run& r) {
  INFO("stderr: " << r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.err.rfind("error:", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("zoo list: names, inputs, MACs and params", "[cli][zoo]") {
  ZooCli cli;
  const Run r = cli({"zoo", "list"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("mcunet-in1") != std::string::npos);
  CHECK(r.out.find("96x96x3") != std::string::npos);
  CHECK(r.out.find("12,790,096") != std::string::npos);
  CHECK(r.out.find("630,224") != std::string::npos);
  CHECK(r.out.find("ds-cnn-kws") != std::string::npos);
  CHECK(r.out.find("49x10x1") != std::string::npos);
}

TEST_CASE("zoo build: a deterministic model that inspect reads", "[cli][zoo]") {
  ZooCli cli;
  const std::string a = cli.Path("a.tflite"), b = cli.Path("b.tflite"),
                    c = cli.Path("c.tflite");
  Run r = cli({"zoo", "build", "mcunet-in1", "-o", a});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("12,790,096 MACs") != std::string::npos);
  REQUIRE(
      cli({"zoo", "build", "mcunet-in1", "--seed", "1", "-o", b}).exit_code ==
      0);
  REQUIRE(
      cli({"zoo", "build", "mcunet-in1", "-o", c, "--seed", "2"}).exit_code ==
      0);
  CHECK(mcutune::testing::ReadFileText(a) == mcutune::testing::ReadFileText(b));
  CHECK(mcutune::testing::ReadFileText(a) != mcutune::testing::ReadFileText(c));
  auto g = ImportTfliteFile(a);
  INFO(g.status().message());
  REQUIRE(g.ok());
  CHECK(g->name == "mcunet-in1");

  const Run inspect = cli({"inspect", a, "--json"});
  INFO(inspect.err);
  REQUIRE(inspect.exit_code == 0);
  const auto j = nlohmann::json::parse(inspect.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["macs_total"] == 12790096);
}

TEST_CASE("zoo: bad requests give one error line", "[cli][zoo]") {
  ZooCli cli;
  const std::string out = cli.Path("x.tflite");
  CheckOneErrorLine(cli({"zoo"}));
  CheckOneErrorLine(cli({"zoo", "frob"}));
  CheckOneErrorLine(cli({"zoo", "build"}));
  CheckOneErrorLine(cli({"zoo", "build", "mcunet-in0"}));
  CheckOneErrorLine(cli({"zoo", "build", "mcunet-in0", "-o"}));
  CheckOneErrorLine(
      cli({"zoo", "build", "mcunet-in0", "-o", out, "--seed", "x"}));
  CheckOneErrorLine(
      cli({"zoo", "build", "mcunet-in0", "-o", out, "--seed", "-1"}));
  CheckOneErrorLine(cli({"zoo", "build", "mcunet-in0", "extra", "-o", out}));
  CheckOneErrorLine(cli({"zoo", "list", "--bogus"}));
  CheckOneErrorLine(cli({"zoo", "list", "--dir", cli.Path("missing")}));
  const Run unknown = cli({"zoo", "build", "no-such-net", "-o", out});
  CheckOneErrorLine(unknown);
  CHECK(unknown.err.find("no-such-net") != std::string::npos);
  CHECK(unknown.err.find("mcunet-in0") != std::string::npos);
  CheckOneErrorLine(cli(
      {"zoo", "build", "mcunet-in0", "-o", cli.Path("no/such/dir.tflite")}));
  CHECK_FALSE(fs::exists(out));
  CHECK(cli({"zoo", "--help"}).exit_code == 0);
}

}  // namespace
}  // namespace mcutune::graph
