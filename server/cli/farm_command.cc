// `mcutune farm <boards|run|health|drain|enable> ...`: the device farm from
// the command line (docs/device_farm_cli.md).
// - boards: the inventory joined with the persisted board states, plus the
//   queue depth per kind; read-only.
// - drain / enable: change a board's persisted state (a board in the
//   inventory but not yet in the database is registered first). A drained
//   board takes no new runs in any process that reads the database.
// - health: per kind, the known-answer firmware (farm_health_firmware.h) on
//   every board of the kind through Scheduler::CheckHealth: pass -> active,
//   fail -> quarantined. Exit 1 when any board failed.
// - run: farm_run_command.cc.
#include <cstdio>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/cli/commands.h"
#include "server/cli/farm_setup.h"

namespace mcutune::cli {
namespace {

using device_farm::BoardRecord;
using device_farm::BoardState;

constexpr char kFarmUsage[] =
    "usage: mcutune farm <command> [args]   (common: --farm FILE --db FILE "
    "--json)\n"
    "  boards                        inventory, board states, queue per kind\n"
    "  run BUILD_DIR... --board-kind KIND [--repeat N] [--runs N] [--timeout "
    "S]\n"
    "                                measure builds on the boards of KIND\n"
    "  health [--board-kind KIND] [--timeout S]\n"
    "                                run the known-answer firmware on every "
    "board\n"
    "  drain URI                     take a board out of service\n"
    "  enable URI                    put a board back (also out of "
    "quarantine)\n"
    "  Inventory: --farm, else $MCUTUNE_FARM_CONFIG, else configs/farm.json.\n"
    "  Database: --db, else $MCUTUNE_HOME/farm.db, else ./.mcutune/farm.db.\n";

int64_t UnixSecondsOrZero(absl::Time t) {
  return t == absl::InfinitePast() ? 0 : absl::ToUnixSeconds(t);
}

int RunBoards(const Args& args) {
  FarmFlags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const int common = ParseFarmFlag(args, &i, &flags, "boards");
    if (common < 0) return 2;
    if (common == 0)
      return UsageError("farm boards: unexpected argument '" + args[i] + "'");
  }
  absl::StatusOr<FarmSetup> farm = OpenFarm(flags);
  if (!farm.ok()) return FarmError(farm.status());
  device_farm::FarmStore& store = *farm->store;
  absl::StatusOr<std::vector<BoardRecord>> stored = store.ListBoards();
  if (!stored.ok()) return FarmError(stored.status());
  std::map<std::string, BoardRecord> by_uri;
  for (const BoardRecord& b : *stored) by_uri[b.uri] = b;
  // Queue depth per kind and runs in progress per board.
  std::map<std::string, std::pair<int, int>> queue;  // kind -> queued, leased
  std::map<std::string, int> running;
  for (device_farm::RunState state :
       {device_farm::RunState::kQueued, device_farm::RunState::kLeased}) {
    device_farm::RunFilter filter;
    filter.state = state;
    filter.limit = 1000000;
    absl::StatusOr<std::vector<device_farm::RunRecord>> runs =
        store.ListRuns(filter);
    if (!runs.ok()) return FarmError(runs.status());
    for (const device_farm::RunRecord& r : *runs) {
      auto& q = queue[r.request.board_kind];
      if (state == device_farm::RunState::kQueued) {
        ++q.first;
      } else {
        ++q.second;
        ++running[r.lease_board];
      }
    }
  }
  nlohmann::json out;
  out["inventory"] = farm->inventory_path;
  out["db"] = farm->db_path;
  out["boards"] = nlohmann::json::array();
  auto add = [&](const std::string& uri, const std::string& kind, int slots,
                 bool in_inventory) {
    nlohmann::json b;
    b["uri"] = uri;
    b["kind"] = kind;
    b["slots"] = slots;
    b["in_inventory"] = in_inventory;
    b["running"] = running[uri];
    auto it = by_uri.find(uri);
    if (it == by_uri.end()) {
      b["state"] = "active";
      b["seen"] = false;
      b["consecutive_failures"] = 0;
    } else {
      const BoardRecord& r = it->second;
      b["state"] = device_farm::BoardStateName(r.state);
      b["seen"] = true;
      b["consecutive_failures"] = r.consecutive_failures;
      if (r.state == BoardState::kQuarantined) {
        b["quarantine_reason"] = r.quarantine_reason;
        b["next_health_check_unix"] = UnixSecondsOrZero(r.next_health_check_at);
        b["health_check_failures"] = r.health_check_failures;
      }
    }
    out["boards"].push_back(b);
  };
  std::set<std::string> listed;
  for (const device_farm::InventoryBoard& b : farm->inventory.boards) {
    add(b.uri, b.kind, b.slots, true);
    listed.insert(b.uri);
  }
  for (const BoardRecord& r : *stored) {
    if (!listed.count(r.uri)) add(r.uri, r.kind, r.slots, false);
  }
  out["queue"] = nlohmann::json::object();
  for (const auto& [kind, q] : queue)
    out["queue"][kind] = {{"queued", q.first}, {"leased", q.second}};
  if (flags.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%-28s %-12s %5s %-12s %5s %7s  %s\n", "URI", "KIND", "SLOTS",
              "STATE", "FAILS", "RUNNING", "NOTE");
  for (const nlohmann::json& b : out["boards"]) {
    std::string note;
    if (!b["in_inventory"].get<bool>()) note = "not in the inventory; ";
    if (!b["seen"].get<bool>()) note += "not yet used; ";
    if (b.contains("quarantine_reason"))
      note += "quarantined: " + b["quarantine_reason"].get<std::string>();
    std::printf("%-28s %-12s %5d %-12s %5d %7d  %s\n",
                b["uri"].get<std::string>().c_str(),
                b["kind"].get<std::string>().c_str(), b["slots"].get<int>(),
                b["state"].get<std::string>().c_str(),
                b["consecutive_failures"].get<int>(), b["running"].get<int>(),
                note.c_str());
  }
  if (out["queue"].empty()) std::printf("queue: empty\n");
  for (const auto& [kind, q] : out["queue"].items()) {
    std::printf("queue %s: %d queued, %d running\n", kind.c_str(),
                q["queued"].get<int>(), q["leased"].get<int>());
  }
  return 0;
}

int RunSetState(const Args& args, bool enable) {
  const char* name = enable ? "enable" : "drain";
  FarmFlags flags;
  std::string uri;
  for (size_t i = 0; i < args.size(); ++i) {
    const int common = ParseFarmFlag(args, &i, &flags, name);
    if (common < 0) return 2;
    if (common > 0) continue;
    if (!args[i].empty() && args[i][0] == '-') {
      return UsageError(
          absl::StrCat("farm ", name, ": unknown option '", args[i], "'"));
    }
    if (!uri.empty())
      return UsageError(absl::StrCat("farm ", name, ": one URI only"));
    uri = args[i];
  }
  if (uri.empty())
    return UsageError(absl::StrCat("farm ", name, ": missing URI"));
  if (absl::StatusOr<device_farm::BoardUri> parsed =
          device_farm::ParseBoardUri(uri);
      !parsed.ok()) {
    return FarmError(parsed.status());
  }
  absl::StatusOr<FarmSetup> farm = OpenFarm(flags);
  if (!farm.ok()) return FarmError(farm.status());
  device_farm::FarmStore& store = *farm->store;
  const absl::Time now = absl::Now();
  if (!store.GetBoard(uri).ok()) {
    const device_farm::InventoryBoard* entry = nullptr;
    for (const auto& b : farm->inventory.boards) {
      if (b.uri == uri) entry = &b;
    }
    if (entry == nullptr) {
      return FarmError(absl::NotFoundError(
          absl::StrCat("no board '", uri, "' in ", farm->inventory_path,
                       " or the database")));
    }
    if (absl::Status s = store.UpsertBoard(uri, entry->kind, entry->slots, now);
        !s.ok()) {
      return FarmError(s);
    }
  }
  BoardState state = BoardState::kActive;
  if (!enable) {
    device_farm::RunFilter filter;
    filter.state = device_farm::RunState::kLeased;
    filter.limit = 1000000;
    absl::StatusOr<std::vector<device_farm::RunRecord>> leased =
        store.ListRuns(filter);
    if (!leased.ok()) return FarmError(leased.status());
    bool busy = false;
    for (const auto& r : *leased) busy = busy || r.lease_board == uri;
    state = busy ? BoardState::kDraining : BoardState::kDrained;
  }
  const std::string reason =
      enable ? "enabled from the CLI" : "drained from the CLI";
  if (absl::Status s =
          store.SetBoardState(uri, state, reason, absl::InfinitePast(), now);
      !s.ok()) {
    return FarmError(s);
  }
  if (flags.json) {
    std::printf("%s\n",
                nlohmann::json({{"uri", uri},
                                {"state", device_farm::BoardStateName(state)}})
                    .dump()
                    .c_str());
  } else {
    std::printf("%s: %s\n", uri.c_str(), device_farm::BoardStateName(state));
  }
  return 0;
}

}  // namespace

