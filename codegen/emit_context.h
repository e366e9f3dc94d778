// Shared state of one EmitModel call (internal to codegen/): the graph, the
// plan, the parameter structs defined so far and the C text being built.
// The schedule emitters (layerwise_emitter.cc, patch_emitter.cc,
// tinyops_emitter.cc) append the body of <prefix>_run() through it.
//
//   EmitContext ── Params(op) / DefineParams(...) ──► "static const ..." decls
//               ── BufferPtr(id), CView/View/Region ─► C expressions
//               ── Call(...) ───────────────────────► run() body
// Not thread-safe (one per EmitModel call).
#ifndef MCUTUNE_CODEGEN_EMIT_CONTEXT_H_
#define MCUTUNE_CODEGEN_EMIT_CONTEXT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/c_source.h"
#include "codegen/emitter.h"
#include "codegen/kernel_params.h"
#include "graph/graph.h"
#include "tuner/space/plan.h"

namespace mcutune::codegen {

// A window of a tensor held in some buffer (see mcu_kernels.h "views").
struct Window {
  std::string ptr;  // C expression of the element (y0, x0, channel 0)
  int y0 = 0, x0 = 0, h = 0, w = 0;
  int64_t row_stride = 0;  // elements
};

class EmitContext {
 public:
  EmitContext(const graph::Graph& graph, const space::Plan& plan,
              const EmitOptions& options);

  const graph::Graph& graph() const { return graph_; }
  const space::Plan& plan() const { return plan_; }
  const EmitOptions& options() const { return options_; }
  const std::string& prefix() const { return options_.prefix; }
  const std::string& weights_prefix() const { return weights_prefix_; }

  // The kernel parameters of graph op `op` (computed once).
  absl::StatusOr<const OpParams*> Params(int op);
  // The default arrays of `op` in the weights file.
  ParamArrays WeightArrays(int op);
  // Name of the op's parameter struct with the weights-file arrays
  // (defined on first use).
  absl::StatusOr<std::string> ParamsName(int op);
  // Defines a variant struct `name` (unique per call site) from `p`.
  std::string DefineParams(const OpParams& p, const std::string& name,
                           const ParamArrays& arrays);

  // C pointer expression ("(int8_t*)(P_sram + 64)") of a plan buffer.
  std::string BufferPtr(int buffer_id, int64_t byte_offset = 0) const;
  // A whole-tensor window of `tensor` in `buffer_id`.
  Window WholeWindow(int buffer_id, int tensor) const;
  // The plan buffer holding activation `tensor` among the step's reads and
  // writes (kActivation / kPatch), or -1.
  int TensorBuffer(const space::Step& step, int tensor) const;
  // The SRAM scratch buffer available to step `s` (-1 if none).
  int ScratchBuffer(int s) const;

  static std::string CView(const Window& w);
  static std::string View(const Window& w);
  static std::string Region(int y0, int y1, int x0, int x1);

  // Appends a line to the run() body / to the declarations.
  void Line(const std::string& text) { body_ += "  " + text + "\n"; }
  void Decl(const std::string& text) { decls_ += text; }
  std::string& body() { return body_; }
  std::string& decls() { return decls_; }
  // A name unique within this candidate's file, from `hint`.
  std::string Unique(const std::string& hint);

  int64_t kernel_calls = 0;
  int64_t copies = 0;
  // Constants image of a tinyops plan: bytes [image_base, image_base +
  // size) of external flash, or of external RAM (copied there by init()).
  std::vector<int8_t> const_image;
  int64_t const_image_base = 0;
  bool const_image_in_ram = false;
  bool uses_dma = false;

 private:
  const graph::Graph& graph_;
  const space::Plan& plan_;
  const EmitOptions& options_;
  std::string weights_prefix_;
  std::map<int, std::unique_ptr<OpParams>> params_;
  std::map<int, std::string> params_names_;
  std::map<std::string, int> unique_;
  std::string body_, decls_;
};

// One kernel invocation: the op's parameter struct, input windows (one per
// activation input; non-spatial kernels use only .ptr), the output window,
// the region (full-tensor coordinates) and the scratch pointer with the
// bytes the plan gives it.
struct CallSpec {
  int op = -1;
  std::string params;  // struct name
  std::vector<Window> inputs;
  Window output;
  int y0 = 0, y1 = 0, x0 = 0, x1 = 0;
  std::string scratch = "NULL";
  int64_t scratch_bytes = 0;
  bool in_place = false;  // depthwise writing over its input
  std::string context;    // for error messages ("step 12")
  // C expressions (pointers) replacing the literal views / region in the
  // text, e.g. "&model_s3_in0[p]" of a table-driven loop; empty = literal.
  // The windows above are still what the checks use.
  std::vector<std::string> input_refs;
  std::string output_ref, region_ref;
};
// The C statement(s) of one call: FAILED_PRECONDITION when the scratch is
// too small for the kernel (a planner bug), UNIMPLEMENTED for kinds without
// a kernel. is_call: counts as a kernel call (an aliased RESHAPE does not).
struct KernelCallText {
  std::vector<std::string> lines;
  bool is_call = true;
};
absl::StatusOr<KernelCallText> MakeKernelCallText(const OpParams& p,
                                                  const CallSpec& call);
// Appends MakeKernelCallText's lines to run() and counts the call.
absl::Status EmitKernelCall(EmitContext& ctx, const OpParams& p,
                            const CallSpec& call);

// Whole-tensor kernel call of plan step `s` (layer-wise plans and the
// steps outside a patch stage).
absl::Status EmitWholeStep(EmitContext& ctx, int s);

// The complete run() body of each strategy family.
absl::Status EmitLayerwiseSchedule(EmitContext& ctx);
absl::Status EmitPatchSchedule(EmitContext& ctx);
absl::Status EmitTinyOpsSchedule(EmitContext& ctx);

}  // namespace mcutune::codegen

#endif  // MCUTUNE_CODEGEN_EMIT_CONTEXT_H_
