// RunOnQemu.
// - Validate: known machine, shift in range, the ELF exists (made absolute so
//   no argument starts with '-').
// - Spawn qemu-system-arm through base::RunSubprocess with the timeout and
//   the resource limits, in the ELF's directory; the semihosting console
//   arrives on stderr (stdout is kept too). A QEMU killed by a limit
//   (SIGXCPU, SIGKILL) or failing to allocate is a kCrashed measurement.
// - Classify: timeout -> kTimeout; a parseable result line -> its status
//   (and the exit code must agree: harness status == QEMU exit status);
//   a malformed line -> kBadOutput; no line -> kCrashed when QEMU failed or
//   died by a signal, kBadOutput when it exited 0.
// - Convert SysTick ticks to instructions (see the header) exactly with
//   128-bit integers, rounding to nearest.
#include "device_farm/qemu_runner.h"

#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/subprocess.h"
#include "device_farm/result_line.h"

namespace mcutune::device_farm {
namespace {

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

void ApplyReport(const HarnessReport& r, const QemuMachine& machine, int shift,
                 Measurement* m) {
  m->status = r.status;
  m->error = r.error;
  m->raw_ticks = r.ticks;
  m->runs = r.runs;
  m->warmup = r.warmup;
  m->output_sha256 = r.output_sha256;
  m->input_bytes = r.input_bytes;
  m->output_bytes = r.output_bytes;
  m->stack_high_water_bytes = r.stack_high_water_bytes;
  m->stack_bytes = r.stack_bytes;
  m->arena_bytes = r.arena_bytes;
  m->flash_bytes = r.flash_bytes;
  m->ram_bytes = r.ram_bytes;
  if (r.timer == "systick") {
    // instructions = ticks * (1e9 / hz) / 2^shift, rounded to nearest.
    const unsigned __int128 num = static_cast<unsigned __int128>(r.ticks) * 1000000000u;
    const unsigned __int128 den =
        static_cast<unsigned __int128>(machine.systick_hz) << shift;
    m->unit = CountUnit::kInstructions;
    m->total_count = static_cast<int64_t>((num + den / 2) / den);
    const double tick_ns = 1e9 / static_cast<double>(machine.systick_hz);
    m->counted_by = absl::StrCat("qemu -icount shift=", shift, ", SysTick ",
                                 machine.systick_hz, " Hz: instructions = ticks * ",
                                 tick_ns, " / ", 1 << shift);
  } else if (r.timer == "dwt_cyccnt") {
    m->unit = CountUnit::kCycles;
    m->total_count = r.ticks;
    m->counted_by = "DWT CYCCNT";
  } else {
    m->unit = CountUnit::kNone;
    m->counted_by = "no timer";
  }
  m->per_inference =
      r.runs > 0 ? static_cast<double>(m->total_count) / r.runs : 0.0;
}

}  // namespace

const std::vector<QemuMachine>& KnownQemuMachines() {
  // SysTick processor clock = the board's SYSCLK in QEMU's mps2 / mps2-tz
  // models; checked by tests/device_farm (a loop of known length).
  static const std::vector<QemuMachine>* machines = new std::vector<QemuMachine>{
      {"mps2-an385", "cortex-m3", 25000000},
      {"mps2-an386", "cortex-m4", 25000000},
      {"mps2-an500", "cortex-m7", 25000000},
      {"mps2-an505", "cortex-m33", 20000000},
  };
  return *machines;
}

absl::StatusOr<QemuMachine> FindQemuMachine(const std::string& name) {
  std::vector<std::string> names;
  for (const QemuMachine& m : KnownQemuMachines()) {
    if (m.name == name) return m;
    names.push_back(m.name);
  }
  return absl::NotFoundError(absl::StrCat("unknown QEMU machine '", name,
                                          "' (known: ", absl::StrJoin(names, ", "), ")"));
}

std::vector<std::string> QemuCommandLine(const std::string& elf_path,
                                         const QemuRunOptions& options) {
  std::string semihosting = "enable=on,target=native,arg=firmware";
  if (options.runs > 0) absl::StrAppend(&semihosting, ",arg=runs=", options.runs);
  if (options.warmup >= 0) absl::StrAppend(&semihosting, ",arg=warmup=", options.warmup);
  return {options.qemu_binary,
          "-machine", options.machine,
          "-nographic",
          "-monitor", "none",
          "-serial", "null",
          "-semihosting-config", semihosting,
          "-icount", absl::StrCat("shift=", options.icount_shift),
          "-kernel", std::filesystem::absolute(elf_path).string()};
}

absl::StatusOr<Measurement> RunOnQemu(const std::string& elf_path,
                                      const QemuRunOptions& options) {
  absl::StatusOr<QemuMachine> machine = FindQemuMachine(options.machine);
  if (!machine.ok()) return machine.status();
  if (options.icount_shift < 0 || options.icount_shift > 10) {
    return absl::InvalidArgumentError("qemu: icount shift must be in 0..10");
  }
  if (options.runs < 0 || options.runs > 1000000 || options.warmup > 1000000) {
    return absl::InvalidArgumentError("qemu: runs/warmup out of range");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("qemu: timeout must be positive");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(elf_path, ec)) {
    return absl::NotFoundError(absl::StrCat("firmware not found: ", elf_path));
  }

  Measurement m;
  m.board = "qemu:" + options.machine;
  base::SubprocessOptions sub;
  sub.timeout = options.timeout;
  sub.max_output_bytes = options.max_log_bytes;
  sub.limits = options.limits;
  sub.working_dir =
      std::filesystem::absolute(elf_path).parent_path().string();
  const std::vector<std::string> argv = QemuCommandLine(elf_path, options);
  const absl::Time start = absl::Now();
  absl::StatusOr<base::SubprocessResult> run = base::RunSubprocess(argv, sub);
  m.wall_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!run.ok()) {
    if (run.status().code() != absl::StatusCode::kDeadlineExceeded) return run.status();
    m.status = RunStatus::kTimeout;
    m.error = absl::StrCat("no result within ", absl::FormatDuration(options.timeout),
                           "; killed");
    m.raw_log = std::string(run.status().message());
    return m;
  }
  m.exit_code = run->exit_code;
  m.raw_log = run->stderr_data + run->stdout_data;

