// codegen_bench: generated firmware measured on the virtual boards (QEMU,
// -icount: instructions, not cycles).
//
// 1. Instructions per MAC, layer-wise, on qemu-f746 (Cortex-M7) and
//    qemu-f469 (Cortex-M4), for the ten zoo networks and the MLPerf Tiny
//    models of ../shared/models: the DSP kernel path, the portable path
//    (-DMCUK_PORTABLE) and a naive reference build (tests/bench/naive:
//    textbook loops replacing the conv / depthwise / FC kernels), with the
//    ratios naive/DSP and portable/DSP measured in the same run.
// 2. For each zoo network at the patch setting with the most recomputation
//    (largest recomputed MACs among the (n_patch, split, in-place variant)
//    where patch and both stream schedules fit qemu-f746), the
//    instructions of patch-based vs stream-1D vs stream-2D at the same
//    (n_patch, split_idx), and the speedups.
// 3. In-place vs out-of-place depthwise, layer-wise on qemu-f746 (DSP), for
//    the zoo networks where both variants fit: what the in-place memory
//    saving costs in instructions.
// Every run's output hash is checked against the reference interpreter.
// Usage: codegen_bench [--quick] [--stream-only | --inplace-only] (quick: 3
// zoo networks, no MLPerf models; stream-only: part 2 only; inplace-only:
// part 3 only).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/subprocess.h"
#include "codegen/emitter.h"
#include "codegen/firmware/sha256.h"
#include "codegen/firmware_builder.h"
#include "codegen/host_verifier.h"
#include "device_farm/qemu_runner.h"
#include "graph/interpreter.h"
#include "graph/tflite_reader.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tuner/space/board.h"
#include "tuner/space/enumerate.h"

namespace {

namespace fs = std::filesystem;
using namespace mcutune;

struct Job {
  std::string model, board, variant;  // variant: dsp | portable | naive
  const graph::Graph* graph = nullptr;
  space::Plan plan;
  double instructions = -1;
  std::string note;
};

std::string Sha(const std::vector<int8_t>& v) {
  uint8_t d[32];
  mcutune_sha256(v.data(), v.size(), d);
  std::string s;
  static const char kHex[] = "0123456789abcdef";
  for (uint8_t b : d) s += std::string{kHex[b >> 4], kHex[b & 15]};
  return s;
}

void RunJob(Job& job, const fs::path& dir) {
  absl::StatusOr<space::BoardSpec> board = space::FindBoard(job.board);
  if (!board.ok()) return void(job.note = "no board");
  codegen::EmitOptions eo;
  eo.prefix = "model";
  absl::StatusOr<codegen::EmittedModel> m =
      codegen::EmitModel(*job.graph, job.plan, eo);
  if (!m.ok()) return void(job.note = std::string(m.status().message()));
  if (!codegen::WriteEmittedModel(*m, dir.string()).ok()) return;
  codegen::FirmwareBuildOptions fo;
  fo.work_dir = dir.string();
  fo.jobs = 1;
  fo.timeout = absl::Seconds(600);
  for (const std::string& c : m->c_files()) fo.sources.push_back((dir / c).string());
  const fs::path kernels = fs::path(codegen::FirmwareIncludeRoot()) / "codegen/kernels";
  const std::vector<std::string> replaced = {"conv.c", "conv_1x1.c",
                                             "depthwise_conv.c", "fully_connected.c"};
  for (const fs::directory_entry& e : fs::directory_iterator(kernels)) {
    if (e.path().extension() != ".c") continue;
    const std::string f = e.path().filename().string();
    if (job.variant == "naive" &&
        std::find(replaced.begin(), replaced.end(), f) != replaced.end()) {
      continue;
    }
    fo.sources.push_back(e.path().string());
  }
  if (job.variant == "naive") {
    fo.sources.push_back(std::string(MCUTUNE_SOURCE_DIR) +
                         "/tests/bench/naive/naive_kernels.c");
  }
  if (job.variant == "portable") fo.defines.push_back({"MCUK_PORTABLE", ""});
  absl::StatusOr<codegen::BuildResult> b = codegen::BuildFirmware(*board, fo);
  if (!b.ok()) return void(job.note = std::string(b.status().message()));
  if (!b->ok) {
    job.note = absl::StrCat("build failed at ", codegen::BuildStageName(b->stage));
    for (const auto& o : b->overflows) absl::StrAppend(&job.note, " ", o.region, "+", o.bytes);
    return;
  }
  device_farm::QemuRunOptions ro;
  ro.machine = board->qemu_machine;
  ro.timeout = absl::Seconds(900);
  ro.warmup = 0;
  absl::StatusOr<device_farm::Measurement> r = device_farm::RunOnQemu(b->elf_path, ro);
  if (!r.ok() || r->status != device_farm::RunStatus::kOk) {
    return void(job.note = "run failed");
  }
  absl::StatusOr<std::vector<std::vector<int8_t>>> ref = graph::RunInference(
      *job.graph, codegen::GoldenInputs(*job.graph, 1));
  if (!ref.ok() || Sha((*ref)[0]) != r->output_sha256) job.note = "HASH MISMATCH";
  job.instructions = r->per_inference;
  fs::remove_all(dir);
}

void RunAll(std::vector<Job>& jobs) {
  std::atomic<size_t> next{0};
  const fs::path root = fs::temp_directory_path() / absl::StrCat("mcutune-bench-", getpid());
  auto worker = [&] {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      RunJob(jobs[i], root / absl::StrCat(i));
      std::fprintf(stderr, ".");
    }
  };
  std::thread t(worker);
  worker();
  t.join();
  std::fprintf(stderr, "\n");
  fs::remove_all(root);
}

