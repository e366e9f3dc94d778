// conv1x1_bench: the 1x1 (pointwise) convolution kernel alone on the virtual
// Cortex-M7 (qemu-f746, QEMU -icount: instructions, not cycles).
//
// Each shape is a one-operator model (input -> CONV_2D 1x1 -> output), built
// layer-wise with the DSP kernel path and with the portable path
// (-DMCUK_PORTABLE). The harness and model_run overhead is the instruction
// count of a tiny model of the same form (1x1x4 -> 4, 16 MACs) built the same
// way, subtracted before dividing by the MACs. Every run's output hash is
// checked against the reference interpreter.
// Issue 4's goal: >= 1 MAC per instruction (<= 1 instruction/MAC) on M7, DSP.
// The requantization costs ~7 instructions per output with the full
// activation range, ~10 when clamped (codegen/kernels/internal/
// pointwise_asm.h), i.e. 7-10 / in_c per MAC: single layers meet the goal
// from in_c ~40; the last column says which shapes do. The --zoo aggregate
// is the goal's measure for real networks (docs/firmware.md).
//
// Two modes:
//   default  a fixed list of shapes with the probe-graph quantization
//            (tests/graph/probe_graphs.h: deterministic weights, relu6).
//   --zoo    every CONV_2D with a 1x1 filter (any stride) of the ten zoo
//            networks (graph/zoo, synthesized with seed 1), i.e. the answer
//            to the goal for real networks. Identical shapes (input HxWxC,
//            output C, stride) are measured once, each as the one-operator
//            model cut out of its first occurrence (network order), so with
//            that layer's real weights, bias, quantization and activation.
//            A shape whose layer-wise model does not fit the board's SRAM is
//            measured on fewer input rows and scaled by the output pixels
//            (the kernel's work is per pixel), marked "scaled" in the list.
//            Prints per network: the 1x1 layers, their MACs (and share of
//            the network's MACs), MAC-weighted instructions/MAC (sum of
//            instructions / sum of MACs) DSP and portable, and the share of
//            the 1x1 MACs in layers meeting the goal (DSP); the aggregate
//            over the ten networks; then the per-shape list.
// Usage: conv1x1_bench [--zoo] (CONV1X1_BENCH_KEEP=1 keeps the build dirs).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/subprocess.h"
#include "codegen/emitter.h"
#include "codegen/firmware/sha256.h"
#include "codegen/firmware_builder.h"
#include "codegen/host_verifier.h"
#include "device_farm/qemu_runner.h"
#include "graph/analysis.h"
#include "graph/interpreter.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tests/graph/probe_graphs.h"
#include "tuner/space/board.h"
#include "tuner/space/enumerate.h"

