// Remote agents and their boards (agent_registry.h).
// - Tickets: one per RemoteBoard::Run; waiting -> leased -> done | expired
//   | abandoned. The waiting list is FIFO; LeaseRun takes the oldest ticket
//   whose board is among the agent's idle boards.
// - Expiry is checked by the waiting Run() itself (every 200 ms), so no
//   reaper thread is needed: an expired lease turns into UNAVAILABLE for the
//   scheduler, which retries elsewhere.
// - Ids: agents "a<16 hex>", leases "l<16 hex>" from a seeded-once
//   std::random_device engine (ids are not secrets: the agent token is).
#include "server/daemon/agent_registry.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "device_farm/farm_store.h"
#include "device_farm/inventory.h"
#include "device_farm/scheduler.h"

namespace mcutune::server {

struct AgentRegistry::Ticket {
  enum class State { kWaiting, kLeased, kDone, kExpired, kAbandoned };
  int64_t run_id = 0;
  std::string uri;
  std::string elf, bin;
  device_farm::Artifact artifact;
  device_farm::RunOptions options;
  State state = State::kWaiting;
  std::string agent_id, lease_id;
  absl::Time lease_expires;
  absl::StatusOr<device_farm::Measurement> result =
      absl::UnknownError("pending");
};

namespace {

std::string RandomId(char prefix) {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  std::lock_guard<std::mutex> lock(mu);
  return absl::StrFormat("%c%016x", prefix, rng());
}

bool ValidAgentName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::string> ReadBounded(const std::string& path, int64_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::string data((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (static_cast<int64_t>(data.size()) > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " exceeds ", max, " bytes"));
  }
  return data;
}

absl::StatusOr<device_farm::Measurement> FromProto(const pb::Measurement& m) {
  device_farm::Measurement out;
  absl::StatusOr<device_farm::RunStatus> status =
      device_farm::ParseRunStatus(m.status());
  if (!status.ok())
    return absl::InvalidArgumentError("measurement.status: unknown status");
  out.status = *status;
  bool unit_ok = false;
  for (device_farm::CountUnit u :
       {device_farm::CountUnit::kNone, device_farm::CountUnit::kCycles,
        device_farm::CountUnit::kInstructions,
        device_farm::CountUnit::kNanoseconds}) {
    if (m.unit() == device_farm::CountUnitName(u)) {
      out.unit = u;
      unit_ok = true;
    }
  }
  if (!unit_ok)
    return absl::InvalidArgumentError("measurement.unit: unknown unit");
  if (m.output_sha256().size() > 64 || m.error().size() > 65536 ||
      m.raw_log().size() > 65536 || m.counted_by().size() > 1024 ||
      m.board().size() > 256) {
    return absl::InvalidArgumentError(
        "measurement: a string field is too long");
  }
  if (m.per_inference() < 0 || m.total_count() < 0 || m.runs() < 0 ||
      m.runs() > 100000) {
    return absl::InvalidArgumentError(
        "measurement: negative or out-of-range counts");
  }
  out.error = m.error();
  out.counted_by = m.counted_by();
  out.raw_ticks = m.raw_ticks();
  out.total_count = m.total_count();
  out.per_inference = m.per_inference();
  out.runs = m.runs();
  out.warmup = m.warmup();
  out.output_sha256 = m.output_sha256();
  out.input_bytes = m.input_bytes();
  out.output_bytes = m.output_bytes();
  out.stack_high_water_bytes = m.stack_high_water_bytes();
  out.stack_bytes = m.stack_bytes();
  out.arena_bytes = m.arena_bytes();
  out.flash_bytes = m.flash_bytes();
  out.ram_bytes = m.ram_bytes();
  out.board = m.board();
  out.exit_code = m.exit_code();
  out.wall_seconds = m.wall_seconds();
  out.raw_log = m.raw_log();
  return out;
}

class RemoteBoard : public device_farm::Board {
 public:
  RemoteBoard(AgentRegistry* registry, std::string uri, space::BoardSpec spec,
              int slots)
      : registry_(registry),
        uri_(std::move(uri)),
        spec_(std::move(spec)),
        slots_(slots) {}
  const std::string& uri() const override { return uri_; }
  const space::BoardSpec& spec() const override { return spec_; }
  int slots() const override { return slots_; }
  absl::StatusOr<device_farm::Measurement> Run(
      const device_farm::Artifact& artifact,
      const device_farm::RunOptions& options) override {
    return registry_->RunRemote(uri_, artifact, options);
  }

