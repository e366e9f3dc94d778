#include "server/cli/model_arg.h"

#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "graph/tflite_reader.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"

namespace mcutune::cli {

absl::StatusOr<graph::Graph> LoadModelArg(const std::string& model) {
  std::error_code ec;
  if (std::filesystem::exists(model, ec)) {
    return graph::ImportTfliteFile(model);
  }
  absl::StatusOr<graph::zoo::ZooEntry> entry = graph::zoo::FindInZoo(model);
  if (!entry.ok()) {
    return absl::NotFoundError(absl::StrCat(
        "model '", model, "' is neither a file nor a zoo network (",
        entry.status().message(), ")"));
  }
  return graph::zoo::Synthesize(entry->arch, /*seed=*/1);
}

}  // namespace mcutune::cli
