// The MODEL argument of the planning commands: a .tflite file, or the name of
// a zoo architecture (configs/models) synthesized with seed 1 (planning
// depends on shapes only, so the weights do not matter).
#ifndef MCUTUNE_SERVER_CLI_MODEL_ARG_H_
#define MCUTUNE_SERVER_CLI_MODEL_ARG_H_

#include <string>

#include "absl/status/statusor.h"
#include "graph/graph.h"

namespace mcutune::cli {

// A file that exists is imported (its errors are returned); otherwise the
// argument is looked up in the zoo. NOT_FOUND names both possibilities.
absl::StatusOr<graph::Graph> LoadModelArg(const std::string& model);

}  // namespace mcutune::cli

#endif  // MCUTUNE_SERVER_CLI_MODEL_ARG_H_
