// Zoo directory access: std::filesystem listing (error codes, no exceptions)
// + LoadArchitecture per file.
#include "graph/zoo/zoo.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mcutune::graph::zoo {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::vector<std::string>> JsonFiles(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(
        absl::StrCat("model directory '", dir, "' does not exist"));
  }
  std::vector<std::string> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".json") files.push_back(it->path().string());
  }
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("cannot list '", dir, "': ", ec.message()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

absl::StatusOr<ZooEntry> LoadEntry(const std::string& path) {
  ZooEntry e;
  absl::StatusOr<Architecture> arch = LoadArchitecture(path);
  if (!arch.ok()) return arch.status();
  absl::StatusOr<ArchitectureStats> stats = ComputeStats(*arch);
  if (!stats.ok()) return stats.status();
  e.arch = *std::move(arch);
  e.stats = *std::move(stats);
  e.path = path;
  return e;
}

}  // namespace

std::string DefaultModelsDir() {
  if (const char* env = std::getenv("MCUTUNE_MODELS_DIR"); env && *env)
    return env;
  return std::string(MCUTUNE_SOURCE_DIR) + "/configs/models";
}

absl::StatusOr<std::vector<ZooEntry>> ListZoo(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> files = JsonFiles(dir);
  if (!files.ok()) return files.status();
  std::vector<ZooEntry> entries;
  for (const std::string& f : *files) {
    absl::StatusOr<ZooEntry> e = LoadEntry(f);
    if (!e.ok()) return e.status();
    entries.push_back(*std::move(e));
  }
  return entries;
}

absl::StatusOr<ZooEntry> FindInZoo(const std::string& name,
                                   const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> files = JsonFiles(dir);
  if (!files.ok()) return files.status();
  std::vector<std::string> known;
  for (const std::string& f : *files) {
    const std::string stem = fs::path(f).stem().string();
    if (stem == name) return LoadEntry(f);
    known.push_back(stem);
  }
  return absl::NotFoundError(absl::StrCat(
      "unknown model '", name, "' (known: ", absl::StrJoin(known, ", "), ")"));
}

}  // namespace mcutune::graph::zoo
