// `mcutune farm ...` as a user runs it: bad input answers (exit 2), and on
// virtual boards: run with repeats and the expected-hash verdict, boards /
// drain / enable, health, and the scheduler process SIGKILLed mid-queue and
// restarted over the same database (the queue completes, no measurement is
// lost, the interrupted attempt is on record, nothing runs twice silently).
#include <dirent.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/sqlite.h"
#include "base/subprocess.h"
#include "tests/device_farm/farm_artifacts.h"
#include "tests/testing/qemu_tools.h"

namespace mcutune {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

base::SubprocessResult Cli(std::vector<std::string> args,
                           absl::Duration timeout = absl::Seconds(120)) {
  args.insert(args.begin(), MCUTUNE_CLI);
  base::SubprocessOptions options;
  options.timeout = timeout;
  absl::StatusOr<base::SubprocessResult> r = base::RunSubprocess(args, options);
  REQUIRE(r.ok());
  return *r;
}

// A directory with farm.json (two qemu-f746 boards, short leases and
// backoff) and the database path.
struct FarmDir {
  std::string dir, farm, db;
};

FarmDir MakeFarmDir(const std::string& name) {
  FarmDir f;
  f.dir = (fs::path(testing::TestTempDir()) / name).string();
  fs::remove_all(f.dir);
  fs::create_directories(f.dir);
  f.farm = f.dir + "/farm.json";
  f.db = f.dir + "/farm.db";
  std::ofstream(f.farm) << R"({
  "boards": [
    {"uri": "qemu://qemu-f746/0", "kind": "qemu-f746"},
    {"uri": "qemu://qemu-f746/1", "kind": "qemu-f746"}
  ],
  "scheduler": {"lease_s": 2, "retry_backoff_s": 0.2, "retry_backoff_max_s": 1}
})";
  return f;
}

std::vector<std::string> WithFarm(std::vector<std::string> args,
                                  const FarmDir& f) {
  args.insert(args.end(), {"--farm", f.farm, "--db", f.db});
  return args;
}

// The first column of the first row of `sql`, or -1 when the database or
// its tables do not exist yet (safe off the main thread: no assertions).
int64_t TryCount(const std::string& db_path, const std::string& sql) {
  base::DatabaseOptions options;
  options.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<base::Database>> db =
      base::Database::Open(db_path, options);
  if (!db.ok()) return -1;
  absl::StatusOr<base::Statement> st = (*db)->Prepare(sql);
  if (!st.ok() || !st->Step()) return -1;
  return st->ColumnInt64(0);
}

int64_t Count(const std::string& db_path, const std::string& sql) {
  const int64_t n = TryCount(db_path, sql);
  INFO(sql);
  REQUIRE(n >= 0);
  return n;
}

TEST_CASE("farm commands answer bad input with exit 2", "[device_farm][cli]") {
  const FarmDir f = MakeFarmDir("cli-bad");
  const fs::path build = fs::path(f.dir) / "build";
  fs::create_directories(build);
  std::ofstream(build / "firmware.elf") << "not really an ELF";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"farm"}, ""},
           {{"farm", "fly"}, "unknown command"},
           {{"farm", "run", "--board-kind", "qemu-f746"}, "missing BUILD_DIR"},
           {{"farm", "run", build.string()}, "missing --board-kind"},
           {WithFarm(
                {"farm", "run", f.dir + "/nope", "--board-kind", "qemu-f746"},
                f),
            "no build directory"},
           {WithFarm({"farm", "run", f.dir, "--board-kind", "qemu-f746"}, f),
            "no firmware.elf"},
           {WithFarm(
                {"farm", "run", build.string(), "--board-kind", "qemu-f469"},
                f),
            "no board of kind 'qemu-f469'"},
           {{"farm", "run", build.string(), "--board-kind", "k", "--repeat",
             "0"},
            "--repeat"},
           {{"farm", "run", build.string(), "--board-kind", "k", "--timeout",
             "-1"},
            "--timeout"},
           {{"farm", "run", build.string(), "--board-kind", "k",
             "--frobnicate"},
            "unknown option"},
           {{"farm", "boards", "--farm", f.dir + "/missing.json", "--db", f.db},
            "missing.json"},
           {{"farm", "boards", "--db"}, "needs a value"},
           {WithFarm({"farm", "drain", "qemu:/x"}, f), "board URI"},
           {WithFarm({"farm", "drain", "qemu://qemu-f746/9"}, f), "no board"},
           {WithFarm({"farm", "enable"}, f), "missing URI"},
           {WithFarm({"farm", "health", "--board-kind", "qemu-l552"}, f),
            "no board of kind"},
           {WithFarm({"farm", "health", "--timeout", "0"}, f), "--timeout"},
       }) {
    const base::SubprocessResult r = Cli(c.args);
    INFO(absl::StrJoin(c.args, " ") << "\n" << r.stderr_data);
    CHECK(r.exit_code == 2);
    CHECK(r.stderr_data.find(c.message) != std::string::npos);
    if (c.args.size() > 1) CHECK(r.stderr_data.rfind("error: ", 0) == 0);
  }
  // A malformed inventory names itself.
  std::ofstream(f.dir + "/bad.json")
      << R"({"boards": [{"uri": "qemu://x", "kind": 5}]})";
  const base::SubprocessResult r =
      Cli({"farm", "boards", "--farm", f.dir + "/bad.json"});
  CHECK(r.exit_code == 2);
  CHECK(r.stderr_data.find("bad.json") != std::string::npos);
}

