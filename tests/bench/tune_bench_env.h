// The machinery of tune_bench.cc: a daemon-like tuning environment in one
// work directory (SQLite stores, the cost model seeded from the shipped
// qemu-f746 calibration data, a farm of the qemu-f746 boards of
// configs/farm.json, the codegen firmware factory), jobs run to the end, an
// "everything left" search strategy for the exhaustive pass, and the
// comparison of the two fronts (pareto_metrics.h).
// Header-only, for that one benchmark.
#ifndef MCUTUNE_TESTS_BENCH_TUNE_BENCH_ENV_H_
#define MCUTUNE_TESTS_BENCH_TUNE_BENCH_ENV_H_

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cost_model/calibration_data.h"
#include "cost_model/model_store.h"
#include "device_farm/board.h"
#include "device_farm/farm_store.h"
#include "device_farm/inventory.h"
#include "device_farm/scheduler.h"
#include "graph/tflite_reader.h"
#include "graph/tflite_writer.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "tests/bench/pareto_metrics.h"
#include "tuner/firmware_factory.h"
#include "tuner/measurer.h"
#include "tuner/space/enumerate.h"
#include "tuner/store.h"
#include "tuner/tune_job.h"

namespace mcutune::bench {

inline constexpr char kBoardKind[] = "qemu-f746";

inline void SilenceLogs() { spdlog::set_level(spdlog::level::warn); }

// The exhaustive pass's limits and what it did.
struct ExhaustiveControl {
  int cap = 0;  // new candidates at most (0 = all)
  absl::Time deadline = absl::InfiniteFuture();
  bool capped = false;  // the cap or the deadline left candidates out
  int remaining = 0;    // candidates not settled when the pass began
  int planned = 0;      // of those, taken
};

// Every candidate not settled yet, fastest predicted first. Over the cap:
// the predicted Pareto layers (latency, SRAM, flash) up to half of it, then
// an SRAM-stratified sample of the rest.
class ExhaustiveStrategy : public tuner::SearchStrategy {
 public:
  explicit ExhaustiveStrategy(ExhaustiveControl* control) : c_(control) {}

  std::vector<int> NextBatch(const std::vector<tuner::PoolEntry>& pool,
                             int max) override {
    if (!planned_) Plan(pool);
    std::vector<int> out;
    if (absl::Now() > c_->deadline && next_ < plan_.size()) {
      c_->capped = true;
      c_->planned = static_cast<int>(next_);
      return out;
    }
    while (next_ < plan_.size() && static_cast<int>(out.size()) < max) {
      const int i = plan_[next_++];
      if (!pool[i].done) out.push_back(i);
    }
    return out;
  }
  void NotifyResults(const std::vector<int>&, bool) override {}

 private:
  void Plan(const std::vector<tuner::PoolEntry>& pool) {
    planned_ = true;
    std::vector<int> left;
    for (size_t i = 0; i < pool.size(); ++i) {
      if (!pool[i].done) left.push_back(static_cast<int>(i));
    }
    auto by_latency = [&](int a, int b) {
      return pool[a].predicted.latency < pool[b].predicted.latency;
    };
    c_->remaining = static_cast<int>(left.size());
    if (c_->cap <= 0 || static_cast<int>(left.size()) <= c_->cap) {
      std::sort(left.begin(), left.end(), by_latency);
      plan_ = left;
      c_->planned = static_cast<int>(plan_.size());
      return;
    }
    c_->capped = true;
    std::vector<bool> open(pool.size(), false);
    for (int i : left) open[i] = true;
    std::vector<std::string> kinds;
    std::vector<std::vector<double>> objectives;
    for (const tuner::PoolEntry& e : pool) {
      kinds.push_back(e.board_kind);
      std::vector<double> o{e.predicted.latency};
      o.insert(o.end(), e.other_objectives.begin(), e.other_objectives.end());
      objectives.push_back(std::move(o));
    }
    const size_t half = static_cast<size_t>(c_->cap / 2);
    while (plan_.size() < half) {
      const std::vector<bool> layer_mask =
          tuner::ParetoMask(kinds, objectives, open);
      std::vector<int> layer;
      for (size_t i = 0; i < pool.size(); ++i) {
        if (layer_mask[i]) layer.push_back(static_cast<int>(i));
      }
      if (layer.empty()) break;
      std::sort(layer.begin(), layer.end(), by_latency);
      for (int i : layer) {
        if (plan_.size() < half) {
          plan_.push_back(i);
          open[i] = false;
        }
      }
    }
    std::vector<int> rest;
    for (int i : left) {
      if (open[i]) rest.push_back(i);
    }
    std::sort(rest.begin(), rest.end(), [&](int a, int b) {
      return pool[a].other_objectives.at(0) < pool[b].other_objectives.at(0);
    });
    const size_t need = static_cast<size_t>(c_->cap) - plan_.size();
    for (size_t k = 0; k < need && !rest.empty(); ++k) {
      plan_.push_back(rest[std::min(
          rest.size() - 1, static_cast<size_t>((k + 0.5) * rest.size() / need))]);
    }
    c_->planned = static_cast<int>(plan_.size());
  }

