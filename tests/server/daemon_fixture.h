// Test helper: an in-process mcutuned (Daemon) on loopback ports chosen by
// the kernel, with a temporary data dir, the source tree's board catalogue,
// no farm boards and authentication on; plus gRPC stubs and contexts.
#ifndef MCUTUNE_TESTS_SERVER_DAEMON_FIXTURE_H_
#define MCUTUNE_TESTS_SERVER_DAEMON_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device_farm/board.h"
#include "graph/tflite_writer.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "proto/mcutune/v1/farm_agent.grpc.pb.h"
#include "proto/mcutune/v1/mcutune.grpc.pb.h"
#include "server/daemon/daemon.h"
#include "tests/testing/cli_runner.h"

namespace mcutune::testing {

namespace pb = ::mcutune::v1;

struct InProcessDaemon {
  std::filesystem::path dir = MakeTempDir("mcutuned_inproc");
  std::unique_ptr<server::Daemon> daemon;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::Tuning::Stub> tuning;
  std::unique_ptr<pb::FarmAgent::Stub> agent;

  // `tweak` may change the config before the daemon starts (e.g. TLS).
  explicit InProcessDaemon(
      int64_t max_model_bytes = int64_t{64} << 20,
      const std::function<void(server::DaemonConfig*)>& tweak = {}) {
    server::DaemonConfig c;
    c.listen = "127.0.0.1:0";
    c.http_listen = "127.0.0.1:0";
    c.data_dir = (dir / "data").string();
    c.boards_dir = MCUTUNE_SOURCE_DIR "/configs/boards";
    c.farm_inventory = "";
    c.limits.max_model_bytes = max_model_bytes;
    if (tweak) tweak(&c);
    daemon = std::make_unique<server::Daemon>(c);
    const absl::Status s = daemon->Start();
    INFO(s.message());
    REQUIRE(s.ok());
    channel = grpc::CreateChannel(daemon->grpc_address(),
                                  grpc::InsecureChannelCredentials());
    tuning = pb::Tuning::NewStub(channel);
    agent = pb::FarmAgent::NewStub(channel);
  }
  ~InProcessDaemon() {
    daemon->Stop();
    std::filesystem::remove_all(dir);
  }

  // A context with `token` (none when empty) and a 20 s deadline.
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(20));
    return ctx;
  }
  std::unique_ptr<grpc::ClientContext> Client() const {
    return Ctx(daemon->client_token());
  }
  std::unique_ptr<grpc::ClientContext> Agent() const {
    return Ctx(daemon->agent_token());
  }
};

// The bytes of a small real model (the zoo's ds-cnn-kws, seed 1).
inline std::string SmallModelBytes() {
  static const std::string bytes = [] {
    absl::StatusOr<graph::zoo::ZooEntry> e =
        graph::zoo::FindInZoo("ds-cnn-kws");
    REQUIRE(e.ok());
    absl::StatusOr<graph::Graph> g = graph::zoo::Synthesize(e->arch, 1);
    REQUIRE(g.ok());
    absl::StatusOr<std::vector<uint8_t>> b = graph::WriteTflite(*g);
    REQUIRE(b.ok());
    return std::string(b->begin(), b->end());
  }();
  return bytes;
}

// Streams an upload: header then `bytes` in 64 KiB chunks.
inline grpc::Status Upload(pb::Tuning::Stub& stub, grpc::ClientContext* ctx,
                           const pb::ModelHeader& header,
                           const std::string& bytes, pb::Model* out,
                           bool send_header = true) {
  std::unique_ptr<grpc::ClientWriter<pb::UploadModelRequest>> w =
      stub.UploadModel(ctx, out);
  if (send_header) {
    pb::UploadModelRequest h;
    *h.mutable_header() = header;
    w->Write(h);
  }
  for (size_t at = 0; at < bytes.size(); at += 65536) {
    pb::UploadModelRequest c;
    c.set_chunk(bytes.substr(at, 65536));
    if (!w->Write(c)) break;
  }
  w->WritesDone();
  return w->Finish();
}

}  // namespace mcutune::testing

#endif  // MCUTUNE_TESTS_SERVER_DAEMON_FIXTURE_H_