namespace {

namespace fs = std::filesystem;
using namespace mcutune;

struct Shape {
  int h, w, cin, cout;
};

struct Job {
  std::string variant;  // dsp | portable
  const graph::Graph* graph = nullptr;
  space::Plan plan;
  double instructions = -1;
  std::string note;
};

// input (1,h,w,cin) -> CONV_2D 1x1, stride 1, per-channel weights, relu6.
graph::Graph PointwiseModel(const Shape& s) {
  testing::ProbeBuilder b(absl::StrCat("pw_", s.h, "x", s.w, "x", s.cin, "_", s.cout));
  const int in = b.Input("input", {1, s.h, s.w, s.cin}, testing::Q(0.05f, -3));
  const graph::Quantization wq = testing::PerChannel(s.cout, 0.01f, 0);
  const int w = b.Int8Const("pw/weights", {s.cout, 1, 1, s.cin}, wq);
  graph::Quantization bq = wq;
  for (float& x : bq.scale) x *= 0.05f;
  const int bias =
      b.Int32Const("pw/bias", {s.cout}, testing::BiasValues(s.cout), bq);
  const int out_t = b.Act("pw", {1, s.h, s.w, s.cout}, testing::Q(0.04f, -128));
  graph::OpOptions o;
  o.padding = graph::Padding::kSame;
  o.stride_h = o.stride_w = 1;
  o.activation = graph::Activation::kRelu6;
  b.Op(graph::OpType::kConv2D, {in, w, bias}, out_t, o);
  return b.Finish(out_t);
}

std::string Sha(const std::vector<int8_t>& v) {
  uint8_t d[32];
  mcutune_sha256(v.data(), v.size(), d);
  std::string s;
  static const char kHex[] = "0123456789abcdef";
  for (uint8_t b : d) s += std::string{kHex[b >> 4], kHex[b & 15]};
  return s;
}

void RunJob(Job& job, const space::BoardSpec& board, const fs::path& dir) {
  codegen::EmitOptions eo;
  eo.prefix = "model";
  absl::StatusOr<codegen::EmittedModel> m = codegen::EmitModel(*job.graph, job.plan, eo);
  if (!m.ok()) return void(job.note = std::string(m.status().message()));
  if (!codegen::WriteEmittedModel(*m, dir.string()).ok()) return void(job.note = "write");
  codegen::FirmwareBuildOptions fo;
  fo.work_dir = dir.string();
  fo.jobs = 1;
  fo.timeout = absl::Seconds(600);
  for (const std::string& c : m->c_files()) fo.sources.push_back((dir / c).string());
  const fs::path kernels = fs::path(codegen::FirmwareIncludeRoot()) / "codegen/kernels";
  for (const fs::directory_entry& e : fs::directory_iterator(kernels)) {
    if (e.path().extension() == ".c") fo.sources.push_back(e.path().string());
  }
  if (job.variant == "portable") fo.defines.push_back({"MCUK_PORTABLE", ""});
  absl::StatusOr<codegen::BuildResult> b = codegen::BuildFirmware(board, fo);
  if (!b.ok()) return void(job.note = std::string(b.status().message()));
  if (!b->ok) {
    job.note = absl::StrCat("build failed at ", codegen::BuildStageName(b->stage));
    for (const auto& o : b->overflows) absl::StrAppend(&job.note, " ", o.region, "+", o.bytes);
    return;
  }
  device_farm::QemuRunOptions ro;
  ro.machine = board.qemu_machine;
  ro.timeout = absl::Seconds(600);
  ro.warmup = 0;
  absl::StatusOr<device_farm::Measurement> r = device_farm::RunOnQemu(b->elf_path, ro);
  if (!r.ok() || r->status != device_farm::RunStatus::kOk) return void(job.note = "run failed");
  absl::StatusOr<std::vector<std::vector<int8_t>>> ref =
      graph::RunInference(*job.graph, codegen::GoldenInputs(*job.graph, 1));
  if (!ref.ok() || Sha((*ref)[0]) != r->output_sha256) job.note = "HASH MISMATCH";
  job.instructions = r->per_inference;
  if (!std::getenv("CONV1X1_BENCH_KEEP")) fs::remove_all(dir);
}

// The first layer-wise plan of `g` on `board`, or nullopt (does not fit).
std::optional<space::Plan> LayerwisePlan(const graph::Graph& g,
                                         const space::BoardSpec& board) {
  space::Constraints c;
  absl::StatusOr<space::SpaceResult> sp = space::Enumerate(g, board, c);
  if (!sp.ok()) return std::nullopt;
  for (const space::Plan& p : sp->plans) {
    if (p.candidate.strategy == space::Strategy::kLayerwise) return p;
  }
  return std::nullopt;
}

// Two jobs per graph, "dsp" then "portable", in the order of `graphs`.
std::vector<Job> MakeJobs(const std::vector<graph::Graph>& graphs,
                          const std::vector<std::optional<space::Plan>>& plans) {
  std::vector<Job> jobs;
  for (size_t k = 0; k < graphs.size(); ++k) {
    for (const char* v : {"dsp", "portable"}) {
      Job j;
      j.variant = v;
      j.graph = &graphs[k];
      if (plans[k]) {
        j.plan = *plans[k];
      } else {
        j.note = "no layer-wise plan";
      }
      jobs.push_back(j);
    }
  }
  return jobs;
}

// Runs the jobs on two workers (build + QEMU each).
void RunAll(std::vector<Job>& jobs, const space::BoardSpec& board, int pass = 0) {
  const fs::path root =
      fs::temp_directory_path() / absl::StrCat("mcutune-c1x1-", getpid(), "-", pass);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      if (jobs[i].note.empty()) RunJob(jobs[i], board, root / absl::StrCat(i));
      std::fprintf(stderr, ".");
    }
  };
  std::thread t(worker);
  worker();
  t.join();
  std::fprintf(stderr, "\n");
  if (std::getenv("CONV1X1_BENCH_KEEP")) {
    std::printf("build dirs kept under %s\n", root.c_str());
  } else {
    fs::remove_all(root);
  }
}

