// Bearer-token authentication of the daemon's callers.
//
//   gRPC metadata / HTTP header  "authorization: Bearer <token>"
//     ──Authenticator::Check(header, role)──► OK | UNAUTHENTICATED |
//                                             PERMISSION_DENIED
// Two tokens, two roles: the client token opens the Tuning service and the
// HTTP API, the agent token the FarmAgent service; presenting one role's
// token to the other's service is PERMISSION_DENIED (so an agent host never
// gets to submit jobs or download bundles). Comparison is constant-time.
// With auth disabled (config "auth": "disabled") every call is accepted.
// Thread-safe (immutable after construction).
#ifndef MCUTUNE_SERVER_DAEMON_AUTH_H_
#define MCUTUNE_SERVER_DAEMON_AUTH_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mcutune::server {

enum class Role { kClient, kAgent };

class Authenticator {
 public:
  static Authenticator Disabled() { return Authenticator(); }
  Authenticator(std::string client_token, std::string agent_token)
      : enabled_(true),
        client_(std::move(client_token)),
        agent_(std::move(agent_token)) {}

  bool enabled() const { return enabled_; }
  // `authorization` is the header value (may be empty when absent).
  absl::Status Check(std::string_view authorization, Role role) const;

 private:
  Authenticator() = default;
  bool enabled_ = false;
  std::string client_, agent_;
};

// The token from $env_var when set and non-empty, else from `file`; a
// missing file is created (parent directories too, mode 0600) holding 32
// random bytes as 64 hex digits. INVALID_ARGUMENT for a token shorter than
// 16 characters or with characters outside [A-Za-z0-9._~+/=-].
absl::StatusOr<std::string> LoadOrCreateToken(const std::string& file,
                                              const std::string& env_var);

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_DAEMON_AUTH_H_
