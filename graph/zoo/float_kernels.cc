// Float calibration kernels.
//
// - Convolution re-lays the filter out as [kh][kw][cin][cout] once, so the
//   innermost loop runs over contiguous output channels (vectorizable).
// - Out-of-image taps are skipped (zero padding in the float domain).
#include "graph/zoo/float_kernels.h"

#include <algorithm>

namespace mcutune::graph::zoo {
namespace {

int PadBefore(int in, int out, int k, int stride) {
  const int total = (out - 1) * stride + k - in;
  return total > 0 ? total / 2 : 0;
}

}  // namespace

FloatMap ConvSame(const FloatMap& in, const std::vector<float>& w_ohwi,
                  const std::vector<float>& bias, int kh, int kw, int stride,
                  int cout) {
  const int cin = in.c;
  FloatMap out;
  out.h = (in.h + stride - 1) / stride;
  out.w = (in.w + stride - 1) / stride;
  out.c = cout;
  out.v.assign(static_cast<size_t>(out.h) * out.w * cout, 0.0f);
  std::vector<float> w_hwio(w_ohwi.size());
  for (int o = 0; o < cout; ++o) {
    for (int t = 0; t < kh * kw; ++t) {
      for (int i = 0; i < cin; ++i) {
        w_hwio[(static_cast<size_t>(t) * cin + i) * cout + o] =
            w_ohwi[(static_cast<size_t>(o) * kh * kw + t) * cin + i];
      }
    }
  }
  const int pt = PadBefore(in.h, out.h, kh, stride);
  const int pl = PadBefore(in.w, out.w, kw, stride);
  for (int oy = 0; oy < out.h; ++oy) {
    for (int ox = 0; ox < out.w; ++ox) {
      float* acc = &out.v[(static_cast<size_t>(oy) * out.w + ox) * cout];
      if (!bias.empty()) std::copy(bias.begin(), bias.end(), acc);
      for (int ky = 0; ky < kh; ++ky) {
        const int iy = oy * stride - pt + ky;
        if (iy < 0 || iy >= in.h) continue;
        for (int kx = 0; kx < kw; ++kx) {
          const int ix = ox * stride - pl + kx;
          if (ix < 0 || ix >= in.w) continue;
          const float* x = &in.v[(static_cast<size_t>(iy) * in.w + ix) * cin];
          const float* w =
              &w_hwio[static_cast<size_t>(ky * kw + kx) * cin * cout];
          for (int i = 0; i < cin; ++i) {
            const float xi = x[i];
            const float* wi = w + static_cast<size_t>(i) * cout;
            for (int o = 0; o < cout; ++o) acc[o] += xi * wi[o];
          }
        }
      }
    }
  }
  return out;
}

FloatMap DepthwiseSame(const FloatMap& in, const std::vector<float>& w_hwc,
                       const std::vector<float>& bias, int kh, int kw,
                       int stride) {
  const int c = in.c;
  FloatMap out;
  out.h = (in.h + stride - 1) / stride;
  out.w = (in.w + stride - 1) / stride;
  out.c = c;
  out.v.assign(static_cast<size_t>(out.h) * out.w * c, 0.0f);
  const int pt = PadBefore(in.h, out.h, kh, stride);
  const int pl = PadBefore(in.w, out.w, kw, stride);
  for (int oy = 0; oy < out.h; ++oy) {
    for (int ox = 0; ox < out.w; ++ox) {
      float* acc = &out.v[(static_cast<size_t>(oy) * out.w + ox) * c];
      if (!bias.empty()) std::copy(bias.begin(), bias.end(), acc);
      for (int ky = 0; ky < kh; ++ky) {
        const int iy = oy * stride - pt + ky;
        if (iy < 0 || iy >= in.h) continue;
        for (int kx = 0; kx < kw; ++kx) {
          const int ix = ox * stride - pl + kx;
          if (ix < 0 || ix >= in.w) continue;
          const float* x = &in.v[(static_cast<size_t>(iy) * in.w + ix) * c];
          const float* w = &w_hwc[static_cast<size_t>(ky * kw + kx) * c];
          for (int ch = 0; ch < c; ++ch) acc[ch] += x[ch] * w[ch];
        }
      }
    }
  }
  return out;
}

FloatMap FullyConnected(const FloatMap& in, const std::vector<float>& w_oi,
                        const std::vector<float>& bias, int units) {
  const size_t depth = in.v.size();
  FloatMap out;
  out.h = out.w = 1;
  out.c = units;
  out.v.assign(units, 0.0f);
  for (int o = 0; o < units; ++o) {
    float acc = bias.empty() ? 0.0f : bias[o];
    const float* w = &w_oi[static_cast<size_t>(o) * depth];
    for (size_t i = 0; i < depth; ++i) acc += in.v[i] * w[i];
    out.v[o] = acc;
  }
  return out;
}

FloatMap GlobalAverage(const FloatMap& in) {
  FloatMap out;
  out.h = out.w = 1;
  out.c = in.c;
  out.v.assign(in.c, 0.0f);
  const int n = in.h * in.w;
  for (int p = 0; p < n; ++p) {
    for (int ch = 0; ch < in.c; ++ch)
      out.v[ch] += in.v[static_cast<size_t>(p) * in.c + ch];
  }
  for (float& x : out.v) x /= static_cast<float>(n);
  return out;
}

FloatMap Sum(const FloatMap& a, const FloatMap& b) {
  FloatMap out = a;
  for (size_t i = 0; i < out.v.size(); ++i) out.v[i] += b.v[i];
  return out;
}

}  // namespace mcutune::graph::zoo
