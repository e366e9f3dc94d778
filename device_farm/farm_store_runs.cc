// FarmStore: the run queue and its transitions.
// - A lease is held while the row is (state 'leased', lease_owner = owner,
//   attempts = attempt); every transition by a worker checks all three in
//   its UPDATE, so a worker whose lease was reclaimed or cancelled changes
//   nothing (FAILED_PRECONDITION) and stops.
// - LeaseNext scans at most kLeaseScan queued candidates in priority order
//   and skips those this board already attempted while a peer board of the
//   kind has not (retry on another board).
// - Fair share: the first eligible run fixes the priority P; when runs of
//   several tags (tuning jobs) are queued at P, the tags take turns
//   (FairShareTags): fewest runs leased now, then the tag served longest
//   ago (never served first), then the oldest queued run; the chosen tag's
//   oldest eligible run at P is leased. Priorities still go strictly first.
// - Each transition writes its farm_run_events row (and closes its
//   farm_run_attempts row) in the same transaction.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "device_farm/farm_store.h"
#include "device_farm/farm_store_internal.h"

namespace mcutune::device_farm {

using store_internal::BindTime;
using store_internal::ColumnTime;

namespace {

constexpr int kLeaseScan = 256;
constexpr int kMaxRepeats = 1000;
constexpr int kMaxAttempts = 100;
constexpr int kDefaultMaxAttempts = 3;

constexpr const char* kRunColumns =
    "id, artifact_sha256, elf_path, bin_path, expected_output_sha256, "
    "toolchain_version, semihosting, board_kind, runs, warmup, timeout_ms, "
    "repeats, priority, tag, max_attempts, state, attempts, failures, "
    "repeats_done, last_status, last_error, lease_board, lease_owner, "
    "lease_expires_at, not_before, created_at, updated_at";

absl::StatusOr<RunRecord> ReadRun(const base::Statement& s) {
  RunRecord r;
  r.id = s.ColumnInt64(0);
  RunRequest& q = r.request;
  q.artifact.sha256 = s.ColumnText(1);
  q.artifact.elf_path = s.ColumnText(2);
  q.artifact.bin_path = s.ColumnText(3);
  q.artifact.expected_output_sha256 = s.ColumnText(4);
  q.artifact.toolchain_version = s.ColumnText(5);
  q.artifact.semihosting = s.ColumnInt64(6) != 0;
  q.board_kind = s.ColumnText(7);
  q.options.runs = static_cast<int>(s.ColumnInt64(8));
  q.options.warmup = static_cast<int>(s.ColumnInt64(9));
  q.options.timeout = absl::Milliseconds(s.ColumnInt64(10));
  q.repeats = static_cast<int>(s.ColumnInt64(11));
  q.priority = static_cast<int>(s.ColumnInt64(12));
  q.tag = s.ColumnText(13);
  q.max_attempts = static_cast<int>(s.ColumnInt64(14));
  FARM_ASSIGN_OR_RETURN(r.state, ParseRunState(s.ColumnText(15)));
  r.attempts = static_cast<int>(s.ColumnInt64(16));
  r.failures = static_cast<int>(s.ColumnInt64(17));
  r.repeats_done = static_cast<int>(s.ColumnInt64(18));
  r.last_status = s.ColumnText(19);
  r.last_error = s.ColumnText(20);
  r.lease_board = s.ColumnText(21);
  r.lease_owner = s.ColumnText(22);
  r.lease_expires_at = ColumnTime(s, 23);
  r.not_before = ColumnTime(s, 24);
  r.created_at = ColumnTime(s, 25);
  r.updated_at = ColumnTime(s, 26);
  return r;
}

absl::Status InsertRunEvent(base::Database& db, int64_t run_id,
                            const std::string& from, const std::string& to,
                            const std::string& board, const std::string& detail,
                            absl::Time now) {
  FARM_ASSIGN_OR_RETURN(
      base::Statement s,
      db.Prepare("INSERT INTO farm_run_events (run_id, at, from_state, "
                 "to_state, board, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  s.Bind(1, run_id).Bind(3, from).Bind(4, to).Bind(5, board).Bind(6, detail);
  BindTime(s, 2, now);
  return s.Run();
}

absl::Status CloseAttempt(base::Database& db, int64_t run_id, int attempt,
                          AttemptOutcome outcome, const std::string& detail,
                          absl::Time now) {
  FARM_ASSIGN_OR_RETURN(
      base::Statement s,
      db.Prepare("UPDATE farm_run_attempts SET outcome = ?3, detail = ?4, "
                 "finished_at = ?5 WHERE run_id = ?1 AND attempt = ?2"));
  s.Bind(1, run_id).Bind(2, attempt).Bind(3, AttemptOutcomeName(outcome));
  s.Bind(4, detail);
  BindTime(s, 5, now);
  return s.Run();
}

absl::Status ValidateRequest(const RunRequest& r) {
  auto bad = [](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("run request: ", why));
  };
  if (r.artifact.sha256.size() != 64 ||
      r.artifact.sha256.find_first_not_of("0123456789abcdef") !=
          std::string::npos) {
    return bad("artifact sha256 must be 64 lowercase hex digits");
  }
  if (r.artifact.elf_path.empty() && r.artifact.bin_path.empty()) {
    return bad("artifact has neither an ELF nor a .bin path");
  }
  if (r.board_kind.empty()) return bad("board_kind is empty");
  if (r.repeats < 1 || r.repeats > kMaxRepeats) {
    return bad(absl::StrCat("repeats must be 1..", kMaxRepeats));
  }
  if (r.max_attempts < 0 || r.max_attempts > kMaxAttempts) {
    return bad(absl::StrCat("max_attempts must be 0..", kMaxAttempts));
  }
  if (r.options.runs < 1 || r.options.warmup < 0) {
    return bad("options need runs >= 1 and warmup >= 0");
  }
  if (r.options.timeout <= absl::ZeroDuration() ||
      r.options.timeout > absl::Hours(24)) {
    return bad("options.timeout must be in (0, 24 h]");
  }
  return absl::OkStatus();
}

// The UPDATE guard of a held lease.
constexpr const char* kHeld =
    "id = ?1 AND state = 'leased' AND lease_owner = ?2 AND attempts = ?3";

absl::Status LeaseLost(const Lease& lease) {
  return absl::FailedPreconditionError(
      absl::StrCat("run ", lease.run_id, " attempt ", lease.attempt,
                   ": lease no longer held by ", lease.owner,
                   " (expired, reclaimed or cancelled)"));
}

// The tags with queued, ready runs of `kind` at `priority`, in fair-share
// order: fewest runs of the tag leased now (any priority, this kind), then
// the tag whose latest lease on this kind is oldest (farm_run_attempts
// rowid; never leased first), then the tag's oldest queued run.
absl::StatusOr<std::vector<std::string>> FairShareTags(base::Database& db,
                                                       const std::string& kind,
                                                       int64_t priority,
                                                       absl::Time now) {
  struct Tag {
    std::string tag;
    int64_t first_id = 0;
    int64_t leased = 0;
    int64_t last_served = -1;  // -1: never
  };
  std::vector<Tag> tags;
  FARM_ASSIGN_OR_RETURN(
      base::Statement q,
      db.Prepare("SELECT tag, MIN(id) FROM farm_runs WHERE state = 'queued' "
                 "AND board_kind = ?1 AND priority = ?2 AND (not_before IS "
                 "NULL OR not_before <= ?3) GROUP BY tag"));
  q.Bind(1, kind).Bind(2, priority);
  BindTime(q, 3, now);
  while (q.Step()) tags.push_back({q.ColumnText(0), q.ColumnInt64(1)});
  FARM_RETURN_IF_ERROR(q.status());
  if (tags.size() > 1) {
    FARM_ASSIGN_OR_RETURN(
        base::Statement l,
        db.Prepare("SELECT tag, COUNT(*) FROM farm_runs WHERE state = "
                   "'leased' AND board_kind = ?1 GROUP BY tag"));
    l.Bind(1, kind);
    std::map<std::string, int64_t> leased;
    while (l.Step()) leased[l.ColumnText(0)] = l.ColumnInt64(1);
    FARM_RETURN_IF_ERROR(l.status());
    FARM_ASSIGN_OR_RETURN(
        base::Statement m,
        db.Prepare("SELECT MAX(a.rowid) FROM farm_runs r JOIN "
                   "farm_run_attempts a ON a.run_id = r.id WHERE r.tag = ?1 "
                   "AND r.board_kind = ?2"));
    for (Tag& t : tags) {
      auto it = leased.find(t.tag);
      t.leased = it == leased.end() ? 0 : it->second;
      m.Reset();
      m.Bind(1, t.tag).Bind(2, kind);
      if (m.Step() && !m.IsNull(0)) t.last_served = m.ColumnInt64(0);
      FARM_RETURN_IF_ERROR(m.status());
    }
    std::sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) {
      return std::tie(a.leased, a.last_served, a.first_id) <
             std::tie(b.leased, b.last_served, b.first_id);
    });
  }
  std::vector<std::string> out;
  for (Tag& t : tags) out.push_back(std::move(t.tag));
  return out;
}

}  // namespace

