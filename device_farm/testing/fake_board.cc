// FakeBoard: scripted outcomes, counted calls; ManualClock.
// - The outcome is chosen under the mutex, the delay is slept outside it so
//   several slots can run at once (max_concurrent observes that).
// - An ok outcome yields a complete Measurement (unit instructions, the
//   count split over RunOptions::runs, the expected output hash unless told
//   otherwise) like a QEMU board would.
#include "device_farm/testing/fake_board.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"

namespace mcutune::device_farm {

FakeOutcome FakeOutcome::Ok(int64_t total_count, absl::Duration delay) {
  FakeOutcome o;
  o.total_count = total_count;
  o.delay = delay;
  return o;
}

FakeOutcome FakeOutcome::Firmware(RunStatus status, absl::Duration delay) {
  FakeOutcome o;
  o.status = status;
  o.delay = delay;
  return o;
}

FakeOutcome FakeOutcome::Error(absl::Status error, absl::Duration delay) {
  FakeOutcome o;
  o.error = std::move(error);
  o.delay = delay;
  return o;
}

space::BoardSpec FakeSpec(const std::string& id) {
  space::BoardSpec spec;
  spec.id = id;
  spec.name = absl::StrCat("fake ", id);
  spec.is_virtual = id.rfind("qemu-", 0) == 0;
  spec.core = "cortex-m7";
  spec.clock_hz = 216000000;
  spec.sram_bytes = 320 * 1024;
  spec.flash_bytes = 1024 * 1024;
  return spec;
}

FakeBoard::FakeBoard(std::string uri, space::BoardSpec spec, int slots)
    : uri_(std::move(uri)), spec_(std::move(spec)), slots_(slots) {}

void FakeBoard::Script(std::vector<FakeOutcome> outcomes) {
  std::lock_guard<std::mutex> lock(mu_);
  for (FakeOutcome& o : outcomes) script_.push_back(std::move(o));
}

void FakeBoard::ScriptArtifact(const std::string& sha256,
                               std::vector<FakeOutcome> outcomes) {
  std::lock_guard<std::mutex> lock(mu_);
  for (FakeOutcome& o : outcomes) {
    artifact_scripts_[sha256].push_back(std::move(o));
  }
}

void FakeBoard::SetDefault(FakeOutcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  default_ = std::move(outcome);
}

void FakeBoard::SetArtifactDefault(const std::string& sha256,
                                   FakeOutcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  artifact_defaults_[sha256] = std::move(outcome);
}

int FakeBoard::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(artifacts_run_.size());
}

std::vector<std::string> FakeBoard::artifacts_run() const {
  std::lock_guard<std::mutex> lock(mu_);
  return artifacts_run_;
}

int FakeBoard::max_concurrent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_running_;
}

absl::StatusOr<Measurement> FakeBoard::Run(const Artifact& artifact,
                                           const RunOptions& options) {
  // The request checks every Board makes (board.h; the conformance suite,
  // tests/device_farm/board_conformance_test.cc). The fake never reads the
  // image, so a path that does not exist is fine.
  if (artifact.elf_path.empty() && artifact.bin_path.empty()) {
    return absl::InvalidArgumentError("fake board: artifact has no image");
  }
  if (options.runs < 1 || options.warmup < 0 ||
      options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("fake board: bad run options");
  }
  FakeOutcome outcome;
  {
    std::lock_guard<std::mutex> lock(mu_);
    artifacts_run_.push_back(artifact.sha256);
    ++running_;
    max_running_ = std::max(max_running_, running_);
    auto it = artifact_scripts_.find(artifact.sha256);
    if (it != artifact_scripts_.end() && !it->second.empty()) {
      outcome = it->second.front();
      it->second.pop_front();
    } else if (!script_.empty()) {
      outcome = script_.front();
      script_.pop_front();
    } else if (auto d = artifact_defaults_.find(artifact.sha256);
               d != artifact_defaults_.end()) {
      outcome = d->second;
    } else {
      outcome = default_;
    }
  }
  if (outcome.delay > absl::ZeroDuration()) {
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(outcome.delay));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
  }
  if (!outcome.error.ok()) return outcome.error;
  Measurement m;
  m.status = outcome.status;
  m.board = absl::StrCat("fake:", uri_);
  m.runs = options.runs;
  m.warmup = options.warmup;
  m.wall_seconds = absl::ToDoubleSeconds(outcome.delay);
  if (outcome.status != RunStatus::kOk) {
    m.error = absl::StrCat("fake ", RunStatusName(outcome.status));
    m.exit_code = outcome.status == RunStatus::kTimeout ? -1 : 1;
    return m;
  }
  m.exit_code = 0;
  m.unit = CountUnit::kInstructions;
  m.counted_by = "fake board: scripted count";
  m.raw_ticks = outcome.total_count;
  m.total_count = outcome.total_count;
  m.per_inference =
      static_cast<double>(outcome.total_count) / std::max(1, options.runs);
  m.output_sha256 = outcome.output_sha256.empty()
                        ? artifact.expected_output_sha256
                        : outcome.output_sha256;
  m.stack_high_water_bytes = 1024;
  m.stack_bytes = 8192;
  m.arena_bytes = 4096;
  m.flash_bytes = 65536;
  m.ram_bytes = 16384;
  return m;
}

absl::Time ManualClock::Now() {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

void ManualClock::Advance(absl::Duration d) {
  std::lock_guard<std::mutex> lock(mu_);
  now_ += d;
}

void ManualClock::Set(absl::Time t) {
  std::lock_guard<std::mutex> lock(mu_);
  now_ = t;
}

}  // namespace mcutune::device_farm