// Instructions of job `j` net of the overhead job `base`, NaN if either failed.
double Net(const Job& j, const Job& base) {
  if (j.instructions <= 0 || base.instructions <= 0) return NAN;
  return j.instructions - base.instructions;
}

int FixedShapes(const space::BoardSpec& board) {
  // First: the overhead model. Then the measured shapes.
  const std::vector<Shape> shapes = {{1, 1, 4, 4},    {20, 20, 16, 96}, {10, 10, 96, 24},
                                     {5, 5, 160, 320}, {40, 40, 8, 16},  {7, 7, 64, 64},
                                     {14, 14, 32, 64}, {14, 14, 48, 48}};
  std::vector<graph::Graph> graphs;
  std::vector<std::optional<space::Plan>> plans;
  for (const Shape& s : shapes) {
    graphs.push_back(PointwiseModel(s));
    plans.push_back(LayerwisePlan(graphs.back(), board));
  }
  std::vector<Job> jobs = MakeJobs(graphs, plans);
  RunAll(jobs, board);

  const double base_dsp = jobs[0].instructions, base_port = jobs[1].instructions;
  std::printf("\n== 1x1 convolution alone, %s (Cortex-M7), instructions per MAC ==\n",
              board.id.c_str());
  std::printf("overhead (1x1x4->4 model, subtracted): dsp %.0f, portable %.0f instructions %s%s\n",
              base_dsp, base_port, jobs[0].note.c_str(), jobs[1].note.c_str());
  std::printf("%-18s %10s %12s %12s %9s %9s %9s %9s %s\n", "shape HxWxCin->Cout", "MACs",
              "dsp instr", "port instr", "dsp i/MAC", "port i/MAC", "MAC/i dsp", "port/dsp",
              "goal");
  for (size_t k = 1; k < shapes.size(); ++k) {
    const Shape& s = shapes[k];
    const Job& d = jobs[2 * k];
    const Job& p = jobs[2 * k + 1];
    const double macs = static_cast<double>(s.h) * s.w * s.cin * s.cout;
    const double di = Net(d, jobs[0]);
    const double pi = Net(p, jobs[1]);
    std::printf("%-18s %10.0f %12.0f %12.0f %9.3f %9.3f %9.3f %9.2f %s %s%s\n",
                absl::StrCat(s.h, "x", s.w, "x", s.cin, "->", s.cout).c_str(), macs, di, pi,
                di / macs, pi / macs, macs / di, pi / di, di <= macs ? "met" : "missed",
                d.note.c_str(), p.note.c_str());
  }
  return 0;
}

// ---- --zoo: the 1x1 convolutions of the ten zoo networks ----

// A distinct 1x1 shape of the zoo and its measurement.
struct ZooShape {
  int h = 0, w = 0, cin = 0, cout = 0, stride = 1, out_h = 0;
  size_t net = 0;     // first occurrence: network index and operator index
  int op = -1;
  int64_t macs = 0;   // one layer: out_h * out_w * cin * cout
  int count = 0;      // layers of this shape over the ten networks
  int rows = 0;       // input rows of the measured model (h unless scaled)
  double scale = 1;   // output pixels of the layer / of the measured model
  double dsp = NAN, port = NAN;  // net instructions of one full layer
  std::string note;
};