  absl::StatusOr<HarnessReport> report = ParseResultLine(run->stderr_data);
  if (report.ok()) {
    ApplyReport(*report, *machine, options.icount_shift, &m);
    const int expected_exit = report->status == RunStatus::kOk ? 0
                              : report->status == RunStatus::kHarnessError ? 2
                              : report->status == RunStatus::kFault        ? 3
                                                                           : 4;
    if (run->exit_code != expected_exit) {
      m.status = RunStatus::kBadOutput;
      m.error = absl::StrCat("result line says ", RunStatusName(report->status),
                             " but QEMU exited with ",
                             run->term_signal ? absl::StrCat("signal ", run->term_signal)
                                              : absl::StrCat("status ", run->exit_code));
    }
    return m;
  }
  if (report.status().code() == absl::StatusCode::kInvalidArgument) {
    m.status = RunStatus::kBadOutput;
    m.error = std::string(report.status().message());
    return m;
  }
  const bool failed = run->exit_code != 0 || run->term_signal != 0;
  m.status = failed ? RunStatus::kCrashed : RunStatus::kBadOutput;
  m.error = absl::StrCat(
      failed ? (run->term_signal ? absl::StrCat("QEMU killed by signal ", run->term_signal)
                                 : absl::StrCat("QEMU exited with status ", run->exit_code))
             : "QEMU exited 0",
      " without a result line; output: ", Tail(m.raw_log, 500));
  return m;
}

}  // namespace mcutune::device_farm
