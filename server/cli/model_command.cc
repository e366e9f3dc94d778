// `mcutune model fit|eval|predict|calibrate`: the cost model from the
// command line.
//   fit --board-kind K [--db FILE]            fit on the kind's samples, store
//                                             a new version, print it
//   eval --board-kind K [--json] [--db FILE]  leave-one-model-out evaluation
//                                             of the model vs the MAC baseline
//   predict MODEL --board B [--json] [--top N] [--db FILE]
//                                             rank MODEL's fitting candidates
//                                             by predicted latency
//   calibrate ...                             model_calibrate.cc
// The store (--db, default model_store.h's DefaultModelStorePath()) is seeded
// from configs/cost_models on first use.
#include "server/cli/model_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cost_model/calibration_data.h"
#include "cost_model/features.h"
#include "server/cli/model_arg.h"
#include "tuner/space/board.h"
#include "tuner/space/candidate_family.h"

namespace mcutune::cli {
namespace {

namespace fs = std::filesystem;
using cost_model::Prediction;

constexpr char kModelUsage[] =
    "usage: mcutune model <subcommand> [args]\n"
    "  fit --board-kind K [--db FILE]           fit and store a new version\n"
    "  eval --board-kind K [--json] [--db FILE] leave-one-model-out "
    "evaluation\n"
    "                                           (model vs MAC-only baseline)\n"
    "  predict MODEL --board B [--json] [--top N] [--db FILE]\n"
    "                                           candidates ranked by "
    "predicted\n"
    "                                           latency, with intervals\n"
    "  calibrate --board-kind K [...]           measure a calibration set on\n"
    "                                           QEMU (see calibrate --help)\n";

struct Common {
  std::string kind, db, model, board;
  bool json = false;
  int top = 20;
};

// Parses the options the fit / eval / predict subcommands share.
int ParseCommon(const std::string& sub, const Args& args, bool takes_model,
                Common* c) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--json") {
      c->json = true;
    } else if (a == "--board-kind" || a == "--db" || a == "--board") {
      if (!has_value)
        return UsageError("model " + sub + ": " + a + " needs a value");
      (a == "--board-kind" ? c->kind
       : a == "--db"       ? c->db
                           : c->board) = args[++i];
    } else if (a == "--top") {
      if (!has_value || !absl::SimpleAtoi(args[i + 1], &c->top) || c->top < 1) {
        return UsageError("model " + sub + ": --top needs a positive integer");
      }
      ++i;
    } else if (takes_model && c->model.empty() &&
               !(a.size() > 1 && a[0] == '-')) {
      c->model = a;
    } else {
      return UsageError("model " + sub + ": unexpected argument '" + a + "'");
    }
  }
  return 0;
}

int RunFit(const Args& args) {
  Common c;
  if (int rc = ParseCommon("fit", args, false, &c)) return rc;
  if (c.kind.empty()) return UsageError("model fit: missing --board-kind KIND");
  absl::StatusOr<std::unique_ptr<cost_model::ModelStore>> store =
      OpenModelStore(c.db);
  if (!store.ok()) return PrintError(store.status());
  absl::StatusOr<KindFit> fit =
      FitKind(**store, c.kind, false, true, "mcutune model fit");
  if (!fit.ok()) return ModelError(fit.status());
  std::printf(
      "%s: linear model version %d fitted on %zu samples of %d networks\n",
      c.kind.c_str(), fit->version, fit->samples.size(),
      fit->evaluation.model.models);
  for (const auto& [name, coef] : fit->model->Coefficients()) {
    if (coef != 0) std::printf("  %-24s %.6g\n", name.c_str(), coef);
  }
  std::printf(
      "leave-one-model-out: pearson_r %.4f (baseline %.4f), mape %.2f%% "
      "(%.2f%%), "
      "top5_recall %.3f (%.3f)\n",
      fit->evaluation.model.pearson_r, fit->evaluation.baseline.pearson_r,
      100 * fit->evaluation.model.mape, 100 * fit->evaluation.baseline.mape,
      fit->evaluation.model.top5_recall, fit->evaluation.baseline.top5_recall);
  return 0;
}

