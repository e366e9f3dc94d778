// Replays fuzzing inputs through the fuzz targets' entry functions
// (fuzz_entries.h) in the normal build, so a fixed bug stays fixed without
// clang or libFuzzer:
// - every file of tests/fuzz/regressions/<target>/ (inputs that crashed a
//   fuzzer once) must end with OK or an ordinary error: a crash kills the
//   test, a broken invariant is INTERNAL and fails it;
// - the generated seeds (fuzz_seeds.h) must get the answer they are made
//   for: valid inputs accepted, bad ones rejected;
// - deterministic mutations of the seeds (truncations, byte flips) and
//   random bytes must not break anything either.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_entries.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace mcutune::fuzz {
namespace {

namespace fs = std::filesystem;

using Entry = absl::Status (*)(const uint8_t*, size_t);

Entry EntryOf(const std::string& target) {
  if (target == "fuzz_tflite_reader") return FuzzTfliteReader;
  if (target == "fuzz_request_validators") return FuzzRequestValidators;
  if (target == "fuzz_firmware_output") return FuzzFirmwareOutput;
  return nullptr;
}

absl::Status Run(Entry entry, const std::string& bytes) {
  return entry(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

bool BrokeInvariant(const absl::Status& s) {
  return s.code() == absl::StatusCode::kInternal;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

std::vector<Seed> SeedsOf(const std::string& target) {
  SeedOptions options;
  options.source_dir = MCUTUNE_SOURCE_DIR;
  absl::StatusOr<std::vector<Seed>> seeds = MakeSeeds(target, options);
  INFO(seeds.status().ToString());
  REQUIRE(seeds.ok());
  REQUIRE_FALSE(seeds->empty());
  return *seeds;
}

TEST_CASE("fuzz regressions: saved inputs end in OK or an ordinary error") {
  QuietLogs();
  const fs::path root = fs::path(MCUTUNE_SOURCE_DIR) / "tests/fuzz/regressions";
  REQUIRE(fs::is_directory(root));
  int replayed = 0;
  for (const char* target : kFuzzTargets) {
    const Entry entry = EntryOf(target);
    REQUIRE(entry != nullptr);
    const fs::path dir = root / target;
    if (!fs::is_directory(dir)) continue;
    std::vector<fs::path> files;
    for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      const absl::Status s = Run(entry, ReadFile(f));
      INFO(target << "/" << f.filename().string() << ": " << s.ToString());
      CHECK_FALSE(BrokeInvariant(s));
      ++replayed;
    }
  }
  // Directories of other targets than the three known ones are mistakes.
  for (const fs::directory_entry& e : fs::directory_iterator(root)) {
    if (!e.is_directory()) continue;
    INFO(e.path().filename().string());
    CHECK(EntryOf(e.path().filename().string()) != nullptr);
  }
  WARN("replayed " << replayed << " saved fuzzing inputs");
}

TEST_CASE("fuzz seeds: valid seeds accepted, bad seeds rejected") {
  QuietLogs();
  for (const char* target : kFuzzTargets) {
    const Entry entry = EntryOf(target);
    int ok = 0;
    for (const Seed& seed : SeedsOf(target)) {
      const absl::Status s = Run(entry, seed.bytes);
      INFO(target << "/" << seed.name << ": " << s.ToString());
      CHECK_FALSE(BrokeInvariant(s));
      if (seed.expect == Expect::kOk) CHECK(s.ok());
      if (seed.expect == Expect::kError) CHECK_FALSE(s.ok());
      ok += s.ok() ? 1 : 0;
    }
    INFO(target);
    CHECK(ok > 0);
  }
}

// The zoo seeds as scripts/fuzz.sh writes them. Under ASan (make
// test-sanitize) this also covers the synthesizer's global pool, which read
// a tensor shape through a reference the tensor list had reallocated.
TEST_CASE("fuzz seeds: every zoo model imports and passes the checks") {
  QuietLogs();
  SeedOptions options;
  options.source_dir = MCUTUNE_SOURCE_DIR;
  options.zoo_models = true;
  absl::StatusOr<std::vector<Seed>> seeds =
      MakeSeeds("fuzz_tflite_reader", options);
  INFO(seeds.status().ToString());
  REQUIRE(seeds.ok());
  int zoo = 0;
  for (const Seed& seed : *seeds) {
    if (seed.name.rfind("zoo_", 0) != 0) continue;
    ++zoo;
    const absl::Status s = FuzzTfliteReader(
        reinterpret_cast<const uint8_t*>(seed.bytes.data()), seed.bytes.size());
    INFO(seed.name << ": " << s.ToString());
    CHECK(s.ok());
  }
  CHECK(zoo >= 14);
}

TEST_CASE("fuzz seeds: truncations, byte flips and random bytes") {
  QuietLogs();
  std::mt19937 rng(20240531);
  for (const char* target : kFuzzTargets) {
    const Entry entry = EntryOf(target);
    std::vector<std::string> inputs = {"", std::string(1, '\0')};
    for (int mode = 0; mode < 8; ++mode) {
      inputs.push_back(std::string(1, static_cast<char>(mode)));
      inputs.push_back(std::string(1, static_cast<char>(mode)) + "{}");
      inputs.push_back(std::string(1, static_cast<char>(mode)) +
                       std::string(200, '['));
    }
    for (const Seed& seed : SeedsOf(target)) {
      const std::string& b = seed.bytes;
      if (b.empty()) continue;
      for (size_t cut : {b.size() / 3, b.size() - 1}) {
        inputs.push_back(b.substr(0, cut));
      }
      for (int i = 0; i < 8; ++i) {
        std::string m = b;
        const size_t at = 1 + rng() % std::max<size_t>(1, m.size() - 1);
        if (at < m.size())
          m[at] = static_cast<char>(m[at] ^ (1u << (rng() % 8)));
        inputs.push_back(std::move(m));
      }
    }
    for (int i = 0; i < 64; ++i) {
      std::string r(rng() % 300, '\0');
      for (char& c : r) c = static_cast<char>(rng() & 0xff);
      inputs.push_back(std::move(r));
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      const absl::Status s = Run(entry, inputs[i]);
      INFO(target << " input " << i << " (" << inputs[i].size()
                  << " bytes): " << s.ToString());
      CHECK_FALSE(BrokeInvariant(s));
    }
  }
}

}  // namespace
}  // namespace mcutune::fuzz
