// TuneRequest validation and its JSON form (the job row's request_json).
// - Validation checks every field against the bounds of tune_request.h and
//   the board catalogue; messages name the field and the offending value.
// - JSON parsing is as strict as validation: it reads rows written by an
//   older or corrupted database, so types are checked, never assumed.
#include "tuner/tune_request.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mcutune::tuner {

const char* ObjectiveName(Objective objective) {
  switch (objective) {
    case Objective::kLatency:
      return "latency";
    case Objective::kPeakSram:
      return "peak_sram";
    case Objective::kFlash:
      return "flash";
  }
  return "?";
}

absl::StatusOr<Objective> ParseObjective(const std::string& name) {
  for (Objective o :
       {Objective::kLatency, Objective::kPeakSram, Objective::kFlash}) {
    if (name == ObjectiveName(o)) return o;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown objective '", name, "' (latency, peak_sram, flash)"));
}

absl::Status ValidateTuneRequest(const std::vector<space::BoardSpec>& catalogue,
                                 TuneRequest* r) {
  if (r->model_id.size() != 64 ||
      r->model_id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return absl::InvalidArgumentError(
        "model_id must be the 64 lowercase hex digits returned by UploadModel");
  }
  if (r->board_kinds.empty()) {
    return absl::InvalidArgumentError(
        "board_kinds: at least one board kind is required");
  }
  if (r->board_kinds.size() > static_cast<size_t>(kMaxBoardKinds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("board_kinds: at most ", kMaxBoardKinds, " board kinds"));
  }
  std::set<std::string> seen;
  std::vector<const space::BoardSpec*> boards;
  for (const std::string& kind : r->board_kinds) {
    if (!seen.insert(kind).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("board_kinds: '", kind, "' repeated"));
    }
    const space::BoardSpec* found = nullptr;
    for (const space::BoardSpec& b : catalogue) {
      if (b.id == kind) found = &b;
    }
    if (found == nullptr) {
      std::vector<std::string> ids;
      for (const space::BoardSpec& b : catalogue) ids.push_back(b.id);
      std::string shown = kind.substr(0, 64);
      return absl::InvalidArgumentError(
          absl::StrCat("board_kinds: unknown board kind '", shown,
                       "'; known: ", absl::StrJoin(ids, ", ")));
    }
    boards.push_back(found);
  }
  if (r->sram_budget_bytes < 0 ||
      (r->sram_budget_bytes > 0 &&
       r->sram_budget_bytes < kMinUsefulSramBytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("constraints.sram_budget_bytes: ", r->sram_budget_bytes,
                     " is impossible (0 for the board's SRAM, else at least ",
                     kMinUsefulSramBytes, ")"));
  }
  if (r->flash_budget_bytes < 0 ||
      (r->flash_budget_bytes > 0 &&
       r->flash_budget_bytes < kMinUsefulFlashBytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("constraints.flash_budget_bytes: ", r->flash_budget_bytes,
                     " is impossible (0 for the board's flash, else at least ",
                     kMinUsefulFlashBytes, ")"));
  }
  for (const space::BoardSpec* b : boards) {
    if (r->sram_budget_bytes > b->sram_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("constraints.sram_budget_bytes: ", r->sram_budget_bytes,
                       " exceeds the ", b->sram_bytes,
                       " bytes of SRAM of board kind '", b->id, "'"));
    }
    if (r->flash_budget_bytes > b->flash_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "constraints.flash_budget_bytes: ", r->flash_budget_bytes,
          " exceeds the ", b->flash_bytes, " bytes of flash of board kind '",
          b->id, "'"));
    }
  }
  if (r->max_n_patch < 1 || r->max_n_patch > kMaxNPatchLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("constraints.max_n_patch: ", r->max_n_patch, " not in 1..",
                     kMaxNPatchLimit));
  }
  if (r->measurement_budget < 1 ||
      r->measurement_budget > kMaxMeasurementBudget) {
    return absl::InvalidArgumentError(
        absl::StrCat("measurement_budget: ", r->measurement_budget,
                     " not in 1..", kMaxMeasurementBudget));
  }
  if (r->batch_size < 1 || r->batch_size > kMaxBatchSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch_size: ", r->batch_size, " not in 1..", kMaxBatchSize));
  }
  if (r->runs_per_measurement < 1 ||
      r->runs_per_measurement > kMaxRunsPerMeasurement) {
    return absl::InvalidArgumentError(
        absl::StrCat("runs_per_measurement: ", r->runs_per_measurement,
                     " not in 1..", kMaxRunsPerMeasurement));
  }
  if (r->priority < -kMaxJobPriority || r->priority > kMaxJobPriority) {
    return absl::InvalidArgumentError(
        absl::StrCat("priority: ", r->priority, " not in ", -kMaxJobPriority,
                     "..", kMaxJobPriority));
  }
  if (r->label.size() > kMaxLabelChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("label: longer than ", kMaxLabelChars, " characters"));
  }
  for (unsigned char c : r->label) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          "label: control characters are not allowed");
    }
  }
  if (r->objectives.empty()) {
    r->objectives = {Objective::kLatency, Objective::kPeakSram,
                     Objective::kFlash};
  }
  std::set<Objective> objectives(r->objectives.begin(), r->objectives.end());
  if (objectives.size() != r->objectives.size()) {
    return absl::InvalidArgumentError("objectives: repeated objective");
  }
  if (!objectives.count(Objective::kLatency)) {
    return absl::InvalidArgumentError(
        "objectives: latency is required (the front is of measured "
        "candidates)");
  }
  return absl::OkStatus();
}

