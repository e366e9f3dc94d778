// Design-space enumeration speed: every candidate of every family planned
// (layer-wise, patch / stream-1D / stream-2D / hybrid for every n_patch and
// split_idx, tinyops where the board has external memory) for the
// synthesized mcunet-in4 and MobileNetV2 1.0 224 (../shared) on the 320 KB
// f746.
//
// Goal: under 1 s per model on one core, for the enumeration the tool runs:
// Constraints::keep_plan_details = false, every candidate fully planned
// (arena offsets, peak, MACs, flash, fit) but its step and buffer lists freed
// once the figures are taken -- what `mcutune space`, tuning jobs and
// calibration run (codegen and the dashboard re-plan the one candidate they
// need with details). Reported per model: candidates per family, wall time
// of that enumeration, of the same with every plan's steps and buffers kept
// (~13 M steps for MobileNetV2: allocation-bound), and of the patch family
// alone, each as a ratio against the baseline measured in the same run: the
// layer-wise-only enumeration (context + layer-wise family).
// Usage: space_bench [REPEATS]  (median of REPEATS runs, default 3).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "graph/tflite_reader.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tuner/space/board.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/layerwise_planner.h"
#include "tuner/space/patch_planner.h"

namespace {

using mcutune::graph::Graph;
namespace space = mcutune::space;

volatile int64_t g_sink = 0;

double MedianMs(int n, const std::function<void()>& fn) {
  std::vector<double> ms;
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

// Plans every candidate of `families`; returns the number planned and
// counts failures.
int64_t PlanAll(const space::PlanningContext& ctx,
                const std::vector<const space::CandidateFamily*>& families,
                std::map<std::string, int64_t>* per_family, int64_t* failed) {
  int64_t planned = 0;
  for (const space::CandidateFamily* f : families) {
    for (const space::Candidate& c : f->Candidates(ctx)) {
      absl::StatusOr<space::Plan> plan = f->MakePlan(ctx, c);
      if (plan.ok()) {
        g_sink += plan->memory.peak_sram_bytes;
      } else {
        ++*failed;
      }
      ++planned;
      if (per_family) ++(*per_family)[std::string(f->name())];
    }
  }
  return planned;
}

void Bench(const std::string& label, const Graph& g,
           const space::BoardSpec& board, int repeats) {
  const space::Constraints constraints;  // max_n_patch 8, order search on
  auto all = space::AllCandidateFamilies();
  std::vector<const space::CandidateFamily*> every, layerwise, patch;
  for (const auto& f : all) {
    every.push_back(f.get());
    if (f->Handles(space::Strategy::kLayerwise)) layerwise.push_back(f.get());
    if (f->Handles(space::Strategy::kStream2D)) patch.push_back(f.get());
  }
  std::map<std::string, int64_t> per_family;
  int64_t total = 0, failed = 0;
  const double base_ms = MedianMs(repeats, [&] {
    const space::PlanningContext ctx =
        space::MakePlanningContext(g, board, constraints);
    int64_t f = 0;
    g_sink += PlanAll(ctx, layerwise, nullptr, &f);
  });
  const double full_ms = MedianMs(repeats, [&] {
    const space::PlanningContext ctx =
        space::MakePlanningContext(g, board, constraints);
    per_family.clear();
    failed = 0;
    total = PlanAll(ctx, every, &per_family, &failed);
  });
  // What `mcutune space` runs: Constraints::keep_plan_details = false.
  space::Constraints lean = constraints;
  lean.keep_plan_details = false;
  const double lean_ms = MedianMs(repeats, [&] {
    const space::PlanningContext ctx =
        space::MakePlanningContext(g, board, lean);
    int64_t f = 0;
    g_sink += PlanAll(ctx, every, nullptr, &f);
  });
  const space::PlanningContext ctx =
      space::MakePlanningContext(g, board, constraints);
  const double patch_ms = MedianMs(repeats, [&] {
    int64_t f = 0;
    g_sink += PlanAll(ctx, patch, nullptr, &f);
  });
  std::printf("%s on %s (%zu operators)\n", label.c_str(), board.id.c_str(),
              g.ops.size());
  for (const auto& [name, count] : per_family) {
    std::printf("  %-10s %6lld candidates\n", name.c_str(),
                static_cast<long long>(count));
  }
  std::printf("  total      %6lld candidates, %lld failed to plan\n",
              static_cast<long long>(total), static_cast<long long>(failed));
  std::printf("  baseline (layer-wise only)  %9.1f ms\n", base_ms);
  std::printf(
      "  full space                  %9.1f ms  (%.1fx baseline, "
      "%.3f ms/candidate; as `mcutune space` and tuning jobs)  goal < "
      "1000 ms: %s\n",
      lean_ms, lean_ms / base_ms, lean_ms / std::max<int64_t>(total, 1),
      lean_ms < 1000 ? "met" : "NOT met");
  std::printf(
      "  full space, details kept    %9.1f ms  (%.1fx baseline; every "
      "plan's steps and buffers kept in memory)\n",
      full_ms, full_ms / base_ms);
  std::printf("  patch family alone          %9.1f ms  (%.1fx baseline)\n",
              patch_ms, patch_ms / base_ms);
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  absl::StatusOr<space::BoardSpec> board = space::FindBoard(
      "f746", std::string(MCUTUNE_SOURCE_DIR) + "/configs/boards");
  if (!board.ok()) {
    std::fprintf(stderr, "error: %s\n", board.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<mcutune::graph::zoo::ZooEntry> entry =
      mcutune::graph::zoo::FindInZoo(
          "mcunet-in4", std::string(MCUTUNE_SOURCE_DIR) + "/configs/models");
  if (!entry.ok()) {
    std::fprintf(stderr, "error: %s\n", entry.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<Graph> in4 = mcutune::graph::zoo::Synthesize(entry->arch, 1);
  if (!in4.ok()) {
    std::fprintf(stderr, "error: %s\n", in4.status().ToString().c_str());
    return 1;
  }
  Bench("mcunet-in4 (synthesized)", *in4, *board, repeats);

  const std::string path = std::string(MCUTUNE_SHARED_DIR) +
                           "/models/mobilenet_v2_quantized_1x3x224x224.tflite";
  if (!std::filesystem::exists(path)) {
    std::printf("SKIPPED mobilenet_v2: %s not found (no ../shared)\n",
                path.c_str());
    return 0;
  }
  absl::StatusOr<Graph> mbv2 = mcutune::graph::ImportTfliteFile(path);
  if (!mbv2.ok()) {
    std::fprintf(stderr, "error: %s\n", mbv2.status().ToString().c_str());
    return 1;
  }
  Bench("mobilenet_v2_quantized_1x3x224x224", *mbv2, *board, repeats);
  return 0;
}
