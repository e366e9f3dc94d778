// The pyOCD board: runs the bridge script once per step and turns its JSON
// line into a Measurement or a status (see pyocd_board.h for the contract).
#include "device_farm/pyocd_board.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "base/subprocess.h"
#include "device_farm/result_block_decoder.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace mcutune::device_farm {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxLogBytes = 16 * 1024;

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%.3f", absl::ToDoubleSeconds(d));
}

// Our environment with `extra` ("NAME=value") overriding, and no .pyc
// written next to the bridge in the source tree.
std::vector<std::string> BridgeEnvironment(const std::vector<std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry;
  }
  env["PYTHONDONTWRITEBYTECODE"] = "PYTHONDONTWRITEBYTECODE=1";
  for (const std::string& entry : extra) env[entry.substr(0, entry.find('='))] = entry;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (auto& [name, entry] : env) out.push_back(std::move(entry));
  return out;
}

// What one bridge process said.
struct BridgeReply {
  json line;  // the parsed JSON object; line["ok"] is a bool
  int exit_code = -1;
  std::string log;  // command line, stderr tail, stdout
};

// The status for a bridge error code (docs/device_farm_pyocd.md).
absl::Status ErrorStatus(const std::string& code, const std::string& message) {
  static const std::map<std::string, absl::StatusCode>* const kCodes =
      new std::map<std::string, absl::StatusCode>{
          {"probe_busy", absl::StatusCode::kUnavailable},
          {"dp_wait", absl::StatusCode::kUnavailable},
          {"transfer_fault", absl::StatusCode::kUnavailable},
          {"transfer_error", absl::StatusCode::kUnavailable},
          {"probe_error", absl::StatusCode::kUnavailable},
          {"probe_lost", absl::StatusCode::kUnavailable},
          {"flash_failed", absl::StatusCode::kUnavailable},
          {"probe_not_found", absl::StatusCode::kNotFound},
          {"probe_access_denied", absl::StatusCode::kNotFound},
          {"pyocd_missing", absl::StatusCode::kNotFound},
          {"flash_unsupported", absl::StatusCode::kNotFound},
          {"connect_timeout", absl::StatusCode::kDeadlineExceeded},
          {"step_timeout", absl::StatusCode::kDeadlineExceeded},
          {"bad_args", absl::StatusCode::kInvalidArgument},
          {"bad_elf", absl::StatusCode::kInvalidArgument},
          {"bad_image", absl::StatusCode::kInvalidArgument},
          {"bad_target", absl::StatusCode::kInvalidArgument},
          {"no_result_symbol", absl::StatusCode::kInvalidArgument},
      };
  const auto it = kCodes->find(code);
  return absl::Status(it == kCodes->end() ? absl::StatusCode::kInternal : it->second, message);
}

class Bridge {
 public:
  explicit Bridge(const PyocdBoardOptions& options)
      : options_(options),
        script_(options.bridge_script.empty() ? DefaultPyocdBridgeScript()
                                              : options.bridge_script),
        env_(BridgeEnvironment(options.extra_env)) {}

  const std::string& script() const { return script_; }

  // Runs `python script args...`, killed after `limit`. Errors: NOT_FOUND
  // (no interpreter), DEADLINE_EXCEEDED (killed), INTERNAL (no JSON line).
  absl::StatusOr<BridgeReply> Call(const std::vector<std::string>& args,
                                   absl::Duration limit) const {
    std::vector<std::string> argv = {options_.python, script_};
    argv.insert(argv.end(), args.begin(), args.end());
    base::SubprocessOptions sub;
    sub.env = env_;
    sub.timeout = limit;
    sub.max_output_bytes = 256 * 1024;
    absl::StatusOr<base::SubprocessResult> run = base::RunSubprocess(argv, sub);
    const std::string command = base::FormatCommandLine(argv);
    if (!run.ok()) {
      if (run.status().code() == absl::StatusCode::kDeadlineExceeded) {
        return absl::DeadlineExceededError(
            absl::StrCat("pyocd bridge killed after ", absl::FormatDuration(limit), ": ",
                         command, ": ", Tail(std::string(run.status().message()), 1000)));
      }
      return absl::Status(run.status().code(),
                          absl::StrCat("pyocd bridge: ", run.status().message()));
    }
    BridgeReply reply;
    reply.exit_code = run->exit_code;
    reply.log = absl::StrCat("$ ", command, "\n", Tail(run->stderr_data, 4000), run->stdout_data);
    // The last non-empty stdout line is the reply.
    std::string last;
    for (absl::string_view line : absl::StrSplit(run->stdout_data, '\n')) {
      if (!line.empty()) last = std::string(line);
    }
    reply.line = json::parse(last, nullptr, /*allow_exceptions=*/false);
    if (reply.line.is_discarded() || !reply.line.is_object() || !reply.line.contains("ok") ||
        !reply.line["ok"].is_boolean()) {
      return absl::InternalError(absl::StrCat(
          "pyocd bridge gave no JSON reply (exit ",
          run->term_signal ? absl::StrCat("signal ", run->term_signal)
                           : absl::StrCat(run->exit_code),
          "): ", command, "\n", Tail(run->stderr_data + run->stdout_data, 1500)));
    }
    return reply;
  }

