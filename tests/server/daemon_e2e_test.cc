// End to end on loopback: mcutuned as a subprocess (two virtual f746 boards,
// auth on, a temporary data dir) driven by the `mcutune` CLI: submit a small
// synthesized model, watch the job, read the front, fetch a bundle, rebuild
// it with its own Makefile, run it on a virtual board and compare the output
// with the reference interpreter. Then kill -9 mid-job and restart: the job
// resumes and completes, no measurement lost or duplicated.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/sqlite.h"
#include "base/subprocess.h"
#include "codegen/host_verifier.h"
#include "device_farm/board.h"
#include "graph/interpreter.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tests/server/daemon_process.h"
#include "tests/testing/cli_runner.h"

extern char** environ;

namespace mcutune::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

bool ToolsPresent() {
  return base::ProgramExists("arm-none-eabi-gcc") &&
         base::ProgramExists("qemu-system-arm") && base::ProgramExists("make");
}

// A running mcutune-agent serving one virtual f746 board.
struct AgentProcess {
  pid_t pid = -1;
  AgentProcess(const DaemonProcess& d, const fs::path& dir,
               const std::string& name) {
    std::ofstream(dir / (name + ".json"))
        << R"({"boards": [{"uri": "qemu://qemu-f746/)" << name
        << R"(", "kind": "qemu-f746"}]})";
    std::vector<std::string> args = {MCUTUNE_AGENT,
                                     "--server",
                                     d.grpc(),
                                     "--farm",
                                     (dir / (name + ".json")).string(),
                                     "--name",
                                     name,
                                     "--token-file",
                                     (d.data() / "agent.token").string()};
    const std::string log = (dir / (name + ".log")).string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid, MCUTUNE_AGENT, &actions, nullptr, argv.data(),
                        environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  void Kill(int sig) {
    if (pid <= 0) return;
    kill(pid, sig);
    waitpid(pid, nullptr, 0);
    pid = -1;
  }
  ~AgentProcess() { Kill(SIGTERM); }
};

std::string ReferenceOutputSha(const std::string& zoo_name, uint32_t seed) {
  const graph::Graph g =
      *graph::zoo::Synthesize(graph::zoo::FindInZoo(zoo_name)->arch, 1);
  const std::vector<std::vector<int8_t>> out =
      *graph::RunInference(g, codegen::GoldenInputs(g, seed));
  return device_farm::Sha256Hex(out[0].data(), out[0].size());
}

TEST_CASE("mcutuned end to end: submit, watch, front, fetch, rebuild, run",
          "[qemu]") {
  if (!ToolsPresent()) {
    WARN("arm-none-eabi-gcc, qemu-system-arm or make missing: skipped");
    return;
  }
  const fs::path dir = MakeTempDir("mcutuned_e2e");
  DaemonProcess d(dir);
  d.Start();
  CliRun submit = d.Cli({"submit", "ds-cnn-kws", "--board-kind", "qemu-f746",
                         "--measure-budget", "3", "--batch", "3", "--seed", "5",
                         "--watch"});
  INFO(submit.out << submit.err);
  REQUIRE(submit.exit_code == 0);
  CHECK(submit.out.find("done") != std::string::npos);
  CliRun jobs = d.Cli({"jobs", "--json"});
  REQUIRE(jobs.exit_code == 0);
  const std::string job = Json::parse(jobs.out)["jobs"][0]["id"];

  CliRun pareto = d.Cli({"pareto", job, "--json"});
  INFO(pareto.out << pareto.err);
  REQUIRE(pareto.exit_code == 0);
  const Json front = Json::parse(pareto.out);
  CHECK(front["final"] == true);
  REQUIRE(front["candidates"].size() >= 1);
  for (const Json& c : front["candidates"]) {
    CHECK(c["state"] == "CANDIDATE_STATE_MEASURED");
    CHECK(c["measured"]["outputMatches"] == true);
    CHECK(c["measured"]["unit"] == "instructions");
    CHECK(c["measured"]["latency"].get<double>() > 0);
  }
  const std::string candidate = front["candidates"][0]["candidateId"];

  const fs::path bundle = dir / "bundle";
  CliRun fetch = d.Cli({"fetch", job, candidate, "-o", bundle.string()});
  INFO(fetch.out << fetch.err);
  REQUIRE(fetch.exit_code == 0);
  REQUIRE(fs::exists(bundle / "Makefile"));
  REQUIRE(fs::exists(bundle / "report.json"));
  // Rebuild from the bundle's sources with its own Makefile.
  fs::remove(bundle / "firmware.elf");
  fs::remove(bundle / "firmware.bin");
  base::SubprocessOptions mo;
  mo.timeout = absl::Seconds(240);
  absl::StatusOr<base::SubprocessResult> make =
      base::RunSubprocess({"make", "-s", "-C", bundle.string()}, mo);
  REQUIRE(make.ok());
  INFO(make->stdout_data << make->stderr_data);
  REQUIRE(make->exit_code == 0);
  REQUIRE(fs::exists(bundle / "firmware.elf"));
  CliRun exec = RunMcutune({"exec", bundle.string(), "--board", "qemu-f746"});
  INFO(exec.out << exec.err);
  REQUIRE(exec.exit_code == 0);
  const Json m = Json::parse(exec.out);
  CHECK(m["status"] == "ok");
  // The firmware embeds the job's input (golden generator, seed 5).
  CHECK(m["output_sha256"] == ReferenceOutputSha("ds-cnn-kws", 5));
  CHECK(d.Stop(SIGTERM) == 0);
  fs::remove_all(dir);
}

