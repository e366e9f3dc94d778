// Helpers of the farm store / scheduler tests (no QEMU): fake artifacts,
// a temporary directory per test and a bounded wait for a condition.
#ifndef MCUTUNE_TESTS_DEVICE_FARM_FARM_TEST_UTIL_H_
#define MCUTUNE_TESTS_DEVICE_FARM_FARM_TEST_UTIL_H_

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "device_farm/board.h"

namespace mcutune::testing {

// An artifact whose identity is `n` (the files are never read by fakes).
inline device_farm::Artifact FakeArtifact(int n) {
  char sha[65];
  std::snprintf(sha, sizeof(sha), "%064x", n);
  char expected[65];
  std::snprintf(expected, sizeof(expected), "e%063x", n);
  device_farm::Artifact a;
  a.elf_path = "/nonexistent/firmware-" + std::to_string(n) + ".elf";
  a.sha256 = sha;
  a.expected_output_sha256 = expected;
  a.toolchain_version = "fake-gcc 1.0";
  return a;
}

// A directory removed with the object (kept with MCUTUNE_KEEP_TEST_DIRS).
class FarmTempDir {
 public:
  FarmTempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "mcutune-farm-XXXXXX")
            .string();
    if (mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~FarmTempDir() {
    std::error_code ec;
    if (!path_.empty() && !getenv("MCUTUNE_KEEP_TEST_DIRS")) {
      std::filesystem::remove_all(path_, ec);
    }
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Polls `done` every 5 ms for at most `timeout_ms`; its last answer.
inline bool WaitUntil(const std::function<bool()>& done, int timeout_ms = 5000) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace mcutune::testing

#endif  // MCUTUNE_TESTS_DEVICE_FARM_FARM_TEST_UTIL_H_
