// Remote farm agents: their boards join the daemon's scheduler as
// RemoteBoards, and runs reach them by long-poll leases.
//
//   mcutune-agent ──Register(boards)──► AgentRegistry
//   ──AddBoard(RemoteBoard)──► Scheduler Scheduler worker
//   ──RemoteBoard::Run(artifact)──► ticket (waiting) mcutune-agent
//   ──LeaseRun(idle boards)──► ticket leased (firmware bytes)
//                 ──ReportResult(measurement)──► ticket done ──► Run() returns
//                 ──Heartbeat(running leases)──► leases extended
// A lease that is neither reported nor extended before it expires (the
// agent died, the network broke) makes Run() return UNAVAILABLE: the
// scheduler then retries the run on another board of the kind, so the run
// completes once; a late report of that lease is refused (accepted=false).
// An agent silent for longer than the lease duration is offline: runs for
// its boards fail UNAVAILABLE at once (and its boards end up quarantined by
// the scheduler's policy until it comes back and passes a health check or
// is enabled). Re-registering under the same agent name takes the boards
// over (the previous registration's leases are dropped).
// Thread-safe.
#ifndef MCUTUNE_SERVER_DAEMON_AGENT_REGISTRY_H_
#define MCUTUNE_SERVER_DAEMON_AGENT_REGISTRY_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "device_farm/board.h"
#include "proto/mcutune/v1/farm_agent.pb.h"
#include "tuner/space/board.h"

namespace mcutune::device_farm {
class Scheduler;
}

namespace mcutune::server {

namespace pb = ::mcutune::v1;

struct AgentRegistryOptions {
  absl::Duration lease = absl::Seconds(30);
  absl::Duration heartbeat = absl::Seconds(10);
  int64_t max_firmware_bytes = int64_t{16} << 20;
};

class AgentRegistry {
 public:
  // `scheduler` may be null (then Register accepts agents but their boards
  // serve nothing: for tests of the protocol).
  AgentRegistry(device_farm::Scheduler* scheduler,
                std::vector<space::BoardSpec> catalogue,
                const AgentRegistryOptions& options = {});
  ~AgentRegistry();

  // INVALID_ARGUMENT (name, board entries), ALREADY_EXISTS (a board URI the
  // daemon serves itself or another live agent serves).
  absl::StatusOr<pb::RegisterResponse> Register(
      const pb::RegisterRequest& request);
  // NOT_FOUND unknown agent (re-register), INVALID_ARGUMENT (wait_ms, a URI
  // that is not this agent's). Returns has_run=false after wait_ms.
  absl::StatusOr<pb::LeaseRunResponse> LeaseRun(
      const pb::LeaseRunRequest& request,
      const std::function<bool()>& cancelled);
  absl::StatusOr<pb::ReportResultResponse> ReportResult(
      const pb::ReportResultRequest& request);
  absl::StatusOr<pb::HeartbeatResponse> Heartbeat(
      const pb::HeartbeatRequest& request);
  // Wakes every waiter; runs in flight fail UNAVAILABLE. Idempotent.
  void Shutdown();

  // The boards agents serve now (for the dashboard's farm view).
  struct RemoteBoardInfo {
    std::string uri, agent;  // agent name
    bool online = false;     // heard from within the lease duration
  };
  std::vector<RemoteBoardInfo> RemoteBoards();

  // RemoteBoard::Run: hands the run to the agent serving `uri` and waits.
  absl::StatusOr<device_farm::Measurement> RunRemote(
      const std::string& uri, const device_farm::Artifact& artifact,
      const device_farm::RunOptions& options);

 private:
  struct Ticket;
  struct Agent {
    std::string id, name, version;
    std::vector<std::string> uris;
    absl::Time last_seen;
  };
  bool Online(const Agent& a, absl::Time now) const;
  void DropAgentLocked(const std::string& agent_id);

  device_farm::Scheduler* scheduler_;
  std::vector<space::BoardSpec> catalogue_;
  AgentRegistryOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool shutdown_ = false;
  std::map<std::string, Agent> agents_;             // by agent id
  std::map<std::string, std::string> board_agent_;  // uri -> agent id
  std::set<std::string> remote_uris_;  // boards added to the scheduler
  std::map<std::string, std::shared_ptr<Ticket>> leases_;  // lease id -> ticket
  std::vector<std::shared_ptr<Ticket>> waiting_;
  int64_t next_run_ = 1;
};

// A board of a remote agent as the scheduler sees it.
std::unique_ptr<device_farm::Board> MakeRemoteBoard(
    AgentRegistry* registry, const std::string& uri,
    const space::BoardSpec& spec, int slots);

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_AGENT_REGISTRY_H_
