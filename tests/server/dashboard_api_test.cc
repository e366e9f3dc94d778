// The dashboard's side of the daemon (http_dashboard_api.h, dashboard_data.h):
// static files or the "not built" page, token checks and input validation of
// the new routes over loopback HTTP, and the per-step memory map checked
// against an independent count (space::FormatMemoryMapCsv's step_sram_bytes)
// and the metrics Enumerate stored, for one candidate of every strategy.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_split.h"
#include "graph/tflite_reader.h"
#include "server/daemon/daemon.h"
#include "server/daemon/dashboard_data.h"
#include "tests/server/daemon_fixture.h"
#include "tuner/job_records.h"
#include "tuner/space/enumerate.h"
#include "tuner/space/plan_format.h"
#include "tuner/tune_request.h"

namespace mcutune::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// An in-process daemon with auth on, no farm boards and `web_dir`.
struct WebDaemon {
  fs::path dir = MakeTempDir("mcutuned_web");
  std::unique_ptr<server::Daemon> daemon;
  std::unique_ptr<httplib::Client> http;
  httplib::Headers auth;

  explicit WebDaemon(const std::string& web_dir) {
    server::DaemonConfig c;
    c.listen = "127.0.0.1:0";
    c.http_listen = "127.0.0.1:0";
    c.data_dir = (dir / "data").string();
    c.boards_dir = MCUTUNE_SOURCE_DIR "/configs/boards";
    c.farm_inventory = "";
    c.web_dir = web_dir;
    daemon = std::make_unique<server::Daemon>(c);
    const absl::Status s = daemon->Start();
    INFO(s.message());
    REQUIRE(s.ok());
    const std::string addr = daemon->http_address();
    const size_t colon = addr.rfind(':');
    http = std::make_unique<httplib::Client>(addr.substr(0, colon),
                                             std::stoi(addr.substr(colon + 1)));
    auth = {{"Authorization", "Bearer " + daemon->client_token()}};
  }
  ~WebDaemon() {
    daemon->Stop();
    fs::remove_all(dir);
  }
};

TEST_CASE("dashboard: without a built dashboard / says so and the API works") {
  const fs::path empty = MakeTempDir("mcutune_noweb");
  WebDaemon d(empty.string());
  auto page = d.http->Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type").find("text/html") == 0);
  CHECK(page->body.find("dashboard was not built") != std::string::npos);
  CHECK(page->body.find(empty.string()) != std::string::npos);
  auto boards = d.http->Get("/api/v1/boards", d.auth);
  REQUIRE(boards);
  CHECK(boards->status == 200);
  fs::remove_all(empty);
}

TEST_CASE("dashboard: static files without a token, new routes need one") {
  const fs::path web = MakeTempDir("mcutune_web_dist");
  fs::create_directories(web / "assets");
  std::ofstream(web / "index.html") << "<!doctype html><title>dash</title>";
  std::ofstream(web / "assets" / "app.js") << "console.log(1)";
  WebDaemon d(web.string());
  auto index = d.http->Get("/");
  REQUIRE(index);
  CHECK(index->status == 200);
  CHECK(index->body == "<!doctype html><title>dash</title>");
  auto js = d.http->Get("/assets/app.js");
  REQUIRE(js);
  CHECK(js->status == 200);
  CHECK(js->body == "console.log(1)");
  auto outside = d.http->Get("/../mcutune.db");
  REQUIRE(outside);
  CHECK(outside->status != 200);

  for (const char* path :
       {"/api/v1/farm", "/api/v1/sweeps", "/api/v1/jobs/j1/plan?candidate=a/b",
        "/api/v1/jobs/j1/measurements?candidate=a/b",
        "/api/v1/jobs/j1/firmware?candidate=a/b"}) {
    INFO(path);
    auto anon = d.http->Get(path);
    REQUIRE(anon);
    CHECK(anon->status == 401);
    auto wrong = d.http->Get(
        path, {{"Authorization", "Bearer " + d.daemon->agent_token()}});
    REQUIRE(wrong);
    CHECK(wrong->status == 403);
  }
  auto drain = d.http->Post("/api/v1/farm/drain?uri=qemu://x/0");
  REQUIRE(drain);
  CHECK(drain->status == 401);
  fs::remove_all(web);
}

