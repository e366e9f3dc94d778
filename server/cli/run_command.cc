// Placeholder until the run command lands.
#include "server/cli/commands.h"

namespace mcutune::cli {

int RunRun(const Args& args) { return UsageError("run: not built yet"); }

}  // namespace mcutune::cli
