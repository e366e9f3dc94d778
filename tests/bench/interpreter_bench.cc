// Reference interpreter throughput against a naive loop nest, same process.
//
// usage: interpreter_bench [MODEL.tflite ...]
// Without arguments: vww_96_int8 from MCUTUNE_SHARED_DIR/models (skipped with
// a message when absent) and the synthesized zoo network mcunet-in4 (seed 1).
// For each model prints MACs, the best-of-N time and MAC/s of both
// implementations and the speed-up, after checking that both produce the same
// bytes for every tensor. MACs: conv hout*wout*cout*cin*kh*kw, depthwise
// hout*wout*c*kh*kw, fully connected in*out.
//
// The baseline runs CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED as plain
// 7-deep loop nests with a bounds check per tap and per-element
// requantization (the same fp32 formula as the default mode); the remaining
// operators (a negligible share of the work) use the interpreter's kernels.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "graph/interpreter.h"
#include "graph/kernels/op_kernel.h"
#include "graph/tflite_reader.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"

namespace mcutune::graph {
namespace {

using Values = std::vector<std::vector<int8_t>>;

int64_t OpMacs(const Graph& g, const Operator& op) {
  const Tensor& out = g.tensors[op.outputs[0]];
  if (op.type == OpType::kConv2D) {
    const Tensor& w = g.tensors[op.inputs[1]];
    return out.num_elements() * w.shape[1] * w.shape[2] * w.shape[3];
  }
  if (op.type == OpType::kDepthwiseConv2D) {
    const Tensor& w = g.tensors[op.inputs[1]];
    return out.num_elements() * w.shape[1] * w.shape[2];
  }
  if (op.type == OpType::kFullyConnected) {
    const Tensor& w = g.tensors[op.inputs[1]];
    return out.num_elements() / w.shape[0] * w.shape[0] * w.shape[1];
  }
  return 0;
}

int32_t Bias(const Graph& g, const Operator& op, int c) {
  if (op.inputs.size() < 3 || op.inputs[2] < 0) return 0;
  int32_t v;
  std::memcpy(&v, g.data(op.inputs[2]).data() + 4 * c, 4);
  return v;
}

// The naive loop nests. Returns false for operators it leaves to the
// interpreter's kernels.
bool NaiveOp(const Graph& g, const Operator& op, const Values& v,
             std::vector<int8_t>* result) {
  if (op.type != OpType::kConv2D && op.type != OpType::kDepthwiseConv2D &&
      op.type != OpType::kFullyConnected) {
    return false;
  }
  const Tensor& in = g.tensors[op.inputs[0]];
  const Tensor& f = g.tensors[op.inputs[1]];
  const Tensor& out = g.tensors[op.outputs[0]];
  const std::vector<int8_t>& x = v[op.inputs[0]];
  const int8_t* w = reinterpret_cast<const int8_t*>(g.data(op.inputs[1]).data());
  const int32_t zi = static_cast<int32_t>(in.quant.zero_point[0]);
  const int32_t zo = static_cast<int32_t>(out.quant.zero_point[0]);
  const ActivationRange r = ComputeActivationRange(op.options.activation,
                                                   out.quant.scale[0], zo);
  auto scale = [&](int c) {
    const float ws = f.quant.scale.size() == 1 ? f.quant.scale[0]
                                               : f.quant.scale[c];
    return in.quant.scale[0] * ws / out.quant.scale[0];
  };
  std::vector<int8_t>& y = *result;
  y.assign(out.num_elements(), 0);
  if (op.type == OpType::kFullyConnected) {
    const int units = f.shape[0], depth = f.shape[1];
    const int batches = static_cast<int>(in.num_elements() / depth);
    for (int b = 0; b < batches; ++b) {
      for (int o = 0; o < units; ++o) {
        int32_t acc = Bias(g, op, o);
        for (int i = 0; i < depth; ++i) {
          acc += (x[b * depth + i] - zi) * w[o * depth + i];
        }
        y[b * units + o] = static_cast<int8_t>(
            RequantizeFloat(acc, scale(o), zo, r.min, r.max));
      }
    }
    return true;
  }
  const OpOptions& o = op.options;
  const int n = in.shape[0], h = in.shape[1], wd = in.shape[2], c = in.shape[3];
  const int oh = out.shape[1], ow = out.shape[2], oc = out.shape[3];
  const int kh = f.shape[1], kw = f.shape[2];
  const bool dw = op.type == OpType::kDepthwiseConv2D;
  const int mult = dw ? oc / c : 1;
  const int pt = ComputePaddingBefore(o.padding, h, kh, o.stride_h,
                                      o.dilation_h, oh);
  const int pl = ComputePaddingBefore(o.padding, wd, kw, o.stride_w,
                                      o.dilation_w, ow);
  for (int b = 0; b < n; ++b) {
    for (int yy = 0; yy < oh; ++yy) {
      for (int xx = 0; xx < ow; ++xx) {
        for (int co = 0; co < oc; ++co) {
          int32_t acc = Bias(g, op, co);
          for (int ky = 0; ky < kh; ++ky) {
            for (int kx = 0; kx < kw; ++kx) {
              const int iy = yy * o.stride_h - pt + ky * o.dilation_h;
              const int ix = xx * o.stride_w - pl + kx * o.dilation_w;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              const int8_t* px = &x[((b * h + iy) * wd + ix) * c];
              if (dw) {
                acc += (px[co / mult] - zi) * w[(ky * kw + kx) * oc + co];
              } else {
                for (int ci = 0; ci < c; ++ci) {
                  acc += (px[ci] - zi) * w[((co * kh + ky) * kw + kx) * c + ci];
                }
              }
            }
          }
          y[((b * oh + yy) * ow + xx) * oc + co] = static_cast<int8_t>(
              RequantizeFloat(acc, scale(co), zo, r.min, r.max));
        }
      }
    }
  }
  return true;
}

// Runs the whole graph with the naive nests; returns every tensor's values.
Values RunNaive(const Graph& g,
                const std::vector<std::unique_ptr<OpKernel>>& kernels,
                const std::vector<int8_t>& input) {
  Values v(g.tensors.size());
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (g.tensors[t].is_constant() && g.tensors[t].type == DataType::kInt8) {
      v[t].assign(g.data(t).begin(), g.data(t).end());
    }
  }
  v[g.inputs[0]] = input;
  for (size_t k = 0; k < g.ops.size(); ++k) {
    const Operator& op = g.ops[k];
    std::vector<int8_t>& out = v[op.outputs[0]];
    if (NaiveOp(g, op, v, &out)) continue;
    std::vector<const int8_t*> operands(op.inputs.size(), nullptr);
    for (size_t j = 0; j < op.inputs.size(); ++j) {
      const int t = op.inputs[j];
      if (t >= 0 && g.tensors[t].type == DataType::kInt8) {
        operands[j] = v[t].data();
      }
    }
    out.resize(g.tensors[op.outputs[0]].num_elements());
    kernels[k]->Run(operands, out.data());
  }
  return v;
}

template <typename F>
double BestSeconds(F&& f, int repeats) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const std::chrono::duration<double> dt =
        std::chrono::steady_clock::now() - t0;
    best = std::min(best, dt.count());
  }
  return best;
}

