// CheckMemoryPlan: brute force over buffer pairs and steps, on purpose
// independent of the planners (no shared helpers besides plan.h).
#include "tuner/space/plan_checker.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mcutune::space {
namespace {

constexpr int kMaxReported = 5;

// True if `a` reaches `b` by following alias_of (bounded).
bool AliasChainReaches(const std::vector<Buffer>& buffers, int a, int b) {
  for (size_t hops = 0; a >= 0 && hops <= buffers.size(); ++hops) {
    if (a == b) return true;
    const int next = buffers[a].alias_of;
    if (next < -1 || next >= static_cast<int>(buffers.size())) return false;
    a = next;
  }
  return false;
}

}  // namespace

absl::Status CheckMemoryPlan(const Plan& plan) {
  std::vector<std::string> errors;
  auto report = [&](std::string e) {
    if (static_cast<int>(errors.size()) < kMaxReported) {
      errors.push_back(std::move(e));
    }
  };
  const std::vector<Buffer>& bufs = plan.buffers;
  const int nb = static_cast<int>(bufs.size());
  const int ns = static_cast<int>(plan.steps.size());
  const MemoryBreakdown& mem = plan.memory;

  if (mem.peak_sram_bytes != mem.arena_bytes + mem.stream_buffer_bytes +
                                 mem.overlay_buffer_bytes + mem.scratch_bytes) {
    report("peak_sram_bytes is not arena + stream + overlay + scratch");
  }
  for (int i = 0; i < nb; ++i) {
    const Buffer& b = bufs[i];
    if (b.id != i) report(absl::StrCat("buffer ", i, " has id ", b.id));
    if (b.bytes < 0 || b.offset < 0) {
      report(absl::StrCat("buffer ", i, " has negative bytes or offset"));
    }
    if (b.first_step < 0 || b.first_step > b.last_step || b.last_step >= ns) {
      report(absl::StrCat("buffer ", i, " lifetime [", b.first_step, ", ",
                          b.last_step, "] outside the ", ns, " steps"));
    }
    if (b.alias_of < -1 || b.alias_of >= nb || b.alias_of == i) {
      report(absl::StrCat("buffer ", i, " bad alias_of ", b.alias_of));
      continue;
    }
    int64_t limit = 0;
    switch (b.memory) {
      case Memory::kSram:
        limit = (b.kind == BufferKind::kActivation ||
                 b.kind == BufferKind::kPatch)
                    ? mem.arena_bytes
                    : mem.peak_sram_bytes;
        break;
      case Memory::kExtRam:
        limit = plan.metrics.ext_ram_bytes;
        break;
      case Memory::kExtFlash:
        limit = plan.metrics.ext_flash_bytes;
        break;
    }
    if (b.offset + b.bytes > limit) {
      report(absl::StrCat("buffer ", i, " '", b.name, "' [", b.offset, ", ",
                          b.offset + b.bytes, ") exceeds its region of ",
                          limit, " B"));
    }
    if (b.alias_of >= 0) {
      const Buffer& t = bufs[b.alias_of];
      if (t.memory != b.memory || b.offset < t.offset ||
          b.offset + b.bytes > t.offset + t.bytes) {
        report(absl::StrCat("alias ", i, " does not lie inside buffer ",
                            b.alias_of));
      }
    }
  }
  for (int i = 0; i < nb; ++i) {
    for (int j = i + 1; j < nb; ++j) {
      const Buffer& a = bufs[i];
      const Buffer& b = bufs[j];
      if (a.memory != b.memory) continue;
      if (a.last_step < b.first_step || b.last_step < a.first_step) continue;
      if (a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset) {
        continue;
      }
      if (a.bytes == 0 || b.bytes == 0) continue;
      if (AliasChainReaches(bufs, i, j) || AliasChainReaches(bufs, j, i)) {
        continue;
      }
      report(absl::StrCat("buffers ", i, " '", a.name, "' and ", j, " '",
                          b.name, "' overlap in ", MemoryName(a.memory),
                          " while both live"));
    }
  }
  for (int s = 0; s < ns; ++s) {
    for (const std::vector<int>* list :
         {&plan.steps[s].reads, &plan.steps[s].writes}) {
      for (int id : *list) {
        if (id < 0 || id >= nb) {
          report(absl::StrCat("step ", s, " uses unknown buffer ", id));
        } else if (bufs[id].first_step > s || bufs[id].last_step < s) {
          report(absl::StrCat("step ", s, " uses buffer ", id, " '",
                              bufs[id].name, "' outside its lifetime"));
        }
      }
    }
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("memory plan of ",
                                          plan.candidate.Id(), ": ",
                                          absl::StrJoin(errors, "; ")));
}

}  // namespace mcutune::space
