// Daemon wiring (daemon.h).
// - One SQLite connection shared by the tuner's, the farm's and the cost
//   model's stores (the cost model is seeded from configs/cost_models).
// - Start order: storage → catalogue → farm (inventory, scheduler; boards
//   quarantined for a missing tool enabled again) → job
//   runner (resumes jobs) → sweeps (schedules, catch-up) → tokens → services
//   → gRPC → HTTP → daemon.json.
// - Stop order: stop flag (watches end) → gRPC shutdown (5 s grace) → sweeps
//   stop (run interrupted) → jobs stop (resumable) → agents released → HTTP
//   → scheduler (leases released) → daemon.json removed.
#include "server/daemon/daemon.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "base/sqlite.h"
#include "cost_model/calibration_data.h"
#include "cost_model/model_store.h"
#include "device_farm/farm_store.h"
#include "device_farm/inventory.h"
#include "device_farm/scheduler.h"
#include "server/daemon/agent_registry.h"
#include "server/daemon/auth.h"
#include "server/daemon/farm_agent_service.h"
#include "server/daemon/http_api.h"
#include "server/daemon/http_dashboard_api.h"
#include "server/daemon/http_sweeps.h"
#include "server/daemon/sweep_api.h"
#include "server/daemon/sweep_service.h"
#include "server/daemon/tuning_core.h"
#include "server/daemon/tuning_service.h"
#include "tuner/firmware_factory.h"
#include "tuner/job_runner.h"
#include "tuner/measurer.h"
#include "tuner/store.h"
#include "tuner/sweep_manager.h"
#include "tuner/sweep_inputs.h"

namespace mcutune::server {

namespace fs = std::filesystem;

struct Daemon::State {
  std::shared_ptr<base::Database> db;
  std::unique_ptr<tuner::Store> store;
  std::shared_ptr<device_farm::FarmStore> farm_store;
  std::unique_ptr<cost_model::ModelStore> cost_store;
  std::vector<space::BoardSpec> catalogue;
  std::unique_ptr<device_farm::Scheduler> scheduler;
  std::unique_ptr<tuner::Measurer> measurer;
  std::unique_ptr<tuner::FirmwareFactory> firmware;
  std::unique_ptr<tuner::JobRunner> runner;
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<TuningCore> core;
  std::unique_ptr<TuningService> tuning_service;
  std::unique_ptr<AgentRegistry> registry;
  std::unique_ptr<FarmAgentService> agent_service;
  std::unique_ptr<grpc::Server> grpc_server;
  std::unique_ptr<DashboardData> dashboard;  // outlives `http`
  std::unique_ptr<tuner::SweepStore> sweep_store;
  std::unique_ptr<tuner::SweepManager> sweeps;  // null: no sweeps_dir
  std::unique_ptr<SweepApi> sweep_api;
  std::unique_ptr<SweepService> sweep_service;
  std::unique_ptr<HttpApi> http;
  std::atomic<bool> stopping{false};
  bool stopped = false;
  std::string grpc_address, http_address, client_token, agent_token, info_path;
};

namespace {

std::shared_ptr<spdlog::logger> Logger(const std::string& name) {
  if (auto l = spdlog::get(name)) return l;
  try {
    return spdlog::stderr_color_mt(name);
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get(name);
  }
}

// The scheduler's quarantine reason for a Board::Run NOT_FOUND
// (device_farm/scheduler_worker.cc).
constexpr char kToolNotFound[] = "board or tool not found";

std::string HostOf(const std::string& address) {
  return address.substr(0, address.rfind(':'));
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls.", key, ": cannot read '", path, "'"));
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (text.find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls.", key, ": '", path, "' is not a PEM file"));
  }
  return text;
}

// The gRPC port's credentials: plaintext, or TLS from the config's PEM
// files (client certificates required and verified with client_ca_file).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcCredentials(
    const TlsConfig& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> cert = ReadPem(tls.cert_file, "cert_file");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(tls.key_file, "key_file");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions o(
      tls.client_ca_file.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!tls.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca =
        ReadPem(tls.client_ca_file, "client_ca_file");
    if (!ca.ok()) return ca.status();
    o.pem_root_certs = *ca;
  }
  o.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(o);
}

}  // namespace

