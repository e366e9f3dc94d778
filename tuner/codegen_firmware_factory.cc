// The FirmwareFactory over codegen/ (firmware_factory.h).
// - Build: codegen::MakeBuilder with the request's input embedded, semihosting
//   for virtual boards (QEMU) and the RAM result block for real ones; then
//   report.json (read back by device_farm::LoadArtifact: build.ok, toolchain,
//   expected_output_sha256, semihosting) and a short README.md next to the
//   Builder's Makefile, so the directory is a self-contained bundle.
// - Verify: codegen::VerifyOnHost with one input set, its own temp dir.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "codegen/builder.h"
#include "codegen/host_verifier.h"
#include "tuner/firmware_factory.h"
#include "tuner/space/plan_format.h"

namespace mcutune::tuner {
namespace {

namespace fs = std::filesystem;

std::string Readme(const BuildRequest& r, const codegen::ModelBuild& b) {
  const space::Plan& p = *r.plan;
  return absl::StrCat(
      "# ", r.graph->name, " as `", p.candidate.Id(), "` on ", r.board->id,
      "\n\n",
      "Built by the mcutune tuning service. Rebuild with `make` "
      "(arm-none-eabi-gcc), run "
      "on a virtual board with `mcutune exec . --board ",
      r.board->id, "`.\n\n| | |\n|---|---|\n| peak SRAM (planned) | ",
      p.memory.peak_sram_bytes, " B |\n| flash (linked) | ",
      b.firmware.flash_bytes, " B |\n| RAM (linked, incl. stack) | ",
      b.firmware.ram_bytes, " B |\n| MACs | ", p.metrics.macs_total,
      " |\n| kernel calls | ", b.model.kernel_calls, " |\n| input | ",
      r.input_description, " |\n| expected output SHA-256 | ",
      r.expected_output_sha256,
      " |\n\nBuild: ", b.ok ? "ok" : "failed at " + b.stage,
      "; toolchain: ", b.firmware.toolchain_version, "\n");
}

class CodegenFirmwareFactory : public FirmwareFactory {
 public:
  explicit CodegenFirmwareFactory(const CodegenFirmwareOptions& o)
      : options_(o) {}

  absl::StatusOr<BuildOutcome> Build(const BuildRequest& r) override {
    std::error_code ec;
    fs::create_directories(r.dir, ec);
    if (ec)
      return absl::PermissionDeniedError(absl::StrCat("cannot create ", r.dir));
    codegen::BuilderOptions bo;
    bo.work_dir = r.dir;
    bo.input = r.input;
    bo.firmware.semihosting = r.board->is_virtual;
    bo.firmware.timeout = options_.timeout;
    if (options_.portable_kernels)
      bo.firmware.defines.push_back({"MCUK_PORTABLE", ""});
    std::unique_ptr<codegen::Builder> builder =
        codegen::MakeBuilder(*r.graph, bo);
    absl::StatusOr<codegen::ModelBuild> b = builder->Build(*r.plan, *r.board);
    if (!b.ok()) return b.status();
    BuildOutcome out;
    out.ok = b->ok;
    out.stage = b->stage;
    out.flash_bytes = b->firmware.flash_bytes;
    out.ram_bytes = b->firmware.ram_bytes;
    out.toolchain_version = b->firmware.toolchain_version;
    if (!b->ok) {
      out.error = b->error.empty() ? absl::StrCat("build failed at ", b->stage)
                                   : b->error;
      for (const codegen::RegionOverflow& o : b->firmware.overflows) {
        absl::StrAppend(&out.error, "; ", o.region, " overflowed by ", o.bytes,
                        " bytes");
      }
      if (out.error.size() > 2000) out.error.resize(2000);
    }
    nlohmann::json j;
    j["candidate_id"] = r.plan->candidate.Id();
    j["board"] = r.board->id;
    j["model"] = r.graph->name;
    j["candidate"] =
        nlohmann::json::parse(space::FormatPlanJson(*r.plan), nullptr, false);
    j["requant"] = "single";
    j["kernel_path"] = options_.portable_kernels ? "portable" : "dsp";
    j["input"] = r.input_description;
    j["semihosting"] = r.board->is_virtual;
    if (!r.expected_output_sha256.empty()) {
      j["expected_output_sha256"] = r.expected_output_sha256;
    }
    nlohmann::json build;
    build["ok"] = b->ok;
    build["stage"] = b->stage;
    if (!out.error.empty()) build["error"] = out.error;
    build["flash_bytes"] = b->firmware.flash_bytes;
    build["ram_bytes"] = b->firmware.ram_bytes;
    build["arena_bytes"] = b->model.sram_bytes;
    build["kernel_calls"] = b->model.kernel_calls;
    build["toolchain_version"] = b->firmware.toolchain_version;
    j["build"] = build;
    // The model name comes from the file: not necessarily valid UTF-8.
    std::ofstream report(fs::path(r.dir) / "report.json");
    report << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
           << "\n";
    report.close();
    std::ofstream readme(fs::path(r.dir) / "README.md");
    readme << Readme(r, *b);
    readme.close();
    if (!report || !readme) {
      // The bundle would be incomplete (report.json is what the farm and
      // `mcutune fetch` users read): the machine's problem, e.g. disk full.
      const int err = errno;
      const std::string what =
          absl::StrCat("cannot write report.json/README.md in ", r.dir, ": ",
                       std::strerror(err));
      if (err == ENOSPC || err == EDQUOT || err == EFBIG)
        return absl::ResourceExhaustedError(what);
      return absl::PermissionDeniedError(what);
    }
    return out;
  }

  absl::StatusOr<std::vector<absl::Status>> Verify(
      const graph::Graph& graph, const std::vector<const space::Plan*>& plans,
      const std::vector<std::vector<int8_t>>& inputs) override {
    std::vector<space::Plan> copies;
    copies.reserve(plans.size());
    for (const space::Plan* p : plans) copies.push_back(*p);
    codegen::HostVerifyOptions o;
    o.jobs = options_.verify_jobs;
    o.timeout = options_.timeout;
    if (options_.portable_kernels) o.extra_flags.push_back("-DMCUK_PORTABLE");
    absl::StatusOr<codegen::HostVerifyResult> v =
        codegen::VerifyOnHost(graph, copies, {inputs}, o);
    if (!v.ok()) return v.status();
    std::vector<absl::Status> out;
    for (const codegen::CandidateVerdict& verdict : v->verdicts) {
      out.push_back(verdict.status);
    }
    out.resize(plans.size(),
               absl::InternalError("host verifier returned no verdict"));
    return out;
  }

 private:
  CodegenFirmwareOptions options_;
};

}  // namespace

std::unique_ptr<FirmwareFactory> MakeCodegenFirmwareFactory(
    const CodegenFirmwareOptions& options) {
  return std::make_unique<CodegenFirmwareFactory>(options);
}

}  // namespace mcutune::tuner
