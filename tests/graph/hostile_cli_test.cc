// Hostile models through the `mcutune` CLI (tests/testing/hostile_models.h):
// every file of the generated corpus goes through `inspect`, `plan` and
// `codegen` as a child process (base::RunSubprocess). A file that is not a
// valid model must end with exit status 1 (never a signal, never 0) and one
// "error: ..." line naming what is wrong, within a bounded time and peak RSS;
// a valid model whose names carry paths or shell metacharacters must work,
// and no name may ever reach a shell or a path: the canary files stay absent
// and nothing appears outside the scratch directory except what is expected.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "base/subprocess.h"
#include "graph/tflite_reader.h"
#include "nlohmann/json.hpp"
#include "tests/testing/hostile_models.h"

namespace mcutune::testing {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxRss = int64_t{500} << 20;

struct Scratch {
  fs::path dir;
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "mcutune_hostile_XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// Every path under `dir`, relative, sorted.
std::set<std::string> Tree(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.insert(fs::relative(e.path(), dir).generic_string());
  }
  return out;
}

void RemoveCanaries() {
  for (const std::string& p : PwnedCanaries()) fs::remove(p);
}

void CheckCanariesAbsent() {
  for (const std::string& p : PwnedCanaries()) {
    INFO("a name reached a shell: " << p << " exists");
    CHECK_FALSE(fs::exists(p));
  }
}

// `mcutune args...` in `cwd`, bounded: 60 s wall clock, 120 CPU seconds.
base::SubprocessResult Cli(const std::vector<std::string>& args,
                           const fs::path& cwd, int64_t* peak_rss) {
  std::vector<std::string> argv = {MCUTUNE_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  base::SubprocessOptions options;
  options.working_dir = cwd.string();
  options.timeout = absl::Seconds(60);
  options.limits.cpu_seconds = 120;
  absl::StatusOr<base::SubprocessResult> r = base::RunSubprocess(argv, options);
  INFO(base::FormatCommandLine(argv));
  REQUIRE(r.ok());  // DEADLINE_EXCEEDED here is a hang
  INFO("stderr: " << r->stderr_data);
  CHECK(r->term_signal == 0);
  CHECK(r->max_rss_bytes < kMaxRss);
  *peak_rss = std::max(*peak_rss, r->max_rss_bytes);
  return *r;
}

// Exit 1 and exactly one line "error: ...<needle>..." on stderr.
void CheckRefused(const base::SubprocessResult& r, const std::string& needle) {
  INFO("stderr: " << r.stderr_data);
  CHECK(r.exit_code == 1);
  CHECK(r.stderr_data.rfind("error: ", 0) == 0);
  CHECK(std::count(r.stderr_data.begin(), r.stderr_data.end(), '\n') == 1);
  CHECK(r.stderr_data.find(needle) != std::string::npos);
}

std::vector<std::string> PlanArgs(const std::string& file) {
  return {"plan", file, "--board", "f746", "--strategy", "layerwise", "--json"};
}
std::vector<std::string> CodegenArgs(const std::string& file, const std::string& out) {
  return {"codegen", file, "--board", "qemu-f746", "--strategy", "layerwise", "-o", out};
}

TEST_CASE("hostile corpus: the importer's verdict and message for every case",
          "[hostile]") {
  const std::vector<HostileModel> corpus = HostileCorpus(HostileBaseGraph());
  CHECK(corpus.size() >= 45);
  std::set<std::string> names;
  for (const HostileModel& c : corpus) {
    INFO(c.name);
    CHECK(names.insert(c.name).second);
    absl::StatusOr<graph::Graph> g = graph::ImportTflite(absl::MakeConstSpan(
        reinterpret_cast<const uint8_t*>(c.bytes.data()), c.bytes.size()));
    if (c.verdict == Verdict::kInvalid) {
      REQUIRE_FALSE(g.ok());
      INFO(g.status().message());
      // UNIMPLEMENTED: well-formed but unsupported (schema version 2).
      CHECK((g.status().code() == absl::StatusCode::kInvalidArgument ||
             g.status().code() == absl::StatusCode::kUnimplemented));
      CHECK(std::string(g.status().message()).find(c.needle) != std::string::npos);
    } else if (c.verdict == Verdict::kValid) {
      INFO(g.status().message());
      CHECK(g.ok());
    }
  }
}

TEST_CASE("hostile corpus through inspect, plan and codegen: refused cleanly",
          "[hostile][cli]") {
  Scratch s;
  RemoveCanaries();
  const std::vector<HostileModel> corpus = HostileCorpus(HostileBaseGraph());
  std::set<std::string> expected_files;
  int64_t peak_rss = 0;
  int refused = 0, accepted = 0;
  for (const HostileModel& c : corpus) {
    INFO("case " << c.name);
    const std::string file = c.name + ".tflite";
    WriteFile(s.dir / file, c.bytes);
    expected_files.insert(file);
    const bool valid =
        c.verdict == Verdict::kValid ||
        (c.verdict == Verdict::kEither &&
         graph::ImportTflite(absl::MakeConstSpan(
                                 reinterpret_cast<const uint8_t*>(c.bytes.data()),
                                 c.bytes.size()))
             .ok());
    const base::SubprocessResult inspect = Cli({"inspect", file}, s.dir, &peak_rss);
    const base::SubprocessResult plan = Cli(PlanArgs(file), s.dir, &peak_rss);
    if (!valid) {
      ++refused;
      CheckRefused(inspect, c.needle);
      CheckRefused(plan, c.needle);
      CheckRefused(Cli(CodegenArgs(file, "out-" + c.name), s.dir, &peak_rss),
                   c.needle);
      continue;
    }
    ++accepted;
    CHECK(inspect.exit_code == 0);
    INFO(plan.stderr_data);
    if (c.verdict == Verdict::kValid) {
      REQUIRE(plan.exit_code == 0);
      CHECK_FALSE(nlohmann::json::parse(plan.stdout_data, nullptr, false).is_discarded());
    } else if (plan.exit_code != 0) {  // a flipped weight or shape may not plan
      CheckRefused(plan, "");
    }
  }
  CHECK(refused >= 35);
  CHECK(accepted >= 7);

  // Files no importer should read whole or at all.
  const fs::path over = s.dir / "over-limit.tflite";
  std::ofstream(over).close();
  fs::resize_file(over, graph::kMaxModelFileBytes + 1);  // sparse
  CheckRefused(Cli({"inspect", over.filename().string()}, s.dir, &peak_rss),
               "more than the limit");
  const fs::path zeros = s.dir / "zeros-400m.tflite";
  std::ofstream(zeros).close();
  fs::resize_file(zeros, int64_t{400} << 20);
  base::SubprocessResult big = Cli({"inspect", zeros.filename().string()}, s.dir, &peak_rss);
  CheckRefused(big, "file identifier");
  CHECK(big.max_rss_bytes < (int64_t{100} << 20));  // refused before reading
  fs::create_directory(s.dir / "a-directory.tflite");
  CheckRefused(Cli({"inspect", "a-directory.tflite"}, s.dir, &peak_rss),
               "not a regular file");
  REQUIRE(mkfifo((s.dir / "fifo.tflite").c_str(), 0600) == 0);
  CheckRefused(Cli(PlanArgs("fifo.tflite"), s.dir, &peak_rss), "not a regular file");
  CheckRefused(Cli({"inspect", "/dev/zero"}, s.dir, &peak_rss), "not a regular file");
  expected_files.insert({"over-limit.tflite", "zeros-400m.tflite",
                         "a-directory.tflite", "fifo.tflite"});

  // A file name made of shell syntax is just a name (a shell would create
  // "pwned" files in the scratch directory, which the tree check catches).
  const std::string odd = "$(touch pwned);`touch pwned2`;rm -rf . x.tflite";
  WriteFile(s.dir / odd, GraphBytes(HostileBaseGraph()));
  expected_files.insert(odd);
  CHECK(Cli({"inspect", odd}, s.dir, &peak_rss).exit_code == 0);
  CHECK(Cli(PlanArgs(odd), s.dir, &peak_rss).exit_code == 0);

  CheckCanariesAbsent();
  CHECK(Tree(s.dir) == expected_files);  // no stray output anywhere
  WARN("hostile CLI corpus: " << corpus.size() << " cases (" << refused
       << " refused, " << accepted << " accepted) + 6 special files; peak "
       << "child RSS " << peak_rss / (1 << 20) << " MiB");
}

TEST_CASE("hostile names through codegen: the generated C stays inert",
          "[hostile][cli][qemu]") {
  if (!base::ProgramExists("arm-none-eabi-gcc") ||
      !base::ProgramExists("qemu-system-arm")) {
    WARN("arm-none-eabi-gcc or qemu-system-arm missing: test skipped");
    return;
  }
  Scratch s;
  RemoveCanaries();
  const std::vector<HostileModel> corpus = HostileCorpus(HostileBaseGraph());
  int64_t peak_rss = 0;
  std::set<std::string> expected;
  for (const std::string name :
       {"name-c-comment", "name-shell-subst", "name-control-bytes"}) {
    INFO("case " << name);
    auto it = std::find_if(corpus.begin(), corpus.end(),
                           [&](const HostileModel& c) { return c.name == name; });
    REQUIRE(it != corpus.end());
    const std::string file = name + ".tflite";
    WriteFile(s.dir / file, it->bytes);
    // The output directory's own name is shell syntax too.
    const std::string out = "out $(touch pwned3);`touch pwned4` " + name;
    const base::SubprocessResult r =
        Cli(CodegenArgs(file, out), s.dir, &peak_rss);
    INFO(r.stderr_data);
    REQUIRE(r.exit_code == 0);
    expected.insert(file);
    expected.insert(out);
    // The name survives only inside comments, with its comment terminator,
    // newlines and preprocessor line defused (the build above succeeding
    // proves "#error injected" never became a directive).
    for (const auto& e : fs::recursive_directory_iterator(s.dir / out)) {
      expected.insert(fs::relative(e.path(), s.dir).generic_string());
      const std::string ext = e.path().extension().string();
      if (ext != ".c" && ext != ".h") continue;
      std::ifstream in(e.path(), std::ios::binary);
      const std::string text((std::istreambuf_iterator<char>(in)), {});
      INFO(e.path().string());
      CHECK(text.find("*/ int mcutune_injected") == std::string::npos);
      CHECK(text.find("\n#error injected") == std::string::npos);
      CHECK(text.find("$(touch") == std::string::npos);
    }
    std::ifstream report_file(s.dir / out / "report.json");
    const nlohmann::json report = nlohmann::json::parse(report_file, nullptr, false);
    REQUIRE(report.is_object());
    if (name == std::string("name-c-comment")) {
      // The firmware runs and computes what the reference interpreter does.
      const base::SubprocessResult run =
          Cli({"exec", out, "--board", "qemu-f746"}, s.dir, &peak_rss);
      INFO(run.stdout_data);
      CHECK(run.exit_code == 0);
      const nlohmann::json m = nlohmann::json::parse(run.stdout_data, nullptr, false);
      REQUIRE(m.is_object());
      CHECK(m.value("status", "") == "ok");
      CHECK(m.value("output_sha256", "x") ==
            report.value("expected_output_sha256", "y"));
    }
  }
  CheckCanariesAbsent();
  CHECK(Tree(s.dir) == expected);
}

}  // namespace
}  // namespace mcutune::testing