TEST_CASE("farm run measures repeats with their spread and judges the output",
          "[qemu][device_farm][cli]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  absl::StatusOr<device_farm::Artifact> a = testing::StandInArtifact(
      "qemu-f746", "farm-p2", {{"MCUTUNE_STAND_IN_PASSES", "2"}});
  REQUIRE(a.ok());
  const std::string build = fs::path(a->elf_path).parent_path().string();
  const FarmDir f = MakeFarmDir("cli-run");
  base::SubprocessResult r =
      Cli(WithFarm({"farm", "run", build, "--board-kind", "qemu-f746",
                    "--repeat", "3", "--runs", "2", "--json"},
                   f));
  INFO(r.stdout_data << r.stderr_data);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.stdout_data);
  CHECK(j["ok"] == true);
  REQUIRE(j["runs"].size() == 1);
  const json& run = j["runs"][0];
  CHECK(run["state"] == "done");
  CHECK(run["output_matches"] == true);
  CHECK(run["expected_output_sha256"] == a->expected_output_sha256);
  CHECK(run["measurements"].size() == 3);
  CHECK(run["spread"]["count"] == 3);
  CHECK(run["spread"]["unit"] == "instructions");
  // QEMU counts are exact: no spread at all.
  CHECK(run["spread"]["min"] == run["spread"]["max"]);
  CHECK(run["spread"]["median"].get<double>() > 0);
  CHECK(Count(f.db,
              "SELECT COUNT(*) FROM farm_measurements WHERE status='ok' AND "
              "runs=2") == 3);

  // A report whose expected hash is wrong: the run is done but not ok.
  const fs::path wrong = fs::path(f.dir) / "wrong";
  fs::create_directories(wrong);
  fs::copy_file(a->elf_path, wrong / "firmware.elf");
  std::ofstream(wrong / "report.json")
      << json({{"expected_output_sha256", std::string(64, '0')}}).dump();
  r = Cli(WithFarm({"farm", "run", wrong.string(), "--board-kind", "qemu-f746"},
                   f));
  CHECK(r.exit_code == 1);
  CHECK(r.stdout_data.find("DIFFERS") != std::string::npos);

  // boards: both boards known, the queue empty.
  r = Cli(WithFarm({"farm", "boards", "--json"}, f));
  REQUIRE(r.exit_code == 0);
  j = json::parse(r.stdout_data);
  REQUIRE(j["boards"].size() == 2);
  for (const json& b : j["boards"]) {
    CHECK(b["state"] == "active");
    CHECK(b["kind"] == "qemu-f746");
  }
  CHECK(j["queue"].empty());

  // drain / enable go through the database.
  r = Cli(WithFarm({"farm", "drain", "qemu://qemu-f746/1"}, f));
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data.find("drained") != std::string::npos);
  r = Cli(WithFarm({"farm", "boards"}, f));
  CHECK(r.stdout_data.find("drained") != std::string::npos);
  // A drained board takes no runs: everything lands on /0.
  r = Cli(WithFarm({"farm", "run", build, "--board-kind", "qemu-f746",
                    "--repeat", "2", "--json"},
                   f));
  REQUIRE(r.exit_code == 0);
  // Named: iterating into the temporary parse() result would read freed
  // memory (the temporary dies before the loop body).
  const json drained_run = json::parse(r.stdout_data);
  for (const json& m : drained_run["runs"][0]["measurements"]) {
    CHECK(m["board"] == "qemu://qemu-f746/0");
  }
  r = Cli(WithFarm({"farm", "enable", "qemu://qemu-f746/1", "--json"}, f));
  CHECK(r.exit_code == 0);
  CHECK(json::parse(r.stdout_data)["state"] == "active");

  // health: the known-answer firmware passes on both boards.
  r = Cli(WithFarm({"farm", "health", "--json"}, f));
  INFO(r.stdout_data << r.stderr_data);
  CHECK(r.exit_code == 0);
  j = json::parse(r.stdout_data);
  CHECK(j["ok"] == true);
  REQUIRE(j["boards"].size() == 2);
  for (const json& b : j["boards"]) {
    CHECK(b["passed"] == true);
    CHECK(b["status"] == "ok");
    CHECK(b["state"] == "active");
  }
}