absl::StatusOr<int64_t> FarmStore::Enqueue(const RunRequest& request,
                                           absl::Time now) {
  FARM_RETURN_IF_ERROR(ValidateRequest(request));
  int64_t id = 0;
  FARM_RETURN_IF_ERROR(db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(
        base::Statement s,
        db_->Prepare(
            "INSERT INTO farm_runs (artifact_sha256, elf_path, bin_path, "
            "expected_output_sha256, toolchain_version, semihosting, "
            "board_kind, runs, warmup, timeout_ms, repeats, priority, tag, "
            "max_attempts, state, created_at, updated_at) VALUES (?1, ?2, ?3, "
            "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'queued', ?15, "
            "?15)"));
    const Artifact& a = request.artifact;
    s.Bind(1, a.sha256).Bind(2, a.elf_path).Bind(3, a.bin_path);
    s.Bind(4, a.expected_output_sha256).Bind(5, a.toolchain_version);
    s.Bind(6, a.semihosting ? 1 : 0).Bind(7, request.board_kind);
    s.Bind(8, request.options.runs).Bind(9, request.options.warmup);
    s.Bind(10, static_cast<int64_t>(
                   absl::ToInt64Milliseconds(request.options.timeout)));
    s.Bind(11, request.repeats).Bind(12, request.priority).Bind(13, request.tag);
    s.Bind(14, request.max_attempts > 0 ? request.max_attempts
                                        : kDefaultMaxAttempts);
    BindTime(s, 15, now);
    FARM_RETURN_IF_ERROR(s.Run());
    id = db_->LastInsertRowId();
    return InsertRunEvent(
        *db_, id, "", "queued", "",
        absl::StrCat("submitted: ", request.repeats, " repeat(s) on ",
                     request.board_kind, " priority ", request.priority),
        now);
  }));
  return id;
}

