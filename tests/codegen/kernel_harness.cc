// Kernel calls for the tests: whole tensors, windowed regions, in place.
#include "tests/codegen/kernel_harness.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "graph/interpreter.h"

namespace mcutune::codegen::testing {
namespace {

mcuk_cview WholeView(const Bytes& b, const Dims& d) {
  return mcuk_cview{b.data(), 0, 0, d.h, d.w, d.w * d.c};
}
mcuk_view WholeView(Bytes& b, const Dims& d) {
  return mcuk_view{b.data(), 0, 0, d.h, d.w, d.w * d.c};
}

// Dims of activation input i (ADD: both inputs share the output's dims).
Dims InputDims(const OpParams& p) { return p.in; }

// Calls the region-aware kernel of p.kind.
void CallSpatial(const OpParams& p, const std::vector<mcuk_cview>& in,
                 const mcuk_view& out, const mcuk_region& r, int8_t* scratch) {
  switch (p.kind) {
    case KernelKind::kConv2D:
      mcuk_conv2d(&p.conv, &in[0], &out, &r, scratch);
      break;
    case KernelKind::kDepthwiseConv2D:
      mcuk_depthwise_conv2d(&p.conv, &in[0], &out, &r);
      break;
    case KernelKind::kAdd:
      mcuk_add(&p.add, &in[0], &in[1], &out, &r);
      break;
    case KernelKind::kAveragePool:
      mcuk_avg_pool(&p.pool, &in[0], &out, &r);
      break;
    case KernelKind::kMaxPool:
      mcuk_max_pool(&p.pool, &in[0], &out, &r);
      break;
    case KernelKind::kPad:
      mcuk_pad(&p.pad, &in[0], &out, &r);
      break;
    default:
      break;
  }
}

int Uniform(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

}  // namespace

bool IsSpatial(KernelKind kind) {
  switch (kind) {
    case KernelKind::kConv2D:
    case KernelKind::kDepthwiseConv2D:
    case KernelKind::kAdd:
    case KernelKind::kAveragePool:
    case KernelKind::kMaxPool:
    case KernelKind::kPad:
      return true;
    default:
      return false;
  }
}

Bytes RunWhole(const OpParams& p, const std::vector<const Bytes*>& inputs) {
  Bytes out(p.out.elements());
  if (IsSpatial(p.kind)) {
    std::vector<mcuk_cview> views;
    for (const Bytes* b : inputs) views.push_back(WholeView(*b, InputDims(p)));
    const mcuk_region r{0, p.out.h, 0, p.out.w};
    std::vector<int8_t> scratch(ScratchBytes(p) + 1);
    CallSpatial(p, views, WholeView(out, p.out), r, scratch.data());
    return out;
  }
  switch (p.kind) {
    case KernelKind::kFullyConnected:
      mcuk_fully_connected(&p.fc, inputs[0]->data(), out.data());
      break;
    case KernelKind::kMean: {
      const mcuk_cview v = WholeView(*inputs[0], p.in);
      mcuk_mean_hw(&p.mean, &v, out.data());
      break;
    }
    case KernelKind::kSoftmax:
      mcuk_softmax(&p.softmax, inputs[0]->data(), out.data());
      break;
    case KernelKind::kReshape:
      mcuk_copy_2d(out.data(), 0, inputs[0]->data(), 0, 1,
                   static_cast<int32_t>(p.bytes));
      break;
    case KernelKind::kTranspose:
      mcuk_permute(&p.permute, inputs[0]->data(), out.data());
      break;
    case KernelKind::kConcatenation:
      for (size_t i = 0; i < p.concat.size(); ++i) {
        const ConcatPart& part = p.concat[i];
        const auto rows = static_cast<int32_t>(p.concat_outer);
        const auto row = static_cast<int32_t>(p.concat_row);
        const auto slab = static_cast<int32_t>(part.slab);
        int8_t* dst = out.data() + part.offset;
        if (part.rescale) {
          mcuk_rescale_2d(&part.rescale_params, dst, row, inputs[i]->data(),
                          slab, rows, slab);
        } else {
          mcuk_copy_2d(dst, row, inputs[i]->data(), slab, rows, slab);
        }
      }
      break;
    default:
      break;
  }
  return out;
}

Bytes RunInplaceWhole(const OpParams& p, const Bytes& input) {
  Bytes buffer(std::max<int64_t>(p.in.elements(), p.out.elements()));
  std::copy(input.begin(), input.end(), buffer.begin());
  const mcuk_cview in{buffer.data(), 0, 0, p.in.h, p.in.w, p.in.w * p.in.c};
  const mcuk_view out{buffer.data(), 0, 0, p.out.h, p.out.w, p.out.w * p.out.c};
  const mcuk_region r{0, p.out.h, 0, p.out.w};
  Bytes tmp(InplaceDepthwiseTempBytes(p.in.h, p.in.w));
  mcuk_depthwise_conv2d_inplace(&p.conv, &in, &out, &r, tmp.data());
  buffer.resize(p.out.elements());
  return buffer;
}

Span InputSpan(const OpParams& p, const mcuk_region& r) {
  int sh = 1, sw = 1, ph = 0, pw = 0, eh = 1, ew = 1;
  switch (p.kind) {
    case KernelKind::kConv2D:
    case KernelKind::kDepthwiseConv2D:
      sh = p.conv.stride_h, sw = p.conv.stride_w;
      ph = p.conv.pad_top, pw = p.conv.pad_left;
      eh = (p.conv.filter_h - 1) * p.conv.dilation_h + 1;
      ew = (p.conv.filter_w - 1) * p.conv.dilation_w + 1;
      break;
    case KernelKind::kAveragePool:
    case KernelKind::kMaxPool:
      sh = p.pool.stride_h, sw = p.pool.stride_w;
      ph = p.pool.pad_top, pw = p.pool.pad_left;
      eh = p.pool.filter_h, ew = p.pool.filter_w;
      break;
    case KernelKind::kPad:
      ph = p.pad.pad_top, pw = p.pad.pad_left;
      break;
    default:
      break;
  }
  Span s;
  s.y_lo = std::max(0, r.y0 * sh - ph);
  s.y_hi = std::min(p.in.h - 1, (r.y1 - 1) * sh - ph + eh - 1);
  s.x_lo = std::max(0, r.x0 * sw - pw);
  s.x_hi = std::min(p.in.w - 1, (r.x1 - 1) * sw - pw + ew - 1);
  return s;
}

RegionResult RunRegion(const OpParams& p,
                       const std::vector<const Bytes*>& inputs,
                       const mcuk_region& r, std::mt19937& rng, int margin,
                       bool inplace) {
  constexpr int kGuard = 64;
  const Span span = InputSpan(p, r);
  const Dims in_d = InputDims(p);
  const int c_in = in_d.c, c_out = p.out.c;
  std::vector<Bytes> storage;
  std::vector<mcuk_cview> views;
  for (const Bytes* whole : inputs) {
    mcuk_cview v{};
    if (span.y_lo <= span.y_hi && span.x_lo <= span.x_hi) {
      v.y0 = std::max(0, span.y_lo - Uniform(rng, 0, margin));
      v.x0 = std::max(0, span.x_lo - Uniform(rng, 0, margin));
      v.h = std::min(in_d.h, span.y_hi + 1 + Uniform(rng, 0, margin)) - v.y0;
      v.w = std::min(in_d.w, span.x_hi + 1 + Uniform(rng, 0, margin)) - v.x0;
    }
    v.row_stride = (v.w + (inplace ? 0 : Uniform(rng, 0, 2))) * c_in +
                   (inplace ? 0 : Uniform(rng, 0, 3));
    Bytes buf = RandomBytes(
        2 * kGuard + size_t(v.h) * v.row_stride + size_t(p.out.elements()),
        rng);
    for (int y = 0; y < v.h; ++y) {
      std::memcpy(buf.data() + kGuard + size_t(y) * v.row_stride,
                  whole->data() + (size_t(v.y0 + y) * in_d.w + v.x0) * c_in,
                  size_t(v.w) * c_in);
    }
    storage.push_back(std::move(buf));
    views.push_back(v);
  }
  for (size_t i = 0; i < views.size(); ++i) {
    views[i].data = storage[i].data() + kGuard;
  }
  RegionResult result;
  const int rh = r.y1 - r.y0, rw = r.x1 - r.x0;
  if (inplace) {
    // The output window is exactly the region, at the input buffer's base.
    const mcuk_view out{
        storage[0].data() + kGuard, r.y0, r.x0, rh, rw, rw * c_out};
    Bytes tmp(InplaceDepthwiseTempBytes(views[0].h, views[0].w) + 1);
    mcuk_depthwise_conv2d_inplace(&p.conv, &views[0], &out, &r, tmp.data());
    result.values.assign(out.data, out.data + size_t(rh) * rw * c_out);
    return result;
  }
  mcuk_view out{};
  out.y0 = std::max(0, r.y0 - Uniform(rng, 0, margin));
  out.x0 = std::max(0, r.x0 - Uniform(rng, 0, margin));
  out.h = std::min(p.out.h, r.y1 + Uniform(rng, 0, margin)) - out.y0;
  out.w = std::min(p.out.w, r.x1 + Uniform(rng, 0, margin)) - out.x0;
  out.row_stride = out.w * c_out + Uniform(rng, 0, 5);
  const Bytes before =
      RandomBytes(2 * kGuard + size_t(out.h) * out.row_stride, rng);
  Bytes buf = before;
  out.data = buf.data() + kGuard;
  std::vector<int8_t> scratch(ScratchBytes(p) + 1);
  CallSpatial(p, views, out, r, scratch.data());
  for (size_t i = 0; i < buf.size(); ++i) {
    const int64_t rel = int64_t(i) - kGuard;
    bool inside = false;
    if (rel >= 0 && rel < int64_t(out.h) * out.row_stride) {
      const int y = out.y0 + int(rel / out.row_stride);
      const int64_t col = rel % out.row_stride;
      const int x = out.x0 + int(col / c_out);
      inside = col < int64_t(out.w) * c_out && y >= r.y0 && y < r.y1 &&
               x >= r.x0 && x < r.x1;
    }
    if (!inside && buf[i] != before[i]) result.clean = false;
  }
  for (int y = r.y0; y < r.y1; ++y) {
    const int8_t* row = out.data + size_t(y - out.y0) * out.row_stride +
                        size_t(r.x0 - out.x0) * c_out;
    result.values.insert(result.values.end(), row, row + size_t(rw) * c_out);
  }
  return result;
}

Bytes Slice(const Bytes& whole, const Dims& d, const mcuk_region& r) {
  Bytes out;
  for (int y = r.y0; y < r.y1; ++y) {
    const auto* row = whole.data() + (size_t(y) * d.w + r.x0) * d.c;
    out.insert(out.end(), row, row + size_t(r.x1 - r.x0) * d.c);
  }
  return out;
}

Bytes RandomBytes(size_t n, std::mt19937& rng) {
  Bytes b(n);
  for (int8_t& v : b) v = static_cast<int8_t>(Uniform(rng, -128, 127));
  return b;
}

std::vector<Bytes> ReferenceTensors(const graph::Graph& graph,
                                    const std::vector<Bytes>& inputs,
                                    graph::RequantMode mode) {
  graph::InterpreterOptions options;
  options.requant = mode;
  auto interp = graph::Interpreter::Create(graph, options);
  if (!interp.ok()) {
    std::fprintf(stderr, "%s\n", interp.status().ToString().c_str());
    return {};
  }
  if (!(*interp)->Run(inputs).ok()) return {};
  std::vector<Bytes> values;
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    values.push_back((*interp)->tensor(static_cast<int>(t)));
  }
  return values;
}

}  // namespace mcutune::codegen::testing
