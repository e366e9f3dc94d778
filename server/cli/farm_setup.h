// What every `mcutune farm ...` command opens: the board catalogue, the
// inventory (configs/farm.json), the farm database and, for commands that run
// firmware, a Scheduler over the inventory boards of some kinds.
//
//   --farm FILE  inventory   default: $MCUTUNE_FARM_CONFIG, else
//                            <source dir>/configs/farm.json
//   --db FILE    database    default: $MCUTUNE_HOME/farm.db when MCUTUNE_HOME
//                            is set, else ./.mcutune/farm.db (created)
//   health-check firmware cache: <directory of the db>/health/
//
// Exit statuses shared by the farm commands: 0 ok, 1 the farm answered but
// something failed (a run not ok, a health check failed, database locked),
// 2 bad input (usage, unknown kind / URI, unreadable build dir or config).
#ifndef MCUTUNE_SERVER_CLI_FARM_SETUP_H_
#define MCUTUNE_SERVER_CLI_FARM_SETUP_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "device_farm/farm_store.h"
#include "device_farm/inventory.h"
#include "device_farm/scheduler.h"
#include "server/cli/commands.h"
#include "tuner/space/board.h"

namespace mcutune::cli {

struct FarmFlags {
  std::string farm_path;   // "" = default
  std::string db_path;     // "" = default
  std::string boards_dir;  // "" = the catalogue default
  bool json = false;
};

// Consumes --farm, --db, --boards and --json at args[*i] (advancing *i past
// a value). Returns 1 when consumed, 0 when not a common flag, -1 (after
// printing the usage error) when a value is missing.
int ParseFarmFlag(const Args& args, size_t* i, FarmFlags* flags,
                  const char* command);

std::string DefaultFarmDbPath();

struct FarmSetup {
  std::vector<space::BoardSpec> catalogue;
  device_farm::Inventory inventory;
  std::string inventory_path;
  std::string db_path;
  std::string health_cache_dir;
  std::shared_ptr<device_farm::FarmStore> store;
};

// Loads catalogue + inventory and opens (creates) the database.
absl::StatusOr<FarmSetup> OpenFarm(const FarmFlags& flags);

struct SchedulerSetup {
  // Build and use the health-check firmware of the (single) kind; a failure
  // to build it is a warning on stderr, not an error.
  bool with_health_artifact = true;
  device_farm::RunOptions health_run_options;
};

// A Scheduler over the inventory boards whose kind is in `kinds` (all of
// them must be one kind when a health artifact is wanted: the scheduler has
// one). FAILED_PRECONDITION (bad input) when no inventory board has a kind.
absl::StatusOr<std::unique_ptr<device_farm::Scheduler>> StartFarmScheduler(
    const FarmSetup& farm, const std::set<std::string>& kinds,
    const SchedulerSetup& setup);

// The kinds of the inventory ("a, b") for error messages.
std::string InventoryKinds(const device_farm::Inventory& inventory);

// Prints "error: ..." and returns 2 for bad-input codes (INVALID_ARGUMENT,
// NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS), 1 otherwise.
int FarmError(const absl::Status& status);

// Installs SIGINT/SIGTERM handlers: the first sets a flag (read by
// StopRequested()) and the commands stop the scheduler gracefully, which
// puts unfinished runs back in the queue; a second one exits at once (exit
// 130; the leases expire and are reclaimed by the next scheduler).
void InstallStopHandlers();
bool StopRequested();

// Subcommands (args after "farm <name>"); farm_command.cc dispatches.
int RunFarmRun(const Args& args);     // farm_run_command.cc
int RunFarmHealth(const Args& args);  // farm_command.cc

}  // namespace mcutune::cli

#endif  // MCUTUNE_SERVER_CLI_FARM_SETUP_H_