absl::StatusOr<RunRecord> FarmStore::GetRun(int64_t run_id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(
      base::Statement q,
      db_->Prepare(
          absl::StrCat("SELECT ", kRunColumns, " FROM farm_runs WHERE id = ?1")));
  q.Bind(1, run_id);
  if (!q.Step()) {
    FARM_RETURN_IF_ERROR(q.status());
    return absl::NotFoundError(absl::StrCat("no run ", run_id));
  }
  return ReadRun(q);
}

absl::StatusOr<std::vector<RunRecord>> FarmStore::ListRuns(
    const RunFilter& filter) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(
      base::Statement q,
      db_->Prepare(absl::StrCat(
          "SELECT ", kRunColumns,
          " FROM farm_runs WHERE (?1 = '' OR state = ?1) AND "
          "(?2 = '' OR board_kind = ?2) AND (?3 = '' OR tag = ?3) "
          "ORDER BY id DESC LIMIT ?4")));
  q.Bind(1, filter.state ? RunStateName(*filter.state) : "");
  q.Bind(2, filter.board_kind).Bind(3, filter.tag);
  q.Bind(4, std::max(0, filter.limit));
  std::vector<RunRecord> out;
  while (q.Step()) {
    FARM_ASSIGN_OR_RETURN(RunRecord r, ReadRun(q));
    out.push_back(std::move(r));
  }
  FARM_RETURN_IF_ERROR(q.status());
  return out;
}

