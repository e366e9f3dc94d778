// EmitContext: parameter caching, buffer addressing and view text.
// - Parameters come from MakeOpParams (kernel_params.h), the one source of
//   truth shared with the kernel tests; structs are defined lazily, so a
//   candidate's file holds only what its schedule calls.
// - Buffers are addressed by memory: SRAM -> "<P>_sram + offset", external
//   RAM -> "<P>_EXT_RAM + offset", external flash -> "<P>_ext_flash +
//   offset - <P>_EXT_FLASH_BASE" (the image starts at its lowest constant).
#include "codegen/emit_context.h"

#include "absl/strings/str_cat.h"

namespace mcutune::codegen {

EmitContext::EmitContext(const graph::Graph& graph, const space::Plan& plan,
                         const EmitOptions& options)
    : graph_(graph), plan_(plan), options_(options) {
  weights_prefix_ = options.weights_prefix.empty()
                        ? options.prefix + "_wt"
                        : options.weights_prefix;
}

absl::StatusOr<const OpParams*> EmitContext::Params(int op) {
  auto it = params_.find(op);
  if (it != params_.end()) return it->second.get();
  absl::StatusOr<OpParams> p = MakeOpParams(graph_, op, options_.requant);
  if (!p.ok()) return p.status();
  auto owned = std::make_unique<OpParams>(*std::move(p));
  const OpParams* raw = owned.get();
  params_[op] = std::move(owned);
  return raw;
}

ParamArrays EmitContext::WeightArrays(int op) {
  ParamArrays a;
  absl::StatusOr<const OpParams*> p = Params(op);
  if (!p.ok()) return a;
  const OpParams& q = **p;
  const std::string base = absl::StrCat(weights_prefix_, "_op", op);
  const bool single = q.mode == graph::RequantMode::kSingleRounding;
  if (!q.weights.empty()) a.weights = base + "_w";
  if (!q.bias.empty()) a.bias = base + "_b";
  if (single && !q.scale.empty()) a.scale = base + "_s";
  if (!single && !q.multiplier.empty()) {
    a.multiplier = base + "_m";
    a.shift = base + "_sh";
  }
  if (!q.exp_table.empty()) a.exp_table = base + "_e";
  return a;
}

absl::StatusOr<std::string> EmitContext::ParamsName(int op) {
  auto it = params_names_.find(op);
  if (it != params_names_.end()) return it->second;
  absl::StatusOr<const OpParams*> p = Params(op);
  if (!p.ok()) return p.status();
  const std::string name = absl::StrCat("k", op);
  decls_ += ParamsDefinition(**p, name, WeightArrays(op));
  params_names_[op] = name;
  return name;
}

std::string EmitContext::DefineParams(const OpParams& p,
                                      const std::string& name,
                                      const ParamArrays& arrays) {
  decls_ += ParamsDefinition(p, name, arrays);
  return name;
}

std::string EmitContext::BufferPtr(int buffer_id, int64_t byte_offset) const {
  const space::Buffer& b = plan_.buffers[buffer_id];
  const int64_t off = b.offset + byte_offset;
  switch (b.memory) {
    case space::Memory::kSram:
      return absl::StrCat("(", prefix(), "_sram + ", off, ")");
    case space::Memory::kExtRam:
      return absl::StrCat("(", prefix(), "_EXT_RAM + ", off, ")");
    case space::Memory::kExtFlash:
      return absl::StrCat("(", prefix(), "_ext_flash + (", off, " - ",
                          prefix(), "_EXT_FLASH_BASE))");
  }
  return "NULL";
}

Window EmitContext::WholeWindow(int buffer_id, int tensor) const {
  const Dims d = ActivationDims(graph_.tensors[tensor]);
  Window w;
  w.ptr = BufferPtr(buffer_id);
  w.h = d.h;
  w.w = d.w;
  w.row_stride = int64_t{d.w} * d.c;
  return w;
}

int EmitContext::TensorBuffer(const space::Step& step, int tensor) const {
  for (const std::vector<int>* ids : {&step.reads, &step.writes}) {
    for (int id : *ids) {
      const space::Buffer& b = plan_.buffers[id];
      if (b.tensor == tensor && (b.kind == space::BufferKind::kActivation ||
                                 b.kind == space::BufferKind::kPatch)) {
        return id;
      }
    }
  }
  return -1;
}

int EmitContext::ScratchBuffer(int s) const {
  for (int id : plan_.steps[s].writes) {
    if (plan_.buffers[id].kind == space::BufferKind::kScratch) return id;
  }
  for (const space::Buffer& b : plan_.buffers) {
    if (b.kind == space::BufferKind::kScratch &&
        b.memory == space::Memory::kSram && b.first_step <= s &&
        s <= b.last_step) {
      return b.id;
    }
  }
  return -1;
}

std::string EmitContext::CView(const Window& w) {
  return absl::StrCat("&CV(", w.ptr, ", ", w.y0, ", ", w.x0, ", ", w.h, ", ",
                      w.w, ", ", w.row_stride, ")");
}

std::string EmitContext::View(const Window& w) {
  return absl::StrCat("&V(", w.ptr, ", ", w.y0, ", ", w.x0, ", ", w.h, ", ",
                      w.w, ", ", w.row_stride, ")");
}

std::string EmitContext::Region(int y0, int y1, int x0, int x1) {
  return absl::StrCat("&R(", y0, ", ", y1, ", ", x0, ", ", x1, ")");
}

std::string EmitContext::Unique(const std::string& hint) {
  const int n = unique_[hint]++;
  return n == 0 ? hint : absl::StrCat(hint, "_", n);
}

}  // namespace mcutune::codegen
