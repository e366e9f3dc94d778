// Architecture parsing and validation.
//
// - The JSON is parsed with nlohmann_json inside this file; every exception it
//   can throw is turned into INVALID_ARGUMENT here.
// - Layer strings are split on '_'; the first token is the kind, each further
//   token is one parameter (letter prefix + value) or a flag. Unknown or
//   repeated tokens are errors, so a typo never silently changes a network.
// - ComputeStats walks the layers with TFLite SAME shapes; ParseArchitecture
//   runs it, so a parsed Architecture is always buildable.
#include "graph/zoo/architecture.h"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace mcutune::graph::zoo {
namespace {

using nlohmann::json;

constexpr int kMaxResolution = 2048;
constexpr int kMaxChannels = 1 << 14;
constexpr int kMaxKernel = 15;
constexpr int kMaxStride = 4;
constexpr int kMaxRepeat = 64;
constexpr int kMaxLayers = 1024;
constexpr int64_t kMaxMacs = int64_t{100} << 30;

absl::Status LayerError(int index, const std::string& text,
                        const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat("layer ", index, " '", text, "': ", what));
}

bool ParseIntIn(const std::string& s, int lo, int hi, int* out) {
  return absl::SimpleAtoi(s, out) && *out >= lo && *out <= hi;
}

// Parses one layer string into `out` (repeat count in `repeat`).
absl::Status ParseLayer(int index, const std::string& text, LayerSpec* out,
                        int* repeat) {
  std::vector<std::string> tokens =
      absl::StrSplit(absl::string_view(text), '_');
  LayerSpec spec;
  spec.text = text;
  const std::string& kind = tokens[0];
  if (kind == "conv")
    spec.kind = LayerKind::kConv;
  else if (kind == "mb")
    spec.kind = LayerKind::kInvertedResidual;
  else if (kind == "ds")
    spec.kind = LayerKind::kSeparable;
  else if (kind == "res")
    spec.kind = LayerKind::kBasicResidual;
  else if (kind == "pool")
    spec.kind = LayerKind::kGlobalPool;
  else if (kind == "fc")
    spec.kind = LayerKind::kFullyConnected;
  else if (kind == "softmax")
    spec.kind = LayerKind::kSoftmax;
  else
    return LayerError(index, text,
                      absl::StrCat("unknown layer kind '", kind, "'"));

  // Which parameters each kind takes, and which are required.
  std::string allowed, required;
  switch (spec.kind) {
    case LayerKind::kConv:
      allowed = "kscnl";
      required = "kc";
      break;
    case LayerKind::kInvertedResidual:
      allowed = "ekscmn";
      required = "ekc";
      break;
    case LayerKind::kSeparable:
      allowed = "kscn";
      required = "kc";
      break;
    case LayerKind::kBasicResidual:
      allowed = "kscn";
      required = "kc";
      break;
    case LayerKind::kGlobalPool:
      allowed = "p";
      required = "p";
      break;
    case LayerKind::kFullyConnected:
      allowed = "cn";
      required = "c";
      break;
    case LayerKind::kSoftmax:
      break;
  }
  std::set<char> seen;
  *repeat = 1;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const std::string& tok = tokens[i];
    char key;
    if (tok == "lin")
      key = 'l';
    else if (tok == "avg" || tok == "mean")
      key = 'p';
    else
      key = tok.empty() ? '?' : tok[0];
    if (allowed.find(key) == std::string::npos || !seen.insert(key).second) {
      return LayerError(
          index, text,
          absl::StrCat("unexpected or repeated parameter '", tok, "'"));
    }
    const std::string value = tok.substr(1);
    bool ok = true;
    switch (key) {
      case 'k': {
        std::vector<std::string> hw =
            absl::StrSplit(absl::string_view(value), 'x');
        ok = hw.size() <= 2 && ParseIntIn(hw[0], 1, kMaxKernel, &spec.kernel_h);
        spec.kernel_w = spec.kernel_h;
        if (ok && hw.size() == 2)
          ok = ParseIntIn(hw[1], 1, kMaxKernel, &spec.kernel_w);
        break;
      }
      case 's':
        ok = ParseIntIn(value, 1, kMaxStride, &spec.stride);
        break;
      case 'c':
        ok = ParseIntIn(value, 1, kMaxChannels, &spec.channels);
        break;
      case 'm':
        ok = ParseIntIn(value, 1, kMaxChannels, &spec.mid_channels);
        break;
      case 'n':
        ok = ParseIntIn(value, 1, kMaxRepeat, repeat);
        break;
      case 'e':
        ok = absl::SimpleAtod(value, &spec.expand) && spec.expand >= 1.0 &&
             spec.expand <= 16.0;
        break;
      case 'l':
        spec.linear = true;
        break;
      case 'p':
        spec.pool = tok == "avg" ? PoolKind::kAverage : PoolKind::kMean;
        break;
    }
    if (!ok)
      return LayerError(index, text, absl::StrCat("bad value in '", tok, "'"));
  }
  for (char key : required) {
    if (!seen.count(key)) {
      const std::string name = key == 'p' ? "avg or mean" : std::string(1, key);
      return LayerError(index, text,
                        absl::StrCat("missing parameter '", name, "'"));
    }
  }
  *out = spec;
  return absl::OkStatus();
}

