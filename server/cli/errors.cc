#include <cstdio>
#include <string>

#include "server/cli/commands.h"

namespace mcutune::cli {

int PrintError(const absl::Status& status) {
  std::string message(status.message());
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "error: %s (see mcutune --help)\n", message.c_str());
  return 2;
}

}  // namespace mcutune::cli
