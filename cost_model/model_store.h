// ModelStore: the cost model's SQLite tables. Calibration samples (what was
// measured, on what, with which artifact) and model versions (what was
// fitted on which samples, and how well it did). Nothing is ever deleted: a
// refreshed measurement is a new sample row, a refit a new version, so every
// version stays reproducible from the sample ids it names.
//
//   calibrate / tuning loop ──AddSample──► cost_samples
//   fit ──AddModelVersion──► cost_model_versions (version = previous + 1
//                            per board kind and model kind)
//   predict ──LatestModel(kind)──► params JSON ──CostModelFromJson──► CostModel
//
// Tables (see model_store.cc for the DDL):
//   cost_samples(id, model_name, model_hash, candidate_id, board_kind,
//     measured_on, feature_set_version, features_json, measured, unit,
//     artifact_hash, toolchain, source, measure_seconds, created_at)
//   cost_model_versions(id, board_kind, version, kind, params_json,
//     sample_ids_json, evaluation_json, note, created_at)
//     UNIQUE(board_kind, version, kind)
//   cost_failures(id, board_kind, model_hash, candidate_id, toolchain,
//     reason, created_at)
//
// Errors: the base/sqlite.h statuses (UNAVAILABLE when locked past the busy
// timeout, DATA_LOSS for a corrupt file); INVALID_ARGUMENT for samples that
// break the contract below; DATA_LOSS naming the row when a stored row is
// malformed (rows are validated when read, as any input from disk).
// Thread-safe (the Database serialises calls); several processes may share
// the file (WAL).
#ifndef MCUTUNE_COST_MODEL_MODEL_STORE_H_
#define MCUTUNE_COST_MODEL_MODEL_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/sqlite.h"
#include "cost_model/features.h"

namespace mcutune::cost_model {

struct StoredSample {
  int64_t id = 0;  // assigned by AddSample
  std::string model_name;
  std::string model_hash;  // SHA-256 of the network (.tflite bytes)
  std::string candidate_id;
  std::string board_kind;   // the kind the sample calibrates
  std::string measured_on;  // board kind that ran it (may share the machine)
  // Features as extracted (features of another version read as all zero:
  // re-extract them from the plan).
  int feature_set_version = kFeatureSetVersion;
  FeatureVector features;
  double measured = 0;  // count per inference, > 0
  std::string unit = "instructions";
  std::string artifact_hash;  // SHA-256 of firmware.bin
  std::string toolchain;
  std::string source = "calibration";  // "calibration", "shipped", "job"
  // Wall seconds the build and run took (carried over when reused): what
  // re-measuring it would cost.
  double measure_seconds = 0;
  std::string created_at;  // RFC 3339 UTC; set by AddSample when empty
};

struct ModelVersion {
  int64_t id = 0;
  std::string board_kind;
  int version = 0;          // assigned by AddModelVersion
  std::string kind;         // ModelKindName(): "linear", "mac"
  std::string params_json;  // CostModel::ToJson()
  std::vector<int64_t> sample_ids;
  std::string evaluation_json;  // EvaluationToJson() or "{}"
  std::string note;
  std::string created_at;
};

class ModelStore {
 public:
  // Opens (creating) `path` (":memory:" for tests) and creates the tables.
  static absl::StatusOr<std::unique_ptr<ModelStore>> Open(
      const std::string& path);
  // Uses an open database (the daemon's file, shared with the tuner's and
  // the farm's tables) and creates the tables if missing.
  static absl::StatusOr<std::unique_ptr<ModelStore>> Attach(
      std::shared_ptr<base::Database> db);

  // Adds a sample; returns its id. INVALID_ARGUMENT when a name, hash,
  // candidate or kind is empty or measured is not finite and > 0.
  absl::StatusOr<int64_t> AddSample(const StoredSample& sample);

  // The newest sample of (board_kind, model_hash, candidate_id), or nullopt.
  absl::StatusOr<std::optional<StoredSample>> FindSample(
      const std::string& board_kind, const std::string& model_hash,
      const std::string& candidate_id);

  // The newest sample per (model_hash, candidate_id) of a board kind,
  // ordered by model name, then id.
  absl::StatusOr<std::vector<StoredSample>> Samples(
      const std::string& board_kind);
  // Samples by id (any kind), in the order given; NOT_FOUND for a missing id.
  absl::StatusOr<std::vector<StoredSample>> SamplesById(
      const std::vector<int64_t>& ids);

  // Stores a version with version = 1 + the newest of (board_kind, kind);
  // returns the version number.
  absl::StatusOr<int> AddModelVersion(const ModelVersion& version);
  // The newest version of (board_kind, kind), or nullopt.
  absl::StatusOr<std::optional<ModelVersion>> LatestModel(
      const std::string& board_kind, const std::string& kind = "linear");
  // Every version of a board kind, oldest first.
  absl::StatusOr<std::vector<ModelVersion>> ModelVersions(
      const std::string& board_kind);
  // Candidates that could not be built or run (so a resumed calibration
  // does not retry them; --refresh does): recorded with the toolchain.
  absl::Status AddFailure(const std::string& board_kind,
                          const std::string& model_hash,
                          const std::string& candidate_id,
                          const std::string& toolchain,
                          const std::string& reason);
  // The newest failure reason of (kind, model hash, candidate, toolchain).
  absl::StatusOr<std::optional<std::string>> FindFailure(
      const std::string& board_kind, const std::string& model_hash,
      const std::string& candidate_id, const std::string& toolchain);

  // Kinds that have samples or models, sorted.
  absl::StatusOr<std::vector<std::string>> BoardKinds();

  base::Database& database() { return *db_; }

 private:
  explicit ModelStore(std::shared_ptr<base::Database> db)
      : db_(std::move(db)) {}
  std::shared_ptr<base::Database> db_;
};

// $MCUTUNE_COST_MODEL_DB, else $MCUTUNE_HOME/cost_model.db, else
// ./.mcutune/cost_model.db (the farm's convention).
std::string DefaultModelStorePath();

}  // namespace mcutune::cost_model

#endif  // MCUTUNE_COST_MODEL_MODEL_STORE_H_
