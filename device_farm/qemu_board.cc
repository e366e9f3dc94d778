// QemuBoard.
// - Construction never fails; what is wrong with the URI or the spec (a
//   scheme other than qemu, an id that is not spec.id, a spec without a
//   known QEMU machine) is kept as `config_error_` and returned by Run().
// - Run: check the request (ELF present, built with semihosting, hash still
//   the artifact's: a firmware rebuilt in place must not be measured under
//   the old identity), then one RunOnQemu with the run's timeout as the hard
//   kill. The artifact's problems are INVALID_ARGUMENT (never retried, never
//   the board's fault); a missing emulator is NOT_FOUND (the board cannot
//   work: quarantine-worthy).
#include "device_farm/qemu_board.h"

#include <filesystem>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/subprocess.h"
#include "device_farm/qemu_runner.h"

namespace mcutune::device_farm {
namespace {

class QemuBoard : public Board {
 public:
  QemuBoard(std::string uri, space::BoardSpec spec, QemuBoardOptions options)
      : uri_(std::move(uri)),
        spec_(std::move(spec)),
        options_(std::move(options)) {
    config_error_ = CheckConfig();
  }

  const std::string& uri() const override { return uri_; }
  const space::BoardSpec& spec() const override { return spec_; }
  int slots() const override { return options_.slots < 1 ? 1 : options_.slots; }

  absl::StatusOr<Measurement> Run(const Artifact& artifact,
                                  const RunOptions& options) override {
    if (!config_error_.ok()) return config_error_;
    if (absl::Status s = CheckRequest(artifact, options); !s.ok()) return s;
    if (!base::ProgramExists(options_.qemu_binary)) {
      return absl::NotFoundError(
          absl::StrCat(uri_, ": QEMU binary '", options_.qemu_binary,
                       "' not found (install qemu-system-arm)"));
    }
    QemuRunOptions q;
    q.machine = spec_.qemu_machine;
    q.icount_shift = options_.icount_shift;
    q.timeout = options.timeout;
    q.runs = options.runs;
    q.warmup = options.warmup;
    q.qemu_binary = options_.qemu_binary;
    q.max_log_bytes = options_.max_log_bytes;
    absl::StatusOr<Measurement> m = RunOnQemu(artifact.elf_path, q);
    if (!m.ok()) {
      // The ELF was checked above, so NOT_FOUND here is the emulator.
      return absl::Status(m.status().code(),
                          absl::StrCat(uri_, ": ", m.status().message()));
    }
    m->board = uri_;
    return m;
  }

 private:
  absl::Status CheckConfig() const {
    absl::StatusOr<BoardUri> parsed = ParseBoardUri(uri_);
    if (!parsed.ok()) return parsed.status();
    if (parsed->scheme != "qemu") {
      return absl::InvalidArgumentError(
          absl::StrCat("'", uri_, "' is not a qemu:// board URI"));
    }
    if (parsed->target != spec_.id) {
      return absl::InvalidArgumentError(
          absl::StrCat("board URI '", uri_, "' names '", parsed->target,
                       "' but the catalogue entry is '", spec_.id, "'"));
    }
    if (spec_.qemu_machine.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("board '", spec_.id,
                       "' has no QEMU machine: it cannot be a qemu:// board"));
    }
    if (absl::StatusOr<QemuMachine> m = FindQemuMachine(spec_.qemu_machine);
        !m.ok()) {
      return m.status();
    }
    if (options_.icount_shift < 0 || options_.icount_shift > 10) {
      return absl::InvalidArgumentError(
          "qemu board: icount_shift must be in 0..10");
    }
    if (options_.slots < 1 || options_.slots > 64) {
      return absl::InvalidArgumentError("qemu board: slots must be in 1..64");
    }
    return absl::OkStatus();
  }

  absl::Status CheckRequest(const Artifact& artifact,
                            const RunOptions& options) const {
    if (options.runs < 1 || options.runs > 1000000 || options.warmup < 0 ||
        options.warmup > 1000000) {
      return absl::InvalidArgumentError(
          "run options: runs must be 1..1e6, warmup 0..1e6");
    }
    if (options.timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          "run options: timeout must be positive");
    }
    if (artifact.elf_path.empty()) {
      return absl::InvalidArgumentError(
          "artifact has no ELF: a qemu board runs the .elf");
    }
    if (!artifact.semihosting) {
      return absl::InvalidArgumentError(
          "artifact was built without semihosting: QEMU cannot read its "
          "result");
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(artifact.elf_path, ec)) {
      return absl::InvalidArgumentError(
          absl::StrCat("artifact ELF not found: ", artifact.elf_path));
    }
    if (!artifact.sha256.empty()) {
      absl::StatusOr<std::string> sha = Sha256File(artifact.elf_path);
      if (!sha.ok()) return absl::InvalidArgumentError(sha.status().message());
      if (*sha != artifact.sha256) {
        return absl::InvalidArgumentError(absl::StrCat(
            "artifact ", artifact.elf_path, " changed on disk (sha256 ", *sha,
            ", expected ", artifact.sha256, ")"));
      }
    }
    return absl::OkStatus();
  }

  const std::string uri_;
  const space::BoardSpec spec_;
  const QemuBoardOptions options_;
  absl::Status config_error_;
};

}  // namespace

std::unique_ptr<Board> MakeQemuBoard(const std::string& uri,
                                     const space::BoardSpec& spec,
                                     const QemuBoardOptions& options) {
  return std::make_unique<QemuBoard>(uri, spec, options);
}

}  // namespace mcutune::device_farm
