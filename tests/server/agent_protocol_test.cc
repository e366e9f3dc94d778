// Remote farm agents against a real scheduler: a run reaches an agent by
// lease and its report completes the farm run; heartbeats keep a long run's
// lease; an agent that dies mid-run loses its lease and the run completes on
// another agent's board (and the late report is refused).
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "device_farm/farm_store.h"
#include "device_farm/scheduler.h"
#include "server/daemon/agent_registry.h"
#include "tests/testing/cli_runner.h"

namespace mcutune::server {
namespace {

namespace fs = std::filesystem;

struct Farm {
  fs::path dir = ::mcutune::testing::MakeTempDir("agent_protocol");
  std::vector<space::BoardSpec> catalogue =
      *space::LoadBoardCatalogue(MCUTUNE_SOURCE_DIR "/configs/boards");
  std::unique_ptr<device_farm::Scheduler> scheduler;
  std::unique_ptr<AgentRegistry> registry;
  device_farm::Artifact artifact;
  std::string elf_bytes = std::string(
                              "\x7f"
                              "ELF fake firmware ",
                              19) +
                          std::string(1000, 'z');

  Farm() {
    std::shared_ptr<device_farm::FarmStore> store =
        *device_farm::FarmStore::Open(":memory:");
    device_farm::SchedulerOptions so;
    so.retry_backoff = absl::Milliseconds(50);
    so.poll_interval = absl::Milliseconds(50);
    scheduler = *device_farm::MakeScheduler(store, {}, so);
    AgentRegistryOptions ro;
    ro.lease = absl::Seconds(1);
    ro.heartbeat = absl::Milliseconds(300);
    registry = std::make_unique<AgentRegistry>(scheduler.get(), catalogue, ro);
    std::ofstream(dir / "firmware.elf", std::ios::binary) << elf_bytes;
    artifact.elf_path = (dir / "firmware.elf").string();
    artifact.sha256 = *device_farm::Sha256File(artifact.elf_path);
    artifact.expected_output_sha256 = std::string(64, 'e');
  }
  ~Farm() {
    registry->Shutdown();
    scheduler->Stop();
    fs::remove_all(dir);
  }

  std::string Register(const std::string& name, const std::string& uri) {
    v1::RegisterRequest r;
    r.set_agent_name(name);
    v1::AgentBoard* b = r.add_boards();
    b->set_uri(uri);
    b->set_kind("qemu-f746");
    absl::StatusOr<v1::RegisterResponse> res = registry->Register(r);
    REQUIRE(res.ok());
    return res->agent_id();
  }
  int64_t Submit() {
    device_farm::RunRequest r;
    r.artifact = artifact;
    r.board_kind = "qemu-f746";
    r.options.runs = 1;
    r.options.timeout = absl::Seconds(5);
    r.max_attempts = 5;
    absl::StatusOr<int64_t> id = scheduler->Submit(r);
    REQUIRE(id.ok());
    return *id;
  }
  // Long-polls until a lease arrives (bounded).
  std::optional<v1::RunLease> Lease(const std::string& agent,
                                    const std::string& uri) {
    for (int i = 0; i < 40; ++i) {
      v1::LeaseRunRequest r;
      r.set_agent_id(agent);
      r.add_idle_board_uris(uri);
      r.set_wait_ms(250);
      absl::StatusOr<v1::LeaseRunResponse> res = registry->LeaseRun(r, nullptr);
      REQUIRE(res.ok());
      if (res->has_run()) return res->lease();
    }
    return std::nullopt;
  }
  bool Report(const std::string& agent, const v1::RunLease& lease) {
    v1::ReportResultRequest r;
    r.set_agent_id(agent);
    r.set_lease_id(lease.lease_id());
    v1::Measurement* m = r.mutable_measurement();
    m->set_status("ok");
    m->set_unit("instructions");
    m->set_per_inference(12345);
    m->set_total_count(12345);
    m->set_runs(1);
    m->set_output_sha256(lease.expected_output_sha256());
    absl::StatusOr<v1::ReportResultResponse> res = registry->ReportResult(r);
    REQUIRE(res.ok());
    return res->accepted();
  }
};

TEST_CASE("a run reaches an agent by lease, heartbeats keep a long run alive") {
  Farm f;
  const std::string a = f.Register("lab-a", "qemu://qemu-f746/a");
  const int64_t run = f.Submit();
  std::optional<v1::RunLease> lease = f.Lease(a, "qemu://qemu-f746/a");
  REQUIRE(lease.has_value());
  CHECK(lease->firmware_elf() == f.elf_bytes);
  CHECK(lease->firmware_sha256() == f.artifact.sha256);
  // Runs for longer than the 1 s lease while heartbeating.
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    v1::HeartbeatRequest hb;
    hb.set_agent_id(a);
    hb.add_running_lease_ids(lease->lease_id());
    absl::StatusOr<v1::HeartbeatResponse> res = f.registry->Heartbeat(hb);
    REQUIRE(res.ok());
    CHECK(res->cancelled_lease_ids_size() == 0);
  }
  CHECK(f.Report(a, *lease));
  absl::StatusOr<device_farm::RunRecord> done =
      f.scheduler->Wait(run, absl::Seconds(20));
  REQUIRE(done.ok());
  CHECK(done->state == device_farm::RunState::kDone);
  std::vector<device_farm::MeasurementRecord> ms =
      *f.scheduler->store().Measurements(run);
  REQUIRE(ms.size() == 1);
  CHECK(ms[0].board_uri == "qemu://qemu-f746/a");
  CHECK(ms[0].measurement.per_inference == 12345);
  CHECK(ms[0].output_matches == std::optional<bool>(true));
}

TEST_CASE(
    "an agent that dies mid-run: its lease expires, the run completes "
    "elsewhere") {
  Farm f;
  const std::string a = f.Register("lab-a", "qemu://qemu-f746/a");
  const int64_t run = f.Submit();
  std::optional<v1::RunLease> lost = f.Lease(a, "qemu://qemu-f746/a");
  REQUIRE(lost.has_value());
  // Agent A is now "killed": no report, no heartbeat. Agent B comes up.
  const std::string b = f.Register("lab-b", "qemu://qemu-f746/b");
  std::optional<v1::RunLease> retried = f.Lease(b, "qemu://qemu-f746/b");
  REQUIRE(retried.has_value());
  CHECK(retried->run_id() !=
        lost->run_id());  // a new ticket for the same farm run
  CHECK(f.Report(b, *retried));
  absl::StatusOr<device_farm::RunRecord> done =
      f.scheduler->Wait(run, absl::Seconds(20));
  REQUIRE(done.ok());
  CHECK(done->state == device_farm::RunState::kDone);
  CHECK(done->attempts == 2);
  std::vector<device_farm::MeasurementRecord> ms =
      *f.scheduler->store().Measurements(run);
  REQUIRE(ms.size() == 1);  // exactly one measurement: nothing duplicated
  CHECK(ms[0].board_uri == "qemu://qemu-f746/b");
  // A's late report is refused.
  CHECK_FALSE(f.Report(a, *lost));
}

}  // namespace
}  // namespace mcutune::server
