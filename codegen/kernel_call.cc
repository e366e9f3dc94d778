// EmitKernelCall: one mcuk_* call as C text.
// - Spatial kernels (conv, depthwise, add, pooling, pad) get const views of
//   their inputs, a writable view of the output and the region.
// - The others work on dense whole tensors (pointers only).
// - Scratch needs are checked against what the plan reserved: the kernel's
//   own figure (mcuk_conv2d_scratch_bytes, the in-place depthwise channel
//   temporary = input window area) must fit.
// - Every call sits in its own C block (stack slots of its views reused).
// - Table-driven callers (the patch loop) pass the C expressions of their
//   views and region (CallSpec::*_ref); the windows are still checked.
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

}  // namespace

absl::StatusOr<KernelCallText> MakeKernelCallText(const OpParams& p,
                                                  const CallSpec& c) {
  const std::string& k = c.params;
  const std::string region =
      c.region_ref.empty() ? EmitContext::Region(c.y0, c.y1, c.x0, c.x1)
                           : c.region_ref;
  auto in = [&](size_t i) {
    return i < c.input_refs.size() && !c.input_refs[i].empty()
               ? c.input_refs[i]
               : EmitContext::CView(c.inputs.at(i));
  };
  const std::string out =
      c.output_ref.empty() ? EmitContext::View(c.output) : c.output_ref;
  KernelCallText t;
  // Each call in its own block: the compound-literal views then die at the
  // closing brace and the compiler reuses their stack slots (one function
  // with thousands of calls would otherwise need a stack slot per literal).
  auto Scoped = [&t](const std::string& call) {
    t.lines.push_back("{ " + call + " }");
  };
  switch (p.kind) {
    case KernelKind::kConv2D: {
      const int64_t need = mcuk_conv2d_scratch_bytes(&p.conv);
      if (need > c.scratch_bytes) return ScratchTooSmall(c, need);
      Scoped(absl::StrCat("mcuk_conv2d(&", k, ", ", in(0), ", ", out, ", ",
                          region, ", ", need > 0 ? c.scratch : "NULL", ");"));
      return t;
    }
    case KernelKind::kDepthwiseConv2D:
      if (c.in_place) {
        const int64_t need =
            InplaceDepthwiseTempBytes(c.inputs[0].h, c.inputs[0].w);
        if (need > c.scratch_bytes) return ScratchTooSmall(c, need);
        Scoped(absl::StrCat("mcuk_depthwise_conv2d_inplace(&", k, ", ",
                              in(0), ", ", out, ", ", region, ", ", c.scratch,
                              ");"));
      } else {
        Scoped(absl::StrCat("mcuk_depthwise_conv2d(&", k, ", ", in(0), ", ",
                              out, ", ", region, ");"));
      }
      return t;
    case KernelKind::kAdd:
      Scoped(absl::StrCat("mcuk_add(&", k, ", ", in(0), ", ", in(1), ", ",
                            out, ", ", region, ");"));
      return t;
    case KernelKind::kAveragePool:
    case KernelKind::kMaxPool:
      Scoped(absl::StrCat(p.kind == KernelKind::kAveragePool
                                ? "mcuk_avg_pool(&"
                                : "mcuk_max_pool(&",
                            k, ", ", in(0), ", ", out, ", ", region, ");"));
      return t;
    case KernelKind::kPad:
      Scoped(absl::StrCat("mcuk_pad(&", k, ", ", in(0), ", ", out, ", ",
                            region, ");"));
      return t;
    case KernelKind::kMean:
      Scoped(absl::StrCat("mcuk_mean_hw(&", k, ", ", in(0), ", ",
                            c.output.ptr, ");"));
      return t;
    case KernelKind::kFullyConnected:
      Scoped(absl::StrCat("mcuk_fully_connected(&", k, ", ",
                            c.inputs[0].ptr, ", ", c.output.ptr, ");"));
      return t;
    case KernelKind::kSoftmax:
      Scoped(absl::StrCat("mcuk_softmax(&", k, ", ", c.inputs[0].ptr, ", ",
                            c.output.ptr, ");"));
      return t;
    case KernelKind::kTranspose:
      Scoped(absl::StrCat("mcuk_permute(&", k, ", ", c.inputs[0].ptr, ", ",
                            c.output.ptr, ");"));
      return t;
    case KernelKind::kReshape:
      if (c.inputs[0].ptr == c.output.ptr) {
        t.is_call = false;  // aliased: nothing moves
        t.lines.push_back("/* reshape: aliased, no copy */");
      } else {
        Scoped(absl::StrCat("memmove(", c.output.ptr, ", ", c.inputs[0].ptr,
                              ", ", p.bytes, ");"));
      }
      return t;
    case KernelKind::kConcatenation:
      for (size_t i = 0; i < p.concat.size(); ++i) {
        const ConcatPart& part = p.concat[i];
        const std::string dst =
            absl::StrCat("(", c.output.ptr, " + ", part.offset, ")");
        if (part.rescale) {
          Scoped(absl::StrCat("mcuk_rescale_2d(&", k, "_r", i, ", ", dst,
                                ", ", p.concat_row, ", ", c.inputs[i].ptr,
                                ", ", part.slab, ", ", p.concat_outer, ", ",
                                part.slab, ");"));
        } else {
          Scoped(absl::StrCat("mcuk_copy_2d(", dst, ", ", p.concat_row, ", ",
                                c.inputs[i].ptr, ", ", part.slab, ", ",
                                p.concat_outer, ", ", part.slab, ");"));
        }
      }
      return t;
  }
  return absl::UnimplementedError(
      absl::StrCat(c.context, ": no kernel for op ", c.op));
}

absl::Status EmitKernelCall(EmitContext& ctx, const OpParams& p,
                            const CallSpec& call) {
  absl::StatusOr<KernelCallText> t = MakeKernelCallText(p, call);
  if (!t.ok()) return t.status();
  for (const std::string& line : t->lines) ctx.Line(line);
  if (t->is_call) ++ctx.kernel_calls;
  return absl::OkStatus();
}

}  // namespace mcutune::codegen
