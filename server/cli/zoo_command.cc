// Placeholder until the zoo command lands.
#include "server/cli/commands.h"

namespace mcutune::cli {

int RunZoo(const Args& args) { return UsageError("zoo: not built yet"); }

}  // namespace mcutune::cli
