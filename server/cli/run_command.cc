// `mcutune run MODEL --input IN [--input IN2 ...] --output OUT [--output ...]
//  [--requant single|double]`: reference int8 inference on raw bytes.
//
// Inputs and outputs are raw int8 bytes in each tensor's own layout, one file
// per graph input / output, in the model's order. Every problem (bad flags,
// unreadable model, wrong input size) is one "error:" line on stderr and a
// non-zero exit status.
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "graph/interpreter.h"
#include "graph/tflite_reader.h"
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
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--input" || a == "--output" || a == "--requant") {
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
  if (inputs.empty() || outputs.empty()) {
    return UsageError("run: --input and --output are required");
  }
  absl::StatusOr<graph::Graph> g = graph::ImportTfliteFile(model);
  if (!g.ok()) return PrintError(g.status());
  if (inputs.size() != g->inputs.size()) {
    return UsageError(absl::StrCat("run: the model has ", g->inputs.size(),
                                   " inputs, got ", inputs.size(), " --input"));
  }
  if (outputs.size() != g->outputs.size()) {
    return UsageError(absl::StrCat("run: the model has ", g->outputs.size(),
                                   " outputs, got ", outputs.size(),
                                   " --output"));
  }
  std::vector<std::vector<int8_t>> values;
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
