// Internals shared by the `mcutune model` subcommands (model_command.cc:
// fit, eval, predict; model_calibrate.cc: calibrate).
#ifndef MCUTUNE_SERVER_CLI_MODEL_COMMAND_H_
#define MCUTUNE_SERVER_CLI_MODEL_COMMAND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cost_model/cost_model.h"
#include "cost_model/evaluation.h"
#include "cost_model/model_store.h"
#include "server/cli/commands.h"

namespace mcutune::cli {

// `mcutune model calibrate ...` (model_calibrate.cc).
int RunModelCalibrate(const Args& args);

// Opens the store at `path` (DefaultModelStorePath() when empty), creating
// its directory, and imports the shipped calibration data for kinds that
// have no model yet (a fresh install).
absl::StatusOr<std::unique_ptr<cost_model::ModelStore>> OpenModelStore(
    const std::string& path);

// A fit of one board kind: the linear model and the baseline on the kind's
// samples (newest per candidate; `calibration_only` leaves out samples the
// tuning loop added), their leave-one-model-out evaluation, and the version
// numbers they were stored under (when `store_versions`).
struct KindFit {
  std::vector<cost_model::StoredSample> samples;
  std::unique_ptr<cost_model::CostModel> model;
  std::unique_ptr<cost_model::CostModel> baseline;
  cost_model::EvaluationReport evaluation;
  int version = 0;
};
absl::StatusOr<KindFit> FitKind(cost_model::ModelStore& store,
                                const std::string& board_kind,
                                bool calibration_only, bool store_versions,
                                const std::string& note);

// Error exits: INVALID_ARGUMENT / NOT_FOUND (bad board kind, model, file)
// exit 2 like usage errors; other statuses exit 1. Prints "error: ...".
int ModelError(const absl::Status& status);

}  // namespace mcutune::cli

#endif  // MCUTUNE_SERVER_CLI_MODEL_COMMAND_H_
