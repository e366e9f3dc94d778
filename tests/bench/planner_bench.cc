// Planner quality and speed: for the ten zoo networks (and the real models
// of ../shared/models when present), the layer-wise arena of our planner vs
// the reference first-fit allocator vs the live lower bound, and the wall
// time of Enumerate (all registered families) on a 320 KB board (f746).
// Prints a table; ratios are against the reference measured in the same run.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "graph/tflite_reader.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tuner/space/board.h"
#include "tuner/space/enumerate.h"

namespace {

using mcutune::space::Plan;

struct Row {
  std::string name;
  int64_t ours = 0, reference = 0, bound = 0;
  std::string heuristic;
  size_t candidates = 0;
  double ms = 0;
};

bool Measure(const std::string& name, const mcutune::graph::Graph& g,
             const mcutune::space::BoardSpec& board, Row* row) {
  constexpr int kRepeats = 5;
  double best_ms = 1e30;
  absl::StatusOr<mcutune::space::SpaceResult> space;
  for (int i = 0; i < kRepeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    space = mcutune::space::Enumerate(g, board);
    const auto t1 = std::chrono::steady_clock::now();
    best_ms = std::min(
        best_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (!space.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(),
                   std::string(space.status().message()).c_str());
      return false;
    }
  }
  row->name = name;
  row->ms = best_ms;
  row->candidates = space->plans.size();
  // The in-place, searched-order layer-wise plan with the smallest arena.
  const Plan* best = nullptr;
  for (const Plan& p : space->plans) {
    if (p.candidate.strategy != mcutune::space::Strategy::kLayerwise ||
        !p.candidate.inplace_depthwise) {
      continue;
    }
    if (!best || p.memory.arena_bytes < best->memory.arena_bytes) best = &p;
  }
  if (!best) return false;
  row->ours = best->memory.arena_bytes;
  row->reference = best->memory.reference_arena_bytes;
  row->bound = best->memory.live_lower_bound_bytes;
  row->heuristic = best->memory.arena_heuristic;
  return true;
}

}  // namespace

int main() {
  absl::StatusOr<mcutune::space::BoardSpec> board = mcutune::space::FindBoard(
      "f746", std::string(MCUTUNE_SOURCE_DIR) + "/configs/boards");
  if (!board.ok()) {
    std::fprintf(stderr, "%s\n", std::string(board.status().message()).c_str());
    return 1;
  }
  std::vector<Row> rows;
  const char* zoo[] = {"mbv2-w0.35", "proxyless-w0.3", "mcunet-in0",
                       "mcunet-in1", "mcunet-in2",     "mcunet-in3",
                       "mcunet-in4", "mcunet-vww0",    "mcunet-vww1",
                       "mcunet-vww2"};
  for (const char* name : zoo) {
    auto entry = mcutune::graph::zoo::FindInZoo(
        name, std::string(MCUTUNE_SOURCE_DIR) + "/configs/models");
    if (!entry.ok()) continue;
    auto g = mcutune::graph::zoo::Synthesize(entry->arch, 1);
    if (!g.ok()) continue;
    Row row;
    if (Measure(name, *g, *board, &row)) rows.push_back(row);
  }
  const std::filesystem::path shared =
      std::filesystem::path(MCUTUNE_SHARED_DIR) / "models";
  std::error_code ec;
  if (std::filesystem::is_directory(shared, ec)) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(shared)) {
      if (e.path().extension() == ".tflite") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto g = mcutune::graph::ImportTfliteFile(f.string());
      Row row;
      if (g.ok() && Measure(f.stem().string(), *g, *board, &row)) {
        rows.push_back(row);
      }
    }
  } else {
    std::printf("(../shared/models not found: zoo networks only)\n");
  }

  std::printf("layer-wise arena on %s: ours vs reference first-fit vs live "
              "lower bound; Enumerate wall time (best of 5)\n",
              board->id.c_str());
  std::printf("%-38s %10s %10s %10s %9s %9s %-22s %5s %9s\n", "model", "ours B",
              "ref B", "bound B", "ours/ref", "ours/lb", "heuristic", "cands",
              "ms");
  double worst_ref = 0, worst_lb = 0;
  for (const Row& r : rows) {
    const double vs_ref = r.reference ? double(r.ours) / r.reference : 0;
    const double vs_lb = r.bound ? double(r.ours) / r.bound : 0;
    worst_ref = std::max(worst_ref, vs_ref);
    worst_lb = std::max(worst_lb, vs_lb);
    std::printf("%-38s %10lld %10lld %10lld %9.3f %9.3f %-22s %5zu %9.2f\n",
                r.name.c_str(), static_cast<long long>(r.ours),
                static_cast<long long>(r.reference),
                static_cast<long long>(r.bound), vs_ref, vs_lb,
                r.heuristic.c_str(), r.candidates, r.ms);
  }
  std::printf("worst ours/ref %.3f (must be <= 1), worst ours/lower bound "
              "%.3f\n",
              worst_ref, worst_lb);
  return worst_ref <= 1.0 ? 0 : 1;
}
