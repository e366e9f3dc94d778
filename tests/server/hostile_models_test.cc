// Hostile models against a live mcutuned (the real binary, on loopback): the
// generated corpus (tests/testing/hostile_models.h) goes through UploadModel
// three times over, plus uploads past the size limit and StartTuning /
// GetBuild requests naming nothing valid. Every call must get its precise
// status code and message, and afterwards the daemon must still be alive,
// answer /healthz, accept a valid upload, and its resident memory must not
// have grown by more than a bound. Also: bundle extraction never writes
// through a symbolic link, and bundles never carry one.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "base/subprocess.h"
#include "graph/tflite_reader.h"
#include "server/common/tar_archive.h"
#include "tests/server/daemon_fixture.h"
#include "tests/testing/daemon_spawn.h"
#include "tests/testing/hostile_models.h"

namespace mcutune::testing {
namespace {

namespace fs = std::filesystem;
using grpc::StatusCode;

constexpr int64_t kMaxModelBytes = int64_t{2} << 20;

// mcutuned as a child process with a 2 MiB model limit and no farm boards,
// or one virtual f746.
class LiveDaemon {
 public:
  explicit LiveDaemon(const fs::path& dir, bool with_board = false) : dir_(dir) {
    nlohmann::json c;
    c["listen"] = "127.0.0.1:0";
    c["http_listen"] = "127.0.0.1:0";
    c["data_dir"] = (dir / "data").string();
    c["boards_dir"] = MCUTUNE_SOURCE_DIR "/configs/boards";
    c["farm_inventory"] = "";
    if (with_board) {
      std::ofstream(dir / "farm.json")
          << R"({"boards": [{"uri": "qemu://qemu-f746/0", "kind": "qemu-f746"}]})";
      c["farm_inventory"] = (dir / "farm.json").string();
    }
    c["limits"] = {{"max_model_bytes", kMaxModelBytes}};
    SpawnedDaemon d;
    const std::string error = SpawnDaemon(dir, c, std::nullopt, &d);
    INFO(error);
    REQUIRE(error.empty());
    pid_ = d.pid;
    grpc_ = d.grpc;
    http_ = d.http;
    token_ = d.token;
    channel_ = grpc::CreateChannel(grpc_, grpc::InsecureChannelCredentials());
    stub_ = pb::Tuning::NewStub(channel_);
  }
  ~LiveDaemon() { StopDaemon(&pid_, SIGTERM); }

  // Still running (not exited, not killed by a signal).
  bool Alive() {
    int status = 0;
    return waitpid(pid_, &status, WNOHANG) == 0;
  }
  // A field of /proc/<pid>/status in bytes ("VmRSS", "VmHWM").
  int64_t ProcBytes(const std::string& field) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(field + ":", 0) == 0) {
        return std::stoll(line.substr(field.size() + 1)) * 1024;  // kB
      }
    }
    return -1;
  }
  std::unique_ptr<grpc::ClientContext> Ctx() const {
    return InProcessDaemon::Ctx(token_);
  }
  pb::Tuning::Stub& tuning() { return *stub_; }
  const std::string& http() const { return http_; }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  std::string grpc_, http_, token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Tuning::Stub> stub_;
};

std::string Describe(const grpc::Status& s) {
  return std::to_string(s.error_code()) + " " + s.error_message();
}

grpc::StatusCode ToGrpcCode(absl::StatusCode c) {
  return static_cast<grpc::StatusCode>(static_cast<int>(c));
}