 private:
  AgentRegistry* registry_;
  std::string uri_;
  space::BoardSpec spec_;
  int slots_;
};

}  // namespace

std::unique_ptr<device_farm::Board> MakeRemoteBoard(
    AgentRegistry* registry, const std::string& uri,
    const space::BoardSpec& spec, int slots) {
  return std::make_unique<RemoteBoard>(registry, uri, spec, slots);
}

AgentRegistry::AgentRegistry(device_farm::Scheduler* scheduler,
                             std::vector<space::BoardSpec> catalogue,
                             const AgentRegistryOptions& options)
    : scheduler_(scheduler),
      catalogue_(std::move(catalogue)),
      options_(options) {}

AgentRegistry::~AgentRegistry() { Shutdown(); }

bool AgentRegistry::Online(const Agent& a, absl::Time now) const {
  return now - a.last_seen <= options_.lease;
}

std::vector<AgentRegistry::RemoteBoardInfo> AgentRegistry::RemoteBoards() {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = absl::Now();
  std::vector<RemoteBoardInfo> out;
  for (const auto& [uri, agent_id] : board_agent_) {
    auto a = agents_.find(agent_id);
    if (a == agents_.end()) continue;
    out.push_back({uri, a->second.name, Online(a->second, now)});
  }
  return out;
}

void AgentRegistry::DropAgentLocked(const std::string& agent_id) {
  for (auto& [lease, t] : leases_) {
    if (t->agent_id == agent_id && t->state == Ticket::State::kLeased) {
      t->state = Ticket::State::kExpired;
    }
  }
  agents_.erase(agent_id);
  cv_.notify_all();
}

absl::StatusOr<pb::RegisterResponse> AgentRegistry::Register(
    const pb::RegisterRequest& r) {
  if (!ValidAgentName(r.agent_name())) {
    return absl::InvalidArgumentError(
        "agent_name: 1..64 characters of [A-Za-z0-9._-]");
  }
  if (r.version().size() > 64)
    return absl::InvalidArgumentError("version: at most 64 chars");
  if (r.boards_size() < 1 || r.boards_size() > 256) {
    return absl::InvalidArgumentError("boards: 1..256 entries");
  }
  std::vector<device_farm::InventoryBoard> entries;
  std::set<std::string> uris;
  for (const pb::AgentBoard& b : r.boards()) {
    device_farm::InventoryBoard e;
    e.uri = b.uri();
    e.kind = b.kind();
    e.slots = b.slots() == 0 ? 1 : b.slots();
    if (absl::Status s = device_farm::ValidateInventoryBoard(e, catalogue_);
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("boards: ", s.message()));
    }
    if (!uris.insert(e.uri).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("boards: '", e.uri, "' repeated"));
    }
    entries.push_back(e);
  }
  std::set<std::string> local;
  if (scheduler_ != nullptr) {
    absl::StatusOr<std::vector<device_farm::BoardStatus>> boards =
        scheduler_->Boards();
    if (!boards.ok()) return boards.status();
    for (const device_farm::BoardStatus& b : *boards)
      local.insert(b.record.uri);
  }
  std::unique_lock<std::mutex> lock(mu_);
  const absl::Time now = absl::Now();
  for (const device_farm::InventoryBoard& e : entries) {
    if (local.count(e.uri) && !remote_uris_.count(e.uri)) {
      return absl::AlreadyExistsError(
          absl::StrCat("board ", e.uri, " is served by the daemon itself"));
    }
    auto owner = board_agent_.find(e.uri);
    if (owner != board_agent_.end()) {
      auto a = agents_.find(owner->second);
      if (a != agents_.end() && a->second.name != r.agent_name() &&
          Online(a->second, now)) {
        return absl::AlreadyExistsError(absl::StrCat(
            "board ", e.uri, " is served by agent ", a->second.name));
      }
    }
  }
  // Same name: the previous registration is replaced.
  std::vector<std::string> old;
  for (const auto& [id, a] : agents_) {
    if (a.name == r.agent_name()) old.push_back(id);
  }
  for (const std::string& id : old) DropAgentLocked(id);
  Agent agent;
  agent.id = RandomId('a');
  agent.name = r.agent_name();
  agent.version = r.version();
  agent.last_seen = now;
  for (const device_farm::InventoryBoard& e : entries) {
    agent.uris.push_back(e.uri);
    board_agent_[e.uri] = agent.id;
  }
  agents_[agent.id] = agent;
  std::vector<device_farm::InventoryBoard> to_add;
  for (const device_farm::InventoryBoard& e : entries) {
    if (!remote_uris_.count(e.uri)) to_add.push_back(e);
  }
  lock.unlock();
  for (const device_farm::InventoryBoard& e : to_add) {
    if (scheduler_ == nullptr) break;
    const space::BoardSpec* spec = nullptr;
    for (const space::BoardSpec& b : catalogue_) {
      if (b.id == e.kind) spec = &b;
    }
    absl::Status s =
        scheduler_->AddBoard(MakeRemoteBoard(this, e.uri, *spec, e.slots));
    if (!s.ok() && !absl::IsAlreadyExists(s)) return s;
    std::lock_guard<std::mutex> relock(mu_);
    remote_uris_.insert(e.uri);
  }
  if (scheduler_ != nullptr) {
    // Boards of an agent that comes back may have been quarantined while it
    // was away.
    for (const device_farm::InventoryBoard& e : entries)
      (void)scheduler_->Enable(e.uri);
  }
  if (auto log = spdlog::get("server")) {
    log->info("agent {} registered as {} with {} boards", agent.name, agent.id,
              entries.size());
  }
  pb::RegisterResponse out;
  out.set_agent_id(agent.id);
  out.set_lease_seconds(
      static_cast<int32_t>(absl::ToInt64Seconds(options_.lease)));
  out.set_heartbeat_seconds(
      static_cast<int32_t>(absl::ToInt64Seconds(options_.heartbeat)));
  return out;
}

