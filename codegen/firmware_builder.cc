// BuildFirmware / BuildHost.
// - Validate options (sources exist, define names are identifiers, opt level
//   known); sources become absolute paths, so no argument starts with '-'.
// - Board builds write firmware.ld (GenerateLinkerScript) into work_dir.
// - Each source compiles on its own (obj/NN_name.o, `jobs` in parallel;
//   stage kCompile), then one
//   link (stage kLink; overflows parsed from the log), then objcopy -O binary
//   and size -A (stage kPostLink).
// - Tool timeouts, non-zero exits and deaths by a resource limit (SIGXCPU,
//   SIGKILL, "File too large", out of memory) end the build as data
//   (ok = false); a missing tool is NOT_FOUND.
#include "codegen/firmware_builder.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/subprocess.h"

namespace mcutune::codegen {
namespace fs = std::filesystem;
namespace {

bool IsIdentifier(const std::string& s) {
  static const std::regex kIdent("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(s, kIdent);
}

absl::Status ValidateOptions(const FirmwareBuildOptions& o) {
  if (o.work_dir.empty()) return absl::InvalidArgumentError("build: work_dir is required");
  if (o.sources.empty()) return absl::InvalidArgumentError("build: no sources");
  for (const std::string& src : o.sources) {
    std::error_code ec;
    if (!fs::is_regular_file(src, ec)) {
      return absl::InvalidArgumentError(absl::StrCat("build: source not found: ", src));
    }
  }
  for (const auto& [name, value] : o.defines) {
    if (!IsIdentifier(name)) {
      return absl::InvalidArgumentError(absl::StrCat("build: bad define name '", name, "'"));
    }
    if (value.find_first_of(" \t\r\n\"'\\") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("build: bad value for ", name));
    }
  }
  static const char* kLevels[] = {"O0", "O1", "O2", "O3", "Os"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= o.opt_level == l;
  if (!level_ok) {
    return absl::InvalidArgumentError(absl::StrCat("build: bad opt level '", o.opt_level, "'"));
  }
  return absl::OkStatus();
}

struct Step {
  bool ran_ok = false;  // exit 0 within the timeout
  std::string output;   // stdout + stderr
  std::string log;      // the command line and its output
};

// Runs one tool; infrastructure failures (missing tool) are errors, a
// timeout or non-zero exit is a failed Step.
absl::StatusOr<Step> RunToolQuiet(const std::vector<std::string>& argv,
                                  const FirmwareBuildOptions& options) {
  base::SubprocessOptions sub;
  sub.working_dir = options.work_dir;
  sub.timeout = options.timeout;
  sub.limits = options.limits;
  Step step;
  step.log = absl::StrCat("$ ", base::FormatCommandLine(argv), "\n");
  absl::StatusOr<base::SubprocessResult> run = base::RunSubprocess(argv, sub);
  if (!run.ok()) {
    if (run.status().code() != absl::StatusCode::kDeadlineExceeded) return run.status();
    step.output = std::string(run.status().message());
  } else {
    step.output = run->stdout_data + run->stderr_data;
    step.ran_ok = run->ok();
  }
  absl::StrAppend(&step.log, step.output);
  if (!step.output.empty() && step.output.back() != '\n') step.log += '\n';
  return step;
}

// RunToolQuiet + append to result->log.
absl::StatusOr<Step> RunTool(const std::vector<std::string>& argv,
                             const FirmwareBuildOptions& options, BuildResult* result) {
  absl::StatusOr<Step> step = RunToolQuiet(argv, options);
  if (step.ok()) result->log += step->log;
  return step;
}

// Firmware sources added to every build: the result block, start-up +
// semihosting for boards,
// plus the harness (main, SHA-256, platform) when requested.
std::vector<std::string> FirmwareSources(bool host, bool with_harness) {
  const std::string fw = FirmwareIncludeRoot() + "/codegen/firmware/";
  std::vector<std::string> out = {fw + "result_block.c"};
  if (!host) out.insert(out.end(), {fw + "cortex_m/startup.c", fw + "cortex_m/semihosting.c"});
  if (with_harness) {
    out.insert(out.end(), {fw + "harness.c", fw + "sha256.c",
                           fw + (host ? "host/platform_host.c" : "cortex_m/platform_cortex_m.c")});
  }
  return out;
}

absl::Status PrepareWorkDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "obj", ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("build: cannot create work dir ", dir, ": ", ec.message()));
  }
  return absl::OkStatus();
}

