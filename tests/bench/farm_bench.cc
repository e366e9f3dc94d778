// Device farm throughput on virtual boards, against bare QEMU runs of the
// same artifact measured in the same process:
//   bare        RunOnQemu N times back to back (no scheduler, no database)
//   bare x2     the same on two threads (the ceiling of two slots)
//   farm 1 slot Scheduler + SQLite file + one QemuBoard, N queued runs
//   farm 2 slot the same with two boards
// Prints runs/minute, the 2-vs-1 slot speedup, and the scheduler overhead
// per run = (farm 1-slot wall time per run) - (bare wall time per run).
// Each configuration is measured kTrials times, interleaved, and the fastest
// trial kept (the machine is shared; the minimum is the least disturbed).
// Needs arm-none-eabi-gcc and qemu-system-arm (skips with a message).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "base/subprocess.h"
#include "codegen/firmware_builder.h"
#include "device_farm/qemu_board.h"
#include "device_farm/qemu_runner.h"
#include "device_farm/scheduler.h"
#include "tuner/space/board.h"

namespace mcutune {
namespace {

namespace fs = std::filesystem;
using device_farm::Artifact;

constexpr int kQueue = 12;
constexpr int kTrials = 3;
// Measured inferences per run: ~0.1 s of emulation besides QEMU's start-up.
constexpr int kInferences = 1000;
constexpr char kKind[] = "qemu-f746";

double BareSeconds(const std::string& elf, const std::string& machine, int runs,
                   int threads) {
  const absl::Time start = absl::Now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = t; i < runs; i += threads) {
        device_farm::QemuRunOptions o;
        o.machine = machine;
        o.runs = kInferences;
        o.warmup = 1;
        absl::StatusOr<device_farm::Measurement> m =
            device_farm::RunOnQemu(elf, o);
        if (!m.ok() || m->status != device_farm::RunStatus::kOk) {
          std::fprintf(stderr, "bare run failed\n");
          std::exit(1);
        }
      }
    });
  }
  for (std::thread& t : pool) t.join();
  return absl::ToDoubleSeconds(absl::Now() - start);
}

double FarmSeconds(const Artifact& artifact, const space::BoardSpec& spec,
                   int boards, const std::string& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  absl::StatusOr<std::unique_ptr<device_farm::FarmStore>> store =
      device_farm::FarmStore::Open(dir + "/farm.db");
  if (!store.ok()) {
    std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<std::unique_ptr<device_farm::Board>> list;
  for (int b = 0; b < boards; ++b) {
    list.push_back(device_farm::MakeQemuBoard(
        "qemu://qemu-f746/" + std::to_string(b), spec));
  }
  absl::StatusOr<std::unique_ptr<device_farm::Scheduler>> s =
      device_farm::MakeScheduler(std::move(*store), std::move(list));
  if (!s.ok()) {
    std::fprintf(stderr, "scheduler: %s\n", s.status().ToString().c_str());
    std::exit(1);
  }
  const absl::Time start = absl::Now();
  std::vector<int64_t> ids;
  for (int i = 0; i < kQueue; ++i) {
    device_farm::RunRequest r;
    r.artifact = artifact;
    r.board_kind = kKind;
    r.options.runs = kInferences;
    r.options.warmup = 1;
    absl::StatusOr<int64_t> id = (*s)->Submit(r);
    if (!id.ok()) std::exit(1);
    ids.push_back(*id);
  }
  for (int64_t id : ids) {
    absl::StatusOr<device_farm::RunRecord> r = (*s)->Wait(id, absl::Minutes(5));
    if (!r.ok() || r->state != device_farm::RunState::kDone) {
      std::fprintf(stderr, "farm run %lld did not finish ok\n",
                   static_cast<long long>(id));
      std::exit(1);
    }
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  (*s)->Stop();
  return seconds;
}

int Main() {
  if (!base::ProgramExists("arm-none-eabi-gcc") ||
      !base::ProgramExists("qemu-system-arm")) {
    std::printf(
        "farm_bench: arm-none-eabi-gcc or qemu-system-arm missing: skipped\n");
    return 0;
  }
  absl::StatusOr<space::BoardSpec> spec = space::FindBoard(kKind);
  if (!spec.ok()) return 1;
  std::string tmpl =
      (fs::temp_directory_path() / "mcutune-farm-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return 1;
  const std::string dir = tmpl;
  codegen::FirmwareBuildOptions bo;
  bo.work_dir = dir + "/fw";
  bo.sources = {std::string(MCUTUNE_SOURCE_DIR) +
                "/codegen/firmware/stand_in/stand_in_model.c"};
  bo.defines = {{"MCUTUNE_STAND_IN_PASSES", "4"}};
  absl::StatusOr<codegen::BuildResult> build =
      codegen::BuildFirmware(*spec, bo);
  if (!build.ok() || !build->ok) {
    std::fprintf(stderr, "firmware build failed\n");
    return 1;
  }
  absl::StatusOr<Artifact> artifact = device_farm::LoadArtifact(bo.work_dir);
  if (!artifact.ok()) return 1;

  // Warm the page cache / QEMU binary once.
  BareSeconds(artifact->elf_path, spec->qemu_machine, 1, 1);
  double bare1 = 1e9, bare2 = 1e9, farm1 = 1e9, farm2 = 1e9;
  for (int t = 0; t < kTrials; ++t) {
    bare1 = std::min(
        bare1, BareSeconds(artifact->elf_path, spec->qemu_machine, kQueue, 1));
    farm1 = std::min(farm1, FarmSeconds(*artifact, *spec, 1, dir + "/farm1"));
    bare2 = std::min(
        bare2, BareSeconds(artifact->elf_path, spec->qemu_machine, kQueue, 2));
    farm2 = std::min(farm2, FarmSeconds(*artifact, *spec, 2, dir + "/farm2"));
  }
  auto per_min = [](double seconds) { return 60.0 * kQueue / seconds; };
  std::printf(
      "queue of %d runs (stand-in, 4 passes, %d inferences each) on %s, %u "
      "hardware "
      "threads, best of %d\n",
      kQueue, kInferences, kKind, std::thread::hardware_concurrency(), kTrials);
  std::printf("  %-24s %8s %10s %12s\n", "", "wall s", "runs/min", "ms/run");
  std::printf("  %-24s %8.2f %10.1f %12.1f\n", "bare qemu, 1 at a time", bare1,
              per_min(bare1), 1000 * bare1 / kQueue);
  std::printf("  %-24s %8.2f %10.1f %12.1f\n", "bare qemu, 2 at a time", bare2,
              per_min(bare2), 1000 * bare2 / kQueue);
  std::printf("  %-24s %8.2f %10.1f %12.1f\n", "farm, 1 slot", farm1,
              per_min(farm1), 1000 * farm1 / kQueue);
  std::printf("  %-24s %8.2f %10.1f %12.1f\n", "farm, 2 slots", farm2,
              per_min(farm2), 1000 * farm2 / kQueue);
  std::printf(
      "farm throughput 2 slots / 1 slot: %.2fx (bare 2/1 ceiling: %.2fx)\n",
      farm1 / farm2, bare1 / bare2);
  std::printf(
      "scheduler overhead per run: %.1f ms (farm 1 slot %.1f ms - bare %.1f "
      "ms), "
      "%.1f%% of a bare run\n",
      1000 * (farm1 - bare1) / kQueue, 1000 * farm1 / kQueue,
      1000 * bare1 / kQueue, 100 * (farm1 - bare1) / bare1);
  if (farm1 < bare1)
    std::printf("  (negative: below this machine's run-to-run noise)\n");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace mcutune

int main() { return mcutune::Main(); }
