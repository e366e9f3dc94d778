// The scheduler process is SIGKILLed mid-queue and started again over the
// same database (farm_crash_driver, fake boards with delays): every run
// completes, the interrupted ones show the reclaimed lease in their events
// and a second attempt, and no repeat is measured twice.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>

#include "base/subprocess.h"
#include "device_farm/farm_store.h"
#include "tests/device_farm/farm_scheduler_util.h"

namespace mcutune::device_farm {
namespace {

using testing::FarmTempDir;
using testing::HasEvent;
using testing::KRequest;
using testing::WaitUntil;

std::vector<std::string> DriverArgs(const std::string& db) {
  return {MCUTUNE_FARM_CRASH_DRIVER, "--db", db, "--boards", "2",
          "--delay-ms", "40", "--lease-ms", "600", "--max-seconds", "60"};
}

pid_t Spawn(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

TEST_CASE("farm crash: a scheduler killed mid-queue resumes without loss") {
  FarmTempDir dir;
  const std::string path = dir.File("farm.db");
  auto opened = FarmStore::Open(path);
  REQUIRE(opened.ok());
  std::unique_ptr<FarmStore> store = *std::move(opened);
  constexpr int kRuns = 12;
  constexpr int kRepeats = 3;
  std::vector<int64_t> ids;
  for (int i = 0; i < kRuns; ++i) {
    auto id = store->Enqueue(KRequest(i, kRepeats), absl::Now());
    REQUIRE(id.ok());
    ids.push_back(*id);
  }
  auto count = [&](RunState state) {
    RunFilter f;
    f.state = state;
    auto runs = store->ListRuns(f);
    return runs.ok() ? static_cast<int>(runs->size()) : -1;
  };

  const pid_t pid = Spawn(DriverArgs(path));
  REQUIRE(pid > 0);
  const bool midway = WaitUntil(
      [&] { return count(RunState::kDone) >= 3 && count(RunState::kLeased) >= 1; },
      20000);
  REQUIRE(kill(pid, SIGKILL) == 0);
  int wstatus = 0;
  REQUIRE(waitpid(pid, &wstatus, 0) == pid);
  REQUIRE(midway);
  CHECK(WIFSIGNALED(wstatus));

  // What the dead process left: leased runs and their partial repeats.
  RunFilter leased_filter;
  leased_filter.state = RunState::kLeased;
  auto leased = store->ListRuns(leased_filter);
  REQUIRE(leased.ok());
  std::set<int64_t> interrupted;
  for (const RunRecord& r : *leased) interrupted.insert(r.id);
  REQUIRE(!interrupted.empty());
  CHECK(count(RunState::kDone) < kRuns);
  std::map<int64_t, size_t> kept;
  for (int64_t id : ids) kept[id] = store->Measurements(id)->size();

  // Restart over the same file; the driver exits once the queue is empty.
  base::SubprocessOptions sub;
  sub.timeout = absl::Seconds(90);
  auto second = base::RunSubprocess(DriverArgs(path), sub);
  REQUIRE(second.ok());
  INFO(second->stderr_data);
  REQUIRE(second->exit_code == 0);

  for (int64_t id : ids) {
    INFO("run " << id);
    auto run = store->GetRun(id);
    REQUIRE(run.ok());
    CHECK(run->state == RunState::kDone);
    CHECK(run->repeats_done == kRepeats);
    auto ms = store->Measurements(id);
    REQUIRE(ms.ok());
    // Every repeat measured exactly once; what the first process stored is
    // still there and was not measured again.
    std::set<int> repeats;
    for (const auto& m : *ms) {
      CHECK(m.measurement.status == RunStatus::kOk);
      repeats.insert(m.repeat_index);
    }
    CHECK(ms->size() == static_cast<size_t>(kRepeats));
    CHECK(repeats.size() == static_cast<size_t>(kRepeats));
    CHECK(ms->size() >= kept[id]);
    auto events = store->RunEvents(id);
    if (interrupted.count(id)) {
      CHECK(run->attempts == 2);
      CHECK(run->failures == 1);
      CHECK(HasEvent(*events, "lease expired (previous process died?)"));
    } else {
      CHECK(run->attempts == 1);
      CHECK_FALSE(HasEvent(*events, "lease expired"));
    }
  }
}

}  // namespace
}  // namespace mcutune::device_farm