absl::StatusOr<std::vector<RunEvent>> FarmStore::RunEvents(int64_t run_id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(
      base::Statement q,
      db_->Prepare("SELECT run_id, at, from_state, to_state, board, detail "
                   "FROM farm_run_events WHERE run_id = ?1 ORDER BY id"));
  q.Bind(1, run_id);
  std::vector<RunEvent> out;
  while (q.Step()) {
    out.push_back({q.ColumnInt64(0), ColumnTime(q, 1), q.ColumnText(2),
                   q.ColumnText(3), q.ColumnText(4), q.ColumnText(5)});
  }
  FARM_RETURN_IF_ERROR(q.status());
  return out;
}

absl::StatusOr<std::vector<std::string>> FarmStore::AttemptedBoards(
    int64_t run_id) {
  std::lock_guard<std::recursive_mutex> lock(db_->mutex());
  FARM_ASSIGN_OR_RETURN(
      base::Statement q,
      db_->Prepare("SELECT board_uri FROM farm_run_attempts WHERE run_id = ?1 "
                   "ORDER BY attempt"));
  q.Bind(1, run_id);
  std::vector<std::string> out;
  while (q.Step()) out.push_back(q.ColumnText(0));
  FARM_RETURN_IF_ERROR(q.status());
  return out;
}

absl::StatusOr<std::optional<Lease>> FarmStore::LeaseNext(
    const LeaseQuery& query, absl::Time now) {
  std::optional<Lease> lease;
  FARM_RETURN_IF_ERROR(db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(
        base::Statement q,
        db_->Prepare("SELECT id, priority FROM farm_runs WHERE state = "
                     "'queued' AND board_kind = ?1 AND (not_before IS NULL "
                     "OR not_before <= ?2) ORDER BY priority DESC, id LIMIT "
                     "?3"));
    q.Bind(1, query.kind);
    BindTime(q, 2, now);
    q.Bind(3, kLeaseScan);
    std::vector<std::pair<int64_t, int64_t>> candidates;  // id, priority
    while (q.Step()) {
      candidates.emplace_back(q.ColumnInt64(0), q.ColumnInt64(1));
    }
    FARM_RETURN_IF_ERROR(q.status());
    // Whether this board may take the run (retry on another board first).
    auto eligible = [&](int64_t id) -> absl::StatusOr<bool> {
      FARM_ASSIGN_OR_RETURN(std::vector<std::string> tried,
                            AttemptedBoards(id));
      const std::set<std::string> seen(tried.begin(), tried.end());
      if (seen.count(query.board_uri) == 0) return true;
      return std::all_of(query.peer_boards.begin(), query.peer_boards.end(),
                         [&](const std::string& p) { return seen.count(p); });
    };
    int64_t chosen = 0, priority = 0;
    for (const auto& [id, prio] : candidates) {
      FARM_ASSIGN_OR_RETURN(const bool ok, eligible(id));
      if (ok) {
        chosen = id;
        priority = prio;
        break;
      }
    }
    if (chosen == 0) return absl::OkStatus();
    // Fair share between the tags queued at that priority.
    FARM_ASSIGN_OR_RETURN(std::vector<std::string> tags,
                          FairShareTags(*db_, query.kind, priority, now));
    if (tags.size() > 1) {
      FARM_ASSIGN_OR_RETURN(
          base::Statement t,
          db_->Prepare("SELECT id FROM farm_runs WHERE state = 'queued' AND "
                       "board_kind = ?1 AND priority = ?2 AND tag = ?3 AND "
                       "(not_before IS NULL OR not_before <= ?4) ORDER BY id "
                       "LIMIT ?5"));
      int64_t fair = 0;
      for (const std::string& tag : tags) {
        t.Reset();
        t.Bind(1, query.kind).Bind(2, priority).Bind(3, tag);
        BindTime(t, 4, now);
        t.Bind(5, kLeaseScan);
        std::vector<int64_t> ids;
        while (t.Step()) ids.push_back(t.ColumnInt64(0));
        FARM_RETURN_IF_ERROR(t.status());
        for (int64_t id : ids) {
          FARM_ASSIGN_OR_RETURN(const bool ok, eligible(id));
          if (ok) {
            fair = id;
            break;
          }
        }
        if (fair != 0) break;
      }
      if (fair != 0) chosen = fair;
    }
    const absl::Time expires = now + query.lease_duration;
    FARM_ASSIGN_OR_RETURN(
        base::Statement u,
        db_->Prepare("UPDATE farm_runs SET state = 'leased', attempts = "
                     "attempts + 1, lease_board = ?2, lease_owner = ?3, "
                     "lease_expires_at = ?4, updated_at = ?5 WHERE id = ?1 "
                     "AND state = 'queued'"));
    u.Bind(1, chosen).Bind(2, query.board_uri).Bind(3, query.owner);
    BindTime(u, 4, expires);
    BindTime(u, 5, now);
    FARM_RETURN_IF_ERROR(u.Run());
    FARM_ASSIGN_OR_RETURN(RunRecord run, GetRun(chosen));
    FARM_ASSIGN_OR_RETURN(
        base::Statement a,
        db_->Prepare("INSERT INTO farm_run_attempts (run_id, attempt, "
                     "board_uri, owner, outcome, started_at) VALUES (?1, ?2, "
                     "?3, ?4, 'running', ?5)"));
    a.Bind(1, chosen).Bind(2, run.attempts).Bind(3, query.board_uri);
    a.Bind(4, query.owner);
    BindTime(a, 5, now);
    FARM_RETURN_IF_ERROR(a.Run());
    FARM_RETURN_IF_ERROR(InsertRunEvent(
        *db_, chosen, "queued", "leased", query.board_uri,
        absl::StrCat("attempt ", run.attempts, " by ", query.owner), now));
    FARM_ASSIGN_OR_RETURN(
        base::Statement d,
        db_->Prepare("SELECT DISTINCT repeat_index FROM farm_measurements "
                     "WHERE run_id = ?1 AND status = 'ok'"));
    d.Bind(1, chosen);
    std::set<int> done;
    while (d.Step()) done.insert(static_cast<int>(d.ColumnInt64(0)));
    FARM_RETURN_IF_ERROR(d.status());
    Lease l;
    l.run_id = chosen;
    l.attempt = run.attempts;
    l.board_uri = query.board_uri;
    l.owner = query.owner;
    l.expires_at = expires;
    for (int i = 0; i < run.request.repeats; ++i) {
      if (!done.count(i)) l.pending_repeats.push_back(i);
    }
    l.run = std::move(run);
    lease = std::move(l);
    return absl::OkStatus();
  }));
  return lease;
}

