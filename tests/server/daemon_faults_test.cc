// Fault injection against mcutuned as a child process (docs/reliability.md,
// "Faults"): the SQLite file locked by another process while a job runs; a
// full disk under `mcutune fetch` and under the daemon's builds; the daemon
// started with a PATH that lacks qemu-system-arm or arm-none-eabi-gcc. Each
// time: a clear error that names the cause, the daemon stays up, and once
// the fault is gone the work completes with no measurement lost.
// (Daemon killed mid-job and a farm agent killed mid-run:
// daemon_e2e_test.cc.)
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/sqlite.h"
#include "base/subprocess.h"
#include "tests/server/daemon_process.h"

extern char** environ;

namespace mcutune::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

bool ToolsPresent() {
  if (base::ProgramExists("arm-none-eabi-gcc") &&
      base::ProgramExists("qemu-system-arm")) {
    return true;
  }
  WARN("arm-none-eabi-gcc or qemu-system-arm missing: skipped");
  return false;
}

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// The job's JSON from `mcutune jobs` (null when the daemon does not answer).
Json JobOf(const DaemonProcess& d, const std::string& id) {
  CliRun j = d.Cli({"jobs", "--json", "--limit", "1000"});
  if (j.exit_code != 0) return Json();
  const Json all = Json::parse(j.out);
  for (const Json& job : all["jobs"]) {
    if (job["id"] == id) return job;
  }
  return Json();
}

