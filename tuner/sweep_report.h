// The report of one sweep run, for people (Markdown) and scripts (JSON),
// written to <data_dir>/sweeps/<sweep>/<run>.{md,json} (and latest.{md,json})
// when the run ends, and rebuilt from the store on request (the API and
// `mcutune sweep report`).
//
//   SweepStore ──LoadSweepRunReport(run)──► SweepRunReport
//       ──FormatSweepReportMarkdown──► alerts, items (action, reason, best
//                                      latency and its change), cost models
//       ──FormatSweepReportJson──► the same as one JSON object
//
// JSON (snake_case; docs/sweeps.md): {"run": {...counts}, "items": [{...,
// "front": [points], "best": {...}, "previous_best": {...}}], "alerts":
// [...], "cost_models": [...]}.
// Thread-safe (reads the store; writes files atomically by rename).
#ifndef MCUTUNE_TUNER_SWEEP_REPORT_H_
#define MCUTUNE_TUNER_SWEEP_REPORT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner/sweep_store.h"

namespace mcutune::tuner {

struct SweepRunReport {
  SweepRunRecord run;
  std::vector<SweepItemRecord> items;
  std::vector<SweepPoint> points;  // the run's
  std::vector<SweepAlert> alerts;  // the run's
  std::vector<SweepCostRow> cost_models;
  // Per item key: the fastest point of the item's last front before this
  // run (absent for an item measured for the first time).
  std::map<std::string, SweepPoint> previous_best;
};

absl::StatusOr<SweepRunReport> LoadSweepRunReport(SweepStore& store,
                                                  const std::string& run_id);
std::string FormatSweepReportMarkdown(const SweepRunReport& report);
std::string FormatSweepReportJson(const SweepRunReport& report);
// Writes <dir>/<sweep>/<run>.md and .json and copies them to latest.*.
absl::Status WriteSweepReport(const std::string& dir,
                              const SweepRunReport& report);

// The fastest point (lowest latency) of `points` for `key`, if any.
const SweepPoint* BestPoint(const std::vector<SweepPoint>& points,
                            const std::string& key);

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_SWEEP_REPORT_H_
