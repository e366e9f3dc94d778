// The tuning loop (tune_job.h).
// - Items: one per fitting candidate of every board kind, holding the
//   metrics-only Plan from Enumerate and the store row; rows are the truth
//   (the in-memory copy is written back after every step).
// - Resume: rows in a terminal candidate state are kept; "selected"/"built"
//   rows (interrupted round) go first into the next batch.
// - Builds re-plan the candidate with full details (space::PlanCandidate on
//   a per-board PlanningContext made on first use).
// - Progress and the measured front are recomputed from the rows; an event
//   is appended at every phase change and whenever the front changes.
#include "tuner/tune_job.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "codegen/host_verifier.h"
#include "device_farm/board.h"
#include "graph/interpreter.h"
#include "graph/tflite_reader.h"
#include "tuner/cost_model_predictor.h"
#include "tuner/job_records.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/enumerate.h"

namespace mcutune::tuner {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<spdlog::logger> Log() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("tuner")) return existing;
    try {
      return spdlog::stderr_color_mt("tuner");
    } catch (const spdlog::spdlog_ex&) {
      return spdlog::get("tuner");
    }
  }();
  return logger;
}

struct Item {
  int board = 0;     // index into boards_
  space::Plan plan;  // metrics only
  CandidateRecord rec;
};

class TuneJob {
 public:
  TuneJob(const TuneEnvironment& env, const std::string& job_id,
          const JobControl& control)
      : env_(env), job_id_(job_id), control_(control) {}

  absl::Status Run() {
    absl::StatusOr<JobRecord> job = env_.store->GetJob(job_id_);
    if (!job.ok()) return job.status();
    job_ = *job;
    if (IsTerminal(job_.state)) return absl::OkStatus();
    const bool resumed = job_.state == JobState::kRunning;
    absl::StatusOr<TuneRequest> request =
        TuneRequestFromJson(job_.request_json);
    if (!request.ok()) return Fail(std::string(request.status().message()));
    request_ = *request;
    job_.state = JobState::kRunning;
    if (absl::Status s = Phase(
            "import", resumed ? "resumed after a daemon restart" : "started");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = Prepare(); !s.ok())
      return Fail(std::string(s.message()));
    if (absl::Status s = Phase("enumerate", ""); !s.ok()) return s;
    if (absl::Status s = EnumerateAll(); !s.ok()) {
      if (absl::IsInvalidArgument(s) || absl::IsFailedPrecondition(s) ||
          absl::IsUnimplemented(s) || absl::IsNotFound(s)) {
        return Fail(std::string(s.message()));
      }
      return s;
    }
    if (absl::Status s =
            Emit(absl::StrCat(items_.size(), " fitting candidates"));
        !s.ok()) {
      return s;
    }
    return Loop();
  }

