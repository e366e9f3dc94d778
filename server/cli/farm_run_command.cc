// `mcutune farm run BUILD_DIR... --board-kind KIND [--repeat N] [--runs N]
//  [--warmup N] [--timeout S] [--priority P] [--tag T] [--farm F] [--db D]
//  [--json]`: measures each build on the farm's boards of KIND.
// - Every BUILD_DIR is loaded (LoadArtifact) before anything is queued: a bad
//   one is exit 2 and nothing runs.
// - This process runs a Scheduler over the inventory boards of KIND; the
//   runs are submitted to the database (persisted before they start), then
//   waited for. The workers also serve any other queued run of KIND (e.g.
//   left by a process that died).
// - With --tag, the command is resumable: runs of the same tag, kind,
//   artifact and options already in the database (from an earlier, maybe
//   killed, invocation) are adopted instead of submitted again, so
//   re-running the command completes the same queue and never measures a
//   finished run twice.
// - SIGINT/SIGTERM stop gracefully: unfinished runs go back to the queue.
// Exit 0 when every run is done with its output matching the expected hash
// (or none known), 1 otherwise, 2 for bad input.
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/cli/farm_setup.h"

namespace mcutune::cli {
namespace {

using device_farm::RunRecord;
using device_farm::RunState;

constexpr char kFarmRunUsage[] =
    "usage: mcutune farm run BUILD_DIR... --board-kind KIND [--repeat N]\n"
    "         [--runs N] [--warmup N] [--timeout S] [--priority P] [--tag T]\n"
    "         [--farm FILE] [--db FILE] [--boards DIR] [--json]\n"
    "  Queues one run per BUILD_DIR (firmware.elf + report.json from\n"
    "  `mcutune codegen`) on the boards of KIND in the inventory, runs them\n"
    "  and prints each run: state, status, count per inference with its\n"
    "  spread over the N repeats, and whether the output matched the\n"
    "  expected hash. --runs: measured inferences per repeat; --timeout: hard\n"
    "  limit per attempt (default 60). With --tag the command can be re-run\n"
    "  after an interruption: it adopts the runs it queued before.\n";

struct Job {
  std::string build_dir;
  device_farm::RunRequest request;
  int64_t run_id = 0;
  bool adopted = false;
};

// A run (any state but cancelled) of the same tag, kind, artifact and
// options that no other build dir of this invocation claimed yet.
int64_t FindAdoptable(const std::vector<RunRecord>& existing, const Job& job,
                      std::set<int64_t>* claimed) {
  for (const RunRecord& r : existing) {
    const device_farm::RunRequest& q = r.request;
    if (claimed->count(r.id) || r.state == RunState::kCancelled) continue;
    if (q.artifact.sha256 != job.request.artifact.sha256 ||
        q.repeats != job.request.repeats ||
        q.options.runs != job.request.options.runs ||
        q.options.warmup != job.request.options.warmup) {
      continue;
    }
    claimed->insert(r.id);
    return r.id;
  }
  return 0;
}

nlohmann::json SpreadJson(const device_farm::Spread& s) {
  nlohmann::json j;
  j["count"] = s.count;
  j["unit"] = s.unit;
  j["min"] = s.min;
  j["median"] = s.median;
  j["max"] = s.max;
  j["mean"] = s.mean;
  j["stddev"] = s.stddev;
  j["relative_range"] = s.median > 0 ? (s.max - s.min) / s.median : 0.0;
  return j;
}

// Summary of one finished run; sets *ok.
nlohmann::json RunJson(device_farm::FarmStore& store, const Job& job,
                       const RunRecord& r, bool* ok) {
  nlohmann::json j;
  j["run_id"] = r.id;
  j["build_dir"] = job.build_dir;
  j["adopted"] = job.adopted;
  j["artifact_sha256"] = r.request.artifact.sha256;
  j["board_kind"] = r.request.board_kind;
  j["state"] = device_farm::RunStateName(r.state);
  j["status"] = r.last_status;
  if (!r.last_error.empty()) j["error"] = r.last_error;
  j["attempts"] = r.attempts;
  j["repeats"] = r.request.repeats;
  j["repeats_done"] = r.repeats_done;
  j["expected_output_sha256"] = r.request.artifact.expected_output_sha256;
  nlohmann::json ms = nlohmann::json::array();
  int matched = 0, mismatched = 0, ok_count = 0;
  std::set<std::string> boards;
  absl::StatusOr<std::vector<device_farm::MeasurementRecord>> records =
      store.Measurements(r.id);
  if (records.ok()) {
    for (const device_farm::MeasurementRecord& m : *records) {
      nlohmann::json e;
      e["repeat"] = m.repeat_index;
      e["attempt"] = m.attempt;
      e["board"] = m.board_uri;
      e["status"] = device_farm::RunStatusName(m.measurement.status);
      if (!m.measurement.error.empty()) e["error"] = m.measurement.error;
      e["unit"] = device_farm::CountUnitName(m.measurement.unit);
      e["per_inference"] = m.measurement.per_inference;
      e["output_sha256"] = m.measurement.output_sha256;
      e["stack_high_water_bytes"] = m.measurement.stack_high_water_bytes;
      e["wall_seconds"] = m.measurement.wall_seconds;
      if (m.measurement.status == device_farm::RunStatus::kOk) ++ok_count;
      if (m.output_matches.has_value()) {
        e["output_matches"] = *m.output_matches;
        if (m.measurement.status == device_farm::RunStatus::kOk) {
          (*m.output_matches ? matched : mismatched) += 1;
        }
      }
      boards.insert(m.board_uri);
      ms.push_back(e);
    }
  }
  j["measurements"] = ms;
  j["ok_measurements"] = ok_count;
  j["boards"] = boards;
  if (absl::StatusOr<device_farm::Spread> spread = store.RunSpread(r.id);
      spread.ok()) {
    j["spread"] = SpreadJson(*spread);
  }
  if (mismatched > 0) {
    j["output_matches"] = false;
  } else if (matched > 0) {
    j["output_matches"] = true;
  } else {
    j["output_matches"] = nullptr;  // no expected hash, or nothing measured
  }
  *ok = r.state == RunState::kDone && mismatched == 0;
  j["ok"] = *ok;
  return j;
}

void PrintRunText(const nlohmann::json& j) {
  std::printf("run %lld  %s  %s  %s",
              static_cast<long long>(j["run_id"].get<int64_t>()),
              j["build_dir"].get<std::string>().c_str(),
              j["board_kind"].get<std::string>().c_str(),
              j["state"].get<std::string>().c_str());
  if (!j["status"].get<std::string>().empty()) {
    std::printf(" (%s)", j["status"].get<std::string>().c_str());
  }
  std::printf(
      "  attempts %d%s\n", j["attempts"].get<int>(),
      j["adopted"].get<bool>() ? "  [adopted from an earlier invocation]" : "");
  if (j.contains("error"))
    std::printf("  error: %s\n", j["error"].get<std::string>().c_str());
  if (j.contains("spread") && j["spread"]["count"].get<int>() > 0) {
    const nlohmann::json& s = j["spread"];
    std::printf(
        "  %s/inference: median %.0f  min %.0f  max %.0f  (%d repeats, range "
        "%.3f%%)\n",
        s["unit"].get<std::string>().c_str(), s["median"].get<double>(),
        s["min"].get<double>(), s["max"].get<double>(), s["count"].get<int>(),
        100.0 * s["relative_range"].get<double>());
  }
  const std::string expected = j["expected_output_sha256"];
  if (j["output_matches"].is_null()) {
    std::printf("  output: not judged (%s)\n",
                j["ok_measurements"].get<int>() == 0
                    ? "no ok measurement"
                    : "no expected hash in report.json");
  } else {
    std::printf("  output: %s expected %s\n",
                j["output_matches"].get<bool>() ? "matches" : "DIFFERS from",
                expected.c_str());
  }
  std::string boards;
  for (const auto& b : j["boards"]) boards += " " + b.get<std::string>();
  if (!boards.empty()) std::printf("  boards:%s\n", boards.c_str());
}

}  // namespace

int RunFarmRun(const Args& args) {
  FarmFlags flags;
  std::vector<std::string> dirs;
  std::string kind, tag;
  int repeats = 1, priority = 0;
  device_farm::RunOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    const int common = ParseFarmFlag(args, &i, &flags, "run");
    if (common < 0) return 2;
    if (common > 0) continue;
    if (a == "-h" || a == "--help") {
      std::fputs(kFarmRunUsage, stdout);
      return 0;
    } else if (a == "--board-kind" || a == "--tag") {
      if (!has_value) return UsageError("farm run: " + a + " needs a value");
      (a == "--tag" ? tag : kind) = args[++i];
    } else if (a == "--repeat" || a == "--runs" || a == "--warmup" ||
               a == "--priority") {
      int v = 0;
      const int lo = a == "--warmup" ? 0 : a == "--priority" ? -1000000 : 1;
      const int hi = a == "--repeat" ? 1000 : 1000000;
      if (!has_value || !absl::SimpleAtoi(args[i + 1], &v) || v < lo ||
          v > hi) {
        return UsageError(absl::StrCat("farm run: ", a, " needs an integer in ",
                                       lo, "..", hi));
      }
      ++i;
      (a == "--repeat"   ? repeats
       : a == "--runs"   ? options.runs
       : a == "--warmup" ? options.warmup
                         : priority) = v;
    } else if (a == "--timeout") {
      double seconds = 0;
      if (!has_value || !absl::SimpleAtod(args[i + 1], &seconds) ||
          !(seconds > 0) || seconds > 86400) {
        return UsageError("farm run: --timeout needs seconds in (0, 86400]");
      }
      ++i;
      options.timeout = absl::Seconds(seconds);
    } else if (a.size() > 1 && a[0] == '-') {
      return UsageError("farm run: unknown option '" + a + "'");
    } else {
      dirs.push_back(a);
    }
  }
  if (dirs.empty()) return UsageError("farm run: missing BUILD_DIR");
  if (kind.empty()) return UsageError("farm run: missing --board-kind KIND");
  if (dirs.size() > 10000)
    return UsageError("farm run: at most 10000 build dirs");

