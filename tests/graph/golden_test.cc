// Bit-exactness against the real TFLite runtime: every model of
// ../shared/models that has golden outputs (../shared/golden/<model>/seedN.*)
// must be reproduced byte for byte by the default (kSingleRounding) mode.
// Skips with a message when ../shared is absent (a user's fresh clone).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "graph/interpreter.h"
#include "graph/tflite_reader.h"

namespace mcutune::graph {
namespace {

namespace fs = std::filesystem;

std::vector<int8_t> ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
  return std::vector<int8_t>(bytes.begin(), bytes.end());
}

// The same generator the golden README documents, to check the stored inputs
// are what we think they are.
std::vector<int8_t> GoldenInput(uint32_t seed, size_t n) {
  std::vector<int8_t> values(n);
  uint32_t s = seed;
  for (int8_t& v : values) {
    s = s * 1103515245u + 12345u;
    v = static_cast<int8_t>(static_cast<int>((s >> 16) & 255) - 128);
  }
  return values;
}

TEST_CASE("reproduces the TFLite runtime's golden outputs byte for byte",
          "[interpreter][shared]") {
  const fs::path shared(MCUTUNE_SHARED_DIR);
  const fs::path golden = shared / "golden";
  if (!fs::is_directory(golden) || !fs::is_directory(shared / "models")) {
    WARN("SKIPPED: " << golden.string()
                     << " not found (a user's clone has no ../shared)");
    return;
  }
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(golden)) {
    if (entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  int cases = 0;
  for (const fs::path& dir : dirs) {
    const std::string model = dir.filename().string();
    const fs::path model_path = shared / "models" / (model + ".tflite");
    if (!fs::exists(model_path)) continue;
    absl::StatusOr<Graph> graph = ImportTfliteFile(model_path.string());
    INFO(model);
    REQUIRE(graph.ok());
    absl::StatusOr<std::unique_ptr<Interpreter>> interp =
        Interpreter::Create(*graph);
    INFO(interp.status().ToString());
    REQUIRE(interp.ok());
    for (int seed = 1; seed <= 3; ++seed) {
      const std::string prefix = "seed" + std::to_string(seed);
      const fs::path in_path = dir / (prefix + ".input0.bin");
      const fs::path out_path = dir / (prefix + ".output0.bin");
      if (!fs::exists(in_path) || !fs::exists(out_path)) continue;
      const std::vector<int8_t> input = ReadBytes(in_path);
      const std::vector<int8_t> want = ReadBytes(out_path);
      INFO(prefix);
      CHECK(input == GoldenInput(seed, input.size()));
      REQUIRE((*interp)->Run({input}).ok());
      const std::vector<std::vector<int8_t>> got = (*interp)->outputs();
      REQUIRE(got.size() == 1);
      CHECK(got[0] == want);
      ++cases;
    }
  }
  CHECK(cases == 21);
}

}  // namespace
}  // namespace mcutune::graph