void SetUpLogging(const std::string& level) {
  for (const char* name : {"server", "tuner", "device_farm"}) Logger(name);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %n %l: %v");
  spdlog::set_level(spdlog::level::from_str(level));
}

Daemon::Daemon(DaemonConfig config)
    : config_(std::move(config)), state_(new State) {}

Daemon::~Daemon() { Stop(); }

const std::string& Daemon::grpc_address() const { return state_->grpc_address; }
const std::string& Daemon::http_address() const { return state_->http_address; }
const std::string& Daemon::client_token() const { return state_->client_token; }
const std::string& Daemon::agent_token() const { return state_->agent_token; }
const HttpApi* Daemon::http_api() const { return state_->http.get(); }

absl::Status Daemon::Start() {
  State& s = *state_;
  auto log = Logger("server");
  std::error_code ec;
  const fs::path data = fs::absolute(config_.data_dir, ec);
  fs::create_directories(data / "builds", ec);
  if (ec)
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", data.string()));

  // Storage.
  absl::StatusOr<std::unique_ptr<base::Database>> db =
      base::Database::Open((data / "mcutune.db").string());
  if (!db.ok()) return db.status();
  s.db = std::shared_ptr<base::Database>(std::move(*db));
  absl::StatusOr<std::unique_ptr<tuner::Store>> store =
      tuner::Store::Attach(s.db);
  if (!store.ok()) return store.status();
  s.store = std::move(*store);
  absl::StatusOr<std::unique_ptr<device_farm::FarmStore>> farm_store =
      device_farm::FarmStore::Attach(s.db);
  if (!farm_store.ok()) return farm_store.status();
  s.farm_store = std::move(*farm_store);
  absl::StatusOr<std::unique_ptr<cost_model::ModelStore>> cost_store =
      cost_model::ModelStore::Attach(s.db);
  if (!cost_store.ok()) return cost_store.status();
  s.cost_store = std::move(*cost_store);
  absl::StatusOr<std::vector<std::string>> seeded =
      cost_model::ImportShippedData(*s.cost_store,
                                    cost_model::DefaultCostModelsDir(),
                                    tuner::CodegenVersion());
  if (!seeded.ok()) return seeded.status();
  if (!seeded->empty()) {
    log->info(
        "cost model: seeded {} board kinds from the shipped calibration data",
        seeded->size());
  }

  // Boards and the farm.
  absl::StatusOr<std::vector<space::BoardSpec>> catalogue =
      space::LoadBoardCatalogue(config_.boards_dir.empty()
                                    ? space::DefaultBoardsDir()
                                    : config_.boards_dir);
  if (!catalogue.ok()) return catalogue.status();
  s.catalogue = std::move(*catalogue);
  device_farm::SchedulerOptions so;
  std::vector<std::unique_ptr<device_farm::Board>> boards;
  if (!config_.farm_inventory.empty()) {
    absl::StatusOr<device_farm::Inventory> inventory =
        device_farm::LoadInventory(config_.farm_inventory, s.catalogue);
    if (!inventory.ok()) return inventory.status();
    device_farm::ApplyInventory(*inventory, &so);
    absl::StatusOr<std::vector<std::unique_ptr<device_farm::Board>>> built =
        device_farm::BuildBoards(*inventory, s.catalogue);
    if (!built.ok()) return built.status();
    boards = std::move(*built);
  }
  const size_t board_count = boards.size();
  absl::StatusOr<std::unique_ptr<device_farm::Scheduler>> scheduler =
      device_farm::MakeScheduler(s.farm_store, std::move(boards), so);
  if (!scheduler.ok()) return scheduler.status();
  s.scheduler = std::move(*scheduler);
  // Boards quarantined because a program or device was missing (the
  // scheduler quarantines on NOT_FOUND) get another chance on every start:
  // the daemon has no health checks, and a restart is how an operator says
  // "fixed" (e.g. PATH now has qemu-system-arm). Still missing: quarantined
  // again at their first run.
  if (absl::StatusOr<std::vector<device_farm::BoardStatus>> st =
          s.scheduler->Boards();
      st.ok()) {
    for (const device_farm::BoardStatus& b : *st) {
      if (b.record.state == device_farm::BoardState::kQuarantined &&
          b.record.quarantine_reason.rfind(kToolNotFound, 0) == 0 &&
          s.scheduler->Enable(b.record.uri).ok()) {
        log->info("farm: {} enabled again (was quarantined: {})", b.record.uri,
                  b.record.quarantine_reason);
      }
    }
  }
  log->info("farm: {} boards from {}", board_count,
            config_.farm_inventory.empty() ? "(none)" : config_.farm_inventory);

  // Tuning.
  s.measurer = tuner::MakeSchedulerMeasurer(s.scheduler.get());
  tuner::CodegenFirmwareOptions fo;
  fo.portable_kernels = config_.tuning.portable_kernels;
  s.firmware = tuner::MakeCodegenFirmwareFactory(fo);
  tuner::TuneEnvironment env;
  env.store = s.store.get();
  env.measurer = s.measurer.get();
  env.firmware = s.firmware.get();
  env.cost_store = s.cost_store.get();
  env.catalogue = s.catalogue;
  env.builds_dir = (data / "builds").string();
  env.options.patience = config_.tuning.patience;
  env.options.explore_fraction = config_.tuning.explore_fraction;
  env.options.measure_timeout = absl::Seconds(config_.tuning.measure_timeout_s);
  env.options.verify_on_host = config_.tuning.verify_on_host;
  tuner::JobRunnerOptions ro;
  ro.max_concurrent_jobs = config_.limits.max_concurrent_jobs;
  s.runner = std::make_unique<tuner::JobRunner>(env, ro);
  if (absl::Status st = s.runner->Start(); !st.ok()) return st;

  // Nightly sweeps (docs/sweeps.md): their jobs go to the runner above.
  absl::StatusOr<std::unique_ptr<tuner::SweepStore>> sweep_store =
      tuner::SweepStore::Attach(s.db);
  if (!sweep_store.ok()) return sweep_store.status();
  s.sweep_store = std::move(*sweep_store);
  if (!config_.sweeps_dir.empty()) {
    absl::StatusOr<std::vector<tuner::SweepDefinition>> defs =
        tuner::LoadSweepDefinitions(config_.sweeps_dir, s.catalogue);
    if (!defs.ok()) return defs.status();
    tuner::SweepEnvironment se;
    se.store = s.store.get();
    se.runner = s.runner.get();
    se.measurer = s.measurer.get();
    se.cost_store = s.cost_store.get();
    se.sweeps = s.sweep_store.get();
    se.catalogue = s.catalogue;
    se.builds_dir = env.builds_dir;
    se.reports_dir = (data / "sweeps").string();
    se.measure_timeout = env.options.measure_timeout;
    const size_t count = defs->size();
    s.sweeps = std::make_unique<tuner::SweepManager>(std::move(se),
                                                     std::move(*defs));
    if (absl::Status st = s.sweeps->Start(); !st.ok()) return st;
    log->info("sweeps: {} from {}", count, config_.sweeps_dir);
  }
  s.sweep_api = std::make_unique<SweepApi>(s.sweeps.get(), data.string());

  // Authentication.
  if (config_.auth.enabled) {
    absl::StatusOr<std::string> client =
        LoadOrCreateToken(config_.auth.client_token_file.empty()
                              ? (data / "client.token").string()
                              : config_.auth.client_token_file,
                          config_.auth.client_token_env);
    if (!client.ok()) return client.status();
    absl::StatusOr<std::string> agent = LoadOrCreateToken(
        config_.auth.agent_token_file.empty() ? (data / "agent.token").string()
                                              : config_.auth.agent_token_file,
        config_.auth.agent_token_env);
    if (!agent.ok()) return agent.status();
    if (*client == *agent) {
      return absl::InvalidArgumentError(
          "the client and agent tokens must differ");
    }
    s.client_token = *client;
    s.agent_token = *agent;
    s.auth = std::make_unique<Authenticator>(*client, *agent);
  } else {
    log->warn(
        "authentication is DISABLED (config \"auth\": \"disabled\"): local use "
        "only");
    s.auth = std::make_unique<Authenticator>(Authenticator::Disabled());
  }

  // Services.
  TuningCoreOptions co;
  co.max_model_bytes = config_.limits.max_model_bytes;
  co.max_queued_jobs = config_.limits.max_queued_jobs;
  co.builds_dir = env.builds_dir;
  s.core = std::make_unique<TuningCore>(s.store.get(), s.runner.get(),
                                        s.catalogue, s.scheduler.get(), co);
  s.tuning_service =
      std::make_unique<TuningService>(s.core.get(), s.auth.get(), &s.stopping);
  AgentRegistryOptions ao;
  ao.lease = absl::Seconds(config_.agents.lease_s);
  ao.heartbeat = absl::Seconds(config_.agents.heartbeat_s);
  s.registry =
      std::make_unique<AgentRegistry>(s.scheduler.get(), s.catalogue, ao);
  s.agent_service =
      std::make_unique<FarmAgentService>(s.registry.get(), s.auth.get());
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      GrpcCredentials(config_.tls);
  if (!credentials.ok()) return credentials.status();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config_.listen, *credentials, &port);
  builder.SetMaxReceiveMessageSize(4 << 20);
  builder.RegisterService(s.tuning_service.get());
  builder.RegisterService(s.agent_service.get());
  s.sweep_service =
      std::make_unique<SweepService>(s.sweep_api.get(), s.auth.get());
  builder.RegisterService(s.sweep_service.get());
  s.grpc_server = builder.BuildAndStart();
  if (s.grpc_server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config_.listen));
  }
  s.grpc_address = absl::StrCat(HostOf(config_.listen), ":", port);
  if (!config_.http_listen.empty()) {
    tuner::JobRunner* runner = s.runner.get();
    s.http = std::make_unique<HttpApi>(
        s.core.get(), s.auth.get(),
        [runner] {
          return absl::StrCat(
              "{\"status\":\"ok\",\"jobs_running\":", runner->running(),
              ",\"jobs_queued\":", runner->queued(), "}\n");
        },
        config_.tls);
    // The Sweeps API (paths disjoint from the dashboard's).
    AddSweepRoutes(s.http.get(), s.sweep_api.get());
    DashboardDataOptions dopt;
    dopt.builds_dir = env.builds_dir;
    s.dashboard = std::make_unique<DashboardData>(
        s.store.get(), s.scheduler.get(), s.registry.get(), s.catalogue, dopt);
    const std::string web_dir =
        config_.web_dir.empty() ? DefaultWebDir() : config_.web_dir;
    if (!AddDashboardRoutes(s.http.get(), s.dashboard.get(), web_dir)) {
      log->warn(
          "dashboard not built (no index.html in '{}'): serving the API only",
          web_dir);
    }
    absl::StatusOr<int> http_port = s.http->Start(config_.http_listen);
    if (!http_port.ok()) return http_port.status();
    s.http_address = absl::StrCat(HostOf(config_.http_listen), ":", *http_port);
  }
  s.info_path = (data / "daemon.json").string();
  {
    std::ofstream info(s.info_path + ".tmp");
    info << "{\"pid\":" << getpid() << ",\"grpc\":\"" << s.grpc_address
         << "\",\"http\":\"" << s.http_address
         << "\",\"tls\":" << (config_.tls.enabled() ? "true" : "false")
         << "}\n";
  }
  fs::rename(s.info_path + ".tmp", s.info_path, ec);
  log->info("mcutuned listening: grpc {} http {} data {} auth {} tls {}",
            s.grpc_address, s.http_address.empty() ? "off" : s.http_address,
            data.string(), config_.auth.enabled ? "on" : "DISABLED",
            config_.tls.enabled() ? "on" : "off");
  return absl::OkStatus();
}

void Daemon::Stop() {
  State& s = *state_;
  if (s.stopped) return;
  s.stopped = true;
  auto log = Logger("server");
  s.stopping = true;
  if (s.registry) s.registry->Shutdown();
  if (s.grpc_server) {
    s.grpc_server->Shutdown(std::chrono::system_clock::now() +
                            std::chrono::seconds(5));
  }
  if (s.sweeps) s.sweeps->Shutdown();  // before the jobs it waits for
  if (s.runner) s.runner->Shutdown();
  if (s.http) s.http->Stop();
  if (s.scheduler) s.scheduler->Stop();
  if (!s.info_path.empty()) {
    std::error_code ec;
    fs::remove(s.info_path, ec);
  }
  log->info("mcutuned stopped");
}

}  // namespace mcutune::server
