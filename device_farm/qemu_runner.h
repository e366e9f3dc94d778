// Running a firmware on a virtual board: one qemu-system-arm process per run.
//
//   firmware.elf ──RunOnQemu(elf, {machine, icount_shift, timeout, runs})──► Measurement
//
// The emulator runs with semihosting (the harness's console and exit status),
// `-icount shift=N` (each guest instruction advances virtual time by 2^N ns,
// which makes the SysTick count deterministic and proportional to executed
// instructions), no display, no monitor, serial to null, and a hard timeout
// that kills it, under kernel resource limits (QemuRunOptions::limits). The
// emulator starts in the firmware's directory, so relative semihosting file
// operations stay in that per-build directory. The harness's raw SysTick ticks become instructions:
//   instructions = ticks * tick_ns / 2^N,  tick_ns = 1e9 / SysTick clock
// (25 MHz on the mps2 AN385/386/500 images, 20 MHz on AN505), exact up to
// one tick per inference. This layer knows machines, not boards or models:
// the caller maps a catalogue board to its `qemu_machine`.
//
// Thread-safe: runs are independent processes; run as many in parallel as
// there are cores.
#ifndef MCUTUNE_DEVICE_FARM_QEMU_RUNNER_H_
#define MCUTUNE_DEVICE_FARM_QEMU_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/subprocess.h"
#include "device_farm/measurement.h"

namespace mcutune::device_farm {

struct QemuMachine {
  std::string name;   // "mps2-an500"
  std::string core;   // "cortex-m7"
  int64_t systick_hz; // SysTick processor-clock rate of the emulated board
};

// The machines the runner knows (mps2-an385, -an386, -an500, -an505).
const std::vector<QemuMachine>& KnownQemuMachines();
// NOT_FOUND listing the known names.
absl::StatusOr<QemuMachine> FindQemuMachine(const std::string& name);

// Kernel limits of one emulator process:
//   address space 2 GiB   QEMU 7.2 reserves a 1 GiB TCG translation buffer at
//                         start (VmPeak ~1.35 GB for an mps2 board); the
//                         guest RAM of the mps2 images is a few MiB
//   CPU time      300 s   icount runs are single-threaded: CPU ~ wall time,
//                         so the wall timeout (30 s) normally ends it first
//   file size     16 MiB  QEMU writes nothing; caps semihosting writes
//   open files    256
//   processes     unset   RLIMIT_NPROC counts every process of the user
inline base::SubprocessLimits DefaultQemuLimits() {
  base::SubprocessLimits l;
  l.address_space_bytes = int64_t{2} << 30;
  l.cpu_seconds = 300;
  l.file_size_bytes = int64_t{16} << 20;
  l.open_files = 256;
  return l;
}

struct QemuRunOptions {
  std::string machine;  // required, one of KnownQemuMachines()
  // Virtual time per instruction is 2^shift ns; 0..10. 6 gives 1.6 (AN500)
  // or 1.28 (AN505) SysTick ticks per instruction: sub-instruction resolution.
  int icount_shift = 6;
  // Wall-clock limit for the whole emulator run.
  absl::Duration timeout = absl::Seconds(30);
  // Measured inferences and warm-ups, passed on the semihosting command line
  // ("runs=N warmup=W"); 0 / -1 keep the firmware's built-in defaults.
  int runs = 0;
  int warmup = -1;
  std::string qemu_binary = "qemu-system-arm";
  // Console bytes kept in Measurement::raw_log.
  size_t max_log_bytes = 64 * 1024;
  // Resource limits of the emulator process (see DefaultQemuLimits()).
  base::SubprocessLimits limits = DefaultQemuLimits();
};

// Runs `elf_path` and returns what it measured. A hang, fault or garbage
// output is a Measurement with the matching status (kTimeout, kFault,
// kBadOutput, kCrashed), never an error. Errors: INVALID_ARGUMENT (options),
// NOT_FOUND (unknown machine, missing ELF, QEMU not installed).
absl::StatusOr<Measurement> RunOnQemu(const std::string& elf_path,
                                      const QemuRunOptions& options);

// The emulator command line RunOnQemu uses (for logs and reproduction).
std::vector<std::string> QemuCommandLine(const std::string& elf_path,
                                         const QemuRunOptions& options);

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_QEMU_RUNNER_H_
