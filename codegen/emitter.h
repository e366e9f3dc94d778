// The emitter: a planned candidate becomes self-contained C99, with no
// interpreter, that computes exactly what the reference interpreter does.
//
//   Graph + Plan (tuner/space) + EmitOptions
//     │ EmitModel
//     ▼
//   <weights>_weights.{c,h}  filters, folded biases, requantization arrays
//                            as const arrays (shared by every candidate of
//                            one graph and requantization mode)
//   <prefix>_model.{c,h}     one static SRAM array of exactly
//                            plan.memory.peak_sram_bytes laid out as the plan
//                            says ([arena | stream | overlay | scratch]), the
//                            external RAM / flash images of tinyops plans,
//                            parameter structs, and <prefix>_run(): the
//                            plan's steps as straight-line kernel calls with
//                            constant views and regions (codegen/kernels);
//                            a patch stage as one loop over the patches
//                            with constant tables of views, regions and
//                            stream copies (patch_emitter.cc)
//   model_api.c              (optional) the firmware harness's C API
//                            (codegen/firmware/model_api.h) + embedded input
//
// Strategies: layer-wise (the plan's execution order, in-place depthwise
// where the plan aliases), patch / stream-1D / stream-2D / hybrid (per patch
// windows, column and line stream buffers, border padding emulated by the
// kernels, fused PADs), tinyops (constants in an external-flash image,
// activations in external RAM, H-partitioned kernel calls on ping-pong
// buffers fed through mcuk_dma_copy / mcuk_dma_wait, kernels/dma.h).
//
// Generated symbols: <prefix>_init/_run/_input(i)/_output(i) and the size
// constants of <prefix>_model.h. External RAM is a static array unless the
// build defines MCUTUNE_EXT_RAM_ADDR (a board's SDRAM / QEMU PSRAM address).
// On the target an external-flash image is in section .mcutune_ext_flash
// (linker_script.h places it).
//
// Errors: INVALID_ARGUMENT (options, a plan that does not belong to the
// graph), UNIMPLEMENTED (an operator form the kernel library lacks),
// FAILED_PRECONDITION naming the step when the plan gives the kernels less
// memory than they need or a schedule the stream buffers cannot serve: a
// planner bug, never a result. Thread-safe (pure function).
#ifndef MCUTUNE_CODEGEN_EMITTER_H_
#define MCUTUNE_CODEGEN_EMITTER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/kernels/quantization.h"
#include "tuner/space/plan.h"

namespace mcutune::codegen {

struct EmitOptions {
  graph::RequantMode requant = graph::RequantMode::kSingleRounding;
  // C identifier prefix of this candidate's symbols and files.
  std::string prefix = "model";
  // Prefix of the weights file's symbols; empty = "<prefix>_wt". Candidates
  // of one graph (and requant mode) built into one program share it.
  std::string weights_prefix;
  // Emit the weights files (off for the second and later candidates that
  // share a weights prefix).
  bool emit_weights = true;
  // Emit model_api.c: mcutune_model_* of codegen/firmware/model_api.h
  // (version 2) for every graph input and output.
  bool emit_model_api = true;
  // Raw int8 input embedded in model_api.c as mcutune_input_data[] (build
  // with MCUTUNE_INPUT_ARRAY=1): every graph input in its tensor layout,
  // concatenated in graph order (ConcatTensors in host_verifier.h).
  std::optional<std::vector<int8_t>> input;
};

struct EmittedFile {
  std::string name;  // file name, no directory
  std::string text;
};

struct EmittedModel {
  std::vector<EmittedFile> files;
  std::string prefix, weights_prefix;
  int64_t sram_bytes = 0;       // the static SRAM array
  int64_t ext_ram_bytes = 0;    // external RAM image (tinyops)
  int64_t ext_flash_bytes = 0;  // external flash image (tinyops)
  // Where in external RAM a tinyops plan keeps its constants (init() copies
  // them there unless the build preloads the image, MCUTUNE_EXT_RAM_IMAGE:
  // section .mcutune_ext_ram_image linked at that address); -1 if none.
  int64_t ext_ram_image_offset = -1;
  std::vector<int64_t> input_bytes, output_bytes;  // per graph input/output
  int64_t kernel_calls = 0;     // kernel calls emitted (one inference)
  int64_t copies = 0;           // DMA / stream-buffer copies emitted
  // Names of the .c files (sources to compile), in `files` order.
  std::vector<std::string> c_files() const;
};

absl::StatusOr<EmittedModel> EmitModel(const graph::Graph& graph,
                                       const space::Plan& plan,
                                       const EmitOptions& options);

// Writes every file of `model` into `dir` (created if missing).
// INTERNAL / PERMISSION_DENIED on I/O failures.
absl::Status WriteEmittedModel(const EmittedModel& model,
                               const std::string& dir);

}  // namespace mcutune::codegen

#endif  // MCUTUNE_CODEGEN_EMITTER_H_