 private:
  // ------------------------------------------------------------- set-up
  absl::Status Prepare() {
    absl::StatusOr<std::string> bytes =
        env_.store->GetModelBytes(request_.model_id);
    if (!bytes.ok()) return bytes.status();
    absl::StatusOr<ModelRecord> model = env_.store->GetModel(request_.model_id);
    if (!model.ok()) return model.status();
    model_name_ = model->name;
    absl::StatusOr<graph::Graph> g =
        graph::ImportTflite(absl::Span<const uint8_t>(
            reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
    if (!g.ok()) return g.status();
    graph_ = std::move(*g);
    if (graph_.inputs.empty() || graph_.outputs.empty()) {
      return absl::InvalidArgumentError("the model has no input or no output");
    }
    // The firmware embeds every input (concatenated in graph order) and
    // hashes every output (likewise): input i is the golden generator with
    // the request's seed + i.
    const uint32_t seed = static_cast<uint32_t>(request_.seed);
    inputs_ = codegen::GoldenInputs(graph_, seed);
    input_description_ =
        graph_.inputs.size() == 1
            ? absl::StrCat("golden generator seed ", seed)
            : absl::StrCat("golden generator seed ", seed, " + input index");
    absl::StatusOr<std::vector<std::vector<int8_t>>> out =
        graph::RunInference(graph_, inputs_);
    if (!out.ok()) return out.status();
    const std::vector<int8_t> all_outputs = codegen::ConcatTensors(*out);
    expected_sha_ =
        device_farm::Sha256Hex(all_outputs.data(), all_outputs.size());
    for (const std::string& kind : request_.board_kinds) {
      absl::StatusOr<space::BoardSpec> b =
          space::FindBoard(env_.catalogue, kind);
      if (!b.ok()) return b.status();
      boards_.push_back(*b);
    }
    contexts_.resize(boards_.size());
    return absl::OkStatus();
  }

  absl::Status EnumerateAll() {
    space::Constraints c = ConstraintsFor(request_);
    c.keep_plan_details = false;
    c.keep_unfit = true;  // metrics only: cheap, and says why nothing fits
    std::string none_fit;
    for (size_t b = 0; b < boards_.size(); ++b) {
      absl::StatusOr<space::SpaceResult> space =
          space::Enumerate(graph_, boards_[b], c);
      if (!space.ok()) return space.status();
      std::vector<CandidateRecord> rows;
      int fitting = 0;
      int64_t min_sram = -1;
      std::string reason;
      for (space::Plan& p : space->plans) {
        if (!p.metrics.fits) {
          if (min_sram < 0 || p.memory.peak_sram_bytes < min_sram) {
            min_sram = p.memory.peak_sram_bytes;
            reason = p.metrics.fit_reason;
          }
          continue;
        }
        ++fitting;
        Item item;
        item.board = static_cast<int>(b);
        item.rec.job_id = job_id_;
        item.rec.board_kind = boards_[b].id;
        item.rec.candidate_id = p.candidate.Id();
        item.rec.strategy = space::StrategyName(p.candidate.strategy);
        item.rec.metrics_json = PlanMetricsJson(p);
        item.plan = std::move(p);
        rows.push_back(item.rec);
        items_.push_back(std::move(item));
      }
      if (fitting == 0) {
        absl::StrAppend(&none_fit, none_fit.empty() ? "" : "; ", boards_[b].id,
                        ": none of ", space->plans.size(), " candidates fits");
        if (min_sram >= 0) {
          absl::StrAppend(&none_fit, " (smallest peak SRAM ", min_sram,
                          " B: ", reason, ")");
        }
      }
      absl::StatusOr<int> added = env_.store->AddCandidates(rows);
      if (!added.ok()) return added.status();
    }
    if (items_.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("no candidate fits the constraints (sram budget ",
                       request_.sram_budget_bytes, ", flash budget ",
                       request_.flash_budget_bytes, "): ", none_fit));
    }
    // Stored rows win (resume).
    absl::StatusOr<std::vector<CandidateRecord>> stored =
        env_.store->ListCandidates(job_id_);
    if (!stored.ok()) return stored.status();
    std::map<std::string, CandidateRecord> by_key;
    for (CandidateRecord& r : *stored) by_key[r.key()] = std::move(r);
    for (Item& item : items_) {
      auto it = by_key.find(item.rec.key());
      if (it == by_key.end()) continue;
      item.rec = it->second;
      if (item.rec.state == CandidateState::kSelected ||
          item.rec.state == CandidateState::kBuilt) {
        carry_.push_back(static_cast<int>(&item - items_.data()));
      }
    }
    if (!carry_.empty()) {
      Log()->info(
          "job {}: {} candidates of an interrupted round are taken up first",
          job_id_, carry_.size());
    }
    return absl::OkStatus();
  }

  // --------------------------------------------------------------- loop
  absl::Status Loop() {
    PredictorContext pc;
    pc.graph = &graph_;
    pc.model_id = request_.model_id;
    pc.model_name = model_name_;
    pc.full_plan = [this](const space::BoardSpec& board,
                          const space::Candidate& c) {
      return FullPlan(board, c);
    };
    std::unique_ptr<Predictor> predictor;
    if (env_.make_predictor) {
      predictor = env_.make_predictor(pc);
    } else if (env_.cost_store != nullptr) {
      CostModelPredictorOptions co;
      co.store = env_.cost_store;
      co.network = model_name_;
      co.model_hash = request_.model_id;
      predictor = MakeCostModelPredictor(graph_, pc.full_plan, co);
    } else {
      predictor = MakeLinearPredictor();
    }
    std::unique_ptr<SearchStrategy> strategy;
    FrontierSearchOptions fo;
    fo.seed = request_.seed;
    fo.patience = env_.options.patience;
    fo.explore_fraction = env_.options.explore_fraction;
    if (env_.make_strategy) {
      strategy = env_.make_strategy(request_);
    } else if (env_.cost_store != nullptr) {
      strategy = MakeCostModelSelection(fo);
    } else {
      strategy = MakeFrontierSearch(fo);
    }
    RecomputeFront();
    while (true) {
      if (control_.stop) return Stopped();
      if (control_.cancel) return Cancelled();
      const int spent = Spent();
      if (spent >= request_.measurement_budget) break;
      if (absl::Status s = Phase("predict", ""); !s.ok()) return s;
      if (absl::Status s = Predict(predictor.get()); !s.ok()) return s;
      const int room =
          std::min(request_.batch_size, request_.measurement_budget - spent);
      std::vector<int> batch;
      std::set<int> in_batch;
      for (int i : carry_) {
        if (static_cast<int>(batch.size()) < room &&
            in_batch.insert(i).second) {
          batch.push_back(i);
        }
      }
      carry_.clear();
      if (static_cast<int>(batch.size()) < room) {
        std::vector<PoolEntry> pool = Pool();
        for (int i : batch) pool[i].done = true;
        for (int i :
             strategy->NextBatch(pool, room - static_cast<int>(batch.size()))) {
          if (in_batch.insert(i).second) batch.push_back(i);
        }
      }
      if (batch.empty()) break;
      const int round = job_.progress.rounds + 1;
      for (int i : batch) {
        items_[i].rec.state = CandidateState::kSelected;
        items_[i].rec.round = round;
        items_[i].rec.error.clear();
      }
      if (absl::Status s = Save(batch); !s.ok()) return s;
      if (absl::Status s = Emit(absl::StrCat(
              "round ", round, ": ", batch.size(), " candidates selected"));
          !s.ok()) {
        return s;
      }
      absl::StatusOr<bool> changed = RunRound(batch);
      if (!changed.ok()) return changed.status();
      if (!fatal_.empty()) return Fail(fatal_);
      if (control_.stop) return Stopped();
      if (control_.cancel) return Cancelled();
      strategy->NotifyResults(batch, *changed);
    }
    // A last refit: the final round's measurements reach the predictor (and
    // the cost model's samples); unmeasured candidates keep fresh predictions.
    if (absl::Status s = Predict(predictor.get()); !s.ok()) return s;
    return Finish();
  }

  absl::Status Predict(Predictor* predictor) {
    std::vector<int> changed;
    for (size_t b = 0; b < boards_.size(); ++b) {
      std::vector<Observation> obs;
      std::vector<const space::Plan*> plans;
      std::vector<int> idx;
      for (size_t i = 0; i < items_.size(); ++i) {
        const Item& it = items_[i];
        if (it.board != static_cast<int>(b)) continue;
        if (it.rec.state == CandidateState::kMeasured) {
          obs.push_back({&it.plan, it.rec.measured, it.rec.measured_unit});
        } else if (!Done(it.rec.state)) {
          plans.push_back(&it.plan);
          idx.push_back(static_cast<int>(i));
        }
      }
      if (absl::Status s = predictor->Fit(boards_[b], obs); !s.ok()) {
        Log()->warn("job {}: predictor fit on {} failed: {}", job_id_,
                    boards_[b].id, std::string(s.message()));
      }
      const std::vector<Prediction> preds =
          predictor->Predict(boards_[b], plans);
      for (size_t k = 0; k < idx.size() && k < preds.size(); ++k) {
        CandidateRecord& r = items_[idx[k]].rec;
        r.predicted = preds[k].latency;
        r.predicted_low = preds[k].low;
        r.predicted_high = preds[k].high;
        r.predicted_unit = preds[k].unit;
        r.predictor = preds[k].model;
        changed.push_back(idx[k]);
      }
    }
    return Save(changed);
  }

  // Build, verify and measure one batch. Returns whether the front changed.
  absl::StatusOr<bool> RunRound(const std::vector<int>& batch) {
    if (absl::Status s = Phase("build", ""); !s.ok()) return s;
    std::vector<int> built;
    std::vector<space::Plan> full(items_.size());
    for (int i : batch) {
      if (control_.stop || control_.cancel) return false;
      absl::StatusOr<bool> ok = BuildOne(i, &full[i]);
      if (!ok.ok()) {
        // The machine, not the candidate (no toolchain, disk full): the job
        // fails with the reason; the candidate goes back to the pool.
        items_[i].rec.state = CandidateState::kEnumerated;
        fatal_ = absl::StrCat("building firmware for ", items_[i].rec.key(),
                              ": ", ok.status().message());
        return false;
      }
      if (*ok) built.push_back(i);
      if (absl::Status s = Save({i}); !s.ok()) return s;
      if (absl::Status s = Emit(""); !s.ok()) return s;
    }
    if (env_.options.verify_on_host && !built.empty()) {
      if (absl::Status s = Phase("verify", ""); !s.ok()) return s;
      std::vector<const space::Plan*> plans;
      for (int i : built) plans.push_back(&full[i]);
      absl::StatusOr<std::vector<absl::Status>> verdicts =
          env_.firmware->Verify(graph_, plans, inputs_);
      std::vector<int> verified;
      for (size_t k = 0; k < built.size(); ++k) {
        const absl::Status v =
            verdicts.ok() ? (*verdicts)[k] : verdicts.status();
        if (v.ok()) {
          verified.push_back(built[k]);
        } else {
          items_[built[k]].rec.state = CandidateState::kVerifyFailed;
          items_[built[k]].rec.error = absl::StrCat(
              "host verification: ", std::string(v.message()).substr(0, 1500));
          Log()->error("job {}: {} failed host verification: {}", job_id_,
                       items_[built[k]].rec.key(), std::string(v.message()));
        }
      }
      if (absl::Status s = Save(built); !s.ok()) return s;
      built = verified;
    }
    if (!built.empty()) {
      if (absl::Status s = Phase("measure", ""); !s.ok()) return s;
      if (absl::Status s = MeasureAll(built); !s.ok()) return s;
    }
    if (control_.stop) return false;
    if (absl::Status s = Phase("refit", ""); !s.ok()) return s;
    const bool changed = RecomputeFront();
    if (absl::Status s = SaveAll(); !s.ok()) return s;
    if (absl::Status s =
            Emit(changed ? "the measured front changed" : "", changed);
        !s.ok()) {
      return s;
    }
    return changed;
  }

  // The candidate re-planned with steps and buffers (per-board planning
  // context made on first use).
  absl::StatusOr<space::Plan> FullPlan(const space::BoardSpec& board,
                                       const space::Candidate& candidate) {
    size_t b = 0;
    while (b < boards_.size() && boards_[b].id != board.id) ++b;
    if (b == boards_.size())
      return absl::NotFoundError("board not in this job");
    if (!contexts_[b]) {
      contexts_[b] =
          std::make_unique<space::PlanningContext>(space::MakePlanningContext(
              graph_, boards_[b], ConstraintsFor(request_)));
    }
    return space::PlanCandidate(*contexts_[b], candidate);
  }

  absl::StatusOr<bool> BuildOne(int i, space::Plan* full) {
    Item& it = items_[i];
    const space::BoardSpec& board = boards_[it.board];
    absl::StatusOr<space::Plan> plan = FullPlan(board, it.plan.candidate);
    if (!plan.ok()) {
      it.rec.state = CandidateState::kBuildFailed;
      it.rec.error = absl::StrCat("planning: ", plan.status().message());
      return false;
    }
    *full = std::move(*plan);
    if (!IsSafePathComponent(job_id_) || !IsSafePathComponent(board.id) ||
        !IsSafePathComponent(it.rec.candidate_id)) {
      it.rec.state = CandidateState::kBuildFailed;
      it.rec.error = "unsafe characters in the job, board or candidate id";
      return false;
    }
    const std::string rel =
        absl::StrCat(job_id_, "/", board.id, "/", it.rec.candidate_id);
    const fs::path dir = fs::path(env_.builds_dir) / rel;
    std::error_code ec;
    fs::remove_all(dir, ec);
    BuildRequest req;
    req.graph = &graph_;
    req.plan = full;
    req.board = &board;
    req.input = codegen::ConcatTensors(inputs_);
    req.input_description = input_description_;
    req.expected_output_sha256 = expected_sha_;
    req.dir = dir.string();
    absl::StatusOr<BuildOutcome> b = env_.firmware->Build(req);
    it.rec.build_dir = rel;
    if (!b.ok()) {
      // The machine, not the candidate (no toolchain, disk): the job fails,
      // leaving no half-written bundle behind.
      fs::remove_all(dir, ec);
      return b.status();
    }
    it.rec.linked_flash_bytes = b->flash_bytes;
    it.rec.linked_ram_bytes = b->ram_bytes;
    if (!b->ok) {
      it.rec.state = CandidateState::kBuildFailed;
      it.rec.error = b->error;
      Log()->info("job {}: {} did not build: {}", job_id_, it.rec.key(),
                  b->error);
      return false;
    }
    it.rec.state = CandidateState::kBuilt;
    return true;
  }

  absl::Status MeasureAll(const std::vector<int>& built) {
    std::vector<MeasureRequest> reqs;
    for (int i : built) {
      MeasureRequest r;
      r.job_id = job_id_;
      r.board_kind = items_[i].rec.board_kind;
      r.build_dir =
          (fs::path(env_.builds_dir) / items_[i].rec.build_dir).string();
      r.runs = request_.runs_per_measurement;
      r.warmup = env_.options.warmup;
      r.timeout = env_.options.measure_timeout;
      r.priority = request_.priority;
      reqs.push_back(r);
    }
    const std::vector<MeasureResult> results =
        env_.measurer->MeasureBatch(reqs, [this]() {
          if (control_.stop) return WaitDecision::kAbort;
          if (control_.cancel) return WaitDecision::kCancel;
          return WaitDecision::kContinue;
        });
    for (size_t k = 0; k < built.size() && k < results.size(); ++k) {
      CandidateRecord& r = items_[built[k]].rec;
      const MeasureResult& m = results[k];
      r.measurement_ids = m.run_id;
      if (absl::IsAborted(m.status) || absl::IsCancelled(m.status)) continue;
      if (absl::IsFailedPrecondition(m.status)) {
        // The farm cannot run this kind at all (no board of it): not the
        // candidate's fault, and no reason to burn the budget on it.
        fatal_ = absl::StrCat("measuring on ", r.board_kind, ": ",
                              m.status.message());
        continue;
      }
      if (!m.status.ok()) {
        r.state = CandidateState::kMeasureFailed;
        r.error = absl::StrCat("farm: ",
                               std::string(m.status.message()).substr(0, 1500));
        continue;
      }
      r.measurement_json = MeasurementJson(m.measurement, m.board_uri);
      r.output_matches = m.measurement.output_sha256 == expected_sha_;
      if (m.measurement.status != device_farm::RunStatus::kOk) {
        r.state = CandidateState::kMeasureFailed;
        r.error = absl::StrCat("run ",
                               device_farm::RunStatusName(m.measurement.status),
                               ": ", m.measurement.error.substr(0, 1500));
      } else if (!r.output_matches) {
        r.state = CandidateState::kMeasureFailed;
        r.error = absl::StrCat("output hash ", m.measurement.output_sha256,
                               " differs from the reference ", expected_sha_);
      } else {
        r.state = CandidateState::kMeasured;
        r.measured = m.measurement.per_inference;
        r.measured_unit = device_farm::CountUnitName(m.measurement.unit);
        r.error.clear();
      }
    }
    return Save(built);
  }

  // ------------------------------------------------------------ helpers
  static bool Done(CandidateState s) {
    return s == CandidateState::kMeasured ||
           s == CandidateState::kMeasureFailed ||
           s == CandidateState::kBuildFailed ||
           s == CandidateState::kVerifyFailed;
  }

  int Spent() const {
    int n = 0;
    for (const Item& it : items_) {
      n += it.rec.state == CandidateState::kMeasured ||
           it.rec.state == CandidateState::kMeasureFailed;
    }
    return n;
  }

  std::vector<double> Others(const Item& it, bool linked_flash) const {
    std::vector<double> o;
    for (Objective obj : request_.objectives) {
      if (obj == Objective::kPeakSram) {
        o.push_back(static_cast<double>(it.plan.memory.peak_sram_bytes));
      } else if (obj == Objective::kFlash) {
        o.push_back(
            static_cast<double>(linked_flash && it.rec.linked_flash_bytes > 0
                                    ? it.rec.linked_flash_bytes
                                    : it.plan.metrics.flash_bytes));
      }
    }
    return o;
  }

  std::vector<PoolEntry> Pool() const {
    std::vector<PoolEntry> pool;
    for (const Item& it : items_) {
      PoolEntry e;
      e.board_kind = it.rec.board_kind;
      e.done = Done(it.rec.state);
      e.measured = it.rec.state == CandidateState::kMeasured;
      e.latency = it.rec.measured;
      e.unit = it.rec.measured_unit;
      e.predicted = {it.rec.predicted, it.rec.predicted_low,
                     it.rec.predicted_high, it.rec.predicted_unit,
                     it.rec.predictor};
      e.other_objectives = Others(it, /*linked_flash=*/false);
      pool.push_back(std::move(e));
    }
    return pool;
  }

  // Sets on_front from the measured candidates; true when the set changed.
  bool RecomputeFront() {
    std::vector<std::string> kinds;
    std::vector<std::vector<double>> points;
    std::vector<bool> include;
    for (const Item& it : items_) {
      kinds.push_back(it.rec.board_kind);
      std::vector<double> p{it.rec.measured};
      const std::vector<double> o = Others(it, /*linked_flash=*/true);
      p.insert(p.end(), o.begin(), o.end());
      points.push_back(std::move(p));
      include.push_back(it.rec.state == CandidateState::kMeasured);
    }
    const std::vector<bool> on = ParetoMask(kinds, points, include);
    bool changed = false;
    for (size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].rec.on_front != on[i]) {
        items_[i].rec.on_front = on[i];
        changed = true;
      }
    }
    return changed;
  }

  std::string FrontJson() const {
    nlohmann::json keys = nlohmann::json::array();
    for (const Item& it : items_) {
      if (it.rec.on_front) keys.push_back(it.rec.key());
    }
    return keys.dump();
  }

  absl::Status Save(const std::vector<int>& idx) {
    std::vector<CandidateRecord> rows;
    for (int i : idx) rows.push_back(items_[i].rec);
    if (rows.empty()) return absl::OkStatus();
    return env_.store->UpdateCandidates(rows);
  }

  absl::Status SaveAll() {
    std::vector<int> all(items_.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    return Save(all);
  }

  // Writes the job row and appends an event.
  absl::Status Emit(const std::string& message, bool with_front = false) {
    if (!items_.empty()) {
      std::vector<CandidateRecord> rows;
      rows.reserve(items_.size());
      for (const Item& it : items_) rows.push_back(it.rec);
      job_.progress = ProgressOf(rows, request_.measurement_budget);
    } else {
      job_.progress.measurement_budget = request_.measurement_budget;
    }
    if (absl::Status s = env_.store->UpdateJob(job_); !s.ok()) return s;
    JobEvent e;
    e.job_id = job_id_;
    e.state = job_.state;
    e.phase = job_.phase;
    e.progress = job_.progress;
    e.message = message;
    if (with_front) e.front_json = FrontJson();
    absl::StatusOr<int64_t> seq = env_.store->AppendEvent(e);
    return seq.status();
  }

  absl::Status Phase(const std::string& phase, const std::string& message) {
    job_.phase = phase;
    return Emit(message.empty() ? phase : message);
  }

  absl::Status Fail(const std::string& reason) {
    Log()->error("job {} failed: {}", job_id_, reason);
    if (!items_.empty()) {
      // Runs still queued on the farm for this job are no longer wanted;
      // candidates of the interrupted round were not tried.
      env_.measurer->CancelJob(job_id_);
      for (Item& it : items_) {
        if (it.rec.state == CandidateState::kSelected)
          it.rec.state = CandidateState::kEnumerated;
      }
      if (absl::Status s = SaveAll(); !s.ok()) return s;
    }
    job_.state = JobState::kFailed;
    job_.phase = "failed";
    job_.error = reason.substr(0, 4000);
    return Emit(job_.error, !items_.empty());
  }

  absl::Status Cancelled() {
    env_.measurer->CancelJob(job_id_);
    for (Item& it : items_) {
      if (it.rec.state == CandidateState::kSelected)
        it.rec.state = CandidateState::kEnumerated;
    }
    RecomputeFront();
    if (absl::Status s = SaveAll(); !s.ok()) return s;
    job_.state = JobState::kCancelled;
    job_.phase = "cancelled";
    Log()->info("job {} cancelled", job_id_);
    return Emit("cancelled", true);
  }

  absl::Status Stopped() {
    Log()->info("job {} stopped for shutdown (resumes on restart)", job_id_);
    return SaveAll();
  }

  absl::Status Finish() {
    RecomputeFront();
    if (absl::Status s = SaveAll(); !s.ok()) return s;
    job_.state = JobState::kDone;
    job_.phase = "done";
    int measured = 0, front = 0;
    for (const Item& it : items_) {
      measured += it.rec.state == CandidateState::kMeasured;
      front += it.rec.on_front;
    }
    Log()->info("job {} done: {} measured, {} on the front", job_id_, measured,
                front);
    return Emit(absl::StrCat("done: ", measured, " candidates measured, ",
                             front, " on the measured Pareto front"),
                true);
  }

  const TuneEnvironment& env_;
  const std::string job_id_;
  const JobControl& control_;
  JobRecord job_;
  TuneRequest request_;
  graph::Graph graph_;
  std::vector<std::vector<int8_t>> inputs_;
  std::string input_description_;
  std::string expected_sha_;
  std::string model_name_;
  std::vector<space::BoardSpec> boards_;
  std::vector<std::unique_ptr<space::PlanningContext>> contexts_;
  std::vector<Item> items_;
  std::vector<int> carry_;
  std::string
      fatal_;  // set when the job cannot go on (e.g. no board of a kind)
};

}  // namespace

absl::Status RunTuneJob(const TuneEnvironment& env, const std::string& job_id,
                        const JobControl& control) {
  TuneJob job(env, job_id, control);
  return job.Run();
}

std::string NewJobId() {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  std::lock_guard<std::mutex> lock(mu);
  // 8 hex digits of seconds since 2024 (sortable for ~130 years) + 4 random.
  const int64_t secs = NowMs() / 1000 - 1704067200;
  return absl::StrFormat("j%08x%04x", static_cast<uint32_t>(secs),
                         static_cast<uint32_t>(rng() & 0xffff));
}

}  // namespace mcutune::tuner
