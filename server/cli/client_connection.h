// How the `mcutune` client commands reach the daemon.
//
// Common options of every client command, taken out of its arguments by
// ParseClientOptions:
//   --server HOST:PORT   else $MCUTUNE_SERVER, else "server" of the client
//                        config, else 127.0.0.1:50051
//   --token TOKEN        else --token-file FILE, $MCUTUNE_TOKEN,
//                        $MCUTUNE_TOKEN_FILE, "token"/"token_file" of the
//                        client config, else out/mcutuned/client.token when
//                        it exists (the token mcutuned writes on first start
//                        with configs/mcutuned.json, relative to the current
//                        directory); none at all = no authorization header
//   --tls-ca FILE        TLS: trust the daemon certificate's CA (PEM); else
//                        $MCUTUNE_TLS_CA, else "tls_ca" of the client config;
//                        none = plaintext (a daemon with "tls" then refuses)
//   --tls-cert F --tls-key F   client certificate for a daemon with
//                        tls.client_ca_file (else $MCUTUNE_TLS_CERT/_KEY)
//   --json               machine-readable output (the proto's JSON mapping)
//   --timeout S          per call, default 30 (watch and fetch: no limit)
// Client config: $MCUTUNE_CLIENT_CONFIG, else ~/.config/mcutune/client.json:
//   {"server": "host:port", "token": "...", "token_file": "path",
//    "tls_ca": "path", "tls_cert": "path", "tls_key": "path"}.
#ifndef MCUTUNE_SERVER_CLI_CLIENT_CONNECTION_H_
#define MCUTUNE_SERVER_CLI_CLIENT_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/mcutune/v1/mcutune.grpc.pb.h"

namespace mcutune::cli {

struct ClientOptions {
  std::string server;
  std::string token;
  // PEM contents (read by ParseClientOptions); tls_ca_pem empty = plaintext.
  std::string tls_ca_pem, tls_cert_pem, tls_key_pem;
  bool json = false;
  int timeout_s = 30;
};

// Removes the common options from `args` (the rest stays, in order) and
// resolves server and token. INVALID_ARGUMENT for a malformed option or
// config file.
absl::StatusOr<ClientOptions> ParseClientOptions(
    std::vector<std::string>* args);

// A channel to options.server: TLS when options.tls_ca_pem is set.
std::shared_ptr<grpc::Channel> MakeClientChannel(
    const ClientOptions& options, const grpc::ChannelArguments& args);

class Client {
 public:
  explicit Client(const ClientOptions& options);
  ::mcutune::v1::Tuning::Stub& stub() { return *stub_; }
  // A context with the authorization header and, when `deadline`, the
  // per-call timeout.
  std::unique_ptr<grpc::ClientContext> Context(bool deadline = true) const;
  const ClientOptions& options() const { return options_; }

 private:
  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::mcutune::v1::Tuning::Stub> stub_;
};

// grpc::Status -> absl::Status with the same code; UNAVAILABLE gets a hint
// about --server.
absl::Status FromGrpc(const grpc::Status& status, const ClientOptions& options);

// The message as JSON (proto3 mapping, primitive fields always printed);
// one line when !pretty (for streams: one event per line).
std::string ToJson(const google::protobuf::Message& message,
                   bool pretty = true);

}  // namespace mcutune::cli

#endif  // MCUTUNE_SERVER_CLI_CLIENT_CONNECTION_H_
