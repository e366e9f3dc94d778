// Time to a measured Pareto front (issue 7): the tuning loop as the daemon
// runs it (cost model prediction + active selection, host verification,
// measurement on two virtual STM32F746 of configs/farm.json) against
// exhaustive measurement of every fitting, buildable candidate, for the
// synthesized mcunet-in1 and the real vww_96_int8 (MCUTUNE_SHARED_DIR).
//
//   tuned:      RunTuneJob(budget 16, batch 4)  ── wall time, measurements
//   exhaustive: RunTuneJob with a strategy that takes every candidate left
//               (the tuned job's rows are reused: QEMU counts instructions,
//               so a firmware measures the same every time), host
//               verification off (the board's output hash is still checked)
//   compare:    for each point of the exhaustive (latency, SRAM) front the
//               best tuned latency at <= its SRAM; hypervolume ratios in
//               (latency, SRAM) and (latency, SRAM, flash); whether the
//               fastest candidate was found.
//
// By default the network's own calibration samples are left out of the
// cost model's prior (held out: the shipped data has 12 candidates of every
// zoo network; --warm keeps them). The exhaustive pass is capped when its
// estimated duration exceeds --exhaustive-minutes (default 25): then it
// measures the predicted Pareto layers first and an SRAM-stratified sample
// of the rest, and says so.
//
// Flags: --models a,b  --budget N  --batch N  --exhaustive-minutes M  --warm
//        --keep (leave the work directory)
#include <filesystem>
#include <fstream>

#include "tests/bench/tune_bench_env.h"

namespace {

namespace fs = std::filesystem;
using namespace mcutune;            // NOLINT
using namespace mcutune::bench;     // NOLINT

struct Flags {
  std::vector<std::string> models = {"mcunet-in1", "vww_96_int8"};
  int budget = 16;
  int batch = 4;
  double exhaustive_minutes = 25;
  bool warm = false;
  bool keep = false;
};

// The model's bytes: a zoo architecture synthesized with seed 1, or
// <shared>/models/<name>.tflite. NOT_FOUND when the file is absent.
absl::StatusOr<std::string> ModelBytes(const std::string& name) {
  if (absl::StatusOr<graph::zoo::ZooEntry> e = graph::zoo::FindInZoo(name);
      e.ok()) {
    absl::StatusOr<graph::Graph> g = graph::zoo::Synthesize(e->arch, 1);
    if (!g.ok()) return g.status();
    absl::StatusOr<std::vector<uint8_t>> b = graph::WriteTflite(*g);
    if (!b.ok()) return b.status();
    return std::string(b->begin(), b->end());
  }
  const fs::path path =
      fs::path(MCUTUNE_SHARED_DIR) / "models" / (name + ".tflite");
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path.string() + " not present");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int RunModel(const std::string& name, const Flags& flags) {
  absl::StatusOr<std::string> bytes = ModelBytes(name);
  if (!bytes.ok()) {
    std::printf("%s: SKIPPED (%s)\n\n", name.c_str(),
                std::string(bytes.status().message()).c_str());
    return 0;
  }
  const fs::path dir = fs::temp_directory_path() /
                       ("tune_bench_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  BenchEnv env;
  if (absl::Status s = env.Open(dir, name, *bytes, !flags.warm); !s.ok()) {
    std::printf("%s: set-up failed: %s\n", name.c_str(),
                std::string(s.message()).c_str());
    return 1;
  }
  std::printf("%s: %s, %d fitting candidates on qemu-f746 (2 boards), "
              "%d prior calibration samples (%s)\n",
              name.c_str(), env.model_summary.c_str(), env.fitting,
              env.prior_samples,
              flags.warm ? "the network's own included (--warm)"
                         : "the network's own held out");
  // Tuned.
  const JobOutcome tuned = env.RunJob(flags.budget, flags.batch, {}, {});
  if (!tuned.ok) return 1;
  std::printf("  tuned:      %6.1f s  %d rounds  %d measurements (%d failed)"
              "  %d builds failed  front %d  (front final after %.1f s)\n",
              tuned.seconds, tuned.rounds, tuned.measurements,
              tuned.measure_failed, tuned.build_failed, tuned.front_size,
              tuned.front_final_seconds);
  // Exhaustive: every candidate the tuned job did not settle, capped by
  // time estimated from the tuned run (per candidate processed).
  const int processed =
      tuned.measurements + tuned.build_failed + tuned.verify_failed;
  const int left = env.fitting - processed;
  const double per_candidate =
      processed > 0 ? tuned.seconds / processed : 60.0;
  const double limit_s = flags.exhaustive_minutes * 60;
  int cap = 0;  // all
  if (left * per_candidate > limit_s) {
    cap = std::max(8, static_cast<int>(limit_s / per_candidate));
  }
  ExhaustiveControl control;
  control.cap = cap;
  control.deadline = absl::Now() + absl::Seconds(limit_s * 1.5);
  const JobOutcome ex =
      env.RunJob(std::min(env.fitting, tuner::kMaxMeasurementBudget), 8,
                 tuned.job_id, &control);
  if (!ex.ok) return 1;
  const int ex_new = ex.measurements + ex.measure_failed - tuned.measurements -
                     tuned.measure_failed;
  std::printf("  exhaustive: %6.1f s for %d new measurements + %d reused; "
              "%d measured ok, %d failed, %d did not build/verify%s\n",
              ex.seconds, ex_new, tuned.measurements + tuned.measure_failed,
              ex.measurements, ex.measure_failed,
              ex.build_failed + ex.verify_failed,
              control.capped
                  ? absl::StrFormat(
                        "\n              CAPPED: %d of %d candidates left "
                        "measured (predicted Pareto layers + SRAM-stratified "
                        "sample; est. %.0f s/candidate, full set ~%.0f min)",
                        control.planned, control.remaining, per_candidate,
                        control.remaining * per_candidate / 60)
                        .c_str()
                  : "");
  const int buildable = env.fitting - ex.build_failed - ex.verify_failed;
  const double full_s = tuned.seconds + ex.seconds +
                        (control.capped ? (control.remaining - control.planned) *
                                              per_candidate
                                        : 0);
  PrintComparison(tuned, ex, buildable, full_s, control.capped);
  if (!flags.keep) fs::remove_all(dir);
  std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--models") {
      flags.models = absl::StrSplit(value(), ',', absl::SkipEmpty());
    } else if (a == "--budget") {
      flags.budget = std::stoi(value());
    } else if (a == "--batch") {
      flags.batch = std::stoi(value());
    } else if (a == "--exhaustive-minutes") {
      flags.exhaustive_minutes = std::stod(value());
    } else if (a == "--warm") {
      flags.warm = true;
    } else if (a == "--keep") {
      flags.keep = true;
    } else {
      std::fprintf(stderr,
                   "usage: tune_bench [--models a,b] [--budget N] [--batch N] "
                   "[--exhaustive-minutes M] [--warm] [--keep]\n");
      return 2;
    }
  }
  SilenceLogs();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress when redirected
  std::printf("tune_bench: time to a measured Pareto front, tuning loop "
              "(budget %d, batch %d) vs exhaustive measurement\n\n",
              flags.budget, flags.batch);
  int status = 0;
  for (const std::string& m : flags.models) status |= RunModel(m, flags);
  return status;
}
