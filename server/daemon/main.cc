// mcutuned: the tuning daemon. `mcutuned --config configs/mcutuned.json`
// (docs/daemon.md). Runs until SIGTERM or SIGINT, then shuts down
// gracefully (jobs stay resumable).
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "server/daemon/daemon.h"
#include "server/daemon/daemon_config.h"

namespace {

constexpr char kUsage[] =
    "usage: mcutuned [--config FILE]\n"
    "  Serves the mcutune tuning API (gRPC + HTTP/JSON). FILE defaults to\n"
    "  configs/mcutuned.json; see docs/daemon.md for its keys. Stops on\n"
    "  SIGTERM/SIGINT; unfinished jobs resume on the next start.\n";

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "configs/mcutuned.json";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      std::fprintf(stderr, "error: unexpected argument '%s'\n%s", argv[i],
                   kUsage);
      return 2;
    }
  }
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<mcutune::server::DaemonConfig> config =
      mcutune::server::LoadDaemonConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(config.status().message()).c_str());
    return 1;
  }
  mcutune::server::SetUpLogging(config->log_level);
  mcutune::server::Daemon daemon(*config);
  if (absl::Status s = daemon.Start(); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    daemon.Stop();
    return 1;
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "mcutuned: %s received, shutting down\n",
               strsignal(signal_number));
  daemon.Stop();
  return 0;
}
