// mcutune-agent: serves this host's boards to a remote mcutuned.
//
//   mcutune-agent --server HOST:PORT --farm configs/farm.json
//                 [--name NAME] [--token T | --token-file F]
//                 [--tls-ca FILE [--tls-cert F --tls-key F]]
//
//   Register(boards of the inventory) ──► agent id, lease/heartbeat periods
//   one worker per board slot:  LeaseRun(idle board) ──► firmware bytes
//       ──► temp dir ──► Board::Run (QEMU or pyOCD, device_farm/) ──►
//       ReportResult(measurement | board error)
//   heartbeat thread: Heartbeat(running leases); a cancelled lease is only
//   reported as such (the run in progress finishes, its report is refused)
//   NOT_FOUND / reregister (the daemon restarted) ──► Register again
// The agent token comes from --token, --token-file, $MCUTUNE_AGENT_TOKEN or
// $MCUTUNE_AGENT_TOKEN_FILE. With --tls-ca (or $MCUTUNE_TLS_CA) the channel
// is TLS trusting that CA (a client certificate from --tls-cert/--tls-key or
// $MCUTUNE_TLS_CERT/_KEY for a daemon with tls.client_ca_file); without it,
// plaintext. Stops on SIGTERM/SIGINT. Logs to stderr.
#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "device_farm/board.h"
#include "device_farm/inventory.h"
#include "proto/mcutune/v1/farm_agent.grpc.pb.h"
#include "tuner/space/board.h"

namespace {

namespace fs = std::filesystem;
namespace pb = ::mcutune::v1;
using mcutune::device_farm::Board;

constexpr char kUsage[] =
    "usage: mcutune-agent --server HOST:PORT --farm FARM.json [--name NAME]\n"
    "                     [--token T | --token-file F] [--work-dir DIR]\n"
    "                     [--tls-ca FILE [--tls-cert F --tls-key F]]\n"
    "  Serves the boards of FARM.json (device_farm inventory format) to the\n"
    "  mcutuned at HOST:PORT with its agent token (docs/daemon.md).\n";

std::atomic<bool> g_stop{false};

struct Agent {
  std::string server, token, name, work_dir;
  std::unique_ptr<pb::FarmAgent::Stub> stub;
  std::vector<std::unique_ptr<Board>> boards;
  std::mutex mu;
  std::string agent_id;
  int heartbeat_s = 10;
  std::set<std::string> running;  // lease ids

