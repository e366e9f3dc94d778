// `mcutune model calibrate --board-kind K [--models a,b] [--strategies s,..]
//  [--per-model N] [--db FILE] [--out DIR] [--jobs N] [--share-from KIND]
//  [--refresh] [--timeout S]`: builds and measures a calibration set on a
// virtual board kind, fits the cost model and writes DIR/K.json.
// - Per network: Enumerate (metrics only, fitting candidates), pick the
//   calibration set (cost_model/calibration_set.h), then per candidate in a
//   pool of --jobs workers: full plan -> features -> store lookup ->
//   (build -> SHA-256 of firmware.bin -> QEMU run) -> sample row.
// - Cache: a stored sample of (kind, model hash, candidate) with the same
//   toolchain and code generator (cost_model::BuildIdentity) is reused
//   without building. --refresh rebuilds everything and
//   runs only firmware whose image hash changed. --share-from KIND copies
//   KIND's samples instead of measuring (same QEMU machine and core:
//   identical instruction counts; measured_on stays KIND).
// - Work dirs live under a temporary directory and are removed per
//   candidate (a few MB each).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "codegen/builder.h"
#include "cost_model/calibration_data.h"
#include "cost_model/calibration_set.h"
#include "cost_model/features.h"
#include "device_farm/board.h"
#include "device_farm/qemu_runner.h"
#include "graph/tflite_writer.h"
#include "graph/zoo/zoo.h"
#include "server/cli/model_arg.h"
#include "server/cli/model_command.h"
#include "tuner/space/board.h"
#include "tuner/space/candidate_family.h"
#include "tuner/space/enumerate.h"
#include "tuner/sweep_inputs.h"

namespace mcutune::cli {
namespace {

namespace fs = std::filesystem;
using cost_model::StoredSample;

constexpr char kUsage[] =
    "usage: mcutune model calibrate --board-kind KIND [--models a,b,...]\n"
    "         [--strategies s,...] [--per-model N] [--max-calls N] [--db "
    "FILE]\n"
    "         [--out DIR] [--jobs N] [--refresh] [--timeout S]\n"
    "       mcutune model calibrate --board-kind KIND --share-from KIND2 [--db "
    "FILE]\n"
    "  Builds and measures N candidates (default 12) of each network "
    "(default:\n"
    "  the zoo) on the virtual board KIND, stores the samples, fits the cost\n"
    "  model and writes DIR/KIND.json (default DIR: configs/cost_models).\n"
    "  Resumable: stored measurements are reused; --refresh rebuilds and\n"
    "  re-runs only firmware whose image changed. Candidates with more than\n"
    "  --max-calls kernel calls (default 400) are skipped: their "
    "straight-line\n"
    "  code takes minutes to compile. --share-from copies the samples of a\n"
    "  kind with the same QEMU machine and core (identical instruction "
    "counts,\n"
    "  recorded as measured on KIND2) instead of measuring.\n";

struct Request {
  std::string kind, db, out, share_from;
  std::vector<std::string> models;
  std::set<space::Strategy> strategies;
  int per_model = 12;
  int jobs = 2;
  bool refresh = false;
  int timeout_s = 120;
  int max_calls = 400;
};

struct Network {
  std::string name, hash;
  graph::Graph graph;
  space::PlanningContext ctx;
  std::unique_ptr<cost_model::FeatureExtractor> features;
};

struct Task {
  int network = 0;
  space::Candidate candidate;
};

struct Counters {
  std::atomic<int> builds{0}, runs{0}, cached{0}, done{0};
  std::mutex mu;  // failed + printing
  std::vector<std::string> failed;
};

class Calibration {
 public:
  Calibration(const Request& r, const space::BoardSpec& board,
              cost_model::ModelStore& store, std::string toolchain)
      : r_(r), board_(board), store_(store), toolchain_(std::move(toolchain)) {}