TEST_CASE("dashboard: routes validate their inputs") {
  WebDaemon d("");
  auto status = [&](const std::string& path, bool post = false) {
    auto r = post ? d.http->Post(path, d.auth, "", "text/plain")
                  : d.http->Get(path, d.auth);
    REQUIRE(r);
    if (r->status != 200) {
      const Json j = Json::parse(r->body, nullptr, false);
      CHECK(j.contains("error"));
    }
    return r->status;
  };
  CHECK(status("/api/v1/jobs/j1/plan") == 400);  // no candidate
  CHECK(status("/api/v1/jobs/j1/plan?candidate=") == 400);
  CHECK(status("/api/v1/jobs/j1/plan?candidate=qemu-f746/..%2F..%2Fx") == 400);
  CHECK(status("/api/v1/jobs/J..1/plan?candidate=a/b") == 400);
  CHECK(status("/api/v1/jobs/j1/plan?candidate=" + std::string(400, 'a')) ==
        400);
  CHECK(status("/api/v1/jobs/j00000000ffff/plan?candidate=qemu-f746/x") == 404);
  CHECK(status("/api/v1/jobs/j00000000ffff/measurements?candidate=a/b") == 404);
  CHECK(status("/api/v1/jobs/j1/firmware?candidate=a/b&format=exe") == 400);
  CHECK(status("/api/v1/farm/drain", true) == 400);  // no uri
  CHECK(status("/api/v1/farm/drain?uri=", true) == 400);
  CHECK(status("/api/v1/farm/drain?uri=qemu%3A%2F%2Fnone%2F0", true) == 404);
  CHECK(status("/api/v1/farm/enable?uri=a%20b", true) == 400);
  auto farm = d.http->Get("/api/v1/farm", d.auth);
  REQUIRE(farm);
  REQUIRE(farm->status == 200);
  const Json f = Json::parse(farm->body);
  CHECK(f["boards"].empty());
  CHECK(f["queue"].empty());
  CHECK(f["window_s"] == 3600);
  auto sweeps = d.http->Get("/api/v1/sweeps", d.auth);
  REQUIRE(sweeps);
  CHECK(sweeps->status == 200);
  CHECK(Json::parse(sweeps->body)["sweeps"].empty());
}

// step -> step_sram_bytes from FormatMemoryMapCsv (the CLI's memory map).
std::map<int, int64_t> CsvStepBytes(const graph::Graph& g,
                                    const space::Plan& plan) {
  std::map<int, int64_t> out;
  std::istringstream in(space::FormatMemoryMapCsv(g, plan));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    // Names are quoted when they hold commas; the first and last fields are
    // plain numbers.
    const size_t first = line.find(',');
    const size_t last = line.rfind(',');
    out[std::stoi(line.substr(0, first))] = std::stoll(line.substr(last + 1));
  }
  return out;
}

