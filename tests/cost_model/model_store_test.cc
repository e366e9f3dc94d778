// The SQLite store and the calibration data files: round trips, newest-wins,
// append-only versions, validation of what comes back from disk.
#include "cost_model/model_store.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "cost_model/calibration_data.h"
#include "cost_model/cost_model.h"

namespace mcutune::cost_model {
namespace {

namespace fs = std::filesystem;

StoredSample MakeSample(const std::string& model, const std::string& cand,
                        double measured) {
  StoredSample s;
  s.model_name = model;
  s.model_hash = "hash-" + model;
  s.candidate_id = cand;
  s.board_kind = "qemu-f746";
  s.features.Set("one", 1);
  s.features.Set("macs.planned", measured / 7);
  s.features.Set("macs.conv1x1", measured / 7);
  s.measured = measured;
  s.artifact_hash = "art-" + cand;
  s.toolchain = "gcc 12";
  return s;
}

std::unique_ptr<ModelStore> Memory() {
  auto s = ModelStore::Open(":memory:");
  REQUIRE(s.ok());
  return *std::move(s);
}

TEST_CASE("samples round-trip and the newest per candidate wins") {
  auto store = Memory();
  auto a = store->AddSample(MakeSample("net", "layerwise", 1000));
  auto b = store->AddSample(MakeSample("net", "patch-n2-s3", 2000));
  auto c = store->AddSample(MakeSample("net", "layerwise", 1100));  // refresh
  auto d = store->AddSample(MakeSample("other", "layerwise", 500));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  REQUIRE(d.ok());
  CHECK(*c > *a);
  auto all = store->Samples("qemu-f746");
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].model_name == "net");
  CHECK((*all)[0].candidate_id == "patch-n2-s3");
  CHECK((*all)[1].measured == 1100);
  CHECK((*all)[1].features.values ==
        MakeSample("net", "layerwise", 1100).features.values);
  CHECK((*all)[1].measured_on == "qemu-f746");  // defaults to the kind
  CHECK(!(*all)[1].created_at.empty());
  CHECK((*all)[2].model_name == "other");
  auto found = store->FindSample("qemu-f746", "hash-net", "layerwise");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->id == *c);
  auto none = store->FindSample("qemu-f469", "hash-net", "layerwise");
  REQUIRE(none.ok());
  CHECK(!none->has_value());
  // The old row is still there.
  auto old = store->SamplesById({*a});
  REQUIRE(old.ok());
  CHECK((*old)[0].measured == 1000);
  CHECK(store->SamplesById({424242}).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(store->Samples("qemu-l552")->empty());
}