// Polls until the job is done, failed or cancelled, at most `seconds`.
Json WaitForEnd(const DaemonProcess& d, const std::string& id, int seconds) {
  Json job;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    job = JobOf(d, id);
    if (job.is_object()) {
      const std::string state = job.value("state", "");
      if (state == "JOB_STATE_DONE" || state == "JOB_STATE_FAILED" ||
          state == "JOB_STATE_CANCELLED") {
        return job;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return job;
}

std::string Submit(const DaemonProcess& d, int budget) {
  CliRun submit = d.Cli({"submit", "ds-cnn-kws", "--board-kind", "qemu-f746",
                         "--measure-budget", std::to_string(budget), "--batch",
                         "2", "--json"});
  INFO(submit.out << submit.err);
  REQUIRE(submit.exit_code == 0);
  return Json::parse(submit.out)["id"];
}

int64_t Count(base::Database& db, const std::string& sql,
              const std::string& job) {
  absl::StatusOr<base::Statement> s = db.Prepare(sql);
  REQUIRE(s.ok());
  s->Bind(1, job);
  REQUIRE(s->Step());
  return s->ColumnInt64(0);
}

// A finished job's measurements are all there: every measured candidate
// has an ok farm measurement, and none is duplicated.
void CheckNoMeasurementLost(const fs::path& db_path, const std::string& job,
                            int budget) {
  absl::StatusOr<std::unique_ptr<base::Database>> db =
      base::Database::Open(db_path.string());
  REQUIRE(db.ok());
  CHECK(Count(**db,
              "SELECT COUNT(*) FROM tuner_candidates WHERE job_id = ?1 AND "
              "state = 'measured'",
              job) == budget);
  CHECK(Count(**db,
              "SELECT COUNT(DISTINCT r.artifact_sha256) FROM "
              "farm_measurements m JOIN farm_runs r ON m.run_id = r.id WHERE "
              "r.tag = ?1 AND m.status = 'ok'",
              job) == budget);
  CHECK(Count(**db,
              "SELECT COUNT(*) FROM farm_runs WHERE tag = ?1 AND state = "
              "'done'",
              job) == budget);
}

// `sqlite3 DB` in a child process holding BEGIN EXCLUSIVE until Release().
class SqliteLockHolder {
 public:
  explicit SqliteLockHolder(const fs::path& db) {
    // A probe connection that never waits, opened before the lock.
    base::DatabaseOptions o;
    o.busy_timeout = absl::ZeroDuration();
    absl::StatusOr<std::unique_ptr<base::Database>> probe =
        base::Database::Open(db.string(), o);
    REQUIRE(probe.ok());
    int in[2];
    REQUIRE(pipe2(in, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
                                     O_WRONLY, 0);
    std::vector<std::string> args = {"sqlite3", "-batch", db.string()};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawnp(&pid_, "sqlite3", &actions, nullptr, argv.data(),
                         environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    stdin_ = in[1];
    Send(".timeout 20000\nBEGIN EXCLUSIVE;\n");
    // Held once the probe cannot take a write lock.
    bool held = false;
    for (int i = 0; i < 400 && !held; ++i) {
      const absl::Status s = (*probe)->Exec("BEGIN IMMEDIATE");
      if (s.ok()) {
        (void)(*probe)->Exec("ROLLBACK");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      } else {
        held = absl::IsUnavailable(s);
      }
    }
    REQUIRE(held);
  }
  ~SqliteLockHolder() { Release(); }
  void Release() {
    if (pid_ <= 0) return;
    Send("COMMIT;\n.quit\n");
    close(stdin_);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  void Send(const std::string& text) {
    REQUIRE(write(stdin_, text.data(), text.size()) ==
            static_cast<ssize_t>(text.size()));
  }
  pid_t pid_ = -1;
  int stdin_ = -1;
};

bool MountTmpfs(const fs::path& dir, const std::string& size) {
  absl::StatusOr<base::SubprocessResult> r = base::RunSubprocess(
      {"mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.string()});
  return r.ok() && r->exit_code == 0;
}

void Unmount(const fs::path& dir) {
  (void)base::RunSubprocess({"umount", "-l", dir.string()});
}

// No entry of `dir` looks like a bundle (no Makefile/report.json anywhere)
// and no staging directory was left behind.
void CheckNoPartialBundle(const fs::path& parent) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(parent, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    INFO(it->path().string());
    CHECK(name != "report.json");
    CHECK(name != "Makefile");
    CHECK_FALSE(Contains(name, ".partial"));
  }
}

TEST_CASE("faults: SQLite locked by another process while a job runs",
          "[qemu]") {
  if (!ToolsPresent()) return;
  if (!base::ProgramExists("sqlite3")) {
    WARN("sqlite3 CLI missing: skipped");
    return;
  }
  const fs::path dir = MakeTempDir("mcutuned_faults_lock");
  DaemonProcess d(dir);
  d.Start();
  const int budget = 2;
  const std::string job = Submit(d, budget);
  {
    // Right after the submit: the job's next store write meets the lock.
    SqliteLockHolder lock(d.data() / "mcutune.db");
    const auto t0 = std::chrono::steady_clock::now();
    // A write RPC waits (behind the daemon's other writers on its one
    // connection, each up to the 5 s busy timeout), then says why, without
    // the "is mcutuned running" hint. The lock is held until it returns.
    CliRun second = d.Cli({"submit", "ds-cnn-kws", "--board-kind", "qemu-f746",
                           "--measure-budget", "1", "--timeout", "90"});
    const auto waited = std::chrono::steady_clock::now() - t0;
    INFO(second.out
         << second.err << "\nwaited "
         << std::chrono::duration_cast<std::chrono::seconds>(waited).count()
         << " s");
    CHECK(second.exit_code != 0);
    CHECK(Contains(second.err, "database is locked"));
    CHECK_FALSE(Contains(second.err, "is mcutuned running"));
    // Hold it past the busy timeout of every writer in the daemon (5 s).
    std::this_thread::sleep_until(t0 + std::chrono::seconds(8));
    CHECK(d.Alive());
    lock.Release();
  }
  const Json end = WaitForEnd(d, job, 120);
  INFO(end.dump() << "\n" << d.Log());
  CHECK(end.value("state", "") == "JOB_STATE_DONE");
  CHECK(end["progress"].value("measurementsDone", 0) == budget);
  CHECK(end["progress"].value("measurementsFailed", 0) == 0);
  // The job hit the lock and was resumed from the store.
  CHECK(Contains(d.Log(), "database is locked"));
  CHECK(Contains(d.Log(), "store error, resuming"));

  // Disk full under `mcutune fetch -o DIR` and `--tar FILE`.
  const std::string candidate = Json::parse(
      d.Cli({"pareto", job, "--json"}).out)["candidates"][0]["candidateId"];
  const fs::path small = dir / "small";
  fs::create_directories(small);
  const bool tmpfs = MountTmpfs(small, "64k");
  CliRun full;
  if (tmpfs) {
    full = d.Cli({"fetch", job, candidate, "-o", (small / "bundle").string()});
  } else {
    // Fallback where mounting is not allowed: a 64 KiB file size limit
    // (EFBIG instead of ENOSPC; SIGXFSZ ignored so write() fails instead).
    WARN("cannot mount a tmpfs here: RLIMIT_FSIZE (prlimit) instead");
    signal(SIGXFSZ, SIG_IGN);
    full = RunMcutune({"--fsize=65536", MCUTUNE_CLI, "fetch", job, candidate,
                       "-o", (small / "bundle").string(), "--server", d.grpc(),
                       "--token-file", (d.data() / "client.token").string()},
                      "/usr/bin/prlimit");
    signal(SIGXFSZ, SIG_DFL);
  }
  INFO(full.out << full.err);
  CHECK(full.exit_code != 0);
  CHECK((Contains(full.err, "No space left on device") ||
         Contains(full.err, "File too large")));
  CHECK(Contains(full.err, "nothing was written to"));
  CheckNoPartialBundle(small);
  CliRun dev_full = d.Cli({"fetch", job, candidate, "--tar", "/dev/full"});
  CHECK(dev_full.exit_code != 0);
  CHECK(Contains(dev_full.err, "No space left on device"));
  if (tmpfs) Unmount(small);
  // The daemon is fine, and the same fetch works with room.
  CHECK(d.Alive());
  CliRun ok = d.Cli({"fetch", job, candidate, "-o", (dir / "bundle").string(),
                     "--tar", (dir / "bundle.tar").string()});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(fs::exists(dir / "bundle" / "report.json"));
  CHECK(fs::exists(dir / "bundle.tar"));
  CHECK_FALSE(fs::exists(dir / "bundle.tar.partial"));
  CHECK(d.Stop(SIGTERM) == 0);
  CheckNoMeasurementLost(d.data() / "mcutune.db", job, budget);
  fs::remove_all(dir);
}

// A PATH of symlinks to every program of ours, except `missing`.
std::vector<std::string> EnvWithout(const std::set<std::string>& missing,
                                    const fs::path& bin) {
  fs::create_directories(bin);
  const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  std::error_code ec;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find(':', start), path.size());
    const fs::path dir = path.substr(start, end - start);
    start = end + 1;
    if (dir.empty() || !fs::is_directory(dir, ec)) continue;
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (missing.count(name) || fs::exists(bin / name, ec)) continue;
      fs::create_symlink(e.path(), bin / name, ec);
    }
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("PATH=", 0) != 0) env.push_back(*e);
  }
  env.push_back("PATH=" + bin.string());
  return env;
}

TEST_CASE(
    "faults: arm-none-eabi-gcc or qemu-system-arm missing from PATH, then "
    "restored",
    "[qemu]") {
  if (!ToolsPresent()) return;
  const fs::path dir = MakeTempDir("mcutuned_faults_path");
  DaemonProcess d(dir);

  // No cross compiler: the job fails at its first build, naming it.
  d.set_env(EnvWithout({"arm-none-eabi-gcc"}, dir / "bin-no-gcc"));
  d.Start();
  const std::string no_gcc = Submit(d, 2);
  Json end = WaitForEnd(d, no_gcc, 60);
  INFO(end.dump() << "\n" << d.Log());
  CHECK(end.value("state", "") == "JOB_STATE_FAILED");
  CHECK(Contains(end.value("error", ""), "arm-none-eabi-gcc"));
  CHECK(d.Alive());
  CHECK(d.Stop(SIGTERM) == 0);

  // No QEMU: builds work, the boards are quarantined at their first run and
  // the job fails naming the program instead of waiting forever.
  d.set_env(EnvWithout({"qemu-system-arm"}, dir / "bin-no-qemu"));
  d.Start();
  const std::string no_qemu = Submit(d, 2);
  end = WaitForEnd(d, no_qemu, 90);
  INFO(end.dump() << "\n" << d.Log());
  CHECK(end.value("state", "") == "JOB_STATE_FAILED");
  CHECK(Contains(end.value("error", ""), "qemu-system-arm"));
  CliRun boards = d.Cli({"boards", "--json"});
  CHECK(Contains(boards.out, "quarantined"));
  CHECK(d.Alive());
  CHECK(d.Stop(SIGTERM) == 0);

  // The right PATH again: the boards come back on start, a resubmitted job
  // completes with all its measurements.
  d.set_env(std::nullopt);
  d.Start();
  CliRun available = d.Cli({"boards", "--available", "--json"});
  CHECK(Contains(available.out, "qemu://qemu-f746/0"));
  CHECK(Contains(available.out, "qemu://qemu-f746/1"));
  const std::string again = Submit(d, 2);
  end = WaitForEnd(d, again, 120);
  INFO(end.dump() << "\n" << d.Log());
  CHECK(end.value("state", "") == "JOB_STATE_DONE");
  CHECK(d.Stop(SIGTERM) == 0);
  CheckNoMeasurementLost(d.data() / "mcutune.db", again, 2);
  fs::remove_all(dir);
}

TEST_CASE("faults: the daemon's builds directory runs out of space", "[qemu]") {
  if (!ToolsPresent()) return;
  const fs::path dir = MakeTempDir("mcutuned_faults_disk");
  DaemonProcess d(dir);
  fs::create_directories(d.data() / "builds");
  if (!MountTmpfs(d.data() / "builds", "64k")) {
    WARN("cannot mount a tmpfs here: the daemon-side disk-full case skipped");
    fs::remove_all(dir);
    return;
  }
  d.Start();
  const std::string job = Submit(d, 2);
  Json end = WaitForEnd(d, job, 60);
  INFO(end.dump() << "\n" << d.Log());
  CHECK(end.value("state", "") == "JOB_STATE_FAILED");
  CHECK(Contains(end.value("error", ""), "No space left on device"));
  CHECK(d.Alive());
  CHECK(d.Stop(SIGTERM) == 0);
  Unmount(d.data() / "builds");
  d.Start();
  const std::string again = Submit(d, 2);
  end = WaitForEnd(d, again, 120);
  INFO(end.dump() << "\n" << d.Log());
  CHECK(end.value("state", "") == "JOB_STATE_DONE");
  CHECK(d.Stop(SIGTERM) == 0);
  CheckNoMeasurementLost(d.data() / "mcutune.db", again, 2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcutune::testing
