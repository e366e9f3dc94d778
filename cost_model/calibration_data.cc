// Calibration data files (calibration_data.h).
// - Samples are rows of numbers in FeatureNames() order (integral values
//   written as integers): a few hundred bytes per sample.
// - Parsing validates everything before any of it is used.
#include "cost_model/calibration_data.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace mcutune::cost_model {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json Number(double v) {
  if (std::abs(v) < 9e15 && v == std::floor(v)) return static_cast<int64_t>(v);
  return v;
}

json ParseOr(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

absl::StatusOr<CalibrationData> Parse(const json& j,
                                      const std::string& origin) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", why));
  };
  if (!j.is_object()) return bad("not a JSON object");
  if (j.value("format", 0) != 1) return bad("format must be 1");
  if (j.value("feature_set_version", 0) != kFeatureSetVersion) {
    return bad(absl::StrCat("feature_set_version must be ", kFeatureSetVersion,
                            " (re-run mcutune model calibrate)"));
  }
  if (!j.contains("feature_names") ||
      j["feature_names"].get<std::vector<std::string>>() != FeatureNames()) {
    return bad("feature_names differ from this build's feature set");
  }
  CalibrationData d;
  d.board_kind = j.value("board_kind", "");
  if (d.board_kind.empty()) return bad("missing board_kind");
  d.measured_on = j.value("measured_on", d.board_kind);
  d.machine = j.value("machine", "");
  d.core = j.value("core", "");
  d.unit = j.value("unit", "instructions");
  d.toolchain = j.value("toolchain", "");
  d.created_at = j.value("created_at", "");
  d.generated_by = j.value("generated_by", "");
  d.codegen = j.value("codegen", "");
  if (j.contains("calibration")) {
    const json& c = j["calibration"];
    d.seconds = c.value("seconds", 0.0);
    d.measure_seconds = c.value("measure_seconds", 0.0);
    d.builds = c.value("builds", 0);
    d.runs = c.value("runs", 0);
    d.cached = c.value("cached", 0);
    d.failed = c.value("failed", std::vector<std::string>{});
  }
  std::map<std::string, std::string> hashes =
      j.value("models", std::map<std::string, std::string>{});
  if (!j.contains("samples") || !j["samples"].is_array())
    return bad("missing samples");
  const size_t n_features = FeatureNames().size();
  for (size_t i = 0; i < j["samples"].size(); ++i) {
    const json& s = j["samples"][i];
    StoredSample x;
    x.model_name = s.value("model", "");
    x.candidate_id = s.value("candidate", "");
    x.measured = s.value("measured", 0.0);
    x.artifact_hash = s.value("artifact", "");
    auto it = hashes.find(x.model_name);
    if (x.model_name.empty() || x.candidate_id.empty() || it == hashes.end()) {
      return bad(absl::StrCat(
          "sample ", i, ": needs model (listed in models) and candidate"));
    }
    x.model_hash = it->second;
    if (!(x.measured > 0) || !std::isfinite(x.measured)) {
      return bad(absl::StrCat("sample ", i, ": measured must be > 0"));
    }
    const std::vector<double> f = s.value("f", std::vector<double>{});
    if (f.size() != n_features) {
      return bad(absl::StrCat("sample ", i, ": f has ", f.size(),
                              " values, expected ", n_features));
    }
    for (double v : f) {
      if (!std::isfinite(v) || v < 0) {
        return bad(absl::StrCat("sample ", i,
                                ": feature values must be finite and >= 0"));
      }
    }
    x.features.values = f;
    x.board_kind = d.board_kind;
    x.measured_on = d.measured_on;
    x.unit = d.unit;
    x.toolchain = BuildIdentity(d.toolchain, d.codegen);
    x.source = "shipped";
    d.samples.push_back(std::move(x));
  }
  if (j.contains("model")) d.model_json = j["model"].dump();
  if (j.contains("baseline")) d.baseline_json = j["baseline"].dump();
  if (j.contains("evaluation")) d.evaluation_json = j["evaluation"].dump();
  return d;
}

std::shared_ptr<spdlog::logger> Logger() {
  std::shared_ptr<spdlog::logger> log = spdlog::get("cost_model");
  return log ? log : spdlog::default_logger();
}

// True when the file is JSON whose feature_set_version is not ours.
bool IsStaleVersion(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const json j = json::parse(ss.str(), nullptr, false);
  return j.is_object() && j.contains("feature_set_version") &&
         j["feature_set_version"].is_number_integer() &&
         j["feature_set_version"].get<int>() != kFeatureSetVersion;
}

}  // namespace

