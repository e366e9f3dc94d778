// A scripted Board for scheduler tests (no QEMU, no probe): each Run()
// sleeps for the outcome's delay and returns what the script says — an ok
// Measurement with a given count and output hash, a firmware status
// (timeout, crashed, fault, ...) or an error status (UNAVAILABLE,
// NOT_FOUND, ...). Outcomes are taken, in order, from the per-artifact
// script of the artifact's sha256, else the board's script, else the
// default outcome (ok). Also a manual Clock for deterministic backoff and
// health-check timing.
//
//   auto board = std::make_unique<FakeBoard>("fake://a", FakeSpec("qemu-f746"));
//   board->Script({FakeOutcome::Error(absl::UnavailableError("busy")),
//                  FakeOutcome::Ok(1000)});
// Thread-safe (several slots may call Run at once).
#ifndef MCUTUNE_DEVICE_FARM_TESTING_FAKE_BOARD_H_
#define MCUTUNE_DEVICE_FARM_TESTING_FAKE_BOARD_H_

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "device_farm/board.h"
#include "device_farm/scheduler.h"

namespace mcutune::device_farm {

struct FakeOutcome {
  absl::Status error;  // non-OK: Run() returns it
  RunStatus status = RunStatus::kOk;
  int64_t total_count = 3000;  // over RunOptions::runs inferences
  // "" = the artifact's expected_output_sha256 (a matching output).
  std::string output_sha256;
  absl::Duration delay = absl::ZeroDuration();

  static FakeOutcome Ok(int64_t total_count = 3000,
                        absl::Duration delay = absl::ZeroDuration());
  static FakeOutcome Firmware(RunStatus status,
                            absl::Duration delay = absl::ZeroDuration());
  static FakeOutcome Error(absl::Status error,
                           absl::Duration delay = absl::ZeroDuration());
  FakeOutcome& WithOutput(std::string sha256) {
    output_sha256 = std::move(sha256);
    return *this;
  }
};

// A minimal catalogue entry of kind `id` (virtual when it starts "qemu-").
space::BoardSpec FakeSpec(const std::string& id);

class FakeBoard : public Board {
 public:
  FakeBoard(std::string uri, space::BoardSpec spec, int slots = 1);
  const std::string& uri() const override { return uri_; }
  const space::BoardSpec& spec() const override { return spec_; }
  int slots() const override { return slots_; }
  absl::StatusOr<Measurement> Run(const Artifact& artifact,
                                  const RunOptions& options) override;

  // Appends to the board's script / the script of one artifact.
  void Script(std::vector<FakeOutcome> outcomes);
  void ScriptArtifact(const std::string& sha256,
                      std::vector<FakeOutcome> outcomes);
  // Used when the scripts are empty (initially FakeOutcome::Ok()).
  void SetDefault(FakeOutcome outcome);
  // Default outcome for one artifact (after its script ran out).
  void SetArtifactDefault(const std::string& sha256, FakeOutcome outcome);

  int calls() const;                       // Run() calls so far
  std::vector<std::string> artifacts_run() const;  // sha256 per call
  int max_concurrent() const;              // most Run() calls at once

 private:
  std::string uri_;
  space::BoardSpec spec_;
  int slots_;
  mutable std::mutex mu_;
  std::deque<FakeOutcome> script_;
  std::map<std::string, std::deque<FakeOutcome>> artifact_scripts_;
  std::map<std::string, FakeOutcome> artifact_defaults_;
  FakeOutcome default_ = FakeOutcome::Ok();
  std::vector<std::string> artifacts_run_;
  int running_ = 0;
  int max_running_ = 0;
};

// A clock that only moves when told to.
class ManualClock : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1700000000))
      : now_(start) {}
  absl::Time Now() override;
  void Advance(absl::Duration d);
  void Set(absl::Time t);

 private:
  std::mutex mu_;
  absl::Time now_;
};

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_TESTING_FAKE_BOARD_H_
