// The boards of this host: configs/farm.json, validated against the board
// catalogue, and the factory that turns its entries into Board objects.
//
//   configs/farm.json ──LoadInventory(path, catalogue)──► Inventory
//   Inventory ──BuildBoards(inventory, catalogue, factory)──► [Board]
//                                                   ──► MakeScheduler(...)
//
// File format (one JSON object, no comments; unknown keys are errors):
//   {
//     "boards": [                               required, 0..256 entries
//       {"uri": "qemu://qemu-f746/0",           unique; "qemu://<virtual
//                                               catalogue id>[/<suffix>]" or
//                                               "pyocd://<probe uid>"
//        "kind": "qemu-f746",                   catalogue id; for qemu://
//                                               equal to the URI's target and
//                                               a virtual board; for pyocd://
//                                               a real board
//        "slots": 1,                            1..16 (optional, default 1)
//        "options": {...}}                      object handed to the factory
//                                               as is (optional, default {})
//     ],
//     "health_check": {"interval_s": 300,       re-check of a quarantined
//                      "max_interval_s": 3600}, board, doubling per failure
//                                               up to max (both optional)
//     "scheduler": {"lease_s": 30,              lease expiry (renewed while
//                                               the run is in progress)
//                   "max_attempts": 3,          default for RunRequest
//                   "quarantine_after": 3,      consecutive board failures
//                   "retry_backoff_s": 2,       first retry delay, doubling
//                   "retry_backoff_max_s": 120} (all optional)
//   }
// Durations are numbers of seconds > 0 (fractions allowed).
// Thread-safe (pure functions; the default factory builds new objects).
#ifndef MCUTUNE_DEVICE_FARM_INVENTORY_H_
#define MCUTUNE_DEVICE_FARM_INVENTORY_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "device_farm/board.h"
#include "nlohmann/json.hpp"
#include "tuner/space/board.h"

namespace mcutune::device_farm {

struct InventoryBoard {
  std::string uri;
  std::string kind;
  int slots = 1;
  nlohmann::json options = nlohmann::json::object();
};

struct Inventory {
  std::vector<InventoryBoard> boards;
  // Unset fields keep the SchedulerOptions defaults (ApplyInventory in
  // scheduler.h).
  std::optional<absl::Duration> health_check_interval;
  std::optional<absl::Duration> health_check_max_interval;
  std::optional<absl::Duration> lease_duration;
  std::optional<int> max_attempts;
  std::optional<int> quarantine_after;
  std::optional<absl::Duration> retry_backoff;
  std::optional<absl::Duration> retry_backoff_max;
};

// <source dir>/configs/farm.json, or $MCUTUNE_FARM_CONFIG when set.
std::string DefaultInventoryPath();

// Parses and validates; `origin` names the file in errors. INVALID_ARGUMENT
// (naming the entry and field) for anything malformed: unknown keys, bad
// types, unknown kind, qemu URI not matching its kind, slots out of range,
// duplicate URIs.
absl::StatusOr<Inventory> ParseInventory(
    const std::string& json_text, const std::string& origin,
    const std::vector<space::BoardSpec>& catalogue);
// Reads `path` (NOT_FOUND when missing) and ParseInventory.
absl::StatusOr<Inventory> LoadInventory(
    const std::string& path, const std::vector<space::BoardSpec>& catalogue);
// Validates one entry (also for boards added at run time).
absl::Status ValidateInventoryBoard(
    const InventoryBoard& entry,
    const std::vector<space::BoardSpec>& catalogue);

// Builds the Board of one inventory entry; `spec` is the catalogue entry of
// entry.kind. The board must report slots() == entry.slots.
using BoardFactory = std::function<absl::StatusOr<std::unique_ptr<Board>>(
    const InventoryBoard& entry, const space::BoardSpec& spec)>;

// qemu:// -> MakeQemuBoard, pyocd:// -> MakePyocdBoard (board_factory.cc).
BoardFactory DefaultBoardFactory();

// One Board per entry, in order; the first factory error (naming the URI).
absl::StatusOr<std::vector<std::unique_ptr<Board>>> BuildBoards(
    const Inventory& inventory, const std::vector<space::BoardSpec>& catalogue,
    const BoardFactory& factory = DefaultBoardFactory());

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_INVENTORY_H_