double Geomean(const std::vector<double>& v) {
  double lg = 0;
  for (double x : v) lg += std::log(x);
  return v.empty() ? NAN : std::exp(lg / v.size());
}

void PrintLayerwise(const std::vector<Job>& jobs, const std::vector<std::string>& unfit) {
  std::printf("\n== layer-wise instructions per MAC (QEMU -icount; DSP = ACLE SIMD path) ==\n");
  std::printf("%-24s %-9s %-15s %12s %9s %9s %9s %9s %9s\n", "model", "board", "candidate",
              "MACs", "dsp", "portable", "naive", "port/dsp", "naive/dsp");
  std::map<std::string, std::vector<double>> ratios;
  for (size_t i = 0; i + 2 < jobs.size(); i += 3) {
    const Job& d = jobs[i];
    const Job& p = jobs[i + 1];
    const Job& n = jobs[i + 2];
    const double macs = static_cast<double>(d.plan.metrics.macs_total);
    auto ipm = [&](const Job& j) { return j.instructions > 0 ? j.instructions / macs : NAN; };
    std::printf("%-24s %-9s %-15s %12.0f %9.3f %9.3f %9.3f %9.2f %9.2f %s%s%s\n",
                d.model.c_str(), d.board.c_str(), d.plan.candidate.Id().c_str(), macs, ipm(d), ipm(p), ipm(n), ipm(p) / ipm(d), ipm(n) / ipm(d),
                d.note.c_str(), p.note.c_str(), n.note.c_str());
    if (d.instructions > 0 && p.instructions > 0 && n.instructions > 0) {
      ratios[d.board + " port/dsp"].push_back(p.instructions / d.instructions);
      ratios[d.board + " naive/dsp"].push_back(n.instructions / d.instructions);
    }
  }
  for (const auto& [k, v] : ratios) {
    std::printf("geomean %-22s %.2fx over %zu models\n", k.c_str(), Geomean(v), v.size());
  }
  for (const std::string& u : unfit) {
    std::printf("%s: no layer-wise candidate fits (planner), not built\n", u.c_str());
  }
}