int RunEval(const Args& args) {
  Common c;
  if (int rc = ParseCommon("eval", args, false, &c)) return rc;
  if (c.kind.empty())
    return UsageError("model eval: missing --board-kind KIND");
  absl::StatusOr<std::unique_ptr<cost_model::ModelStore>> store =
      OpenModelStore(c.db);
  if (!store.ok()) return PrintError(store.status());
  absl::StatusOr<KindFit> fit = FitKind(**store, c.kind, false, false, "");
  if (!fit.ok()) return ModelError(fit.status());
  const cost_model::EvaluationReport& e = fit->evaluation;
  if (c.json) {
    nlohmann::json j = nlohmann::json::parse(cost_model::EvaluationToJson(e));
    j["board_kind"] = c.kind;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s: leave-one-model-out over %d samples of %d networks\n",
              c.kind.c_str(), e.model.samples, e.model.models);
  std::printf("                    model   MAC baseline\n");
  auto row = [](const char* name, double a, double b) {
    std::printf("  %-16s %8.4f   %8.4f\n", name, a, b);
  };
  row("pearson_r", e.model.pearson_r, e.baseline.pearson_r);
  row("r2", e.model.r2, e.baseline.r2);
  row("mape", e.model.mape, e.baseline.mape);
  row("spearman", e.model.spearman, e.baseline.spearman);
  row("spearman_within", e.model.spearman_within, e.baseline.spearman_within);
  row("top1_recall", e.model.top1_recall, e.baseline.top1_recall);
  row("top5_recall", e.model.top5_recall, e.baseline.top5_recall);
  row("interval_cover", e.model.interval_coverage,
      e.baseline.interval_coverage);
  std::printf(
      "  per network: mape (baseline), best in predicted top 5 (baseline)\n");
  for (const cost_model::ModelScores& m : e.per_model) {
    std::printf("    %-24s %3d  %6.2f%% (%6.2f%%)  %s (%s)\n", m.model.c_str(),
                m.samples, 100 * m.mape, 100 * m.baseline_mape,
                m.best_in_top5 ? "yes" : "no",
                m.baseline_best_in_top5 ? "yes" : "no");
  }
  return 0;
}

struct Ranked {
  space::Plan plan;  // details dropped
  Prediction p;
};

int RunPredict(const Args& args) {
  Common c;
  if (int rc = ParseCommon("predict", args, true, &c)) return rc;
  if (c.model.empty()) return UsageError("model predict: missing MODEL");
  if (c.board.empty())
    return UsageError("model predict: missing --board BOARD");
  absl::StatusOr<space::BoardSpec> board = space::FindBoard(c.board);
  if (!board.ok()) return ModelError(board.status());
  absl::StatusOr<graph::Graph> g = LoadModelArg(c.model);
  if (!g.ok()) return ModelError(g.status());
  absl::StatusOr<std::unique_ptr<cost_model::ModelStore>> store =
      OpenModelStore(c.db);
  if (!store.ok()) return PrintError(store.status());
  absl::StatusOr<std::optional<cost_model::ModelVersion>> v =
      (*store)->LatestModel(board->id);
  if (!v.ok()) return PrintError(v.status());
  if (!*v) {
    return PrintError(absl::NotFoundError(absl::StrCat(
        "no cost model for board kind '", board->id,
        "'; run `mcutune model calibrate --board-kind ", board->id, "`")));
  }
  absl::StatusOr<std::unique_ptr<cost_model::CostModel>> model =
      cost_model::CostModelFromJson((*v)->params_json);
  if (!model.ok()) return PrintError(model.status());
  // Full plans one at a time (features need steps), details dropped after.
  const space::PlanningContext ctx = space::MakePlanningContext(*g, *board, {});
  const cost_model::FeatureExtractor fx(*g, *board);
  std::vector<Ranked> ranked;
  int unfit = 0;
  for (const auto& family : space::AllCandidateFamilies()) {
    for (const space::Candidate& cand : family->Candidates(ctx)) {
      absl::StatusOr<space::Plan> plan = family->MakePlan(ctx, cand);
      if (!plan.ok()) continue;
      if (!plan->metrics.fits) {
        ++unfit;
        continue;
      }
      absl::StatusOr<cost_model::FeatureVector> f = fx.Extract(*plan);
      if (!f.ok()) return PrintError(f.status());
      Ranked r{*std::move(plan), (*model)->Predict(*f)};
      r.plan.steps.clear();
      r.plan.buffers.clear();
      ranked.push_back(std::move(r));
    }
  }
  std::stable_sort(
      ranked.begin(), ranked.end(),
      [](const Ranked& a, const Ranked& b) { return a.p.mean < b.p.mean; });
  const size_t shown =
      std::min<size_t>(ranked.size(), static_cast<size_t>(c.top));
  if (c.json) {
    nlohmann::json j;
    j["model"] = g->name;
    j["board"] = board->id;
    j["cost_model_version"] = (*v)->version;
    j["unit"] = "instructions";
    j["candidates"] = ranked.size();
    j["unfit"] = unfit;
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < shown; ++i) {
      const Ranked& r = ranked[i];
      rows.push_back({{"rank", i + 1},
                      {"candidate", r.plan.candidate.Id()},
                      {"predicted", r.p.mean},
                      {"lower", r.p.lower},
                      {"upper", r.p.upper},
                      {"macs", r.plan.metrics.macs_total},
                      {"peak_sram_bytes", r.plan.memory.peak_sram_bytes},
                      {"flash_bytes", r.plan.metrics.flash_bytes}});
    }
    j["ranking"] = rows;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf(
      "%s on %s: %zu fitting candidates (cost model v%d, instructions per "
      "inference, 90%% interval)\n",
      g->name.c_str(), board->id.c_str(), ranked.size(), (*v)->version);
  std::printf(
      "  rank candidate                         predicted      interval"
      "                    MACs  peak KiB\n");
  for (size_t i = 0; i < shown; ++i) {
    const Ranked& r = ranked[i];
    std::printf("  %4zu %-30s %12.0f  [%11.0f, %11.0f] %11lld %9.1f\n", i + 1,
                r.plan.candidate.Id().c_str(), r.p.mean, r.p.lower, r.p.upper,
                static_cast<long long>(r.plan.metrics.macs_total),
                r.plan.memory.peak_sram_bytes / 1024.0);
  }
  return 0;
}

}  // namespace

