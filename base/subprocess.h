// Running external programs (the toolchain, QEMU, later pyOCD) safely.
//
// Every tool mcutune drives is started through RunSubprocess: an argument
// vector handed to posix_spawnp, never a shell string, so no path or name that
// came from a user can be interpreted by a shell. The child runs in its own
// process group with stdin on /dev/null; stdout and stderr are captured into
// bounded buffers; a hard deadline kills the whole group (QEMU with a hung
// firmware, a stuck compiler) and is reported as DEADLINE_EXCEEDED.
//
//   codegen/firmware_builder ──┐
//   device_farm/qemu_runner ───┴──► RunSubprocess(argv, options) ──► {exit, out, err}
//
// Thread-safe: concurrent calls from several threads are fine (pipes are
// close-on-exec, so one child never inherits another's pipe ends).
#ifndef MCUTUNE_BASE_SUBPROCESS_H_
#define MCUTUNE_BASE_SUBPROCESS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mcutune::base {

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

  bool ok() const { return exit_code == 0; }
};

// Runs argv[0] (looked up in PATH unless it contains '/') with argv[1..].
// Returns the result whatever the exit status or terminating signal is.
// Errors:
//   INVALID_ARGUMENT   empty argv, or an argument / env entry containing NUL
//   NOT_FOUND          the program does not exist (or is not in PATH), or
//                      working_dir does not exist
//   PERMISSION_DENIED  the program is not executable
//   DEADLINE_EXCEEDED  the timeout passed; the group was killed. The message
//                      ends with the tail of the captured stderr and stdout.
//   INTERNAL           pipe/spawn/poll failures of our own process
absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::vector<std::string>& argv,
    const SubprocessOptions& options = {});

// "prog arg 'arg with space'" for logs and error messages (never executed).
std::string FormatCommandLine(const std::vector<std::string>& argv);

// True when `program` can be found and executed (same lookup as above).
bool ProgramExists(const std::string& program);

}  // namespace mcutune::base

#endif  // MCUTUNE_BASE_SUBPROCESS_H_
