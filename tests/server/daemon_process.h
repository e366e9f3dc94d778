// Test helper: mcutuned as a child process on loopback (ports chosen by the
// kernel), with a temporary data dir, two virtual f746 boards (or none, for
// remote agents) and auth on; the `mcutune` CLI pointed at it. Start() may be
// called again after Stop() (restart on the same data dir), optionally with
// another environment (e.g. a PATH without qemu-system-arm).
#ifndef MCUTUNE_TESTS_SERVER_DAEMON_PROCESS_H_
#define MCUTUNE_TESTS_SERVER_DAEMON_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/cli_runner.h"
#include "tests/testing/daemon_spawn.h"


namespace mcutune::testing {

class DaemonProcess {
 public:
  // `local_boards`: two virtual f746 boards in the daemon; otherwise none
  // (remote agents bring theirs) and short agent leases.
  explicit DaemonProcess(const std::filesystem::path& dir,
                         bool local_boards = true)
      : dir_(dir) {
    if (local_boards) {
      std::ofstream(dir / "farm.json") << R"({"boards": [
          {"uri": "qemu://qemu-f746/0", "kind": "qemu-f746"},
          {"uri": "qemu://qemu-f746/1", "kind": "qemu-f746"}],
        "scheduler": {"lease_s": 3, "retry_backoff_s": 0.2}})";
    } else {
      std::ofstream(dir / "farm.json") << R"({"boards": [],
        "scheduler": {"retry_backoff_s": 0.2}})";
    }
    config_["listen"] = "127.0.0.1:0";
    config_["http_listen"] = "127.0.0.1:0";
    config_["data_dir"] = (dir / "data").string();
    config_["boards_dir"] = MCUTUNE_SOURCE_DIR "/configs/boards";
    config_["farm_inventory"] = (dir / "farm.json").string();
    config_["limits"] = {{"max_concurrent_jobs", 1}};
    config_["agents"] = {{"lease_s", 4}, {"heartbeat_s", 1}};
  }
  ~DaemonProcess() { Stop(SIGTERM); }

  // The config written at the next Start().
  nlohmann::json& config() { return config_; }
  // The environment of the next Start() ("NAME=value"); nullopt = ours.
  void set_env(std::optional<std::vector<std::string>> env) {
    env_ = std::move(env);
  }

  void Start() {
    SpawnedDaemon d;
    const std::string error = SpawnDaemon(dir_, config_, env_, &d);
    INFO(error);
    REQUIRE(error.empty());
    pid_ = d.pid;
    grpc_ = d.grpc;
    http_ = d.http;
  }
  // Sends `sig` and reaps the process (SIGTERM: graceful, bounded wait).
  int Stop(int sig) { return StopDaemon(&pid_, sig); }
  // True while the process runs (not exited, not killed).
  bool Alive() const {
    if (pid_ <= 0) return false;
    if (waitpid(pid_, nullptr, WNOHANG) == 0) return true;
    pid_ = -1;  // reaped
    return false;
  }

  // `mcutune ARGS --server ... --token-file ...`.
  CliRun Cli(std::vector<std::string> args) const {
    args.insert(args.end(), {"--server", grpc_, "--token-file",
                             (dir_ / "data" / "client.token").string()});
    return RunMcutune(args);
  }
  std::filesystem::path data() const { return dir_ / "data"; }
  const std::string& grpc() const { return grpc_; }
  const std::string& http() const { return http_; }
  std::string Log() const { return ReadFileText(dir_ / "daemon.log"); }

 private:
  std::filesystem::path dir_;
  nlohmann::json config_;
  std::optional<std::vector<std::string>> env_;
  mutable pid_t pid_ = -1;
  std::string grpc_, http_;
};

}  // namespace mcutune::testing

#endif  // MCUTUNE_TESTS_SERVER_DAEMON_PROCESS_H_
