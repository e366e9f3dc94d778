// C text building blocks.
// - Arrays are written 32 values per line with a hand-rolled integer
//   formatter (weights files of real models run to tens of MB of text).
// - Struct initializers use C99 designated initializers, so a field added
//   to a kernel struct later defaults to zero instead of shifting values.
#include "codegen/c_source.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace mcutune::codegen {
namespace {

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  int n = 0;
  const bool neg = v < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (neg) out->push_back('-');
  while (n > 0) out->push_back(buf[--n]);
}

template <typename T, typename Fmt>
void AppendArray(std::string* out, const std::string& qualifiers,
                 const std::string& type, const std::string& name, const T* data,
                 size_t n, Fmt fmt) {
  absl::StrAppend(out, qualifiers, qualifiers.empty() ? "" : " ", type, " ",
                  name, "[", n == 0 ? 1 : n, "] = {");
  if (n == 0) out->append("0");
  for (size_t i = 0; i < n; ++i) {
    if (i % 32 == 0) out->append("\n  ");
    fmt(out, data[i]);
    out->push_back(',');
  }
  out->append("\n};\n");
}

std::string Ptr(const std::string& expr) { return expr.empty() ? "NULL" : expr; }

void AppendRequant(std::string* out, const mcuk_requant& q,
                   const ParamArrays& a) {
  absl::StrAppend(out, "  .requant = {.mode = ", q.mode,
                  ", .output_zero_point = ", q.output_zero_point,
                  ", .act_min = ", q.act_min, ", .act_max = ", q.act_max,
                  ",\n    .scale = ", Ptr(a.scale), ", .multiplier = ",
                  Ptr(a.multiplier), ", .shift = ", Ptr(a.shift), "},\n");
}

}  // namespace

std::string CommentText(const std::string& text, size_t max_chars) {
  static constexpr char kKept[] = " _-.,:+=@#()[]";
  std::string out;
  for (char c : text) {
    if (out.size() == max_chars) {
      out += "...";
      break;
    }
    const bool kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') ||
                      (c != '\0' && std::strchr(kKept, c) != nullptr);
    out += kept ? c : '_';
  }
  return out;
}

std::string CFloat(float value) {
  if (value == 0.0f) return std::signbit(value) ? "-0.0f" : "0.0f";
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%af", static_cast<double>(value));
  return buf;
}

void AppendInt8Array(std::string* out, const std::string& qualifiers,
                     const std::string& name, const int8_t* data, size_t n) {
  AppendArray(out, qualifiers, "int8_t", name, data, n,
              [](std::string* o, int8_t v) { AppendInt(o, v); });
}

void AppendInt32Array(std::string* out, const std::string& qualifiers,
                      const std::string& name, const int32_t* data, size_t n) {
  AppendArray(out, qualifiers, "int32_t", name, data, n,
              [](std::string* o, int32_t v) {
                // INT32_MIN has no positive literal of type int32.
                if (v == INT32_MIN) {
                  o->append("(-2147483647 - 1)");
                } else {
                  AppendInt(o, v);
                }
              });
}

void AppendFloatArray(std::string* out, const std::string& qualifiers,
                      const std::string& name, const float* data, size_t n) {
  AppendArray(out, qualifiers, "float", name, data, n,
              [](std::string* o, float v) { o->append(CFloat(v)); });
}

ParamArrays AppendOpArrays(std::string* out, const std::string& qualifiers,
                           const std::string& prefix, const OpParams& p) {
  ParamArrays a;
  const bool single = p.mode == graph::RequantMode::kSingleRounding;
  if (!p.weights.empty()) {
    a.weights = absl::StrCat(prefix, "_w");
    // Word-aligned: the DSP kernels read filters with LDRD.
    AppendInt8Array(out, qualifiers + " __attribute__((aligned(4)))",
                    a.weights, p.weights.data(), p.weights.size());
  }
  if (!p.bias.empty()) {
    a.bias = absl::StrCat(prefix, "_b");
    AppendInt32Array(out, qualifiers, a.bias, p.bias.data(), p.bias.size());
  }
  if (single && !p.scale.empty()) {
    a.scale = absl::StrCat(prefix, "_s");
    AppendFloatArray(out, qualifiers, a.scale, p.scale.data(), p.scale.size());
  }
  if (!single && !p.multiplier.empty()) {
    a.multiplier = absl::StrCat(prefix, "_m");
    a.shift = absl::StrCat(prefix, "_sh");
    AppendInt32Array(out, qualifiers, a.multiplier, p.multiplier.data(),
                     p.multiplier.size());
    AppendInt32Array(out, qualifiers, a.shift, p.shift.data(), p.shift.size());
  }
  if (!p.exp_table.empty()) {
    a.exp_table = absl::StrCat(prefix, "_e");
    AppendFloatArray(out, qualifiers, a.exp_table, p.exp_table.data(),
                     p.exp_table.size());
  }
  return a;
}

