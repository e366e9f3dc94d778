// SQLite tables of the cost model (model_store.h).
// - Append-only: no UPDATE or DELETE anywhere in this file.
// - "Newest" = highest id (ids only grow).
// - Rows are validated when read: a malformed row is DATA_LOSS naming it.
#include "cost_model/model_store.h"

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mcutune::cost_model {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS cost_samples (
  id INTEGER PRIMARY KEY,
  model_name TEXT NOT NULL,
  model_hash TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  board_kind TEXT NOT NULL,
  measured_on TEXT NOT NULL,
  feature_set_version INTEGER NOT NULL,
  features_json TEXT NOT NULL,
  measured REAL NOT NULL CHECK (measured > 0),
  unit TEXT NOT NULL,
  artifact_hash TEXT NOT NULL,
  toolchain TEXT NOT NULL,
  source TEXT NOT NULL,
  measure_seconds REAL NOT NULL,
  created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS cost_samples_key
  ON cost_samples(board_kind, model_hash, candidate_id);
CREATE TABLE IF NOT EXISTS cost_model_versions (
  id INTEGER PRIMARY KEY,
  board_kind TEXT NOT NULL,
  version INTEGER NOT NULL,
  kind TEXT NOT NULL,
  params_json TEXT NOT NULL,
  sample_ids_json TEXT NOT NULL,
  evaluation_json TEXT NOT NULL,
  note TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE(board_kind, version, kind));
CREATE TABLE IF NOT EXISTS cost_failures (
  id INTEGER PRIMARY KEY,
  board_kind TEXT NOT NULL,
  model_hash TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  toolchain TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at TEXT NOT NULL);
)sql";

constexpr char kSampleColumns[] =
    "id, model_name, model_hash, candidate_id, board_kind, measured_on, "
    "feature_set_version, features_json, measured, unit, artifact_hash, "
    "toolchain, source, created_at, measure_seconds";

constexpr char kVersionColumns[] =
    "id, board_kind, version, kind, params_json, sample_ids_json, "
    "evaluation_json, note, created_at";

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(),
                          absl::UTCTimeZone());
}

absl::StatusOr<StoredSample> ReadSample(const base::Statement& s) {
  StoredSample r;
  r.id = s.ColumnInt64(0);
  r.model_name = s.ColumnText(1);
  r.model_hash = s.ColumnText(2);
  r.candidate_id = s.ColumnText(3);
  r.board_kind = s.ColumnText(4);
  r.measured_on = s.ColumnText(5);
  r.feature_set_version = static_cast<int>(s.ColumnInt64(6));
  r.measured = s.ColumnDouble(8);
  r.unit = s.ColumnText(9);
  r.artifact_hash = s.ColumnText(10);
  r.toolchain = s.ColumnText(11);
  r.source = s.ColumnText(12);
  r.created_at = s.ColumnText(13);
  r.measure_seconds = s.ColumnDouble(14);
  if (r.feature_set_version == kFeatureSetVersion) {
    absl::StatusOr<FeatureVector> f = FeaturesFromJson(s.ColumnText(7));
    if (!f.ok()) {
      return absl::DataLossError(
          absl::StrCat("cost_samples row ", r.id, ": ", f.status().message()));
    }
    r.features = *std::move(f);
  }
  if (!(r.measured > 0) || !std::isfinite(r.measured)) {
    return absl::DataLossError(
        absl::StrCat("cost_samples row ", r.id, ": measured must be > 0"));
  }
  return r;
}

absl::StatusOr<ModelVersion> ReadVersion(const base::Statement& s) {
  ModelVersion v;
  v.id = s.ColumnInt64(0);
  v.board_kind = s.ColumnText(1);
  v.version = static_cast<int>(s.ColumnInt64(2));
  v.kind = s.ColumnText(3);
  v.params_json = s.ColumnText(4);
  const nlohmann::json ids =
      nlohmann::json::parse(s.ColumnText(5), nullptr, false);
  if (ids.is_discarded() || !ids.is_array()) {
    return absl::DataLossError(absl::StrCat(
        "cost_model_versions row ", v.id, ": sample ids are not a JSON array"));
  }
  for (const nlohmann::json& id : ids) {
    if (!id.is_number_integer()) {
      return absl::DataLossError(absl::StrCat(
          "cost_model_versions row ", v.id, ": a sample id is not an integer"));
    }
    v.sample_ids.push_back(id.get<int64_t>());
  }
  v.evaluation_json = s.ColumnText(6);
  v.note = s.ColumnText(7);
  v.created_at = s.ColumnText(8);
  return v;
}

}  // namespace

std::string DefaultModelStorePath() {
  if (const char* env = std::getenv("MCUTUNE_COST_MODEL_DB"); env && *env)
    return env;
  if (const char* home = std::getenv("MCUTUNE_HOME"); home && *home) {
    return absl::StrCat(home, "/cost_model.db");
  }
  return "./.mcutune/cost_model.db";
}

absl::StatusOr<std::unique_ptr<ModelStore>> ModelStore::Open(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<base::Database>> db =
      base::Database::Open(path);
  if (!db.ok()) return db.status();
  return Attach(std::shared_ptr<base::Database>(std::move(*db)));
}