  std::vector<Job> jobs;
  for (const std::string& dir : dirs) {
    absl::StatusOr<device_farm::Artifact> artifact =
        device_farm::LoadArtifact(dir);
    if (!artifact.ok()) return FarmError(artifact.status());
    Job job;
    job.build_dir = dir;
    job.request.artifact = *artifact;
    job.request.board_kind = kind;
    job.request.options = options;
    job.request.repeats = repeats;
    job.request.priority = priority;
    job.request.tag = tag;
    jobs.push_back(std::move(job));
  }
  absl::StatusOr<FarmSetup> farm = OpenFarm(flags);
  if (!farm.ok()) return FarmError(farm.status());
  InstallStopHandlers();
  SchedulerSetup setup;
  absl::StatusOr<std::unique_ptr<device_farm::Scheduler>> scheduler =
      StartFarmScheduler(*farm, {kind}, setup);
  if (!scheduler.ok()) return FarmError(scheduler.status());

  std::vector<RunRecord> existing;
  if (!tag.empty()) {
    device_farm::RunFilter filter;
    filter.tag = tag;
    filter.board_kind = kind;
    filter.limit = 100000;
    absl::StatusOr<std::vector<RunRecord>> runs =
        (*scheduler)->ListRuns(filter);
    if (!runs.ok()) return FarmError(runs.status());
    existing.assign(runs->rbegin(), runs->rend());  // oldest first
  }
  std::set<int64_t> claimed;
  for (Job& job : jobs) {
    job.run_id = FindAdoptable(existing, job, &claimed);
    job.adopted = job.run_id != 0;
    if (job.adopted) continue;
    absl::StatusOr<int64_t> id = (*scheduler)->Submit(job.request);
    if (!id.ok()) return FarmError(id.status());
    job.run_id = *id;
  }

