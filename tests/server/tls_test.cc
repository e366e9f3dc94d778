// TLS by configuration: certificates made at test time with the openssl CLI
// (a test CA, a server certificate for 127.0.0.1, a client certificate, and
// an unrelated CA); an in-process daemon with "tls" on loopback. A client
// trusting the CA works over gRPC, HTTPS, the `mcutune` CLI (--tls-ca and
// $MCUTUNE_TLS_CA) and `mcutune-agent`; plaintext clients and clients
// trusting another CA are refused; with client_ca_file a client certificate
// is required (mutual TLS).
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/subprocess.h"
#include "tests/server/daemon_fixture.h"

extern char** environ;

namespace mcutune::testing {
namespace {

namespace fs = std::filesystem;

// PEM files of a throw-away PKI under `dir`.
struct TestPki {
  fs::path dir;
  std::string ca, ca_key, server_cert, server_key, client_cert, client_key,
      other_ca;
};

void Openssl(const std::vector<std::string>& args, const fs::path& dir) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  base::SubprocessOptions o;
  o.working_dir = dir.string();
  o.timeout = absl::Seconds(60);
  absl::StatusOr<base::SubprocessResult> r = base::RunSubprocess(argv, o);
  INFO(base::FormatCommandLine(argv));
  REQUIRE(r.ok());
  INFO(r->stderr_data);
  REQUIRE(r->exit_code == 0);
}

// A key pair and a certificate signing request for `cn` (+ SAN when given).
void KeyAndCsr(const fs::path& dir, const std::string& name,
               const std::string& cn, const std::string& san) {
  std::vector<std::string> args = {
      "req",      "-new",        "-newkey",
      "ec",       "-pkeyopt",    "ec_paramgen_curve:prime256v1",
      "-nodes",   "-keyout",     name + ".key",
      "-out",     name + ".csr", "-subj",
      "/CN=" + cn};
  if (!san.empty()) args.insert(args.end(), {"-addext", san});
  Openssl(args, dir);
}

void SelfSigned(const fs::path& dir, const std::string& name,
                const std::string& cn) {
  Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
           "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key",
           "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + cn},
          dir);
}

void SignWithCa(const fs::path& dir, const std::string& name) {
  Openssl({"x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey",
           "ca.key", "-CAcreateserial", "-out", name + ".pem", "-days", "2",
           "-copy_extensions", "copy"},
          dir);
}

TestPki MakePki() {
  TestPki p;
  p.dir = MakeTempDir("mcutune_pki");
  SelfSigned(p.dir, "ca", "mcutune test CA");
  SelfSigned(p.dir, "other", "some other CA");
  KeyAndCsr(p.dir, "server", "localhost",
            "subjectAltName=IP:127.0.0.1,DNS:localhost");
  SignWithCa(p.dir, "server");
  KeyAndCsr(p.dir, "client", "mcutune test client", "");
  SignWithCa(p.dir, "client");
  auto at = [&](const char* f) { return (p.dir / f).string(); };
  p.ca = at("ca.pem");
  p.ca_key = at("ca.key");
  p.other_ca = at("other.pem");
  p.server_cert = at("server.pem");
  p.server_key = at("server.key");
  p.client_cert = at("client.pem");
  p.client_key = at("client.key");
  return p;
}

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address,
                                          const std::string& ca_file,
                                          const std::string& cert_file = "",
                                          const std::string& key_file = "") {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = ReadFileText(ca_file);
  if (!cert_file.empty()) {
    o.pem_cert_chain = ReadFileText(cert_file);
    o.pem_private_key = ReadFileText(key_file);
  }
  return grpc::CreateChannel(address, grpc::SslCredentials(o));
}

grpc::Status ListBoards(const std::shared_ptr<grpc::Channel>& channel,
                        const std::string& token) {
  auto stub = pb::Tuning::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  pb::ListBoardsResponse res;
  return stub->ListBoards(&ctx, pb::ListBoardsRequest(), &res);
}

std::pair<std::string, int> HostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  return {address.substr(0, colon), std::stoi(address.substr(colon + 1))};
}

bool HaveOpenssl() {
  if (base::ProgramExists("openssl")) return true;
  WARN("openssl CLI missing: TLS tests skipped");
  return false;
}