// Compiles every source; returns the object paths, or an empty vector with
// result->stage = kCompile on failure.
absl::StatusOr<std::vector<std::string>> CompileAll(
    const std::string& compiler, const std::vector<std::string>& flags,
    const FirmwareBuildOptions& options, bool host, BuildResult* result) {
  std::vector<std::string> sources;
  for (const std::string& s : options.sources) sources.push_back(fs::absolute(s).string());
  for (std::string& s : FirmwareSources(host, options.with_harness)) {
    sources.push_back(std::move(s));
  }
  std::vector<std::string> objects;
  std::vector<std::vector<std::string>> commands;
  for (size_t i = 0; i < sources.size(); ++i) {
    const std::string obj = absl::StrCat(options.work_dir, "/obj/", i, "_",
                                         fs::path(sources[i]).stem().string(), ".o");
    std::vector<std::string> argv = {compiler};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"-c", sources[i], "-o", obj});
    commands.push_back(std::move(argv));
    objects.push_back(obj);
  }
  // Compile in parallel; logs are appended in source order afterwards.
  std::vector<absl::StatusOr<Step>> steps(commands.size(), absl::UnknownError("not run"));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < commands.size();) {
      steps[i] = RunToolQuiet(commands[i], options);
    }
  };
  int jobs = options.jobs > 0 ? options.jobs
                              : static_cast<int>(std::thread::hardware_concurrency());
  jobs = std::max(1, std::min<int>(jobs, static_cast<int>(commands.size())));
  std::vector<std::thread> threads;
  for (int t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  bool all_ok = true;
  for (absl::StatusOr<Step>& step : steps) {
    if (!step.ok()) return step.status();
    result->log += step->log;
    all_ok &= step->ran_ok;
  }
  if (!all_ok) {
    result->stage = BuildStage::kCompile;
    return std::vector<std::string>{};
  }
  return objects;
}

std::vector<std::string> CommonFlags(const FirmwareBuildOptions& options, bool host) {
  std::vector<std::string> flags = {"-std=c99", "-" + options.opt_level, "-g",
                                    "-Wall", "-Wextra", "-ffunction-sections",
                                    "-fdata-sections",
                                    "-I" + FirmwareIncludeRoot()};
  for (const std::string& dir : options.include_dirs) {
    flags.push_back("-I" + fs::absolute(dir).string());
  }
  for (const auto& [name, value] : options.defines) {
    flags.push_back(value.empty() ? "-D" + name : absl::StrCat("-D", name, "=", value));
  }
  if (host) {
    flags.push_back("-DMCUTUNE_HOST=1");
  } else {
    flags.push_back(absl::StrCat("-DMCUTUNE_SEMIHOSTING=", options.semihosting ? 1 : 0));
  }
  return flags;
}

// "name size addr" rows of `size -A`, allocated sections only (addr != 0 or
// a known flash section at origin 0).
std::map<std::string, int64_t> ParseSizeA(const std::string& text) {
  std::map<std::string, int64_t> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    int64_t size = 0;
    if (f.size() != 3 || f[0].empty() || f[0][0] != '.') continue;
    if (!absl::SimpleAtoi(f[1], &size)) continue;
    if (f[0].rfind(".debug", 0) == 0 || f[0] == ".comment" ||
        f[0] == ".ARM.attributes") {
      continue;
    }
    out[f[0]] = size;
  }
  return out;
}

}  // namespace

