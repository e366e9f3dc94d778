// tuner::Store round trips (models, jobs, events, candidates), persistence
// across reopening the file, and TuneRequest validation / JSON.
#include "tuner/store.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "tests/testing/cli_runner.h"
#include "tuner/space/board.h"
#include "tuner/tune_request.h"

namespace mcutune::tuner {
namespace {

std::unique_ptr<Store> OpenMemory() {
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(":memory:");
  REQUIRE(s.ok());
  return std::move(*s);
}

ModelRecord Model(const std::string& id) {
  ModelRecord m;
  m.id = id;
  m.name = "m-" + id.substr(0, 4);
  m.size_bytes = 3;
  m.summary_json = "{\"macs\":5}";
  m.analysis_json = "{}";
  m.uploaded_at_ms = 1000;
  return m;
}

JobRecord Job(const std::string& id, const std::string& model,
              int64_t created) {
  JobRecord j;
  j.id = id;
  j.model_id = model;
  j.request_json = "{}";
  j.created_ms = j.updated_ms = created;
  return j;
}

CandidateRecord Candidate(const std::string& job, const std::string& board,
                          const std::string& id) {
  CandidateRecord c;
  c.job_id = job;
  c.board_kind = board;
  c.candidate_id = id;
  c.strategy = "layerwise";
  c.metrics_json = "{\"macs\":1}";
  return c;
}

const std::string kModelA(64, 'a');

TEST_CASE("models are stored once per hash") {
  auto store = OpenMemory();
  absl::StatusOr<bool> first = store->PutModel(Model(kModelA), "abc");
  REQUIRE(first.ok());
  CHECK(*first);
  absl::StatusOr<bool> again = store->PutModel(Model(kModelA), "abc");
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
  absl::StatusOr<ModelRecord> m = store->GetModel(kModelA);
  REQUIRE(m.ok());
  CHECK(m->name == "m-aaaa");
  CHECK(m->summary_json == "{\"macs\":5}");
  CHECK(*store->GetModelBytes(kModelA) == "abc");
  CHECK(absl::IsNotFound(store->GetModel(std::string(64, 'b')).status()));
  CHECK(store->ListModels()->size() == 1);
}

TEST_CASE("jobs: create, update, list by state, unfinished") {
  auto store = OpenMemory();
  REQUIRE(store->PutModel(Model(kModelA), "x").ok());
  REQUIRE(store->CreateJob(Job("j1", kModelA, 1)).ok());
  REQUIRE(store->CreateJob(Job("j2", kModelA, 2)).ok());
  CHECK(absl::IsAlreadyExists(store->CreateJob(Job("j1", kModelA, 3))));
  JobRecord j = *store->GetJob("j1");
  j.state = JobState::kDone;
  j.phase = "done";
  j.progress.measurements_done = 7;
  j.progress.rounds = 2;
  j.error = "none";
  REQUIRE(store->UpdateJob(j).ok());
  JobRecord back = *store->GetJob("j1");
  CHECK(back.state == JobState::kDone);
  CHECK(back.progress.measurements_done == 7);
  CHECK(back.progress.rounds == 2);
  CHECK(back.error == "none");
  std::vector<JobRecord> all = *store->ListJobs({});
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == "j2");  // newest first
  CHECK(store->ListJobs({JobState::kDone})->size() == 1);
  std::vector<JobRecord> unfinished = *store->UnfinishedJobs();
  REQUIRE(unfinished.size() == 1);
  CHECK(unfinished[0].id == "j2");
  CHECK(absl::IsNotFound(store->GetJob("nope").status()));
  CHECK(absl::IsNotFound(store->UpdateJob(Job("nope", kModelA, 1))));
}

TEST_CASE("events get consecutive sequence numbers and wake waiters") {
  auto store = OpenMemory();
  REQUIRE(store->PutModel(Model(kModelA), "x").ok());
  REQUIRE(store->CreateJob(Job("j1", kModelA, 1)).ok());
  for (int i = 0; i < 3; ++i) {
    JobEvent e;
    e.job_id = "j1";
    e.phase = "p" + std::to_string(i);
    e.progress.builds_done = i;
    absl::StatusOr<int64_t> seq = store->AppendEvent(e);
    REQUIRE(seq.ok());
    CHECK(*seq == i + 1);
  }
  std::vector<JobEvent> after1 = *store->EventsAfter("j1", 1);
  REQUIRE(after1.size() == 2);
  CHECK(after1[0].seq == 2);
  CHECK(after1[0].phase == "p1");
  CHECK(after1[1].progress.builds_done == 2);
  CHECK(store->WaitForEvent("j1", 2, absl::Milliseconds(10)));
  CHECK_FALSE(store->WaitForEvent("j1", 3, absl::Milliseconds(50)));
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    JobEvent e;
    e.job_id = "j1";
    (void)store->AppendEvent(e);
  });
  CHECK(store->WaitForEvent("j1", 3, absl::Seconds(10)));
  writer.join();
}

