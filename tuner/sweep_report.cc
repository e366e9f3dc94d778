// Sweep run reports (sweep_report.h).
// - previous_best: among the sweep's points with an id below this run's
//   first point, the last run that measured the item; its fastest point.
// - Markdown tables escape '|' in free text; numbers are formatted plainly
//   (latency with thousands separators is left to the dashboard).
#include "tuner/sweep_report.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "tuner/store.h"

namespace mcutune::tuner {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string Cell(const std::string& s) {
  return absl::StrReplaceAll(s.substr(0, 400), {{"|", "\\|"}, {"\n", " "}});
}

std::string Time(int64_t ms) { return ms > 0 ? FormatTimeMs(ms) : "-"; }

Json PointJson(const SweepPoint& p) {
  return {{"candidate", p.candidate},
          {"strategy", p.strategy},
          {"latency", p.latency},
          {"unit", p.unit},
          {"spread", p.spread},
          {"repeats", p.repeats},
          {"peak_sram_bytes", p.peak_sram_bytes},
          {"flash_bytes", p.flash_bytes},
          {"artifact_sha256", p.artifact_sha256},
          {"job_id", p.job_id},
          {"remeasured", p.remeasured},
          {"time", Time(p.time_ms)}};
}

Json AlertJson(const SweepAlert& a) {
  return {{"kind", a.kind},
          {"severity", a.severity},
          {"item", a.key},
          {"model", a.model},
          {"board_kind", a.board_kind},
          {"constraint", a.constraint},
          {"candidate", a.candidate},
          {"previous", a.previous},
          {"current", a.current},
          {"ratio", a.ratio},
          {"band", a.band},
          {"unit", a.unit},
          {"message", a.message},
          {"time", Time(a.created_ms)}};
}

Json CostJson(const SweepCostRow& c) {
  return {{"board_kind", c.board_kind},
          {"version_used", c.version_used},
          {"version_new", c.version_new},
          {"mape_used", c.mape_used},
          {"mape_new", c.mape_new},
          {"reference_mape", c.reference_mape},
          {"points", c.points},
          {"samples", c.samples},
          {"note", c.note}};
}

std::string Mape(double m) {
  return m < 0 ? "-" : absl::StrFormat("%.1f%%", m * 100);
}

}  // namespace

const SweepPoint* BestPoint(const std::vector<SweepPoint>& points,
                            const std::string& key) {
  const SweepPoint* best = nullptr;
  for (const SweepPoint& p : points) {
    if (p.key != key) continue;
    if (best == nullptr || p.latency < best->latency) best = &p;
  }
  return best;
}

absl::StatusOr<SweepRunReport> LoadSweepRunReport(SweepStore& store,
                                                  const std::string& run_id) {
  SweepRunReport r;
  absl::StatusOr<SweepRunRecord> run = store.GetRun(run_id);
  if (!run.ok()) return run.status();
  r.run = *run;
  absl::StatusOr<std::vector<SweepItemRecord>> items = store.ListItems(run_id);
  if (!items.ok()) return items.status();
  r.items = *items;
  absl::StatusOr<std::vector<SweepPoint>> all = store.Points(r.run.sweep, "");
  if (!all.ok()) return all.status();
  int64_t first = std::numeric_limits<int64_t>::max();
  for (const SweepPoint& p : *all) {
    if (p.run_id == run_id) {
      r.points.push_back(p);
      first = std::min(first, p.id);
    }
  }
  // The last earlier run per key, then its fastest point.
  std::map<std::string, std::string> last_run;
  for (const SweepPoint& p : *all) {
    if (p.id < first && p.run_id != run_id) last_run[p.key] = p.run_id;
  }
  for (const SweepPoint& p : *all) {
    if (p.id >= first || p.run_id == run_id) continue;
    auto it = last_run.find(p.key);
    if (it == last_run.end() || it->second != p.run_id) continue;
    auto best = r.previous_best.find(p.key);
    if (best == r.previous_best.end() || p.latency < best->second.latency) {
      r.previous_best[p.key] = p;
    }
  }
  absl::StatusOr<std::vector<SweepAlert>> alerts =
      store.Alerts(r.run.sweep, run_id, 1000);
  if (!alerts.ok()) return alerts.status();
  r.alerts = *alerts;
  absl::StatusOr<std::vector<SweepCostRow>> costs = store.CostRows(run_id);
  if (!costs.ok()) return costs.status();
  r.cost_models = *costs;
  return r;
}

