// Schedule simulator: executes a Plan step by step on the reference
// interpreter's arithmetic while keeping only the data the plan says is
// retained, and compares the result with plain layer-wise execution.
//
// Until code generation exists this is the proof that a patch / stream /
// hybrid plan is right: its regions, its buffer sizes and its MAC-free
// bookkeeping. Codegen tests can reuse it as a second opinion.
//
//   Graph + Plan + inputs ──SimulateSchedule──► SimulationReport
//                                            or FAILED_PRECONDITION naming
//                                               the step, tensor and pixel
//
// Model of storage (independent of the planner's geometry code):
// - whole tensors (no kPatch buffer) keep every pixel once written;
// - a tensor with kPatch buffers keeps, while one patch runs, the pixels
//   written in that patch; its bounding box together with the pixels the
//   patch reads must fit the tensor's per-patch buffer;
// - at the end of each patch its stream buffers are refilled from what is
//   still available, with the natural streaming policy: the column buffer
//   ("<tensor>/col") keeps, over the rows the patch buffer held (pixels read
//   or written by the patch), the columns just left of the right-most such
//   column so far in this row of patches (raster
//   order, Plan::candidate.n_patch patches per row), as many as fit its bytes
//   at that height; the line buffer ("<tensor>/line") is a ring of
//   bytes / (width x channels) rows per column over the full width that
//   takes the bottom rows of that region, a newer row never replaced by
//   an older one;
// - every other pixel is gone. A step whose input window needs a pixel that
//   is neither retained nor outside the input image (padding, read as the
//   tensor's zero point) fails the simulation.
// Each step runs the operator's real kernel (graph/kernels) as a VALID
// operator on the window, so results are bit-exact with the interpreter
// whenever the schedule is right. At the end every tensor written by a
// stage step that is kept whole (the stage outputs) and every graph output
// are compared byte for byte with Interpreter::Run.
//
// Steps with patch < 0 run whole operators. A PAD without a step whose
// output feeds a convolution step is treated as fused (bypass padding).
// Thread-safe (no shared state).
#ifndef MCUTUNE_TUNER_SPACE_SCHEDULE_SIMULATOR_H_
#define MCUTUNE_TUNER_SPACE_SCHEDULE_SIMULATOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/interpreter.h"
#include "graph/kernels/quantization.h"
#include "tuner/space/plan.h"

namespace mcutune::space {

struct SimulationReport {
  int64_t patch_steps = 0;         // steps run on a region
  int64_t whole_steps = 0;         // steps run on whole tensors
  int64_t pixels_computed = 0;     // output pixels of patch steps
  int64_t pixels_from_stream = 0;  // input pixels served by stream buffers
  int tensors_compared = 0;        // stage outputs + graph outputs checked
};

// FAILED_PRECONDITION when the plan's schedule needs data it does not keep
// or a patch overflows its buffer (the message names step, op, tensor and
// pixel); INTERNAL when a compared tensor differs from the interpreter's;
// INVALID_ARGUMENT for a malformed plan or inputs.
// `reference`: optional, an Interpreter of `graph` that has already run
// `inputs` (saves the reference run when simulating many plans of one
// graph); its RequantMode is used. Otherwise one is created with `mode`.
absl::StatusOr<SimulationReport> SimulateSchedule(
    const graph::Graph& graph, const Plan& plan,
    const std::vector<std::vector<int8_t>>& inputs,
    graph::RequantMode mode = graph::RequantMode::kSingleRounding,
    const graph::Interpreter* reference = nullptr);

}  // namespace mcutune::space

#endif  // MCUTUNE_TUNER_SPACE_SCHEDULE_SIMULATOR_H_