absl::Status CheckName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError("\"name\" must have 1..64 characters");
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-' || c == '_')) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"name\" '", name, "' may only use [a-z0-9._-]"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Architecture> FromJson(const json& j) {
  if (!j.is_object())
    return absl::InvalidArgumentError("top level must be an object");
  static const std::set<std::string> kKeys = {
      "name", "description", "input", "activation", "input_quant", "layers"};
  for (const auto& [key, value] : j.items()) {
    if (!kKeys.count(key))
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field \"", key, "\""));
  }
  Architecture arch;
  if (!j.contains("name") || !j["name"].is_string()) {
    return absl::InvalidArgumentError("\"name\" must be a string");
  }
  arch.name = j["name"].get<std::string>();
  if (auto s = CheckName(arch.name); !s.ok()) return s;
  if (j.contains("description")) {
    if (!j["description"].is_string())
      return absl::InvalidArgumentError("\"description\" must be a string");
    arch.description = j["description"].get<std::string>();
  }
  const json* input = j.contains("input") ? &j["input"] : nullptr;
  if (input == nullptr || !input->is_array() || input->size() != 3 ||
      !(*input)[0].is_number_integer() || !(*input)[1].is_number_integer() ||
      !(*input)[2].is_number_integer()) {
    return absl::InvalidArgumentError(
        "\"input\" must be [height, width, channels]");
  }
  const int64_t ih = (*input)[0].get<int64_t>(),
                iw = (*input)[1].get<int64_t>(),
                ic = (*input)[2].get<int64_t>();
  if (ih < 1 || iw < 1 || ih > kMaxResolution || iw > kMaxResolution ||
      ic < 1 || ic > 64) {
    return absl::InvalidArgumentError(
        "\"input\" is out of range (1..2048 x 1..2048 x 1..64)");
  }
  arch.height = static_cast<int>(ih);
  arch.width = static_cast<int>(iw);
  arch.channels = static_cast<int>(ic);
  if (j.contains("activation")) {
    const json& a = j["activation"];
    if (a == "relu6")
      arch.activation = Activation::kRelu6;
    else if (a == "relu")
      arch.activation = Activation::kRelu;
    else
      return absl::InvalidArgumentError(
          "\"activation\" must be \"relu6\" or \"relu\"");
  }
  if (j.contains("input_quant")) {
    const json& q = j["input_quant"];
    if (!q.is_array() || q.size() != 2 || !q[0].is_number() ||
        !q[1].is_number_integer() ||
        !(q[0].get<double>() > 1e-9 && q[0].get<double>() < 1e9) ||
        q[1].get<int64_t>() < -128 || q[1].get<int64_t>() > 127) {
      return absl::InvalidArgumentError(
          "\"input_quant\" must be [scale > 0, zero_point in -128..127]");
    }
    arch.input_scale = q[0].get<float>();
    arch.input_zero_point = q[1].get<int>();
  }
  if (!j.contains("layers") || !j["layers"].is_array() || j["layers"].empty()) {
    return absl::InvalidArgumentError(
        "\"layers\" must be a non-empty list of strings");
  }
  int index = 0;
  for (const json& l : j["layers"]) {
    if (!l.is_string())
      return absl::InvalidArgumentError(
          absl::StrCat("layer ", index, " is not a string"));
    LayerSpec spec;
    int repeat = 1;
    if (auto s = ParseLayer(index, l.get<std::string>(), &spec, &repeat);
        !s.ok())
      return s;
    for (int r = 0; r < repeat; ++r) {
      arch.layers.push_back(spec);
      spec.stride = 1;
    }
    if (arch.layers.size() > static_cast<size_t>(kMaxLayers)) {
      return absl::InvalidArgumentError(
          absl::StrCat("more than ", kMaxLayers, " layers"));
    }
    ++index;
  }
  if (absl::StatusOr<ArchitectureStats> stats = ComputeStats(arch);
      !stats.ok()) {
    return stats.status();
  }
  return arch;
}

}  // namespace

