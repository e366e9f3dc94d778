// Test and benchmark helper: starts `mcutuned` (the MCUTUNED compile
// definition) as a child process from a config, without a shell, and waits
// until it has written `<data_dir>/daemon.json` (its bound addresses). No test
// framework here, so benchmarks can use it; tests wrap it with REQUIRE
// (tests/server/daemon_process.h).
//
//   SpawnedDaemon d;
//   std::string error = SpawnDaemon(dir, config, std::nullopt, &d);
//   ... d.grpc, d.http, d.token ...
//   StopDaemon(&d.pid, SIGTERM);
#ifndef MCUTUNE_TESTS_TESTING_DAEMON_SPAWN_H_
#define MCUTUNE_TESTS_TESTING_DAEMON_SPAWN_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace mcutune::testing {

struct SpawnedDaemon {
  pid_t pid = -1;
  std::string grpc, http;  // "127.0.0.1:PORT" ("" when not listening)
  std::string token;       // the client token (empty with auth off)
};

inline std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes `dir/mcutuned.json` from `config` (which must name its data_dir),
// spawns the daemon with stdout and stderr appended to `dir/daemon.log` and
// the environment `env` ("NAME=value"; nullopt = ours), waits up to
// `wait_s` for daemon.json. Returns "" on success, otherwise what failed
// (the daemon, if spawned, is killed).
inline std::string SpawnDaemon(const std::filesystem::path& dir,
                               const nlohmann::json& config,
                               const std::optional<std::vector<std::string>>& env,
                               SpawnedDaemon* out, int wait_s = 30) {
  namespace fs = std::filesystem;
  const fs::path data = config.at("data_dir").get<std::string>();
  fs::create_directories(data);
  fs::remove(data / "daemon.json");
  std::ofstream(dir / "mcutuned.json") << config.dump(2);
  const std::string log = (dir / "daemon.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  std::vector<std::string> args = {MCUTUNED, "--config",
                                   (dir / "mcutuned.json").string()};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = env.value_or(std::vector<std::string>{});
  std::vector<char*> envp;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int rc = posix_spawn(&out->pid, MCUTUNED, &actions, nullptr,
                             argv.data(), env ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    out->pid = -1;
    return "posix_spawn " MCUTUNED " failed: " + std::to_string(rc);
  }
  const fs::path info = data / "daemon.json";
  for (int i = 0; i < wait_s * 10 && !fs::exists(info); ++i) {
    if (waitpid(out->pid, nullptr, WNOHANG) == out->pid) {
      out->pid = -1;
      return "mcutuned exited at start:\n" + ReadWholeFile(log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // daemon.json is written whole (rename), so it parses once it exists.
  const nlohmann::json j = nlohmann::json::parse(ReadWholeFile(info), nullptr,
                                                 /*allow_exceptions=*/false);
  if (!j.is_object()) {
    kill(out->pid, SIGKILL);
    waitpid(out->pid, nullptr, 0);
    out->pid = -1;
    return "mcutuned wrote no daemon.json within " + std::to_string(wait_s) +
           " s:\n" + ReadWholeFile(log);
  }
  out->grpc = j.value("grpc", "");
  out->http = j.value("http", "");
  out->token = ReadWholeFile(data / "client.token");
  while (!out->token.empty() &&
         std::isspace(static_cast<unsigned char>(out->token.back()))) {
    out->token.pop_back();
  }
  return "";
}

// Sends `sig` and reaps the process, SIGKILL after `wait_s`. Returns the
// exit code, or minus the signal that ended it; -1 when not running.
inline int StopDaemon(pid_t* pid, int sig, int wait_s = 30) {
  if (*pid <= 0) return -1;
  kill(*pid, sig);
  int status = 0;
  bool reaped = false;
  for (int i = 0; i < wait_s * 10 && !reaped; ++i) {
    reaped = waitpid(*pid, &status, WNOHANG) == *pid;
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!reaped) {
    kill(*pid, SIGKILL);
    waitpid(*pid, &status, 0);
  }
  *pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace mcutune::testing

#endif  // MCUTUNE_TESTS_TESTING_DAEMON_SPAWN_H_
