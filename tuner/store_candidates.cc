// The tuner store's candidate rows (store.h): one row per (job, board kind,
// candidate id); AddCandidates keeps stored rows (a resumed job enumerates
// again), UpdateCandidates writes a round's changes in one transaction.
#include "absl/strings/str_cat.h"
#include "tuner/store.h"

namespace mcutune::tuner {
namespace {

constexpr char kCandidateColumns[] =
    "job_id, board_kind, candidate_id, strategy, state, metrics_json, "
    "predicted, "
    "predicted_low, predicted_high, predicted_unit, predictor, build_dir, "
    "linked_flash_bytes, linked_ram_bytes, measured, measured_unit, "
    "output_matches, "
    "measurement_json, measurement_ids, on_front, round, error";

absl::StatusOr<CandidateRecord> ReadCandidate(const base::Statement& s) {
  CandidateRecord c;
  c.job_id = s.ColumnText(0);
  c.board_kind = s.ColumnText(1);
  c.candidate_id = s.ColumnText(2);
  c.strategy = s.ColumnText(3);
  absl::StatusOr<CandidateState> state = ParseCandidateState(s.ColumnText(4));
  if (!state.ok()) return state.status();
  c.state = *state;
  c.metrics_json = s.ColumnText(5);
  c.predicted = s.ColumnDouble(6);
  c.predicted_low = s.ColumnDouble(7);
  c.predicted_high = s.ColumnDouble(8);
  c.predicted_unit = s.ColumnText(9);
  c.predictor = s.ColumnText(10);
  c.build_dir = s.ColumnText(11);
  c.linked_flash_bytes = s.ColumnInt64(12);
  c.linked_ram_bytes = s.ColumnInt64(13);
  c.measured = s.ColumnDouble(14);
  c.measured_unit = s.ColumnText(15);
  c.output_matches = s.ColumnInt64(16) != 0;
  c.measurement_json = s.ColumnText(17);
  c.measurement_ids = s.ColumnText(18);
  c.on_front = s.ColumnInt64(19) != 0;
  c.round = static_cast<int>(s.ColumnInt64(20));
  c.error = s.ColumnText(21);
  return c;
}

}  // namespace

// -------------------------------------------------------------- candidates

absl::StatusOr<int> Store::AddCandidates(
    const std::vector<CandidateRecord>& cs) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  int added = 0;
  absl::Status st = db_->Transaction([&]() -> absl::Status {
    absl::StatusOr<base::Statement> s = db_->Prepare(absl::StrCat(
        "INSERT OR IGNORE INTO tuner_candidates(", kCandidateColumns,
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
        "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"));
    if (!s.ok()) return s.status();
    for (const CandidateRecord& c : cs) {
      s->Reset();
      s->Bind(1, c.job_id).Bind(2, c.board_kind).Bind(3, c.candidate_id);
      s->Bind(4, c.strategy)
          .Bind(5, CandidateStateName(c.state))
          .Bind(6, c.metrics_json);
      s->Bind(7, c.predicted)
          .Bind(8, c.predicted_low)
          .Bind(9, c.predicted_high);
      s->Bind(10, c.predicted_unit).Bind(11, c.predictor).Bind(12, c.build_dir);
      s->Bind(13, c.linked_flash_bytes).Bind(14, c.linked_ram_bytes);
      s->Bind(15, c.measured)
          .Bind(16, c.measured_unit)
          .Bind(17, c.output_matches ? 1 : 0);
      s->Bind(18, c.measurement_json).Bind(19, c.measurement_ids);
      s->Bind(20, c.on_front ? 1 : 0).Bind(21, c.round).Bind(22, c.error);
      if (absl::Status r = s->Run(); !r.ok()) return r;
      added += db_->Changes();
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return added;
}

absl::Status Store::UpdateCandidate(const CandidateRecord& c) {
  return UpdateCandidates({c});
}

absl::Status Store::UpdateCandidates(const std::vector<CandidateRecord>& cs) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  return db_->Transaction([&]() -> absl::Status {
    absl::StatusOr<base::Statement> s = db_->Prepare(
        "UPDATE tuner_candidates SET state = ?4, predicted = ?5, predicted_low "
        "= ?6, "
        "predicted_high = ?7, predicted_unit = ?8, predictor = ?9, build_dir = "
        "?10, "
        "linked_flash_bytes = ?11, linked_ram_bytes = ?12, measured = ?13, "
        "measured_unit = ?14, output_matches = ?15, measurement_json = ?16, "
        "measurement_ids = ?17, on_front = ?18, round = ?19, error = ?20 "
        "WHERE job_id = ?1 AND board_kind = ?2 AND candidate_id = ?3");
    if (!s.ok()) return s.status();
    for (const CandidateRecord& c : cs) {
      s->Reset();
      s->Bind(1, c.job_id).Bind(2, c.board_kind).Bind(3, c.candidate_id);
      s->Bind(4, CandidateStateName(c.state)).Bind(5, c.predicted);
      s->Bind(6, c.predicted_low)
          .Bind(7, c.predicted_high)
          .Bind(8, c.predicted_unit);
      s->Bind(9, c.predictor)
          .Bind(10, c.build_dir)
          .Bind(11, c.linked_flash_bytes);
      s->Bind(12, c.linked_ram_bytes)
          .Bind(13, c.measured)
          .Bind(14, c.measured_unit);
      s->Bind(15, c.output_matches ? 1 : 0).Bind(16, c.measurement_json);
      s->Bind(17, c.measurement_ids)
          .Bind(18, c.on_front ? 1 : 0)
          .Bind(19, c.round);
      s->Bind(20, c.error);
      if (absl::Status r = s->Run(); !r.ok()) return r;
      if (db_->Changes() == 0) {
        return absl::NotFoundError(absl::StrCat("no candidate '", c.key(),
                                                "' in job '", c.job_id, "'"));
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<CandidateRecord>> Store::ListCandidates(
    const std::string& job_id, CandidateFilter filter) {
  const char* where = filter == CandidateFilter::kOnFront ? " AND on_front = 1"
                      : filter == CandidateFilter::kMeasured
                          ? " AND state = 'measured'"
                          : "";
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s = db_->Prepare(
      absl::StrCat("SELECT ", kCandidateColumns,
                   " FROM tuner_candidates WHERE job_id = ?1", where,
                   " ORDER BY board_kind, rowid"));
  if (!s.ok()) return s.status();
  s->Bind(1, job_id);
  std::vector<CandidateRecord> out;
  while (s->Step()) {
    absl::StatusOr<CandidateRecord> c = ReadCandidate(*s);
    if (!c.ok()) return c.status();
    out.push_back(std::move(*c));
  }
  if (!s->status().ok()) return s->status();
  return out;
}

absl::StatusOr<CandidateRecord> Store::GetCandidate(const std::string& job_id,
                                                    const std::string& key) {
  const size_t slash = key.find('/');
  if (slash == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "candidate key '", key.substr(0, 100), "' is not <board>/<id>"));
  }
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  absl::StatusOr<base::Statement> s = db_->Prepare(absl::StrCat(
      "SELECT ", kCandidateColumns,
      " FROM tuner_candidates WHERE job_id = ?1 AND board_kind = ?2 "
      "AND candidate_id = ?3"));
  if (!s.ok()) return s.status();
  s->Bind(1, job_id)
      .Bind(2, key.substr(0, slash))
      .Bind(3, key.substr(slash + 1));
  if (!s->Step()) {
    if (!s->status().ok()) return s->status();
    return absl::NotFoundError(absl::StrCat("no candidate '",
                                            key.substr(0, 100), "' in job '",
                                            job_id.substr(0, 64), "'"));
  }
  return ReadCandidate(*s);
}

}  // namespace mcutune::tuner