absl::StatusOr<pb::LeaseRunResponse> AgentRegistry::LeaseRun(
    const pb::LeaseRunRequest& r, const std::function<bool()>& cancelled) {
  if (r.wait_ms() < 0 || r.wait_ms() > 30000) {
    return absl::InvalidArgumentError("wait_ms: 0..30000");
  }
  const absl::Time deadline = absl::Now() + absl::Milliseconds(r.wait_ms());
  std::unique_lock<std::mutex> lock(mu_);
  auto agent = agents_.find(r.agent_id());
  if (agent == agents_.end()) {
    return absl::NotFoundError("unknown agent_id: register again");
  }
  std::set<std::string> idle;
  for (const std::string& uri : r.idle_board_uris()) {
    if (board_agent_.count(uri) == 0 || board_agent_[uri] != r.agent_id()) {
      return absl::InvalidArgumentError(
          absl::StrCat("idle_board_uris: '", uri.substr(0, 200),
                       "' is not a board of this agent"));
    }
    idle.insert(uri);
  }
  while (true) {
    auto a = agents_.find(r.agent_id());
    if (a == agents_.end())
      return absl::NotFoundError("agent replaced: register again");
    a->second.last_seen = absl::Now();
    for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
      std::shared_ptr<Ticket> t = *it;
      if (!idle.count(t->uri)) continue;
      waiting_.erase(it);
      t->state = Ticket::State::kLeased;
      t->agent_id = r.agent_id();
      t->lease_id = RandomId('l');
      t->lease_expires = absl::Now() + options_.lease;
      leases_[t->lease_id] = t;
      pb::LeaseRunResponse out;
      out.set_has_run(true);
      pb::RunLease* l = out.mutable_lease();
      l->set_lease_id(t->lease_id);
      l->set_run_id(t->run_id);
      l->set_board_uri(t->uri);
      l->set_firmware_elf(t->elf);
      l->set_firmware_bin(t->bin);
      l->set_firmware_sha256(t->artifact.sha256);
      l->set_expected_output_sha256(t->artifact.expected_output_sha256);
      l->set_runs(t->options.runs);
      l->set_warmup(t->options.warmup);
      l->set_timeout_seconds(
          static_cast<int32_t>(absl::ToInt64Seconds(t->options.timeout)));
      l->set_semihosting(t->artifact.semihosting);
      cv_.notify_all();
      return out;
    }
    if (shutdown_ || absl::Now() >= deadline || (cancelled && cancelled()))
      break;
    cv_.wait_for(lock, std::chrono::milliseconds(200));
  }
  return pb::LeaseRunResponse();
}