TEST_CASE("tls: gRPC, HTTPS and the CLI with the configured certificate") {
  if (!HaveOpenssl()) return;
  const TestPki pki = MakePki();
  InProcessDaemon d(int64_t{64} << 20, [&](server::DaemonConfig* c) {
    c->tls.cert_file = pki.server_cert;
    c->tls.key_file = pki.server_key;
  });
  const std::string grpc_address = d.daemon->grpc_address();
  const std::string token = d.daemon->client_token();

  // gRPC: the CA works; plaintext and another CA do not.
  const grpc::Status tls = ListBoards(TlsChannel(grpc_address, pki.ca), token);
  INFO(tls.error_message());
  CHECK(tls.ok());
  CHECK(ListBoards(d.channel, token).error_code() ==
        grpc::StatusCode::UNAVAILABLE);
  CHECK(
      ListBoards(TlsChannel(grpc_address, pki.other_ca), token).error_code() ==
      grpc::StatusCode::UNAVAILABLE);
  // Tokens still apply over TLS.
  CHECK(ListBoards(TlsChannel(grpc_address, pki.ca), d.daemon->agent_token())
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);

  // HTTPS.
  const auto [host, port] = HostPort(d.daemon->http_address());
  httplib::SSLClient https(host, port);
  https.set_ca_cert_path(pki.ca.c_str());
  https.enable_server_certificate_verification(true);
  httplib::Result health = https.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body.find("\"status\":\"ok\"") != std::string::npos);
  httplib::Result anon = https.Get("/api/v1/boards");
  REQUIRE(anon);
  CHECK(anon->status == 401);
  httplib::Result boards =
      https.Get("/api/v1/boards", {{"Authorization", "Bearer " + token}});
  REQUIRE(boards);
  CHECK(boards->status == 200);
  httplib::Client plain(host, port);
  plain.set_connection_timeout(5, 0);
  plain.set_read_timeout(5, 0);
  httplib::Result plain_health = plain.Get("/healthz");
  CHECK((!plain_health || plain_health->status != 200));
  httplib::SSLClient untrusting(host, port);
  untrusting.set_ca_cert_path(pki.other_ca.c_str());
  untrusting.enable_server_certificate_verification(true);
  CHECK_FALSE(untrusting.Get("/healthz"));

  // daemon.json says so.
  const nlohmann::json info =
      nlohmann::json::parse(ReadFileText(d.dir / "data" / "daemon.json"));
  CHECK(info["tls"] == true);

  // The CLI: --tls-ca, $MCUTUNE_TLS_CA, and a clear error without either.
  CliRun with_flag = RunMcutune({"boards", "--json", "--server", grpc_address,
                                 "--token", token, "--tls-ca", pki.ca});
  INFO(with_flag.out << with_flag.err);
  CHECK(with_flag.exit_code == 0);
  CHECK(with_flag.out.find("qemu-f746") != std::string::npos);
  setenv("MCUTUNE_TLS_CA", pki.ca.c_str(), 1);
  CliRun with_env =
      RunMcutune({"boards", "--server", grpc_address, "--token", token});
  unsetenv("MCUTUNE_TLS_CA");
  INFO(with_env.out << with_env.err);
  CHECK(with_env.exit_code == 0);
  CliRun without = RunMcutune(
      {"boards", "--server", grpc_address, "--token", token, "--timeout", "5"});
  CHECK(without.exit_code != 0);
  CHECK(without.err.find("--tls-ca") != std::string::npos);
  CliRun bad_ca = RunMcutune({"boards", "--server", grpc_address, "--token",
                              token, "--tls-ca", pki.server_key + ".nope"});
  CHECK(bad_ca.exit_code != 0);
  CHECK(bad_ca.err.find("TLS CA file") != std::string::npos);
  fs::remove_all(pki.dir);
}

