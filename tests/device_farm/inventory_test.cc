// Inventory: configs/farm.json and the validation of every field; the
// factory hook and the default factory (no board is run here).
#include <catch2/catch.hpp>

#include "device_farm/inventory.h"
#include "device_farm/scheduler.h"
#include "device_farm/testing/fake_board.h"
#include "tuner/space/board.h"

namespace mcutune::device_farm {
namespace {

const std::vector<space::BoardSpec>& Catalogue() {
  static const auto* catalogue = new std::vector<space::BoardSpec>(
      *space::LoadBoardCatalogue(std::string(MCUTUNE_SOURCE_DIR) +
                                 "/configs/boards"));
  return *catalogue;
}

absl::Status Parse(const std::string& text) {
  return ParseInventory(text, "test.json", Catalogue()).status();
}

std::string OneBoard(const std::string& fields) {
  return "{\"boards\": [{" + fields + "}]}";
}

TEST_CASE("inventory: configs/farm.json is valid") {
  auto inv = LoadInventory(std::string(MCUTUNE_SOURCE_DIR) + "/configs/farm.json",
                           Catalogue());
  REQUIRE(inv.ok());
  REQUIRE(inv->boards.size() == 3);
  CHECK(inv->boards[0].uri == "qemu://qemu-f746/0");
  CHECK(inv->boards[1].uri == "qemu://qemu-f746/1");
  CHECK(inv->boards[0].kind == "qemu-f746");
  CHECK(inv->boards[1].kind == "qemu-f746");
  CHECK(inv->boards[2].kind == "qemu-f469");
  CHECK(inv->health_check_interval == absl::Seconds(300));
  SchedulerOptions options;
  ApplyInventory(*inv, &options);
  CHECK(options.health_check_interval == absl::Seconds(300));
  CHECK(options.lease_duration == absl::Seconds(30));
  CHECK(options.quarantine_after == 3);
}

TEST_CASE("inventory: every field is validated") {
  CHECK(Parse(OneBoard("\"uri\": \"qemu://qemu-f746/0\", \"kind\": \"qemu-f746\""))
            .ok());
  CHECK(Parse(OneBoard("\"uri\": \"pyocd://0669FF555\", \"kind\": \"f746\", "
                       "\"options\": {\"skip_flash\": true}"))
            .ok());
  const char* bad[] = {
      "not json",
      "[]",
      "{}",
      "{\"boards\": {}}",
      "{\"boards\": [], \"extra\": 1}",
      "{\"boards\": [1]}",
      "{\"boards\": [], \"health_check\": {\"interval_s\": 0}}",
      "{\"boards\": [], \"health_check\": {\"every\": 5}}",
      "{\"boards\": [], \"health_check\": {\"interval_s\": 60, "
      "\"max_interval_s\": 30}}",
      "{\"boards\": [], \"scheduler\": {\"max_attempts\": 0}}",
      "{\"boards\": [], \"scheduler\": {\"lease_s\": \"30\"}}",
      "{\"boards\": [], \"scheduler\": {\"quarantine\": 3}}",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK(Parse(text).code() == absl::StatusCode::kInvalidArgument);
  }
  const std::string bad_boards[] = {
      // unknown key
      "\"uri\": \"qemu://qemu-f746/0\", \"kind\": \"qemu-f746\", \"slot\": 1",
      // missing / mistyped fields
      "\"kind\": \"qemu-f746\"",
      "\"uri\": \"qemu://qemu-f746/0\"",
      "\"uri\": 5, \"kind\": \"qemu-f746\"",
      // unknown kind
      "\"uri\": \"qemu://qemu-f999/0\", \"kind\": \"qemu-f999\"",
      // qemu target must equal the kind and be virtual
      "\"uri\": \"qemu://qemu-f469/0\", \"kind\": \"qemu-f746\"",
      "\"uri\": \"qemu://f746/0\", \"kind\": \"f746\"",
      // pyocd must be a real board
      "\"uri\": \"pyocd://0669FF\", \"kind\": \"qemu-f746\"",
      // bad scheme / uri
      "\"uri\": \"usb://x\", \"kind\": \"f746\"",
      "\"uri\": \"qemu-f746\", \"kind\": \"qemu-f746\"",
      // slots 1..16, integer
      "\"uri\": \"qemu://qemu-f746/0\", \"kind\": \"qemu-f746\", \"slots\": 0",
      "\"uri\": \"qemu://qemu-f746/0\", \"kind\": \"qemu-f746\", \"slots\": 17",
      "\"uri\": \"qemu://qemu-f746/0\", \"kind\": \"qemu-f746\", \"slots\": 1.5",
      // options must be an object
      "\"uri\": \"qemu://qemu-f746/0\", \"kind\": \"qemu-f746\", \"options\": []",
  };
  for (const std::string& fields : bad_boards) {
    INFO(fields);
    CHECK(Parse(OneBoard(fields)).code() == absl::StatusCode::kInvalidArgument);
  }
  const absl::Status dup = Parse(
      "{\"boards\": [{\"uri\": \"qemu://qemu-f746/0\", \"kind\": \"qemu-f746\"},"
      " {\"uri\": \"qemu://qemu-f746/0\", \"kind\": \"qemu-f746\"}]}");
  CHECK(dup.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(dup.message()).find("duplicate") != std::string::npos);
  CHECK(LoadInventory("/nonexistent/farm.json", Catalogue()).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("inventory: BuildBoards calls the factory with the catalogue entry") {
  auto inv = ParseInventory(
      "{\"boards\": [{\"uri\": \"qemu://qemu-f746/a\", \"kind\": \"qemu-f746\","
      " \"slots\": 2, \"options\": {\"x\": 1}}]}",
      "t", Catalogue());
  REQUIRE(inv.ok());
  int calls = 0;
  BoardFactory fake = [&](const InventoryBoard& e, const space::BoardSpec& spec)
      -> absl::StatusOr<std::unique_ptr<Board>> {
    ++calls;
    CHECK(spec.id == "qemu-f746");
    CHECK(spec.is_virtual);
    CHECK(e.options["x"] == 1);
    return std::make_unique<FakeBoard>(e.uri, spec, e.slots);
  };
  auto boards = BuildBoards(*inv, Catalogue(), fake);
  REQUIRE(boards.ok());
  CHECK(calls == 1);
  REQUIRE(boards->size() == 1);
  CHECK((*boards)[0]->slots() == 2);
  // A factory error names the board; a mismatching board is rejected.
  BoardFactory failing = [](const InventoryBoard&, const space::BoardSpec&)
      -> absl::StatusOr<std::unique_ptr<Board>> {
    return absl::NotFoundError("no probe");
  };
  auto err = BuildBoards(*inv, Catalogue(), failing);
  CHECK(err.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(err.status().message()).find("qemu://qemu-f746/a") !=
        std::string::npos);
  BoardFactory wrong = [](const InventoryBoard& e, const space::BoardSpec& spec)
      -> absl::StatusOr<std::unique_ptr<Board>> {
    return std::make_unique<FakeBoard>(e.uri, spec, 1);  // slots differ
  };
  CHECK(!BuildBoards(*inv, Catalogue(), wrong).ok());
}

TEST_CASE("inventory: the default factory builds qemu boards and checks options") {
  auto inv = LoadInventory(std::string(MCUTUNE_SOURCE_DIR) + "/configs/farm.json",
                           Catalogue());
  REQUIRE(inv.ok());
  auto boards = BuildBoards(*inv, Catalogue());
  REQUIRE(boards.ok());
  REQUIRE(boards->size() == 3);
  CHECK((*boards)[0]->uri() == "qemu://qemu-f746/0");
  CHECK((*boards)[0]->kind() == "qemu-f746");
  CHECK((*boards)[2]->kind() == "qemu-f469");

  auto bad = ParseInventory(
      OneBoard("\"uri\": \"qemu://qemu-f746/0\", \"kind\": \"qemu-f746\", "
               "\"options\": {\"icount\": 6}"),
      "t", Catalogue());
  REQUIRE(bad.ok());  // options are the factory's business
  CHECK(BuildBoards(*bad, Catalogue()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  auto two_slot_probe = ParseInventory(
      OneBoard("\"uri\": \"pyocd://0669FF\", \"kind\": \"f746\", \"slots\": 2"),
      "t", Catalogue());
  REQUIRE(two_slot_probe.ok());
  CHECK(BuildBoards(*two_slot_probe, Catalogue()).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mcutune::device_farm
