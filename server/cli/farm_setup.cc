// Opening the farm for the CLI (see farm_setup.h).
#include "server/cli/farm_setup.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/cli/farm_health_firmware.h"

namespace mcutune::cli {
namespace {

namespace fs = std::filesystem;

volatile std::sig_atomic_t g_stop = 0;

// First signal: stop gracefully (the repeat in progress finishes, up to its
// timeout). Second: leave now; the leases of unfinished runs expire and the
// next scheduler reclaims them (with an event), so nothing is lost.
void OnStopSignal(int) {
  if (g_stop) _exit(130);
  g_stop = 1;
  static const char kMessage[] =
      "stopping after the runs in progress (signal again to quit now)\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
}

}  // namespace

int ParseFarmFlag(const Args& args, size_t* i, FarmFlags* flags,
                  const char* command) {
  const std::string& a = args[*i];
  if (a == "--json") {
    flags->json = true;
    return 1;
  }
  if (a != "--farm" && a != "--db" && a != "--boards") return 0;
  if (*i + 1 >= args.size() || args[*i + 1].empty()) {
    UsageError(absl::StrCat("farm ", command, ": ", a, " needs a value"));
    return -1;
  }
  std::string* dst = a == "--farm" ? &flags->farm_path
                     : a == "--db" ? &flags->db_path
                                   : &flags->boards_dir;
  *dst = args[++*i];
  return 1;
}

std::string DefaultFarmDbPath() {
  const char* home = std::getenv("MCUTUNE_HOME");
  if (home != nullptr && *home != '\0')
    return (fs::path(home) / "farm.db").string();
  return (fs::path(".mcutune") / "farm.db").string();
}

absl::StatusOr<FarmSetup> OpenFarm(const FarmFlags& flags) {
  FarmSetup farm;
  absl::StatusOr<std::vector<space::BoardSpec>> catalogue =
      space::LoadBoardCatalogue(flags.boards_dir.empty()
                                    ? space::DefaultBoardsDir()
                                    : flags.boards_dir);
  if (!catalogue.ok()) return catalogue.status();
  farm.catalogue = std::move(*catalogue);
  farm.inventory_path = flags.farm_path.empty()
                            ? device_farm::DefaultInventoryPath()
                            : flags.farm_path;
  absl::StatusOr<device_farm::Inventory> inventory =
      device_farm::LoadInventory(farm.inventory_path, farm.catalogue);
  if (!inventory.ok()) return inventory.status();
  farm.inventory = std::move(*inventory);
  farm.db_path = flags.db_path.empty() ? DefaultFarmDbPath() : flags.db_path;
  std::error_code ec;
  const fs::path db_dir = fs::absolute(farm.db_path, ec).parent_path();
  fs::create_directories(db_dir, ec);
  if (ec)
    return absl::PermissionDeniedError("cannot create " + db_dir.string());
  farm.health_cache_dir = (db_dir / "health").string();
  absl::StatusOr<std::unique_ptr<device_farm::FarmStore>> store =
      device_farm::FarmStore::Open(farm.db_path);
  if (!store.ok()) return store.status();
  farm.store = std::move(*store);
  return farm;
}

std::string InventoryKinds(const device_farm::Inventory& inventory) {
  std::set<std::string> kinds;
  for (const device_farm::InventoryBoard& b : inventory.boards)
    kinds.insert(b.kind);
  return kinds.empty() ? "none" : absl::StrJoin(kinds, ", ");
}

absl::StatusOr<std::unique_ptr<device_farm::Scheduler>> StartFarmScheduler(
    const FarmSetup& farm, const std::set<std::string>& kinds,
    const SchedulerSetup& setup) {
  device_farm::Inventory subset = farm.inventory;
  subset.boards.clear();
  std::set<std::string> seen;
  for (const device_farm::InventoryBoard& b : farm.inventory.boards) {
    if (kinds.count(b.kind)) {
      subset.boards.push_back(b);
      seen.insert(b.kind);
    }
  }
  for (const std::string& kind : kinds) {
    if (!seen.count(kind)) {
      return absl::FailedPreconditionError(
          absl::StrCat("no board of kind '", kind, "' in ", farm.inventory_path,
                       " (kinds there: ", InventoryKinds(farm.inventory), ")"));
    }
  }
  device_farm::SchedulerOptions options;
  device_farm::ApplyInventory(farm.inventory, &options);
  if (setup.with_health_artifact && kinds.size() == 1) {
    absl::StatusOr<space::BoardSpec> spec =
        space::FindBoard(farm.catalogue, *kinds.begin());
    absl::StatusOr<device_farm::Artifact> health =
        spec.ok() ? BuildHealthArtifact(*spec, farm.health_cache_dir)
                  : absl::StatusOr<device_farm::Artifact>(spec.status());
    if (health.ok()) {
      options.health_artifact = *health;
      options.health_run_options = setup.health_run_options;
    } else {
      std::fprintf(stderr, "warning: no health-check firmware for %s: %s\n",
                   kinds.begin()->c_str(),
                   std::string(health.status().message()).c_str());
    }
  }
  absl::StatusOr<std::vector<std::unique_ptr<device_farm::Board>>> boards =
      device_farm::BuildBoards(subset, farm.catalogue);
  if (!boards.ok()) return boards.status();
  return device_farm::MakeScheduler(farm.store, std::move(*boards), options);
}

int FarmError(const absl::Status& status) {
  PrintError(status);
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return 2;
    default:
      return 1;
  }
}

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool StopRequested() { return g_stop != 0; }

}  // namespace mcutune::cli