TEST_CASE("dashboard: the memory map of every strategy against the plan") {
  std::unique_ptr<tuner::Store> store = *tuner::Store::Open(":memory:");
  const std::string bytes = SmallModelBytes();
  const graph::Graph g = *graph::ImportTflite(absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  tuner::ModelRecord m;
  m.id = device_farm::Sha256Hex(bytes.data(), bytes.size());
  m.name = "ds-cnn-kws";
  m.size_bytes = static_cast<int64_t>(bytes.size());
  m.summary_json = "{}";
  m.analysis_json = "{}";
  REQUIRE(store->PutModel(m, bytes).ok());
  const std::vector<space::BoardSpec> catalogue =
      *space::LoadBoardCatalogue(MCUTUNE_SOURCE_DIR "/configs/boards");
  tuner::TuneRequest req;
  req.model_id = m.id;
  req.board_kinds = {"qemu-f746"};
  REQUIRE(tuner::ValidateTuneRequest(catalogue, &req).ok());
  tuner::JobRecord job;
  job.id = "j0000000000aa";
  job.model_id = m.id;
  job.request_json = tuner::TuneRequestToJson(req);
  REQUIRE(store->CreateJob(job).ok());

  // The job's space as the tuner enumerates it, with full plans for the
  // independent count.
  const space::BoardSpec board = *std::find_if(
      catalogue.begin(), catalogue.end(),
      [](const space::BoardSpec& b) { return b.id == "qemu-f746"; });
  space::Constraints constraints = tuner::ConstraintsFor(req);
  constraints.keep_plan_details = true;
  constraints.keep_unfit = false;
  const space::SpaceResult space = *space::Enumerate(g, board, constraints);
  std::map<std::string, const space::Plan*> one_per_strategy;
  std::vector<tuner::CandidateRecord> rows;
  for (const space::Plan& p : space.plans) {
    const std::string strategy = space::StrategyName(p.candidate.strategy);
    // The in-place variant of layer-wise too (aliased buffers).
    const std::string key =
        strategy + (p.candidate.inplace_depthwise ? "" : "-noip");
    if (one_per_strategy.count(key)) continue;
    one_per_strategy[key] = &p;
    tuner::CandidateRecord r;
    r.job_id = job.id;
    r.board_kind = board.id;
    r.candidate_id = p.candidate.Id();
    r.strategy = strategy;
    r.metrics_json = tuner::PlanMetricsJson(p);
    rows.push_back(r);
  }
  REQUIRE(one_per_strategy.size() >= 4);
  REQUIRE(store->AddCandidates(rows).ok());

  server::DashboardDataOptions o;
  o.builds_dir = MakeTempDir("mcutune_dash_builds").string();
  server::DashboardData data(store.get(), nullptr, nullptr, catalogue, o);
  for (const auto& [name, plan] : one_per_strategy) {
    INFO(name << " " << plan->candidate.Id());
    absl::StatusOr<std::string> text =
        data.CandidatePlan(job.id, board.id + "/" + plan->candidate.Id());
    INFO(text.status().message());
    REQUIRE(text.ok());
    const Json j = Json::parse(*text);
    CHECK(j["peak_sram_bytes"] == plan->memory.peak_sram_bytes);
    CHECK(j["stored_peak_sram_bytes"] == plan->memory.peak_sram_bytes);
    const Json& s = j["steps"];
    REQUIRE(s["total"].size() == plan->steps.size());
    const std::map<int, int64_t> csv = CsvStepBytes(g, *plan);
    int64_t max_total = 0;
    for (size_t i = 0; i < plan->steps.size(); ++i) {
      const int64_t total = s["total"][i];
      int64_t parts = 0;
      for (const char* k :
           {"input", "output", "other", "stream", "overlay", "scratch"}) {
        CHECK(s[k][i].get<int64_t>() >= 0);
        parts += s[k][i].get<int64_t>();
      }
      CHECK(parts == total);
      auto it = csv.find(static_cast<int>(i));
      CHECK(total == (it == csv.end() ? 0 : it->second));
      CHECK(total <= plan->memory.peak_sram_bytes);
      max_total = std::max(max_total, total);
    }
    CHECK(j["peak_live_bytes"] == max_total);
    int64_t macs = 0;
    for (const Json& op : j["ops"]) macs += op["macs"].get<int64_t>();
    CHECK(macs == plan->metrics.macs_total);
  }
  // Measurements of a candidate never run: empty, no prediction.
  absl::StatusOr<std::string> ms =
      data.CandidateMeasurements(job.id, rows[0].key());
  REQUIRE(ms.ok());
  const Json mj = Json::parse(*ms);
  CHECK(mj["measurements"].empty());
  CHECK(mj["spread"].is_null());
  CHECK(mj["prediction"]["comparable"] == false);
  // No bundle yet: no firmware.
  CHECK(absl::IsFailedPrecondition(
      data.Firmware(job.id, rows[0].key(), "elf").status()));
  CHECK(absl::IsNotFound(
      data.CandidatePlan(job.id, board.id + "/layerwise-nosuch").status()));
  fs::remove_all(o.builds_dir);
}

}  // namespace
}  // namespace mcutune::testing
