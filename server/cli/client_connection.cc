// Client option resolution and the gRPC channel (client_connection.h).
#include "server/cli/client_connection.h"

#include <google/protobuf/util/json_util.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mcutune::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

absl::StatusOr<std::string> ReadPemFile(const std::string& path,
                                        const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (text.find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, " is not a PEM file"));
  }
  return text;
}

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  std::string token;
  std::getline(in, token);
  token = std::string(absl::StripAsciiWhitespace(token));
  if (token.empty())
    return absl::InvalidArgumentError(absl::StrCat(path, " holds no token"));
  return token;
}

}  // namespace

absl::StatusOr<ClientOptions> ParseClientOptions(
    std::vector<std::string>* args) {
  ClientOptions o;
  std::string token_file, tls_ca, tls_cert, tls_key;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    auto value = [&](std::string* out) -> absl::Status {
      if (i + 1 >= args->size())
        return absl::InvalidArgumentError(a + " needs a value");
      *out = (*args)[++i];
      return absl::OkStatus();
    };
    if (a == "--server") {
      if (absl::Status s = value(&o.server); !s.ok()) return s;
    } else if (a == "--token") {
      if (absl::Status s = value(&o.token); !s.ok()) return s;
    } else if (a == "--token-file") {
      if (absl::Status s = value(&token_file); !s.ok()) return s;
    } else if (a == "--tls-ca") {
      if (absl::Status s = value(&tls_ca); !s.ok()) return s;
    } else if (a == "--tls-cert") {
      if (absl::Status s = value(&tls_cert); !s.ok()) return s;
    } else if (a == "--tls-key") {
      if (absl::Status s = value(&tls_key); !s.ok()) return s;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--timeout") {
      std::string v;
      if (absl::Status s = value(&v); !s.ok()) return s;
      if (!absl::SimpleAtoi(v, &o.timeout_s) || o.timeout_s < 1 ||
          o.timeout_s > 86400) {
        return absl::InvalidArgumentError(
            "--timeout takes seconds in 1..86400");
      }
    } else {
      rest.push_back(a);
    }
  }
  *args = rest;
  // The client config file.
  std::string config_path = Env("MCUTUNE_CLIENT_CONFIG");
  if (config_path.empty() && !Env("HOME").empty()) {
    config_path = Env("HOME") + "/.config/mcutune/client.json";
  }
  std::string cfg_server, cfg_token, cfg_token_file, cfg_tls_ca, cfg_tls_cert,
      cfg_tls_key;
  std::error_code ec;
  if (!config_path.empty() && std::filesystem::exists(config_path, ec)) {
    std::ifstream in(config_path);
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(config_path, ": not a JSON object"));
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() != "server" && it.key() != "token" &&
          it.key() != "token_file" && it.key() != "tls_ca" &&
          it.key() != "tls_cert" && it.key() != "tls_key") {
        return absl::InvalidArgumentError(
            absl::StrCat(config_path, ": unknown key '", it.key(), "'"));
      }
      if (!it.value().is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(config_path, ": '", it.key(), "' must be a string"));
      }
    }
    cfg_server = j.value("server", "");
    cfg_token = j.value("token", "");
    cfg_token_file = j.value("token_file", "");
    cfg_tls_ca = j.value("tls_ca", "");
    cfg_tls_cert = j.value("tls_cert", "");
    cfg_tls_key = j.value("tls_key", "");
  }
  // TLS: flag, then environment, then client config.
  auto pick = [](std::string* v, const char* env, const std::string& cfg) {
    if (v->empty()) *v = Env(env);
    if (v->empty()) *v = cfg;
  };
  pick(&tls_ca, "MCUTUNE_TLS_CA", cfg_tls_ca);
  pick(&tls_cert, "MCUTUNE_TLS_CERT", cfg_tls_cert);
  pick(&tls_key, "MCUTUNE_TLS_KEY", cfg_tls_key);
  if (tls_cert.empty() != tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together (a client certificate and its "
        "key)");
  }
  if (!tls_cert.empty() && tls_ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert needs --tls-ca (the CA of the daemon's certificate)");
  }
  for (auto [path, out, what] :
       {std::tuple{&tls_ca, &o.tls_ca_pem, "TLS CA file"},
        std::tuple{&tls_cert, &o.tls_cert_pem, "TLS certificate"},
        std::tuple{&tls_key, &o.tls_key_pem, "TLS key"}}) {
    if (path->empty()) continue;
    absl::StatusOr<std::string> pem = ReadPemFile(*path, what);
    if (!pem.ok()) return absl::InvalidArgumentError(pem.status().message());
    *out = *pem;
  }
  if (o.server.empty()) o.server = Env("MCUTUNE_SERVER");
  if (o.server.empty()) o.server = cfg_server;
  if (o.server.empty()) o.server = "127.0.0.1:50051";
  if (o.token.empty() && !token_file.empty()) {
    absl::StatusOr<std::string> t = ReadToken(token_file);
    if (!t.ok()) return t.status();
    o.token = *t;
  }
  if (o.token.empty()) o.token = Env("MCUTUNE_TOKEN");
  if (o.token.empty() && !Env("MCUTUNE_TOKEN_FILE").empty()) {
    absl::StatusOr<std::string> t = ReadToken(Env("MCUTUNE_TOKEN_FILE"));
    if (!t.ok()) return t.status();
    o.token = *t;
  }
  if (o.token.empty()) o.token = cfg_token;
  if (o.token.empty() && !cfg_token_file.empty()) {
    absl::StatusOr<std::string> t = ReadToken(cfg_token_file);
    if (!t.ok()) return t.status();
    o.token = *t;
  }
  if (o.token.empty() &&
      std::filesystem::exists("out/mcutuned/client.token", ec)) {
    absl::StatusOr<std::string> t = ReadToken("out/mcutuned/client.token");
    if (t.ok()) o.token = *t;
  }
  return o;
}

