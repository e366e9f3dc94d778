// Layer-wise schedules: every plan step is one whole-tensor kernel call.
// - Inputs and outputs are the plan buffers of the step's tensors (the
//   planner's execution order is the step order).
// - A depthwise convolution whose output buffer shares its input's address
//   (the plan aliases it) runs the in-place kernel with the step's scratch
//   buffer as the one-channel temporary.
// - RESHAPE is free when aliased, a memmove otherwise.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "codegen/emit_context.h"

namespace mcutune::codegen {

absl::Status EmitWholeStep(EmitContext& ctx, int s) {
  const space::Plan& plan = ctx.plan();
  const graph::Graph& g = ctx.graph();
  const space::Step& step = plan.steps[s];
  if (step.kind != space::StepKind::kKernel || step.op < 0 ||
      step.op >= static_cast<int>(g.ops.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("step ", s, " is not a kernel step of a graph op"));
  }
  const graph::Operator& o = g.ops[step.op];
  absl::StatusOr<const OpParams*> p = ctx.Params(step.op);
  if (!p.ok()) return p.status();
  absl::StatusOr<std::string> name = ctx.ParamsName(step.op);
  if (!name.ok()) return name.status();
  CallSpec call;
  call.op = step.op;
  call.params = *name;
  call.context = absl::StrCat("step ", s);
  int in_buffer = -1;
  for (int t : o.inputs) {
    if (t < 0 || g.tensors[t].is_constant()) continue;
    const int id = ctx.TensorBuffer(step, t);
    if (id < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          call.context, ": no buffer for input tensor ", t, " of op ",
          step.op));
    }
    if (in_buffer < 0) in_buffer = id;
    call.inputs.push_back(ctx.WholeWindow(id, t));
  }
  const int out_t = o.outputs[0];
  const int out_id = ctx.TensorBuffer(step, out_t);
  if (out_id < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(call.context, ": no buffer for output tensor ", out_t));
  }
  call.output = ctx.WholeWindow(out_id, out_t);
  const Dims od = ActivationDims(g.tensors[out_t]);
  call.y1 = od.h;
  call.x1 = od.w;
  const int scratch = ctx.ScratchBuffer(s);
  if (scratch >= 0) {
    call.scratch = ctx.BufferPtr(scratch);
    call.scratch_bytes = plan.buffers[scratch].bytes;
  }
  if ((*p)->kind == KernelKind::kDepthwiseConv2D && in_buffer >= 0) {
    const space::Buffer& ib = plan.buffers[in_buffer];
    const space::Buffer& ob = plan.buffers[out_id];
    if (ib.memory == ob.memory &&
        ob.offset < ib.offset + ib.bytes && ib.offset < ob.offset + ob.bytes) {
      if (!SupportsInplaceDepthwise(**p) || ob.offset != ib.offset) {
        return absl::FailedPreconditionError(absl::StrCat(
            call.context, ": depthwise output overlaps its input but cannot "
                          "run in place"));
      }
      call.in_place = true;
      // The in-place kernel copies its whole input window channel by
      // channel: give it only the rows the output reads (a padded input of
      // a strided layer has rows no output touches).
      const mcuk_conv_params& cp = (*p)->conv;
      const int lo = std::max(0, -cp.pad_top);
      const int hi = std::min(cp.in_h, (cp.out_h - 1) * cp.stride_h -
                                           cp.pad_top +
                                           (cp.filter_h - 1) * cp.dilation_h +
                                           1);
      Window& w = call.inputs[0];
      w.ptr = ctx.BufferPtr(in_buffer, lo * w.row_stride);
      w.y0 = lo;
      w.h = hi - lo;
    }
  }
  ctx.Line(absl::StrCat("/* step ", s, ": op ", step.op, " ",
                        graph::OpTypeName(o.type), " */"));
  return EmitKernelCall(ctx, **p, call);
}

absl::Status EmitLayerwiseSchedule(EmitContext& ctx) {
  for (int s = 0; s < static_cast<int>(ctx.plan().steps.size()); ++s) {
    if (absl::Status st = EmitWholeStep(ctx, s); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace mcutune::codegen
