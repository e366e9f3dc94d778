// Sweep definition files (sweep_definition.h).
// - Every key is checked for type and range; unknown keys list the known
//   ones. Byte budgets accept integers or "256K" / "1M" strings.
// - Each item's TuneRequest is validated against the catalogue at load time
//   (ValidateTuneRequest), so a budget no board of the sweep can honour is
//   reported when the daemon starts, not at 02:00.
#include "tuner/sweep_definition.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/zoo/zoo.h"

namespace mcutune::tuner {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

bool ValidName(const std::string& s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return s != "." && s != "..";
}

// IANA time zone names: [A-Za-z0-9_+-] components separated by single '/',
// none of them "." or ".." (so the name stays inside the zoneinfo tree).
bool ValidTimeZoneName(const std::string& s) {
  if (s.empty() || s.front() == '/' || s.back() == '/') return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('/', start);
    if (end == std::string::npos) end = s.size();
    const std::string part = s.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '_' || c == '+' ||
                      c == '-' || c == '.';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

absl::Status Bad(const std::string& where, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", why));
}

absl::Status CheckKeys(const Json& obj, const std::set<std::string>& known,
                       const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!known.count(it.key())) {
      return Bad(where, absl::StrCat("unknown key '", it.key(), "' (known: ",
                                     absl::StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status GetInt(const Json& obj, const char* key, const std::string& where,
                    int64_t lo, int64_t hi, T* out) {
  if (!obj.contains(key)) return absl::OkStatus();
  if (!obj[key].is_number_integer()) {
    return Bad(absl::StrCat(where, ".", key), "must be an integer");
  }
  const int64_t v = obj[key].get<int64_t>();
  if (v < lo || v > hi) {
    return Bad(absl::StrCat(where, ".", key),
               absl::StrCat(v, " not in ", lo, "..", hi));
  }
  *out = static_cast<T>(v);
  return absl::OkStatus();
}

absl::Status GetDouble(const Json& obj, const char* key,
                       const std::string& where, double lo, double hi,
                       double* out) {
  if (!obj.contains(key)) return absl::OkStatus();
  if (!obj[key].is_number()) {
    return Bad(absl::StrCat(where, ".", key), "must be a number");
  }
  const double v = obj[key].get<double>();
  if (!(v >= lo && v <= hi)) {
    return Bad(absl::StrCat(where, ".", key),
               absl::StrCat(v, " not in ", lo, "..", hi));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status GetString(const Json& obj, const char* key,
                       const std::string& where, size_t max_len,
                       std::string* out) {
  if (!obj.contains(key)) return absl::OkStatus();
  if (!obj[key].is_string()) {
    return Bad(absl::StrCat(where, ".", key), "must be a string");
  }
  *out = obj[key].get<std::string>();
  if (out->size() > max_len) {
    return Bad(absl::StrCat(where, ".", key),
               absl::StrCat("longer than ", max_len, " characters"));
  }
  for (unsigned char c : *out) {
    if (c < 0x20 || c == 0x7f) {
      return Bad(absl::StrCat(where, ".", key), "control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status GetBytes(const Json& obj, const char* key,
                      const std::string& where, int64_t* out) {
  if (!obj.contains(key)) return absl::OkStatus();
  const Json& v = obj[key];
  const std::string field = absl::StrCat(where, ".", key);
  int64_t n = 0;
  if (v.is_number_integer()) {
    n = v.get<int64_t>();
  } else if (v.is_string()) {
    std::string digits = v.get<std::string>();
    int64_t scale = 1;
    if (!digits.empty() && (digits.back() == 'K' || digits.back() == 'k')) {
      scale = 1024;
      digits.pop_back();
    } else if (!digits.empty() &&
               (digits.back() == 'M' || digits.back() == 'm')) {
      scale = 1024 * 1024;
      digits.pop_back();
    }
    if (!absl::SimpleAtoi(digits, &n) || n > (int64_t{1} << 34)) {
      return Bad(field, "a byte count: an integer or \"256K\" / \"2M\"");
    }
    n *= scale;
  } else {
    return Bad(field, "a byte count: an integer or \"256K\" / \"2M\"");
  }
  if (n < 0 || n > (int64_t{1} << 34)) return Bad(field, "out of range");
  *out = n;
  return absl::OkStatus();
}

absl::StatusOr<SweepModel> ParseModel(const Json& m, const std::string& where,
                                      const std::string& base_dir) {
  SweepModel out;
  std::string zoo, file, name;
  if (m.is_string()) {
    const std::string s = m.get<std::string>();
    if (s.size() > 7 && s.substr(s.size() - 7) == ".tflite") {
      file = s;
    } else {
      zoo = s;
    }
  } else if (m.is_object()) {
    if (absl::Status s = CheckKeys(m, {"zoo", "file", "name"}, where); !s.ok())
      return s;
    if (absl::Status s = GetString(m, "zoo", where, 128, &zoo); !s.ok())
      return s;
    if (absl::Status s = GetString(m, "file", where, 4096, &file); !s.ok())
      return s;
    if (absl::Status s = GetString(m, "name", where, 128, &name); !s.ok())
      return s;
    if (zoo.empty() == file.empty()) {
      return Bad(where, "exactly one of \"zoo\" and \"file\"");
    }
  } else {
    return Bad(where,
               "a zoo name, a .tflite path, or {\"zoo\"|\"file\", \"name\"}");
  }
  if (!zoo.empty()) {
    absl::StatusOr<graph::zoo::ZooEntry> e = graph::zoo::FindInZoo(zoo);
    if (!e.ok()) {
      return Bad(where, absl::StrCat("unknown zoo model '", zoo.substr(0, 128),
                                     "': ", e.status().message()));
    }
    out.zoo = zoo;
    out.name = name.empty() ? zoo : name;
  } else {
    fs::path p(file);
    if (p.is_relative()) p = fs::path(base_dir) / p;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      return Bad(where,
                 absl::StrCat("model file '", p.string(), "' does not exist"));
    }
    out.file = fs::absolute(p, ec).lexically_normal().string();
    out.name = name.empty() ? p.stem().string() : name;
  }
  if (!ValidName(out.name, 128)) {
    return Bad(where, absl::StrCat("model name '", out.name.substr(0, 128),
                                   "' must be [A-Za-z0-9._-]{1,128} (set "
                                   "\"name\")"));
  }
  return out;
}

absl::StatusOr<SweepConstraint> ParseConstraint(const Json& c,
                                                const std::string& where) {
  if (!c.is_object()) return Bad(where, "must be an object");
  if (absl::Status s = CheckKeys(c,
                                 {"name", "sram_budget", "flash_budget",
                                  "allow_external_memory", "max_n_patch"},
                                 where);
      !s.ok()) {
    return s;
  }
  SweepConstraint out;
  if (absl::Status s = GetString(c, "name", where, 32, &out.name); !s.ok())
    return s;
  if (!ValidName(out.name, 32)) {
    return Bad(where + ".name", "must be [A-Za-z0-9._-]{1,32}");
  }
  if (absl::Status s =
          GetBytes(c, "sram_budget", where, &out.sram_budget_bytes);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          GetBytes(c, "flash_budget", where, &out.flash_budget_bytes);
      !s.ok()) {
    return s;
  }
  if (c.contains("allow_external_memory")) {
    if (!c["allow_external_memory"].is_boolean()) {
      return Bad(where + ".allow_external_memory", "must be true or false");
    }
    out.allow_external_memory = c["allow_external_memory"].get<bool>();
  }
  if (absl::Status s =
          GetInt(c, "max_n_patch", where, 1, kMaxNPatchLimit, &out.max_n_patch);
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace

std::vector<SweepItem> Items(const SweepDefinition& d) {
  std::vector<SweepItem> items;
  for (size_t m = 0; m < d.models.size(); ++m) {
    for (const std::string& kind : d.board_kinds) {
      for (const SweepConstraint& c : d.constraints) {
        SweepItem it;
        it.key = absl::StrCat(d.models[m].name, "/", kind, "/", c.name);
        it.model = static_cast<int>(m);
        it.board_kind = kind;
        it.constraint = c;
        items.push_back(std::move(it));
      }
    }
  }
  return items;
}

TuneRequest ItemRequest(const SweepDefinition& d, const SweepItem& item,
                        const std::string& model_id) {
  TuneRequest r;
  r.model_id = model_id;
  r.board_kinds = {item.board_kind};
  r.sram_budget_bytes = item.constraint.sram_budget_bytes;
  r.flash_budget_bytes = item.constraint.flash_budget_bytes;
  r.allow_external_memory = item.constraint.allow_external_memory;
  r.max_n_patch = item.constraint.max_n_patch;
  r.measurement_budget = d.measurement_budget;
  r.batch_size = d.batch_size;
  r.runs_per_measurement = d.runs_per_measurement;
  r.seed = d.seed;
  r.label = absl::StrCat("sweep ", d.name, ": ", item.key).substr(0, 200);
  return r;
}

absl::StatusOr<SweepDefinition> ParseSweepDefinition(
    const std::string& text, const std::string& origin,
    const std::string& base_dir, const std::string& default_name,
    const std::vector<space::BoardSpec>& catalogue) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Bad(origin, "not a JSON object");
  }
  if (absl::Status s = CheckKeys(
          j,
          {"name", "description", "schedule", "timezone", "enabled", "models",
           "board_kinds", "constraints", "measurement_budget", "batch_size",
           "runs_per_measurement", "seed", "remeasure_after_hours",
           "remeasure_repeats", "catch_up", "drift"},
          origin);
      !s.ok()) {
    return s;
  }
  SweepDefinition d;
  d.name = default_name;
  if (absl::Status s = GetString(j, "name", origin, 64, &d.name); !s.ok())
    return s;
  if (!ValidName(d.name, 64)) {
    return Bad(origin + ".name", "must be [A-Za-z0-9._-]{1,64}");
  }
  if (absl::Status s =
          GetString(j, "description", origin, 1000, &d.description);
      !s.ok()) {
    return s;
  }
  if (!j.contains("schedule")) return Bad(origin, "\"schedule\" is required");
  if (absl::Status s = GetString(j, "schedule", origin, 256, &d.schedule);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<CronSchedule> cron = CronSchedule::Parse(d.schedule);
  if (!cron.ok())
    return Bad(origin + ".schedule", std::string(cron.status().message()));
  d.cron = *cron;
  if (absl::Status s = GetString(j, "timezone", origin, 64, &d.timezone);
      !s.ok()) {
    return s;
  }
  // An IANA name, never a path: absl opens "/dev/stdin" or "../x" as given.
  if (!ValidTimeZoneName(d.timezone)) {
    return Bad(origin + ".timezone",
               absl::StrCat("'", d.timezone,
                            "' is not a time zone name (\"UTC\" or an IANA "
                            "name such as \"Europe/Berlin\")"));
  }
  if (!absl::LoadTimeZone(d.timezone, &d.tz)) {
    return Bad(origin + ".timezone",
               absl::StrCat("unknown time zone '", d.timezone,
                            "' (\"UTC\" or an IANA name such as "
                            "\"Europe/Berlin\")"));
  }
  if (j.contains("enabled")) {
    if (!j["enabled"].is_boolean()) {
      return Bad(origin + ".enabled", "must be true or false");
    }
    d.enabled = j["enabled"].get<bool>();
  }
  if (!j.contains("models") || !j["models"].is_array() || j["models"].empty() ||
      j["models"].size() > 64) {
    return Bad(origin + ".models", "a list of 1..64 models is required");
  }
  std::set<std::string> model_names;
  for (size_t i = 0; i < j["models"].size(); ++i) {
    absl::StatusOr<SweepModel> m = ParseModel(
        j["models"][i], absl::StrCat(origin, ".models[", i, "]"), base_dir);
    if (!m.ok()) return m.status();
    if (!model_names.insert(m->name).second) {
      return Bad(absl::StrCat(origin, ".models[", i, "]"),
                 absl::StrCat("model name '", m->name, "' repeated"));
    }
    d.models.push_back(std::move(*m));
  }
  if (!j.contains("board_kinds") || !j["board_kinds"].is_array() ||
      j["board_kinds"].empty() || j["board_kinds"].size() > kMaxBoardKinds) {
    return Bad(origin + ".board_kinds",
               absl::StrCat("a list of 1..", kMaxBoardKinds,
                            " board kinds is required"));
  }
  for (const Json& k : j["board_kinds"]) {
    if (!k.is_string()) return Bad(origin + ".board_kinds", "strings only");
    const std::string kind = k.get<std::string>();
    if (std::find(d.board_kinds.begin(), d.board_kinds.end(), kind) !=
        d.board_kinds.end()) {
      return Bad(origin + ".board_kinds",
                 absl::StrCat("'", kind.substr(0, 64), "' repeated"));
    }
    d.board_kinds.push_back(kind);
  }
  if (j.contains("constraints")) {
    if (!j["constraints"].is_array() || j["constraints"].empty() ||
        j["constraints"].size() > 16) {
      return Bad(origin + ".constraints", "a list of 1..16 constraint sets");
    }
    std::set<std::string> names;
    for (size_t i = 0; i < j["constraints"].size(); ++i) {
      absl::StatusOr<SweepConstraint> c = ParseConstraint(
          j["constraints"][i], absl::StrCat(origin, ".constraints[", i, "]"));
      if (!c.ok()) return c.status();
      if (!names.insert(c->name).second) {
        return Bad(absl::StrCat(origin, ".constraints[", i, "].name"),
                   absl::StrCat("'", c->name, "' repeated"));
      }
      d.constraints.push_back(*c);
    }
  } else {
    d.constraints.push_back(SweepConstraint{});
  }
  if (absl::Status s = GetInt(j, "measurement_budget", origin, 1, 1000,
                              &d.measurement_budget);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          GetInt(j, "batch_size", origin, 1, kMaxBatchSize, &d.batch_size);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = GetInt(j, "runs_per_measurement", origin, 1,
                              kMaxRunsPerMeasurement, &d.runs_per_measurement);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = GetInt(j, "seed", origin, 0, int64_t{1} << 53, &d.seed);
      !s.ok()) {
    return s;
  }
  int64_t hours = 24 * 7;
  if (absl::Status s =
          GetInt(j, "remeasure_after_hours", origin, 0, 24 * 366, &hours);
      !s.ok()) {
    return s;
  }
  d.remeasure_after = absl::Hours(hours);
  if (absl::Status s =
          GetInt(j, "remeasure_repeats", origin, 1, 20, &d.remeasure_repeats);
      !s.ok()) {
    return s;
  }
  if (j.contains("catch_up")) {
    const Json& c = j["catch_up"];
    if (c == "latest") {
      d.catch_up = CatchUp::kLatest;
    } else if (c == "skip") {
      d.catch_up = CatchUp::kSkip;
    } else {
      return Bad(origin + ".catch_up", "\"latest\" or \"skip\"");
    }
  }
  if (j.contains("drift")) {
    const Json& dr = j["drift"];
    const std::string where = origin + ".drift";
    if (!dr.is_object()) return Bad(where, "must be an object");
    if (absl::Status s =
            CheckKeys(dr,
                      {"noise_floor", "spread_factor", "min_board_pairs",
                       "cost_model_abs_growth", "cost_model_rel_growth"},
                      where);
        !s.ok()) {
      return s;
    }
    for (absl::Status s :
         {GetDouble(dr, "noise_floor", where, 0.001, 0.5, &d.drift.noise_floor),
          GetDouble(dr, "spread_factor", where, 0, 100, &d.drift.spread_factor),
          GetInt(dr, "min_board_pairs", where, 1, 1000,
                 &d.drift.min_board_pairs),
          GetDouble(dr, "cost_model_abs_growth", where, 0, 10,
                    &d.drift.cost_model_abs_growth),
          GetDouble(dr, "cost_model_rel_growth", where, 0, 100,
                    &d.drift.cost_model_rel_growth)}) {
      if (!s.ok()) return s;
    }
  }
  // Every item must be a request the daemon would accept.
  const std::vector<SweepItem> items = Items(d);
  if (items.size() > static_cast<size_t>(kMaxSweepItems)) {
    return Bad(origin, absl::StrCat(items.size(),
                                    " items (models x board kinds x "
                                    "constraints) exceed ",
                                    kMaxSweepItems));
  }
  for (const SweepItem& item : items) {
    TuneRequest r = ItemRequest(d, item, std::string(64, '0'));
    if (absl::Status s = ValidateTuneRequest(catalogue, &r); !s.ok()) {
      return Bad(absl::StrCat(origin, " (", item.key, ")"),
                 std::string(s.message()));
    }
  }
  return d;
}

absl::StatusOr<std::vector<SweepDefinition>> LoadSweepDefinitions(
    const std::string& dir, const std::vector<space::BoardSpec>& catalogue) {
  std::vector<SweepDefinition> out;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return out;
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".json" && e.is_regular_file(ec)) {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, std::string> names;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    if (text.size() > (1 << 20)) return Bad(f.string(), "larger than 1 MiB");
    absl::StatusOr<SweepDefinition> d =
        ParseSweepDefinition(text, f.string(), f.parent_path().string(),
                             f.stem().string(), catalogue);
    if (!d.ok()) return d.status();
    d->file = fs::absolute(f, ec).string();
    if (auto [it, inserted] = names.emplace(d->name, f.string()); !inserted) {
      return Bad(f.string(), absl::StrCat("sweep name '", d->name,
                                          "' is also used by ", it->second));
    }
    out.push_back(std::move(*d));
  }
  return out;
}

std::string SweepDefinitionToJson(const SweepDefinition& d) {
  Json j;
  j["name"] = d.name;
  j["description"] = d.description;
  j["schedule"] = d.schedule;
  j["timezone"] = d.timezone;
  j["enabled"] = d.enabled;
  Json models = Json::array();
  for (const SweepModel& m : d.models) {
    Json e;
    e["name"] = m.name;
    if (!m.zoo.empty()) e["zoo"] = m.zoo;
    if (!m.file.empty()) e["file"] = m.file;
    models.push_back(e);
  }
  j["models"] = models;
  j["board_kinds"] = d.board_kinds;
  Json cs = Json::array();
  for (const SweepConstraint& c : d.constraints) {
    cs.push_back({{"name", c.name},
                  {"sram_budget", c.sram_budget_bytes},
                  {"flash_budget", c.flash_budget_bytes},
                  {"allow_external_memory", c.allow_external_memory},
                  {"max_n_patch", c.max_n_patch}});
  }
  j["constraints"] = cs;
  j["measurement_budget"] = d.measurement_budget;
  j["batch_size"] = d.batch_size;
  j["runs_per_measurement"] = d.runs_per_measurement;
  j["seed"] = d.seed;
  j["remeasure_after_hours"] = absl::ToInt64Hours(d.remeasure_after);
  j["remeasure_repeats"] = d.remeasure_repeats;
  j["catch_up"] = d.catch_up == CatchUp::kLatest ? "latest" : "skip";
  j["drift"] = {{"noise_floor", d.drift.noise_floor},
                {"spread_factor", d.drift.spread_factor},
                {"min_board_pairs", d.drift.min_board_pairs},
                {"cost_model_abs_growth", d.drift.cost_model_abs_growth},
                {"cost_model_rel_growth", d.drift.cost_model_rel_growth}};
  return j.dump();
}

}  // namespace mcutune::tuner