int ModelError(const absl::Status& status) {
  const int rc = PrintError(status);
  return status.code() == absl::StatusCode::kInvalidArgument ||
                 status.code() == absl::StatusCode::kNotFound
             ? 2
             : rc;
}

absl::StatusOr<std::unique_ptr<cost_model::ModelStore>> OpenModelStore(
    const std::string& path_arg) {
  const std::string path =
      path_arg.empty() ? cost_model::DefaultModelStorePath() : path_arg;
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  absl::StatusOr<std::unique_ptr<cost_model::ModelStore>> store =
      cost_model::ModelStore::Open(path);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::vector<std::string>> imported =
      cost_model::ImportShippedData(**store);
  if (!imported.ok()) return imported.status();
  return store;
}

absl::StatusOr<KindFit> FitKind(cost_model::ModelStore& store,
                                const std::string& kind, bool calibration_only,
                                bool store_versions, const std::string& note) {
  absl::StatusOr<std::vector<cost_model::StoredSample>> rows =
      store.Samples(kind);
  if (!rows.ok()) return rows.status();
  KindFit fit;
  std::vector<cost_model::Sample> samples;
  for (cost_model::StoredSample& s : *rows) {
    if (calibration_only && s.source == "job") continue;
    if (s.feature_set_version != cost_model::kFeatureSetVersion) continue;
    cost_model::Sample x;
    x.model = s.model_name;
    x.candidate = s.candidate_id;
    x.features = s.features;
    x.measured = s.measured;
    x.id = s.id;
    samples.push_back(std::move(x));
    fit.samples.push_back(std::move(s));
  }
  if (samples.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no samples for board kind '", kind,
        "'; run `mcutune model calibrate --board-kind ", kind, "`"));
  }
  fit.model = cost_model::MakeCostModel();
  fit.baseline = cost_model::MakeMacBaseline();
  if (absl::Status s = fit.model->Fit(samples); !s.ok()) return s;
  if (absl::Status s = fit.baseline->Fit(samples); !s.ok()) return s;
  absl::StatusOr<cost_model::EvaluationReport> e =
      cost_model::LeaveOneModelOut(samples);
  if (!e.ok()) return e.status();
  fit.evaluation = *std::move(e);
  if (store_versions) {
    cost_model::ModelVersion v;
    v.board_kind = kind;
    for (const cost_model::Sample& s : samples) v.sample_ids.push_back(s.id);
    v.evaluation_json = cost_model::EvaluationToJson(fit.evaluation);
    v.note = note;
    v.kind = "linear";
    v.params_json = fit.model->ToJson();
    absl::StatusOr<int> version = store.AddModelVersion(v);
    if (!version.ok()) return version.status();
    fit.version = *version;
    v.kind = "mac";
    v.params_json = fit.baseline->ToJson();
    if (absl::StatusOr<int> b = store.AddModelVersion(v); !b.ok())
      return b.status();
  }
  return fit;
}

int RunModel(const Args& args) {
  if (args.empty())
    return UsageError(
        "model: missing subcommand (fit, eval, predict, calibrate)");
  const std::string& sub = args[0];
  const Args rest(args.begin() + 1, args.end());
  if (sub == "-h" || sub == "--help") {
    std::fputs(kModelUsage, stdout);
    return 0;
  }
  if (sub != "calibrate" &&
      std::find_if(rest.begin(), rest.end(), [](const std::string& a) {
        return a == "-h" || a == "--help";
      }) != rest.end()) {
    std::fputs(kModelUsage, stdout);
    return 0;
  }
  if (sub == "fit") return RunFit(rest);
  if (sub == "eval") return RunEval(rest);
  if (sub == "predict") return RunPredict(rest);
  if (sub == "calibrate") return RunModelCalibrate(rest);
  return UsageError("model: unknown subcommand '" + sub + "'");
}

}  // namespace mcutune::cli