void AppendOpArrayDeclarations(std::string* out, const std::string& prefix,
                               const OpParams& p) {
  const bool single = p.mode == graph::RequantMode::kSingleRounding;
  if (!p.weights.empty()) absl::StrAppend(out, "extern const int8_t ", prefix, "_w[];\n");
  if (!p.bias.empty()) absl::StrAppend(out, "extern const int32_t ", prefix, "_b[];\n");
  if (single && !p.scale.empty()) {
    absl::StrAppend(out, "extern const float ", prefix, "_s[];\n");
  }
  if (!single && !p.multiplier.empty()) {
    absl::StrAppend(out, "extern const int32_t ", prefix, "_m[];\n",
                    "extern const int32_t ", prefix, "_sh[];\n");
  }
  if (!p.exp_table.empty()) {
    absl::StrAppend(out, "extern const float ", prefix, "_e[];\n");
  }
}

const char* ParamsTypeName(KernelKind kind) {
  switch (kind) {
    case KernelKind::kConv2D:
    case KernelKind::kDepthwiseConv2D:
      return "mcuk_conv_params";
    case KernelKind::kFullyConnected:
      return "mcuk_fc_params";
    case KernelKind::kAdd:
      return "mcuk_add_params";
    case KernelKind::kAveragePool:
    case KernelKind::kMaxPool:
      return "mcuk_pool_params";
    case KernelKind::kMean:
      return "mcuk_mean_params";
    case KernelKind::kPad:
      return "mcuk_pad_params";
    case KernelKind::kSoftmax:
      return "mcuk_softmax_params";
    case KernelKind::kTranspose:
      return "mcuk_permute_params";
    case KernelKind::kReshape:
    case KernelKind::kConcatenation:
      return "";
  }
  return "";
}