 private:
  PyocdBoardOptions options_;
  std::string script_;
  std::vector<std::string> env_;
};

std::string StringField(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The error status of a failed reply, naming the board, step and code.
absl::Status ReplyError(const std::string& who, const json& line) {
  const std::string code = StringField(line, "error");
  return ErrorStatus(code, absl::StrCat(who, ": ", StringField(line, "step"), ": ",
                                        code.empty() ? "unknown_error" : code, ": ",
                                        StringField(line, "detail")));
}

absl::Status CheckOptions(const PyocdBoardOptions& o) {
  for (absl::Duration d : {o.list_timeout, o.connect_timeout, o.flash_timeout, o.poll_interval}) {
    if (d <= absl::ZeroDuration() || d > absl::Hours(24)) {
      return absl::InvalidArgumentError("pyocd: timeouts must be in (0, 24 h]");
    }
  }
  if (o.kill_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("pyocd: kill_grace must be >= 0");
  }
  if (o.frequency_hz <= 0 || o.frequency_hz > 100000000) {
    return absl::InvalidArgumentError("pyocd: frequency_hz must be in 1..100000000");
  }
  for (const std::string& e : o.extra_env) {
    if (e.find('=') == std::string::npos || e[0] == '=') {
      return absl::InvalidArgumentError(absl::StrCat("pyocd: extra_env entry '", e,
                                                     "' is not NAME=value"));
    }
  }
  for (char c : o.target_type) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return absl::InvalidArgumentError("pyocd: target_type must be [A-Za-z0-9_-]");
    }
  }
  const std::string script = o.bridge_script.empty() ? DefaultPyocdBridgeScript()
                                                     : o.bridge_script;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(script, ec)) {
    return absl::NotFoundError(absl::StrCat("pyocd bridge script not found: ", script));
  }
  if (!base::ProgramExists(o.python)) {
    return absl::NotFoundError(absl::StrCat("python interpreter not found: ", o.python));
  }
  return absl::OkStatus();
}

// Arguments common to flash and run.
std::vector<std::string> CommonArgs(const std::string& uid, const PyocdBoardOptions& o) {
  std::vector<std::string> args = {"--uid", uid,
                                   "--frequency", absl::StrCat(o.frequency_hz),
                                   "--connect-timeout", Seconds(o.connect_timeout)};
  if (!o.target_type.empty()) {
    args.push_back("--target");
    args.push_back(o.target_type);
  }
  if (!o.halt_on_connect) args.push_back("--no-halt-on-connect");
  return args;
}