  absl::Status AddNetwork(const std::string& arg) {
    absl::StatusOr<graph::Graph> g = LoadModelArg(arg);
    if (!g.ok()) return g.status();
    absl::StatusOr<std::vector<uint8_t>> bytes = graph::WriteTflite(*g);
    if (!bytes.ok()) return bytes.status();
    auto n = std::make_unique<Network>();
    n->name = fs::exists(arg) ? fs::path(arg).stem().string() : arg;
    n->hash = device_farm::Sha256Hex(bytes->data(), bytes->size());
    n->graph = *std::move(g);
    space::Constraints c;
    c.keep_plan_details = false;
    c.keep_unfit = false;
    absl::StatusOr<space::SpaceResult> space =
        space::Enumerate(n->graph, board_, c);
    if (!space.ok()) return space.status();
    n->ctx = space::MakePlanningContext(n->graph, board_, space::Constraints{});
    n->features =
        std::make_unique<cost_model::FeatureExtractor>(n->graph, board_);
    const std::vector<int> pick = cost_model::SelectCalibrationSet(
        space->plans, r_.per_model, r_.strategies, r_.max_calls);
    std::fprintf(stderr, "%s: %zu fitting candidates, calibrating %zu\n",
                 n->name.c_str(), space->plans.size(), pick.size());
    for (int i : pick)
      tasks_.push_back(
          {static_cast<int>(networks_.size()), space->plans[i].candidate});
    networks_.push_back(std::move(n));
    return absl::OkStatus();
  }

  // Runs every task with r_.jobs workers; returns the first infrastructure
  // error (a failing candidate is recorded, not an error).
  absl::Status Run(Counters* counters) {
    work_root_ = fs::temp_directory_path() /
                 absl::StrCat("mcutune-calibrate-", ::getpid());
    std::atomic<size_t> next{0};
    std::mutex err_mu;
    absl::Status first_error;
    auto worker = [&] {
      for (size_t t = next++; t < tasks_.size(); t = next++) {
        absl::Status s = RunTask(tasks_[t], counters);
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(err_mu);
          if (first_error.ok()) first_error = s;
          next = tasks_.size();  // stop handing out work
        }
      }
    };
    std::vector<std::thread> pool;
    for (int i = 0; i < std::max(1, r_.jobs); ++i) pool.emplace_back(worker);
    for (std::thread& th : pool) th.join();
    std::error_code ec;
    fs::remove_all(work_root_, ec);
    return first_error;
  }

  size_t tasks() const { return tasks_.size(); }

 private:
  void Fail(Counters* c, const Network& n, const std::string& id,
            const std::string& why, bool record = true) {
    if (record) (void)store_.AddFailure(r_.kind, n.hash, id, toolchain_, why);
    std::lock_guard<std::mutex> lock(c->mu);
    c->failed.push_back(absl::StrCat(n.name, "/", id, ": ", why));
    std::fprintf(stderr, "  FAILED %s/%s: %s\n", n.name.c_str(), id.c_str(),
                 why.c_str());
  }

  absl::Status Record(const Network& n, const std::string& id,
                      const cost_model::FeatureVector& f, double measured,
                      const std::string& artifact,
                      const std::string& measured_on, double seconds,
                      Counters* c, const std::string& how) {
    StoredSample s;
    s.model_name = n.name;
    s.model_hash = n.hash;
    s.candidate_id = id;
    s.board_kind = r_.kind;
    s.measured_on = measured_on;
    s.features = f;
    s.measured = measured;
    s.artifact_hash = artifact;
    s.toolchain = toolchain_;
    s.source = "calibration";
    s.measure_seconds = seconds;
    absl::StatusOr<int64_t> row = store_.AddSample(s);
    if (!row.ok()) return row.status();
    Progress(c, n, id, measured, how);
    return absl::OkStatus();
  }

  void Progress(Counters* c, const Network& n, const std::string& id,
                double measured, const std::string& how) {
    std::lock_guard<std::mutex> lock(c->mu);
    std::fprintf(stderr, "  [%d/%zu] %s %s: %.0f instructions (%s)\n",
                 ++c->done, tasks_.size(), n.name.c_str(), id.c_str(), measured,
                 how.c_str());
  }

