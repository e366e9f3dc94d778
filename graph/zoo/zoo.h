// The zoo: the architecture descriptions shipped in configs/models.
//
// `mcutune zoo list|build`, the tests and the sweeps find networks by name
// here; the synthesizer (synthesizer.h) turns one into a Graph.
//
//   configs/models/*.json ──ListZoo──► [ZooEntry{arch, stats, path}]
//                          ──FindInZoo(name)──► ZooEntry
//
// Every file in the directory must be a valid description: a broken file is
// an error, not silently skipped. Thread-safe (reads files only).
#ifndef MCUTUNE_GRAPH_ZOO_ZOO_H_
#define MCUTUNE_GRAPH_ZOO_ZOO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/zoo/architecture.h"

namespace mcutune::graph::zoo {

struct ZooEntry {
  Architecture arch;
  ArchitectureStats stats;
  std::string path;
};

// $MCUTUNE_MODELS_DIR if set, else <source dir>/configs/models.
std::string DefaultModelsDir();

// All *.json in `dir`, sorted by name. NOT_FOUND if `dir` is missing,
// INVALID_ARGUMENT (naming the file) if any description is invalid.
absl::StatusOr<std::vector<ZooEntry>> ListZoo(
    const std::string& dir = DefaultModelsDir());

// The entry called `name`. NOT_FOUND lists the known names.
absl::StatusOr<ZooEntry> FindInZoo(const std::string& name,
                                   const std::string& dir = DefaultModelsDir());

}  // namespace mcutune::graph::zoo

#endif  // MCUTUNE_GRAPH_ZOO_ZOO_H_