space::Constraints ConstraintsFor(const TuneRequest& r) {
  space::Constraints c;
  c.sram_budget = r.sram_budget_bytes;
  c.flash_budget = r.flash_budget_bytes;
  c.allow_external_memory = r.allow_external_memory;
  c.max_n_patch = r.max_n_patch;
  c.keep_unfit = false;
  return c;
}

std::string TuneRequestToJson(const TuneRequest& r) {
  nlohmann::json j;
  j["model_id"] = r.model_id;
  j["board_kinds"] = r.board_kinds;
  j["sram_budget_bytes"] = r.sram_budget_bytes;
  j["flash_budget_bytes"] = r.flash_budget_bytes;
  j["allow_external_memory"] = r.allow_external_memory;
  j["max_n_patch"] = r.max_n_patch;
  nlohmann::json objectives = nlohmann::json::array();
  for (Objective o : r.objectives) objectives.push_back(ObjectiveName(o));
  j["objectives"] = objectives;
  j["measurement_budget"] = r.measurement_budget;
  j["seed"] = r.seed;
  j["batch_size"] = r.batch_size;
  j["runs_per_measurement"] = r.runs_per_measurement;
  j["label"] = r.label;
  if (r.priority != 0) j["priority"] = r.priority;
  return j.dump();
}

absl::StatusOr<TuneRequest> TuneRequestFromJson(const std::string& text) {
  const nlohmann::json j =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("request_json is not a JSON object");
  }
  TuneRequest r;
  auto bad = [](const char* field) {
    return absl::InvalidArgumentError(
        absl::StrCat("request_json: bad field '", field, "'"));
  };
  // Integers must fit the field exactly: nlohmann's get<int>() would wrap
  // 2^32 + 16 to 16 (and a negative seed to a huge one) without a word.
  auto get_int = [&](const char* field, auto* out) -> bool {
    using T = std::remove_pointer_t<decltype(out)>;
    if (!j.contains(field)) return true;
    const nlohmann::json& v = j[field];
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
        return false;
      }
      *out = static_cast<T>(u);
      return true;
    }
    if (!v.is_number_integer()) return false;
    const int64_t i = v.get<int64_t>();
    if (i < 0 ? i < static_cast<int64_t>(std::numeric_limits<T>::min())
              : static_cast<uint64_t>(i) >
                    static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      return false;
    }
    *out = static_cast<T>(i);
    return true;
  };
  if (!j.contains("model_id") || !j["model_id"].is_string())
    return bad("model_id");
  r.model_id = j["model_id"].get<std::string>();
  if (!j.contains("board_kinds") || !j["board_kinds"].is_array())
    return bad("board_kinds");
  for (const nlohmann::json& k : j["board_kinds"]) {
    if (!k.is_string()) return bad("board_kinds");
    r.board_kinds.push_back(k.get<std::string>());
  }
  if (!get_int("sram_budget_bytes", &r.sram_budget_bytes))
    return bad("sram_budget_bytes");
  if (!get_int("flash_budget_bytes", &r.flash_budget_bytes))
    return bad("flash_budget_bytes");
  if (j.contains("allow_external_memory")) {
    if (!j["allow_external_memory"].is_boolean())
      return bad("allow_external_memory");
    r.allow_external_memory = j["allow_external_memory"].get<bool>();
  }
  if (!get_int("max_n_patch", &r.max_n_patch)) return bad("max_n_patch");
  if (j.contains("objectives")) {
    if (!j["objectives"].is_array()) return bad("objectives");
    for (const nlohmann::json& o : j["objectives"]) {
      if (!o.is_string()) return bad("objectives");
      absl::StatusOr<Objective> parsed = ParseObjective(o.get<std::string>());
      if (!parsed.ok()) return parsed.status();
      r.objectives.push_back(*parsed);
    }
  }
  if (!get_int("measurement_budget", &r.measurement_budget))
    return bad("measurement_budget");
  if (!get_int("seed", &r.seed)) return bad("seed");
  if (!get_int("batch_size", &r.batch_size)) return bad("batch_size");
  if (!get_int("runs_per_measurement", &r.runs_per_measurement)) {
    return bad("runs_per_measurement");
  }
  if (j.contains("label")) {
    if (!j["label"].is_string()) return bad("label");
    r.label = j["label"].get<std::string>();
  }
  if (!get_int("priority", &r.priority)) return bad("priority");
  return r;
}

}  // namespace mcutune::tuner