void FillFromBlock(const ResultBlock& block, const std::string& endpoint, Measurement* m) {
  const HarnessReport r = ToHarnessReport(block);
  m->status = r.status;
  m->error = r.error;
  m->raw_ticks = r.ticks;
  m->runs = r.runs;
  m->warmup = r.warmup;
  m->output_sha256 = r.output_sha256;
  m->output_bytes = r.output_bytes;
  m->stack_high_water_bytes = r.stack_high_water_bytes;
  m->stack_bytes = r.stack_bytes;
  m->arena_bytes = r.arena_bytes;
  m->flash_bytes = r.flash_bytes;
  m->ram_bytes = r.ram_bytes;
  if (r.status == RunStatus::kFault) return;
  // Both timers count the core clock on silicon: DWT CYCCNT directly, the
  // harness's SysTick fallback with CLKSOURCE = processor clock.
  if (r.timer == "dwt_cyccnt") {
    m->unit = CountUnit::kCycles;
    m->counted_by = "DWT CYCCNT (core clock cycles)";
  } else if (r.timer == "systick") {
    m->unit = CountUnit::kCycles;
    m->counted_by = "SysTick on the core clock (DWT unavailable)";
  } else if (r.timer == "host_ns") {
    m->unit = CountUnit::kNanoseconds;
    m->counted_by = "CLOCK_MONOTONIC";
  } else {
    m->unit = CountUnit::kNone;
    m->counted_by = "no timer";
  }
  if (!endpoint.empty()) absl::StrAppend(&m->counted_by, " [via ", endpoint, "]");
  m->total_count = r.ticks;
  m->per_inference = r.runs > 0 ? static_cast<double>(r.ticks) / r.runs : 0;
}

class PyocdBoard : public Board {
 public:
  PyocdBoard(std::string uid, space::BoardSpec spec, PyocdBoardOptions options)
      : uid_(std::move(uid)),
        uri_("pyocd://" + uid_),
        spec_(std::move(spec)),
        options_(std::move(options)),
        bridge_(options_) {}

  const std::string& uri() const override { return uri_; }
  const space::BoardSpec& spec() const override { return spec_; }
  int slots() const override { return 1; }

  absl::StatusOr<Measurement> Run(const Artifact& artifact,
                                  const RunOptions& run_options) override {
    if (run_options.timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(uri_, ": run timeout must be positive"));
    }
    std::error_code ec;
    if (artifact.elf_path.empty() || !std::filesystem::is_regular_file(artifact.elf_path, ec)) {
      return absl::InvalidArgumentError(absl::StrCat(
          uri_, ": the artifact needs its ELF (for the result block address): '",
          artifact.elf_path, "'"));
    }
    const std::string image = artifact.bin_path.empty() ? artifact.elf_path : artifact.bin_path;
    if (!std::filesystem::is_regular_file(image, ec)) {
      return absl::InvalidArgumentError(absl::StrCat(uri_, ": image not found: ", image));
    }
    absl::MutexLock lock(&mu_);  // one probe, one run at a time
    const absl::Time start = absl::Now();
    Measurement m;
    m.board = "pyocd:" + uid_;
    std::string log;
    if (artifact.semihosting) {
      // A semihosting build halts on its first bkpt 0xAB without a debugger
      // that serves it; the run ends as kTimeout, which is the truth.
      log += "note: artifact built with semihosting; pyOCD boards expect semihosting=false\n";
    }
    log += absl::StrCat("note: runs/warmup are the firmware's compile-time values; requested ",
                        run_options.runs, "/", run_options.warmup, "\n");

    if (!options_.skip_flash) {
      const absl::Duration step = std::min(options_.flash_timeout, run_options.timeout);
      std::vector<std::string> args = {"flash"};
      const std::vector<std::string> common = CommonArgs(uid_, options_);
      args.insert(args.end(), common.begin(), common.end());
      args.insert(args.end(), {"--file", image, "--timeout", Seconds(step)});
      if (image == artifact.bin_path) {
        args.insert(args.end(), {"--base", absl::StrFormat("0x%08x", spec_.flash_origin)});
      }
      absl::StatusOr<BridgeReply> reply = bridge_.Call(args, ProcessLimit(step));
      if (!reply.ok()) return Annotate(reply.status());
      log += reply->log;
      if (!reply->line["ok"].get<bool>()) return ReplyError(uri_, reply->line);
    }