TEST_CASE("hostile corpus through UploadModel and StartTuning of a live mcutuned",
          "[hostile]") {
  const fs::path dir = MakeTempDir("mcutune_hostile_daemon");
  for (const std::string& p : PwnedCanaries()) fs::remove(p);
  LiveDaemon d(dir);
  const graph::Graph base = HostileBaseGraph();
  const std::vector<HostileModel> corpus = HostileCorpus(base);
  pb::Model m;
  auto upload = [&](const std::string& bytes, pb::ModelHeader header = {}) {
    auto ctx = d.Ctx();
    return Upload(d.tuning(), ctx.get(), header, bytes, &m);
  };
  REQUIRE(upload(GraphBytes(base)).ok());  // warm-up: every code path loaded
  const std::string base_id = m.id();
  const int64_t rss_before = d.ProcBytes("VmRSS");
  REQUIRE(rss_before > 0);

  int refused = 0, accepted = 0;
  std::string rejected_id;
  for (int round = 0; round < 3; ++round) {
    for (const HostileModel& c : corpus) {
      INFO("case " << c.name << ", round " << round);
      const absl::StatusOr<graph::Graph> ref = graph::ImportTflite(
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(c.bytes.data()),
                              c.bytes.size()));
      const grpc::Status s = upload(c.bytes);
      INFO(Describe(s));
      if (ref.ok()) {
        REQUIRE(s.ok());
        // Names from the file never become paths or markup: sanitized.
        CHECK(std::regex_match(m.name(), std::regex("[A-Za-z0-9._-]{1,128}")));
        ++accepted;
        continue;
      }
      ++refused;
      if (c.bytes.empty()) {
        CHECK(s.error_code() == StatusCode::INVALID_ARGUMENT);
        CHECK(s.error_message().find("empty model") != std::string::npos);
        continue;
      }
      CHECK(s.error_code() == ToGrpcCode(ref.status().code()));
      CHECK(s.error_message() ==
            "model rejected: " + std::string(ref.status().message()));
      if (c.verdict == Verdict::kInvalid) {
        CHECK(s.error_message().find(c.needle) != std::string::npos);
      }
      rejected_id = device_farm::Sha256Hex(c.bytes.data(), c.bytes.size());
    }
  }
  CHECK(refused >= 3 * 35);
  CHECK(accepted >= 3 * 7);

  // Past the size limit, declared or sent.
  CHECK(upload(std::string(kMaxModelBytes + 1, '\0')).error_code() ==
        StatusCode::RESOURCE_EXHAUSTED);
  pb::ModelHeader huge;
  huge.set_size_bytes(int64_t{1} << 62);
  CHECK(upload(GraphBytes(base), huge).error_code() ==
        StatusCode::RESOURCE_EXHAUSTED);
  pb::ModelHeader path_name;
  path_name.set_name("../../etc/passwd");
  CHECK(upload(GraphBytes(base), path_name).error_code() ==
        StatusCode::INVALID_ARGUMENT);

  // Requests naming nothing valid.
  auto start = [&](const std::string& model_id, const std::string& kind) {
    pb::StartTuningRequest r;
    r.set_model_id(model_id);
    r.add_board_kinds(kind);
    pb::Job job;
    auto ctx = d.Ctx();
    return d.tuning().StartTuning(ctx.get(), r, &job);
  };
  auto expect = [](const grpc::Status& s, StatusCode code, const std::string& needle) {
    INFO(Describe(s));
    CHECK(s.error_code() == code);
    CHECK(s.error_message().find(needle) != std::string::npos);
  };
  REQUIRE_FALSE(rejected_id.empty());
  expect(start(rejected_id, "qemu-f746"), StatusCode::NOT_FOUND, "upload it first");
  expect(start("../../etc/passwd", "qemu-f746"), StatusCode::INVALID_ARGUMENT,
         "model_id");
  expect(start("$(touch /tmp/mcutune_hostile_pwned)", "qemu-f746"),
         StatusCode::INVALID_ARGUMENT, "model_id");
  expect(start(base_id, "../../qemu-f746"), StatusCode::INVALID_ARGUMENT,
         "unknown board kind");
  expect(start(base_id, "`touch /tmp/mcutune_hostile_pwned2`"),
         StatusCode::INVALID_ARGUMENT, "unknown board kind");
  expect(start(base_id, "qemu-f746"), StatusCode::FAILED_PRECONDITION,
         "no board of kind");
  for (const char* job : {"../../etc", "j$(id)"}) {
    pb::GetBuildRequest b;
    b.set_job_id(job);
    b.set_candidate("qemu-f746/../../../etc/passwd");
    auto ctx = d.Ctx();
    auto reader = d.tuning().GetBuild(ctx.get(), b);
    pb::BuildChunk chunk;
    while (reader->Read(&chunk)) {
    }
    expect(reader->Finish(), StatusCode::INVALID_ARGUMENT, "job_id");
  }

  // Still up, still serving, memory bounded.
  REQUIRE(d.Alive());
  const size_t colon = d.http().rfind(':');
  httplib::Client http(d.http().substr(0, colon),
                       std::stoi(d.http().substr(colon + 1)));
  auto health = http.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  graph::Graph fresh = base;
  fresh.name = "fresh";
  REQUIRE(upload(GraphBytes(fresh)).ok());
  CHECK_FALSE(m.deduplicated());
  const int64_t rss_after = d.ProcBytes("VmRSS");
  const int64_t hwm = d.ProcBytes("VmHWM");
  CHECK(rss_after - rss_before < (int64_t{200} << 20));
  CHECK(hwm < (int64_t{500} << 20));
  for (const std::string& p : PwnedCanaries()) CHECK_FALSE(fs::exists(p));
  WARN("hostile gRPC corpus: " << corpus.size() << " cases x 3 rounds ("
       << refused << " refused, " << accepted << " accepted) + 8 bad requests; "
       << "daemon VmRSS " << rss_before / (1 << 20) << " -> "
       << rss_after / (1 << 20) << " MiB, VmHWM " << hwm / (1 << 20) << " MiB");
  fs::remove_all(dir);
}

