// Store-row helpers of the tuning loop (job_records.h).
#include "tuner/job_records.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace mcutune::tuner {

std::string PlanMetricsJson(const space::Plan& p) {
  nlohmann::json j;
  j["macs"] = p.metrics.macs_total;
  j["peak_sram_bytes"] = p.memory.peak_sram_bytes;
  j["flash_bytes"] = p.metrics.flash_bytes;
  j["ext_ram_bytes"] = p.metrics.ext_ram_bytes;
  j["ext_flash_bytes"] = p.metrics.ext_flash_bytes;
  j["kernel_calls"] = p.metrics.kernel_calls;
  j["ext_traffic_bytes"] = p.metrics.ext_traffic_bytes;
  j["macs_recomputed"] = p.metrics.macs_recomputed;
  return j.dump();
}

std::string MeasurementJson(const device_farm::Measurement& m,
                            const std::string& board_uri) {
  nlohmann::json j;
  j["status"] = device_farm::RunStatusName(m.status);
  if (!m.error.empty()) j["error"] = m.error.substr(0, 2000);
  j["unit"] = device_farm::CountUnitName(m.unit);
  j["counted_by"] = m.counted_by;
  j["raw_ticks"] = m.raw_ticks;
  j["total_count"] = m.total_count;
  j["per_inference"] = m.per_inference;
  j["runs"] = m.runs;
  j["warmup"] = m.warmup;
  j["output_sha256"] = m.output_sha256;
  j["input_bytes"] = m.input_bytes;
  j["output_bytes"] = m.output_bytes;
  j["stack_high_water_bytes"] = m.stack_high_water_bytes;
  j["stack_bytes"] = m.stack_bytes;
  j["arena_bytes"] = m.arena_bytes;
  j["flash_bytes"] = m.flash_bytes;
  j["ram_bytes"] = m.ram_bytes;
  j["board"] = m.board;
  j["board_uri"] = board_uri;
  j["wall_seconds"] = m.wall_seconds;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

JobProgress ProgressOf(const std::vector<CandidateRecord>& cs, int budget) {
  JobProgress p;
  p.candidates_enumerated = static_cast<int>(cs.size());
  p.measurement_budget = budget;
  for (const CandidateRecord& c : cs) {
    switch (c.state) {
      case CandidateState::kBuilt:
      case CandidateState::kVerifyFailed:
      case CandidateState::kMeasured:
      case CandidateState::kMeasureFailed:
        ++p.builds_done;
        break;
      case CandidateState::kBuildFailed:
        ++p.builds_failed;
        break;
      default:
        break;
    }
    if (c.state == CandidateState::kVerifyFailed) ++p.verify_failed;
    if (c.state == CandidateState::kMeasured) ++p.measurements_done;
    if (c.state == CandidateState::kMeasureFailed) ++p.measurements_failed;
    if (c.on_front) ++p.front_size;
    p.rounds = std::max(p.rounds, c.round);
  }
  return p;
}

bool IsSafePathComponent(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

}  // namespace mcutune::tuner