TEST_CASE("candidates: insert-or-keep, update, lookup by key") {
  auto store = OpenMemory();
  REQUIRE(store->PutModel(Model(kModelA), "x").ok());
  REQUIRE(store->CreateJob(Job("j1", kModelA, 1)).ok());
  std::vector<CandidateRecord> cs = {
      Candidate("j1", "qemu-f746", "layerwise"),
      Candidate("j1", "qemu-f746", "patch-n2-s3")};
  CHECK(*store->AddCandidates(cs) == 2);
  CandidateRecord c = *store->GetCandidate("j1", "qemu-f746/patch-n2-s3");
  c.state = CandidateState::kMeasured;
  c.measured = 1234.5;
  c.measured_unit = "instructions";
  c.output_matches = true;
  c.on_front = true;
  c.round = 3;
  c.build_dir = "j1/qemu-f746/patch-n2-s3";
  REQUIRE(store->UpdateCandidate(c).ok());
  // Re-adding (a resumed job enumerates again) keeps the stored row.
  CHECK(*store->AddCandidates(cs) == 0);
  CandidateRecord back = *store->GetCandidate("j1", "qemu-f746/patch-n2-s3");
  CHECK(back.state == CandidateState::kMeasured);
  CHECK(back.measured == 1234.5);
  CHECK(back.output_matches);
  CHECK(back.on_front);
  CHECK(back.round == 3);
  std::vector<CandidateRecord> all = *store->ListCandidates("j1");
  REQUIRE(all.size() == 2);
  CHECK(all[0].candidate_id == "layerwise");  // insertion order
  // Filtered in SQL: the front reader sees only front rows, measured_only
  // only measured ones.
  CandidateRecord measured_off = *store->GetCandidate("j1", "qemu-f746/layerwise");
  measured_off.state = CandidateState::kMeasured;
  measured_off.measured = 99;
  REQUIRE(store->UpdateCandidate(measured_off).ok());
  std::vector<CandidateRecord> front =
      *store->ListCandidates("j1", Store::CandidateFilter::kOnFront);
  REQUIRE(front.size() == 1);
  CHECK(front[0].candidate_id == "patch-n2-s3");
  CHECK(store->ListCandidates("j1", Store::CandidateFilter::kMeasured)->size() ==
        2);
  CHECK(store->ListCandidates("j2", Store::CandidateFilter::kAll)->empty());
  CHECK(absl::IsNotFound(store->GetCandidate("j1", "qemu-f746/none").status()));
  CHECK(
      absl::IsInvalidArgument(store->GetCandidate("j1", "no-slash").status()));
  CHECK(absl::IsNotFound(
      store->UpdateCandidate(Candidate("j1", "qemu-f746", "zzz"))));
}

