// Calibration data files: the measurements and fitted model of one board
// kind, shipped in the repository (configs/cost_models/<kind>.json) so that a
// fresh install has a model for every virtual board kind.
//
//   `mcutune model calibrate` ──WriteCalibrationFile──►
//   configs/cost_models/K.json fresh install / daemon start
//   ──ImportShippedData──► ModelStore
//       (kinds without a stored model only: a refit is never overwritten)
//
// File format (one JSON object; `format` 1):
//   "format", "board_kind", "measured_on" (the kind whose QEMU machine ran
//   the firmware; kinds sharing machine and core count identical
//   instructions), "machine", "core", "unit", "toolchain", "created_at",
//   "generated_by" (the command line), "codegen" (the code generator's
//   version that built the samples, tuner::CodegenVersion(): the kernel and
//   firmware sources' hash; absent in older files),
//   "calibration": {"seconds" (this run), "measure_seconds" (building and
//   running every sample, summed), "builds", "runs", "cached", "failed"},
//   "feature_set_version", "feature_names": [names, in FeatureNames() order],
//   "models": {name: model SHA-256},
//   "samples": [{"model", "candidate", "measured", "artifact", "f": [values
//                in feature_names order]}],
//   "model": CostModel JSON, "baseline": CostModel JSON,
//   "evaluation": EvaluationToJson (leave-one-model-out)
// Thread-safe (files only).
#ifndef MCUTUNE_COST_MODEL_CALIBRATION_DATA_H_
#define MCUTUNE_COST_MODEL_CALIBRATION_DATA_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cost_model/model_store.h"

namespace mcutune::cost_model {

struct CalibrationData {
  std::string board_kind;
  std::string measured_on;
  std::string machine;
  std::string core;
  std::string unit = "instructions";
  std::string toolchain;
  std::string created_at;
  std::string generated_by;
  std::string codegen;  // "" when the file predates the field
  double seconds = 0;  // wall time of the calibration run
  int builds = 0;      // firmware builds done by it
  int runs = 0;        // QEMU runs done by it
  int cached = 0;      // candidates answered from the store
  // Sum of the samples' build + run wall seconds: what measuring them all
  // afresh costs (on one worker).
  double measure_seconds = 0;
  std::vector<std::string> failed;  // "model/candidate: reason"
  std::vector<StoredSample> samples;
  std::string model_json;       // CostModel::ToJson of the linear model
  std::string baseline_json;    // ... of the MAC-only baseline
  std::string evaluation_json;  // EvaluationToJson
};

// What a stored sample's `toolchain` records: the compiler's version line,
// plus " + codegen <version>" when the code generator's version is known
// (CalibrationData::codegen), so that `calibrate` reuses a stored sample
// only when both the compiler and the kernels are the same.
std::string BuildIdentity(const std::string& toolchain,
                          const std::string& codegen);

std::string FormatCalibrationData(const CalibrationData& data);
// INVALID_ARGUMENT (prefixed with `origin`) for anything malformed: wrong
// format or feature-set version, feature names that differ from
// FeatureNames(), sample rows of the wrong length or with measured <= 0.
absl::StatusOr<CalibrationData> ParseCalibrationData(std::string_view json,
                                                     const std::string& origin);

absl::StatusOr<CalibrationData> ReadCalibrationFile(const std::string& path);
absl::Status WriteCalibrationFile(const std::string& path,
                                  const CalibrationData& data);

// <source dir>/configs/cost_models, or $MCUTUNE_COST_MODELS_DIR when set.
std::string DefaultCostModelsDir();

// Adds the file's samples (source "shipped"; a sample whose kind, model
// hash, candidate and artifact hash are already stored is reused) and its
// model and baseline as new versions fitted on those sample ids.
absl::Status ImportCalibrationData(ModelStore& store,
                                   const CalibrationData& data);

// Imports every <dir>/*.json whose board kind has no "linear" model in the
// store yet; returns the kinds imported. A missing dir imports nothing; a
// file of another feature-set version is skipped with a warning (the data
// needs a refresh); any other malformed file is an error naming it. With
// `current_codegen` set, data whose "codegen" differs (kernels changed since
// it was measured: its predictions are off by the kernels' speed-up) is
// imported with a warning naming the refresh command.
absl::StatusOr<std::vector<std::string>> ImportShippedData(
    ModelStore& store, const std::string& dir = DefaultCostModelsDir(),
    const std::string& current_codegen = "");

}  // namespace mcutune::cost_model

#endif  // MCUTUNE_COST_MODEL_CALIBRATION_DATA_H_
