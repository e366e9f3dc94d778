// The virtual board: a catalogue board whose `qemu_machine` QEMU emulates,
// run as one qemu-system-arm process per run (qemu_runner.h).
//
//   Scheduler ──lease──► QemuBoard("qemu://qemu-f746/0")
//                          │ Run(artifact, {runs, warmup, timeout})
//                          ▼
//                        RunOnQemu(artifact.elf_path, {machine, icount,
//                        timeout})
//                          ▼
//                        Measurement (ok | timeout | fault | crashed |
//                        bad_output)
//
// The run's timeout is the hard kill of the emulator: a hung firmware comes
// back as kTimeout after `RunOptions::timeout`, a QEMU process that dies (a
// signal, a crash of the emulator) as kCrashed. Counts are instructions
// (-icount), deterministic run to run. Whether the output hash matches the
// artifact's expected hash is judged by the caller (the scheduler / store);
// the board only reports `output_sha256`.
//
// Errors (board.h contract): NOT_FOUND when qemu-system-arm (or the
// configured binary) is missing or the spec has no known QEMU machine;
// INVALID_ARGUMENT for a bad URI, an artifact without an ELF or out-of-range
// options. Thread-safe: runs are independent processes, so up to `slots()`
// may run at once.
#ifndef MCUTUNE_DEVICE_FARM_QEMU_BOARD_H_
#define MCUTUNE_DEVICE_FARM_QEMU_BOARD_H_

#include <cstddef>
#include <memory>
#include <string>

#include "device_farm/board.h"
#include "tuner/space/board.h"

namespace mcutune::device_farm {

struct QemuBoardOptions {
  // Virtual time per guest instruction is 2^shift ns (qemu_runner.h); 0..10.
  int icount_shift = 6;
  // The emulator binary, looked up on $PATH unless it contains a '/'.
  std::string qemu_binary = "qemu-system-arm";
  // Console bytes kept in Measurement::raw_log.
  size_t max_log_bytes = 64 * 1024;
  // Runs the board takes at once (QEMU processes); >= 1. Each run is one
  // core's worth of work, so more slots than cores only adds contention.
  int slots = 1;
};

// A board for `uri` ("qemu://<catalogue-id>[/<slot>]", the id equal to
// spec.id) emulating `spec.qemu_machine`. Never null: a URI or spec that does
// not describe a runnable virtual board gives a board whose Run() returns the
// INVALID_ARGUMENT / NOT_FOUND error (so an inventory entry that is wrong
// shows up in the farm's health, not as a crash at start-up).
std::unique_ptr<Board> MakeQemuBoard(const std::string& uri,
                                     const space::BoardSpec& spec,
                                     const QemuBoardOptions& options = {});

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_QEMU_BOARD_H_
