// EmitKernelCall: one mcuk_* call as C text.
// - Spatial kernels (conv, depthwise, add, pooling, pad) get const views of
//   their inputs, a writable view of the output and the region.
// - The others work on dense whole tensors (pointers only).
// - Scratch needs are checked against what the plan reserved: the kernel's
//   own figure (mcuk_conv2d_scratch_bytes, the in-place depthwise channel
//   temporary = input window area) must fit.
// - Every call sits in its own C block (stack slots of its views reused).
#include "absl/strings/str_cat.h"
#include "codegen/emit_context.h"

namespace mcutune::codegen {
namespace {

absl::Status ScratchTooSmall(const CallSpec& c, int64_t need) {
  return absl::FailedPreconditionError(absl::StrCat(
      c.context, " (op ", c.op, "): the kernel needs ", need,
      " B of scratch, the plan reserves ", c.scratch_bytes,
      " B (planner scratch estimate too small)"));
}

// Each call in its own block: the compound-literal views then die at the
// closing brace and the compiler reuses their stack slots (one function
// with thousands of calls would otherwise need a stack slot per literal).
void Scoped(EmitContext& ctx, const std::string& call) {
  ctx.Line("{ " + call + " }");
}

}  // namespace

absl::Status EmitKernelCall(EmitContext& ctx, const OpParams& p,
                            const CallSpec& c) {
  const std::string& k = c.params;
  const std::string region = EmitContext::Region(c.y0, c.y1, c.x0, c.x1);
  auto in = [&](size_t i) { return EmitContext::CView(c.inputs.at(i)); };
  const std::string out = EmitContext::View(c.output);
  ++ctx.kernel_calls;
  switch (p.kind) {
    case KernelKind::kConv2D: {
      const int64_t need = mcuk_conv2d_scratch_bytes(&p.conv);
      if (need > c.scratch_bytes) return ScratchTooSmall(c, need);
      Scoped(ctx, absl::StrCat("mcuk_conv2d(&", k, ", ", in(0), ", ", out, ", ",
                            region, ", ", need > 0 ? c.scratch : "NULL",
                            ");"));
      return absl::OkStatus();
    }
    case KernelKind::kDepthwiseConv2D:
      if (c.in_place) {
        const int64_t need =
            InplaceDepthwiseTempBytes(c.inputs[0].h, c.inputs[0].w);
        if (need > c.scratch_bytes) return ScratchTooSmall(c, need);
        Scoped(ctx, absl::StrCat("mcuk_depthwise_conv2d_inplace(&", k, ", ",
                              in(0), ", ", out, ", ", region, ", ", c.scratch,
                              ");"));
      } else {
        Scoped(ctx, absl::StrCat("mcuk_depthwise_conv2d(&", k, ", ", in(0), ", ",
                              out, ", ", region, ");"));
      }
      return absl::OkStatus();
    case KernelKind::kAdd:
      Scoped(ctx, absl::StrCat("mcuk_add(&", k, ", ", in(0), ", ", in(1), ", ",
                            out, ", ", region, ");"));
      return absl::OkStatus();
    case KernelKind::kAveragePool:
    case KernelKind::kMaxPool:
      Scoped(ctx, absl::StrCat(p.kind == KernelKind::kAveragePool
                                ? "mcuk_avg_pool(&"
                                : "mcuk_max_pool(&",
                            k, ", ", in(0), ", ", out, ", ", region, ");"));
      return absl::OkStatus();
    case KernelKind::kPad:
      Scoped(ctx, absl::StrCat("mcuk_pad(&", k, ", ", in(0), ", ", out, ", ",
                            region, ");"));
      return absl::OkStatus();
    case KernelKind::kMean:
      Scoped(ctx, absl::StrCat("mcuk_mean_hw(&", k, ", ", in(0), ", ",
                            c.output.ptr, ");"));
      return absl::OkStatus();
    case KernelKind::kFullyConnected:
      Scoped(ctx, absl::StrCat("mcuk_fully_connected(&", k, ", ",
                            c.inputs[0].ptr, ", ", c.output.ptr, ");"));
      return absl::OkStatus();
    case KernelKind::kSoftmax:
      Scoped(ctx, absl::StrCat("mcuk_softmax(&", k, ", ", c.inputs[0].ptr, ", ",
                            c.output.ptr, ");"));
      return absl::OkStatus();
    case KernelKind::kTranspose:
      Scoped(ctx, absl::StrCat("mcuk_permute(&", k, ", ", c.inputs[0].ptr, ", ",
                            c.output.ptr, ");"));
      return absl::OkStatus();
    case KernelKind::kReshape:
      if (c.inputs[0].ptr == c.output.ptr) {
        --ctx.kernel_calls;  // aliased: nothing moves
        ctx.Line("/* reshape: aliased, no copy */");
      } else {
        Scoped(ctx, absl::StrCat("memmove(", c.output.ptr, ", ", c.inputs[0].ptr,
                              ", ", p.bytes, ");"));
      }
      return absl::OkStatus();
    case KernelKind::kConcatenation:
      for (size_t i = 0; i < p.concat.size(); ++i) {
        const ConcatPart& part = p.concat[i];
        const std::string dst =
            absl::StrCat("(", c.output.ptr, " + ", part.offset, ")");
        if (part.rescale) {
          Scoped(ctx, absl::StrCat("mcuk_rescale_2d(&", k, "_r", i, ", ", dst,
                                ", ", p.concat_row, ", ", c.inputs[i].ptr,
                                ", ", part.slab, ", ", p.concat_outer, ", ",
                                part.slab, ");"));
        } else {
          Scoped(ctx, absl::StrCat("mcuk_copy_2d(", dst, ", ", p.concat_row, ", ",
                                c.inputs[i].ptr, ", ", part.slab, ", ",
                                p.concat_outer, ", ", part.slab, ");"));
        }
      }
      return absl::OkStatus();
  }
  return absl::UnimplementedError(
      absl::StrCat(c.context, ": no kernel for op ", c.op));
}

}  // namespace mcutune::codegen