TEST_CASE("a model whose names break C comments and UTF-8 tunes end to end",
          "[hostile][qemu]") {
  if (!base::ProgramExists("arm-none-eabi-gcc") ||
      !base::ProgramExists("qemu-system-arm")) {
    WARN("arm-none-eabi-gcc or qemu-system-arm missing: test skipped");
    return;
  }
  const fs::path dir = MakeTempDir("mcutune_hostile_tune");
  LiveDaemon d(dir, /*with_board=*/true);
  graph::Graph g = HostileBaseGraph();
  g.name = "*/ int mcutune_injected = 1; /*\n#error injected\n\xff\xfe";
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    g.tensors[t].name = "../../$(touch /tmp/mcutune_hostile_pwned)/\xff" +
                        std::to_string(t);
  }
  pb::Model m;
  {
    auto ctx = d.Ctx();
    REQUIRE(Upload(d.tuning(), ctx.get(), {}, GraphBytes(g), &m).ok());
  }
  pb::StartTuningRequest r;
  r.set_model_id(m.id());
  r.add_board_kinds("qemu-f746");
  r.set_measurement_budget(2);
  r.set_batch_size(2);
  r.set_runs_per_measurement(1);
  pb::Job job;
  {
    auto ctx = d.Ctx();
    const grpc::Status s = d.tuning().StartTuning(ctx.get(), r, &job);
    INFO(Describe(s));
    REQUIRE(s.ok());
  }
  for (int i = 0; i < 600 && job.state() != pb::JOB_STATE_DONE &&
                  job.state() != pb::JOB_STATE_FAILED;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    pb::GetJobRequest get;
    get.set_job_id(job.id());
    auto ctx = d.Ctx();
    REQUIRE(d.tuning().GetJob(ctx.get(), get, &job).ok());
  }
  INFO(job.error());
  INFO(ReadFileText(dir / "daemon.log"));
  REQUIRE(job.state() == pb::JOB_STATE_DONE);
  pb::ListCandidatesRequest lc;
  lc.set_job_id(job.id());
  lc.set_measured_only(true);
  pb::ListCandidatesResponse cands;
  {
    auto ctx = d.Ctx();
    REQUIRE(d.tuning().ListCandidates(ctx.get(), lc, &cands).ok());
  }
  REQUIRE(cands.candidates_size() >= 1);
  const pb::Candidate& c = cands.candidates(0);
  INFO(c.error());
  CHECK(c.state() == pb::CANDIDATE_STATE_MEASURED);
  CHECK(c.measured().output_matches());
  // The bundle's sources hold the name only in defused form.
  pb::GetBuildRequest b;
  b.set_job_id(job.id());
  b.set_candidate(c.key());
  auto ctx = d.Ctx();
  auto reader = d.tuning().GetBuild(ctx.get(), b);
  std::string tar;
  pb::BuildChunk chunk;
  while (reader->Read(&chunk)) tar += chunk.data();
  REQUIRE(reader->Finish().ok());
  REQUIRE(server::ExtractTar(tar, (dir / "bundle").string()).ok());
  const std::string header = ReadFileText(dir / "bundle" / "model_model.h");
  CHECK(header.find("*/ int mcutune_injected") == std::string::npos);
  CHECK(header.find("\n#error injected") == std::string::npos);
  CHECK_FALSE(nlohmann::json::parse(ReadFileText(dir / "bundle" / "report.json"),
                                    nullptr, false)
                  .is_discarded());
  CHECK_FALSE(fs::exists(PwnedCanaries()[0]));
  REQUIRE(d.Alive());
  fs::remove_all(dir);
}

TEST_CASE("bundles: extraction never follows a symlink, packing never includes one",
          "[hostile]") {
  const fs::path dir = MakeTempDir("mcutune_hostile_tar");
  fs::create_directories(dir / "src" / "lib");
  std::ofstream(dir / "src" / "lib" / "passwd") << "bundle file\n";
  std::ofstream(dir / "outside.txt") << "secret\n";
  fs::create_directories(dir / "elsewhere");
  // A symlink inside a build directory is left out of the bundle.
  fs::create_symlink(dir / "outside.txt", dir / "src" / "leak.txt");
  absl::StatusOr<std::string> tar =
      server::TarDirectory((dir / "src").string(), "bundle");
  REQUIRE(tar.ok());
  CHECK(tar->find("leak.txt") == std::string::npos);
  CHECK(tar->find("secret") == std::string::npos);

  // The output directory already holds "lib -> elsewhere": the entry
  // "lib/passwd" must not land in elsewhere/.
  fs::create_directories(dir / "out");
  fs::create_directory_symlink(dir / "elsewhere", dir / "out" / "lib");
  absl::StatusOr<int> n = server::ExtractTar(*tar, (dir / "out").string());
  INFO(n.status().message());
  CHECK(absl::IsInvalidArgument(n.status()));
  CHECK_FALSE(fs::exists(dir / "elsewhere" / "passwd"));
  // Nor through a symlink in place of the file itself.
  fs::remove(dir / "out" / "lib");
  fs::create_directories(dir / "out" / "lib");
  fs::create_symlink(dir / "outside.txt", dir / "out" / "lib" / "passwd");
  n = server::ExtractTar(*tar, (dir / "out").string());
  CHECK(absl::IsInvalidArgument(n.status()));
  CHECK(ReadFileText(dir / "outside.txt") == "secret\n");
  // A clean directory extracts normally.
  n = server::ExtractTar(*tar, (dir / "clean").string());
  REQUIRE(n.ok());
  CHECK(*n == 1);
  CHECK(ReadFileText(dir / "clean" / "lib" / "passwd") == "bundle file\n");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcutune::testing