absl::StatusOr<pb::ReportResultResponse> AgentRegistry::ReportResult(
    const pb::ReportResultRequest& r) {
  absl::StatusOr<device_farm::Measurement> result =
      absl::UnknownError("no result");
  if (r.has_measurement()) {
    result = FromProto(r.measurement());
    if (!result.ok()) return result.status();
  } else if (r.has_error()) {
    absl::StatusCode code = absl::StatusCode::kUnavailable;
    if (r.error().code() == "NOT_FOUND") code = absl::StatusCode::kNotFound;
    if (r.error().code() == "INVALID_ARGUMENT")
      code = absl::StatusCode::kInvalidArgument;
    if (r.error().code() == "DEADLINE_EXCEEDED")
      code = absl::StatusCode::kDeadlineExceeded;
    result = absl::Status(
        code,
        absl::StrCat("remote agent: ", r.error().message().substr(0, 2000)));
  } else {
    return absl::InvalidArgumentError(
        "result: a measurement or an error is required");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto a = agents_.find(r.agent_id());
  if (a == agents_.end())
    return absl::NotFoundError("unknown agent_id: register again");
  a->second.last_seen = absl::Now();
  pb::ReportResultResponse out;
  auto it = leases_.find(r.lease_id());
  if (it == leases_.end() || it->second->agent_id != r.agent_id() ||
      it->second->state != Ticket::State::kLeased) {
    out.set_accepted(false);
    return out;
  }
  it->second->result = std::move(result);
  it->second->state = Ticket::State::kDone;
  leases_.erase(it);
  cv_.notify_all();
  out.set_accepted(true);
  return out;
}

absl::StatusOr<pb::HeartbeatResponse> AgentRegistry::Heartbeat(
    const pb::HeartbeatRequest& r) {
  std::lock_guard<std::mutex> lock(mu_);
  pb::HeartbeatResponse out;
  auto a = agents_.find(r.agent_id());
  if (a == agents_.end()) {
    out.set_reregister(true);
    return out;
  }
  const absl::Time now = absl::Now();
  a->second.last_seen = now;
  for (const std::string& id : r.running_lease_ids()) {
    auto it = leases_.find(id);
    if (it == leases_.end() || it->second->agent_id != r.agent_id() ||
        it->second->state != Ticket::State::kLeased) {
      out.add_cancelled_lease_ids(id);
      continue;
    }
    it->second->lease_expires = now + options_.lease;
  }
  return out;
}

void AgentRegistry::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

absl::StatusOr<device_farm::Measurement> AgentRegistry::RunRemote(
    const std::string& uri, const device_farm::Artifact& artifact,
    const device_farm::RunOptions& options) {
  auto t = std::make_shared<Ticket>();
  t->uri = uri;
  t->artifact = artifact;
  t->options = options;
  {
    absl::StatusOr<std::string> elf =
        ReadBounded(artifact.elf_path, options_.max_firmware_bytes);
    if (!elf.ok()) return elf.status();
    t->elf = std::move(*elf);
    if (!artifact.bin_path.empty()) {
      absl::StatusOr<std::string> bin =
          ReadBounded(artifact.bin_path, options_.max_firmware_bytes);
      if (!bin.ok()) return bin.status();
      t->bin = std::move(*bin);
    }
  }
  // Not leased within the run timeout + one lease: give up (the agent is
  // alive but never asks for work for this board).
  const absl::Time give_up = absl::Now() + options.timeout + options_.lease;
  std::unique_lock<std::mutex> lock(mu_);
  auto owner = board_agent_.find(uri);
  if (owner == board_agent_.end() || !agents_.count(owner->second) ||
      !Online(agents_[owner->second], absl::Now())) {
    return absl::UnavailableError(
        absl::StrCat("the agent serving ", uri, " is offline"));
  }
  t->run_id = next_run_++;
  waiting_.push_back(t);
  cv_.notify_all();
  while (true) {
    const absl::Time now = absl::Now();
    if (t->state == Ticket::State::kDone) return t->result;
    if (shutdown_) {
      t->state = Ticket::State::kAbandoned;
      break;
    }
    if (t->state == Ticket::State::kExpired ||
        (t->state == Ticket::State::kLeased && now > t->lease_expires)) {
      t->state = Ticket::State::kExpired;
      leases_.erase(t->lease_id);
      return absl::UnavailableError(
          absl::StrCat("the lease of ", uri,
                       " expired: the agent did not report (agent lost?)"));
    }
    if (t->state == Ticket::State::kWaiting) {
      auto o = board_agent_.find(uri);
      const bool online = o != board_agent_.end() && agents_.count(o->second) &&
                          Online(agents_[o->second], now);
      if (!online || now > give_up) {
        t->state = Ticket::State::kAbandoned;
        break;
      }
    }
    cv_.wait_for(lock, std::chrono::milliseconds(200));
  }
  waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), t),
                 waiting_.end());
  return absl::UnavailableError(
      absl::StrCat("no agent took the run for ", uri));
}

}  // namespace mcutune::server
