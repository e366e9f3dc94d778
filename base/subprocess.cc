// RunSubprocess: clone(CLONE_VM | CLONE_VFORK) + exec + poll loop.
//
// - The program is resolved before spawning (PATH search, or a path made
//   absolute against our cwd), so a missing program is NOT_FOUND with its
//   name rather than a child that exits 127, and a relative program path
//   does not change meaning when working_dir is set.
// - Not posix_spawn, because resource limits must be set in the child
//   before exec; not fork, because copying the page tables of a large parent
//   costs ~0.1 ms per MiB (136 ms per spawn from a 1 GiB process, against
//   2.4 ms). Like glibc's posix_spawn, the child shares our memory on a stack
//   of its own and we are suspended until it has exec'ed or exited. Between
//   the two it only reads the ChildPlan prepared beforehand and makes
//   async-signal-safe system calls (sigaction, setpgid, open, dup2, chdir,
//   setrlimit, sigprocmask, execve, write, _exit), never allocating, so it is
//   safe in a multi-threaded daemon; all signals stay blocked across clone.
//   The child code is not instrumented by ASan (it runs on a foreign stack).
// - The child gets its own process group, default dispositions for every
//   signal (SIGXFSZ ignored under a file-size limit) and an empty signal
//   mask; stdin is /dev/null. A failure before exec (program vanished,
//   working dir gone, a refused limit) comes back through a close-on-exec
//   report pipe as {step, errno}; EOF on that pipe means exec succeeded.
// - stdout/stderr are O_CLOEXEC pipes read with poll() until both reach EOF
//   or the deadline passes. On the deadline the group is SIGKILLed and
//   reaped; the outcome is DEADLINE_EXCEEDED carrying the output tail.
// - After EOF the child is reaped with WNOHANG polling (wait4, which also
//   yields its peak RSS and CPU time), so a child that closed its outputs
//   but keeps running still hits the deadline.
#include "base/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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
  // Close-on-exec ends numbered 3 or above, so the child's dup2 onto 0..2
  // can never clobber one of them.
  absl::Status Open() {
    if (::pipe2(fd, O_CLOEXEC) != 0) {
      return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
    }
    for (int& f : fd) {
      if (f > 2) continue;
      const int moved = ::fcntl(f, F_DUPFD_CLOEXEC, 3);
      if (moved < 0) {
        return absl::InternalError(absl::StrCat("fcntl: ", std::strerror(errno)));
      }
      ::close(f);
      f = moved;
    }
    return absl::OkStatus();
  }
  void CloseWrite() {
    if (fd[1] >= 0) ::close(fd[1]);
    fd[1] = -1;
  }
};

// Everything the child does between clone and exec, computed beforehand.
struct ChildPlan {
  const char* program = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* working_dir = nullptr;  // nullptr: stay in ours
  int out_fd = -1, err_fd = -1, report_fd = -1;
  struct Limit {
    int resource;
    rlimit value;
  };
  Limit limits[5];
  int num_limits = 0;
  bool ignore_sigxfsz = false;
};

// Which step failed in the child, and its errno.
enum ChildStep : int { kStepSetup = 1, kStepChdir, kStepLimit, kStepExec };
struct ChildError {
  int step;
  int error;
};

// Fills plan->limits from `limits`, each capped at our own hard limit.
absl::Status PlanLimits(const SubprocessLimits& limits, ChildPlan* plan) {
  const struct {
    int resource;
    int64_t value;
    const char* name;
  } wanted[] = {{RLIMIT_AS, limits.address_space_bytes, "address_space_bytes"},
                {RLIMIT_CPU, limits.cpu_seconds, "cpu_seconds"},
                {RLIMIT_FSIZE, limits.file_size_bytes, "file_size_bytes"},
                {RLIMIT_NOFILE, limits.open_files, "open_files"},
                {RLIMIT_NPROC, limits.processes, "processes"}};
  for (const auto& w : wanted) {
    if (w.value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("RunSubprocess: negative limit ", w.name));
    }
    if (w.value == 0) continue;
    rlimit current;
    if (::getrlimit(w.resource, &current) != 0) {
      return absl::InternalError(absl::StrCat("getrlimit: ", std::strerror(errno)));
    }
    rlim_t soft = static_cast<rlim_t>(w.value);
    // CPU: SIGXCPU at the soft limit (catchable), SIGKILL a second later.
    rlim_t hard = w.resource == RLIMIT_CPU ? soft + 1 : soft;
    if (current.rlim_max != RLIM_INFINITY) {
      soft = std::min(soft, current.rlim_max);
      hard = std::min(hard, current.rlim_max);
    }
    plan->limits[plan->num_limits++] = {w.resource, {soft, hard}};
  }
  plan->ignore_sigxfsz = limits.file_size_bytes > 0;
  return absl::OkStatus();
}

#define MCUTUNE_CHILD_CODE __attribute__((no_sanitize_address, noinline))

[[noreturn]] MCUTUNE_CHILD_CODE void ChildFail(int report_fd, int step) {
  const ChildError e{step, errno};
  const ssize_t ignored = ::write(report_fd, &e, sizeof(e));
  (void)ignored;
  ::_exit(127);
}

