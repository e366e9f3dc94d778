// RunSubprocess: posix_spawn + poll loop.
//
// - The program is resolved before spawning (PATH search, or a path made
//   absolute against our cwd), so a missing program is NOT_FOUND with its
//   name rather than a child that exits 127, and a relative program path
//   does not change meaning when working_dir is set.
// - The child gets its own process group (POSIX_SPAWN_SETPGROUP), default
//   signal dispositions and an empty signal mask; stdin is /dev/null.
// - stdout/stderr are O_CLOEXEC pipes read with poll() until both reach EOF
//   or the deadline passes. On the deadline the group is SIGKILLed and
//   reaped; the outcome is DEADLINE_EXCEEDED carrying the output tail.
// - After EOF the child is reaped with WNOHANG polling, so a child that
//   closed its outputs but keeps running still hits the deadline.
#include "base/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace mcutune::base {
namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

// The absolute path of `program`, NOT_FOUND / PERMISSION_DENIED otherwise.
absl::StatusOr<std::string> ResolveProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    std::string path = program;
    if (path[0] != '/') {
      char cwd[4096];
      if (::getcwd(cwd, sizeof(cwd)) == nullptr) {
        return absl::InternalError("getcwd failed");
      }
      path = absl::StrCat(cwd, "/", program);
    }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return absl::NotFoundError(absl::StrCat("program not found: ", program));
    }
    if (::access(path.c_str(), X_OK) != 0) {
      return absl::PermissionDeniedError(
          absl::StrCat("program not executable: ", program));
    }
    return path;
  }
  const char* path_env = std::getenv("PATH");
  const std::string search = path_env ? path_env : "/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(search, ':')) {
    if (dir.empty()) dir = ".";
    std::string candidate = absl::StrCat(dir, "/", program);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat("program not found in PATH: ", program));
}

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

// Appends up to the remaining budget; returns false when bytes were dropped.
void Keep(std::string* dst, bool* truncated, const char* data, size_t n,
          size_t limit) {
  size_t room = dst->size() < limit ? limit - dst->size() : 0;
  if (n > room) *truncated = true;
  dst->append(data, n < room ? n : room);
}

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
  void CloseWrite() {
    if (fd[1] >= 0) ::close(fd[1]);
    fd[1] = -1;
  }
};

}  // namespace

std::string FormatCommandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain =
        !a.empty() && a.find_first_of(" \t\n'\"\\$`;&|<>()*?[]{}") ==
                          std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

bool ProgramExists(const std::string& program) {
  return !program.empty() && ResolveProgram(program).ok();
}

absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::vector<std::string>& argv, const SubprocessOptions& options) {
  if (argv.empty() || argv[0].empty()) {
    return absl::InvalidArgumentError("RunSubprocess: empty argv");
  }
  for (const std::string& a : argv) {
    if (a.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError("RunSubprocess: NUL in argument");
    }
  }
  if (options.env) {
    for (const std::string& e : *options.env) {
      if (e.find('\0') != std::string::npos || e.find('=') == std::string::npos) {
        return absl::InvalidArgumentError(
            "RunSubprocess: env entries must be NAME=value without NUL");
      }
    }
  }
  absl::StatusOr<std::string> program = ResolveProgram(argv[0]);
  if (!program.ok()) return program.status();
  if (!options.working_dir.empty()) {
    struct stat st;
    if (::stat(options.working_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::NotFoundError(
          absl::StrCat("working directory not found: ", options.working_dir));
    }
  }

  Pipe out, err;
  if (::pipe2(out.fd, O_CLOEXEC) != 0 || ::pipe2(err.fd, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
  }
  sigset_t empty_mask, default_signals;
  sigemptyset(&empty_mask);
  sigemptyset(&default_signals);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD}) {
    sigaddset(&default_signals, sig);
  }
  posix_spawnattr_setsigmask(&attr, &empty_mask);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  if (options.env) {
    for (const std::string& e : *options.env) {
      cenv.push_back(const_cast<char*>(e.c_str()));
    }
    cenv.push_back(nullptr);
  }

  const absl::Time start = absl::Now();
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program->c_str(), &actions, &attr,
                               cargv.data(), options.env ? cenv.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    if (rc == ENOENT) {
      return absl::NotFoundError(absl::StrCat("cannot start ", argv[0], ": ",
                                              std::strerror(rc)));
    }
    if (rc == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot start ", argv[0], ": ", std::strerror(rc)));
    }
    return absl::InternalError(
        absl::StrCat("posix_spawn ", argv[0], ": ", std::strerror(rc)));
  }
  out.CloseWrite();
  err.CloseWrite();

  SubprocessResult result;
  const absl::Time deadline = options.timeout == absl::InfiniteDuration()
                                  ? absl::InfiniteFuture()
                                  : start + options.timeout;
  bool timed_out = false;
  bool open[2] = {true, true};
  char buf[65536];
  while (open[0] || open[1]) {
    pollfd fds[2];
    int n = 0;
    int which[2];
    for (int i = 0; i < 2; ++i) {
      if (!open[i]) continue;
      fds[n] = {i == 0 ? out.fd[0] : err.fd[0], POLLIN, 0};
      which[n++] = i;
    }
    int wait_ms = -1;
    if (deadline != absl::InfiniteFuture()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
    }
    const int ready = ::poll(fds, n, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    for (int k = 0; k < n; ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::read(fds[k].fd, buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        open[which[k]] = false;
        continue;
      }
      if (which[k] == 0) {
        Keep(&result.stdout_data, &result.stdout_truncated, buf, got,
             options.max_output_bytes);
      } else {
        Keep(&result.stderr_data, &result.stderr_truncated, buf, got,
             options.max_output_bytes);
      }
    }
  }

  int wstatus = 0;
  while (!timed_out) {
    const pid_t w = ::waitpid(pid, &wstatus, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
    }
    if (absl::Now() >= deadline) {
      timed_out = true;
      break;
    }
    ::usleep(1000);
  }
  result.elapsed = absl::Now() - start;
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    return absl::DeadlineExceededError(absl::StrCat(
        FormatCommandLine({argv[0]}), " killed after ",
        absl::FormatDuration(options.timeout), "; stderr: ",
        Tail(result.stderr_data, 2000), "; stdout: ",
        Tail(result.stdout_data, 2000)));
  }
  if (WIFEXITED(wstatus)) result.exit_code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) result.term_signal = WTERMSIG(wstatus);
  return result;
}

}  // namespace mcutune::base