TEST_CASE("the store survives closing and reopening the file") {
  const std::filesystem::path dir = testing::MakeTempDir("tuner_store");
  const std::string path = (dir / "db.sqlite").string();
  {
    auto store = *Store::Open(path);
    REQUIRE(store->PutModel(Model(kModelA), "bytes").ok());
    JobRecord j = Job("j1", kModelA, 5);
    j.state = JobState::kRunning;
    REQUIRE(store->CreateJob(j).ok());
    REQUIRE(
        store->AddCandidates({Candidate("j1", "qemu-f746", "layerwise")}).ok());
  }
  auto store = *Store::Open(path);
  CHECK(*store->GetModelBytes(kModelA) == "bytes");
  std::vector<JobRecord> unfinished = *store->UnfinishedJobs();
  REQUIRE(unfinished.size() == 1);
  CHECK(unfinished[0].state == JobState::kRunning);
  CHECK(store->ListCandidates("j1")->size() == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a row with an unknown state is an error, not a crash") {
  auto store = OpenMemory();
  REQUIRE(store->PutModel(Model(kModelA), "x").ok());
  REQUIRE(store->CreateJob(Job("j1", kModelA, 1)).ok());
  REQUIRE(store->db().Exec("UPDATE tuner_jobs SET state = 'exploded'").ok());
  CHECK(absl::IsInvalidArgument(store->GetJob("j1").status()));
}

TEST_CASE("tune requests: validation at the door and JSON round trip") {
  absl::StatusOr<std::vector<space::BoardSpec>> catalogue =
      space::LoadBoardCatalogue(MCUTUNE_SOURCE_DIR "/configs/boards");
  REQUIRE(catalogue.ok());
  TuneRequest r;
  r.model_id = std::string(64, 'c');
  r.board_kinds = {"qemu-f746"};
  TuneRequest ok = r;
  REQUIRE(ValidateTuneRequest(*catalogue, &ok).ok());
  CHECK(ok.objectives.size() == 3);  // defaults filled

  auto invalid = [&](auto mutate, const std::string& needle) {
    TuneRequest bad = r;
    mutate(bad);
    const absl::Status s = ValidateTuneRequest(*catalogue, &bad);
    INFO(s.message());
    CHECK(absl::IsInvalidArgument(s));
    CHECK(std::string(s.message()).find(needle) != std::string::npos);
  };
  invalid([](TuneRequest& x) { x.board_kinds = {"nonexistent-board"}; },
          "unknown board kind");
  invalid([](TuneRequest& x) { x.board_kinds = {}; }, "board_kinds");
  invalid(
      [](TuneRequest& x) {
        x.board_kinds = {"qemu-f746", "qemu-f746"};
      },
      "repeated");
  invalid([](TuneRequest& x) { x.sram_budget_bytes = -1; },
          "sram_budget_bytes");
  invalid([](TuneRequest& x) { x.sram_budget_bytes = 100; }, "impossible");
  invalid([](TuneRequest& x) { x.sram_budget_bytes = int64_t{1} << 30; },
          "exceeds");
  invalid([](TuneRequest& x) { x.flash_budget_bytes = 10; },
          "flash_budget_bytes");
  invalid([](TuneRequest& x) { x.measurement_budget = 0; },
          "measurement_budget");
  invalid([](TuneRequest& x) { x.batch_size = 1000; }, "batch_size");
  invalid([](TuneRequest& x) { x.model_id = "../etc"; }, "model_id");
  invalid([](TuneRequest& x) { x.label = "a\nb"; }, "label");
  invalid([](TuneRequest& x) { x.objectives = {Objective::kFlash}; },
          "latency is required");

  ok.label = "nightly \"x\"";
  ok.seed = 42;
  ok.allow_external_memory = false;
  absl::StatusOr<TuneRequest> back = TuneRequestFromJson(TuneRequestToJson(ok));
  REQUIRE(back.ok());
  CHECK(back->model_id == ok.model_id);
  CHECK(back->board_kinds == ok.board_kinds);
  CHECK(back->seed == 42);
  CHECK_FALSE(back->allow_external_memory);
  CHECK(back->label == ok.label);
  CHECK(back->objectives.size() == 3);
  CHECK(absl::IsInvalidArgument(TuneRequestFromJson("[1]").status()));
  CHECK(absl::IsInvalidArgument(
      TuneRequestFromJson(
          "{\"model_id\":\"x\",\"board_kinds\":[],\"seed\":\"no\"}")
          .status()));
}

}  // namespace
}  // namespace mcutune::tuner
