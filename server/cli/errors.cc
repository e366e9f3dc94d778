#include <cstdio>
#include <string>

#include "server/cli/commands.h"

namespace mcutune::cli {

int PrintError(const absl::Status& status) {
  std::string message(status.message());
  // One line, and no terminal control sequences from untrusted text (names
  // inside a model end up in messages).
  for (char& c : message) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "error: %s (see mcutune --help)\n", message.c_str());
  return 2;
}

}  // namespace mcutune::cli
