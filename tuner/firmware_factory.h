// FirmwareFactory: the build and host-verification steps of the tuning loop.
//
//   selected Plan ──Build(graph, plan, board, input, dir)──► bundle in dir
//                    (generated C, kernels, harness, Makefile, firmware.elf,
//                     report.json with the expected output hash, README.md)
//   built Plans ──Verify(graph, plans, input)──► per plan OK | mismatch
//
// The bundle directory is what GetBuild serves and what the farm runs (its
// report.json is read by device_farm::LoadArtifact). A candidate that does
// not emit, compile or link is a BuildOutcome with ok == false (data, the job
// goes on); error statuses are for the machine (no toolchain, unwritable
// directory). MakeCodegenFirmwareFactory is the real one (codegen/); tests of
// the loop use a fake.
// Thread-safety: Build/Verify may run concurrently for distinct directories.
#ifndef MCUTUNE_TUNER_FIRMWARE_FACTORY_H_
#define MCUTUNE_TUNER_FIRMWARE_FACTORY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "graph/graph.h"
#include "tuner/space/board.h"
#include "tuner/space/plan.h"

namespace mcutune::tuner {

struct BuildRequest {
  const graph::Graph* graph = nullptr;
  const space::Plan* plan = nullptr;  // with steps and buffers
  const space::BoardSpec* board = nullptr;
  // Raw int8 input embedded in the firmware: every graph input's bytes
  // concatenated in graph order (codegen::ConcatTensors).
  std::vector<int8_t> input;
  std::string input_description;  // e.g. "golden seed 7"
  // SHA-256 of the reference interpreter's outputs, concatenated in graph
  // order (what the harness hashes).
  std::string expected_output_sha256;
  std::string dir;             // absolute, created if missing
};

struct BuildOutcome {
  bool ok = false;
  std::string stage;        // "done" or the failing stage
  std::string error;        // short reason when !ok
  int64_t flash_bytes = 0;  // linked image
  int64_t ram_bytes = 0;
  std::string toolchain_version;
};

class FirmwareFactory {
 public:
  virtual ~FirmwareFactory() = default;
  virtual absl::StatusOr<BuildOutcome> Build(const BuildRequest& request) = 0;
  // Compiles the plans for the host and compares every output with the
  // reference interpreter on `inputs` (one vector per graph input). One
  // status per plan, same order: OK or why not.
  virtual absl::StatusOr<std::vector<absl::Status>> Verify(
      const graph::Graph& graph, const std::vector<const space::Plan*>& plans,
      const std::vector<std::vector<int8_t>>& inputs) = 0;
};

struct CodegenFirmwareOptions {
  // Host verification compiler parallelism and per-step timeout.
  int verify_jobs = 1;
  absl::Duration timeout = absl::Seconds(300);
  // Portable kernels instead of the DSP path (-DMCUK_PORTABLE).
  bool portable_kernels = false;
};

std::unique_ptr<FirmwareFactory> MakeCodegenFirmwareFactory(
    const CodegenFirmwareOptions& options = {});

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_FIRMWARE_FACTORY_H_
