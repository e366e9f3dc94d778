// RunSubprocess: argv passing, capture, exit status and signals, working dir
// and environment, bounded output, and the hard timeout that kills the whole
// process group.
#include "base/subprocess.h"

#include <signal.h>

#include <catch2/catch.hpp>

namespace mcutune::base {
namespace {

TEST_CASE("captures stdout, stderr and the exit status", "[subprocess]") {
  absl::StatusOr<SubprocessResult> r =
      RunSubprocess({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  REQUIRE(r.ok());
  CHECK(r->stdout_data == "out\n");
  CHECK(r->stderr_data == "err\n");
  CHECK(r->exit_code == 3);
  CHECK(r->term_signal == 0);
  CHECK_FALSE(r->ok());
}

TEST_CASE("arguments reach the program verbatim, never through a shell", "[subprocess]") {
  const std::string tricky = "a b'c\"$(touch /tmp/x);*";
  absl::StatusOr<SubprocessResult> r = RunSubprocess({"printf", "%s", tricky});
  REQUIRE(r.ok());
  CHECK(r->ok());
  CHECK(r->stdout_data == tricky);
}

TEST_CASE("reports the terminating signal", "[subprocess]") {
  absl::StatusOr<SubprocessResult> r = RunSubprocess({"/bin/sh", "-c", "kill -KILL $$"});
  REQUIRE(r.ok());
  CHECK(r->exit_code == -1);
  CHECK(r->term_signal == SIGKILL);
}

TEST_CASE("a missing program is NOT_FOUND", "[subprocess]") {
  absl::StatusOr<SubprocessResult> r = RunSubprocess({"mcutune-no-such-program-xyz"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kNotFound);
  r = RunSubprocess({"/nonexistent/dir/prog"});
  CHECK(r.status().code() == absl::StatusCode::kNotFound);
  CHECK_FALSE(ProgramExists("mcutune-no-such-program-xyz"));
  CHECK(ProgramExists("sh"));
}

TEST_CASE("bad requests are INVALID_ARGUMENT", "[subprocess]") {
  CHECK(RunSubprocess({}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(RunSubprocess({"echo", std::string("a\0b", 3)}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  SubprocessOptions options;
  options.env = std::vector<std::string>{"NOEQUALS"};
  CHECK(RunSubprocess({"true"}, options).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("working directory and environment", "[subprocess]") {
  SubprocessOptions options;
  options.working_dir = "/usr";
  options.env = std::vector<std::string>{"MCUTUNE_TEST_VAR=hello"};
  absl::StatusOr<SubprocessResult> r =
      RunSubprocess({"/bin/sh", "-c", "pwd; echo $MCUTUNE_TEST_VAR; echo ${HOME:-unset}"},
                    options);
  REQUIRE(r.ok());
  CHECK(r->stdout_data == "/usr\nhello\nunset\n");

  options.working_dir = "/nonexistent-mcutune-dir";
  CHECK(RunSubprocess({"true"}, options).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("output beyond the bound is drained and dropped", "[subprocess]") {
  SubprocessOptions options;
  options.max_output_bytes = 1000;
  absl::StatusOr<SubprocessResult> r =
      RunSubprocess({"head", "-c", "1000000", "/dev/zero"}, options);
  REQUIRE(r.ok());
  CHECK(r->ok());
  CHECK(r->stdout_data.size() == 1000);
  CHECK(r->stdout_truncated);
  CHECK_FALSE(r->stderr_truncated);
}

TEST_CASE("the timeout kills the whole process group", "[subprocess]") {
  SubprocessOptions options;
  options.timeout = absl::Milliseconds(300);
  // The background sleep holds the pipes open: only killing the group ends it.
  absl::StatusOr<SubprocessResult> r =
      RunSubprocess({"/bin/sh", "-c", "echo started; sleep 30 & sleep 30"}, options);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(std::string(r.status().message()).find("started") != std::string::npos);
}

TEST_CASE("a child that closes its outputs but keeps running still times out",
          "[subprocess]") {
  SubprocessOptions options;
  options.timeout = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  absl::StatusOr<SubprocessResult> r =
      RunSubprocess({"/bin/sh", "-c", "exec >/dev/null 2>&1; sleep 30"}, options);
  CHECK(r.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(absl::Now() - start < absl::Seconds(10));
}

TEST_CASE("FormatCommandLine quotes what a shell would split", "[subprocess]") {
  CHECK(FormatCommandLine({"gcc", "-O2", "a b.c", "it's"}) ==
        "gcc -O2 'a b.c' 'it'\\''s'");
}

}  // namespace
}  // namespace mcutune::base