// The child: async-signal-safe calls only, no allocation.
[[noreturn]] MCUTUNE_CHILD_CODE void RunChild(const ChildPlan& p) {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  sigemptyset(&action.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    action.sa_handler =
        sig == SIGXFSZ && p.ignore_sigxfsz ? SIG_IGN : SIG_DFL;
    ::sigaction(sig, &action, nullptr);  // EINVAL for libc-reserved ones
  }
  if (::setpgid(0, 0) != 0) ChildFail(p.report_fd, kStepSetup);
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0) ChildFail(p.report_fd, kStepSetup);
  if (null_fd != STDIN_FILENO) {
    if (::dup2(null_fd, STDIN_FILENO) < 0) ChildFail(p.report_fd, kStepSetup);
    ::close(null_fd);
  }
  if (::dup2(p.out_fd, STDOUT_FILENO) < 0 ||
      ::dup2(p.err_fd, STDERR_FILENO) < 0) {
    ChildFail(p.report_fd, kStepSetup);
  }
  if (p.working_dir != nullptr && ::chdir(p.working_dir) != 0) {
    ChildFail(p.report_fd, kStepChdir);
  }
  for (int i = 0; i < p.num_limits; ++i) {
    if (::setrlimit(p.limits[i].resource, &p.limits[i].value) != 0) {
      ChildFail(p.report_fd, kStepLimit);
    }
  }
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  ::execve(p.program, p.argv, p.envp);
  ChildFail(p.report_fd, kStepExec);
}

MCUTUNE_CHILD_CODE int ChildMain(void* plan) {
  RunChild(*static_cast<const ChildPlan*>(plan));
}

// The child's own stack; RunChild needs a few hundred bytes.
constexpr size_t kChildStackBytes = 64 * 1024;

absl::Status ChildErrorStatus(const ChildError& e, const std::string& program,
                              const std::string& working_dir) {
  const std::string why = std::strerror(e.error);
  switch (e.step) {
    case kStepChdir:
      if (e.error == EACCES) {
        return absl::PermissionDeniedError(absl::StrCat(
            "cannot enter working directory ", working_dir, ": ", why));
      }
      return absl::NotFoundError(absl::StrCat(
          "cannot enter working directory ", working_dir, ": ", why));
    case kStepLimit:
      return absl::InternalError(
          absl::StrCat("cannot set a resource limit for ", program, ": ", why));
    case kStepExec:
      if (e.error == ENOENT) {
        return absl::NotFoundError(absl::StrCat("cannot start ", program, ": ", why));
      }
      if (e.error == EACCES) {
        return absl::PermissionDeniedError(
            absl::StrCat("cannot start ", program, ": ", why));
      }
      return absl::InternalError(absl::StrCat("exec ", program, ": ", why));
    default:
      return absl::InternalError(
          absl::StrCat("child set-up for ", program, " failed: ", why));
  }
}

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

  Pipe out, err, report;
  for (Pipe* p : {&out, &err, &report}) {
    if (absl::Status s = p->Open(); !s.ok()) return s;
  }

  ChildPlan plan;
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
  plan.program = program->c_str();
  plan.argv = cargv.data();
  plan.envp = options.env ? cenv.data() : environ;
  plan.working_dir =
      options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  plan.out_fd = out.fd[1];
  plan.err_fd = err.fd[1];
  plan.report_fd = report.fd[1];
  if (absl::Status s = PlanLimits(options.limits, &plan); !s.ok()) return s;

  const absl::Time start = absl::Now();
  void* stack = ::mmap(nullptr, kChildStackBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    return absl::InternalError(absl::StrCat("mmap: ", std::strerror(errno)));
  }
  // All signals blocked across clone: none of our handlers may run in the
  // child (on our memory) before it has reset the dispositions.
  sigset_t all, old_mask;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old_mask);
  // Returns once the child has exec'ed or exited (CLONE_VFORK).
  const pid_t pid =
      ::clone(ChildMain, static_cast<char*>(stack) + kChildStackBytes,
              CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
  const int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::munmap(stack, kChildStackBytes);
  if (pid < 0) {
    return absl::InternalError(
        absl::StrCat("clone ", argv[0], ": ", std::strerror(clone_errno)));
  }
  report.CloseWrite();
  // EOF: the exec succeeded (the report pipe is close-on-exec); otherwise
  // the child tells which step failed and exits 127.
  ChildError child_error;
  ssize_t got;
  do {
    got = ::read(report.fd[0], &child_error, sizeof(child_error));
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof(child_error))) {
    int ignored;
    while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
    }
    return ChildErrorStatus(child_error, argv[0], options.working_dir);
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
  rusage usage;
  std::memset(&usage, 0, sizeof(usage));
  while (!timed_out) {
    const pid_t w = ::wait4(pid, &wstatus, WNOHANG, &usage);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("wait4: ", std::strerror(errno)));
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
  result.max_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
  result.cpu_time = absl::DurationFromTimeval(usage.ru_utime) +
                    absl::DurationFromTimeval(usage.ru_stime);
  if (WIFEXITED(wstatus)) result.exit_code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) result.term_signal = WTERMSIG(wstatus);
  return result;
}

}  // namespace mcutune::base
