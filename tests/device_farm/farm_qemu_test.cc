// The farm end to end on virtual boards: a Scheduler over two QEMU boards,
// a SQLite file, real firmware. The database is read back through a second,
// independent connection with plain SQL (not through FarmStore).
//   - 20 runs of 4 artifacts on 2 boards in parallel, every result stored;
//   - a firmware that hangs: timeout, retried on the other board, failed
//     with status timeout, no board quarantined;
//   - a HardFault: fault with pc/cfsr, not retried;
//   - garbage output: bad_output, not retried;
//   - the QEMU process SIGKILLed mid-run: crashed, retried elsewhere, ok.
#include <dirent.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/sqlite.h"
#include "device_farm/qemu_board.h"
#include "device_farm/scheduler.h"
#include "tests/device_farm/farm_artifacts.h"
#include "tests/testing/qemu_tools.h"

namespace mcutune::device_farm {
namespace {

namespace fs = std::filesystem;

constexpr char kKind[] = "qemu-f746";

struct Farm {
  std::string db_path;
  std::shared_ptr<FarmStore> store;
  std::unique_ptr<Scheduler> scheduler;
};

// A fresh database file and a scheduler over qemu://qemu-f746/0 and /1.
Farm StartFarm(const std::string& name, SchedulerOptions options = {}) {
  Farm f;
  const fs::path dir = fs::path(testing::TestTempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  f.db_path = (dir / "farm.db").string();
  absl::StatusOr<std::unique_ptr<FarmStore>> store = FarmStore::Open(f.db_path);
  REQUIRE(store.ok());
  f.store = std::move(*store);
  absl::StatusOr<space::BoardSpec> spec = testing::CatalogueBoard(kKind);
  REQUIRE(spec.ok());
  std::vector<std::unique_ptr<Board>> boards;
  boards.push_back(MakeQemuBoard("qemu://qemu-f746/0", *spec));
  boards.push_back(MakeQemuBoard("qemu://qemu-f746/1", *spec));
  options.poll_interval = absl::Milliseconds(50);
  options.retry_backoff = absl::Milliseconds(100);
  options.retry_backoff_max = absl::Milliseconds(400);
  absl::StatusOr<std::unique_ptr<Scheduler>> s =
      MakeScheduler(f.store, std::move(boards), options);
  REQUIRE(s.ok());
  f.scheduler = std::move(*s);
  return f;
}

RunRequest Request(const Artifact& a, int runs = 1, int max_attempts = 0,
                   absl::Duration timeout = absl::Seconds(30)) {
  RunRequest r;
  r.artifact = a;
  r.board_kind = kKind;
  r.options.runs = runs;
  r.options.warmup = 1;
  r.options.timeout = timeout;
  r.max_attempts = max_attempts;
  return r;
}

RunRecord WaitDone(Scheduler& s, int64_t id,
                   absl::Duration timeout = absl::Seconds(120)) {
  absl::StatusOr<RunRecord> r = s.Wait(id, timeout);
  REQUIRE(r.ok());
  return *r;
}

// Rows of `sql` (with `columns` result columns) from a separate connection,
// each column as text ("NULL" for null).
std::vector<std::vector<std::string>> Query(const std::string& db_path,
                                            const std::string& sql,
                                            int columns = 1) {
  base::DatabaseOptions options;
  options.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<base::Database>> db =
      base::Database::Open(db_path, options);
  REQUIRE(db.ok());
  absl::StatusOr<base::Statement> st = (*db)->Prepare(sql);
  INFO(sql);
  REQUIRE(st.ok());
  std::vector<std::vector<std::string>> rows;
  while (st->Step()) {
    std::vector<std::string> row;
    for (int c = 0; c < columns; ++c)
      row.push_back(st->IsNull(c) ? "NULL" : st->ColumnText(c));
    rows.push_back(row);
  }
  REQUIRE(st->status().ok());
  return rows;
}

std::string One(const std::string& db_path, const std::string& sql) {
  auto rows = Query(db_path, sql);
  REQUIRE(rows.size() == 1);
  return rows[0][0];
}

TEST_CASE(
    "two virtual boards run a queue of 20 in parallel and every result is "
    "stored",
    "[qemu][device_farm][farm]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  std::vector<Artifact> artifacts;
  for (int passes = 1; passes <= 4; ++passes) {
    absl::StatusOr<Artifact> a = testing::StandInArtifact(
        kKind, absl::StrCat("farm-p", passes),
        {{"MCUTUNE_STAND_IN_PASSES", std::to_string(passes)}});
    REQUIRE(a.ok());
    REQUIRE(a->expected_output_sha256.size() == 64);
    artifacts.push_back(*a);
  }
  // Distinct programs and distinct outputs.
  CHECK(artifacts[0].sha256 != artifacts[1].sha256);
  CHECK(artifacts[0].expected_output_sha256 !=
        artifacts[1].expected_output_sha256);

  Farm f = StartFarm("queue20");
  std::vector<int64_t> ids;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<int64_t> id = f.scheduler->Submit(Request(artifacts[i % 4]));
    REQUIRE(id.ok());
    ids.push_back(*id);
  }
  for (int64_t id : ids) {
    const RunRecord r = WaitDone(*f.scheduler, id);
    INFO("run " << id << " " << r.last_status << " " << r.last_error);
    CHECK(r.state == RunState::kDone);
  }
  f.scheduler->Stop();

  // Read back independently.
  const std::string db = f.db_path;
  CHECK(One(db, "SELECT COUNT(*) FROM farm_runs WHERE state = 'done'") == "20");
  CHECK(One(db, "SELECT COUNT(*) FROM farm_measurements") == "20");
  CHECK(One(db,
            "SELECT COUNT(*) FROM farm_measurements WHERE status = 'ok' "
            "AND output_matches = 1 AND unit = 'instructions'") == "20");
  CHECK(One(db, "SELECT COUNT(DISTINCT board_uri) FROM farm_measurements") ==
        "2");
  CHECK(One(db,
            "SELECT COUNT(DISTINCT artifact_sha256) FROM farm_measurements") ==
        "4");
  // Each artifact's expected hash is the host build's; the stored output equals
  // it.
  for (const Artifact& a : artifacts) {
    CHECK(One(db, absl::StrCat("SELECT COUNT(*) FROM farm_measurements WHERE "
                               "artifact_sha256='",
                               a.sha256, "' AND output_sha256='",
                               a.expected_output_sha256, "'")) == "5");
  }
  // Instruction counts are exact and deterministic: one value per artifact,
  // growing with the passes.
  auto rows =
      Query(db,
            "SELECT artifact_sha256, MIN(total_count), MAX(total_count) "
            "FROM farm_measurements GROUP BY artifact_sha256",
            3);
  REQUIRE(rows.size() == 4);
  std::map<std::string, int64_t> count;
  for (const auto& row : rows) {
    REQUIRE(row.size() == 3);
    CHECK(row[1] == row[2]);
    count[row[0]] = std::stoll(row[1]);
  }
  for (int p = 1; p < 4; ++p) {
    CHECK(count[artifacts[p].sha256] > count[artifacts[p - 1].sha256]);
  }
  // In parallel: some measurement on one board overlaps one on the other.
  CHECK(One(db,
            "SELECT COUNT(*) FROM farm_measurements a JOIN farm_measurements b "
            "ON a.board_uri < b.board_uri AND a.started_at < b.finished_at "
            "AND b.started_at < a.finished_at") != "0");
  // One lease event per run, none retried.
  CHECK(One(db, "SELECT MAX(attempts) FROM farm_runs") == "1");
}

TEST_CASE("a hanging firmware times out everywhere and quarantines no board",
          "[qemu][device_farm][farm]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  absl::StatusOr<Artifact> hang = testing::HangArtifact(kKind);
  REQUIRE(hang.ok());
  absl::StatusOr<Artifact> healthy = testing::StandInArtifact(
      kKind, "farm-p1", {{"MCUTUNE_STAND_IN_PASSES", "1"}});
  REQUIRE(healthy.ok());
  SchedulerOptions options;
  options.health_artifact = *healthy;
  options.health_run_options.timeout = absl::Seconds(20);
  options.quarantine_after =
      1;  // every suspect outcome triggers a health check
  Farm f = StartFarm("hang", options);
  absl::StatusOr<int64_t> id = f.scheduler->Submit(
      Request(*hang, 1, /*max_attempts=*/2, absl::Milliseconds(1200)));
  REQUIRE(id.ok());
  const RunRecord r = WaitDone(*f.scheduler, *id);
  CHECK(r.state == RunState::kFailed);
  CHECK(r.last_status == "timeout");
  CHECK(r.attempts == 2);
  // The same firmware then runs fine: the boards were not blamed.
  absl::StatusOr<int64_t> ok_id = f.scheduler->Submit(Request(*healthy));
  REQUIRE(ok_id.ok());
  CHECK(WaitDone(*f.scheduler, *ok_id).state == RunState::kDone);
  f.scheduler->Stop();

  const std::string db = f.db_path;
  const std::string run = std::to_string(*id);
  CHECK(One(db, "SELECT COUNT(*) FROM farm_measurements WHERE run_id=" + run +
                    " AND status='timeout'") == "2");
  // Retried on the OTHER board.
  CHECK(One(db,
            "SELECT COUNT(DISTINCT board_uri) FROM farm_measurements WHERE "
            "run_id=" +
                run) == "2");
  CHECK(One(db,
            "SELECT COUNT(*) FROM farm_boards WHERE state='active' "
            "AND consecutive_failures=0") == "2");
  CHECK(One(db,
            "SELECT COUNT(*) FROM farm_board_events WHERE "
            "to_state='quarantined'") == "0");
}

TEST_CASE(
    "a HardFault fails at once with its registers and garbage is bad_output",
    "[qemu][device_farm][farm]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  absl::StatusOr<Artifact> fault = testing::FaultArtifact(kKind);
  REQUIRE(fault.ok());
  absl::StatusOr<Artifact> garbage = testing::GarbageArtifact(kKind);
  REQUIRE(garbage.ok());
  Farm f = StartFarm("fault");
  absl::StatusOr<int64_t> fault_id = f.scheduler->Submit(Request(*fault));
  absl::StatusOr<int64_t> garbage_id = f.scheduler->Submit(Request(*garbage));
  REQUIRE(fault_id.ok());
  REQUIRE(garbage_id.ok());
  const RunRecord fr = WaitDone(*f.scheduler, *fault_id);
  const RunRecord gr = WaitDone(*f.scheduler, *garbage_id);
  f.scheduler->Stop();
  CHECK(fr.state == RunState::kFailed);
  CHECK(fr.last_status == "fault");
  CHECK(fr.attempts == 1);  // the firmware's doing: not retried
  CHECK(fr.last_error.find("pc=0x") != std::string::npos);
  CHECK(fr.last_error.find("cfsr=0x00010000") !=
        std::string::npos);  // UNDEFINSTR
  CHECK(gr.state == RunState::kFailed);
  CHECK(gr.last_status == "bad_output");
  CHECK(gr.attempts == 1);
  const std::string db = f.db_path;
  CHECK(
      One(db, absl::StrCat("SELECT status FROM farm_measurements WHERE run_id=",
                           *fault_id)) == "fault");
  CHECK(
      One(db, absl::StrCat("SELECT status FROM farm_measurements WHERE run_id=",
                           *garbage_id)) == "bad_output");
  CHECK(One(db, "SELECT COUNT(*) FROM farm_boards WHERE state='active'") ==
        "2");
}

// Pids of processes whose command line contains `needle` (ours only: the
// needle is a path under this process's temp dir).
std::vector<pid_t> FindProcesses(const std::string& needle) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* e = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
    const std::string cmdline(std::istreambuf_iterator<char>(in), {});
    if (cmdline.find(needle) != std::string::npos &&
        cmdline.find("qemu-system-arm") != std::string::npos) {
      pids.push_back(pid);
    }
  }
  closedir(proc);
  return pids;
}