std::shared_ptr<grpc::Channel> MakeClientChannel(
    const ClientOptions& options, const grpc::ChannelArguments& args) {
  if (options.tls_ca_pem.empty()) {
    return grpc::CreateCustomChannel(options.server,
                                     grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_ca_pem;
  ssl.pem_cert_chain = options.tls_cert_pem;
  ssl.pem_private_key = options.tls_key_pem;
  return grpc::CreateCustomChannel(options.server, grpc::SslCredentials(ssl),
                                   args);
}

Client::Client(const ClientOptions& options) : options_(options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  channel_ = MakeClientChannel(options_, args);
  stub_ = ::mcutune::v1::Tuning::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Client::Context(bool deadline) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!options_.token.empty())
    ctx->AddMetadata("authorization", "Bearer " + options_.token);
  if (deadline) {
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(options_.timeout_s));
  }
  return ctx;
}

absl::Status FromGrpc(const grpc::Status& s, const ClientOptions& o) {
  if (s.ok()) return absl::OkStatus();
  std::string message = s.error_message();
  // UNAVAILABLE from the daemon itself (its database locked by another
  // process) needs no connection hint.
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
      message.find("database") == std::string::npos) {
    absl::StrAppend(&message, " (is mcutuned running at ", o.server,
                    "? set --server or MCUTUNE_SERVER",
                    o.tls_ca_pem.empty()
                        ? "; a daemon with TLS needs --tls-ca or MCUTUNE_TLS_CA"
                        : "; TLS: is --tls-ca the CA of its certificate?",
                    ")");
  }
  if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    absl::StrAppend(&message,
                    " (give --token, MCUTUNE_TOKEN or MCUTUNE_TOKEN_FILE)");
  }
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), message);
}

std::string ToJson(const google::protobuf::Message& m, bool pretty) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  o.add_whitespace = pretty;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

}  // namespace mcutune::cli