  // Bounded wait: every attempt of every repeat at its timeout plus backoff.
  const absl::Duration budget =
      absl::Seconds(120) + static_cast<int64_t>(jobs.size()) * repeats * 3 *
                               (options.timeout + absl::Seconds(10));
  const absl::Time deadline = absl::Now() + budget;
  std::map<int64_t, RunRecord> finished;
  bool interrupted = false;
  while (finished.size() < jobs.size()) {
    if (StopRequested()) {
      interrupted = true;
      break;
    }
    if (absl::Now() > deadline) {
      (*scheduler)->Stop();
      std::fprintf(stderr,
                   "error: runs not finished within %s; they stay queued\n",
                   absl::FormatDuration(budget).c_str());
      return 1;
    }
    // Poll every unfinished run, then block briefly on the first of them.
    int64_t first_pending = 0;
    for (const Job& job : jobs) {
      if (finished.count(job.run_id)) continue;
      absl::StatusOr<RunRecord> r = (*scheduler)->Get(job.run_id);
      if (!r.ok()) {
        (*scheduler)->Stop();
        return FarmError(r.status());
      }
      if (!device_farm::IsTerminal(r->state)) {
        if (first_pending == 0) first_pending = job.run_id;
        continue;
      }
      finished[job.run_id] = *r;
      if (!flags.json) {
        std::fprintf(stderr, "run %lld %s%s%s\n", static_cast<long long>(r->id),
                     device_farm::RunStateName(r->state),
                     r->last_status.empty() ? "" : " ", r->last_status.c_str());
      }
    }
    if (first_pending != 0) {
      absl::StatusOr<RunRecord> r =
          (*scheduler)->Wait(first_pending, absl::Milliseconds(250));
      if (!r.ok() && r.status().code() != absl::StatusCode::kDeadlineExceeded) {
        (*scheduler)->Stop();
        return FarmError(r.status());
      }
    }
  }
  (*scheduler)->Stop();
  if (interrupted) {
    std::fprintf(
        stderr, "interrupted: unfinished runs are back in the queue%s\n",
        tag.empty() ? "" : " (re-run the same command to finish them)");
    return 1;
  }
  bool all_ok = true;
  nlohmann::json out;
  out["runs"] = nlohmann::json::array();
  for (const Job& job : jobs) {
    bool ok = false;
    nlohmann::json j =
        RunJson((*scheduler)->store(), job, finished[job.run_id], &ok);
    all_ok = all_ok && ok;
    if (!flags.json) PrintRunText(j);
    out["runs"].push_back(std::move(j));
  }
  out["ok"] = all_ok;
  out["db"] = farm->db_path;
  if (flags.json) std::printf("%s\n", out.dump(2).c_str());
  return all_ok ? 0 : 1;
}

}  // namespace mcutune::cli
