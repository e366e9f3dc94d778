// BuildHealthArtifact.
// - Stamp = SHA-256 over every file of codegen/firmware/ (path + bytes, in
//   path order), the board fields that reach the compiler or linker, the
//   semihosting flag and both compiler versions. A cache entry whose stamp
//   matches is reused as is (LoadArtifact re-hashes the ELF).
// - Otherwise: build the stand-in for the board and for the host into a
//   private temp dir next to the entry, run the host executable (bounded),
//   take its output hash, write report.json and the stamp, then swap the
//   directory into place.
#include "server/cli/farm_health_firmware.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/subprocess.h"
#include "codegen/firmware_builder.h"
#include "device_farm/result_line.h"

namespace mcutune::cli {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

absl::StatusOr<std::string> Stamp(const space::BoardSpec& board,
                                  bool semihosting) {
  const fs::path root =
      fs::path(codegen::FirmwareIncludeRoot()) / "codegen" / "firmware";
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec || files.empty()) {
    return absl::NotFoundError("health firmware: cannot read " + root.string());
  }
  std::sort(files.begin(), files.end());
  std::string text;
  for (const fs::path& f : files) {
    absl::StrAppend(&text, fs::relative(f, root).string(), "\n", ReadAll(f),
                    "\n");
  }
  absl::StatusOr<std::string> arm =
      codegen::CompilerVersion("arm-none-eabi-gcc");
  if (!arm.ok()) return arm.status();
  absl::StatusOr<std::string> host = codegen::CompilerVersion("gcc");
  if (!host.ok()) return host.status();
  absl::StrAppend(&text, board.id, "|", board.core, "|", board.fpu, "|",
                  board.sram_origin, "|", board.sram_bytes, "|",
                  board.flash_origin, "|", board.flash_bytes, "|",
                  board.qemu_machine, "|", semihosting, "|", *arm, "|", *host);
  return device_farm::Sha256Hex(text.data(), text.size());
}

absl::Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::PermissionDeniedError("cannot write " + path.string());
  return absl::OkStatus();
}

}  // namespace

std::string StandInModelSource() {
  return (fs::path(codegen::FirmwareIncludeRoot()) / "codegen" / "firmware" /
          "stand_in" / "stand_in_model.c")
      .string();
}

absl::StatusOr<std::string> HostOutputSha256(
    const std::vector<std::string>& sources,
    const std::vector<std::pair<std::string, std::string>>& defines,
    const std::string& work_dir) {
  codegen::FirmwareBuildOptions o;
  o.work_dir = work_dir;
  o.sources = sources;
  o.defines = defines;
  o.jobs = 1;
  absl::StatusOr<codegen::BuildResult> build = codegen::BuildHost(o);
  if (!build.ok()) return build.status();
  if (!build->ok) {
    return absl::InternalError(
        absl::StrCat("host build of the reference failed at ",
                     codegen::BuildStageName(build->stage), ": ",
                     build->log.substr(0, 2000)));
  }
  base::SubprocessOptions sub;
  sub.timeout = absl::Seconds(60);
  sub.env = std::vector<std::string>{"MCUTUNE_ARGS=runs=1 warmup=1"};
  absl::StatusOr<base::SubprocessResult> run =
      base::RunSubprocess({build->host_executable}, sub);
  if (!run.ok())
    return absl::InternalError(
        absl::StrCat("host run: ", run.status().message()));
  absl::StatusOr<device_farm::HarnessReport> report =
      device_farm::ParseResultLine(run->stdout_data);
  if (!report.ok() || report->status != device_farm::RunStatus::kOk ||
      !run->ok()) {
    return absl::InternalError(absl::StrCat(
        "host run of the reference gave no ok result: ",
        run->stdout_data.substr(0, 1000), run->stderr_data.substr(0, 1000)));
  }
  return report->output_sha256;
}

absl::StatusOr<device_farm::Artifact> BuildHealthArtifact(
    const space::BoardSpec& board, const std::string& cache_dir) {
  const bool semihosting = board.is_virtual;
  absl::StatusOr<std::string> stamp = Stamp(board, semihosting);
  if (!stamp.ok()) return stamp.status();
  const fs::path entry = fs::path(cache_dir) / board.id;
  std::error_code ec;
  if (ReadAll(entry / "stamp") == *stamp &&
      fs::exists(entry / "firmware.elf", ec)) {
    absl::StatusOr<device_farm::Artifact> cached =
        device_farm::LoadArtifact(entry.string());
    if (cached.ok()) return cached;
  }
  fs::create_directories(cache_dir, ec);
  if (ec) return absl::PermissionDeniedError("cannot create " + cache_dir);
  const fs::path tmp =
      fs::path(cache_dir) / absl::StrCat(".", board.id, ".tmp-", getpid());
  fs::remove_all(tmp, ec);

  codegen::FirmwareBuildOptions o;
  o.work_dir = tmp.string();
  o.sources = {StandInModelSource()};
  o.semihosting = semihosting;
  o.jobs = 1;
  absl::StatusOr<codegen::BuildResult> build = codegen::BuildFirmware(board, o);
  if (!build.ok()) return build.status();
  if (!build->ok) {
    fs::remove_all(tmp, ec);
    return absl::InternalError(
        absl::StrCat("health firmware for ", board.id, " failed at ",
                     codegen::BuildStageName(build->stage), ": ",
                     build->log.substr(0, 2000)));
  }
  absl::StatusOr<std::string> expected =
      HostOutputSha256({StandInModelSource()}, {}, (tmp / "host").string());
  if (!expected.ok()) {
    fs::remove_all(tmp, ec);
    return expected.status();
  }
  nlohmann::json report;
  report["what"] = "farm health check: the stand-in model, golden input seed 1";
  report["expected_output_sha256"] = *expected;
  report["expected_output_from"] = "host build of the same sources";
  report["semihosting"] = semihosting;
  report["build"] = {{"ok", true},
                     {"toolchain_version", build->toolchain_version}};
  if (absl::Status s = WriteFile(tmp / "report.json", report.dump(2) + "\n");
      !s.ok())
    return s;
  if (absl::Status s = WriteFile(tmp / "stamp", *stamp); !s.ok()) return s;
  fs::remove_all(tmp / "host", ec);
  fs::remove_all(tmp / "obj", ec);
  fs::remove_all(entry, ec);
  fs::rename(tmp, entry, ec);
  if (ec) {
    // Another process won the race: use its entry if it is complete.
    fs::remove_all(tmp, ec);
  }
  return device_farm::LoadArtifact(entry.string());
}

}  // namespace mcutune::cli