struct ZooNet {
  std::string name;
  int64_t macs_total = 0;      // every operator of the network
  std::vector<size_t> layers;  // its 1x1 layers, as indices into the shapes
};

// The one-operator model of g.ops[op] (a CONV_2D) with its real tensors,
// weights, bias and quantization, on `in_rows` input rows.
graph::Graph ExtractConv(const graph::Graph& g, int op, int in_rows) {
  graph::Graph s;
  s.name = absl::StrCat(g.name, "_op", op);
  const graph::Operator& src = g.ops[op];
  graph::Operator o = src;
  o.inputs.clear();
  o.outputs.clear();
  auto copy = [&](int t) {
    if (t < 0) return -1;
    graph::Tensor x = g.tensors[t];
    if (x.is_constant()) {
      s.buffers.push_back(g.buffers[x.buffer]);
      x.buffer = static_cast<int>(s.buffers.size()) - 1;
    }
    s.tensors.push_back(std::move(x));
    return static_cast<int>(s.tensors.size()) - 1;
  };
  for (int t : src.inputs) o.inputs.push_back(copy(t));
  for (int t : src.outputs) o.outputs.push_back(copy(t));
  // A 1x1 filter gives ceil(rows / stride) output rows, SAME or VALID.
  s.tensors[o.inputs[0]].shape[1] = in_rows;
  s.tensors[o.outputs[0]].shape[1] = (in_rows + src.options.stride_h - 1) / src.options.stride_h;
  s.inputs = {o.inputs[0]};
  s.outputs = o.outputs;
  s.ops = {o};
  return s;
}

bool IsPointwiseConv(const graph::Graph& g, const graph::Operator& op) {
  if (op.type != graph::OpType::kConv2D) return false;
  const std::vector<int32_t>& f = g.tensors[op.inputs[1]].shape;
  return f.size() == 4 && f[1] == 1 && f[2] == 1;
}

// Cuts z's layer out of `g` on z.rows input rows, halving them until a
// layer-wise plan exists; sets z.rows and z.scale.
std::optional<space::Plan> Fit(const graph::Graph& g, const space::BoardSpec& board, ZooShape& z,
                               graph::Graph& sub) {
  sub = ExtractConv(g, z.op, z.rows);
  std::optional<space::Plan> plan;
  if (absl::Status v = graph::ValidateGraph(sub); !v.ok()) {
    z.note = std::string(v.message());
    return plan;
  }
  plan = LayerwisePlan(sub, board);
  while (!plan && z.rows > z.stride) {
    z.rows = (z.rows + 1) / 2;
    sub = ExtractConv(g, z.op, z.rows);
    plan = LayerwisePlan(sub, board);
  }
  z.scale = static_cast<double>(z.out_h) / sub.tensors[sub.outputs[0]].shape[1];
  return plan;
}

bool LinkFailed(const Job& j) { return j.note.rfind("build failed at link", 0) == 0; }

struct Totals {
  int layers = 0, failed = 0;
  double macs = 0, ok_macs = 0, dsp = 0, port = 0, met_macs = 0, net_macs = 0;

  void Add(const ZooShape& z) {
    ++layers;
    macs += z.macs;
    if (std::isnan(z.dsp) || std::isnan(z.port)) {
      ++failed;
      return;
    }
    ok_macs += z.macs;
    dsp += z.dsp;
    port += z.port;
    if (z.dsp <= z.macs) met_macs += z.macs;
  }
  void Print(const std::string& name) const {
    std::printf("%-15s %6d %9.2f %6.1f%% %9.3f %10.3f %8.2f %9.1f%%%s\n", name.c_str(), layers,
                macs / 1e6, 100 * macs / net_macs, dsp / ok_macs, port / ok_macs, port / dsp,
                100 * met_macs / ok_macs,
                failed ? absl::StrCat("  (", failed, " layers failed, excluded)").c_str() : "");
  }
};

