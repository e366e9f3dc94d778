// Inventory: configs/farm.json parsing and validation; BuildBoards.
// - Validation is complete at the door: every key known, every type and
//   range checked, every entry checked against the board catalogue, with
//   errors naming the file, the entry index/URI and the field.
// - URI syntax comes from ParseBoardUri (board.h); the inventory adds the
//   rules that need the catalogue (qemu target == kind, virtual vs real).
#include "device_farm/inventory.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace mcutune::device_farm {
namespace {

using json = nlohmann::json;

constexpr int kMaxBoards = 256;
constexpr int kMaxSlots = 16;

absl::Status Bad(const std::string& origin, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(origin, ": ", why));
}

absl::Status CheckKeys(const json& obj, const std::set<std::string>& known,
                       const std::string& origin, const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!known.count(it.key())) {
      std::string list;
      for (const std::string& k : known) {
        absl::StrAppend(&list, list.empty() ? "" : ", ", k);
      }
      return Bad(origin, absl::StrCat(where, ": unknown key '", it.key(),
                                      "' (known: ", list, ")"));
    }
  }
  return absl::OkStatus();
}

// A positive number of seconds as a Duration.
absl::StatusOr<absl::Duration> Seconds(const json& v, const std::string& origin,
                                       const std::string& where) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) ||
      v.get<double>() <= 0 || v.get<double>() > 7 * 24 * 3600) {
    return Bad(origin, absl::StrCat(where, " must be a number of seconds in "
                                           "(0, 604800]"));
  }
  return absl::Seconds(v.get<double>());
}

absl::StatusOr<int> SmallInt(const json& v, int lo, int hi,
                             const std::string& origin,
                             const std::string& where) {
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    return Bad(origin, absl::StrCat(where, " must be an integer in ", lo, "..",
                                    hi));
  }
  return static_cast<int>(v.get<int64_t>());
}

const space::BoardSpec* Find(const std::vector<space::BoardSpec>& catalogue,
                             const std::string& id) {
  for (const space::BoardSpec& b : catalogue) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

#define INV_ASSIGN(lhs, expr)            \
  do {                                   \
    auto _v = (expr);                    \
    if (!_v.ok()) return _v.status();    \
    lhs = *_v;                           \
  } while (0)

}  // namespace

std::string DefaultInventoryPath() {
  if (const char* env = std::getenv("MCUTUNE_FARM_CONFIG"); env && *env) {
    return env;
  }
  return std::string(MCUTUNE_SOURCE_DIR) + "/configs/farm.json";
}

