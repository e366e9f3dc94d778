// Tokens and their check (auth.h). Random tokens come from /dev/urandom.
#include "server/daemon/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mcutune::server {
namespace {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? a[i] : 0;
    const unsigned char y = i < b.size() ? b[i] : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

absl::Status ValidToken(const std::string& token, const std::string& origin) {
  if (token.size() < 16 || token.size() > 512) {
    return absl::InvalidArgumentError(
        absl::StrCat("token from ", origin, " must be 16..512 characters"));
  }
  for (char c : token) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("._~+/=-").find(c) == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "token from ", origin, " has characters outside [A-Za-z0-9._~+/=-]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Authenticator::Check(std::string_view header, Role role) const {
  if (!enabled_) return absl::OkStatus();
  constexpr std::string_view kBearer = "Bearer ";
  if (header.empty()) {
    return absl::UnauthenticatedError(
        "missing 'authorization: Bearer <token>' (see docs/daemon.md, "
        "Authentication)");
  }
  if (header.size() <= kBearer.size() ||
      header.substr(0, kBearer.size()) != kBearer) {
    return absl::UnauthenticatedError("authorization must be 'Bearer <token>'");
  }
  const std::string_view token = header.substr(kBearer.size());
  const std::string& want = role == Role::kClient ? client_ : agent_;
  const std::string& other = role == Role::kClient ? agent_ : client_;
  if (ConstantTimeEquals(token, want)) return absl::OkStatus();
  if (ConstantTimeEquals(token, other)) {
    return absl::PermissionDeniedError(
        role == Role::kClient
            ? "the agent token is not valid for client calls"
            : "the client token is not valid for agent calls");
  }
  return absl::UnauthenticatedError("invalid token");
}

absl::StatusOr<std::string> LoadOrCreateToken(const std::string& file,
                                              const std::string& env_var) {
  if (!env_var.empty()) {
    const char* v = std::getenv(env_var.c_str());
    if (v != nullptr && *v != '\0') {
      std::string token(v);
      if (absl::Status s = ValidToken(token, "$" + env_var); !s.ok()) return s;
      return token;
    }
  }
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    std::ifstream in(file);
    std::string token;
    std::getline(in, token);
    token = std::string(absl::StripAsciiWhitespace(token));
    if (absl::Status s = ValidToken(token, file); !s.ok()) return s;
    return token;
  }
  const std::filesystem::path parent =
      std::filesystem::path(file).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  unsigned char raw[32];
  {
    std::ifstream urandom("/dev/urandom", std::ios::binary);
    if (!urandom.read(reinterpret_cast<char*>(raw), sizeof(raw))) {
      return absl::InternalError("cannot read /dev/urandom");
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : raw) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  const int fd =
      ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", file));
  const std::string line = token + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) ==
                  static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok)
    return absl::ResourceExhaustedError(absl::StrCat("cannot write ", file));
  return token;
}

}  // namespace mcutune::server