absl::StatusOr<int> FarmStore::RenewLeases(const std::string& owner,
                                           const std::vector<int64_t>& run_ids,
                                           absl::Time expires_at,
                                           absl::Time now) {
  int held = 0;
  FARM_RETURN_IF_ERROR(db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(
        base::Statement s,
        db_->Prepare("UPDATE farm_runs SET lease_expires_at = ?3 WHERE "
                     "id = ?1 AND state = 'leased' AND lease_owner = ?2"));
    for (int64_t id : run_ids) {
      s.Reset();
      s.Bind(1, id).Bind(2, owner);
      BindTime(s, 3, expires_at);
      FARM_RETURN_IF_ERROR(s.Run());
      held += db_->Changes();
    }
    return absl::OkStatus();
  }));
  return held;
}

absl::StatusOr<std::vector<int64_t>> FarmStore::ReclaimExpired(absl::Time now) {
  std::vector<int64_t> reclaimed;
  FARM_RETURN_IF_ERROR(db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(
        base::Statement q,
        db_->Prepare(absl::StrCat("SELECT ", kRunColumns,
                                  " FROM farm_runs WHERE state = 'leased' AND "
                                  "lease_expires_at < ?1 ORDER BY id")));
    BindTime(q, 1, now);
    std::vector<RunRecord> expired;
    while (q.Step()) {
      FARM_ASSIGN_OR_RETURN(RunRecord r, ReadRun(q));
      expired.push_back(std::move(r));
    }
    FARM_RETURN_IF_ERROR(q.status());
    for (const RunRecord& r : expired) {
      const bool exhausted = r.failures + 1 >= r.request.max_attempts;
      const std::string detail = absl::StrCat(
          "lease expired (previous process died?): attempt ", r.attempts,
          " by ", r.lease_owner, " on ", r.lease_board,
          exhausted ? "; attempts exhausted" : "; queued again");
      FARM_ASSIGN_OR_RETURN(
          base::Statement u,
          db_->Prepare("UPDATE farm_runs SET state = ?2, failures = failures "
                       "+ 1, last_status = 'expired', last_error = ?3, "
                       "lease_board = NULL, lease_owner = NULL, "
                       "lease_expires_at = NULL, updated_at = ?4 WHERE id = ?1"));
      u.Bind(1, r.id).Bind(2, exhausted ? "failed" : "queued").Bind(3, detail);
      BindTime(u, 4, now);
      FARM_RETURN_IF_ERROR(u.Run());
      FARM_RETURN_IF_ERROR(CloseAttempt(*db_, r.id, r.attempts,
                                        AttemptOutcome::kExpired, detail, now));
      FARM_RETURN_IF_ERROR(InsertRunEvent(*db_, r.id, "leased",
                                          exhausted ? "failed" : "queued",
                                          r.lease_board, detail, now));
      reclaimed.push_back(r.id);
    }
    return absl::OkStatus();
  }));
  return reclaimed;
}

