// Access control of mcutuned, exhaustively: every gRPC method of every
// mcutune.v1 service (taken from the protobuf descriptors, so a new RPC is
// covered the day it is added) and every HTTP route (taken from the daemon's
// one route table, HttpApi::routes()) is called without a token, with a wrong
// token, with a malformed header and with the other role's token, and must
// answer UNAUTHENTICATED / PERMISSION_DENIED (401 / 403); with the right
// token it must answer anything else. Public HTTP routes are an explicit
// allow-list (docs/reliability.md, "Access").
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/generic/generic_stub.h>
#include <httplib.h>

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "server/daemon/http_api.h"
#include "tests/server/daemon_fixture.h"

namespace mcutune::testing {
namespace {

namespace gpb = ::google::protobuf;
using grpc::StatusCode;

// Which token opens each service. A service missing here fails the test:
// decide its role (and add it to docs/daemon.md) when adding one.
const std::map<std::string, server::Role>& ServiceRoles() {
  static const auto* roles = new std::map<std::string, server::Role>{
      {"mcutune.v1.Tuning", server::Role::kClient},
      {"mcutune.v1.Sweeps", server::Role::kClient},
      {"mcutune.v1.FarmAgent", server::Role::kAgent},
  };
  return *roles;
}

// Every service of the files that define the daemon's API (and of the
// mcutune.v1 files they import).
std::vector<const gpb::ServiceDescriptor*> AllServices() {
  const gpb::DescriptorPool* pool = gpb::DescriptorPool::generated_pool();
  std::vector<const gpb::FileDescriptor*> todo = {
      pool->FindServiceByName(pb::Tuning::service_full_name())->file(),
      pool->FindServiceByName(pb::FarmAgent::service_full_name())->file()};
  std::set<std::string> seen;
  std::vector<const gpb::ServiceDescriptor*> out;
  while (!todo.empty()) {
    const gpb::FileDescriptor* f = todo.back();
    todo.pop_back();
    if (f->package() != "mcutune.v1" || !seen.insert(f->name()).second) {
      continue;
    }
    for (int i = 0; i < f->service_count(); ++i) out.push_back(f->service(i));
    for (int i = 0; i < f->dependency_count(); ++i) {
      todo.push_back(f->dependency(i));
    }
  }
  return out;
}

// Waits for `tag` on `cq` (30 s at most); returns the event's ok bit.
bool Await(grpc::CompletionQueue& cq, void* tag) {
  void* got = nullptr;
  bool ok = false;
  const auto deadline =
      std::chrono::system_clock::now() + std::chrono::seconds(30);
  REQUIRE(cq.AsyncNext(&got, &ok, deadline) ==
          grpc::CompletionQueue::GOT_EVENT);
  REQUIRE(got == tag);
  return ok;
}

// Calls /<service>/<method> by name with one default request message
// (streams: that message, then half-close; every response is read and
// dropped). `authorization` is the header value ("" = none).
grpc::Status CallByName(grpc::GenericStub& stub,
                        const gpb::MethodDescriptor& method,
                        const std::string& authorization) {
  std::string request;
  gpb::DynamicMessageFactory factory;
  std::unique_ptr<gpb::Message> message(
      factory.GetPrototype(method.input_type())->New());
  REQUIRE(message->SerializeToString(&request));
  grpc::ClientContext ctx;
  if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  grpc::CompletionQueue cq;
  const std::string path =
      absl::StrCat("/", std::string(method.service()->full_name()), "/",
                   std::string(method.name()));
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&ctx, path, &cq);
  int tags[5];
  call->StartCall(&tags[0]);
  Await(cq, &tags[0]);
  grpc::Slice slice(request);
  call->Write(grpc::ByteBuffer(&slice, 1), &tags[1]);
  Await(cq, &tags[1]);
  call->WritesDone(&tags[2]);
  Await(cq, &tags[2]);
  grpc::ByteBuffer response;
  for (int i = 0; i < 1000; ++i) {
    call->Read(&response, &tags[3]);
    if (!Await(cq, &tags[3])) break;
  }
  grpc::Status status;
  call->Finish(&status, &tags[4]);
  Await(cq, &tags[4]);
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

constexpr char kWrongToken[] = "Bearer wrong-token-0123456789abcdef";

TEST_CASE("access: every gRPC method of every service checks its token") {
  InProcessDaemon d;
  grpc::GenericStub stub(d.channel);
  const std::string client = "Bearer " + d.daemon->client_token();
  const std::string agent = "Bearer " + d.daemon->agent_token();
  const std::vector<const gpb::ServiceDescriptor*> services = AllServices();
  std::set<std::string> names;
  int methods = 0;
  for (const gpb::ServiceDescriptor* service : services) {
    const std::string name(service->full_name());
    names.insert(name);
    INFO("service " << name);
    auto role = ServiceRoles().find(name);
    REQUIRE(role != ServiceRoles().end());  // a new service: give it a role
    const bool client_role = role->second == server::Role::kClient;
    const std::string& right = client_role ? client : agent;
    const std::string& other = client_role ? agent : client;
    for (int m = 0; m < service->method_count(); ++m) {
      const gpb::MethodDescriptor& method = *service->method(m);
      INFO("method " << method.name());
      ++methods;
      CHECK(CallByName(stub, method, "").error_code() ==
            StatusCode::UNAUTHENTICATED);
      CHECK(CallByName(stub, method, kWrongToken).error_code() ==
            StatusCode::UNAUTHENTICATED);
      CHECK(CallByName(stub, method, "Basic dXNlcjpwYXNz").error_code() ==
            StatusCode::UNAUTHENTICATED);
      CHECK(CallByName(stub, method, other).error_code() ==
            StatusCode::PERMISSION_DENIED);
      const grpc::Status ok = CallByName(stub, method, right);
      INFO(ok.error_message());
      CHECK(ok.error_code() != StatusCode::UNAUTHENTICATED);
      CHECK(ok.error_code() != StatusCode::PERMISSION_DENIED);
      CHECK(ok.error_code() != StatusCode::UNIMPLEMENTED);  // registered
    }
  }
  // The descriptors hold at least the services of docs/daemon.md, and every
  // role entry above names a real service.
  for (const auto& [name, role] : ServiceRoles()) CHECK(names.count(name));
  CHECK(methods >= 12 + 4 + 4);
}

// A concrete path for a route pattern: every regex group becomes "x0".
// FAILs for a pattern this cannot turn into a path (extend it then).
std::string PathFor(const std::string& pattern) {
  std::string path =
      std::regex_replace(pattern, std::regex(R"(\(\[\^/\]\+\))"), "x0");
  INFO("route pattern " << pattern);
  REQUIRE(path.find_first_of("()[]*+?\\^$|") == std::string::npos);
  return path;
}

httplib::Result HttpCall(httplib::Client& http, const std::string& method,
                         const std::string& path,
                         const std::string& authorization) {
  httplib::Headers headers;
  if (!authorization.empty()) headers.emplace("Authorization", authorization);
  if (method == "POST") return http.Post(path, headers, "", "application/json");
  return http.Get(path, headers);
}

// The routes that need no token, and why (docs/reliability.md).
const std::set<std::string>& PublicRoutes() {
  static const auto* routes = new std::set<std::string>{
      "/healthz",     // liveness probes; reveals job counts only
      "/",            // the dashboard's static files (mount point) ...
      "/index.html",  // ... or its "not built" page
  };
  return *routes;
}

TEST_CASE("access: every HTTP route of the route table checks the token") {
  InProcessDaemon d;
  const server::HttpApi* api = d.daemon->http_api();
  REQUIRE(api != nullptr);
  const std::string address = d.daemon->http_address();
  const size_t colon = address.rfind(':');
  httplib::Client http(address.substr(0, colon),
                       std::stoi(address.substr(colon + 1)));
  http.set_read_timeout(20, 0);
  const std::string client = "Bearer " + d.daemon->client_token();
  const std::string agent = "Bearer " + d.daemon->agent_token();
  int protected_routes = 0;
  std::set<std::string> seen;
  for (const server::HttpApi::Route& r : api->routes()) {
    INFO(r.method << " " << r.pattern);
    seen.insert(r.method + " " + r.pattern);
    const std::string path = PathFor(r.pattern);
    if (!r.needs_token) {
      CHECK(r.method == "GET");
      CHECK(PublicRoutes().count(r.pattern) == 1);
      httplib::Result anon = HttpCall(http, "GET", path, "");
      REQUIRE(anon);
      CHECK(anon->status == 200);
      continue;
    }
    ++protected_routes;
    for (const std::string& bad :
         {std::string(), std::string(kWrongToken), std::string("Bearer "),
          std::string("Basic dXNlcjpwYXNz")}) {
      httplib::Result res = HttpCall(http, r.method, path, bad);
      REQUIRE(res);
      CHECK(res->status == 401);
      CHECK(res->body.find("UNAUTHENTICATED") != std::string::npos);
    }
    httplib::Result wrong_role = HttpCall(http, r.method, path, agent);
    REQUIRE(wrong_role);
    CHECK(wrong_role->status == 403);
    CHECK(wrong_role->body.find("PERMISSION_DENIED") != std::string::npos);
    httplib::Result ok = HttpCall(http, r.method, path, client);
    REQUIRE(ok);
    INFO(ok->status << " " << ok->body.substr(0, 300));
    CHECK(ok->status != 401);
    CHECK(ok->status != 403);
    // Answered by the route itself (a JSON body), not httplib's bare 404.
    CHECK(
        (ok->status == 200 || ok->body.find("\"error\"") != std::string::npos));
  }
  // The table holds the documented API families (a refactor that dropped
  // the table for some of them would otherwise pass vacuously).
  for (const char* must :
       {"GET /api/v1/boards", "POST /api/v1/jobs",
        "GET /api/v1/jobs/([^/]+)/build", "GET /api/v1/sweeps",
        "GET /api/v1/farm", "POST /api/v1/farm/drain",
        "GET /api/v1/jobs/([^/]+)/firmware", "GET /healthz"}) {
    CHECK(seen.count(must) == 1);
  }
  CHECK(protected_routes >= 20);
}

TEST_CASE("access: with auth disabled every route and RPC is open") {
  InProcessDaemon d(int64_t{64} << 20,
                    [](server::DaemonConfig* c) { c->auth.enabled = false; });
  grpc::GenericStub stub(d.channel);
  for (const gpb::ServiceDescriptor* service : AllServices()) {
    for (int m = 0; m < service->method_count(); ++m) {
      INFO(service->full_name() << "/" << service->method(m)->name());
      const StatusCode code =
          CallByName(stub, *service->method(m), "").error_code();
      CHECK(code != StatusCode::UNAUTHENTICATED);
      CHECK(code != StatusCode::PERMISSION_DENIED);
    }
  }
}

}  // namespace
}  // namespace mcutune::testing