// Pids of processes (started by this test) whose command line contains all
// of `needles`.
std::vector<pid_t> FindProcesses(const std::vector<std::string>& needles) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* e = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
    const std::string cmdline(std::istreambuf_iterator<char>(in), {});
    bool all = !cmdline.empty();
    for (const std::string& n : needles)
      all = all && cmdline.find(n) != std::string::npos;
    if (all) pids.push_back(pid);
  }
  closedir(proc);
  return pids;
}

TEST_CASE(
    "the scheduler process killed mid-queue and restarted completes the queue",
    "[qemu][device_farm][cli]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  // Four artifacts of 0.2-0.5 s per repeat (600 inferences of 16-40 passes,
  // 0.28-0.7G instructions); eight runs of two repeats.
  std::vector<std::string> dirs;
  for (int passes : {16, 24, 32, 40}) {
    absl::StatusOr<device_farm::Artifact> a = testing::StandInArtifact(
        "qemu-f746", absl::StrCat("farm-kill-p", passes),
        {{"MCUTUNE_STAND_IN_PASSES", std::to_string(passes)}});
    REQUIRE(a.ok());
    dirs.push_back(fs::path(a->elf_path).parent_path().string());
  }
  const FarmDir f = MakeFarmDir("cli-kill");
  std::vector<std::string> args = {"farm", "run"};
  for (int k = 0; k < 2; ++k) args.insert(args.end(), dirs.begin(), dirs.end());
  args.insert(args.end(), {"--board-kind", "qemu-f746", "--repeat", "2",
                           "--runs", "600", "--tag", "kill-test", "--json"});
  args = WithFarm(args, f);

  // First invocation in the background; SIGKILL it once some measurements
  // are stored and a run is in progress.
  absl::StatusOr<base::SubprocessResult> first = absl::UnknownError("not run");
  std::thread runner([&] {
    std::vector<std::string> argv = args;
    argv.insert(argv.begin(), MCUTUNE_CLI);
    base::SubprocessOptions options;
    options.timeout = absl::Seconds(120);
    first = base::RunSubprocess(argv, options);
  });
  int64_t before = 0;
  bool killed = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!killed && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const int64_t stored =
        TryCount(f.db, "SELECT COUNT(*) FROM farm_measurements");
    const int64_t leased =
        TryCount(f.db, "SELECT COUNT(*) FROM farm_runs WHERE state='leased'");
    if (stored < 3 || leased <= 0) continue;
    const std::vector<pid_t> cli =
        FindProcesses({MCUTUNE_CLI, f.db, "kill-test"});
    if (cli.size() != 1) continue;  // not yet (or no longer) exactly one
    before = TryCount(f.db, "SELECT COUNT(*) FROM farm_measurements");
    killed = kill(cli[0], SIGKILL) == 0;
  }
  runner.join();
  REQUIRE(killed);
  REQUIRE(first.ok());
  CHECK(first->term_signal == SIGKILL);
  // Its emulators die with their console pipe; do not wait for them.
  for (const std::string& d : dirs) {
    for (pid_t pid : FindProcesses({"qemu-system-arm", d})) kill(pid, SIGKILL);
  }
  const int64_t after_kill =
      Count(f.db, "SELECT COUNT(*) FROM farm_measurements");
  CHECK(after_kill >= before);
  CHECK(
      Count(f.db,
            "SELECT COUNT(*) FROM farm_runs WHERE state IN ('done','failed')") <
      8);

  // Restart: the same command adopts its eight runs and finishes them.
  const base::SubprocessResult second = Cli(args);
  INFO(second.stdout_data << second.stderr_data);
  REQUIRE(second.exit_code == 0);
  const json j = json::parse(second.stdout_data);
  REQUIRE(j["runs"].size() == 8);
  std::set<int64_t> ids;
  for (const json& run : j["runs"]) {
    CHECK(run["adopted"] == true);
    CHECK(run["state"] == "done");
    CHECK(run["output_matches"] == true);
    ids.insert(run["run_id"].get<int64_t>());
  }
  CHECK(ids.size() == 8);
  CHECK(Count(f.db, "SELECT COUNT(*) FROM farm_runs") ==
        8);  // nothing resubmitted
  CHECK(Count(f.db,
              "SELECT COUNT(*) FROM farm_runs WHERE state='done' AND "
              "repeats_done=2") == 8);
  // No measurement lost: every row from before the kill is still there.
  CHECK(Count(f.db, "SELECT COUNT(*) FROM farm_measurements") >= after_kill);
  // Nothing measured twice: one ok row per (run, repeat).
  CHECK(
      Count(f.db, "SELECT COUNT(*) FROM farm_measurements WHERE status='ok'") ==
      16);
  CHECK(Count(f.db,
              "SELECT COUNT(*) FROM (SELECT run_id, repeat_index FROM "
              "farm_measurements "
              "WHERE status='ok' GROUP BY run_id, repeat_index)") == 16);
  // The interrupted attempt is on record: a second lease after an expiry event.
  CHECK(Count(f.db, "SELECT COUNT(*) FROM farm_runs WHERE attempts >= 2") >= 1);
  CHECK(Count(f.db,
              "SELECT COUNT(*) FROM farm_run_events WHERE detail LIKE '%lease "
              "expired%'") >= 1);
  CHECK(Count(f.db,
              "SELECT COUNT(*) FROM farm_runs r WHERE attempts >= 2 AND NOT "
              "EXISTS ("
              "SELECT 1 FROM farm_run_events e WHERE e.run_id = r.id "
              "AND e.detail LIKE '%lease expired%')") == 0);
}