    const absl::Duration remaining = run_options.timeout - (absl::Now() - start);
    if (remaining <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(
          uri_, ": flashing used the whole run budget of ",
          absl::FormatDuration(run_options.timeout)));
    }
    std::vector<std::string> args = {"run"};
    const std::vector<std::string> common = CommonArgs(uid_, options_);
    args.insert(args.end(), common.begin(), common.end());
    args.insert(args.end(), {"--elf", artifact.elf_path, "--timeout", Seconds(remaining),
                             "--poll", Seconds(options_.poll_interval)});
    // The bridge's own watchdog for a run is timeout + 2 x connect_timeout.
    absl::StatusOr<BridgeReply> reply =
        bridge_.Call(args, ProcessLimit(remaining + 2 * options_.connect_timeout));
    m.wall_seconds = absl::ToDoubleSeconds(absl::Now() - start);
    if (!reply.ok()) return Annotate(reply.status());
    log += reply->log;
    m.raw_log = Tail(log, kMaxLogBytes);
    m.exit_code = reply->exit_code;
    const json& line = reply->line;
    if (!line["ok"].get<bool>()) {
      if (StringField(line, "error") == "target_timeout") {
        m.status = RunStatus::kTimeout;
        m.error = absl::StrCat("no result block within ", absl::FormatDuration(remaining),
                               ": ", StringField(line, "detail"));
        return m;
      }
      return ReplyError(uri_, line);
    }
    absl::StatusOr<std::string> bytes = HexToBytes(StringField(line, "result_block_hex"));
    absl::StatusOr<ResultBlock> block =
        bytes.ok() ? DecodeResultBlock(*bytes) : absl::StatusOr<ResultBlock>(bytes.status());
    if (!block.ok()) {
      m.status = RunStatus::kBadOutput;
      m.error = std::string(block.status().message());
      return m;
    }
    FillFromBlock(*block, StringField(line, "endpoint"), &m);
    return m;
  }

 private:
  // Kill limit of a bridge process whose own deadlines add up to connect +
  // `step`.
  absl::Duration ProcessLimit(absl::Duration step) const {
    return options_.connect_timeout + step + options_.kill_grace;
  }

  absl::Status Annotate(const absl::Status& s) const {
    return absl::Status(s.code(), absl::StrCat(uri_, ": ", s.message()));
  }

  const std::string uid_;
  const std::string uri_;
  const space::BoardSpec spec_;
  const PyocdBoardOptions options_;
  const Bridge bridge_;
  absl::Mutex mu_;
};

bool ValidUid(const std::string& uid) {
  if (uid.empty() || uid.size() > 128) return false;
  for (char c : uid) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string DefaultPyocdBridgeScript() {
  if (const char* env = std::getenv("MCUTUNE_PYOCD_BRIDGE"); env && *env) return env;
#ifdef MCUTUNE_SOURCE_DIR
  return std::string(MCUTUNE_SOURCE_DIR) + "/device_farm/pyocd/mcutune_pyocd_bridge.py";
#else
  return "device_farm/pyocd/mcutune_pyocd_bridge.py";
#endif
}

absl::StatusOr<std::unique_ptr<Board>> MakePyocdBoard(const std::string& probe_uid,
                                                      const space::BoardSpec& spec,
                                                      const PyocdBoardOptions& options) {
  if (!ValidUid(probe_uid)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pyocd: probe uid '", probe_uid, "' must be 1..128 characters [A-Za-z0-9._-]"));
  }
  if (spec.id.empty()) return absl::InvalidArgumentError("pyocd: board spec without an id");
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  return std::unique_ptr<Board>(new PyocdBoard(probe_uid, spec, options));
}

absl::StatusOr<std::vector<ProbeInfo>> ListPyocdProbes(const PyocdBoardOptions& options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  const Bridge bridge(options);
  absl::StatusOr<BridgeReply> reply =
      bridge.Call({"list", "--timeout", Seconds(options.list_timeout)},
                  options.list_timeout + options.kill_grace);
  if (!reply.ok()) return reply.status();
  if (!reply->line["ok"].get<bool>()) return ReplyError("pyocd list", reply->line);
  const auto probes = reply->line.find("probes");
  if (probes == reply->line.end() || !probes->is_array()) {
    return absl::InternalError("pyocd list: reply without a 'probes' array");
  }
  std::vector<ProbeInfo> out;
  for (const json& p : *probes) {
    if (!p.is_object()) return absl::InternalError("pyocd list: a probe is not an object");
    ProbeInfo info;
    info.uid = StringField(p, "uid");
    info.description = StringField(p, "description");
    info.vendor = StringField(p, "vendor");
    info.product = StringField(p, "product");
    info.board_name = StringField(p, "board");
    if (info.uid.empty()) return absl::InternalError("pyocd list: a probe without a uid");
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace mcutune::device_farm
