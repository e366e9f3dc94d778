// SweepDefinition: one nightly sweep, as written in configs/sweeps/NAME.json
// (docs/sweeps.md has the format and an example).
//
//   configs/sweeps/*.json ──LoadSweepDefinitions(dir, catalogue)──►
//   [SweepDefinition] SweepDefinition ──Items()──► (model × board kind ×
//   constraint) work items
//                                 each one tuning job (or a re-measurement,
//                                 or nothing) per sweep run (sweep_runner.h)
//
// Validation is strict and complete at load time, like the daemon's own
// config: unknown keys, wrong types, out-of-range numbers, unknown board
// kinds or zoo models, missing model files, a cron schedule that never fires
// and budgets no board of the sweep could honour are INVALID_ARGUMENT naming
// the file and the key. Relative model file paths are relative to the
// definition file's directory.
// Plain values; functions are thread-safe.
#ifndef MCUTUNE_TUNER_SWEEP_DEFINITION_H_
#define MCUTUNE_TUNER_SWEEP_DEFINITION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tuner/cron_schedule.h"
#include "tuner/space/board.h"
#include "tuner/tune_request.h"

namespace mcutune::tuner {

// A model of the sweep: a zoo architecture (synthesized with seed 1, like
// `mcutune submit NAME`) or a .tflite file.
struct SweepModel {
  std::string name;  // display name and item key part ([A-Za-z0-9._-])
  std::string zoo;   // zoo architecture, or ""
  std::string file;  // absolute path of a .tflite, or ""
};

// A constraint set; the item runs one job per board kind under it.
struct SweepConstraint {
  std::string name = "board";      // [A-Za-z0-9._-]{1,32}, unique in a sweep
  int64_t sram_budget_bytes = 0;   // 0 = the board's SRAM
  int64_t flash_budget_bytes = 0;  // 0 = the board's flash
  bool allow_external_memory = true;
  int max_n_patch = 8;
};

// How measurements are compared across runs (sweep_drift.h).
struct DriftOptions {
  // A slowdown is drift when latency ratio > 1 + band, band =
  // max(noise_floor, spread_factor * relative spread of the repeats).
  double noise_floor = 0.02;
  double spread_factor = 3;
  // Same-artifact pairs a board kind needs before its shift is judged.
  int min_board_pairs = 2;
  // Cost model error grew: MAPE > reference + max(abs, rel * reference).
  double cost_model_abs_growth = 0.05;
  double cost_model_rel_growth = 0.5;
};

// What a scheduled slot missed while the daemon was down does.
enum class CatchUp {
  kLatest,  // "latest": one run (for the most recent missed slot) at start
  kSkip,    // "skip": nothing; the next slot runs as usual
};

struct SweepDefinition {
  std::string name;  // [A-Za-z0-9._-]{1,64}; default the file stem
  std::string description;
  std::string file;      // where it was read from ("" when parsed from text)
  std::string schedule;  // the cron text
  CronSchedule cron;
  std::string timezone = "UTC";
  absl::TimeZone tz = absl::UTCTimeZone();
  bool enabled = true;  // false: only `sweep run --now` runs it
  std::vector<SweepModel> models;
  std::vector<std::string> board_kinds;
  std::vector<SweepConstraint> constraints;  // default: one, "board"
  // Per item (one model on one board kind under one constraint set).
  int measurement_budget = 8;
  int batch_size = 4;
  int runs_per_measurement = 3;
  uint64_t seed = 1;
  // An item whose inputs did not change is re-measured (its last front,
  // same firmware) once this long has passed since its last measurement.
  absl::Duration remeasure_after = absl::Hours(24 * 7);
  int remeasure_repeats = 3;  // farm repeats per re-measured firmware
  CatchUp catch_up = CatchUp::kLatest;
  DriftOptions drift;
};

struct SweepItem {
  std::string key;  // "<model>/<board kind>/<constraint>"
  int model = 0;    // index into SweepDefinition::models
  std::string board_kind;
  SweepConstraint constraint;
};

// Models × board kinds × constraints, in that nesting order.
std::vector<SweepItem> Items(const SweepDefinition& definition);

// The tuning request of one item (model_id filled by the caller).
TuneRequest ItemRequest(const SweepDefinition& definition,
                        const SweepItem& item, const std::string& model_id);

// Parses one definition. `origin` prefixes messages; `base_dir` resolves
// relative model files; `default_name` is used when "name" is absent.
absl::StatusOr<SweepDefinition> ParseSweepDefinition(
    const std::string& json_text, const std::string& origin,
    const std::string& base_dir, const std::string& default_name,
    const std::vector<space::BoardSpec>& catalogue);

// Every *.json of `dir`, sorted by name. A missing directory is an empty
// list; two definitions with one name are INVALID_ARGUMENT.
absl::StatusOr<std::vector<SweepDefinition>> LoadSweepDefinitions(
    const std::string& dir, const std::vector<space::BoardSpec>& catalogue);

// The definition as canonical JSON (stored with every run).
std::string SweepDefinitionToJson(const SweepDefinition& definition);

inline constexpr int kMaxSweepItems = 512;

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_SWEEP_DEFINITION_H_
