// A real USB board reached through pyOCD (URI `pyocd://<probe-uid>`).
//
// pyOCD is a Python library (Debian python3-pyocd, importable only by
// /usr/bin/python3), so the C++ side never links it: every step runs the
// bridge script device_farm/pyocd/mcutune_pyocd_bridge.py as its own process
// (argv, never a shell) with its own deadline, and reads exactly one JSON
// line from its stdout:
//
//   Board::Run(artifact)
//     ├─ python3 bridge.py flash --uid U --file firmware.bin ...   {"ok":true,...}
//     └─ python3 bridge.py run   --uid U --elf firmware.elf ...    {"ok":true,"result_block_hex":"4d435254..."}
//                                   reset, resume, poll `mcutune_result`
//                                   until its magic appears, halt, read 104 B
//        └─ DecodeResultBlock(bytes) ──► Measurement (cycles from DWT CYCCNT)
//   ListPyocdProbes()
//     └─ python3 bridge.py list                                   {"ok":true,"probes":[...]}
//
// Bridge failures carry a stable code (`"error":"probe_busy"`, table in
// docs/device_farm_pyocd.md) mapped onto the status contract of board.h:
//   probe_busy dp_wait transfer_fault transfer_error
//   probe_error probe_lost flash_failed                UNAVAILABLE (retry)
//   probe_not_found probe_access_denied pyocd_missing
//   flash_unsupported (no flash algorithm)             NOT_FOUND (quarantine)
//   connect_timeout step_timeout, bridge killed        DEADLINE_EXCEEDED
//   bad_args bad_elf bad_image bad_target
//   no_result_symbol, run timeout <= 0, no ELF         INVALID_ARGUMENT
//   internal, no JSON line                             INTERNAL
//   target_timeout (never signalled completion)        Measurement kTimeout
// A result block with status fault is a Measurement kFault (pc, CFSR), an
// undecodable one kBadOutput. Error messages hold the URI, step and code.
//
// The same protocol is spoken by the test stand-in
// (tests/device_farm/pyocd_stand_in.py), which runs the firmware in QEMU;
// nothing here has been run against a real probe (see the doc).
//
// Thread-safe: a board takes one run at a time (slots() == 1); separate
// boards may run in parallel.
#ifndef MCUTUNE_DEVICE_FARM_PYOCD_BOARD_H_
#define MCUTUNE_DEVICE_FARM_PYOCD_BOARD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "device_farm/board.h"
#include "tuner/space/board.h"

namespace mcutune::device_farm {

struct PyocdBoardOptions {
  // The interpreter that can `import pyocd`.
  std::string python = "/usr/bin/python3";
  // The bridge (or a stand-in speaking its protocol); empty =
  // DefaultPyocdBridgeScript().
  std::string bridge_script;
  // Extra "NAME=value" entries added to the bridge's environment (tests:
  // PYTHONPATH of a fake pyOCD, stand-in controls).
  std::vector<std::string> extra_env;
  // pyOCD target type (`target_override`, e.g. "stm32f439xi"); empty = what
  // the probe reports, else pyOCD's generic "cortex_m", which can reset, run
  // and read memory but has no flash algorithm. pyOCD 0.13.1 knows none of
  // the catalogue's real boards (F469/F746/F767/H743/L4R5/L552).
  std::string target_type;
  // SWD/JTAG clock and whether to halt the core on connect (pyOCD 0.13.1
  // session options `frequency`, `halt_on_connect`).
  int frequency_hz = 4000000;
  bool halt_on_connect = true;
  // Per-step limits. The bridge enforces each itself (a watchdog thread that
  // reports the step and exits) and is killed `kill_grace` later if it does
  // not return by itself; the grace also covers starting Python and
  // importing pyOCD (~0.3 s here).
  absl::Duration list_timeout = absl::Seconds(10);
  absl::Duration connect_timeout = absl::Seconds(15);
  absl::Duration flash_timeout = absl::Seconds(120);
  absl::Duration kill_grace = absl::Seconds(10);
  // How often the bridge reads the result block's magic while waiting.
  absl::Duration poll_interval = absl::Milliseconds(50);
  // Skip the flash step: the image was put on the board by other means
  // (pyOCD 0.13.1 has no flash algorithm for the catalogue's STM32F4/F7/H7/
  // L4+/L5 parts, so such boards must be pre-flashed, e.g. by copying the
  // .bin to the ST-LINK mass-storage drive); Run() then resets and reads.
  bool skip_flash = false;
};

// What the bridge reports for one connected probe.
struct ProbeInfo {
  std::string uid;          // unique id: the `<uid>` of pyocd://<uid>
  std::string description;  // e.g. "STM32 STLink"
  std::string vendor;
  std::string product;
  std::string board_name;   // pyOCD's guess from the probe, may be empty
};

// $MCUTUNE_PYOCD_BRIDGE when set, else the bridge in the source tree this
// binary was built from.
std::string DefaultPyocdBridgeScript();

// A board for probe `probe_uid`. Does not touch the probe (the scheduler's
// health check does). INVALID_ARGUMENT for an empty or malformed uid or
// options; NOT_FOUND when the interpreter or the bridge script is missing.
absl::StatusOr<std::unique_ptr<Board>> MakePyocdBoard(
    const std::string& probe_uid, const space::BoardSpec& spec,
    const PyocdBoardOptions& options = {});

// The probes connected now, without waiting for one to appear. An empty list
// when none is attached. NOT_FOUND when python/pyOCD/the bridge is missing;
// UNAVAILABLE on USB errors; DEADLINE_EXCEEDED past list_timeout.
absl::StatusOr<std::vector<ProbeInfo>> ListPyocdProbes(
    const PyocdBoardOptions& options = {});

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_PYOCD_BOARD_H_