int RunFarmHealth(const Args& args) {
  FarmFlags flags;
  std::string only_kind;
  SchedulerSetup setup;
  setup.health_run_options.timeout = absl::Seconds(30);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const int common = ParseFarmFlag(args, &i, &flags, "health");
    if (common < 0) return 2;
    if (common > 0) continue;
    if (a == "--board-kind" && i + 1 < args.size()) {
      only_kind = args[++i];
    } else if (a == "--timeout") {
      double seconds = 0;
      if (i + 1 >= args.size() || !absl::SimpleAtod(args[i + 1], &seconds) ||
          !(seconds > 0) || seconds > 3600) {
        return UsageError("farm health: --timeout needs seconds in (0, 3600]");
      }
      ++i;
      setup.health_run_options.timeout = absl::Seconds(seconds);
    } else {
      return UsageError("farm health: unexpected argument '" + a + "'");
    }
  }
  absl::StatusOr<FarmSetup> farm = OpenFarm(flags);
  if (!farm.ok()) return FarmError(farm.status());
  std::set<std::string> kinds;
  for (const auto& b : farm->inventory.boards) {
    if (only_kind.empty() || b.kind == only_kind) kinds.insert(b.kind);
  }
  if (kinds.empty()) {
    return FarmError(absl::FailedPreconditionError(
        only_kind.empty()
            ? absl::StrCat("no boards in ", farm->inventory_path)
            : absl::StrCat("no board of kind '", only_kind, "' in ",
                           farm->inventory_path, " (kinds there: ",
                           InventoryKinds(farm->inventory), ")")));
  }
  nlohmann::json out = nlohmann::json::array();
  bool all_passed = true;
  for (const std::string& kind : kinds) {
    absl::StatusOr<std::unique_ptr<device_farm::Scheduler>> scheduler =
        StartFarmScheduler(*farm, {kind}, setup);
    if (!scheduler.ok()) return FarmError(scheduler.status());
    std::vector<std::string> uris;
    for (const auto& b : farm->inventory.boards) {
      if (b.kind == kind) uris.push_back(b.uri);
    }
    // Every board of the kind at once (each check is one run on one slot).
    std::vector<std::future<absl::StatusOr<device_farm::HealthReport>>> checks;
    for (const std::string& uri : uris) {
      checks.push_back(std::async(std::launch::async, [&s = **scheduler, uri] {
        return s.CheckHealth(uri);
      }));
    }
    for (size_t k = 0; k < uris.size(); ++k) {
      absl::StatusOr<device_farm::HealthReport> report = checks[k].get();
      nlohmann::json j;
      j["uri"] = uris[k];
      j["kind"] = kind;
      if (!report.ok()) {
        j["passed"] = false;
        j["detail"] = std::string(report.status().message());
        all_passed = false;
      } else {
        j["passed"] = report->passed;
        j["detail"] = report->detail;
        j["state"] = device_farm::BoardStateName(report->state);
        if (report->measurement.has_value()) {
          j["status"] = device_farm::RunStatusName(report->measurement->status);
          j["output_sha256"] = report->measurement->output_sha256;
          j["per_inference"] = report->measurement->per_inference;
        }
        all_passed = all_passed && report->passed;
      }
      out.push_back(j);
    }
    (*scheduler)->Stop();
  }
  if (flags.json) {
    std::printf(
        "%s\n",
        nlohmann::json({{"boards", out}, {"ok", all_passed}}).dump(2).c_str());
  } else {
    for (const nlohmann::json& j : out) {
      std::printf(
          "%-28s %-4s %-12s %s\n", j["uri"].get<std::string>().c_str(),
          j["passed"].get<bool>() ? "ok" : "FAIL",
          j.contains("state") ? j["state"].get<std::string>().c_str() : "-",
          j["detail"].get<std::string>().c_str());
    }
  }
  return all_passed ? 0 : 1;
}

int RunFarm(const Args& args) {
  if (args.empty()) {
    std::fputs(kFarmUsage, stderr);
    return 2;
  }
  const std::string& sub = args[0];
  const Args rest(args.begin() + 1, args.end());
  if (sub == "-h" || sub == "--help") {
    std::fputs(kFarmUsage, stdout);
    return 0;
  }
  if (sub == "boards") return RunBoards(rest);
  if (sub == "run") return RunFarmRun(rest);
  if (sub == "health") return RunFarmHealth(rest);
  if (sub == "drain") return RunSetState(rest, /*enable=*/false);
  if (sub == "enable") return RunSetState(rest, /*enable=*/true);
  return UsageError("farm: unknown command '" + sub + "'");
}

}  // namespace mcutune::cli