int Bench(const std::string& name, const Graph& g) {
  int64_t macs = 0;
  for (const Operator& op : g.ops) macs += OpMacs(g, op);
  absl::StatusOr<std::unique_ptr<Interpreter>> interp = Interpreter::Create(g);
  if (!interp.ok()) {
    std::printf("%s: error: %s\n", name.c_str(),
                interp.status().ToString().c_str());
    return 1;
  }
  std::vector<std::unique_ptr<OpKernel>> kernels;
  for (size_t k = 0; k < g.ops.size(); ++k) {
    KernelContext ctx{g, g.ops[k], static_cast<int>(k),
                      RequantMode::kSingleRounding};
    kernels.push_back(*PrepareKernel(ctx));
  }
  std::vector<int8_t> input(g.tensors[g.inputs[0]].num_elements());
  uint32_t s = 1;
  for (int8_t& x : input) {
    s = s * 1103515245u + 12345u;
    x = static_cast<int8_t>(static_cast<int>((s >> 16) & 255) - 128);
  }
  Values naive;
  const double t_naive =
      BestSeconds([&] { naive = RunNaive(g, kernels, input); }, 3);
  const double t_ref = BestSeconds([&] { (void)(*interp)->Run({input}); }, 5);
  int mismatched = 0;
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (!g.tensors[t].is_constant() && (*interp)->tensor(static_cast<int>(t)) != naive[t]) {
      ++mismatched;
    }
  }
  std::printf(
      "%-14s %8.1f MMACs  naive %8.2f ms %7.1f MMAC/s  interpreter %8.2f ms "
      "%7.1f MMAC/s  speed-up %5.2fx  outputs %s\n",
      name.c_str(), macs / 1e6, t_naive * 1e3, macs / t_naive / 1e6,
      t_ref * 1e3, macs / t_ref / 1e6, t_naive / t_ref,
      mismatched == 0 ? "identical" : "DIFFER");
  return mismatched == 0 ? 0 : 1;
}

}  // namespace
}  // namespace mcutune::graph

int main(int argc, char** argv) {
  using namespace mcutune::graph;
  int status = 0;
  if (argc > 1) {
    for (int i = 1; i < argc; ++i) {
      absl::StatusOr<Graph> g = ImportTfliteFile(argv[i]);
      if (!g.ok()) {
        std::printf("%s: error: %s\n", argv[i], g.status().ToString().c_str());
        status = 1;
        continue;
      }
      status |= Bench(std::filesystem::path(argv[i]).stem().string(), *g);
    }
    return status;
  }
  const std::filesystem::path vww =
      std::filesystem::path(MCUTUNE_SHARED_DIR) / "models" / "vww_96_int8.tflite";
  if (std::filesystem::exists(vww)) {
    absl::StatusOr<Graph> g = ImportTfliteFile(vww.string());
    status |= g.ok() ? Bench("vww_96_int8", *g) : 1;
  } else {
    std::printf("vww_96_int8: SKIPPED (%s not found)\n", vww.string().c_str());
  }
  absl::StatusOr<zoo::ZooEntry> entry = zoo::FindInZoo("mcunet-in4");
  absl::StatusOr<Graph> g = entry.ok() ? zoo::Synthesize(entry->arch, 1)
                                       : absl::StatusOr<Graph>(entry.status());
  if (g.ok()) {
    status |= Bench("mcunet-in4", *g);
  } else {
    std::printf("mcunet-in4: SKIPPED (%s)\n", g.status().ToString().c_str());
  }
  return status;
}