TEST_CASE(
    "a QEMU process killed mid-run is crashed, retried, and the retry succeeds",
    "[qemu][device_farm][farm]") {
  MCUTUNE_SKIP_WITHOUT_QEMU_TOOLS();
  // ~4.6G instructions (QEMU runs ~1G/s here): seconds of emulation, long
  // enough to be caught running.
  absl::StatusOr<Artifact> slow = testing::StandInArtifact(
      kKind, "farm-slow", {{"MCUTUNE_STAND_IN_PASSES", "64"}});
  REQUIRE(slow.ok());
  Farm f = StartFarm("killqemu");
  absl::StatusOr<int64_t> id =
      f.scheduler->Submit(Request(*slow, /*runs=*/2500));
  REQUIRE(id.ok());
  // Find the emulator by the ELF path (unique to this test) and kill it once.
  std::vector<pid_t> victims;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (victims.empty() && absl::Now() < deadline) {
    victims = FindProcesses(slow->elf_path);
    if (victims.empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(victims.size() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  REQUIRE(kill(victims[0], SIGKILL) == 0);
  const RunRecord r = WaitDone(*f.scheduler, *id);
  f.scheduler->Stop();
  INFO(r.last_error);
  CHECK(r.state == RunState::kDone);
  CHECK(r.attempts == 2);
  const std::string db = f.db_path;
  auto rows =
      Query(db,
            absl::StrCat("SELECT attempt, status, board_uri, error FROM "
                         "farm_measurements WHERE run_id=",
                         *id, " ORDER BY attempt"),
            4);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][1] == "crashed");
  CHECK(rows[0][3].find("signal 9") != std::string::npos);
  CHECK(rows[1][1] == "ok");
  CHECK(rows[0][2] != rows[1][2]);  // retried on the other board
  // The crash was charged to its board once the run succeeded elsewhere.
  CHECK(One(db, "SELECT consecutive_failures FROM farm_boards WHERE uri='" +
                    rows[0][2] + "'") == "1");
  CHECK(One(db, "SELECT state FROM farm_boards WHERE uri='" + rows[0][2] +
                    "'") == "active");
}

}  // namespace
}  // namespace mcutune::device_farm
