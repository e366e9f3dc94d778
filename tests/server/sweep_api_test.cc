// The Sweeps API of an in-process mcutuned with a sweeps directory: gRPC
// (every call's bad-input and token answers), the HTTP routes the dashboard
// reads, and `mcutune sweep list|run|report`. The sweep's only item cannot
// fit its 2 KiB SRAM budget, so its job fails at once: these tests exercise
// the API, not the tuning (tests/tuner/sweep_runner_test.cc does that).
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "proto/mcutune/v1/mcutune.grpc.pb.h"
#include "server/daemon/daemon.h"
#include "server/daemon/daemon_config.h"
#include "tests/testing/cli_runner.h"

namespace mcutune::testing {
namespace {

namespace fs = std::filesystem;
namespace pb = ::mcutune::v1;
using Json = nlohmann::json;

constexpr char kFast[] = R"({
  "description": "fails fast", "schedule": "0 2 * * *",
  "models": ["ds-cnn-kws"], "board_kinds": ["qemu-f746"],
  "constraints": [{"name": "tiny", "sram_budget": 2048}],
  "measurement_budget": 1
})";

struct SweepDaemon {
  fs::path dir = MakeTempDir("mcutuned_sweeps");
  std::unique_ptr<server::Daemon> daemon;
  std::unique_ptr<pb::Sweeps::Stub> sweeps;
  std::unique_ptr<httplib::Client> http;
  httplib::Headers auth;