  std::unique_ptr<grpc::ClientContext> Ctx(int seconds) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(seconds));
    return ctx;
  }

  bool Register() {
    pb::RegisterRequest r;
    r.set_agent_name(name);
    r.set_version("mcutune-agent 0.1");
    for (const auto& b : boards) {
      pb::AgentBoard* a = r.add_boards();
      a->set_uri(b->uri());
      a->set_kind(b->kind());
      a->set_slots(b->slots());
    }
    pb::RegisterResponse res;
    grpc::Status s = stub->Register(Ctx(20).get(), r, &res);
    if (!s.ok()) {
      std::fprintf(stderr, "mcutune-agent: register failed: %s\n",
                   s.error_message().c_str());
      return false;
    }
    std::lock_guard<std::mutex> lock(mu);
    agent_id = res.agent_id();
    heartbeat_s = std::max(1, res.heartbeat_seconds());
    std::fprintf(stderr, "mcutune-agent: registered %zu boards as %s\n",
                 boards.size(), agent_id.c_str());
    return true;
  }

  std::string Id() {
    std::lock_guard<std::mutex> lock(mu);
    return agent_id;
  }

  void Worker(Board* board) {
    while (!g_stop) {
      pb::LeaseRunRequest req;
      req.set_agent_id(Id());
      req.add_idle_board_uris(board->uri());
      req.set_wait_ms(10000);
      pb::LeaseRunResponse res;
      grpc::Status s = stub->LeaseRun(Ctx(30).get(), req, &res);
      if (!s.ok()) {
        if (s.error_code() == grpc::StatusCode::NOT_FOUND) Register();
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      if (!res.has_run()) continue;
      Run(board, res.lease());
    }
  }

  void Run(Board* board, const pb::RunLease& lease) {
    // The lease id names a directory under work_dir: accept only the shape
    // the daemon generates ("l" + hex), never a path from the wire.
    if (lease.lease_id().empty() || lease.lease_id().size() > 64 ||
        lease.lease_id().find_first_not_of(
            "abcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos) {
      std::fprintf(stderr, "mcutune-agent: refusing a lease with an unsafe id\n");
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      running.insert(lease.lease_id());
    }
    const fs::path dir = fs::path(work_dir) / lease.lease_id();
    fs::create_directories(dir);
    std::ofstream(dir / "firmware.elf", std::ios::binary)
        << lease.firmware_elf();
    mcutune::device_farm::Artifact a;
    a.elf_path = (dir / "firmware.elf").string();
    if (!lease.firmware_bin().empty()) {
      std::ofstream(dir / "firmware.bin", std::ios::binary)
          << lease.firmware_bin();
      a.bin_path = (dir / "firmware.bin").string();
    }
    a.sha256 = lease.firmware_sha256();
    a.expected_output_sha256 = lease.expected_output_sha256();
    a.semihosting = lease.semihosting();
    mcutune::device_farm::RunOptions o;
    o.runs = std::max(1, lease.runs());
    o.warmup = std::max(0, lease.warmup());
    o.timeout = absl::Seconds(std::max(1, lease.timeout_seconds()));
    pb::ReportResultRequest report;
    report.set_agent_id(Id());
    report.set_lease_id(lease.lease_id());
    absl::StatusOr<mcutune::device_farm::Measurement> m = board->Run(a, o);
    if (m.ok()) {
      pb::Measurement* out = report.mutable_measurement();
      out->set_status(mcutune::device_farm::RunStatusName(m->status));
      out->set_error(m->error.substr(0, 60000));
      out->set_unit(mcutune::device_farm::CountUnitName(m->unit));
      out->set_counted_by(m->counted_by.substr(0, 1000));
      out->set_raw_ticks(m->raw_ticks);
      out->set_total_count(m->total_count);
      out->set_per_inference(m->per_inference);
      out->set_runs(m->runs);
      out->set_warmup(m->warmup);
      out->set_output_sha256(m->output_sha256);
      out->set_input_bytes(m->input_bytes);
      out->set_output_bytes(m->output_bytes);
      out->set_stack_high_water_bytes(m->stack_high_water_bytes);
      out->set_stack_bytes(m->stack_bytes);
      out->set_arena_bytes(m->arena_bytes);
      out->set_flash_bytes(m->flash_bytes);
      out->set_ram_bytes(m->ram_bytes);
      out->set_board(m->board.substr(0, 200));
      out->set_exit_code(m->exit_code);
      out->set_wall_seconds(m->wall_seconds);
      out->set_raw_log(m->raw_log.substr(0, 60000));
    } else {
      report.mutable_error()->set_code(
          absl::StatusCodeToString(m.status().code()));
      report.mutable_error()->set_message(
          std::string(m.status().message()).substr(0, 2000));
    }
    pb::ReportResultResponse res;
    grpc::Status s = stub->ReportResult(Ctx(30).get(), report, &res);
    if (!s.ok() || !res.accepted()) {
      std::fprintf(stderr, "mcutune-agent: result of %s not accepted%s\n",
                   lease.lease_id().c_str(),
                   s.ok() ? "" : (": " + s.error_message()).c_str());
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    std::lock_guard<std::mutex> lock(mu);
    running.erase(lease.lease_id());
  }

  void Heartbeats() {
    while (!g_stop) {
      int period;
      pb::HeartbeatRequest req;
      {
        std::lock_guard<std::mutex> lock(mu);
        period = heartbeat_s;
        req.set_agent_id(agent_id);
        for (const std::string& id : running) req.add_running_lease_ids(id);
      }
      for (int i = 0; i < period * 10 && !g_stop; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (g_stop) break;
      pb::HeartbeatResponse res;
      grpc::Status s = stub->Heartbeat(Ctx(10).get(), req, &res);
      if (s.ok() && res.reregister()) Register();
    }
  }
};

// The whole file; "" when it cannot be read.
std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

std::string ReadToken(const std::string& path) {
  std::ifstream in(path);
  std::string t;
  std::getline(in, t);
  return std::string(absl::StripAsciiWhitespace(t));
}

}  // namespace

int main(int argc, char** argv) {
  Agent agent;
  std::string farm, token_file, tls_ca, tls_cert, tls_key;
  char host[256] = "agent";
  gethostname(host, sizeof(host) - 1);
  agent.name = host;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has = i + 1 < argc;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--server" && has) {
      agent.server = argv[++i];
    } else if (a == "--farm" && has) {
      farm = argv[++i];
    } else if (a == "--name" && has) {
      agent.name = argv[++i];
    } else if (a == "--token" && has) {
      agent.token = argv[++i];
    } else if (a == "--token-file" && has) {
      token_file = argv[++i];
    } else if (a == "--tls-ca" && has) {
      tls_ca = argv[++i];
    } else if (a == "--tls-cert" && has) {
      tls_cert = argv[++i];
    } else if (a == "--tls-key" && has) {
      tls_key = argv[++i];
    } else if (a == "--work-dir" && has) {
      agent.work_dir = argv[++i];
    } else {
      std::fprintf(stderr, "error: unexpected argument '%s'\n%s", a.c_str(),
                   kUsage);
      return 2;
    }
  }
  if (agent.server.empty() || farm.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (agent.token.empty() && !token_file.empty())
    agent.token = ReadToken(token_file);
  if (agent.token.empty() && std::getenv("MCUTUNE_AGENT_TOKEN")) {
    agent.token = std::getenv("MCUTUNE_AGENT_TOKEN");
  }
  if (agent.token.empty() && std::getenv("MCUTUNE_AGENT_TOKEN_FILE")) {
    agent.token = ReadToken(std::getenv("MCUTUNE_AGENT_TOKEN_FILE"));
  }
  for (auto [v, env] : {std::pair{&tls_ca, "MCUTUNE_TLS_CA"},
                        std::pair{&tls_cert, "MCUTUNE_TLS_CERT"},
                        std::pair{&tls_key, "MCUTUNE_TLS_KEY"}}) {
    if (v->empty() && std::getenv(env)) *v = std::getenv(env);
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (!tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadAll(tls_ca);
    if (ssl.pem_root_certs.find("-----BEGIN ") == std::string::npos) {
      std::fprintf(stderr, "error: --tls-ca %s: cannot read a PEM file\n",
                   tls_ca.c_str());
      return 2;
    }
    if (tls_cert.empty() != tls_key.empty()) {
      std::fprintf(stderr, "error: --tls-cert and --tls-key go together\n");
      return 2;
    }
    if (!tls_cert.empty()) {
      ssl.pem_cert_chain = ReadAll(tls_cert);
      ssl.pem_private_key = ReadAll(tls_key);
      if (ssl.pem_cert_chain.empty() || ssl.pem_private_key.empty()) {
        std::fprintf(stderr, "error: cannot read --tls-cert / --tls-key\n");
        return 2;
      }
    }
    credentials = grpc::SslCredentials(ssl);
  }
  if (agent.work_dir.empty()) {
    agent.work_dir = (fs::temp_directory_path() /
                      ("mcutune-agent-" + std::to_string(getpid())))
                         .string();
  }
  absl::StatusOr<std::vector<mcutune::space::BoardSpec>> catalogue =
      mcutune::space::LoadBoardCatalogue();
  if (!catalogue.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(catalogue.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<mcutune::device_farm::Inventory> inventory =
      mcutune::device_farm::LoadInventory(farm, *catalogue);
  if (!inventory.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(inventory.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::vector<std::unique_ptr<Board>>> boards =
      mcutune::device_farm::BuildBoards(*inventory, *catalogue);
  if (!boards.ok() || boards->empty()) {
    std::fprintf(stderr, "error: %s\n",
                 boards.ok() ? "the farm file has no boards"
                             : std::string(boards.status().message()).c_str());
    return 1;
  }
  agent.boards = std::move(*boards);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  agent.stub =
      pb::FarmAgent::NewStub(grpc::CreateChannel(agent.server, credentials));
  for (int attempt = 0; !agent.Register(); ++attempt) {
    if (attempt >= 30) return 1;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::vector<std::thread> threads;
  for (auto& b : agent.boards) {
    for (int slot = 0; slot < b->slots(); ++slot) {
      threads.emplace_back([&agent, board = b.get()] { agent.Worker(board); });
    }
  }
  threads.emplace_back([&agent] { agent.Heartbeats(); });
  int sig = 0;
  sigwait(&stop, &sig);
  g_stop = true;
  std::fprintf(stderr, "mcutune-agent: stopping (runs in progress finish)\n");
  for (std::thread& t : threads) t.join();
  std::error_code ec;
  fs::remove_all(agent.work_dir, ec);
  return 0;
}