TEST_CASE(
    "farm run stops gracefully on SIGINT and resumes with the same command",
    "[qemu][device_farm][cli]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  // ~1-2 s per repeat (2000 inferences of 64 passes).
  absl::StatusOr<device_farm::Artifact> a = testing::StandInArtifact(
      "qemu-f746", "farm-int-p64", {{"MCUTUNE_STAND_IN_PASSES", "64"}});
  REQUIRE(a.ok());
  const FarmDir f = MakeFarmDir("cli-int");
  const std::vector<std::string> args =
      WithFarm({"farm", "run", fs::path(a->elf_path).parent_path().string(),
                "--board-kind", "qemu-f746", "--repeat", "3", "--runs", "2000",
                "--tag", "int-test", "--json"},
               f);
  absl::StatusOr<base::SubprocessResult> first = absl::UnknownError("not run");
  std::thread runner([&] {
    std::vector<std::string> argv = args;
    argv.insert(argv.begin(), MCUTUNE_CLI);
    base::SubprocessOptions options;
    options.timeout = absl::Seconds(120);
    first = base::RunSubprocess(argv, options);
  });
  // The runner is joined on every path: an exception out of the polling
  // loop must be reported, not end the process in std::terminate (a joinable
  // std::thread destroyed; seen once in CI as a bare SIGABRT).
  struct JoinOnExit {
    std::thread& t;
    ~JoinOnExit() {
      if (t.joinable()) t.join();
    }
  } join_on_exit{runner};
  bool signalled = false;
  std::string loop_error;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  try {
    while (!signalled && absl::Now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (TryCount(f.db,
                   "SELECT COUNT(*) FROM farm_runs WHERE state='leased'") != 1)
        continue;
      const std::vector<pid_t> cli =
          FindProcesses({MCUTUNE_CLI, f.db, "int-test"});
      if (cli.size() != 1) continue;  // not yet (or no longer) exactly one
      signalled = kill(cli[0], SIGINT) == 0;
    }
  } catch (const std::exception& e) {
    loop_error = e.what();
  }
  runner.join();
  INFO(loop_error);
  REQUIRE(loop_error.empty());
  REQUIRE(signalled);
  REQUIRE(first.ok());
  INFO(first->stderr_data);
  CHECK(first->exit_code == 1);
  CHECK(first->stderr_data.find("interrupted") != std::string::npos);
  // The repeat in progress finished and was stored; the run is queued again
  // without a failure counted.
  CHECK(
      Count(
          f.db,
          "SELECT COUNT(*) FROM farm_runs WHERE state='queued' AND failures=0 "
          "AND repeats_done=1") == 1);
  CHECK(Count(f.db,
              "SELECT COUNT(*) FROM farm_measurements WHERE status='ok'") == 1);

  const base::SubprocessResult second = Cli(args);
  INFO(second.stdout_data << second.stderr_data);
  REQUIRE(second.exit_code == 0);
  const json j = json::parse(second.stdout_data);
  REQUIRE(j["runs"].size() == 1);
  CHECK(j["runs"][0]["adopted"] == true);
  CHECK(j["runs"][0]["attempts"] == 2);
  CHECK(j["runs"][0]["spread"]["count"] == 3);
  CHECK(Count(f.db, "SELECT COUNT(*) FROM farm_measurements") ==
        3);  // none repeated
}

}  // namespace
}  // namespace mcutune