std::string FormatSweepReportJson(const SweepRunReport& r) {
  const SweepCounts& c = r.run.counts;
  Json run = {{"id", r.run.id},
              {"sweep", r.run.sweep},
              {"trigger", r.run.trigger},
              {"state", r.run.state},
              {"scheduled_for", Time(r.run.scheduled_for_ms)},
              {"started_at", Time(r.run.started_ms)},
              {"finished_at", Time(r.run.finished_ms)},
              {"toolchain", r.run.toolchain},
              {"codegen", r.run.codegen},
              {"error", r.run.error},
              {"counts",
               {{"items", c.items},
                {"tuned", c.tuned},
                {"remeasured", c.remeasured},
                {"skipped", c.skipped},
                {"failed", c.failed},
                {"jobs", c.jobs},
                {"builds", c.builds},
                {"measurements", c.measurements},
                {"farm_runs", c.farm_runs},
                {"alerts", c.alerts}}}};
  Json items = Json::array();
  for (const SweepItemRecord& it : r.items) {
    Json front = Json::array();
    for (const SweepPoint& p : r.points) {
      if (p.key == it.key) front.push_back(PointJson(p));
    }
    Json item = {{"key", it.key},
                 {"model", it.model},
                 {"model_hash", it.model_hash},
                 {"board_kind", it.board_kind},
                 {"constraint", it.constraint},
                 {"action", it.action},
                 {"reason", it.reason},
                 {"state", it.state},
                 {"job_id", it.job_id},
                 {"builds", it.builds},
                 {"measurements", it.measurements},
                 {"farm_runs", it.farm_runs},
                 {"error", it.error},
                 {"fingerprint", it.fingerprint},
                 {"front", front}};
    if (const SweepPoint* b = BestPoint(r.points, it.key)) {
      item["best"] = PointJson(*b);
    }
    if (auto prev = r.previous_best.find(it.key);
        prev != r.previous_best.end()) {
      item["previous_best"] = PointJson(prev->second);
    }
    items.push_back(item);
  }
  Json alerts = Json::array();
  for (const SweepAlert& a : r.alerts) alerts.push_back(AlertJson(a));
  Json costs = Json::array();
  for (const SweepCostRow& cm : r.cost_models) costs.push_back(CostJson(cm));
  return Json{{"run", run},
              {"items", items},
              {"alerts", alerts},
              {"cost_models", costs}}
      .dump(2);
}

