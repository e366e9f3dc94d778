// make_fuzz_seeds OUT_DIR [--zoo] [--models-dir DIR]
//
// Writes the seed corpus of every fuzz target (fuzz_seeds.h) to
// OUT_DIR/<target>/, replacing what was there; scripts/fuzz.sh runs it into
// the build tree before fuzzing. --zoo adds every zoo architecture
// (synthesized, seed 1, as `mcutune zoo build NAME` does); --models-dir adds
// the .tflite files of a directory (the shared test models).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/fuzz/fuzz_entries.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  mcutune::fuzz::QuietLogs();
  std::string out_dir;
  mcutune::fuzz::SeedOptions options;
  options.source_dir = MCUTUNE_SOURCE_DIR;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--zoo") {
      options.zoo_models = true;
    } else if (arg == "--models-dir" && i + 1 < argc) {
      options.models_dir = argv[++i];
    } else if (out_dir.empty() && !arg.empty() && arg[0] != '-') {
      out_dir = arg;
    } else {
      std::fprintf(
          stderr,
          "usage: make_fuzz_seeds OUT_DIR [--zoo] [--models-dir DIR]\n");
      return 2;
    }
  }
  if (out_dir.empty()) {
    std::fprintf(stderr, "make_fuzz_seeds: missing OUT_DIR\n");
    return 2;
  }
  for (const char* target : mcutune::fuzz::kFuzzTargets) {
    absl::StatusOr<std::vector<mcutune::fuzz::Seed>> seeds =
        mcutune::fuzz::MakeSeeds(target, options);
    if (!seeds.ok()) {
      std::fprintf(stderr, "make_fuzz_seeds: %s: %s\n", target,
                   seeds.status().ToString().c_str());
      return 1;
    }
    const fs::path dir = fs::path(out_dir) / target;
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    if (ec) {
      std::fprintf(stderr, "make_fuzz_seeds: cannot create %s: %s\n",
                   dir.c_str(), ec.message().c_str());
      return 1;
    }
    size_t bytes = 0;
    for (const mcutune::fuzz::Seed& s : *seeds) {
      std::ofstream f(dir / s.name, std::ios::binary);
      f.write(s.bytes.data(), static_cast<std::streamsize>(s.bytes.size()));
      if (!f) {
        std::fprintf(stderr, "make_fuzz_seeds: cannot write %s\n",
                     (dir / s.name).c_str());
        return 1;
      }
      bytes += s.bytes.size();
    }
    std::printf("%-26s %4zu seeds, %zu bytes\n", target, seeds->size(), bytes);
  }
  return 0;
}
