// Daemon config parsing, bearer-token checks, token files, and the ustar
// bundle format (round trip and hostile archives).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/subprocess.h"
#include "server/common/tar_archive.h"
#include "server/daemon/auth.h"
#include "server/daemon/daemon_config.h"
#include "tests/testing/cli_runner.h"

namespace mcutune::server {
namespace {

namespace fs = std::filesystem;

TEST_CASE("daemon config: defaults, overrides, and precise errors") {
  absl::StatusOr<DaemonConfig> d = ParseDaemonConfig("{}", "cfg");
  REQUIRE(d.ok());
  CHECK(d->listen == "127.0.0.1:50051");
  CHECK(d->http_listen == "127.0.0.1:8080");
  CHECK(d->auth.enabled);
  absl::StatusOr<DaemonConfig> c = ParseDaemonConfig(
      R"({"listen":"127.0.0.1:0","auth":"disabled","limits":{"max_concurrent_jobs":4},
          "tuning":{"patience":5,"verify_on_host":false},"log_level":"debug"})",
      "cfg");
  REQUIRE(c.ok());
  CHECK_FALSE(c->auth.enabled);
  CHECK(c->limits.max_concurrent_jobs == 4);
  CHECK(c->tuning.patience == 5);
  CHECK_FALSE(c->tuning.verify_on_host);
  CHECK(LoadDaemonConfig(MCUTUNE_SOURCE_DIR "/configs/mcutuned.json").ok());

  auto bad = [](const std::string& json, const std::string& needle) {
    absl::StatusOr<DaemonConfig> r = ParseDaemonConfig(json, "cfg");
    REQUIRE_FALSE(r.ok());
    INFO(r.status().message());
    CHECK(absl::IsInvalidArgument(r.status()));
    CHECK(std::string(r.status().message()).find(needle) != std::string::npos);
  };
  bad(R"({"lisen":"x"})", "unknown key 'lisen'");
  bad(R"({"listen":"localhost"})", "host:port");
  bad(R"({"listen":"127.0.0.1:70000"})", "host:port");
  bad(R"({"auth":"off"})", "disabled");
  bad(R"({"auth":{"token":"x"}})", "unknown key 'token'");
  bad(R"({"limits":{"max_concurrent_jobs":0}})", "max_concurrent_jobs");
  bad(R"({"limits":{"max_model_bytes":"big"}})", "integer");
  bad(R"({"tuning":{"explore_fraction":2}})", "explore_fraction");
  bad(R"({"log_level":"loud"})", "log_level");
  bad(R"({"data_dir":""})", "data_dir");
  bad("[]", "not a JSON object");
  CHECK(absl::IsNotFound(
      LoadDaemonConfig("/nonexistent/mcutuned.json").status()));
}

TEST_CASE("bearer tokens: roles are separate, malformed headers refused") {
  const Authenticator auth("client-token-0123456789", "agent-token-0123456789");
  CHECK(auth.Check("Bearer client-token-0123456789", Role::kClient).ok());
  CHECK(auth.Check("Bearer agent-token-0123456789", Role::kAgent).ok());
  CHECK(absl::IsPermissionDenied(
      auth.Check("Bearer agent-token-0123456789", Role::kClient)));
  CHECK(absl::IsPermissionDenied(
      auth.Check("Bearer client-token-0123456789", Role::kAgent)));
  CHECK(absl::IsUnauthenticated(auth.Check("", Role::kClient)));
  CHECK(absl::IsUnauthenticated(auth.Check("Bearer ", Role::kClient)));
  CHECK(absl::IsUnauthenticated(auth.Check("Basic abc", Role::kClient)));
  CHECK(absl::IsUnauthenticated(
      auth.Check("Bearer client-token-012345678", Role::kClient)));
  CHECK(absl::IsUnauthenticated(
      auth.Check("Bearer client-token-01234567890", Role::kClient)));
  CHECK(Authenticator::Disabled().Check("", Role::kAgent).ok());
}

