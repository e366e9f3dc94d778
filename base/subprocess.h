// Running external programs (the toolchain, QEMU, later pyOCD) safely.
//
// Every tool mcutune drives is started through RunSubprocess: an argument
// vector handed to execve, never a shell string, so no path or name that
// came from a user can be interpreted by a shell. The child runs in its own
// process group with stdin on /dev/null; stdout and stderr are captured into
// bounded buffers; a hard deadline kills the whole group (QEMU with a hung
// firmware, a stuck compiler) and is reported as DEADLINE_EXCEEDED.
// Optional kernel resource limits (address space, CPU seconds, file size,
// open files, processes) are set in the child before it executes the program,
// so a tool fed hostile input cannot exhaust the machine; the child's peak
// RSS and CPU time are reported back.
//
//   codegen/firmware_builder ──┐
//   device_farm/qemu_runner ───┴──► RunSubprocess(argv, options) ──► {exit, out, err, rss}
//
// Thread-safe: concurrent calls from several threads are fine (pipes are
// close-on-exec, so one child never inherits another's pipe ends).
#ifndef MCUTUNE_BASE_SUBPROCESS_H_
#define MCUTUNE_BASE_SUBPROCESS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mcutune::base {

// Kernel resource limits (setrlimit) applied to the child and inherited by
// everything it starts. 0 = leave the limit as inherited from us. A value
// above our own hard limit is lowered to it (only root may raise limits).
struct SubprocessLimits {
  // RLIMIT_AS: virtual address space per process; allocations past it fail
  // (malloc returns NULL / mmap ENOMEM). Mind that tools reserve more address
  // space than they touch (QEMU's translation buffer, thread stacks).
  int64_t address_space_bytes = 0;
  // RLIMIT_CPU: CPU seconds per process. SIGXCPU at the limit, SIGKILL one
  // second later (the hard limit is set to limit + 1).
  int64_t cpu_seconds = 0;
  // RLIMIT_FSIZE: largest file a process may write. SIGXFSZ is ignored in the
  // child, so a write past the limit fails with EFBIG and the tool reports
  // "File too large" instead of dying.
  int64_t file_size_bytes = 0;
  // RLIMIT_NOFILE: open file descriptors per process.
  int64_t open_files = 0;
  // RLIMIT_NPROC: processes of the child's *real user id*, counted across
  // the whole machine (not only this child's descendants); not enforced for
  // root. Only a fork-bomb guard: set it well above the user's usual count.
  int64_t processes = 0;
};

struct SubprocessOptions {
  // Directory the child starts in; empty = the caller's current directory.
  std::string working_dir;
  // Complete environment ("NAME=value" entries); nullopt = inherit ours.
  // The program itself is still looked up in *our* PATH.
  std::optional<std::vector<std::string>> env;
  // Hard wall-clock limit; past it the process group gets SIGKILL.
  absl::Duration timeout = absl::InfiniteDuration();
  // Bytes kept per stream; further output is read and dropped (the child
  // never blocks on a full pipe) and `*_truncated` is set.
  size_t max_output_bytes = 4 << 20;
  // Resource limits of the child (none by default).
  SubprocessLimits limits;
};

struct SubprocessResult {
  // Exit status when the child exited normally, else -1.
  int exit_code = -1;
  // The signal that terminated the child, else 0.
  int term_signal = 0;
  std::string stdout_data;
  std::string stderr_data;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  absl::Duration elapsed;
  // Resource use of the child and its reaped descendants (getrusage of the
  // wait4'ed process): peak resident set size of the largest process, and
  // user + system CPU time.
  int64_t max_rss_bytes = 0;
  absl::Duration cpu_time;

  bool ok() const { return exit_code == 0; }
};

// Runs argv[0] (looked up in PATH unless it contains '/') with argv[1..].
// Returns the result whatever the exit status or terminating signal is.
// Errors:
//   INVALID_ARGUMENT   empty argv, an argument / env entry containing NUL,
//                      or a negative resource limit
//   NOT_FOUND          the program does not exist (or is not in PATH), or
//                      working_dir does not exist
//   PERMISSION_DENIED  the program is not executable, or working_dir cannot
//                      be entered
//   DEADLINE_EXCEEDED  the timeout passed; the group was killed. The message
//                      ends with the tail of the captured stderr and stdout.
//   INTERNAL           pipe/clone/poll failures of our own process, a limit
//                      the kernel refused, or an exec failure other than
//                      ENOENT/EACCES (e.g. not an executable format)
absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::vector<std::string>& argv,
    const SubprocessOptions& options = {});

// "prog arg 'arg with space'" for logs and error messages (never executed).
std::string FormatCommandLine(const std::vector<std::string>& argv);

// True when `program` can be found and executed (same lookup as above).
bool ProgramExists(const std::string& program);

}  // namespace mcutune::base

#endif  // MCUTUNE_BASE_SUBPROCESS_H_