absl::Status FarmStore::ReleaseLease(const Lease& lease,
                                     const std::string& detail,
                                     absl::Time now) {
  return db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(
        base::Statement u,
        db_->Prepare(absl::StrCat(
            "UPDATE farm_runs SET state = 'queued', lease_board = NULL, "
            "lease_owner = NULL, lease_expires_at = NULL, updated_at = ?4 "
            "WHERE ",
            kHeld)));
    u.Bind(1, lease.run_id).Bind(2, lease.owner).Bind(3, lease.attempt);
    BindTime(u, 4, now);
    FARM_RETURN_IF_ERROR(u.Run());
    if (db_->Changes() == 0) return LeaseLost(lease);
    FARM_RETURN_IF_ERROR(CloseAttempt(*db_, lease.run_id, lease.attempt,
                                      AttemptOutcome::kReleased, detail, now));
    return InsertRunEvent(*db_, lease.run_id, "leased", "queued",
                          lease.board_uri, absl::StrCat("released: ", detail),
                          now);
  });
}

absl::Status FarmStore::CompleteRun(const Lease& lease, RunState final_state,
                                    AttemptOutcome outcome,
                                    const std::string& last_status,
                                    const std::string& error, absl::Time now) {
  if (final_state != RunState::kDone && final_state != RunState::kFailed) {
    return absl::InvalidArgumentError("CompleteRun: done or failed only");
  }
  return db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(
        base::Statement u,
        db_->Prepare(absl::StrCat(
            "UPDATE farm_runs SET state = ?4, last_status = ?5, "
            "last_error = ?6, lease_board = NULL, lease_owner = NULL, "
            "lease_expires_at = NULL, updated_at = ?7 WHERE ",
            kHeld)));
    u.Bind(1, lease.run_id).Bind(2, lease.owner).Bind(3, lease.attempt);
    u.Bind(4, RunStateName(final_state)).Bind(5, last_status).Bind(6, error);
    BindTime(u, 7, now);
    FARM_RETURN_IF_ERROR(u.Run());
    if (db_->Changes() == 0) return LeaseLost(lease);
    FARM_RETURN_IF_ERROR(
        CloseAttempt(*db_, lease.run_id, lease.attempt, outcome, error, now));
    return InsertRunEvent(
        *db_, lease.run_id, "leased", RunStateName(final_state),
        lease.board_uri,
        error.empty() ? last_status : absl::StrCat(last_status, ": ", error),
        now);
  });
}