const char* BuildStageName(BuildStage stage) {
  switch (stage) {
    case BuildStage::kCompile: return "compile";
    case BuildStage::kLink: return "link";
    case BuildStage::kPostLink: return "post_link";
    case BuildStage::kDone: return "done";
  }
  return "?";
}

int64_t BuildResult::overflow_bytes(const std::string& region) const {
  for (const RegionOverflow& o : overflows) {
    if (o.region == region) return o.bytes;
  }
  return 0;
}

std::string FirmwareIncludeRoot() {
  if (const char* env = std::getenv("MCUTUNE_FIRMWARE_ROOT"); env && *env) return env;
  return MCUTUNE_SOURCE_DIR;
}

absl::StatusOr<std::string> CompilerVersion(const std::string& compiler) {
  static std::mutex mu;
  static std::map<std::string, std::string>* cache = new std::map<std::string, std::string>;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache->find(compiler); it != cache->end()) return it->second;
  }
  base::SubprocessOptions sub;
  sub.timeout = absl::Seconds(30);
  absl::StatusOr<base::SubprocessResult> run = base::RunSubprocess({compiler, "--version"}, sub);
  if (!run.ok()) return run.status();
  const std::string first = run->stdout_data.substr(0, run->stdout_data.find('\n'));
  std::lock_guard<std::mutex> lock(mu);
  (*cache)[compiler] = first;
  return first;
}

absl::StatusOr<std::vector<std::string>> CoreFlags(const space::BoardSpec& board) {
  std::vector<std::string> flags = {"-mcpu=" + board.core, "-mthumb"};
  std::string fpu;
  if (board.core == "cortex-m4") {
    fpu = "fpv4-sp-d16";
  } else if (board.core == "cortex-m7" || board.core == "cortex-m33") {
    // Single precision is common to every M7/M33 in the catalogue.
    fpu = "fpv5-sp-d16";
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("board '", board.id, "': unsupported core '", board.core, "'"));
  }
  if (board.fpu) {
    flags.insert(flags.end(), {"-mfpu=" + fpu, "-mfloat-abi=hard"});
  } else {
    flags.push_back("-mfloat-abi=soft");
  }
  return flags;
}

