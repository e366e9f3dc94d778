// JSON (nlohmann_json), CSV and table renderings of plans.
#include "tuner/space/plan_format.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "tuner/space/plan_checker.h"

namespace mcutune::space {
namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

ordered PlanObject(const Plan& p) {
  const Candidate& c = p.candidate;
  const Metrics& m = p.metrics;
  const MemoryBreakdown& mem = p.memory;
  ordered j;
  j["id"] = c.Id();
  j["strategy"] = StrategyName(c.strategy);
  j["n_patch"] = c.n_patch;
  j["split_idx"] = c.split_idx;
  std::vector<std::string> modes;
  for (StageMode s : c.stage_modes) modes.push_back(StageModeName(s));
  j["stage_modes"] = modes;
  j["inplace_depthwise"] = c.inplace_depthwise;
  if (c.strategy != Strategy::kLayerwise &&
      c.strategy != Strategy::kTinyOps) {
    j["inplace_depthwise_stage"] = c.inplace_depthwise_stage;
  }
  if (c.strategy == Strategy::kTinyOps) {
    j["tinyops_sram_budget"] = c.tinyops_sram_budget;
  }
  j["order"] = {{"source", OrderSourceName(c.order.source)},
                {"proven_optimal", c.order.proven_optimal},
                {"ops", c.order.ops}};
  j["board"] = p.board_id;
  j["macs_total"] = m.macs_total;
  j["macs_patch_stage"] = m.macs_patch_stage;
  j["macs_recomputed"] = m.macs_recomputed;
  j["kernel_calls"] = m.kernel_calls;
  if (m.stream_copies > 0) j["stream_copies"] = m.stream_copies;
  j["peak_sram_bytes"] = mem.peak_sram_bytes;
  j["reference_arena_bytes"] = mem.reference_arena_bytes;
  j["flash_bytes"] = m.flash_bytes;
  j["weights_bytes"] = m.weights_bytes;
  j["code_bytes"] = m.code_bytes;
  j["ext_ram_bytes"] = m.ext_ram_bytes;
  j["ext_flash_bytes"] = m.ext_flash_bytes;
  j["ext_traffic_bytes"] = m.ext_traffic_bytes;
  j["traffic"] = {{"ext_ram_read", m.ext_ram_read_bytes},
                  {"ext_ram_write", m.ext_ram_write_bytes},
                  {"ext_flash_read", m.ext_flash_read_bytes}};
  j["dma_transfers"] = m.dma_transfers;
  j["fits"] = m.fits;
  j["fit_reason"] = m.fit_reason;
  j["memory"] = {{"arena_bytes", mem.arena_bytes},
                 {"stream_buffer_bytes", mem.stream_buffer_bytes},
                 {"overlay_buffer_bytes", mem.overlay_buffer_bytes},
                 {"scratch_bytes", mem.scratch_bytes},
                 {"peak_sram_bytes", mem.peak_sram_bytes},
                 {"reference_arena_bytes", mem.reference_arena_bytes},
                 {"live_lower_bound_bytes", mem.live_lower_bound_bytes},
                 {"lower_bound_gap_bytes", mem.lower_bound_gap_bytes},
                 {"arena_heuristic", mem.arena_heuristic}};
  return j;
}

std::string Dump(const ordered& j, int indent) {
  return j.dump(indent < 0 ? -1 : indent, ' ', false,
                json::error_handler_t::replace) +
         "\n";
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string Kb(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", bytes / 1024.0);
  return buf;
}

}  // namespace

std::string FormatPlanJson(const Plan& plan, int indent) {
  return Dump(PlanObject(plan), indent);
}

std::string FormatSpaceJson(const std::string& model, const BoardSpec& board,
                            const SpaceResult& space, int indent) {
  ordered j;
  j["model"] = model;
  j["board"] = board.id;
  const std::set<int> front(space.pareto.begin(), space.pareto.end());
  ordered candidates = ordered::array();
  std::vector<std::string> front_ids;
  for (size_t i = 0; i < space.plans.size(); ++i) {
    ordered c = PlanObject(space.plans[i]);
    c["pareto"] = front.count(static_cast<int>(i)) > 0;
    if (front.count(static_cast<int>(i))) {
      front_ids.push_back(space.plans[i].candidate.Id());
    }
    candidates.push_back(std::move(c));
  }
  j["candidates"] = std::move(candidates);
  j["pareto"] = front_ids;
  ordered failures = ordered::array();
  for (const CandidateFailure& f : space.failures) {
    failures.push_back({{"candidate", f.candidate_id},
                        {"error", std::string(f.status.message())}});
  }
  j["failures"] = std::move(failures);
  j["order_search"] = {
      {"source", OrderSourceName(space.searched_order.source)},
      {"proven_optimal", space.searched_order.proven_optimal},
      {"peak_bytes", space.searched_order.searched_peak_bytes}};
  return Dump(j, indent);
}

std::string FormatSpaceCsv(const SpaceResult& space) {
  std::string out =
      "id,strategy,n_patch,split_idx,order,macs_total,macs_patch_stage,"
      "macs_recomputed,kernel_calls,peak_sram_bytes,arena_bytes,"
      "stream_buffer_bytes,overlay_buffer_bytes,scratch_bytes,"
      "reference_arena_bytes,live_lower_bound_bytes,flash_bytes,"
      "ext_ram_bytes,ext_flash_bytes,ext_traffic_bytes,dma_transfers,fits,"
      "pareto,fit_reason\n";
  const std::set<int> front(space.pareto.begin(), space.pareto.end());
  for (size_t i = 0; i < space.plans.size(); ++i) {
    const Plan& p = space.plans[i];
    const Metrics& m = p.metrics;
    const MemoryBreakdown& mem = p.memory;
    absl::StrAppend(
        &out, CsvField(p.candidate.Id()), ",",
        StrategyName(p.candidate.strategy), ",", p.candidate.n_patch, ",",
        p.candidate.split_idx, ",", OrderSourceName(p.candidate.order.source),
        ",", m.macs_total, ",", m.macs_patch_stage, ",", m.macs_recomputed,
        ",", m.kernel_calls, ",", mem.peak_sram_bytes, ",", mem.arena_bytes,
        ",", mem.stream_buffer_bytes, ",", mem.overlay_buffer_bytes, ",",
        mem.scratch_bytes, ",", mem.reference_arena_bytes, ",");
    absl::StrAppend(&out, mem.live_lower_bound_bytes, ",", m.flash_bytes, ",",
                    m.ext_ram_bytes, ",", m.ext_flash_bytes, ",",
                    m.ext_traffic_bytes, ",", m.dma_transfers, ",",
                    m.fits ? "true" : "false", ",",
                    front.count(static_cast<int>(i)) ? "true" : "false", ",",
                    CsvField(m.fit_reason), "\n");
  }
  return out;
}

std::string FormatSpaceTable(const std::string& model, const BoardSpec& board,
                             const SpaceResult& space) {
  std::string out = absl::StrCat(
      model, " on ", board.id, " (", board.name, "): ", space.plans.size(),
      " candidates, ", space.pareto.size(), " Pareto-optimal (*)\n");
  char line[512];
  std::snprintf(line, sizeof(line),
                "  %-32s %12s %10s %10s %10s %9s %10s %6s %4s\n", "candidate",
                "MACs", "peak KiB", "arena KiB", "ref KiB", "scr KiB",
                "flash KiB", "calls", "fits");
  out += line;
  const std::set<int> front(space.pareto.begin(), space.pareto.end());
  for (size_t i = 0; i < space.plans.size(); ++i) {
    const Plan& p = space.plans[i];
    std::snprintf(line, sizeof(line),
                  "%c %-32s %12lld %10s %10s %10s %9s %10s %6lld %4s\n",
                  front.count(static_cast<int>(i)) ? '*' : ' ',
                  p.candidate.Id().c_str(),
                  static_cast<long long>(p.metrics.macs_total),
                  Kb(p.memory.peak_sram_bytes).c_str(),
                  Kb(p.memory.arena_bytes).c_str(),
                  Kb(p.memory.reference_arena_bytes).c_str(),
                  Kb(p.memory.scratch_bytes).c_str(),
                  Kb(p.metrics.flash_bytes).c_str(),
                  static_cast<long long>(p.metrics.kernel_calls),
                  p.metrics.fits ? "yes" : "no");
    out += line;
  }
  for (const Plan& p : space.plans) {
    if (!p.metrics.fits) {
      absl::StrAppend(&out, "  ", p.candidate.Id(), " does not fit: ",
                      p.metrics.fit_reason, "\n");
    }
  }
  for (const CandidateFailure& f : space.failures) {
    absl::StrAppend(&out, "  ", f.candidate_id, " failed: ",
                    f.status.message(), "\n");
  }
  return out;
}

std::string FormatMemoryMapCsv(const graph::Graph& graph, const Plan& plan) {
  std::string out =
      "step,op,op_type,patch,buffer,name,kind,memory,role,offset,bytes,"
      "step_sram_bytes\n";
  for (int s = 0; s < static_cast<int>(plan.steps.size()); ++s) {
    const Step& step = plan.steps[s];
    // Live buffers; SRAM bytes count an alias group's largest live member.
    std::vector<int> live;
    std::map<int, int64_t> group_bytes;
    for (const Buffer& b : plan.buffers) {
      if (b.first_step > s || b.last_step < s) continue;
      live.push_back(b.id);
      if (b.memory != Memory::kSram) continue;
      int root = b.id;
      for (size_t hops = 0; plan.buffers[root].alias_of >= 0 &&
                            hops < plan.buffers.size();
           ++hops) {
        root = plan.buffers[root].alias_of;
      }
      group_bytes[root] = std::max(group_bytes[root], b.bytes);
    }
    int64_t sram = 0;
    for (const auto& [root, bytes] : group_bytes) sram += bytes;
    const char* op_type =
        step.op >= 0 ? graph::OpTypeName(graph.ops[step.op].type) : "";
    for (int id : live) {
      const Buffer& b = plan.buffers[id];
      const bool reads = std::count(step.reads.begin(), step.reads.end(), id);
      const bool writes = std::count(step.writes.begin(), step.writes.end(), id);
      absl::StrAppend(&out, s, ",", step.op, ",", op_type, ",", step.patch, ",",
                      id, ",", CsvField(b.name), ",", BufferKindName(b.kind),
                      ",", MemoryName(b.memory), ",",
                      writes ? "write" : reads ? "read" : "live", ",",
                      b.offset, ",", b.bytes, ",", sram, "\n");
    }
  }
  return out;
}

}  // namespace mcutune::space
