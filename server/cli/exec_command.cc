// `mcutune exec DIR --board BOARD [--runs N] [--warmup N] [--timeout S]
//  [--icount-shift N] [--boards DIR]`: runs DIR/firmware.elf (written by
// `mcutune codegen`) on the virtual board BOARD (its QEMU machine) and prints
// the measurement as one JSON object on stdout. Exit status 0 when the run's
// status is "ok", 1 otherwise (the JSON is printed either way).
#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "device_farm/qemu_runner.h"
#include "server/cli/commands.h"
#include "tuner/space/board.h"

namespace mcutune::cli {
namespace {

constexpr char kExecUsage[] =
    "usage: mcutune exec DIR --board BOARD [--runs N] [--warmup N]\n"
    "         [--timeout SECONDS] [--icount-shift N] [--boards DIR]\n"
    "  Runs DIR/firmware.elf on a virtual board (QEMU) and prints the\n"
    "  measurement as JSON: instructions (or cycles) per inference and how\n"
    "  they were counted, output_sha256, stack_high_water_bytes, arena_bytes,\n"
    "  flash_bytes, status.\n";

nlohmann::json ToJson(const space::BoardSpec& board,
                      const device_farm::Measurement& m) {
  using device_farm::CountUnit;
  nlohmann::json j;
  j["board"] = board.id;
  j["machine"] = board.qemu_machine;
  j["status"] = device_farm::RunStatusName(m.status);
  if (!m.error.empty()) j["error"] = m.error;
  if (m.unit != CountUnit::kNone) {
    const std::string unit = device_farm::CountUnitName(m.unit);
    j[unit] = static_cast<int64_t>(m.per_inference + 0.5);
    j[unit + "_total"] = m.total_count;
    j["counted_by"] = m.counted_by;
  }
  j["runs"] = m.runs;
  j["warmup"] = m.warmup;
  j["output_sha256"] = m.output_sha256;
  j["stack_high_water_bytes"] = m.stack_high_water_bytes;
  j["stack_bytes"] = m.stack_bytes;
  j["arena_bytes"] = m.arena_bytes;
  j["flash_bytes"] = m.flash_bytes;
  j["ram_bytes"] = m.ram_bytes;
  j["output_bytes"] = m.output_bytes;
  j["wall_seconds"] = m.wall_seconds;
  return j;
}

}  // namespace

int RunExec(const Args& args) {
  std::string dir, board_id, boards_dir;
  device_farm::QemuRunOptions options;
  options.timeout = absl::Seconds(60);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "-h" || a == "--help") {
      std::fputs(kExecUsage, stdout);
      return 0;
    } else if (a == "--board" || a == "--boards") {
      if (!has_value) return UsageError("exec: " + a + " needs a value");
      (a == "--board" ? board_id : boards_dir) = args[++i];
    } else if (a == "--runs" || a == "--warmup" || a == "--icount-shift") {
      int v = 0;
      const int lo = a == "--runs" ? 1 : 0;
      const int hi = a == "--icount-shift" ? 10 : 1000000;
      if (!has_value || !absl::SimpleAtoi(args[i + 1], &v) || v < lo || v > hi) {
        return UsageError("exec: " + a + " needs an integer in " + std::to_string(lo) +
                          ".." + std::to_string(hi));
      }
      ++i;
      (a == "--runs" ? options.runs
                     : a == "--warmup" ? options.warmup : options.icount_shift) = v;
    } else if (a == "--timeout") {
      double seconds = 0;
      if (!has_value || !absl::SimpleAtod(args[i + 1], &seconds) || !(seconds > 0) ||
          seconds > 86400) {
        return UsageError("exec: --timeout needs seconds in (0, 86400]");
      }
      ++i;
      options.timeout = absl::Seconds(seconds);
    } else if (a.size() > 1 && a[0] == '-') {
      return UsageError("exec: unknown option '" + a + "'");
    } else if (dir.empty()) {
      dir = a;
    } else {
      return UsageError("exec: unexpected argument '" + a + "'");
    }
  }
  if (dir.empty()) return UsageError("exec: missing DIR");
  if (board_id.empty()) return UsageError("exec: missing --board BOARD");
  absl::StatusOr<space::BoardSpec> board = space::FindBoard(
      board_id, boards_dir.empty() ? space::DefaultBoardsDir() : boards_dir);
  if (!board.ok()) return PrintError(board.status());
  if (board->qemu_machine.empty()) {
    return PrintError(absl::InvalidArgumentError(
        "exec: board '" + board->id +
        "' has no QEMU machine (real boards run through the device farm)"));
  }
  const std::string elf = (std::filesystem::path(dir) / "firmware.elf").string();
  options.machine = board->qemu_machine;
  absl::StatusOr<device_farm::Measurement> m = device_farm::RunOnQemu(elf, options);
  if (!m.ok()) return PrintError(m.status());
  // m.error may quote raw emulator output: not necessarily UTF-8.
  std::printf("%s\n", ToJson(*board, *m)
                           .dump(2, ' ', false,
                                 nlohmann::json::error_handler_t::replace)
                           .c_str());
  return m->status == device_farm::RunStatus::kOk ? 0 : 1;
}

}  // namespace mcutune::cli
