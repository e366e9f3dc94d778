// Sweep item inputs and fingerprints (sweep_inputs.h).
// - The codegen hash covers every regular file under codegen/kernels and
//   codegen/firmware, in sorted relative-path order, path and bytes both
//   hashed, so renames count too.
// - Models are stored like UploadModel stores them (summary + analysis).
#include "tuner/sweep_inputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/str_cat.h"
#include "codegen/firmware_builder.h"
#include "device_farm/board.h"
#include "graph/analysis.h"
#include "graph/analysis_format.h"
#include "graph/tflite_reader.h"
#include "graph/tflite_writer.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"

namespace mcutune::tuner {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

}  // namespace

std::string CodegenVersion(const std::string& root_in) {
  const fs::path root = root_in.empty()
                            ? fs::path(codegen::FirmwareIncludeRoot())
                            : fs::path(root_in);
  std::vector<std::string> files;
  std::error_code ec;
  for (const char* sub : {"codegen/kernels", "codegen/firmware"}) {
    const fs::path dir = root / sub;
    if (!fs::is_directory(dir, ec)) continue;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_regular_file(ec)) {
        files.push_back(fs::relative(it->path(), root, ec).string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  std::string blob;
  for (const std::string& f : files) {
    const std::string bytes = ReadAll(root / f);
    absl::StrAppend(&blob, f, "\n", bytes.size(), "\n", bytes);
  }
  if (files.empty()) return absl::StrCat(kCodegenVersion, "+no-sources");
  return absl::StrCat(
      kCodegenVersion, "+",
      device_farm::Sha256Hex(blob.data(), blob.size()).substr(0, 16));
}

std::string ToolchainVersion() {
  absl::StatusOr<std::string> v = codegen::CompilerVersion("arm-none-eabi-gcc");
  if (!v.ok()) return absl::StrCat("unavailable: ", v.status().message());
  return *v;
}

std::string ItemInputsToJson(const ItemInputs& in) {
  nlohmann::json j;
  j["model_hash"] = in.model_hash;
  j["board_kind"] = in.board_kind;
  j["toolchain"] = in.toolchain;
  j["codegen"] = in.codegen;
  j["cost_model_version"] = in.cost_model_version;
  j["request"] = nlohmann::json::parse(in.request_json, nullptr, false);
  return j.dump();
}

absl::StatusOr<ItemInputs> ItemInputsFromJson(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [] {
    return absl::InvalidArgumentError("malformed sweep item inputs");
  };
  if (j.is_discarded() || !j.is_object()) return bad();
  ItemInputs in;
  for (auto [key, out] :
       {std::pair<const char*, std::string*>{"model_hash", &in.model_hash},
        {"board_kind", &in.board_kind},
        {"toolchain", &in.toolchain},
        {"codegen", &in.codegen}}) {
    if (!j.contains(key) || !j[key].is_string()) return bad();
    *out = j[key].get<std::string>();
  }
  if (!j.contains("cost_model_version") ||
      !j["cost_model_version"].is_number_integer())
    return bad();
  in.cost_model_version = j["cost_model_version"].get<int>();
  if (!j.contains("request") || !j["request"].is_object()) return bad();
  in.request_json = j["request"].dump();
  return in;
}

std::string Fingerprint(const ItemInputs& in) {
  const std::string j = ItemInputsToJson(in);
  return device_farm::Sha256Hex(j.data(), j.size());
}

std::string DescribeChange(const ItemInputs& a, const ItemInputs& b) {
  std::vector<std::string> parts;
  auto shorten = [](const std::string& s) { return s.substr(0, 80); };
  if (a.model_hash != b.model_hash) {
    parts.push_back(absl::StrCat("model ", a.model_hash.substr(0, 12), " -> ",
                                 b.model_hash.substr(0, 12)));
  }
  if (a.board_kind != b.board_kind) {
    parts.push_back(
        absl::StrCat("board kind ", a.board_kind, " -> ", b.board_kind));
  }
  if (a.toolchain != b.toolchain) {
    parts.push_back(absl::StrCat("toolchain '", shorten(a.toolchain), "' -> '",
                                 shorten(b.toolchain), "'"));
  }
  if (a.codegen != b.codegen) {
    parts.push_back(absl::StrCat("codegen ", a.codegen, " -> ", b.codegen));
  }
  if (a.cost_model_version != b.cost_model_version) {
    parts.push_back(absl::StrCat("cost model v", a.cost_model_version, " -> v",
                                 b.cost_model_version));
  }
  if (nlohmann::json::parse(a.request_json, nullptr, false) !=
      nlohmann::json::parse(b.request_json, nullptr, false)) {
    parts.push_back("request (constraints or budget) changed");
  }
  std::string out;
  for (const std::string& p : parts)
    absl::StrAppend(&out, out.empty() ? "" : "; ", p);
  return out;
}

absl::StatusOr<std::string> SweepModelBytes(const SweepModel& m) {
  if (!m.file.empty()) {
    std::error_code ec;
    const uintmax_t size = fs::file_size(m.file, ec);
    if (ec)
      return absl::NotFoundError(absl::StrCat("cannot read model ", m.file));
    if (size > (uintmax_t{512} << 20)) {
      return absl::ResourceExhaustedError(
          absl::StrCat(m.file, " is larger than 512 MiB"));
    }
    return ReadAll(m.file);
  }
  absl::StatusOr<graph::zoo::ZooEntry> e = graph::zoo::FindInZoo(m.zoo);
  if (!e.ok()) return e.status();
  absl::StatusOr<graph::Graph> g = graph::zoo::Synthesize(e->arch, /*seed=*/1);
  if (!g.ok()) return g.status();
  absl::StatusOr<std::vector<uint8_t>> bytes = graph::WriteTflite(*g);
  if (!bytes.ok()) return bytes.status();
  return std::string(bytes->begin(), bytes->end());
}

absl::StatusOr<std::string> StoreSweepModel(Store& store, const SweepModel& m,
                                            const std::string& bytes) {
  const std::string sha = device_farm::Sha256Hex(bytes.data(), bytes.size());
  absl::StatusOr<ModelRecord> existing = store.GetModel(sha);
  if (existing.ok()) return sha;
  if (!absl::IsNotFound(existing.status())) return existing.status();
  absl::StatusOr<graph::Graph> g =
      graph::ImportTflite(absl::Span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!g.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("model ", m.name, " rejected: ", g.status().message()));
  }
  const graph::Analysis analysis = graph::Analyze(*g);
  nlohmann::json summary;
  summary["operators"] = g->ops.size();
  summary["tensors"] = g->tensors.size();
  summary["macs"] = analysis.macs_total;
  summary["params"] = analysis.params_bytes;
  summary["input_shape"] = g->inputs.empty() ? std::vector<int32_t>{}
                                             : g->tensors[g->inputs[0]].shape;
  summary["output_shape"] = g->outputs.empty()
                                ? std::vector<int32_t>{}
                                : g->tensors[g->outputs[0]].shape;
  ModelRecord rec;
  rec.id = sha;
  rec.name = m.name;
  rec.size_bytes = static_cast<int64_t>(bytes.size());
  rec.summary_json = summary.dump();
  rec.analysis_json = graph::FormatAnalysisJson(*g, analysis);
  rec.uploaded_at_ms = NowMs();
  absl::StatusOr<bool> inserted = store.PutModel(rec, bytes);
  if (!inserted.ok()) return inserted.status();
  return sha;
}

}  // namespace mcutune::tuner
