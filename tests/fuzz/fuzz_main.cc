// The libFuzzer wrapper of one fuzz target, compiled once per target with
// MCUTUNE_FUZZ_ENTRY naming its entry function (fuzz_entries.h). A broken
// invariant (INTERNAL) aborts, so libFuzzer records the input as a crash
// like any sanitizer report.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/fuzz_entries.h"

#ifndef MCUTUNE_FUZZ_ENTRY
#error "MCUTUNE_FUZZ_ENTRY must name the entry function"
#endif

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  mcutune::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Status status = MCUTUNE_FUZZ_ENTRY(data, size);
  if (status.code() == absl::StatusCode::kInternal) {
    std::fprintf(stderr, "fuzz: %s\n", status.ToString().c_str());
    std::abort();
  }
  return 0;
}
