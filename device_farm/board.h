// A board of the farm: something that flashes a firmware artifact, runs it
// and returns what it measured. Knows nothing about models.
//
//   Artifact (firmware.elf/.bin + its hash + what output to expect)
//     ──Board::Run(artifact, RunOptions)──► Measurement (status ok | timeout |
//                                            fault | crashed | bad_output ...)
//
// Implementations (behind MakeBoard, chosen by the URI scheme):
//   qemu://<catalogue-id>[/<slot>]   one qemu-system-arm process per run
//                                    (qemu_board.cc, over qemu_runner.h)
//   pyocd://<probe-uid>              a USB board through pyOCD (pyocd_board.cc,
//                                    over the bridge script device_farm/pyocd/)
// A board kind is a catalogue id (configs/boards/): "qemu-f746" for the
// virtual stand-in, "f746" for the real board; measurements of different
// kinds are never mixed.
//
// Status contract of Run(): what the firmware did (hang, fault, garbage) is a
// Measurement with that status; what the infrastructure did (probe busy or
// gone, emulator missing, artifact unreadable) is an error status:
//   UNAVAILABLE        transient: retry later or on another board of the kind
//                      (probe busy, "DP wait", probe disappeared mid-run)
//   NOT_FOUND          the board or its tool is not there (no such probe, no
//                      qemu-system-arm): quarantine-worthy
//   INVALID_ARGUMENT   the artifact or options are wrong: do not retry
//   DEADLINE_EXCEEDED  an infrastructure step (connect, flash) timed out
// Thread-safety: Run() may be called from several threads only if
// slots() > 1; the scheduler never runs more than slots() at once per board.
#ifndef MCUTUNE_DEVICE_FARM_BOARD_H_
#define MCUTUNE_DEVICE_FARM_BOARD_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "device_farm/measurement.h"
#include "tuner/space/board.h"

namespace mcutune::device_farm {

struct Artifact {
  std::string elf_path;  // required for qemu boards
  std::string bin_path;  // flashed on pyOCD boards (elf used if empty)
  // SHA-256 (hex) of the ELF: the identity of the artifact in the store.
  std::string sha256;
  // The output hash the reference interpreter computed for the embedded
  // input; empty when unknown (then `output_matches` is not judged).
  std::string expected_output_sha256;
  std::string toolchain_version;
  // Built with semihosting (QEMU, debugger console) or for the RAM result
  // block only (pyOCD). A pyOCD board reads the block either way.
  bool semihosting = true;
};

// Reads DIR/firmware.elf (+ .bin) and DIR/report.json (written by
// `mcutune codegen`: toolchain version, expected output hash) into an
// Artifact and hashes the ELF. NOT_FOUND without firmware.elf.
absl::StatusOr<Artifact> LoadArtifact(const std::string& build_dir);
// Hex SHA-256 of a file's bytes.
absl::StatusOr<std::string> Sha256File(const std::string& path);
// Hex SHA-256 (64 lowercase digits) of `size` bytes at `data`, e.g. the
// reference output whose hash a firmware must report.
std::string Sha256Hex(const void* data, size_t size);

struct RunOptions {
  int runs = 3;     // measured inferences
  int warmup = 1;
  absl::Duration timeout = absl::Seconds(60);  // whole run incl. flashing
};

class Board {
 public:
  virtual ~Board() = default;
  virtual const std::string& uri() const = 0;        // "qemu://qemu-f746/0"
  virtual const space::BoardSpec& spec() const = 0;  // catalogue entry
  const std::string& kind() const { return spec().id; }
  virtual int slots() const = 0;  // runs it can take at once
  virtual absl::StatusOr<Measurement> Run(const Artifact& artifact,
                                          const RunOptions& options) = 0;
};

// Parsed board URI.
struct BoardUri {
  std::string scheme;  // "qemu" | "pyocd"
  std::string target;  // catalogue id (qemu) or probe uid (pyocd)
  std::string slot;    // optional "/<suffix>" (qemu), "" otherwise
};
// INVALID_ARGUMENT with the reason for anything else.
absl::StatusOr<BoardUri> ParseBoardUri(const std::string& uri);

}  // namespace mcutune::device_farm

#endif  // MCUTUNE_DEVICE_FARM_BOARD_H_