TEST_CASE("tls: client_ca_file requires a client certificate (mutual TLS)") {
  if (!HaveOpenssl()) return;
  const TestPki pki = MakePki();
  InProcessDaemon d(int64_t{64} << 20, [&](server::DaemonConfig* c) {
    c->tls.cert_file = pki.server_cert;
    c->tls.key_file = pki.server_key;
    c->tls.client_ca_file = pki.ca;
  });
  const std::string grpc_address = d.daemon->grpc_address();
  const std::string token = d.daemon->client_token();
  CHECK_FALSE(ListBoards(TlsChannel(grpc_address, pki.ca), token).ok());
  const grpc::Status mtls = ListBoards(
      TlsChannel(grpc_address, pki.ca, pki.client_cert, pki.client_key), token);
  INFO(mtls.error_message());
  CHECK(mtls.ok());

  const auto [host, port] = HostPort(d.daemon->http_address());
  httplib::SSLClient no_cert(host, port);
  no_cert.set_ca_cert_path(pki.ca.c_str());
  no_cert.enable_server_certificate_verification(true);
  httplib::Result refused = no_cert.Get("/healthz");
  CHECK((!refused || refused->status != 200));
  httplib::SSLClient with_cert(host, port, pki.client_cert, pki.client_key);
  with_cert.set_ca_cert_path(pki.ca.c_str());
  with_cert.enable_server_certificate_verification(true);
  httplib::Result health = with_cert.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);

  CliRun cli = RunMcutune({"boards", "--server", grpc_address, "--token", token,
                           "--tls-ca", pki.ca, "--tls-cert", pki.client_cert,
                           "--tls-key", pki.client_key});
  INFO(cli.out << cli.err);
  CHECK(cli.exit_code == 0);

  // mcutune-agent registers its board over mutual TLS.
  std::ofstream(d.dir / "agent_farm.json")
      << R"({"boards": [{"uri": "qemu://qemu-f746/tls", "kind": "qemu-f746"}]})";
  std::vector<std::string> args = {MCUTUNE_AGENT,
                                   "--server",
                                   grpc_address,
                                   "--farm",
                                   (d.dir / "agent_farm.json").string(),
                                   "--name",
                                   "tls-agent",
                                   "--token",
                                   d.daemon->agent_token(),
                                   "--tls-ca",
                                   pki.ca,
                                   "--tls-cert",
                                   pki.client_cert,
                                   "--tls-key",
                                   pki.client_key};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, MCUTUNE_AGENT, nullptr, nullptr, argv.data(),
                      environ) == 0);
  auto channel =
      TlsChannel(grpc_address, pki.ca, pki.client_cert, pki.client_key);
  bool registered = false;
  for (int i = 0; i < 100 && !registered; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto stub = pb::Tuning::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    pb::ListBoardsResponse res;
    if (!stub->ListBoards(&ctx, pb::ListBoardsRequest(), &res).ok()) continue;
    for (const pb::BoardKind& k : res.boards()) {
      for (const pb::BoardInstance& b : k.instances()) {
        registered |= b.uri() == "qemu://qemu-f746/tls";
      }
    }
  }
  kill(pid, SIGKILL);  // its long poll would delay a graceful stop
  waitpid(pid, nullptr, 0);
  CHECK(registered);
  fs::remove_all(pki.dir);
}

TEST_CASE("tls: config errors name the key") {
  auto bad = [](const std::string& json, const std::string& needle) {
    absl::StatusOr<server::DaemonConfig> c =
        server::ParseDaemonConfig(json, "cfg");
    REQUIRE_FALSE(c.ok());
    INFO(c.status().message());
    CHECK(std::string(c.status().message()).find(needle) != std::string::npos);
  };
  bad(R"({"tls": {"cert_file": "a.pem"}})", "key_file");
  bad(R"({"tls": {"cert_file": "a", "key_file": "b", "ca": "c"}})",
      "unknown key 'ca'");
  bad(R"({"tls": "on"})", "tls must be an object");
  absl::StatusOr<server::DaemonConfig> ok = server::ParseDaemonConfig(
      R"({"tls": {"cert_file": "a", "key_file": "b", "client_ca_file": "c"}})",
      "cfg");
  REQUIRE(ok.ok());
  CHECK(ok->tls.enabled());
  CHECK(ok->tls.client_ca_file == "c");

  // Unreadable files stop the start with the key's name.
  const fs::path dir = MakeTempDir("mcutune_tls_bad");
  server::DaemonConfig c;
  c.listen = "127.0.0.1:0";
  c.http_listen = "127.0.0.1:0";
  c.data_dir = (dir / "data").string();
  c.boards_dir = MCUTUNE_SOURCE_DIR "/configs/boards";
  c.farm_inventory = "";
  c.tls.cert_file = (dir / "missing.pem").string();
  c.tls.key_file = (dir / "missing.key").string();
  server::Daemon daemon(c);
  const absl::Status s = daemon.Start();
  CHECK(absl::IsInvalidArgument(s));
  CHECK(std::string(s.message()).find("tls.cert_file") != std::string::npos);
  daemon.Stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcutune::testing