  explicit SweepDaemon(bool with_sweeps = true) {
    fs::create_directories(dir / "sweeps");
    std::ofstream(dir / "sweeps" / "fast.json") << kFast;
    server::DaemonConfig c;
    c.listen = "127.0.0.1:0";
    c.http_listen = "127.0.0.1:0";
    c.data_dir = (dir / "data").string();
    c.boards_dir = MCUTUNE_SOURCE_DIR "/configs/boards";
    c.farm_inventory = "";
    c.web_dir = (dir / "no-web").string();
    if (with_sweeps) c.sweeps_dir = (dir / "sweeps").string();
    daemon = std::make_unique<server::Daemon>(c);
    const absl::Status s = daemon->Start();
    INFO(s.message());
    REQUIRE(s.ok());
    sweeps = pb::Sweeps::NewStub(grpc::CreateChannel(
        daemon->grpc_address(), grpc::InsecureChannelCredentials()));
    const std::string addr = daemon->http_address();
    const size_t colon = addr.rfind(':');
    http = std::make_unique<httplib::Client>(addr.substr(0, colon),
                                             std::stoi(addr.substr(colon + 1)));
    auth = {{"Authorization", "Bearer " + daemon->client_token()}};
  }
  ~SweepDaemon() {
    daemon->Stop();
    fs::remove_all(dir);
  }
  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(20));
    return ctx;
  }
  std::unique_ptr<grpc::ClientContext> Client() const {
    return Ctx(daemon->client_token());
  }
  // Polls GetSweepRun until the run ends.
  pb::SweepRun AwaitRun(const std::string& id) {
    pb::SweepRun run;
    for (int i = 0; i < 600; ++i) {
      pb::GetSweepRunRequest g;
      g.set_run_id(id);
      REQUIRE(sweeps->GetSweepRun(Client().get(), g, &run).ok());
      if (run.state() == "done" || run.state() == "failed" ||
          run.state() == "interrupted") {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return run;
  }
  std::vector<std::string> CliFlags() const {
    return {"--server", daemon->grpc_address(), "--token",
            daemon->client_token()};
  }
};

TEST_CASE("sweeps over gRPC: list, run, run status, report, bad input") {
  SweepDaemon d;
  pb::ListSweepsResponse list;
  REQUIRE(d.sweeps->ListSweeps(d.Client().get(), pb::ListSweepsRequest(), &list)
              .ok());
  CHECK(list.configured());
  REQUIRE(list.sweeps_size() == 1);
  const pb::Sweep& s = list.sweeps(0);
  CHECK(s.name() == "fast");
  CHECK(s.schedule() == "0 2 * * *");
  CHECK(s.items() == 1);
  CHECK(s.next_run_at().find("T02:00:00") != std::string::npos);
  CHECK(s.constraints(0) == "tiny");
  CHECK(s.last_run().id().empty());

  // Tokens: none, the agent's.
  pb::ListSweepsResponse ignored;
  CHECK(d.sweeps->ListSweeps(d.Ctx("").get(), pb::ListSweepsRequest(), &ignored)
            .error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(d.sweeps
            ->ListSweeps(d.Ctx(d.daemon->agent_token()).get(),
                         pb::ListSweepsRequest(), &ignored)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);

  // Bad input.
  pb::SweepRun run;
  pb::RunSweepRequest bad;
  bad.set_name("no such");
  CHECK(d.sweeps->RunSweep(d.Client().get(), bad, &run).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_name("nope");
  const grpc::Status nf = d.sweeps->RunSweep(d.Client().get(), bad, &run);
  CHECK(nf.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(nf.error_message().find("configured: fast") != std::string::npos);
  pb::GetSweepRunRequest g;
  g.set_run_id("x");
  CHECK(d.sweeps->GetSweepRun(d.Client().get(), g, &run).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  g.set_run_id("r000000000000");
  CHECK(d.sweeps->GetSweepRun(d.Client().get(), g, &run).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  pb::GetSweepReportRequest rr;
  rr.set_name("fast");
  rr.set_runs_limit(5000);
  pb::SweepReport rep;
  CHECK(d.sweeps->GetSweepReport(d.Client().get(), rr, &rep).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  rr.set_runs_limit(0);
  rr.set_run_id("bad");
  CHECK(d.sweeps->GetSweepReport(d.Client().get(), rr, &rep).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  rr.set_run_id("");
  REQUIRE(d.sweeps->GetSweepReport(d.Client().get(), rr, &rep).ok());
  CHECK(rep.runs_size() == 0);
  CHECK(rep.markdown().empty());

  // A run now: its item fails (nothing fits 2 KiB), the run is "failed".
  pb::RunSweepRequest req;
  req.set_name("fast");
  REQUIRE(d.sweeps->RunSweep(d.Client().get(), req, &run).ok());
  CHECK(run.trigger() == "manual");
  CHECK_FALSE(run.id().empty());
  const pb::SweepRun done = d.AwaitRun(run.id());
  CHECK(done.state() == "failed");
  CHECK(done.counts().items() == 1);
  CHECK(done.counts().failed() == 1);
  CHECK(done.counts().jobs() == 1);
  REQUIRE(done.items_size() == 1);
  CHECK(done.items(0).key() == "ds-cnn-kws/qemu-f746/tiny");
  CHECK(done.items(0).action() == "tune");
  CHECK(done.items(0).error().find("no candidate fits") != std::string::npos);
  CHECK(done.report_path() == "sweeps/fast/" + run.id() + ".md");
  CHECK(fs::exists(d.dir / "data" / done.report_path()));

  REQUIRE(d.sweeps->GetSweepReport(d.Client().get(), rr, &rep).ok());
  REQUIRE(rep.runs_size() == 1);
  CHECK(rep.run().id() == run.id());
  CHECK(rep.run().items_size() == 1);
  CHECK(rep.markdown().find("# Sweep `fast`") != std::string::npos);
  REQUIRE(d.sweeps->ListSweeps(d.Client().get(), pb::ListSweepsRequest(), &list)
              .ok());
  CHECK(list.sweeps(0).last_run().id() == run.id());
}

TEST_CASE("sweeps over HTTP: the routes the dashboard reads") {
  SweepDaemon d;
  auto list = d.http->Get("/api/v1/sweeps", d.auth);
  REQUIRE(list);
  CHECK(list->status == 200);
  Json j = Json::parse(list->body);
  CHECK(j["configured"] == true);
  REQUIRE(j["sweeps"].size() == 1);
  CHECK(j["sweeps"][0]["name"] == "fast");
  CHECK(j["sweeps"][0]["boardKinds"][0] == "qemu-f746");
  CHECK(d.http->Get("/api/v1/sweeps")->status == 401);
  CHECK(d.http->Get("/api/v1/sweeps/nope", d.auth)->status == 404);
  CHECK(d.http->Get("/api/v1/sweeps/fast?runs=x", d.auth)->status == 400);
  CHECK(d.http->Get("/api/v1/sweep-runs/bad", d.auth)->status == 400);
  CHECK(d.http->Post("/api/v1/sweeps/nope/run", d.auth, "", "application/json")
            ->status == 404);
  auto started =
      d.http->Post("/api/v1/sweeps/fast/run", d.auth, "", "application/json");
  REQUIRE(started);
  REQUIRE(started->status == 200);
  const std::string id = Json::parse(started->body)["id"];
  d.AwaitRun(id);
  auto run = d.http->Get("/api/v1/sweep-runs/" + id, d.auth);
  REQUIRE(run);
  CHECK(run->status == 200);
  CHECK(Json::parse(run->body)["items"].size() == 1);
  auto rep = d.http->Get("/api/v1/sweeps/fast", d.auth);
  REQUIRE(rep);
  REQUIRE(rep->status == 200);
  j = Json::parse(rep->body);
  CHECK(j["sweep"]["name"] == "fast");
  CHECK(j["runs"].size() == 1);
  CHECK(j["run"]["id"] == id);
  CHECK(j["run"]["counts"]["failed"] == 1);
  CHECK(j["run"]["items"][0]["key"] == "ds-cnn-kws/qemu-f746/tiny");
  CHECK(j["series"].is_array());
  CHECK(j["alerts"].is_array());
  CHECK(j["markdown"].get<std::string>().find("## Items") != std::string::npos);
  auto by_run =
      d.http->Get("/api/v1/sweeps/fast?run=" + id + "&runs=1", d.auth);
  REQUIRE(by_run);
  CHECK(Json::parse(by_run->body)["run"]["id"] == id);
}

TEST_CASE("sweeps: a daemon without sweeps_dir answers an empty list") {
  SweepDaemon d(/*with_sweeps=*/false);
  auto list = d.http->Get("/api/v1/sweeps", d.auth);
  REQUIRE(list);
  CHECK(list->status == 200);
  const Json j = Json::parse(list->body);
  CHECK(j["configured"] == false);
  CHECK(j["sweeps"].empty());
  pb::SweepRun run;
  pb::RunSweepRequest req;
  req.set_name("fast");
  CHECK(d.sweeps->RunSweep(d.Client().get(), req, &run).error_code() ==
        grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("sweeps: a bad definition stops the daemon from starting") {
  const fs::path dir = MakeTempDir("mcutuned_badsweep");
  fs::create_directories(dir / "sweeps");
  std::ofstream(dir / "sweeps" / "broken.json")
      << R"({"schedule": "0 25 * * *", "models": ["ds-cnn-kws"], "board_kinds": ["qemu-f746"]})";
  server::DaemonConfig c;
  c.listen = "127.0.0.1:0";
  c.http_listen = "";
  c.data_dir = (dir / "data").string();
  c.boards_dir = MCUTUNE_SOURCE_DIR "/configs/boards";
  c.farm_inventory = "";
  c.sweeps_dir = (dir / "sweeps").string();
  server::Daemon daemon(c);
  const absl::Status s = daemon.Start();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find("broken.json") != std::string::npos);
  CHECK(std::string(s.message()).find("hour") != std::string::npos);
  daemon.Stop();
  // The config key itself.
  CHECK(server::ParseDaemonConfig(R"({"sweeps_dir": "configs/sweeps"})", "c")
            ->sweeps_dir == "configs/sweeps");
  CHECK_FALSE(server::ParseDaemonConfig(R"({"sweeps_dir": 3})", "c").ok());
  fs::remove_all(dir);
}

TEST_CASE("mcutune sweep list | run --now --wait | report") {
  SweepDaemon d;
  auto with = [&](std::vector<std::string> args) {
    for (const std::string& f : d.CliFlags()) args.push_back(f);
    return RunMcutune(args);
  };
  CliRun list = with({"sweep", "list"});
  INFO(list.err);
  CHECK(list.exit_code == 0);
  CHECK(list.out.find("fast") != std::string::npos);
  CHECK(list.out.find("0 2 * * *") != std::string::npos);
  CliRun no_now = with({"sweep", "run", "fast"});
  CHECK(no_now.exit_code == 2);
  CHECK(no_now.err.find("--now") != std::string::npos);
  CliRun nope = with({"sweep", "run", "nope", "--now"});
  CHECK(nope.exit_code == 1);
  CHECK(nope.err.find("no sweep named 'nope'") != std::string::npos);
  // The run fails (nothing fits): exit 1 after following it to the end.
  CliRun run = with({"sweep", "run", "fast", "--now", "--wait"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK(run.out.find(" failed: 1 items: 0 tuned") != std::string::npos);
  CliRun md = with({"sweep", "report", "fast", "--markdown"});
  CHECK(md.exit_code == 0);
  CHECK(md.out.find("# Sweep `fast`") != std::string::npos);
  CliRun text = with({"sweep", "report", "fast"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("ds-cnn-kws/qemu-f746/tiny") != std::string::npos);
  CliRun json = with({"sweep", "report", "fast", "--json"});
  CHECK(json.exit_code == 0);
  CHECK(Json::parse(json.out)["runs"].size() == 1);
  CHECK(with({"sweep", "bogus"}).exit_code == 2);
}

}  // namespace
}  // namespace mcutune::testing