  absl::Status RunTask(const Task& t, Counters* c) {
    const Network& n = *networks_[t.network];
    const std::string id = t.candidate.Id();
    absl::StatusOr<space::Plan> plan = space::PlanCandidate(n.ctx, t.candidate);
    if (!plan.ok()) {
      Fail(c, n, id, std::string(plan.status().message()));
      return absl::OkStatus();
    }
    absl::StatusOr<cost_model::FeatureVector> f = n.features->Extract(*plan);
    if (!f.ok()) return f.status();
    absl::StatusOr<std::optional<StoredSample>> old =
        store_.FindSample(r_.kind, n.hash, id);
    if (!old.ok()) return old.status();
    const bool same_tools = *old && (*old)->toolchain == toolchain_;
    if (same_tools && !r_.refresh) {
      ++c->cached;
      if ((*old)->feature_set_version == cost_model::kFeatureSetVersion &&
          (*old)->features.values == f->values) {
        Progress(c, n, id, (*old)->measured, "stored");
        return absl::OkStatus();
      }
      return Record(n, id, *f, (*old)->measured, (*old)->artifact_hash,
                    (*old)->measured_on, (*old)->measure_seconds, c,
                    "stored, features re-extracted");
    }
    if (!r_.refresh) {
      absl::StatusOr<std::optional<std::string>> failed =
          store_.FindFailure(r_.kind, n.hash, id, toolchain_);
      if (!failed.ok()) return failed.status();
      if (*failed) {
        Fail(c, n, id, **failed + " (recorded; --refresh retries)", false);
        return absl::OkStatus();
      }
    }
    const fs::path dir = work_root_ / n.name / id;
    std::error_code ec;
    fs::remove_all(dir, ec);
    codegen::BuilderOptions bo;
    bo.work_dir = dir.string();
    bo.firmware.jobs = 1;
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<codegen::ModelBuild> b =
        codegen::MakeBuilder(n.graph, bo)->Build(*plan, board_);
    ++c->builds;
    const double build_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    if (!b.ok()) return b.status();
    if (!b->ok) {
      std::string why = absl::StrCat("build failed at ", b->stage,
                                     b->error.empty() ? "" : ": ", b->error);
      for (const codegen::RegionOverflow& o : b->firmware.overflows) {
        absl::StrAppend(&why, " (", o.region, " overflowed by ", o.bytes,
                        " B)");
      }
      Fail(c, n, id, why);
      fs::remove_all(dir, ec);
      return absl::OkStatus();
    }
    absl::StatusOr<std::string> artifact =
        device_farm::Sha256File(b->firmware.bin_path);
    if (!artifact.ok()) return artifact.status();
    if (same_tools && (*old)->artifact_hash == *artifact) {
      ++c->cached;
      fs::remove_all(dir, ec);
      return Record(n, id, *f, (*old)->measured, *artifact, (*old)->measured_on,
                    (*old)->measure_seconds, c, "rebuilt, same image");
    }
    device_farm::QemuRunOptions qo;
    qo.machine = board_.qemu_machine;
    qo.runs = 1;
    qo.warmup = 0;
    qo.timeout = absl::Seconds(r_.timeout_s);
    absl::StatusOr<device_farm::Measurement> m =
        device_farm::RunOnQemu(b->firmware.elf_path, qo);
    ++c->runs;
    fs::remove_all(dir, ec);
    if (!m.ok()) return m.status();
    if (m->status != device_farm::RunStatus::kOk || !(m->per_inference > 0)) {
      Fail(c, n, id,
           absl::StrCat("run ", device_farm::RunStatusName(m->status), " ",
                        m->error));
      return absl::OkStatus();
    }
    return Record(
        n, id, *f, m->per_inference, *artifact, r_.kind,
        build_s + m->wall_seconds, c,
        absl::StrCat("built ", static_cast<int>(build_s * 10) / 10.0,
                     " s, ran ", static_cast<int>(m->wall_seconds * 10) / 10.0,
                     " s"));
  }