std::string FormatSweepReportMarkdown(const SweepRunReport& r) {
  const SweepCounts& c = r.run.counts;
  std::string md =
      absl::StrCat("# Sweep `", r.run.sweep, "`, run `", r.run.id, "`\n\n");
  absl::StrAppend(
      &md, "- trigger: ", r.run.trigger,
      r.run.scheduled_for_ms > 0
          ? absl::StrCat(" (slot ", Time(r.run.scheduled_for_ms), ")")
          : "",
      "\n- state: **", r.run.state, "**",
      r.run.error.empty() ? "" : absl::StrCat(" (", r.run.error, ")"),
      "\n- started ", Time(r.run.started_ms), ", finished ",
      Time(r.run.finished_ms), "\n- items: ", c.items, " (", c.tuned,
      " tuned, ", c.remeasured, " re-measured, ", c.skipped, " skipped, ",
      c.failed, " failed)\n- work: ", c.jobs, " jobs, ", c.builds, " builds, ",
      c.measurements, " measurements, ", c.farm_runs,
      " farm runs\n- toolchain: `", r.run.toolchain, "`; codegen: `",
      r.run.codegen, "`\n\n");
  absl::StrAppend(&md, "## Alerts (", r.alerts.size(), ")\n\n");
  if (r.alerts.empty()) {
    absl::StrAppend(
        &md, "No drift: every comparison was within its noise band.\n\n");
  } else {
    absl::StrAppend(
        &md,
        "| severity | kind | item / board | message |\n|---|---|---|---|\n");
    for (const SweepAlert& a : r.alerts) {
      absl::StrAppend(&md, "| ", a.severity, " | ", a.kind, " | ",
                      Cell(a.key.empty() ? a.board_kind : a.key), " | ",
                      Cell(a.message), " |\n");
    }
    absl::StrAppend(&md, "\n");
  }
  absl::StrAppend(
      &md,
      "## Items\n\n| item | action | best | previous best | change | "
      "front | job | reason |\n|---|---|---|---|---|---|---|---|\n");
  for (const SweepItemRecord& it : r.items) {
    const SweepPoint* best = BestPoint(r.points, it.key);
    auto prev = r.previous_best.find(it.key);
    std::string best_s = "-", prev_s = "-", change = "-";
    if (best)
      best_s = absl::StrFormat("%.0f %s (%s)", best->latency, best->unit,
                               best->candidate);
    if (prev != r.previous_best.end()) {
      prev_s =
          absl::StrFormat("%.0f %s", prev->second.latency, prev->second.unit);
      if (best && prev->second.latency > 0) {
        change = absl::StrFormat(
            "%+.1f%%", (best->latency / prev->second.latency - 1) * 100);
      }
    }
    int front = 0;
    for (const SweepPoint& p : r.points) front += p.key == it.key;
    std::string action = it.action;
    if (it.state == "failed") action += " (failed)";
    std::string reason = it.reason;
    if (!it.error.empty())
      absl::StrAppend(&reason, reason.empty() ? "" : "; ", "error: ", it.error);
    absl::StrAppend(&md, "| ", Cell(it.key), " | ", action, " | ", Cell(best_s),
                    " | ", prev_s, " | ", change, " | ", front, " | ",
                    it.job_id.empty() ? "-" : it.job_id, " | ", Cell(reason),
                    " |\n");
  }
  absl::StrAppend(&md, "\n## Cost models\n\n");
  if (r.cost_models.empty()) {
    absl::StrAppend(
        &md, "No measurements this run: no cost model compared or refitted.\n");
  } else {
    absl::StrAppend(
        &md,
        "| board kind | version used | MAPE | reference | refit | MAPE "
        "(refit) | samples | note |\n|---|---|---|---|---|---|---|---|\n");
    for (const SweepCostRow& cm : r.cost_models) {
      absl::StrAppend(
          &md, "| ", cm.board_kind, " | ",
          cm.version_used > 0 ? absl::StrCat("v", cm.version_used) : "-", " | ",
          Mape(cm.mape_used), " | ", Mape(cm.reference_mape), " | ",
          cm.version_new > 0 ? absl::StrCat("v", cm.version_new) : "-", " | ",
          Mape(cm.mape_new), " | ", cm.samples, " | ", Cell(cm.note), " |\n");
    }
  }
  return md;
}

absl::Status WriteSweepReport(const std::string& dir, const SweepRunReport& r) {
  const fs::path base = fs::path(dir) / r.run.sweep;
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec)
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", base.string()));
  const std::pair<std::string, std::string> files[] = {
      {".md", FormatSweepReportMarkdown(r)},
      {".json", FormatSweepReportJson(r)}};
  for (const auto& [ext, text] : files) {
    for (const std::string& stem : {r.run.id, std::string("latest")}) {
      const fs::path target = base / (stem + ext);
      const fs::path tmp = base / (stem + ext + ".tmp");
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out)
          return absl::PermissionDeniedError(
              absl::StrCat("cannot write ", tmp.string()));
      }
      fs::rename(tmp, target, ec);
      if (ec)
        return absl::PermissionDeniedError(
            absl::StrCat("cannot write ", target.string()));
    }
  }
  return absl::OkStatus();
}

}  // namespace mcutune::tuner
