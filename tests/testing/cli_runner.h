// Test helper: runs the `mcutune` CLI binary (the MCUTUNE_CLI compile
// definition) as a child process, without a shell, capturing stdout and
// stderr through temporary files. Shared by every CLI end-to-end test.
#ifndef MCUTUNE_TESTS_TESTING_CLI_RUNNER_H_
#define MCUTUNE_TESTS_TESTING_CLI_RUNNER_H_

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace mcutune::testing {

struct CliRun {
  int exit_code = -1;  // -1 when killed by a signal or not started
  std::string out;
  std::string err;
};

inline std::string ReadFileText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A fresh directory under the system temp dir (left for inspection).
inline std::filesystem::path MakeTempDir(const std::string& prefix) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + pattern);
  }
  return pattern;
}

// Runs `mcutune args...` (args[0] is the subcommand) and waits for it.
inline CliRun RunMcutune(const std::vector<std::string>& args,
                         const std::string& binary = MCUTUNE_CLI) {
  const std::filesystem::path dir = MakeTempDir("mcutune_cli");
  const std::string out_path = (dir / "stdout").string();
  const std::string err_path = (dir / "stderr").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> storage = {binary};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  CliRun run;
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr,
                             argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == 0) {
    int status = 0;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
      run.exit_code = WEXITSTATUS(status);
    }
  }
  run.out = ReadFileText(out_path);
  run.err = ReadFileText(err_path);
  std::filesystem::remove_all(dir);
  return run;
}

}  // namespace mcutune::testing

#endif  // MCUTUNE_TESTS_TESTING_CLI_RUNNER_H_