  const Request& r_;
  const space::BoardSpec& board_;
  cost_model::ModelStore& store_;
  std::string toolchain_;
  std::vector<std::unique_ptr<Network>> networks_;
  std::vector<Task> tasks_;
  fs::path work_root_;
};

// --share-from: every calibration sample of `from` becomes one of `to`
// (identical instruction counts: same QEMU machine and core), keeping its
// measured_on; samples already copied are not copied again. Returns how
// many samples `to` shares.
absl::StatusOr<int> CopySamples(cost_model::ModelStore& store,
                                const std::string& from,
                                const std::string& to) {
  absl::StatusOr<std::vector<StoredSample>> src = store.Samples(from);
  if (!src.ok()) return src.status();
  int n = 0;
  for (StoredSample s : *src) {
    if (s.source == "job" ||
        s.feature_set_version != cost_model::kFeatureSetVersion)
      continue;
    ++n;
    absl::StatusOr<std::optional<StoredSample>> have =
        store.FindSample(to, s.model_hash, s.candidate_id);
    if (!have.ok()) return have.status();
    if (*have && (*have)->measured == s.measured &&
        (*have)->artifact_hash == s.artifact_hash &&
        (*have)->features.values == s.features.values) {
      continue;
    }
    s.board_kind = to;
    s.source = "calibration";
    s.created_at.clear();
    if (absl::StatusOr<int64_t> id = store.AddSample(s); !id.ok())
      return id.status();
  }
  if (n == 0) {
    return absl::NotFoundError(absl::StrCat("--share-from ", from,
                                            ": no calibration samples; "
                                            "calibrate ",
                                            from, " first"));
  }
  return n;
}

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(),
                          absl::UTCTimeZone());
}

}  // namespace