std::string ParamsDefinition(const OpParams& p, const std::string& name,
                             const ParamArrays& a) {
  std::string s;
  const char* type = ParamsTypeName(p.kind);
  if (*type) absl::StrAppend(&s, "static const ", type, " ", name, " = {\n");
  switch (p.kind) {
    case KernelKind::kConv2D:
    case KernelKind::kDepthwiseConv2D: {
      const mcuk_conv_params& c = p.conv;
      absl::StrAppend(&s, "  .in_h = ", c.in_h, ", .in_w = ", c.in_w,
                      ", .in_c = ", c.in_c, ", .out_h = ", c.out_h,
                      ", .out_w = ", c.out_w, ", .out_c = ", c.out_c, ",\n");
      absl::StrAppend(&s, "  .filter_h = ", c.filter_h, ", .filter_w = ",
                      c.filter_w, ", .stride_h = ", c.stride_h,
                      ", .stride_w = ", c.stride_w, ", .dilation_h = ",
                      c.dilation_h, ", .dilation_w = ", c.dilation_w, ",\n");
      absl::StrAppend(&s, "  .pad_top = ", c.pad_top, ", .pad_left = ",
                      c.pad_left, ", .depth_multiplier = ", c.depth_multiplier,
                      ", .input_zero_point = ", c.input_zero_point, ",\n");
      absl::StrAppend(&s, "  .filter = ", Ptr(a.weights), ", .bias = ",
                      Ptr(a.bias), ",\n");
      if (c.filter_layout != MCUK_FILTER_OHWI) {
        absl::StrAppend(&s, "  .filter_layout = ", c.filter_layout, ",\n");
      }
      AppendRequant(&s, c.requant, a);
      break;
    }
    case KernelKind::kFullyConnected: {
      const mcuk_fc_params& f = p.fc;
      absl::StrAppend(&s, "  .batches = ", f.batches, ", .depth = ", f.depth,
                      ", .units = ", f.units, ", .weight_zero_point = ",
                      f.weight_zero_point, ",\n  .weights = ", Ptr(a.weights),
                      ", .bias = ", Ptr(a.bias), ",\n");
      AppendRequant(&s, f.requant, a);
      break;
    }
    case KernelKind::kAdd: {
      const mcuk_add_params& q = p.add;
      absl::StrAppend(&s, "  .h = ", q.h, ", .w = ", q.w, ", .c = ", q.c,
                      ", .form = ", q.form, ", .zp_a = ", q.zp_a,
                      ", .zp_b = ", q.zp_b, ", .zp_out = ", q.zp_out,
                      ", .act_min = ", q.act_min, ", .act_max = ", q.act_max,
                      ",\n");
      absl::StrAppend(&s, "  .x_mult_a = ", q.x_mult_a, ", .x_mult_b = ",
                      q.x_mult_b, ", .x_bias = ", q.x_bias, ", .x_shift = ",
                      q.x_shift, ",\n");
      absl::StrAppend(&s, "  .mult_a = ", q.mult_a, ", .shift_a = ", q.shift_a,
                      ", .mult_b = ", q.mult_b, ", .shift_b = ", q.shift_b,
                      ", .mult_out = ", q.mult_out, ", .shift_out = ",
                      q.shift_out, ",\n");
      break;
    }
    case KernelKind::kAveragePool:
    case KernelKind::kMaxPool: {
      const mcuk_pool_params& q = p.pool;
      absl::StrAppend(&s, "  .in_h = ", q.in_h, ", .in_w = ", q.in_w,
                      ", .channels = ", q.channels, ", .out_h = ", q.out_h,
                      ", .out_w = ", q.out_w, ", .filter_h = ", q.filter_h,
                      ", .filter_w = ", q.filter_w, ",\n  .stride_h = ",
                      q.stride_h, ", .stride_w = ", q.stride_w,
                      ", .pad_top = ", q.pad_top, ", .pad_left = ", q.pad_left,
                      ", .act_min = ", q.act_min, ", .act_max = ", q.act_max,
                      ",\n");
      break;
    }
    case KernelKind::kMean: {
      const mcuk_mean_params& q = p.mean;
      absl::StrAppend(&s, "  .in_h = ", q.in_h, ", .in_w = ", q.in_w,
                      ", .channels = ", q.channels, ", .mode = ", q.mode,
                      ", .count = ", q.count, ", .zp_in = ", q.zp_in,
                      ", .zp_out = ", q.zp_out, ",\n  .scale = ",
                      CFloat(q.scale), ", .multiplier = ", q.multiplier,
                      ", .shift = ", q.shift, ",\n");
      break;
    }
    case KernelKind::kPad: {
      const mcuk_pad_params& q = p.pad;
      absl::StrAppend(&s, "  .in_h = ", q.in_h, ", .in_w = ", q.in_w,
                      ", .in_c = ", q.in_c, ", .out_h = ", q.out_h,
                      ", .out_w = ", q.out_w, ", .out_c = ", q.out_c,
                      ",\n  .pad_top = ", q.pad_top, ", .pad_left = ",
                      q.pad_left, ", .pad_channels = ", q.pad_channels,
                      ", .zero_point = ", q.zero_point, ",\n");
      break;
    }
    case KernelKind::kSoftmax: {
      const mcuk_softmax_params& q = p.softmax;
      absl::StrAppend(&s, "  .rows = ", q.rows, ", .depth = ", q.depth,
                      ", .zp_out = ", q.zp_out, ", .output_scale = ",
                      CFloat(q.output_scale), ",\n  .exp_table = ",
                      Ptr(a.exp_table), ",\n");
      break;
    }
    case KernelKind::kTranspose: {
      const mcuk_permute_params& q = p.permute;
      absl::StrAppend(&s, "  .rank = ", q.rank, ",\n  .shape = {");
      for (int d = 0; d < q.rank; ++d) absl::StrAppend(&s, q.shape[d], ", ");
      absl::StrAppend(&s, "},\n  .in_stride = {");
      for (int d = 0; d < q.rank; ++d) absl::StrAppend(&s, q.in_stride[d], ", ");
      absl::StrAppend(&s, "},\n");
      break;
    }
    case KernelKind::kConcatenation:
      for (size_t i = 0; i < p.concat.size(); ++i) {
        if (!p.concat[i].rescale) continue;
        const mcuk_rescale_params& r = p.concat[i].rescale_params;
        absl::StrAppend(&s, "static const mcuk_rescale_params ", name, "_r", i,
                        " = {.mode = ", r.mode, ", .zp_in = ", r.zp_in,
                        ", .zp_out = ", r.zp_out, ", .multiplier = ",
                        r.multiplier, ", .shift = ", r.shift,
                        ", .act_min = ", r.act_min, ", .act_max = ", r.act_max,
                        "};\n");
      }
      break;
    case KernelKind::kReshape:
      break;
  }
  if (*type) s.append("};\n");
  return s;
}

}  // namespace mcutune::codegen