absl::StatusOr<RunState> FarmStore::RequeueRun(
    const Lease& lease, AttemptOutcome outcome, const std::string& last_status,
    const std::string& error, absl::Time not_before, absl::Time now) {
  RunState result = RunState::kQueued;
  FARM_RETURN_IF_ERROR(db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(RunRecord run, GetRun(lease.run_id));
    if (run.state != RunState::kLeased || run.lease_owner != lease.owner ||
        run.attempts != lease.attempt) {
      return LeaseLost(lease);
    }
    const bool exhausted = run.failures + 1 >= run.request.max_attempts;
    result = exhausted ? RunState::kFailed : RunState::kQueued;
    FARM_ASSIGN_OR_RETURN(
        base::Statement u,
        db_->Prepare(absl::StrCat(
            "UPDATE farm_runs SET state = ?4, failures = failures + 1, "
            "last_status = ?5, last_error = ?6, not_before = ?7, "
            "lease_board = NULL, lease_owner = NULL, lease_expires_at = NULL, "
            "updated_at = ?8 WHERE ",
            kHeld)));
    u.Bind(1, lease.run_id).Bind(2, lease.owner).Bind(3, lease.attempt);
    u.Bind(4, RunStateName(result)).Bind(5, last_status).Bind(6, error);
    BindTime(u, 7, exhausted ? absl::InfinitePast() : not_before);
    BindTime(u, 8, now);
    FARM_RETURN_IF_ERROR(u.Run());
    FARM_RETURN_IF_ERROR(
        CloseAttempt(*db_, lease.run_id, lease.attempt, outcome, error, now));
    std::string detail = absl::StrCat(last_status, ": ", error, " (failure ",
                                      run.failures + 1, "/",
                                      run.request.max_attempts, ")");
    if (exhausted) {
      absl::StrAppend(&detail, "; attempts exhausted");
    } else {
      absl::StrAppend(&detail, "; retry not before ",
                      absl::FormatTime(not_before, absl::UTCTimeZone()));
    }
    return InsertRunEvent(*db_, lease.run_id, "leased", RunStateName(result),
                          lease.board_uri, detail, now);
  }));
  return result;
}

absl::Status FarmStore::CancelRun(int64_t run_id, const std::string& detail,
                                  absl::Time now) {
  return db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(RunRecord run, GetRun(run_id));
    if (IsTerminal(run.state)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "run ", run_id, " is already ", RunStateName(run.state)));
    }
    FARM_ASSIGN_OR_RETURN(
        base::Statement u,
        db_->Prepare("UPDATE farm_runs SET state = 'cancelled', "
                     "last_error = ?2, lease_board = NULL, lease_owner = NULL, "
                     "lease_expires_at = NULL, updated_at = ?3 WHERE id = ?1"));
    u.Bind(1, run_id).Bind(2, absl::StrCat("cancelled: ", detail));
    BindTime(u, 3, now);
    FARM_RETURN_IF_ERROR(u.Run());
    if (run.state == RunState::kLeased) {
      FARM_RETURN_IF_ERROR(CloseAttempt(*db_, run_id, run.attempts,
                                        AttemptOutcome::kCancelled, detail,
                                        now));
    }
    return InsertRunEvent(*db_, run_id, RunStateName(run.state), "cancelled",
                          run.lease_board, detail, now);
  });
}

absl::StatusOr<std::vector<std::string>> FarmStore::ChargeSuspects(
    int64_t run_id, const std::string& except_board, absl::Time now) {
  std::vector<std::string> boards;
  FARM_RETURN_IF_ERROR(db_->Transaction([&]() -> absl::Status {
    FARM_ASSIGN_OR_RETURN(
        base::Statement q,
        db_->Prepare("SELECT board_uri FROM farm_run_attempts WHERE run_id = "
                     "?1 AND outcome = 'suspect' AND charged = 0 AND "
                     "board_uri <> ?2 ORDER BY attempt"));
    q.Bind(1, run_id).Bind(2, except_board);
    while (q.Step()) boards.push_back(q.ColumnText(0));
    FARM_RETURN_IF_ERROR(q.status());
    FARM_ASSIGN_OR_RETURN(
        base::Statement u,
        db_->Prepare("UPDATE farm_run_attempts SET charged = 1 WHERE "
                     "run_id = ?1 AND outcome = 'suspect' AND charged = 0 AND "
                     "board_uri <> ?2"));
    u.Bind(1, run_id).Bind(2, except_board);
    return u.Run();
  }));
  return boards;
}

}  // namespace mcutune::device_farm
