// `mcutune zoo list [--dir DIR]` and
// `mcutune zoo build NAME -o OUT.tflite [--seed N] [--dir DIR]`: the
// architectures in configs/models (graph/zoo/zoo.h) and their synthesized
// int8 models (graph/zoo/synthesizer.h). Errors go to stderr as one "error:"
// line.
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/tflite_writer.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "server/cli/commands.h"

namespace mcutune::cli {
namespace {

namespace zoo = ::mcutune::graph::zoo;

constexpr char kZooUsage[] =
    "usage: mcutune zoo list [--dir DIR]\n"
    "       mcutune zoo build NAME -o OUT.tflite [--seed N] [--dir DIR]\n"
    "  list: the architectures in configs/models (name, input, MACs, params)\n"
    "  build: synthesize an int8 .tflite with deterministic weights (seed 1\n"
    "         by default) and activation scales calibrated on LCG inputs\n";

// "12,790,096"
std::string WithCommas(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

int List(const std::string& dir) {
  absl::StatusOr<std::vector<zoo::ZooEntry>> entries = zoo::ListZoo(dir);
  if (!entries.ok()) return PrintError(entries.status());
  std::printf("%-24s %-12s %14s %12s\n", "name", "input", "macs", "params");
  for (const zoo::ZooEntry& e : *entries) {
    const std::string input =
        absl::StrCat(e.arch.height, "x", e.arch.width, "x", e.arch.channels);
    std::printf("%-24s %-12s %14s %12s\n", e.arch.name.c_str(), input.c_str(),
                WithCommas(e.stats.macs).c_str(),
                WithCommas(e.stats.params).c_str());
  }
  return 0;
}

int Build(const std::string& name, const std::string& out, uint32_t seed,
          const std::string& dir) {
  absl::StatusOr<zoo::ZooEntry> entry = zoo::FindInZoo(name, dir);
  if (!entry.ok()) return PrintError(entry.status());
  absl::StatusOr<graph::Graph> g = zoo::Synthesize(entry->arch, seed);
  if (!g.ok()) return PrintError(g.status());
  if (absl::Status s = graph::WriteTfliteFile(*g, out); !s.ok()) {
    return PrintError(s);
  }
  std::printf("wrote %s: %s, seed %u, %s MACs, %s params\n", out.c_str(),
              name.c_str(), seed, WithCommas(entry->stats.macs).c_str(),
              WithCommas(entry->stats.params).c_str());
  return 0;
}

}  // namespace

int RunZoo(const Args& args) {
  if (args.empty()) return UsageError("zoo: expected 'list' or 'build'");
  const std::string& sub = args[0];
  if (sub == "-h" || sub == "--help") {
    std::fputs(kZooUsage, stdout);
    return 0;
  }
  if (sub != "list" && sub != "build") {
    return UsageError("zoo: unknown subcommand '" + sub +
                      "' (expected list or build)");
  }
  std::string dir = zoo::DefaultModelsDir();
  std::string name, out;
  uint32_t seed = 1;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "-h" || a == "--help") {
      std::fputs(kZooUsage, stdout);
      return 0;
    } else if (a == "--dir") {
      if (!has_value) return UsageError("zoo: --dir needs a directory");
      dir = args[++i];
    } else if (sub == "build" && (a == "-o" || a == "--output")) {
      if (!has_value)
        return UsageError("zoo build: " + a + " needs a file name");
      out = args[++i];
    } else if (sub == "build" && a == "--seed") {
      if (!has_value || !absl::SimpleAtoi(args[i + 1], &seed)) {
        return UsageError(
            "zoo build: --seed needs an integer in 0..4294967295");
      }
      ++i;
    } else if (a.size() > 1 && a[0] == '-') {
      return UsageError("zoo " + sub + ": unknown option '" + a + "'");
    } else if (sub == "build" && name.empty()) {
      name = a;
    } else {
      return UsageError("zoo " + sub + ": unexpected argument '" + a + "'");
    }
  }
  if (sub == "list") return List(dir);
  if (name.empty())
    return UsageError("zoo build: missing NAME (see mcutune zoo list)");
  if (out.empty()) return UsageError("zoo build: missing -o OUT.tflite");
  return Build(name, out, seed, dir);
}

}  // namespace mcutune::cli