absl::StatusOr<std::unique_ptr<ModelStore>> ModelStore::Attach(
    std::shared_ptr<base::Database> db) {
  if (!db) return absl::InvalidArgumentError("ModelStore::Attach: no database");
  if (absl::Status s = db->Exec(kSchema); !s.ok()) return s;
  // Databases from before measure_seconds existed get the column.
  absl::StatusOr<base::Statement> cols = db->Prepare(
      "SELECT COUNT(*) FROM pragma_table_info('cost_samples') WHERE name = "
      "'measure_seconds'");
  if (!cols.ok()) return cols.status();
  if (!cols->Step()) return cols->status();
  if (cols->ColumnInt64(0) == 0) {
    if (absl::Status s = db->Exec("ALTER TABLE cost_samples ADD COLUMN "
                                  "measure_seconds REAL NOT NULL DEFAULT 0");
        !s.ok()) {
      return s;
    }
  }
  return std::unique_ptr<ModelStore>(new ModelStore(std::move(db)));
}

absl::StatusOr<int64_t> ModelStore::AddSample(const StoredSample& x) {
  if (x.model_name.empty() || x.model_hash.empty() || x.candidate_id.empty() ||
      x.board_kind.empty()) {
    return absl::InvalidArgumentError(
        "cost sample needs a model name, model hash, candidate id and board "
        "kind");
  }
  if (!(x.measured > 0) || !std::isfinite(x.measured)) {
    return absl::InvalidArgumentError(absl::StrCat("cost sample ", x.model_name,
                                                   "/", x.candidate_id,
                                                   ": measured must be > 0"));
  }
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> st = db_->Prepare(absl::StrCat(
      "INSERT INTO cost_samples (model_name, model_hash, candidate_id, "
      "board_kind, "
      "measured_on, feature_set_version, features_json, measured, unit, "
      "artifact_hash, toolchain, source, created_at, measure_seconds) VALUES "
      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
  if (!st.ok()) return st.status();
  st->Bind(1, x.model_name).Bind(2, x.model_hash).Bind(3, x.candidate_id);
  st->Bind(4, x.board_kind)
      .Bind(5, x.measured_on.empty() ? x.board_kind : x.measured_on);
  st->Bind(6, x.feature_set_version).Bind(7, FeaturesToJson(x.features));
  st->Bind(8, x.measured).Bind(9, x.unit).Bind(10, x.artifact_hash);
  st->Bind(11, x.toolchain).Bind(12, x.source);
  st->Bind(13, x.created_at.empty() ? Now() : x.created_at);
  st->Bind(14, x.measure_seconds);
  if (absl::Status s = st->Run(); !s.ok()) return s;
  return db_->LastInsertRowId();
}

absl::StatusOr<std::optional<StoredSample>> ModelStore::FindSample(
    const std::string& board_kind, const std::string& model_hash,
    const std::string& candidate_id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> st = db_->Prepare(absl::StrCat(
      "SELECT ", kSampleColumns,
      " FROM cost_samples WHERE board_kind = ?1 AND model_hash = ?2 AND "
      "candidate_id = ?3 ORDER BY id DESC LIMIT 1"));
  if (!st.ok()) return st.status();
  st->Bind(1, board_kind).Bind(2, model_hash).Bind(3, candidate_id);
  if (!st->Step()) {
    if (!st->status().ok()) return st->status();
    return std::optional<StoredSample>();
  }
  absl::StatusOr<StoredSample> s = ReadSample(*st);
  if (!s.ok()) return s.status();
  return std::optional<StoredSample>(*std::move(s));
}

absl::StatusOr<std::vector<StoredSample>> ModelStore::Samples(
    const std::string& board_kind) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> st = db_->Prepare(absl::StrCat(
      "SELECT ", kSampleColumns,
      " FROM cost_samples WHERE id IN (SELECT MAX(id) FROM cost_samples "
      "WHERE board_kind = ?1 GROUP BY model_hash, candidate_id) "
      "ORDER BY model_name, id"));
  if (!st.ok()) return st.status();
  st->Bind(1, board_kind);
  std::vector<StoredSample> out;
  while (st->Step()) {
    absl::StatusOr<StoredSample> s = ReadSample(*st);
    if (!s.ok()) return s.status();
    out.push_back(*std::move(s));
  }
  if (!st->status().ok()) return st->status();
  return out;
}

absl::StatusOr<std::vector<StoredSample>> ModelStore::SamplesById(
    const std::vector<int64_t>& ids) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> st = db_->Prepare(absl::StrCat(
      "SELECT ", kSampleColumns, " FROM cost_samples WHERE id = ?1"));
  if (!st.ok()) return st.status();
  std::vector<StoredSample> out;
  for (int64_t id : ids) {
    st->Reset();
    st->Bind(1, id);
    if (!st->Step()) {
      if (!st->status().ok()) return st->status();
      return absl::NotFoundError(absl::StrCat("no cost sample with id ", id));
    }
    absl::StatusOr<StoredSample> s = ReadSample(*st);
    if (!s.ok()) return s.status();
    out.push_back(*std::move(s));
  }
  return out;
}