int ZooShapes(const space::BoardSpec& board) {
  const std::vector<std::string> names = {
      "mbv2-w0.35", "proxyless-w0.3", "mcunet-in0",  "mcunet-in1",  "mcunet-in2",
      "mcunet-in3", "mcunet-in4",     "mcunet-vww0", "mcunet-vww1", "mcunet-vww2"};
  std::vector<ZooNet> nets;
  std::vector<graph::Graph> zoo;  // the synthesized networks
  std::vector<ZooShape> shapes;
  std::map<std::tuple<int, int, int, int, int, int>, size_t> index;
  // graphs[0]: the overhead model; graphs[k + 1]: shapes[k].
  std::vector<graph::Graph> graphs = {PointwiseModel({1, 1, 4, 4})};
  std::vector<std::optional<space::Plan>> plans = {LayerwisePlan(graphs[0], board)};
  for (const std::string& name : names) {
    absl::StatusOr<graph::zoo::ZooEntry> e = graph::zoo::FindInZoo(name);
    absl::StatusOr<graph::Graph> g =
        e.ok() ? graph::zoo::Synthesize(e->arch, 1) : absl::StatusOr<graph::Graph>(e.status());
    if (!g.ok()) {
      std::printf("conv1x1_bench: %s: %s\n", name.c_str(), std::string(g.status().message()).c_str());
      return 1;
    }
    ZooNet net;
    net.name = name;
    net.macs_total = graph::Analyze(*g).macs_total;
    zoo.push_back(*g);
    for (size_t i = 0; i < g->ops.size(); ++i) {
      const graph::Operator& op = g->ops[i];
      if (!IsPointwiseConv(*g, op)) continue;
      const std::vector<int32_t>& in = g->tensors[op.inputs[0]].shape;
      const std::vector<int32_t>& out = g->tensors[op.outputs[0]].shape;
      const auto key = std::make_tuple(in[1], in[2], in[3], out[3], op.options.stride_h,
                                       op.options.stride_w);
      auto [it, added] = index.emplace(key, shapes.size());
      if (added) {
        ZooShape z;
        z.h = in[1], z.w = in[2], z.cin = in[3], z.cout = out[3], z.out_h = out[1];
        z.stride = op.options.stride_h;
        z.net = nets.size();
        z.op = static_cast<int>(i);
        if (op.options.stride_w != z.stride) z.note = absl::StrCat("stride_w ", op.options.stride_w);
        z.macs = int64_t{out[1]} * out[2] * in[3] * out[3];
        // Fewer input rows until the layer-wise model fits the SRAM.
        z.rows = z.h;
        graph::Graph sub;
        std::optional<space::Plan> plan = Fit(*g, board, z, sub);
        shapes.push_back(z);
        graphs.push_back(std::move(sub));
        plans.push_back(std::move(plan));
      }
      ++shapes[it->second].count;
      net.layers.push_back(it->second);
    }
    nets.push_back(std::move(net));
  }
  size_t layers = 0;
  for (const ZooNet& n : nets) layers += n.layers.size();
  std::fprintf(stderr, "conv1x1_bench --zoo: %zu 1x1 layers, %zu distinct shapes, %zu runs\n",
               layers, shapes.size(), 2 * graphs.size());
  std::vector<Job> jobs = MakeJobs(graphs, plans);
  RunAll(jobs, board);
  // A plan within the planner's SRAM can still overflow the firmware's RAM
  // at link time (the harness's own buffers): those shapes again on half the
  // rows, at most three times.
  for (int pass = 1; pass <= 3; ++pass) {
    std::vector<size_t> retry;
    std::vector<graph::Graph> rg;
    std::vector<std::optional<space::Plan>> rp;
    for (size_t k = 0; k < shapes.size(); ++k) {
      ZooShape& z = shapes[k];
      if (!(LinkFailed(jobs[2 * k + 2]) || LinkFailed(jobs[2 * k + 3])) || z.rows <= z.stride) {
        continue;
      }
      retry.push_back(k);
      z.rows = (z.rows + 1) / 2;
      rg.emplace_back();
      rp.push_back(Fit(zoo[z.net], board, z, rg.back()));
    }
    if (retry.empty()) break;
    std::fprintf(stderr, "retrying %zu shapes on fewer rows\n", retry.size());
    std::vector<Job> rj = MakeJobs(rg, rp);
    RunAll(rj, board, pass);
    for (size_t i = 0; i < retry.size(); ++i) {
      const size_t k = retry[i];
      graphs[k + 1] = std::move(rg[i]);
      for (int v = 0; v < 2; ++v) {
        jobs[2 * k + 2 + v] = rj[2 * i + v];
        jobs[2 * k + 2 + v].graph = &graphs[k + 1];
      }
    }
  }
  for (size_t k = 0; k < shapes.size(); ++k) {
    ZooShape& z = shapes[k];
    const Job& d = jobs[2 * (k + 1)];
    const Job& p = jobs[2 * (k + 1) + 1];
    z.dsp = Net(d, jobs[0]) * z.scale;
    z.port = Net(p, jobs[1]) * z.scale;
    for (const std::string& n : {d.note, p.note}) {
      if (!n.empty()) z.note = absl::StrCat(z.note, z.note.empty() ? "" : "; ", n);
    }
  }

  std::printf("\n== 1x1 convolutions of the ten zoo networks (seed 1), %s (Cortex-M7) ==\n",
              board.id.c_str());
  std::printf("instructions (QEMU -icount) net of the overhead model (1x1x4->4: dsp %.0f, "
              "portable %.0f%s%s); real weights and quantization (first layer of each shape)\n",
              jobs[0].instructions, jobs[1].instructions, jobs[0].note.c_str(),
              jobs[1].note.c_str());
  std::printf("i/MAC = sum of instructions / sum of MACs; met = share of the 1x1 MACs in layers "
              "at <= 1 instr/MAC (DSP)\n");
  std::printf("%-15s %6s %9s %7s %9s %10s %8s %10s\n", "network", "layers", "1x1 MMAC",
              "of net", "dsp i/MAC", "port i/MAC", "port/dsp", "met (dsp)");
  Totals all;
  for (const ZooNet& n : nets) {
    Totals t;
    t.net_macs = static_cast<double>(n.macs_total);
    all.net_macs += t.net_macs;
    for (size_t k : n.layers) {
      t.Add(shapes[k]);
      all.Add(shapes[k]);
    }
    t.Print(n.name);
  }
  all.Print("all ten");

  // Per shape, by total MACs (count x MACs) over the ten networks.
  std::vector<size_t> order(shapes.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return shapes[a].count * shapes[a].macs > shapes[b].count * shapes[b].macs;
  });
  std::printf("\n%-20s %2s %5s %10s %7s %9s %10s %6s %s\n", "shape HxWxCin->Cout", "s", "count",
              "MACs/layer", "of 1x1", "dsp i/MAC", "port i/MAC", "goal", "notes");
  for (size_t k : order) {
    const ZooShape& z = shapes[k];
    std::string notes = z.note;
    if (z.cin % 4 != 0 || z.cout % 2 != 0) notes += " unpaired shape (generic kernel)";
    if (z.rows != z.h) notes += absl::StrCat(" scaled (measured on ", z.rows, " rows)");
    std::printf("%-20s %2d %5d %10lld %6.2f%% %9.3f %10.3f %6s %s\n",
                absl::StrCat(z.h, "x", z.w, "x", z.cin, "->", z.cout).c_str(), z.stride, z.count,
                static_cast<long long>(z.macs), 100.0 * z.count * z.macs / all.macs,
                z.dsp / z.macs, z.port / z.macs,
                std::isnan(z.dsp) ? "?" : z.dsp <= z.macs ? "met" : "missed", notes.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const bool zoo = argc > 1 && std::string(argv[1]) == "--zoo";
  if (!base::ProgramExists("arm-none-eabi-gcc") || !base::ProgramExists("qemu-system-arm")) {
    std::printf("conv1x1_bench: arm-none-eabi-gcc / qemu-system-arm missing\n");
    return 0;
  }
  absl::StatusOr<space::BoardSpec> board = space::FindBoard("qemu-f746");
  if (!board.ok()) return 1;
  return zoo ? ZooShapes(*board) : FixedShapes(*board);
}
