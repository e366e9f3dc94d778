// Every RPC's answer to bad input, missing or wrong tokens, over real gRPC
// and HTTP on loopback against an in-process daemon (no farm boards).
#include <httplib.h>

#include <functional>
#include <thread>

#include "tests/server/daemon_fixture.h"

namespace mcutune::testing {
namespace {

using grpc::StatusCode;

std::string Code(const grpc::Status& s) {
  return std::to_string(s.error_code()) + " " + s.error_message();
}

// One call per Tuning RPC with an otherwise valid-looking request.
std::vector<
    std::pair<std::string, std::function<grpc::Status(grpc::ClientContext*)>>>
TuningCalls(pb::Tuning::Stub& stub) {
  std::vector<
      std::pair<std::string, std::function<grpc::Status(grpc::ClientContext*)>>>
      calls;
  calls.push_back({"UploadModel", [&stub](grpc::ClientContext* c) {
                     pb::Model m;
                     return Upload(stub, c, pb::ModelHeader(),
                                   SmallModelBytes(), &m);
                   }});
  calls.push_back({"GetModel", [&stub](grpc::ClientContext* c) {
                     pb::GetModelRequest r;
                     r.set_model_id(std::string(64, 'a'));
                     pb::Model m;
                     return stub.GetModel(c, r, &m);
                   }});
  calls.push_back({"ListModels", [&stub](grpc::ClientContext* c) {
                     pb::ListModelsResponse m;
                     return stub.ListModels(c, pb::ListModelsRequest(), &m);
                   }});
  calls.push_back({"StartTuning", [&stub](grpc::ClientContext* c) {
                     pb::StartTuningRequest r;
                     r.set_model_id(std::string(64, 'a'));
                     r.add_board_kinds("qemu-f746");
                     pb::Job j;
                     return stub.StartTuning(c, r, &j);
                   }});
  calls.push_back({"GetJob", [&stub](grpc::ClientContext* c) {
                     pb::GetJobRequest r;
                     r.set_job_id("jabc");
                     pb::Job j;
                     return stub.GetJob(c, r, &j);
                   }});
  calls.push_back({"ListJobs", [&stub](grpc::ClientContext* c) {
                     pb::ListJobsResponse j;
                     return stub.ListJobs(c, pb::ListJobsRequest(), &j);
                   }});
  calls.push_back({"WatchJob", [&stub](grpc::ClientContext* c) {
                     pb::WatchJobRequest r;
                     r.set_job_id("jabc");
                     auto reader = stub.WatchJob(c, r);
                     pb::JobEvent e;
                     while (reader->Read(&e)) {
                     }
                     return reader->Finish();
                   }});
  calls.push_back({"CancelJob", [&stub](grpc::ClientContext* c) {
                     pb::CancelJobRequest r;
                     r.set_job_id("jabc");
                     pb::Job j;
                     return stub.CancelJob(c, r, &j);
                   }});
  calls.push_back({"GetParetoFront", [&stub](grpc::ClientContext* c) {
                     pb::GetParetoFrontRequest r;
                     r.set_job_id("jabc");
                     pb::ParetoFront f;
                     return stub.GetParetoFront(c, r, &f);
                   }});
  calls.push_back({"ListCandidates", [&stub](grpc::ClientContext* c) {
                     pb::ListCandidatesRequest r;
                     r.set_job_id("jabc");
                     pb::ListCandidatesResponse f;
                     return stub.ListCandidates(c, r, &f);
                   }});
  calls.push_back({"GetBuild", [&stub](grpc::ClientContext* c) {
                     pb::GetBuildRequest r;
                     r.set_job_id("jabc");
                     r.set_candidate("qemu-f746/layerwise");
                     auto reader = stub.GetBuild(c, r);
                     pb::BuildChunk e;
                     while (reader->Read(&e)) {
                     }
                     return reader->Finish();
                   }});
  calls.push_back({"ListBoards", [&stub](grpc::ClientContext* c) {
                     pb::ListBoardsResponse b;
                     return stub.ListBoards(c, pb::ListBoardsRequest(), &b);
                   }});
  return calls;
}

TEST_CASE("every Tuning RPC requires the client token") {
  InProcessDaemon d;
  for (auto& [name, call] : TuningCalls(*d.tuning)) {
    INFO(name);
    grpc::Status none = call(InProcessDaemon::Ctx("").get());
    CHECK(none.error_code() == StatusCode::UNAUTHENTICATED);
    grpc::Status wrong =
        call(InProcessDaemon::Ctx("not-the-token-0123456789").get());
    CHECK(wrong.error_code() == StatusCode::UNAUTHENTICATED);
    grpc::Status agent = call(d.Agent().get());
    INFO(Code(agent));
    CHECK(agent.error_code() == StatusCode::PERMISSION_DENIED);
  }
}

TEST_CASE("every FarmAgent RPC requires the agent token") {
  InProcessDaemon d;
  std::vector<std::function<grpc::Status(grpc::ClientContext*)>> calls = {
      [&](grpc::ClientContext* c) {
        pb::RegisterResponse r;
        return d.agent->Register(c, pb::RegisterRequest(), &r);
      },
      [&](grpc::ClientContext* c) {
        pb::LeaseRunResponse r;
        return d.agent->LeaseRun(c, pb::LeaseRunRequest(), &r);
      },
      [&](grpc::ClientContext* c) {
        pb::ReportResultResponse r;
        return d.agent->ReportResult(c, pb::ReportResultRequest(), &r);
      },
      [&](grpc::ClientContext* c) {
        pb::HeartbeatResponse r;
        return d.agent->Heartbeat(c, pb::HeartbeatRequest(), &r);
      }};
  for (auto& call : calls) {
    CHECK(call(InProcessDaemon::Ctx("").get()).error_code() ==
          StatusCode::UNAUTHENTICATED);
    CHECK(call(d.Client().get()).error_code() == StatusCode::PERMISSION_DENIED);
  }
}

TEST_CASE(
    "UploadModel: bad bytes, sizes and names are refused, models dedupe") {
  InProcessDaemon d(/*max_model_bytes=*/200 * 1024);
  const std::string good = SmallModelBytes();
  pb::Model m;
  auto upload = [&](const pb::ModelHeader& h, const std::string& bytes,
                    bool header = true) {
    return Upload(*d.tuning, d.Client().get(), h, bytes, &m, header);
  };
  pb::ModelHeader none;
  grpc::Status garbage = upload(none, std::string(4096, 'x'));
  INFO(Code(garbage));
  CHECK(garbage.error_code() == StatusCode::INVALID_ARGUMENT);
  CHECK(garbage.error_message().find("model rejected") != std::string::npos);
  CHECK(upload(none, good.substr(0, good.size() / 2)).error_code() ==
        StatusCode::INVALID_ARGUMENT);  // truncated
  std::string flipped = good;
  for (size_t i = 8; i < 64; ++i) flipped[i] ^= 0x5a;
  CHECK(upload(none, flipped).error_code() == StatusCode::INVALID_ARGUMENT);
  CHECK(upload(none, "").error_code() == StatusCode::INVALID_ARGUMENT);
  CHECK(upload(none, good, /*header=*/false).error_code() ==
        StatusCode::INVALID_ARGUMENT);
  CHECK(upload(none, std::string(300 * 1024, 'x')).error_code() ==
        StatusCode::RESOURCE_EXHAUSTED);
  pb::ModelHeader declared;
  declared.set_size_bytes(static_cast<int64_t>(good.size()) + 1);
  CHECK(upload(declared, good).error_code() == StatusCode::INVALID_ARGUMENT);
  declared.set_size_bytes(int64_t{1} << 40);
  CHECK(upload(declared, good).error_code() == StatusCode::RESOURCE_EXHAUSTED);
  pb::ModelHeader bad_name;
  bad_name.set_name("../../etc/passwd");
  CHECK(upload(bad_name, good).error_code() == StatusCode::INVALID_ARGUMENT);
  bad_name.set_name("a b;rm -rf");
  CHECK(upload(bad_name, good).error_code() == StatusCode::INVALID_ARGUMENT);
  pb::ModelHeader bad_sha;
  bad_sha.set_sha256(std::string(64, '0'));
  CHECK(upload(bad_sha, good).error_code() == StatusCode::INVALID_ARGUMENT);

  pb::ModelHeader named;
  named.set_name("kws");
  named.set_sha256(device_farm::Sha256Hex(good.data(), good.size()));
  REQUIRE(upload(named, good).ok());
  CHECK(m.id() == device_farm::Sha256Hex(good.data(), good.size()));
  CHECK_FALSE(m.deduplicated());
  CHECK(m.summary().macs() > 0);
  REQUIRE(upload(named, good).ok());
  CHECK(m.deduplicated());
  pb::GetModelRequest g;
  g.set_model_id(m.id());
  pb::Model full;
  REQUIRE(d.tuning->GetModel(d.Client().get(), g, &full).ok());
  CHECK(full.analysis_json().find("macs") != std::string::npos);
  g.set_model_id("xyz");
  CHECK(d.tuning->GetModel(d.Client().get(), g, &full).error_code() ==
        StatusCode::INVALID_ARGUMENT);
  g.set_model_id(std::string(64, 'f'));
  CHECK(d.tuning->GetModel(d.Client().get(), g, &full).error_code() ==
        StatusCode::NOT_FOUND);
}

TEST_CASE(
    "StartTuning: unknown model or board, impossible budgets, bad counts") {
  InProcessDaemon d;
  pb::Model m;
  REQUIRE(Upload(*d.tuning, d.Client().get(), pb::ModelHeader(),
                 SmallModelBytes(), &m)
              .ok());
  pb::StartTuningRequest base;
  base.set_model_id(m.id());
  base.add_board_kinds("qemu-f746");
  pb::Job job;
  auto start = [&](const pb::StartTuningRequest& r) {
    return d.tuning->StartTuning(d.Client().get(), r, &job);
  };
  auto expect = [&](std::function<void(pb::StartTuningRequest&)> mutate,
                    StatusCode code, const std::string& needle) {
    pb::StartTuningRequest r = base;
    mutate(r);
    grpc::Status s = start(r);
    INFO(Code(s));
    CHECK(s.error_code() == code);
    CHECK(s.error_message().find(needle) != std::string::npos);
  };
  expect([](auto& r) { r.set_model_id(std::string(64, 'e')); },
         StatusCode::NOT_FOUND, "upload it first");
  expect([](auto& r) { r.set_model_id("not-hex"); },
         StatusCode::INVALID_ARGUMENT, "model_id");
  expect([](auto& r) { r.set_board_kinds(0, "esp32"); },
         StatusCode::INVALID_ARGUMENT, "unknown board kind 'esp32'");
  expect([](auto& r) { r.clear_board_kinds(); }, StatusCode::INVALID_ARGUMENT,
         "board_kinds");
  expect([](auto& r) { r.mutable_constraints()->set_sram_budget_bytes(12); },
         StatusCode::INVALID_ARGUMENT, "sram_budget_bytes");
  expect([](auto& r) { r.mutable_constraints()->set_sram_budget_bytes(-4096); },
         StatusCode::INVALID_ARGUMENT, "sram_budget_bytes");
  expect(
      [](auto& r) {
        r.mutable_constraints()->set_flash_budget_bytes(int64_t{1} << 33);
      },
      StatusCode::INVALID_ARGUMENT, "flash_budget_bytes");
  expect([](auto& r) { r.mutable_constraints()->set_max_n_patch(99); },
         StatusCode::INVALID_ARGUMENT, "max_n_patch");
  expect([](auto& r) { r.set_measurement_budget(-1); },
         StatusCode::INVALID_ARGUMENT, "measurement_budget");
  expect([](auto& r) { r.set_batch_size(65); }, StatusCode::INVALID_ARGUMENT,
         "batch_size");
  expect([](auto& r) { r.set_runs_per_measurement(1000); },
         StatusCode::INVALID_ARGUMENT, "runs_per_measurement");
  expect([](auto& r) { r.add_objectives(static_cast<pb::Objective>(42)); },
         StatusCode::INVALID_ARGUMENT, "objectives");
  expect([](auto& r) { r.add_objectives(pb::OBJECTIVE_FLASH); },
         StatusCode::INVALID_ARGUMENT, "latency is required");
  // A valid request for a kind the farm has no board of cannot run.
  expect([](auto&) {}, StatusCode::FAILED_PRECONDITION,
         "no board of kind 'qemu-f746'");
  // Once an agent serves one, it is queued; cancelling it ends it.
  pb::RegisterRequest reg;
  reg.set_agent_name("lab");
  pb::AgentBoard* board = reg.add_boards();
  board->set_uri("qemu://qemu-f746/lab");
  board->set_kind("qemu-f746");
  pb::RegisterResponse registered;
  REQUIRE(d.agent->Register(d.Agent().get(), reg, &registered).ok());
  REQUIRE(start(base).ok());
  CHECK(job.state() == pb::JOB_STATE_QUEUED);
  CHECK(job.model_name() == "ds-cnn-kws");
  pb::CancelJobRequest c;
  c.set_job_id(job.id());
  pb::Job cancelled;
  REQUIRE(d.tuning->CancelJob(d.Client().get(), c, &cancelled).ok());
  pb::GetJobRequest g;
  g.set_job_id(job.id());
  for (int i = 0; i < 300 && cancelled.state() != pb::JOB_STATE_CANCELLED;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(d.tuning->GetJob(d.Client().get(), g, &cancelled).ok());
  }
  CHECK(cancelled.state() == pb::JOB_STATE_CANCELLED);
  CHECK(d.tuning->CancelJob(d.Client().get(), c, &cancelled).error_code() ==
        StatusCode::FAILED_PRECONDITION);
  // Its events replay to the end (the watch finishes on a finished job).
  pb::WatchJobRequest w;
  w.set_job_id(job.id());
  auto ctx = d.Client();
  auto reader = d.tuning->WatchJob(ctx.get(), w);
  pb::JobEvent e, last;
  int n = 0;
  while (reader->Read(&e)) {
    CHECK(e.seq() == ++n);
    last = e;
  }
  CHECK(reader->Finish().ok());
  CHECK(last.state() == pb::JOB_STATE_CANCELLED);
  // No bundle for a candidate that was never built.
  pb::GetBuildRequest b;
  b.set_job_id(job.id());
  b.set_candidate("layerwise");
  auto bctx = d.Client();
  auto breader = d.tuning->GetBuild(bctx.get(), b);
  pb::BuildChunk chunk;
  while (breader->Read(&chunk)) {
  }
  const grpc::Status bs = breader->Finish();
  INFO(Code(bs));
  CHECK((bs.error_code() == StatusCode::FAILED_PRECONDITION ||
         bs.error_code() == StatusCode::NOT_FOUND));
}

TEST_CASE(
    "job-addressed RPCs: malformed ids are INVALID_ARGUMENT, unknown "
    "NOT_FOUND") {
  InProcessDaemon d;
  for (auto& [name, call] : TuningCalls(*d.tuning)) {
    if (name == "UploadModel" || name == "ListModels" || name == "ListJobs" ||
        name == "ListBoards" || name == "StartTuning" || name == "GetModel") {
      continue;
    }
    INFO(name);
    grpc::Status unknown = call(d.Client().get());
    INFO(Code(unknown));
    CHECK(unknown.error_code() == StatusCode::NOT_FOUND);
  }
  pb::Job j;
  for (const std::string& id : {std::string(""), std::string("../../x"),
                                std::string("J;ls"), std::string(300, 'a')}) {
    INFO(id);
    pb::GetJobRequest g;
    g.set_job_id(id);
    CHECK(d.tuning->GetJob(d.Client().get(), g, &j).error_code() ==
          StatusCode::INVALID_ARGUMENT);
    pb::CancelJobRequest c;
    c.set_job_id(id);
    CHECK(d.tuning->CancelJob(d.Client().get(), c, &j).error_code() ==
          StatusCode::INVALID_ARGUMENT);
    pb::GetParetoFrontRequest f;
    f.set_job_id(id);
    pb::ParetoFront front;
    CHECK(d.tuning->GetParetoFront(d.Client().get(), f, &front).error_code() ==
          StatusCode::INVALID_ARGUMENT);
  }
  pb::GetBuildRequest b;
  b.set_job_id("jabc");
  auto ctx = d.Client();
  auto reader = d.tuning->GetBuild(ctx.get(), b);  // no candidate
  pb::BuildChunk chunk;
  while (reader->Read(&chunk)) {
  }
  CHECK(reader->Finish().error_code() == StatusCode::INVALID_ARGUMENT);
  pb::ListJobsRequest lj;
  lj.set_limit(5000);
  pb::ListJobsResponse jobs;
  CHECK(d.tuning->ListJobs(d.Client().get(), lj, &jobs).error_code() ==
        StatusCode::INVALID_ARGUMENT);
  lj.set_limit(10);
  lj.add_states(static_cast<pb::JobState>(77));
  CHECK(d.tuning->ListJobs(d.Client().get(), lj, &jobs).error_code() ==
        StatusCode::INVALID_ARGUMENT);
  pb::WatchJobRequest w;
  w.set_job_id("jabc");
  w.set_after_seq(-5);
  auto wctx = d.Client();
  auto wr = d.tuning->WatchJob(wctx.get(), w);
  pb::JobEvent e;
  while (wr->Read(&e)) {
  }
  CHECK(wr->Finish().error_code() == StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("ListBoards: the catalogue, and only farm boards when asked") {
  InProcessDaemon d;
  pb::ListBoardsResponse all, available;
  REQUIRE(d.tuning->ListBoards(d.Client().get(), pb::ListBoardsRequest(), &all)
              .ok());
  absl::StatusOr<std::vector<space::BoardSpec>> catalogue =
      space::LoadBoardCatalogue(MCUTUNE_SOURCE_DIR "/configs/boards");
  REQUIRE(catalogue.ok());
  CHECK(all.boards_size() == static_cast<int>(catalogue->size()));
  pb::ListBoardsRequest only;
  only.set_available_only(true);
  REQUIRE(d.tuning->ListBoards(d.Client().get(), only, &available).ok());
  CHECK(available.boards_size() == 0);  // this daemon has no farm boards
}

TEST_CASE("FarmAgent: bad registrations and unknown agents") {
  InProcessDaemon d;
  pb::RegisterResponse reg;
  auto reg_code = [&](const std::string& name, const std::string& uri,
                      const std::string& kind) {
    pb::RegisterRequest r;
    r.set_agent_name(name);
    if (!uri.empty()) {
      pb::AgentBoard* b = r.add_boards();
      b->set_uri(uri);
      b->set_kind(kind);
    }
    return d.agent->Register(d.Agent().get(), r, &reg).error_code();
  };
  CHECK(reg_code("", "qemu://qemu-f746/a", "qemu-f746") ==
        StatusCode::INVALID_ARGUMENT);
  CHECK(reg_code("bad name!", "qemu://qemu-f746/a", "qemu-f746") ==
        StatusCode::INVALID_ARGUMENT);
  CHECK(reg_code("lab1", "", "") == StatusCode::INVALID_ARGUMENT);
  CHECK(reg_code("lab1", "qemu://qemu-f746/a", "esp32") ==
        StatusCode::INVALID_ARGUMENT);
  CHECK(reg_code("lab1", "qemu://qemu-f469/a", "qemu-f746") ==
        StatusCode::INVALID_ARGUMENT);
  CHECK(reg_code("lab1", "http://x", "qemu-f746") ==
        StatusCode::INVALID_ARGUMENT);
  REQUIRE(reg_code("lab1", "qemu://qemu-f746/a", "qemu-f746") ==
          StatusCode::OK);
  const std::string id = reg.agent_id();
  // Another agent cannot take a live agent's board.
  CHECK(reg_code("lab2", "qemu://qemu-f746/a", "qemu-f746") ==
        StatusCode::ALREADY_EXISTS);

  pb::LeaseRunRequest lease;
  pb::LeaseRunResponse leased;
  lease.set_agent_id("anope");
  CHECK(d.agent->LeaseRun(d.Agent().get(), lease, &leased).error_code() ==
        StatusCode::NOT_FOUND);
  lease.set_agent_id(id);
  lease.set_wait_ms(60000);
  CHECK(d.agent->LeaseRun(d.Agent().get(), lease, &leased).error_code() ==
        StatusCode::INVALID_ARGUMENT);
  lease.set_wait_ms(0);
  lease.add_idle_board_uris("qemu://qemu-f746/other");
  CHECK(d.agent->LeaseRun(d.Agent().get(), lease, &leased).error_code() ==
        StatusCode::INVALID_ARGUMENT);
  lease.clear_idle_board_uris();
  lease.add_idle_board_uris("qemu://qemu-f746/a");
  REQUIRE(d.agent->LeaseRun(d.Agent().get(), lease, &leased).ok());
  CHECK_FALSE(leased.has_run());

  pb::ReportResultRequest report;
  pb::ReportResultResponse accepted;
  report.set_agent_id(id);
  report.set_lease_id("lnope");
  CHECK(
      d.agent->ReportResult(d.Agent().get(), report, &accepted).error_code() ==
      StatusCode::INVALID_ARGUMENT);  // neither measurement nor error
  report.mutable_measurement()->set_status("exploded");
  CHECK(
      d.agent->ReportResult(d.Agent().get(), report, &accepted).error_code() ==
      StatusCode::INVALID_ARGUMENT);
  report.mutable_measurement()->set_status("ok");
  report.mutable_measurement()->set_unit("instructions");
  REQUIRE(d.agent->ReportResult(d.Agent().get(), report, &accepted).ok());
  CHECK_FALSE(accepted.accepted());  // unknown lease

  pb::HeartbeatRequest hb;
  pb::HeartbeatResponse hbr;
  hb.set_agent_id("anope");
  REQUIRE(d.agent->Heartbeat(d.Agent().get(), hb, &hbr).ok());
  CHECK(hbr.reregister());
  hb.set_agent_id(id);
  hb.add_running_lease_ids("lgone");
  REQUIRE(d.agent->Heartbeat(d.Agent().get(), hb, &hbr).ok());
  CHECK_FALSE(hbr.reregister());
  REQUIRE(hbr.cancelled_lease_ids_size() == 1);
  CHECK(hbr.cancelled_lease_ids(0) == "lgone");
}

TEST_CASE("HTTP API: health without a token, errors as JSON with HTTP codes") {
  InProcessDaemon d;
  const std::string addr = d.daemon->http_address();
  const size_t colon = addr.rfind(':');
  httplib::Client http(addr.substr(0, colon),
                       std::stoi(addr.substr(colon + 1)));
  auto health = http.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body.find("\"ok\"") != std::string::npos);
  auto anon = http.Get("/api/v1/jobs");
  REQUIRE(anon);
  CHECK(anon->status == 401);
  CHECK(anon->body.find("UNAUTHENTICATED") != std::string::npos);
  const httplib::Headers agent = {
      {"Authorization", "Bearer " + d.daemon->agent_token()}};
  auto as_agent = http.Get("/api/v1/jobs", agent);
  REQUIRE(as_agent);
  CHECK(as_agent->status == 403);
  const httplib::Headers auth = {
      {"Authorization", "Bearer " + d.daemon->client_token()}};
  auto boards = http.Get("/api/v1/boards", auth);
  REQUIRE(boards);
  CHECK(boards->status == 200);
  CHECK(boards->body.find("qemu-f746") != std::string::npos);
  auto bad_json =
      http.Post("/api/v1/jobs", auth, "{not json", "application/json");
  REQUIRE(bad_json);
  CHECK(bad_json->status == 400);
  auto unknown_field = http.Post("/api/v1/jobs", auth, "{\"modelIdd\":\"x\"}",
                                 "application/json");
  REQUIRE(unknown_field);
  CHECK(unknown_field->status == 400);
  auto bad_board = http.Post("/api/v1/jobs", auth,
                             "{\"modelId\":\"" + std::string(64, 'a') +
                                 "\",\"boardKinds\":[\"esp32\"]}",
                             "application/json");
  REQUIRE(bad_board);
  CHECK(bad_board->status == 400);
  CHECK(bad_board->body.find("esp32") != std::string::npos);
  auto missing = http.Get("/api/v1/jobs/jabc", auth);
  REQUIRE(missing);
  CHECK(missing->status == 404);
  auto bad_limit = http.Get("/api/v1/jobs?limit=lots", auth);
  REQUIRE(bad_limit);
  CHECK(bad_limit->status == 400);
  auto bad_model = http.Post("/api/v1/models?name=x", auth, "garbage bytes",
                             "application/octet-stream");
  REQUIRE(bad_model);
  CHECK(bad_model->status == 400);
  auto good_model = http.Post("/api/v1/models?name=kws", auth,
                              SmallModelBytes(), "application/octet-stream");
  REQUIRE(good_model);
  CHECK(good_model->status == 200);
  CHECK(good_model->body.find("\"kws\"") != std::string::npos);
  auto models = http.Get("/api/v1/models", auth);
  REQUIRE(models);
  CHECK(models->body.find("kws") != std::string::npos);
}

}  // namespace
}  // namespace mcutune::testing