absl::StatusOr<int> ModelStore::AddModelVersion(const ModelVersion& v) {
  if (v.board_kind.empty() || v.kind.empty() || v.params_json.empty()) {
    return absl::InvalidArgumentError(
        "model version needs a board kind, kind and params");
  }
  int version = 0;
  absl::Status s = db_->Transaction([&]() -> absl::Status {
    absl::StatusOr<base::Statement> q = db_->Prepare(
        "SELECT COALESCE(MAX(version), 0) FROM cost_model_versions "
        "WHERE board_kind = ?1 AND kind = ?2");
    if (!q.ok()) return q.status();
    q->Bind(1, v.board_kind).Bind(2, v.kind);
    if (!q->Step())
      return q->status().ok() ? absl::InternalError("no MAX row") : q->status();
    version = static_cast<int>(q->ColumnInt64(0)) + 1;
    absl::StatusOr<base::Statement> ins = db_->Prepare(
        "INSERT INTO cost_model_versions (board_kind, version, kind, "
        "params_json, "
        "sample_ids_json, evaluation_json, note, created_at) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, v.board_kind)
        .Bind(2, version)
        .Bind(3, v.kind)
        .Bind(4, v.params_json);
    ins->Bind(5, nlohmann::json(v.sample_ids).dump());
    ins->Bind(
        6, v.evaluation_json.empty() ? std::string("{}") : v.evaluation_json);
    ins->Bind(7, v.note).Bind(8, v.created_at.empty() ? Now() : v.created_at);
    return ins->Run();
  });
  if (!s.ok()) return s;
  return version;
}

absl::StatusOr<std::optional<ModelVersion>> ModelStore::LatestModel(
    const std::string& board_kind, const std::string& kind) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> st = db_->Prepare(absl::StrCat(
      "SELECT ", kVersionColumns,
      " FROM cost_model_versions WHERE board_kind = ?1 AND kind = ?2 "
      "ORDER BY version DESC LIMIT 1"));
  if (!st.ok()) return st.status();
  st->Bind(1, board_kind).Bind(2, kind);
  if (!st->Step()) {
    if (!st->status().ok()) return st->status();
    return std::optional<ModelVersion>();
  }
  absl::StatusOr<ModelVersion> v = ReadVersion(*st);
  if (!v.ok()) return v.status();
  return std::optional<ModelVersion>(*std::move(v));
}

absl::StatusOr<std::vector<ModelVersion>> ModelStore::ModelVersions(
    const std::string& board_kind) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> st = db_->Prepare(absl::StrCat(
      "SELECT ", kVersionColumns,
      " FROM cost_model_versions WHERE board_kind = ?1 ORDER BY id"));
  if (!st.ok()) return st.status();
  st->Bind(1, board_kind);
  std::vector<ModelVersion> out;
  while (st->Step()) {
    absl::StatusOr<ModelVersion> v = ReadVersion(*st);
    if (!v.ok()) return v.status();
    out.push_back(*std::move(v));
  }
  if (!st->status().ok()) return st->status();
  return out;
}

absl::Status ModelStore::AddFailure(const std::string& board_kind,
                                    const std::string& model_hash,
                                    const std::string& candidate_id,
                                    const std::string& toolchain,
                                    const std::string& reason) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> st = db_->Prepare(
      "INSERT INTO cost_failures (board_kind, model_hash, candidate_id, "
      "toolchain, reason, "
      "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!st.ok()) return st.status();
  st->Bind(1, board_kind)
      .Bind(2, model_hash)
      .Bind(3, candidate_id)
      .Bind(4, toolchain);
  st->Bind(5, reason).Bind(6, Now());
  return st->Run();
}

absl::StatusOr<std::optional<std::string>> ModelStore::FindFailure(
    const std::string& board_kind, const std::string& model_hash,
    const std::string& candidate_id, const std::string& toolchain) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> st = db_->Prepare(
      "SELECT reason FROM cost_failures WHERE board_kind = ?1 AND model_hash = "
      "?2 AND "
      "candidate_id = ?3 AND toolchain = ?4 ORDER BY id DESC LIMIT 1");
  if (!st.ok()) return st.status();
  st->Bind(1, board_kind)
      .Bind(2, model_hash)
      .Bind(3, candidate_id)
      .Bind(4, toolchain);
  if (!st->Step()) {
    if (!st->status().ok()) return st->status();
    return std::optional<std::string>();
  }
  return std::optional<std::string>(st->ColumnText(0));
}

absl::StatusOr<std::vector<std::string>> ModelStore::BoardKinds() {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> st = db_->Prepare(
      "SELECT board_kind FROM cost_samples UNION "
      "SELECT board_kind FROM cost_model_versions ORDER BY 1");
  if (!st.ok()) return st.status();
  std::vector<std::string> out;
  while (st->Step()) out.push_back(st->ColumnText(0));
  if (!st->status().ok()) return st->status();
  return out;
}

}  // namespace mcutune::cost_model
