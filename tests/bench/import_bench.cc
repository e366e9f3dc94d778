// Import + analysis speed on a large real model (MobileNetV2 1.0 224, 3.9 MB).
//
// Goal: ImportTfliteFile + Analyze under 20 ms. Every stage is repeated N
// times (argv[1], default 30) and the median is reported, together with
// ratios against two baselines measured in the same run so the overhead of
// the importer over the unavoidable work is visible:
//   (a) reading the file into memory;
//   (b) the flatbuffers verifier alone over the bytes in memory.
// Usage: import_bench [N] [MODEL]   (default model under MCUTUNE_SHARED_DIR;
// exits 0 with a SKIPPED message when it is absent).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include "flatbuffers/flatbuffers.h"
#include "graph/analysis.h"
#include "graph/analysis_format.h"
#include "graph/schema/tflite_subset_generated.h"
#include "graph/tflite_reader.h"

namespace {

using mcutune::graph::Analysis;
using mcutune::graph::Graph;

// Keeps results alive so the optimiser cannot drop the measured work.
volatile int64_t g_sink = 0;

// The cheapest portable way: size the buffer once, read it in one call.
std::vector<uint8_t> ReadFile(const std::string& path) {
  std::vector<uint8_t> bytes;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return bytes;
  std::error_code ec;
  bytes.resize(std::filesystem::file_size(path, ec));
  bytes.resize(std::fread(bytes.data(), 1, bytes.size(), f));
  std::fclose(f);
  return bytes;
}

// Median wall time in milliseconds of `n` runs of `fn`.
double MedianMs(int n, const std::function<void()>& fn) {
  std::vector<double> ms;
  ms.reserve(n);
  for (int i = 0; i < n; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    const auto end = std::chrono::steady_clock::now();
    ms.push_back(
        std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::max(1, std::atoi(argv[1])) : 30;
  const std::string path =
      argc > 2 ? argv[2]
               : std::string(MCUTUNE_SHARED_DIR) +
                     "/models/mobilenet_v2_quantized_1x3x224x224.tflite";
  if (!std::filesystem::exists(path)) {
    std::printf("SKIPPED: %s not found (no ../shared)\n", path.c_str());
    return 0;
  }
  const std::vector<uint8_t> bytes = ReadFile(path);
  absl::StatusOr<Graph> graph = mcutune::graph::ImportTflite(bytes);
  if (!graph.ok()) {
    std::fprintf(stderr, "error: %s\n", graph.status().ToString().c_str());
    return 1;
  }
  std::printf("model %s: %zu bytes, %zu operators, %zu tensors; N=%d\n",
              path.c_str(), bytes.size(), graph->ops.size(),
              graph->tensors.size(), n);

  const double read_ms =
      MedianMs(n, [&] { g_sink = g_sink + ReadFile(path).size(); });
  const double verify_ms = MedianMs(n, [&] {
    flatbuffers::Verifier verifier(bytes.data(), bytes.size());
    g_sink = g_sink + mcutune::tflite_fb::VerifyModelBuffer(verifier);
  });
  const double import_bytes_ms = MedianMs(n, [&] {
    g_sink = g_sink + mcutune::graph::ImportTflite(bytes)->ops.size();
  });
  const double analyze_ms = MedianMs(
      n, [&] { g_sink = g_sink + mcutune::graph::Analyze(*graph).macs_total; });
  const Analysis analysis = mcutune::graph::Analyze(*graph);
  const double json_ms = MedianMs(n, [&] {
    g_sink =
        g_sink + mcutune::graph::FormatAnalysisJson(*graph, analysis).size();
  });
  const double total_ms = MedianMs(n, [&] {
    absl::StatusOr<Graph> g = mcutune::graph::ImportTfliteFile(path);
    g_sink = g_sink + mcutune::graph::Analyze(*g).macs_total;
  });

  std::printf("\nmedian times (ms)\n");
  std::printf("  (a) read file                      %8.3f\n", read_ms);
  std::printf("  (b) verifier over bytes            %8.3f\n", verify_ms);
  std::printf("      ImportTflite(bytes)            %8.3f  = %.2fx (b)\n",
              import_bytes_ms, import_bytes_ms / verify_ms);
  std::printf("      Analyze                        %8.3f\n", analyze_ms);
  std::printf("      FormatAnalysisJson             %8.3f\n", json_ms);
  std::printf(
      "  ImportTfliteFile + Analyze         %8.3f  (goal < 20 ms: %s)\n",
      total_ms, total_ms < 20.0 ? "met" : "MISSED");
  std::printf("      vs (a) read:                   %8.2fx\n",
              total_ms / read_ms);
  std::printf("      vs (a)+(b) read + verify:      %8.2fx\n",
              total_ms / (read_ms + verify_ms));
  std::printf("      overhead over (a)+(b):         %8.3f ms\n",
              total_ms - read_ms - verify_ms);
  return 0;
}