TEST_CASE("token files are created once, private, and reused") {
  const fs::path dir = ::mcutune::testing::MakeTempDir("mcutuned_token");
  const std::string file = (dir / "sub" / "client.token").string();
  absl::StatusOr<std::string> a = LoadOrCreateToken(file, "");
  REQUIRE(a.ok());
  CHECK(a->size() == 64);
  struct stat st {};
  REQUIRE(stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(*LoadOrCreateToken(file, "") == *a);
  setenv("MCUTUNE_TEST_TOKEN_ENV", "from-the-environment-123", 1);
  CHECK(*LoadOrCreateToken(file, "MCUTUNE_TEST_TOKEN_ENV") ==
        "from-the-environment-123");
  setenv("MCUTUNE_TEST_TOKEN_ENV", "short", 1);
  CHECK(absl::IsInvalidArgument(
      LoadOrCreateToken(file, "MCUTUNE_TEST_TOKEN_ENV").status()));
  unsetenv("MCUTUNE_TEST_TOKEN_ENV");
  std::ofstream(dir / "bad.token") << "has spaces in it but long enough\n";
  CHECK(absl::IsInvalidArgument(
      LoadOrCreateToken((dir / "bad.token").string(), "").status()));
  fs::remove_all(dir);
}

// A ustar header block for hostile-archive tests (checksum computed here).
std::string Header(const std::string& name, char type, size_t size) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  std::snprintf(&h[100], 8, "%07o", 0644);
  std::snprintf(&h[124], 12, "%011zo", size);
  h[156] = type;
  h.replace(257, 6, std::string("ustar\0", 6));
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i)
    sum += (i >= 148 && i < 156) ? ' ' : (unsigned char)h[i];
  std::snprintf(&h[148], 8, "%06o", sum);
  h[155] = ' ';
  return h;
}

TEST_CASE("tar: bundles round-trip, hostile archives are refused") {
  const fs::path dir = ::mcutune::testing::MakeTempDir("mcutune_tar");
  fs::create_directories(dir / "src" / "codegen" / "kernels");
  fs::create_directories(dir / "src" / "obj");
  std::ofstream(dir / "src" / "Makefile") << "all:\n";
  std::ofstream(dir / "src" / "obj" / "x.o") << "intermediate";
  // A path longer than ustar's 100-byte name field (prefix + name split).
  const std::string long_name =
      std::string(70, 'k') + "/" + std::string(60, 'n');
  fs::create_directories(dir / "src" / "codegen" / "kernels" /
                         std::string(70, 'k'));
  std::string blob(70000, '\0');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>(i * 7);
  std::ofstream(dir / "src" / "codegen" / "kernels" / long_name,
                std::ios::binary)
      << blob;
  absl::StatusOr<std::string> tar =
      TarDirectory((dir / "src").string(), "bundle", int64_t{1} << 30, {"obj"});
  REQUIRE(tar.ok());
  CHECK(tar->size() % 512 == 0);
  absl::StatusOr<int> n = ExtractTar(*tar, (dir / "out").string());
  REQUIRE(n.ok());
  CHECK(*n == 2);  // obj/ skipped
  CHECK(::mcutune::testing::ReadFileText(dir / "out" / "Makefile") == "all:\n");
  CHECK(::mcutune::testing::ReadFileText(dir / "out" / "codegen" / "kernels" /
                                         long_name) == blob);
  CHECK_FALSE(fs::exists(dir / "out" / "obj"));
  // The system tar agrees with our reader's view of the archive.
  std::ofstream(dir / "b.tar", std::ios::binary) << *tar;
  if (base::ProgramExists("tar")) {
    absl::StatusOr<base::SubprocessResult> t =
        base::RunSubprocess({"tar", "tf", (dir / "b.tar").string()});
    REQUIRE(t.ok());
    CHECK(t->exit_code == 0);
    CHECK(t->stdout_data.find("bundle/Makefile") != std::string::npos);
    CHECK(t->stdout_data.find("bundle/codegen/kernels/" + long_name) !=
          std::string::npos);
  }
  absl::StatusOr<std::string> tiny =
      TarDirectory((dir / "src").string(), "b", 100);
  CHECK(absl::IsResourceExhausted(tiny.status()));

  const std::string end(1024, '\0');
  auto refused = [&](const std::string& archive) {
    absl::StatusOr<int> r = ExtractTar(archive, (dir / "hostile").string());
    INFO(r.status().message());
    CHECK(absl::IsInvalidArgument(r.status()));
  };
  refused(Header("../evil", '0', 0) + end);
  refused(Header("/etc/evil", '0', 0) + end);
  refused(Header("a/../../evil", '0', 0) + end);
  refused(Header("link", '2', 0) + end);                            // symlink
  refused(Header("big", '0', 4096) + std::string(512, 'x') + end);  // truncated
  std::string bad_sum = Header("ok", '0', 0);
  bad_sum[0] = 'p';
  refused(bad_sum + end);
  refused(Header("ok", '0', 0));  // no end blocks
  CHECK_FALSE(fs::exists(dir.parent_path() / "evil"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcutune::server
