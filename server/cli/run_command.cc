// `mcutune run MODEL (--input IN [--input IN2 ...] | --input-seed N)
//  --output OUT [--output ...] [--requant single|double]`: reference int8
// inference on raw bytes. --input-seed fills every input with the golden
// generator of ../shared/golden/README.md (the same inputs the TFLite oracle
// and the golden files use), input i with seed N + i.
//
// Inputs and outputs are raw int8 bytes in each tensor's own layout, one file
// per graph input / output, in the model's order. Every problem (bad flags,
// unreadable model, wrong input size) is one "error:" line on stderr and a
// non-zero exit status.
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "graph/interpreter.h"
#include "graph/tflite_reader.h"
#include "graph/zoo/prng.h"
#include "server/cli/commands.h"

namespace mcutune::cli {
namespace {

absl::StatusOr<std::vector<int8_t>> ReadRaw(const std::string& path,
                                            int64_t expected) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
  if (static_cast<int64_t>(bytes.size()) != expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " has ", bytes.size(), " bytes, the input needs ", expected));
  }
  return std::vector<int8_t>(bytes.begin(), bytes.end());
}

absl::Status WriteRaw(const std::string& path, const std::vector<int8_t>& v) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(v.data()),
            static_cast<std::streamsize>(v.size()));
  out.close();
  if (!out) return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

int RunRun(const Args& args) {
  std::string model;
  std::vector<std::string> inputs, outputs;
  graph::InterpreterOptions options;
  int64_t input_seed = -1;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--input-seed") {
      if (!has_value) return UsageError("run: --input-seed needs a value");
      const std::string& v = args[++i];
      char* end = nullptr;
      const unsigned long long seed = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v[0] == '-' || seed > 0xffffffffull) {
        return UsageError("run: --input-seed must be an integer in [0, 2^32)");
      }
      input_seed = static_cast<int64_t>(seed);
    } else if (a == "--input" || a == "--output" || a == "--requant") {
      if (!has_value) return UsageError("run: " + a + " needs a value");
      const std::string& v = args[++i];
      if (a == "--input") {
        inputs.push_back(v);
      } else if (a == "--output") {
        outputs.push_back(v);
      } else if (v == "single") {
        options.requant = graph::RequantMode::kSingleRounding;
      } else if (v == "double") {
        options.requant = graph::RequantMode::kDoubleRounding;
      } else {
        return UsageError("run: --requant must be single or double, not '" +
                          v + "'");
      }
    } else if (!a.empty() && a[0] == '-') {
      return UsageError("run: unknown option '" + a + "'");
    } else if (model.empty()) {
      model = a;
    } else {
      return UsageError("run: unexpected argument '" + a + "'");
    }
  }
  if (model.empty()) return UsageError("run: MODEL is required");
  if ((inputs.empty() == (input_seed < 0)) || outputs.empty()) {
    return UsageError(
        "run: one of --input or --input-seed, and --output, are required");
  }
  absl::StatusOr<graph::Graph> g = graph::ImportTfliteFile(model);
  if (!g.ok()) return PrintError(g.status());
  if (input_seed < 0 && inputs.size() != g->inputs.size()) {
    return UsageError(absl::StrCat("run: the model has ", g->inputs.size(),
                                   " inputs, got ", inputs.size(), " --input"));
  }
  if (outputs.size() != g->outputs.size()) {
    return UsageError(absl::StrCat("run: the model has ", g->outputs.size(),
                                   " outputs, got ", outputs.size(),
                                   " --output"));
  }
  std::vector<std::vector<int8_t>> values;
  for (size_t i = 0; input_seed >= 0 && i < g->inputs.size(); ++i) {
    graph::zoo::LcgInput lcg(static_cast<uint32_t>(input_seed + i));
    std::vector<int8_t> v(g->tensors[g->inputs[i]].bytes());
    for (int8_t& x : v) x = lcg.Next();
    values.push_back(std::move(v));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    absl::StatusOr<std::vector<int8_t>> v =
        ReadRaw(inputs[i], g->tensors[g->inputs[i]].bytes());
    if (!v.ok()) return PrintError(v.status());
    values.push_back(*std::move(v));
  }
  absl::StatusOr<std::vector<std::vector<int8_t>>> result =
      graph::RunInference(*g, values, options);
  if (!result.ok()) return PrintError(result.status());
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (absl::Status s = WriteRaw(outputs[i], (*result)[i]); !s.ok()) {
      return PrintError(s);
    }
  }
  return 0;
}

}  // namespace mcutune::cli