TEST_CASE("invalid samples are refused") {
  auto store = Memory();
  StoredSample s = MakeSample("net", "c", 10);
  s.measured = -1;
  CHECK(store->AddSample(s).status().code() ==
        absl::StatusCode::kInvalidArgument);
  s = MakeSample("net", "", 10);
  CHECK(store->AddSample(s).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("model versions count up per kind and are never replaced") {
  auto store = Memory();
  ModelVersion v;
  v.board_kind = "qemu-f746";
  v.kind = "linear";
  v.params_json = "{\"v\":1}";
  v.sample_ids = {1, 2, 3};
  CHECK(*store->AddModelVersion(v) == 1);
  v.params_json = "{\"v\":2}";
  CHECK(*store->AddModelVersion(v) == 2);
  v.kind = "mac";
  CHECK(*store->AddModelVersion(v) == 1);
  v.board_kind = "qemu-l552";
  v.kind = "linear";
  CHECK(*store->AddModelVersion(v) == 1);
  auto latest = store->LatestModel("qemu-f746");
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->version == 2);
  CHECK((*latest)->params_json == "{\"v\":2}");
  CHECK((*latest)->sample_ids == std::vector<int64_t>{1, 2, 3});
  CHECK((*latest)->evaluation_json == "{}");
  auto all = store->ModelVersions("qemu-f746");
  REQUIRE(all.ok());
  CHECK(all->size() == 3);
  CHECK((*all)[0].params_json == "{\"v\":1}");
  CHECK(!store->LatestModel("qemu-h743")->has_value());
  CHECK(*store->BoardKinds() ==
        std::vector<std::string>{"qemu-f746", "qemu-l552"});
}

TEST_CASE("a malformed stored row is DATA_LOSS, not a crash") {
  auto store = Memory();
  REQUIRE(store->AddSample(MakeSample("net", "c", 10)).ok());
  // Rows of another feature-set version are kept with zero features (the
  // caller re-extracts them), whatever their JSON.
  StoredSample old = MakeSample("net", "d", 10);
  old.feature_set_version = kFeatureSetVersion - 1;
  REQUIRE(store->AddSample(old).ok());
  auto rows = store->Samples("qemu-f746");
  REQUIRE(rows.ok());
  CHECK((*rows)[1].feature_set_version == kFeatureSetVersion - 1);
  CHECK((*rows)[1].features.values == FeatureVector().values);
  REQUIRE(
      store->database()
          .Exec(
              "INSERT INTO cost_samples (model_name, model_hash, candidate_id, "
              "board_kind, measured_on, feature_set_version, features_json, "
              "measured, "
              "unit, artifact_hash, toolchain, source, created_at, "
              "measure_seconds) "
              "VALUES ('x', 'h', 'c', 'qemu-f746', 'qemu-f746', " +
              std::to_string(kFeatureSetVersion) +
              ", '{\"bogus\":1}', 5, 'instructions', '', '', 'job', 'now', 0)")
          .ok());
  CHECK(store->Samples("qemu-f746").status().code() ==
        absl::StatusCode::kDataLoss);
  REQUIRE(store->database()
              .Exec("INSERT INTO cost_model_versions (board_kind, version, "
                    "kind, params_json, "
                    "sample_ids_json, evaluation_json, note, created_at) "
                    "VALUES ('k', 1, "
                    "'linear', '{}', 'not json', '{}', '', 'now')")
              .ok());
  CHECK(store->LatestModel("k").status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("calibration files round-trip and seed an empty store once") {
  CalibrationData d;
  d.board_kind = "qemu-f746";
  d.machine = "mps2-an500";
  d.core = "cortex-m7";
  d.toolchain = "gcc 12";
  d.builds = 3;
  d.failed = {"net/x: link"};
  std::vector<Sample> fit;
  for (int i = 0; i < 6; ++i) {
    StoredSample s =
        MakeSample(i % 2 ? "a" : "b", "c" + std::to_string(i), 1000 + 100 * i);
    d.samples.push_back(s);
    Sample x;
    x.model = s.model_name;
    x.features = s.features;
    x.measured = s.measured;
    fit.push_back(x);
  }
  auto model = MakeCostModel();
  REQUIRE(model->Fit(fit).ok());
  auto base = MakeMacBaseline();
  REQUIRE(base->Fit(fit).ok());
  d.model_json = model->ToJson();
  d.baseline_json = base->ToJson();
  d.evaluation_json = "{\"mape\":0.1}";
  const std::string text = FormatCalibrationData(d);
  auto back = ParseCalibrationData(text, "test");
  REQUIRE(back.ok());
  CHECK(back->board_kind == "qemu-f746");
  CHECK(back->measured_on == "qemu-f746");
  CHECK(back->builds == 3);
  CHECK(back->failed == d.failed);
  REQUIRE(back->samples.size() == 6);
  CHECK(back->samples[5].measured == 1500);
  CHECK(back->samples[5].features.values == d.samples[5].features.values);
  CHECK(back->samples[5].model_hash == d.samples[5].model_hash);
  CHECK(back->samples[5].source == "shipped");

  const fs::path dir =
      fs::temp_directory_path() / "mcutune_cost_model_store_test";
  fs::remove_all(dir);
  REQUIRE(WriteCalibrationFile((dir / "qemu-f746.json").string(), d).ok());
  auto store = Memory();
  auto imported = ImportShippedData(*store, dir.string());
  REQUIRE(imported.ok());
  CHECK(*imported == std::vector<std::string>{"qemu-f746"});
  auto latest = store->LatestModel("qemu-f746");
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->sample_ids.size() == 6);
  auto restored = CostModelFromJson((*latest)->params_json);
  REQUIRE(restored.ok());
  CHECK((*restored)->Predict(fit[0].features).mean ==
        model->Predict(fit[0].features).mean);
  CHECK(store->LatestModel("qemu-f746", "mac")->has_value());
  // A second import does nothing: the kind already has a model.
  CHECK(ImportShippedData(*store, dir.string())->empty());
  CHECK(store->ModelVersions("qemu-f746")->size() == 2);
  // A missing directory imports nothing.
  CHECK(ImportShippedData(*store, (dir / "nope").string())->empty());
  // Data of another feature-set version is skipped (needs a refresh); other
  // malformed files are errors.
  std::string stale = text;
  const std::string key =
      "\"feature_set_version\": " + std::to_string(kFeatureSetVersion);
  REQUIRE(stale.find(key) != std::string::npos);
  stale.replace(stale.find(key), key.size(), "\"feature_set_version\": 0");
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "qemu-f469.json") << stale;
  auto fresh = Memory();
  auto none = ImportShippedData(*fresh, dir.string());
  REQUIRE(none.ok());
  CHECK(none->empty());
  std::ofstream(dir / "qemu-l552.json") << "{\"format\": 1}";
  CHECK(ImportShippedData(*fresh, dir.string()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  fs::remove_all(dir);
}

TEST_CASE("malformed calibration files are rejected with the origin") {
  const std::string v = std::to_string(kFeatureSetVersion);
  for (const std::string& bad :
       {std::string("{"), std::string("[]"), std::string("{\"format\":2}"),
        "{\"format\":1,\"feature_set_version\":" + v + "}",
        "{\"format\":1,\"feature_set_version\":" + v +
            ",\"feature_names\":[\"one\"]}",
        std::string("{\"format\":1,\"feature_set_version\":0}")}) {
    INFO(bad);
    auto r = ParseCalibrationData(bad, "f.json");
    REQUIRE(!r.ok());
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(r.status().message()).rfind("f.json", 0) == 0);
  }
  CalibrationData d;
  d.board_kind = "k";
  d.samples.push_back(MakeSample("a", "c", 5));
  std::string text = FormatCalibrationData(d);
  // A sample row with a wrong number of features.
  const std::string row = "\"f\":[";
  text.replace(text.find(row), row.size(), "\"f\":[1,");
  CHECK(ParseCalibrationData(text, "x").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ReadCalibrationFile("/nonexistent/x.json").status().code() ==
        absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace mcutune::cost_model