absl::StatusOr<BuildResult> BuildFirmware(const space::BoardSpec& board,
                                          const FirmwareBuildOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> core = CoreFlags(board);
  if (!core.ok()) return core.status();
  LinkerScriptOptions ld_options;
  ld_options.stack_bytes = options.stack_bytes;
  ld_options.ext_flash_origin = options.ext_flash_origin;
  ld_options.ext_flash_bytes = options.ext_flash_bytes;
  ld_options.ext_ram_image_origin = options.ext_ram_image_origin;
  ld_options.ext_ram_image_bytes = options.ext_ram_image_bytes;
  absl::StatusOr<std::string> script = GenerateLinkerScript(board, ld_options);
  if (!script.ok()) return script.status();
  const std::string gcc = options.toolchain_prefix + "gcc";
  absl::StatusOr<std::string> version = CompilerVersion(gcc);
  if (!version.ok()) return version.status();
  if (absl::Status s = PrepareWorkDir(options.work_dir); !s.ok()) return s;

  BuildResult result;
  result.toolchain_version = *version;
  const fs::path dir = fs::absolute(options.work_dir);
  result.linker_script_path = (dir / "firmware.ld").string();
  result.elf_path = (dir / "firmware.elf").string();
  result.bin_path = (dir / "firmware.bin").string();
  result.map_path = (dir / "firmware.map").string();
  {
    std::ofstream ld(result.linker_script_path);
    ld << *script;
    if (!ld) return absl::PermissionDeniedError("build: cannot write " + result.linker_script_path);
  }
  std::vector<std::string> flags = *core;
  for (std::string& f : CommonFlags(options, /*host=*/false)) flags.push_back(std::move(f));
  absl::StatusOr<std::vector<std::string>> objects =
      CompileAll(gcc, flags, options, /*host=*/false, &result);
  if (!objects.ok()) return objects.status();
  if (objects->empty()) return result;

  std::vector<std::string> link = {gcc};
  link.insert(link.end(), core->begin(), core->end());
  link.insert(link.end(), {"-" + options.opt_level, "-nostartfiles", "--specs=nano.specs",
                           "--specs=nosys.specs", "-Wl,--gc-sections",
                           "-Wl,--print-memory-usage", "-Wl,-Map=" + result.map_path,
                           "-T", result.linker_script_path});
  link.insert(link.end(), objects->begin(), objects->end());
  link.insert(link.end(), {"-o", result.elf_path});
  absl::StatusOr<Step> linked = RunTool(link, options, &result);
  if (!linked.ok()) return linked.status();
  result.overflows = ParseLinkerOverflows(linked->output);
  if (!linked->ran_ok) {
    result.stage = BuildStage::kLink;
    return result;
  }
  result.regions = ParseMemoryUsage(linked->output);
  for (const RegionUsage& r : result.regions) {
    if (r.region == "FLASH") result.flash_bytes = r.used_bytes;
    if (r.region == "RAM") result.ram_bytes = r.used_bytes;
    if (r.region == "EXTFLASH") result.ext_flash_bytes = r.used_bytes;
  }

  result.stage = BuildStage::kPostLink;
  const std::string objcopy = options.toolchain_prefix + "objcopy";
  // The external-flash image lies far from FLASH: a binary of both would
  // span the gap, so it gets a file of its own.
  absl::StatusOr<Step> bin = RunTool(
      {objcopy, "-O", "binary", "-R", kExtFlashSection, "-R",
       kExtRamImageSection, result.elf_path, result.bin_path},
      options, &result);
  if (!bin.ok()) return bin.status();
  if (!bin->ran_ok) return result;
  if (result.ext_flash_bytes > 0) {
    result.ext_flash_bin_path = (dir / "ext_flash.bin").string();
    absl::StatusOr<Step> ext = RunTool(
        {objcopy, "-O", "binary", "-j", kExtFlashSection, result.elf_path,
         result.ext_flash_bin_path},
        options, &result);
    if (!ext.ok()) return ext.status();
    if (!ext->ran_ok) return result;
  }
  absl::StatusOr<Step> size =
      RunTool({options.toolchain_prefix + "size", "-A", result.elf_path}, options, &result);
  if (!size.ok()) return size.status();
  if (!size->ran_ok) return result;
  result.sections = ParseSizeA(size->output);
  if (auto it = result.sections.find(".arena"); it != result.sections.end()) {
    result.arena_bytes = it->second;
  }
  result.stage = BuildStage::kDone;
  result.ok = true;
  return result;
}

absl::StatusOr<BuildResult> BuildHost(const FirmwareBuildOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  absl::StatusOr<std::string> version = CompilerVersion(options.host_compiler);
  if (!version.ok()) return version.status();
  if (absl::Status s = PrepareWorkDir(options.work_dir); !s.ok()) return s;
  BuildResult result;
  result.toolchain_version = *version;
  result.host_executable = (fs::absolute(options.work_dir) / "firmware_host").string();
  const std::vector<std::string> flags = CommonFlags(options, /*host=*/true);
  absl::StatusOr<std::vector<std::string>> objects =
      CompileAll(options.host_compiler, flags, options, /*host=*/true, &result);
  if (!objects.ok()) return objects.status();
  if (objects->empty()) return result;
  std::vector<std::string> link = {options.host_compiler};
  link.insert(link.end(), objects->begin(), objects->end());
  link.insert(link.end(), {"-o", result.host_executable});
  absl::StatusOr<Step> linked = RunTool(link, options, &result);
  if (!linked.ok()) return linked.status();
  if (!linked->ran_ok) {
    result.stage = BuildStage::kLink;
    return result;
  }
  result.stage = BuildStage::kDone;
  result.ok = true;
  return result;
}

}  // namespace mcutune::codegen
