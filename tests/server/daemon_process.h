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

extern char** environ;

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
    std::filesystem::create_directories(dir_ / "data");
    std::filesystem::remove(dir_ / "data" / "daemon.json");
    std::ofstream(dir_ / "mcutuned.json") << config_.dump(2);
    const std::string log = (dir_ / "daemon.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::vector<std::string> args = {MCUTUNED, "--config",
                                     (dir_ / "mcutuned.json").string()};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_storage =
        env_.value_or(std::vector<std::string>{});
    std::vector<char*> envp;
    for (std::string& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, MCUTUNED, &actions, nullptr, argv.data(),
                        env_ ? envp.data() : environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0;
         i < 200 && !std::filesystem::exists(dir_ / "data" / "daemon.json");
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    INFO(Log());
    REQUIRE(std::filesystem::exists(dir_ / "data" / "daemon.json"));
    const nlohmann::json info =
        nlohmann::json::parse(ReadFileText(dir_ / "data" / "daemon.json"));
    grpc_ = info["grpc"];
    http_ = info["http"];
  }
  // Sends `sig` and reaps the process (SIGTERM: graceful, bounded wait).
  int Stop(int sig) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
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