int RunModelCalibrate(const Args& args) {
  Request r;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--refresh") {
      r.refresh = true;
    } else if (a == "--board-kind" || a == "--db" || a == "--out" ||
               a == "--share-from" || a == "--models" || a == "--strategies") {
      if (!has_value)
        return UsageError("model calibrate: " + a + " needs a value");
      const std::string v = args[++i];
      if (a == "--board-kind") r.kind = v;
      if (a == "--db") r.db = v;
      if (a == "--out") r.out = v;
      if (a == "--share-from") r.share_from = v;
      if (a == "--models") {
        for (absl::string_view m : absl::StrSplit(v, ',', absl::SkipEmpty())) {
          r.models.emplace_back(m);
        }
      }
      if (a == "--strategies") {
        for (absl::string_view s : absl::StrSplit(v, ',', absl::SkipEmpty())) {
          absl::StatusOr<space::Strategy> st =
              space::ParseStrategy(std::string(s));
          if (!st.ok())
            return UsageError("model calibrate: " +
                              std::string(st.status().message()));
          r.strategies.insert(*st);
        }
      }
    } else if (a == "--per-model" || a == "--jobs" || a == "--timeout" ||
               a == "--max-calls") {
      int v = 0;
      const int hi = a == "--jobs"        ? 2
                     : a == "--per-model" ? 1000
                     : a == "--timeout"   ? 3600
                                          : 1000000;
      if (!has_value || !absl::SimpleAtoi(args[i + 1], &v) || v < 1 || v > hi) {
        return UsageError(absl::StrCat("model calibrate: ", a,
                                       " needs an integer in 1..", hi));
      }
      ++i;
      (a == "--per-model" ? r.per_model
       : a == "--jobs"    ? r.jobs
       : a == "--timeout" ? r.timeout_s
                          : r.max_calls) = v;
    } else {
      return UsageError("model calibrate: unexpected argument '" + a + "'");
    }
  }
  if (r.kind.empty())
    return UsageError("model calibrate: missing --board-kind KIND");
  absl::StatusOr<space::BoardSpec> board = space::FindBoard(r.kind);
  if (!board.ok()) return ModelError(board.status());
  if (!board->is_virtual || board->qemu_machine.empty()) {
    return ModelError(absl::InvalidArgumentError(
        absl::StrCat("model calibrate: board kind '", r.kind,
                     "' is not a virtual (QEMU) board")));
  }
  if (!r.share_from.empty()) {
    if (r.share_from == r.kind) {
      return UsageError(
          "model calibrate: --share-from needs another board kind");
    }
    absl::StatusOr<space::BoardSpec> sib = space::FindBoard(r.share_from);
    if (!sib.ok()) return ModelError(sib.status());
    if (sib->qemu_machine != board->qemu_machine || sib->core != board->core ||
        sib->fpu != board->fpu) {
      return ModelError(absl::InvalidArgumentError(
          absl::StrCat("model calibrate: --share-from ", r.share_from, " runs ",
                       sib->qemu_machine, "/", sib->core, ", ", r.kind,
                       " runs ", board->qemu_machine, "/", board->core,
                       ": counts are not interchangeable")));
    }
  }
  if (r.models.empty()) {
    absl::StatusOr<std::vector<graph::zoo::ZooEntry>> zoo =
        graph::zoo::ListZoo();
    if (!zoo.ok()) return ModelError(zoo.status());
    for (const auto& e : *zoo) r.models.push_back(e.arch.name);
  }
  for (const std::string& m : r.models) {  // bad names before any work
    std::error_code ec;
    if (fs::exists(m, ec)) continue;
    if (absl::StatusOr<graph::zoo::ZooEntry> e = graph::zoo::FindInZoo(m);
        !e.ok()) {
      return ModelError(e.status());
    }
  }
  if (r.out.empty()) r.out = cost_model::DefaultCostModelsDir();
  absl::StatusOr<std::string> toolchain =
      codegen::CompilerVersion("arm-none-eabi-gcc");
  if (!toolchain.ok()) return PrintError(toolchain.status());
  absl::StatusOr<std::unique_ptr<cost_model::ModelStore>> store =
      OpenModelStore(r.db);
  if (!store.ok()) return PrintError(store.status());

  const auto start = std::chrono::steady_clock::now();
  Counters counters;
  if (!r.share_from.empty()) {
    absl::StatusOr<int> copied = CopySamples(**store, r.share_from, r.kind);
    if (!copied.ok()) return PrintError(copied.status());
    counters.cached = *copied;
  } else {
    Calibration cal(r, *board, **store,
                    cost_model::BuildIdentity(*toolchain,
                                              tuner::CodegenVersion()));
    for (const std::string& m : r.models) {
      if (absl::Status s = cal.AddNetwork(m); !s.ok()) return ModelError(s);
    }
    if (absl::Status s = cal.Run(&counters); !s.ok()) return PrintError(s);
  }
  absl::StatusOr<KindFit> fit =
      FitKind(**store, r.kind, /*calibration_only=*/true,
              /*store_versions=*/true, "mcutune model calibrate");
  if (!fit.ok()) return PrintError(fit.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  cost_model::CalibrationData d;
  d.board_kind = r.kind;
  d.measured_on = r.share_from.empty() ? r.kind : r.share_from;
  d.machine = board->qemu_machine;
  d.core = board->core;
  d.toolchain = *toolchain;
  d.codegen = tuner::CodegenVersion();
  d.created_at = Now();
  d.generated_by = absl::StrCat("mcutune model calibrate --board-kind ", r.kind,
                                r.share_from.empty()
                                    ? absl::StrCat(" --per-model ", r.per_model,
                                                   " --max-calls ", r.max_calls)
                                    : " --share-from " + r.share_from);
  d.seconds = seconds;
  d.builds = counters.builds;
  d.runs = counters.runs;
  d.cached = counters.cached;
  d.failed = counters.failed;
  d.samples = fit->samples;
  for (const StoredSample& s : d.samples)
    d.measure_seconds += s.measure_seconds;
  d.model_json = fit->model->ToJson();
  d.baseline_json = fit->baseline->ToJson();
  d.evaluation_json = cost_model::EvaluationToJson(fit->evaluation);
  const std::string path = (fs::path(r.out) / (r.kind + ".json")).string();
  if (absl::Status s = cost_model::WriteCalibrationFile(path, d); !s.ok())
    return PrintError(s);
  const cost_model::Scores& m = fit->evaluation.model;
  const cost_model::Scores& b = fit->evaluation.baseline;
  std::printf(
      "%s: %zu samples of %d networks (%d builds, %d runs, %d cached, %zu "
      "failed) in %.0f s\n"
      "model version %d written to %s\n"
      "leave-one-model-out      model   MAC baseline\n"
      "  pearson_r            %7.4f   %7.4f\n  mape                 %6.2f%%   "
      "%6.2f%%\n"
      "  top5_recall          %7.3f   %7.3f\n",
      r.kind.c_str(), fit->samples.size(), m.models, d.builds, d.runs, d.cached,
      d.failed.size(), seconds, fit->version, path.c_str(), m.pearson_r,
      b.pearson_r, 100 * m.mape, 100 * b.mape, m.top5_recall, b.top5_recall);
  return 0;
}

}  // namespace mcutune::cli