absl::Status ValidateInventoryBoard(
    const InventoryBoard& entry,
    const std::vector<space::BoardSpec>& catalogue) {
  const std::string where = absl::StrCat("board '", entry.uri, "'");
  absl::StatusOr<BoardUri> uri = ParseBoardUri(entry.uri);
  if (!uri.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", uri.status().message()));
  }
  const space::BoardSpec* spec = Find(catalogue, entry.kind);
  if (!spec) {
    std::string ids;
    for (const auto& b : catalogue) absl::StrAppend(&ids, ids.empty() ? "" : ", ", b.id);
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": kind '", entry.kind, "' is not in the board catalogue (",
        ids, ")"));
  }
  if (uri->scheme == "qemu") {
    if (uri->target != entry.kind) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": a qemu board's URI target '", uri->target,
          "' must equal its kind '", entry.kind, "'"));
    }
    if (!spec->is_virtual || spec->qemu_machine.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": kind '", entry.kind,
          "' is not a virtual board QEMU can emulate"));
    }
  } else if (uri->scheme == "pyocd" && spec->is_virtual) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": a pyocd board's kind must be a real board, '", entry.kind,
        "' is virtual"));
  }
  if (entry.slots < 1 || entry.slots > kMaxSlots) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": slots must be 1..", kMaxSlots));
  }
  if (!entry.options.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": options must be an object"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Inventory> ParseInventory(
    const std::string& json_text, const std::string& origin,
    const std::vector<space::BoardSpec>& catalogue) {
  const json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad(origin, "not valid JSON");
  if (!j.is_object()) return Bad(origin, "must be a JSON object");
  if (absl::Status s = CheckKeys(j, {"boards", "health_check", "scheduler"},
                                 origin, "top level");
      !s.ok()) {
    return s;
  }
  Inventory inv;
  if (!j.contains("boards") || !j["boards"].is_array()) {
    return Bad(origin, "\"boards\" must be an array");
  }
  if (j["boards"].size() > kMaxBoards) {
    return Bad(origin, absl::StrCat("more than ", kMaxBoards, " boards"));
  }
  std::set<std::string> seen;
  int index = 0;
  for (const json& b : j["boards"]) {
    const std::string where = absl::StrCat("boards[", index++, "]");
    if (!b.is_object()) return Bad(origin, where + " must be an object");
    if (absl::Status s =
            CheckKeys(b, {"uri", "kind", "slots", "options"}, origin, where);
        !s.ok()) {
      return s;
    }
    InventoryBoard e;
    if (!b.contains("uri") || !b["uri"].is_string()) {
      return Bad(origin, where + ": \"uri\" (string) is required");
    }
    e.uri = b["uri"].get<std::string>();
    if (!b.contains("kind") || !b["kind"].is_string()) {
      return Bad(origin, where + ": \"kind\" (string) is required");
    }
    e.kind = b["kind"].get<std::string>();
    if (b.contains("slots")) {
      INV_ASSIGN(e.slots, SmallInt(b["slots"], 1, kMaxSlots, origin,
                                   where + ".slots"));
    }
    if (b.contains("options")) {
      if (!b["options"].is_object()) {
        return Bad(origin, where + ".options must be an object");
      }
      e.options = b["options"];
    }
    if (absl::Status s = ValidateInventoryBoard(e, catalogue); !s.ok()) {
      return Bad(origin, absl::StrCat(where, ": ", s.message()));
    }
    if (!seen.insert(e.uri).second) {
      return Bad(origin, absl::StrCat(where, ": duplicate uri '", e.uri, "'"));
    }
    inv.boards.push_back(std::move(e));
  }
  if (j.contains("health_check")) {
    const json& h = j["health_check"];
    if (!h.is_object()) return Bad(origin, "\"health_check\" must be an object");
    if (absl::Status s = CheckKeys(h, {"interval_s", "max_interval_s"}, origin,
                                   "health_check");
        !s.ok()) {
      return s;
    }
    if (h.contains("interval_s")) {
      INV_ASSIGN(inv.health_check_interval,
                 Seconds(h["interval_s"], origin, "health_check.interval_s"));
    }
    if (h.contains("max_interval_s")) {
      INV_ASSIGN(inv.health_check_max_interval,
                 Seconds(h["max_interval_s"], origin,
                         "health_check.max_interval_s"));
    }
    if (inv.health_check_interval && inv.health_check_max_interval &&
        *inv.health_check_max_interval < *inv.health_check_interval) {
      return Bad(origin, "health_check.max_interval_s < interval_s");
    }
  }
  if (j.contains("scheduler")) {
    const json& s = j["scheduler"];
    if (!s.is_object()) return Bad(origin, "\"scheduler\" must be an object");
    if (absl::Status st = CheckKeys(
            s, {"lease_s", "max_attempts", "quarantine_after", "retry_backoff_s",
                "retry_backoff_max_s"},
            origin, "scheduler");
        !st.ok()) {
      return st;
    }
    if (s.contains("lease_s")) {
      INV_ASSIGN(inv.lease_duration,
                 Seconds(s["lease_s"], origin, "scheduler.lease_s"));
    }
    if (s.contains("max_attempts")) {
      INV_ASSIGN(inv.max_attempts, SmallInt(s["max_attempts"], 1, 100, origin,
                                            "scheduler.max_attempts"));
    }
    if (s.contains("quarantine_after")) {
      INV_ASSIGN(inv.quarantine_after,
                 SmallInt(s["quarantine_after"], 1, 1000, origin,
                          "scheduler.quarantine_after"));
    }
    if (s.contains("retry_backoff_s")) {
      INV_ASSIGN(inv.retry_backoff, Seconds(s["retry_backoff_s"], origin,
                                            "scheduler.retry_backoff_s"));
    }
    if (s.contains("retry_backoff_max_s")) {
      INV_ASSIGN(inv.retry_backoff_max,
                 Seconds(s["retry_backoff_max_s"], origin,
                         "scheduler.retry_backoff_max_s"));
    }
    if (inv.retry_backoff && inv.retry_backoff_max &&
        *inv.retry_backoff_max < *inv.retry_backoff) {
      return Bad(origin, "scheduler.retry_backoff_max_s < retry_backoff_s");
    }
  }
  return inv;
}

absl::StatusOr<Inventory> LoadInventory(
    const std::string& path, const std::vector<space::BoardSpec>& catalogue) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read farm inventory ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > (1 << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than 1 MiB"));
  }
  return ParseInventory(text.str(), path, catalogue);
}

absl::StatusOr<std::vector<std::unique_ptr<Board>>> BuildBoards(
    const Inventory& inventory, const std::vector<space::BoardSpec>& catalogue,
    const BoardFactory& factory) {
  if (!factory) return absl::InvalidArgumentError("BuildBoards: no factory");
  std::vector<std::unique_ptr<Board>> boards;
  for (const InventoryBoard& e : inventory.boards) {
    if (absl::Status s = ValidateInventoryBoard(e, catalogue); !s.ok()) return s;
    const space::BoardSpec* spec = Find(catalogue, e.kind);
    absl::StatusOr<std::unique_ptr<Board>> board = factory(e, *spec);
    if (!board.ok()) {
      return absl::Status(board.status().code(),
                          absl::StrCat("board ", e.uri, ": ",
                                       board.status().message()));
    }
    if (!*board || (*board)->uri() != e.uri || (*board)->slots() != e.slots ||
        (*board)->kind() != e.kind) {
      return absl::InternalError(absl::StrCat(
          "board factory built a board that does not match entry ", e.uri));
    }
    boards.push_back(*std::move(board));
  }
  return boards;
}

}  // namespace mcutune::device_farm