TEST_CASE(
    "mcutuned killed mid-job resumes it, no measurement lost or duplicated",
    "[qemu]") {
  if (!ToolsPresent()) {
    WARN("arm-none-eabi-gcc, qemu-system-arm or make missing: skipped");
    return;
  }
  const fs::path dir = MakeTempDir("mcutuned_resume");
  DaemonProcess d(dir);
  d.Start();
  CliRun submit = d.Cli({"submit", "ds-cnn-kws", "--board-kind", "qemu-f746",
                         "--measure-budget", "6", "--batch", "2", "--json"});
  INFO(submit.out << submit.err);
  REQUIRE(submit.exit_code == 0);
  const std::string job = Json::parse(submit.out)["id"];
  // Wait for the first measurements, then kill -9.
  int measured = 0;
  for (int i = 0; i < 600 && measured < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CliRun j = d.Cli({"jobs", "--json"});
    if (j.exit_code == 0) {
      measured = Json::parse(j.out)["jobs"][0]["progress"]["measurementsDone"];
    }
  }
  REQUIRE(measured >= 2);
  REQUIRE(measured < 6);
  d.Stop(SIGKILL);
  d.Start();
  CliRun watch = d.Cli({"watch", job});
  INFO(watch.out << watch.err);
  REQUIRE(watch.exit_code == 0);
  CHECK(d.Stop(SIGTERM) == 0);

  absl::StatusOr<std::unique_ptr<base::Database>> db =
      base::Database::Open((d.data() / "mcutune.db").string());
  REQUIRE(db.ok());
  auto count = [&](const std::string& sql) {
    absl::StatusOr<base::Statement> s = (*db)->Prepare(sql);
    REQUIRE(s.ok());
    s->Bind(1, job);
    REQUIRE(s->Step());
    return s->ColumnInt64(0);
  };
  const int64_t measured_rows = count(
      "SELECT COUNT(*) FROM tuner_candidates WHERE job_id = ?1 AND state = "
      "'measured'");
  CHECK(measured_rows == 6);
  // One farm run per measured firmware, each with exactly one ok measurement.
  CHECK(
      count(
          "SELECT COUNT(*) FROM farm_runs WHERE tag = ?1 AND state = 'done'") ==
      6);
  CHECK(count("SELECT COUNT(DISTINCT artifact_sha256) FROM farm_runs WHERE tag "
              "= ?1") ==
        count("SELECT COUNT(*) FROM farm_runs WHERE tag = ?1"));
  CHECK(count("SELECT COUNT(*) FROM farm_measurements m JOIN farm_runs r ON "
              "m.run_id = r.id "
              "WHERE r.tag = ?1 AND m.status = 'ok'") == 6);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcutune::testing

namespace mcutune::testing {
namespace {

TEST_CASE(
    "two remote agents on loopback: one is killed, the job completes on the "
    "other",
    "[qemu]") {
  if (!ToolsPresent()) {
    WARN("arm-none-eabi-gcc, qemu-system-arm or make missing: skipped");
    return;
  }
  const fs::path dir = MakeTempDir("mcutuned_agents");
  DaemonProcess d(dir, /*local_boards=*/false);
  d.Start();
  AgentProcess a(d, dir, "a");
  AgentProcess b(d, dir, "b");
  // Both agents' boards are in the farm.
  bool both = false;
  for (int i = 0; i < 100 && !both; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CliRun boards = d.Cli({"boards", "--available", "--json"});
    both = boards.exit_code == 0 &&
           boards.out.find("qemu://qemu-f746/a") != std::string::npos &&
           boards.out.find("qemu://qemu-f746/b") != std::string::npos;
  }
  REQUIRE(both);
  CliRun submit = d.Cli({"submit", "ds-cnn-kws", "--board-kind", "qemu-f746",
                         "--measure-budget", "4", "--batch", "2", "--json"});
  INFO(submit.out << submit.err);
  REQUIRE(submit.exit_code == 0);
  const std::string job = Json::parse(submit.out)["id"];
  // Kill agent a as soon as the job measures (it may hold a lease then).
  std::string phase;
  for (int i = 0; i < 600 && phase != "measure" && phase != "done"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CliRun j = d.Cli({"jobs", "--json"});
    if (j.exit_code == 0) phase = Json::parse(j.out)["jobs"][0]["phase"];
  }
  a.Kill(SIGKILL);
  CliRun watch = d.Cli({"watch", job});
  INFO(watch.out << watch.err << ReadFileText(dir / "b.log"));
  REQUIRE(watch.exit_code == 0);
  CliRun jobs = d.Cli({"jobs", "--json"});
  const Json progress = Json::parse(jobs.out)["jobs"][0]["progress"];
  CHECK(progress["measurementsDone"] == 4);
  CHECK(progress["measurementsFailed"] == 0);
  b.Kill(SIGTERM);
  CHECK(d.Stop(SIGTERM) == 0);
  absl::StatusOr<std::unique_ptr<base::Database>> db =
      base::Database::Open((d.data() / "mcutune.db").string());
  REQUIRE(db.ok());
  absl::StatusOr<base::Statement> s = (*db)->Prepare(
      "SELECT COUNT(*) FROM farm_measurements m JOIN farm_runs r ON m.run_id = "
      "r.id "
      "WHERE r.tag = ?1 AND m.status = 'ok'");
  REQUIRE(s.ok());
  s->Bind(1, job);
  REQUIRE(s->Step());
  CHECK(s->ColumnInt64(0) == 4);  // one measurement per firmware, none lost
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcutune::testing