std::string FormatCalibrationData(const CalibrationData& d) {
  json j;
  j["format"] = 1;
  j["board_kind"] = d.board_kind;
  j["measured_on"] = d.measured_on.empty() ? d.board_kind : d.measured_on;
  j["machine"] = d.machine;
  j["core"] = d.core;
  j["unit"] = d.unit;
  j["toolchain"] = d.toolchain;
  j["created_at"] = d.created_at;
  j["generated_by"] = d.generated_by;
  if (!d.codegen.empty()) j["codegen"] = d.codegen;
  j["calibration"] = {
      {"seconds", std::round(d.seconds * 10) / 10},
      {"measure_seconds", std::round(d.measure_seconds * 10) / 10},
      {"builds", d.builds},
      {"runs", d.runs},
      {"cached", d.cached},
      {"failed", d.failed}};
  j["feature_set_version"] = kFeatureSetVersion;
  j["feature_names"] = FeatureNames();
  json models = json::object();
  json samples = json::array();
  for (const StoredSample& s : d.samples) {
    models[s.model_name] = s.model_hash;
    json f = json::array();
    for (double v : s.features.values) f.push_back(Number(v));
    samples.push_back({{"model", s.model_name},
                       {"candidate", s.candidate_id},
                       {"measured", Number(s.measured)},
                       {"artifact", s.artifact_hash},
                       {"f", f}});
  }
  j["models"] = models;
  j["samples"] = samples;
  j["model"] = ParseOr(d.model_json);
  j["baseline"] = ParseOr(d.baseline_json);
  j["evaluation"] = ParseOr(d.evaluation_json);
  // One sample per line keeps diffs of a refresh readable.
  std::string out = "{\n";
  bool first = true;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!first) out += ",\n";
    first = false;
    out += "  " + json(it.key()).dump() + ": ";
    if (it.key() == "samples") {
      out += "[\n";
      for (size_t i = 0; i < it->size(); ++i) {
        out += "    " + (*it)[i].dump() + (i + 1 < it->size() ? ",\n" : "\n");
      }
      out += "  ]";
    } else {
      out += it->dump();
    }
  }
  return out + "\n}\n";
}

std::string BuildIdentity(const std::string& toolchain,
                          const std::string& codegen) {
  return codegen.empty() ? toolchain : toolchain + " + codegen " + codegen;
}

absl::StatusOr<CalibrationData> ParseCalibrationData(
    std::string_view text, const std::string& origin) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": not valid JSON"));
  }
  try {
    return Parse(j, origin);
  } catch (const json::exception& e) {  // a field of the wrong type
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", e.what()));
  }
}

absl::StatusOr<CalibrationData> ReadCalibrationFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ParseCalibrationData(ss.str(), path);
}

absl::Status WriteCalibrationFile(const std::string& path,
                                  const CalibrationData& data) {
  std::error_code ec;
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f)
      return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp));
    f << FormatCalibrationData(data);
    if (!f) return absl::InternalError(absl::StrCat("write failed: ", tmp));
  }
  fs::rename(tmp, path, ec);
  if (ec)
    return absl::InternalError(
        absl::StrCat("rename ", tmp, ": ", ec.message()));
  return absl::OkStatus();
}

std::string DefaultCostModelsDir() {
  if (const char* env = std::getenv("MCUTUNE_COST_MODELS_DIR"); env && *env)
    return env;
  return std::string(MCUTUNE_SOURCE_DIR) + "/configs/cost_models";
}

absl::Status ImportCalibrationData(ModelStore& store,
                                   const CalibrationData& d) {
  std::vector<int64_t> ids;
  for (const StoredSample& s : d.samples) {
    absl::StatusOr<std::optional<StoredSample>> old =
        store.FindSample(d.board_kind, s.model_hash, s.candidate_id);
    if (!old.ok()) return old.status();
    if (*old && (*old)->artifact_hash == s.artifact_hash &&
        (*old)->measured == s.measured &&
        (*old)->feature_set_version == kFeatureSetVersion &&
        (*old)->features.values == s.features.values) {
      ids.push_back((*old)->id);
      continue;
    }
    absl::StatusOr<int64_t> id = store.AddSample(s);
    if (!id.ok()) return id.status();
    ids.push_back(*id);
  }
  const std::pair<const std::string*, const char*> models[] = {
      {&d.model_json, "linear"}, {&d.baseline_json, "mac"}};
  for (const auto& [params, kind] : models) {
    if (params->empty() || *params == "{}") continue;
    ModelVersion v;
    v.board_kind = d.board_kind;
    v.kind = kind;
    v.params_json = *params;
    v.sample_ids = ids;
    v.evaluation_json = d.evaluation_json;
    v.note = "shipped calibration data";
    absl::StatusOr<int> version = store.AddModelVersion(v);
    if (!version.ok()) return version.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ImportShippedData(
    ModelStore& store, const std::string& dir,
    const std::string& current_codegen) {
  std::vector<std::string> imported;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return imported;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    absl::StatusOr<CalibrationData> d = ReadCalibrationFile(p.string());
    if (!d.ok() && IsStaleVersion(p)) {
      // Data of another feature set: usable again after a refresh.
      Logger()->warn(
          "{}: calibration data of another feature set, not imported (re-run "
          "mcutune model calibrate)",
          p.string());
      continue;
    }
    if (!d.ok()) return d.status();
    absl::StatusOr<std::optional<ModelVersion>> have =
        store.LatestModel(d->board_kind);
    if (!have.ok()) return have.status();
    if (*have) continue;
    if (!current_codegen.empty() && d->codegen != current_codegen) {
      Logger()->warn(
          "{}: measured with codegen '{}', the kernels are now '{}': "
          "predictions may be off until `mcutune model calibrate "
          "--board-kind {} --refresh`",
          p.string(), d->codegen.empty() ? "unknown" : d->codegen,
          current_codegen, d->board_kind);
    }
    if (absl::Status s = ImportCalibrationData(store, *d); !s.ok()) return s;
    imported.push_back(d->board_kind);
  }
  return imported;
}

}  // namespace mcutune::cost_model
