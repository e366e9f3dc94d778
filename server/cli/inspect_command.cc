// Placeholder until the inspect command lands.
#include "server/cli/commands.h"

namespace mcutune::cli {

int RunInspect(const Args& args) { return UsageError("inspect: not built yet"); }

}  // namespace mcutune::cli