void PrintPatchVsStream(const std::vector<Job>& patch_jobs) {
  std::printf("\n== patch vs stream at the heaviest recomputation (qemu-f746, DSP) ==\n");
  std::printf("%-16s %-22s %14s %14s %14s %8s %8s\n", "model", "patch candidate", "patch", "stream1d",
              "stream2d", "1d x", "2d x");
  std::vector<double> s1, s2;
  for (size_t i = 0; i < patch_jobs.size();) {
    std::map<std::string, const Job*> by;
    const std::string m = patch_jobs[i].model;
    for (; i < patch_jobs.size() && patch_jobs[i].model == m; ++i) {
      by[patch_jobs[i].variant] = &patch_jobs[i];
    }
    if (!by.count("patch") || !by.count("stream1d") || !by.count("stream2d")) continue;
    const double p = by["patch"]->instructions, a = by["stream1d"]->instructions,
                 b = by["stream2d"]->instructions;
    std::printf("%-16s %-22s %14.0f %14.0f %14.0f %8.2f %8.2f %s%s%s\n", m.c_str(),
                by["patch"]->plan.candidate.Id().c_str(), p, a, b, p / a, p / b, by["patch"]->note.c_str(), by["stream1d"]->note.c_str(),
                by["stream2d"]->note.c_str());
    if (p > 0 && a > 0 && b > 0) {
      s1.push_back(p / a);
      s2.push_back(p / b);
    }
  }
  std::printf("geomean speedup over patch: stream-1D %.2fx, stream-2D %.2fx (%zu networks;\n"
              "published: 3.4x and 7.3x on Cortex-M7)\n", Geomean(s1), Geomean(s2), s1.size());
}