bool HasExpansion(const LayerSpec& layer, int in_channels) {
  return layer.mid_channels > 0 || layer.expand != 1.0 ||
         MiddleChannels(layer, in_channels) != in_channels;
}

int MiddleChannels(const LayerSpec& layer, int in_channels) {
  if (layer.mid_channels > 0) return layer.mid_channels;
  return static_cast<int>(std::lround(in_channels * layer.expand));
}

absl::StatusOr<ArchitectureStats> ComputeStats(const Architecture& arch) {
  ArchitectureStats st;
  int64_t h = arch.height, w = arch.width, c = arch.channels;
  bool flat = false;  // after pooling: [1, c]
  auto conv = [&](int64_t cin, int64_t cout, int kh, int kw, bool dw) {
    const int64_t per_out = dw ? kh * kw : cin * kh * kw;
    st.macs += h * w * cout * per_out;
    st.params += cout * per_out + cout;
  };
  for (size_t i = 0; i < arch.layers.size(); ++i) {
    const LayerSpec& l = arch.layers[i];
    const int idx = static_cast<int>(i);
    const bool spatial_kind =
        l.kind != LayerKind::kFullyConnected && l.kind != LayerKind::kSoftmax;
    if (flat && spatial_kind)
      return LayerError(idx, l.text,
                        "needs a spatial input but follows pooling");
    if (l.kind == LayerKind::kFullyConnected && !flat) {
      return LayerError(idx, l.text,
                        "fc needs a pooled input (add pool_avg before it)");
    }
    if (l.kind == LayerKind::kSoftmax && i + 1 != arch.layers.size()) {
      return LayerError(idx, l.text, "softmax must be the last layer");
    }
    const int64_t oh = SameOutputSize(static_cast<int>(h), l.stride);
    const int64_t ow = SameOutputSize(static_cast<int>(w), l.stride);
    switch (l.kind) {
      case LayerKind::kConv:
        h = oh;
        w = ow;
        conv(c, l.channels, l.kernel_h, l.kernel_w, false);
        c = l.channels;
        break;
      case LayerKind::kInvertedResidual: {
        const int64_t mid = MiddleChannels(l, static_cast<int>(c));
        if (mid < 1 || mid > kMaxChannels)
          return LayerError(idx, l.text, "middle width out of range");
        if (HasExpansion(l, static_cast<int>(c))) conv(c, mid, 1, 1, false);
        h = oh;
        w = ow;
        conv(mid, mid, l.kernel_h, l.kernel_w, true);
        conv(mid, l.channels, 1, 1, false);
        c = l.channels;
        break;
      }
      case LayerKind::kSeparable:
        h = oh;
        w = ow;
        conv(c, c, l.kernel_h, l.kernel_w, true);
        conv(c, l.channels, 1, 1, false);
        c = l.channels;
        break;
      case LayerKind::kBasicResidual: {
        const int64_t cin = c;
        h = oh;
        w = ow;
        conv(cin, l.channels, l.kernel_h, l.kernel_w, false);
        conv(l.channels, l.channels, l.kernel_h, l.kernel_w, false);
        if (l.stride != 1 || cin != l.channels)
          conv(cin, l.channels, 1, 1, false);
        c = l.channels;
        break;
      }
      case LayerKind::kGlobalPool:
        h = w = 1;
        flat = true;
        break;
      case LayerKind::kFullyConnected:
        st.macs += c * l.channels;
        st.params += c * l.channels + l.channels;
        c = l.channels;
        break;
      case LayerKind::kSoftmax:
        break;
    }
    if (st.macs > kMaxMacs)
      return LayerError(idx, l.text, "the network exceeds 100 G MACs");
  }
  st.output_shape = flat ? std::vector<int32_t>{1, static_cast<int32_t>(c)}
                         : std::vector<int32_t>{1, static_cast<int32_t>(h),
                                                static_cast<int32_t>(w),
                                                static_cast<int32_t>(c)};
  return st;
}

absl::StatusOr<Architecture> ParseArchitecture(std::string_view json_text) {
  json j;
  try {
    j = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("not valid JSON: ", e.what()));
  }
  try {
    return FromJson(j);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad architecture: ", e.what()));
  }
}

absl::StatusOr<Architecture> LoadArchitecture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<Architecture> arch = ParseArchitecture(text.str());
  if (!arch.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", arch.status().message()));
  }
  std::string stem = path.substr(path.find_last_of('/') + 1);
  if (stem.size() > 5 && stem.substr(stem.size() - 5) == ".json")
    stem.resize(stem.size() - 5);
  if (stem != arch->name) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": \"name\" '", arch->name,
                     "' differs from the file name '", stem, "'"));
  }
  return arch;
}

}  // namespace mcutune::graph::zoo
