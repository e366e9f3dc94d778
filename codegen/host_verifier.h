// Host verification: generated code, compiled for this machine, must
// reproduce the reference interpreter byte for byte.
//
//   Graph + [Plan] + input sets
//     │ EmitModel per plan (shared weights file), a driver main()
//     │ host C compiler (base::RunSubprocess, argv vectors, own temp dir)
//     ▼
//   one executable; each candidate runs in its own process on every input
//   set; ALL graph outputs are compared with graph::Interpreter in the same
//   RequantMode
//     ▼
//   HostVerifyResult {per candidate: ok | the first differing byte | the
//                     emit / compile / run error}
//
// Many candidates of one graph are built into a single executable (the
// weights are compiled once), which keeps property tests over hundreds of
// candidates fast. A verdict that is not ok is a bug in the emitter, the
// planner or the kernels - the message says which stage failed.
// Thread-safe: concurrent calls need distinct work dirs (the default is a
// fresh temporary directory per call).
#ifndef MCUTUNE_CODEGEN_HOST_VERIFIER_H_
#define MCUTUNE_CODEGEN_HOST_VERIFIER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/subprocess.h"
#include "codegen/firmware_builder.h"
#include "graph/graph.h"
#include "graph/kernels/quantization.h"
#include "tuner/space/plan.h"

namespace mcutune::codegen {

struct HostVerifyOptions {
  graph::RequantMode requant = graph::RequantMode::kSingleRounding;
  // Empty: a fresh directory under the system temp dir, removed afterwards
  // unless keep_work_dir.
  std::string work_dir;
  bool keep_work_dir = false;
  std::string compiler = "gcc";
  // Generated model files (large, straight-line) / kernel library.
  std::string model_opt_level = "O1";
  std::string kernel_opt_level = "O2";
  // Extra compiler flags for every file, e.g. {"-DMCUK_PORTABLE"}.
  std::vector<std::string> extra_flags;
  // Parallel compiler / candidate processes.
  int jobs = 2;
  // Per compiler invocation and per candidate run.
  absl::Duration timeout = absl::Seconds(300);
  // Kernel limits of each compiler and candidate process
  // (codegen::DefaultToolLimits(): 4 GiB address space, 600 CPU s, ...).
  base::SubprocessLimits limits = DefaultToolLimits();
};

struct CandidateVerdict {
  std::string candidate_id;
  // OK when every output of every input set matched; otherwise the stage
  // that failed (emit / compile / run) or the mismatch, with op context.
  absl::Status status;
  int64_t mismatched_bytes = 0;
  int64_t kernel_calls = 0;  // of the emitted code, one inference
  int64_t sram_bytes = 0;
};

struct HostVerifyResult {
  std::vector<CandidateVerdict> verdicts;  // one per plan, same order
  int passed = 0;
  double seconds = 0;
  std::string log;  // compiler / run output of failures
  bool all_ok() const { return passed == static_cast<int>(verdicts.size()); }
};

// `inputs`: input sets, each one raw int8 vector per graph input. Errors
// (not verdicts): INVALID_ARGUMENT for bad inputs, NOT_FOUND without a host
// compiler, INTERNAL when the kernel library or the driver fails to build.
absl::StatusOr<HostVerifyResult> VerifyOnHost(
    const graph::Graph& graph, const std::vector<space::Plan>& plans,
    const std::vector<std::vector<std::vector<int8_t>>>& inputs,
    const HostVerifyOptions& options = {});

// The golden-generator input of ../shared/golden/README.md for every graph
// input, input i with its own run of seed + i (mod 2^32):
// s = seed + i; per element s = s * 1103515245 + 12345; x = ((s >> 16) &
// 255) - 128. The firmware harness fills its inputs the same way
// (codegen/firmware/model_api.h), as does `mcutune run --input-seed`.
std::vector<std::vector<int8_t>> GoldenInputs(const graph::Graph& graph,
                                              uint32_t seed);

// The firmware's byte conventions for several inputs / outputs: the
// embedded input (MCUTUNE_INPUT_ARRAY) is every input's raw bytes
// concatenated in graph order, and output_sha256 hashes every output
// concatenated in graph order. ConcatTensors joins per-tensor bytes that way
// (for one tensor: that tensor's bytes).
std::vector<int8_t> ConcatTensors(const std::vector<std::vector<int8_t>>& parts);

// The inverse for the graph's inputs: INVALID_ARGUMENT, naming every input's
// size, unless `bytes` holds exactly the sum of the input sizes.
absl::StatusOr<std::vector<std::vector<int8_t>>> SplitInputs(
    const graph::Graph& graph, const std::vector<int8_t>& bytes);

}  // namespace mcutune::codegen

#endif  // MCUTUNE_CODEGEN_HOST_VERIFIER_H_