void PrintInplace(const std::vector<Job>& ip_jobs) {
  std::printf("\n== in-place vs out-of-place depthwise, layer-wise (qemu-f746, DSP) ==\n");
  std::printf("%-16s %12s %11s %11s %9s %11s %11s\n", "model", "MACs", "inplace", "noip",
              "ip/noip", "SRAM ip", "SRAM noip");
  std::vector<double> ipr;
  for (size_t i = 0; i + 1 < ip_jobs.size(); i += 2) {
    const Job& a = ip_jobs[i];
    const Job& b = ip_jobs[i + 1];
    const double macs = static_cast<double>(a.plan.metrics.macs_total);
    std::printf("%-16s %12.0f %11.3f %11.3f %9.2f %11lld %11lld %s%s\n", a.model.c_str(), macs,
                a.instructions / macs, b.instructions / macs, a.instructions / b.instructions,
                static_cast<long long>(a.plan.memory.peak_sram_bytes),
                static_cast<long long>(b.plan.memory.peak_sram_bytes), a.note.c_str(),
                b.note.c_str());
    if (a.instructions > 0 && b.instructions > 0) ipr.push_back(a.instructions / b.instructions);
  }
  std::printf("geomean in-place / out-of-place instructions: %.2fx (%zu networks)\n", Geomean(ipr),
              ipr.size());
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, stream_only = false, inplace_only = false;
  for (int i = 1; i < argc; ++i) {
    quick |= std::string(argv[i]) == "--quick";
    stream_only |= std::string(argv[i]) == "--stream-only";
    inplace_only |= std::string(argv[i]) == "--inplace-only";
  }
  const bool part1 = !stream_only && !inplace_only, part2 = !inplace_only,
             part3 = !stream_only;
  if (!base::ProgramExists("arm-none-eabi-gcc") || !base::ProgramExists("qemu-system-arm")) {
    std::printf("codegen_bench: arm-none-eabi-gcc / qemu-system-arm missing\n");
    return 0;
  }
  std::map<std::string, graph::Graph> graphs;
  std::vector<std::string> zoo = {"mbv2-w0.35", "proxyless-w0.3", "mcunet-in0", "mcunet-in1",
                                  "mcunet-in2", "mcunet-in3",     "mcunet-in4", "mcunet-vww0",
                                  "mcunet-vww1", "mcunet-vww2"};
  if (quick) zoo = {"mcunet-vww0", "mcunet-in1", "proxyless-w0.3"};
  for (const std::string& n : zoo) {
    graphs[n] = *graph::zoo::Synthesize(graph::zoo::FindInZoo(n)->arch, 1);
  }
  std::vector<std::string> mlperf;
  for (const char* n : {"ad01_int8", "kws_ref_model", "pretrainedResnet_quant", "vww_96_int8"}) {
    const fs::path p = fs::path(MCUTUNE_SHARED_DIR) / "models" / (std::string(n) + ".tflite");
    if (quick || !fs::exists(p)) continue;
    absl::StatusOr<graph::Graph> g = graph::ImportTfliteFile(p.string());
    if (g.ok()) {
      graphs[n] = *std::move(g);
      mlperf.push_back(n);
    }
  }
  std::vector<std::string> models = zoo;
  models.insert(models.end(), mlperf.begin(), mlperf.end());

  // Part 1: layer-wise instructions per MAC.
  std::vector<Job> jobs;
  std::map<std::string, std::vector<space::Plan>> spaces;
  std::vector<std::string> unfit;  // no layer-wise candidate fits
  for (const std::string board : {"qemu-f746", "qemu-f469"}) {
    for (const std::string& m : models) {
      space::Constraints c;
      absl::StatusOr<space::SpaceResult> s =
          space::Enumerate(graphs[m], *space::FindBoard(board), c);
      if (!s.ok()) continue;
      if (board == "qemu-f746") spaces[m] = s->plans;
      if (!part1) continue;
      // Out-of-place depthwise (every kernel on its DSP path) when it fits,
      // else the in-place variant; model order.
      const space::Plan* pick = nullptr;
      for (const space::Plan& p : s->plans) {
        const space::Candidate& c = p.candidate;
        if (c.strategy != space::Strategy::kLayerwise || !p.metrics.fits ||
            c.order.source != space::OrderSource::kModel) {
          continue;
        }
        if (!pick || (!c.inplace_depthwise && pick->candidate.inplace_depthwise)) pick = &p;
      }
      if (!pick) {
        unfit.push_back(m + " on " + board);
        continue;
      }
      for (const char* v : {"dsp", "portable", "naive"}) {
        jobs.push_back({m, board, v, &graphs[m], *pick, -1, ""});
      }
    }
  }
  // Part 2: patch vs stream at the heaviest recomputation.
  std::vector<Job> patch_jobs;
  for (const std::string& m : part2 ? zoo : std::vector<std::string>{}) {
    // Settings where patch, stream-1D and stream-2D all fit the board, with
    // the same variant (n_patch, split, in-place flags, order): the id
    // without its strategy prefix ("n7-s30-noip").
    std::map<std::string, std::map<space::Strategy, const space::Plan*>> fitting;
    for (const space::Plan& p : spaces[m]) {
      const auto s = p.candidate.strategy;
      if (p.metrics.fits && (s == space::Strategy::kPatch || s == space::Strategy::kStream1D ||
                             s == space::Strategy::kStream2D)) {
        const std::string id = p.candidate.Id();
        fitting[id.substr(id.find('-') + 1)][s] = &p;
      }
    }
    const std::map<space::Strategy, const space::Plan*>* worst = nullptr;
    for (const auto& [variant, plans] : fitting) {
      if (plans.size() == 3 &&
          (!worst || plans.at(space::Strategy::kPatch)->metrics.macs_recomputed >
                         worst->at(space::Strategy::kPatch)->metrics.macs_recomputed)) {
        worst = &plans;
      }
    }
    if (!worst) continue;
    for (const auto& [strategy, p] : *worst) {
      patch_jobs.push_back({m, "qemu-f746", space::StrategyName(strategy), &graphs[m], *p, -1, ""});
    }
  }
  // Part 3: layer-wise in place vs out of place, model order, both fitting.
  std::vector<Job> ip_jobs;
  for (const std::string& m : part3 ? zoo : std::vector<std::string>{}) {
    const space::Plan* by[2] = {nullptr, nullptr};  // [inplace]
    for (const space::Plan& p : spaces[m]) {
      const space::Candidate& c = p.candidate;
      if (c.strategy == space::Strategy::kLayerwise && p.metrics.fits &&
          c.order.source == space::OrderSource::kModel) {
        by[c.inplace_depthwise ? 1 : 0] = &p;
      }
    }
    if (!by[0] || !by[1]) continue;
    for (int ip : {1, 0}) {
      ip_jobs.push_back({m, "qemu-f746", ip ? "inplace" : "noip", &graphs[m], *by[ip], -1, ""});
    }
  }
  std::fprintf(stderr, "codegen_bench: %zu layer-wise + %zu patch + %zu in-place builds\n",
               jobs.size(), patch_jobs.size(), ip_jobs.size());
  RunAll(jobs);
  RunAll(patch_jobs);
  RunAll(ip_jobs);

  if (part1) PrintLayerwise(jobs, unfit);
  if (part2) PrintPatchVsStream(patch_jobs);
  if (part3) PrintInplace(ip_jobs);
  return 0;
}