  ExhaustiveControl* c_;
  bool planned_ = false;
  std::vector<int> plan_;
  size_t next_ = 0;
};

struct JobOutcome {
  bool ok = false;
  std::string job_id;
  double seconds = 0;
  double front_final_seconds = 0;  // last change of the measured front
  int rounds = 0, measurements = 0, measure_failed = 0;
  int build_failed = 0, verify_failed = 0, front_size = 0;
  std::vector<Point> points;  // measured ok: {latency, peak SRAM, flash}
  std::vector<std::string> keys;
};

class BenchEnv {
 public:
  int fitting = 0;
  int prior_samples = 0;
  std::string model_summary;

  ~BenchEnv() {
    if (scheduler_) scheduler_->Stop();
  }

  absl::Status Open(const std::filesystem::path& dir, const std::string& name,
                    const std::string& bytes, bool hold_out) {
    std::filesystem::create_directories(dir / "builds");
    absl::StatusOr<std::unique_ptr<base::Database>> db =
        base::Database::Open((dir / "mcutune.db").string());
    if (!db.ok()) return db.status();
    db_ = std::shared_ptr<base::Database>(std::move(*db));
    absl::StatusOr<std::unique_ptr<tuner::Store>> store =
        tuner::Store::Attach(db_);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    absl::StatusOr<std::unique_ptr<device_farm::FarmStore>> farm =
        device_farm::FarmStore::Attach(db_);
    if (!farm.ok()) return farm.status();
    std::shared_ptr<device_farm::FarmStore> farm_store = std::move(*farm);
    absl::StatusOr<std::unique_ptr<cost_model::ModelStore>> cost =
        cost_model::ModelStore::Attach(db_);
    if (!cost.ok()) return cost.status();
    cost_ = std::move(*cost);
    model_id_ = device_farm::Sha256Hex(bytes.data(), bytes.size());

    // The cost model's prior: the shipped samples, minus the network's own.
    absl::StatusOr<cost_model::CalibrationData> data =
        cost_model::ReadCalibrationFile(
            absl::StrCat(MCUTUNE_SOURCE_DIR "/configs/cost_models/",
                         kBoardKind, ".json"));
    if (!data.ok()) return data.status();
    if (hold_out) {
      auto& s = data->samples;
      s.erase(std::remove_if(s.begin(), s.end(),
                             [&](const cost_model::StoredSample& x) {
                               return x.model_name == name ||
                                      x.model_hash == model_id_;
                             }),
              s.end());
    }
    prior_samples = static_cast<int>(data->samples.size());
    if (absl::Status s = cost_model::ImportCalibrationData(*cost_, *data);
        !s.ok()) {
      return s;
    }

    absl::StatusOr<std::vector<space::BoardSpec>> catalogue =
        space::LoadBoardCatalogue(MCUTUNE_SOURCE_DIR "/configs/boards");
    if (!catalogue.ok()) return catalogue.status();
    catalogue_ = *catalogue;
    absl::StatusOr<device_farm::Inventory> inventory =
        device_farm::LoadInventory(MCUTUNE_SOURCE_DIR "/configs/farm.json",
                                   catalogue_);
    if (!inventory.ok()) return inventory.status();
    std::vector<device_farm::InventoryBoard> mine;
    for (const auto& b : inventory->boards) {
      if (b.kind == kBoardKind) mine.push_back(b);
    }
    inventory->boards = mine;
    device_farm::SchedulerOptions so;
    device_farm::ApplyInventory(*inventory, &so);
    absl::StatusOr<std::vector<std::unique_ptr<device_farm::Board>>> boards =
        device_farm::BuildBoards(*inventory, catalogue_);
    if (!boards.ok()) return boards.status();
    absl::StatusOr<std::unique_ptr<device_farm::Scheduler>> scheduler =
        device_farm::MakeScheduler(farm_store, std::move(*boards), so);
    if (!scheduler.ok()) return scheduler.status();
    scheduler_ = std::move(*scheduler);
    measurer_ = tuner::MakeSchedulerMeasurer(scheduler_.get());
    firmware_ = tuner::MakeCodegenFirmwareFactory();

    tuner::ModelRecord m;
    m.id = model_id_;
    m.name = name;
    m.size_bytes = static_cast<int64_t>(bytes.size());
    absl::StatusOr<bool> put = store_->PutModel(m, bytes);
    if (!put.ok()) return put.status();

    // How many candidates fit (what exhaustive measurement faces).
    absl::StatusOr<graph::Graph> g = graph::ImportTflite(absl::Span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    if (!g.ok()) return g.status();
    absl::StatusOr<space::BoardSpec> board =
        space::FindBoard(catalogue_, kBoardKind);
    if (!board.ok()) return board.status();
    tuner::TuneRequest r = Request(1, 1);
    space::Constraints c = tuner::ConstraintsFor(r);
    c.keep_plan_details = false;
    absl::StatusOr<space::SpaceResult> space =
        space::Enumerate(*g, *board, c);
    if (!space.ok()) return space.status();
    int64_t macs = 0;
    for (const space::Plan& p : space->plans) {
      if (!p.metrics.fits) continue;
      ++fitting;
      if (macs == 0) macs = p.metrics.macs_total;
    }
    model_summary =
        absl::StrFormat("%.0f KB, %zu operators, %.1f MMACs", bytes.size() / 1024.0,
                        g->ops.size(), macs / 1e6);

    env_.store = store_.get();
    env_.measurer = measurer_.get();
    env_.firmware = firmware_.get();
    env_.cost_store = cost_.get();
    env_.catalogue = catalogue_;
    env_.builds_dir = std::filesystem::absolute(dir / "builds").string();
    return absl::OkStatus();  // options: the daemon's defaults
  }

  // Runs a job to the end. With `control`: the exhaustive pass (host
  // verification off), seeded with the settled rows of `reuse_job`.
  JobOutcome RunJob(int budget, int batch, const std::string& reuse_job,
                    ExhaustiveControl* control) {
    JobOutcome out;
    tuner::TuneRequest r = Request(budget, batch);
    tuner::JobRecord j;
    j.id = tuner::NewJobId();
    while (j.id == last_job_) j.id = tuner::NewJobId();
    last_job_ = j.id;
    j.model_id = model_id_;
    j.request_json = tuner::TuneRequestToJson(r);
    if (absl::Status s = store_->CreateJob(j); !s.ok()) return Fail(out, s);
    if (!reuse_job.empty()) {
      absl::StatusOr<std::vector<tuner::CandidateRecord>> rows =
          store_->ListCandidates(reuse_job);
      if (!rows.ok()) return Fail(out, rows.status());
      std::vector<tuner::CandidateRecord> settled;
      for (tuner::CandidateRecord c : *rows) {
        if (c.state == tuner::CandidateState::kEnumerated ||
            c.state == tuner::CandidateState::kSelected ||
            c.state == tuner::CandidateState::kBuilt) {
          continue;
        }
        c.job_id = j.id;
        settled.push_back(std::move(c));
      }
      if (absl::StatusOr<int> n = store_->AddCandidates(settled); !n.ok()) {
        return Fail(out, n.status());
      }
    }
    tuner::TuneEnvironment env = env_;
    if (control != nullptr) {
      env.options.verify_on_host = false;
      env.make_strategy = [control](const tuner::TuneRequest&) {
        return std::make_unique<ExhaustiveStrategy>(control);
      };
    }
    tuner::JobControl jc;
    const absl::Time t0 = absl::Now();
    if (absl::Status s = tuner::RunTuneJob(env, j.id, jc); !s.ok()) {
      return Fail(out, s);
    }
    out.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
    absl::StatusOr<tuner::JobRecord> done = store_->GetJob(j.id);
    if (!done.ok()) return Fail(out, done.status());
    if (done->state != tuner::JobState::kDone) {
      return Fail(out, absl::InternalError(absl::StrCat(
                           "job ", tuner::JobStateName(done->state), ": ",
                           done->error)));
    }
    out.job_id = j.id;
    out.rounds = done->progress.rounds;
    absl::StatusOr<std::vector<tuner::JobEvent>> events =
        store_->EventsAfter(j.id, 0, 100000);
    if (events.ok() && !events->empty()) {
      for (const tuner::JobEvent& e : *events) {
        if (e.message == "the measured front changed") {
          out.front_final_seconds =
              (e.time_ms - events->front().time_ms) / 1000.0;
        }
      }
    }
    absl::StatusOr<std::vector<tuner::CandidateRecord>> rows =
        store_->ListCandidates(j.id);
    if (!rows.ok()) return Fail(out, rows.status());
    for (const tuner::CandidateRecord& c : *rows) {
      using S = tuner::CandidateState;
      out.measure_failed += c.state == S::kMeasureFailed;
      out.build_failed += c.state == S::kBuildFailed;
      out.verify_failed += c.state == S::kVerifyFailed;
      out.front_size += c.on_front;
      if (c.state != S::kMeasured) continue;
      ++out.measurements;
      const nlohmann::json m = nlohmann::json::parse(c.metrics_json);
      const double flash = c.linked_flash_bytes > 0
                               ? static_cast<double>(c.linked_flash_bytes)
                               : m.value("flash_bytes", 0.0);
      out.points.push_back(
          {c.measured, m.value("peak_sram_bytes", 0.0), flash});
      out.keys.push_back(c.candidate_id);
    }
    out.ok = true;
    return out;
  }

 private:
  tuner::TuneRequest Request(int budget, int batch) const {
    tuner::TuneRequest r;
    r.model_id = model_id_;
    r.board_kinds = {kBoardKind};
    r.measurement_budget = budget;
    r.batch_size = batch;
    r.seed = 1;
    (void)tuner::ValidateTuneRequest(catalogue_, &r);
    return r;
  }

  static JobOutcome Fail(JobOutcome out, const absl::Status& s) {
    std::printf("  job failed: %s\n", std::string(s.message()).c_str());
    out.ok = false;
    return out;
  }

  std::shared_ptr<base::Database> db_;
  std::unique_ptr<tuner::Store> store_;
  std::unique_ptr<cost_model::ModelStore> cost_;
  std::vector<space::BoardSpec> catalogue_;
  std::unique_ptr<device_farm::Scheduler> scheduler_;
  std::unique_ptr<tuner::Measurer> measurer_;
  std::unique_ptr<tuner::FirmwareFactory> firmware_;
  tuner::TuneEnvironment env_;
  std::string model_id_;
  std::string last_job_;
};

// Prints how the tuned job's measurements compare with the exhaustive ones.
inline void PrintComparison(const JobOutcome& tuned, const JobOutcome& ex,
                            int buildable, double exhaustive_seconds,
                            bool capped) {
  const std::vector<Point>& all = ex.points;  // includes the tuned ones
  if (all.empty() || tuned.points.empty()) {
    std::printf("  nothing measured\n");
    return;
  }
  auto project = [](const std::vector<Point>& v) {
    std::vector<Point> out;
    for (const Point& p : v) out.push_back({p[0], p[1]});
    return out;
  };
  const std::vector<Point> all2 = project(all), tuned2 = project(tuned.points);
  Point ref3{0, 0, 0};
  for (const Point& p : all) {
    for (int i = 0; i < 3; ++i) ref3[i] = std::max(ref3[i], p[i] * 1.1);
  }
  const Point ref2{ref3[0], ref3[1]};
  const double hv2 = Hypervolume(tuned2, ref2) / Hypervolume(all2, ref2);
  const double hv3 = Hypervolume(tuned.points, ref3) / Hypervolume(all, ref3);
  // Per point of the exhaustive (latency, SRAM) front.
  std::vector<std::pair<Point, std::string>> front;
  for (size_t i = 0; i < all2.size(); ++i) {
    bool dominated = false;
    for (const Point& q : all2) dominated = dominated || DominatesPoint(q, all2[i]);
    if (!dominated) front.push_back({all2[i], ex.keys[i]});
  }
  std::sort(front.begin(), front.end(),
            [](const auto& a, const auto& b) { return a.first[1] < b.first[1]; });
  int matched = 0, within5 = 0, none = 0;
  double sum = 0, worst = 1;
  std::printf("  exhaustive (latency, SRAM) front, %zu points; best tuned "
              "latency at <= the point's SRAM:\n", front.size());
  std::printf("    %10s %14s %-36s %14s %7s\n", "peak SRAM", "latency",
              "candidate", "tuned best", "ratio");
  for (const auto& [p, key] : front) {
    const double best = BestAtOrBelow(tuned2, p[1]);
    const double ratio = best / p[0];
    if (std::isinf(best)) {
      ++none;
    } else {
      sum += ratio;
      worst = std::max(worst, ratio);
      matched += ratio <= 1.0 + 1e-9;
      within5 += ratio <= 1.05;
    }
    std::printf("    %10.0f %14.0f %-36s %14s %7s\n", p[1], p[0], key.c_str(),
                std::isinf(best) ? "-" : absl::StrFormat("%.0f", best).c_str(),
                std::isinf(best) ? "none" : absl::StrFormat("%.3f", ratio).c_str());
  }
  const int found = static_cast<int>(front.size()) - none;
  double fastest_all = all[0][0], fastest_tuned = tuned.points[0][0];
  for (const Point& p : all) fastest_all = std::min(fastest_all, p[0]);
  for (const Point& p : tuned.points) fastest_tuned = std::min(fastest_tuned, p[0]);
  const int spent = tuned.measurements + tuned.measure_failed;
  std::printf(
      "  SUMMARY measurements: tuned %d vs exhaustive %d buildable (%.1f%%)%s\n"
      "  SUMMARY time: tuned %.0f s vs exhaustive ~%.0f s (%.1fx faster)\n"
      "  SUMMARY front points matched exactly %d/%zu, within 5%% %d/%zu, no "
      "tuned point at that SRAM %d; mean ratio %.3f, worst %.3f\n"
      "  SUMMARY hypervolume ratio (latency, SRAM) %.4f, (latency, SRAM, "
      "flash) %.4f\n"
      "  SUMMARY fastest candidate found: %s (tuned best / exhaustive best "
      "= %.4f)\n",
      spent, buildable, 100.0 * spent / std::max(1, buildable),
      capped ? " [exhaustive set capped]" : "", tuned.seconds,
      exhaustive_seconds, exhaustive_seconds / std::max(1e-9, tuned.seconds),
      matched, front.size(), within5, front.size(), none,
      found ? sum / found : 0.0, worst, hv2, hv3,
      fastest_tuned <= fastest_all ? "yes" : "no", fastest_tuned / fastest_all);
}

}  // namespace mcutune::bench

#endif  // MCUTUNE_TESTS_BENCH_TUNE_BENCH_ENV_H_
