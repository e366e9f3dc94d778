// Artifacts and board URIs.
// - LoadArtifact: DIR/firmware.elf is required, DIR/firmware.bin optional;
//   DIR/report.json (from `mcutune codegen`) is optional but, when present,
//   validated completely (it is a file on disk, i.e. untrusted): a build that
//   failed is refused, the expected output hash must be 64 lowercase hex
//   digits, the toolchain version a bounded printable string.
// - Sha256File / Sha256Hex: OpenSSL's EVP SHA-256 (the firmware's own C
//   implementation hashes on the device; the host side uses the library, so
//   a bug in one is caught by the other).
// - ParseBoardUri: "qemu://<catalogue-id>[/<slot>]" and "pyocd://<uid>",
//   strict character sets, no normalisation.
#include "device_farm/board.h"

#include <openssl/evp.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mcutune::device_farm {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxReportBytes = 16 << 20;

std::string Hex(const unsigned char* digest, unsigned int size) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    s += kHex[digest[i] >> 4];
    s += kHex[digest[i] & 15];
  }
  return s;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

MdCtx NewSha256() {
  MdCtx ctx(EVP_MD_CTX_new());
  if (ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    ctx.reset();
  return ctx;
}

bool IsLowerHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsPrintable(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Every character of `s` is in [a-z0-9-] (catalogue ids) or, with
// `wide`, [A-Za-z0-9._-] (probe uids, slots).
bool AllowedChars(const std::string& s, bool wide) {
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' ||
                    (wide && ((c >= 'A' && c <= 'Z') || c == '.' || c == '_'));
    if (!ok) return false;
  }
  return true;
}

absl::Status ReadReport(const fs::path& path, Artifact* artifact) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec)
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path.string()));
  if (size > kMaxReportBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), " is too large"));
  }
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  const nlohmann::json j =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), " is not a JSON object"));
  }
  const std::string where = path.string();
  if (j.contains("build")) {
    const nlohmann::json& build = j["build"];
    if (!build.is_object())
      return absl::InvalidArgumentError(where + ": \"build\" is not an object");
    if (build.contains("ok")) {
      if (!build["ok"].is_boolean()) {
        return absl::InvalidArgumentError(where +
                                          ": build.ok is not a boolean");
      }
      if (!build["ok"].get<bool>()) {
        return absl::InvalidArgumentError(
            where + ": the build failed; there is no firmware to run");
      }
    }
    if (build.contains("toolchain_version")) {
      if (!build["toolchain_version"].is_string()) {
        return absl::InvalidArgumentError(
            where + ": build.toolchain_version is not a string");
      }
      artifact->toolchain_version =
          build["toolchain_version"].get<std::string>();
    }
  }
  if (j.contains("expected_output_sha256")) {
    const nlohmann::json& e = j["expected_output_sha256"];
    if (!e.is_string() || !IsLowerHex64(e.get<std::string>())) {
      return absl::InvalidArgumentError(
          where + ": expected_output_sha256 must be 64 lowercase hex digits");
    }
    artifact->expected_output_sha256 = e.get<std::string>();
  }
  if (j.contains("semihosting")) {
    if (!j["semihosting"].is_boolean()) {
      return absl::InvalidArgumentError(where +
                                        ": semihosting is not a boolean");
    }
    artifact->semihosting = j["semihosting"].get<bool>();
  }
  if (artifact->toolchain_version.size() > 256 ||
      !IsPrintable(artifact->toolchain_version)) {
    return absl::InvalidArgumentError(
        where +
        ": build.toolchain_version must be printable and at most 256 bytes");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> Sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || fs::is_directory(path, ec)) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  MdCtx ctx = NewSha256();
  if (!ctx) return absl::InternalError("OpenSSL SHA-256 init failed");
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof(buf));
    const std::streamsize n = in.gcount();
    if (n > 0 &&
        EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(n)) != 1) {
      return absl::InternalError("OpenSSL SHA-256 update failed");
    }
  }
  if (in.bad())
    return absl::DataLossError(absl::StrCat("read error on ", path));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1) {
    return absl::InternalError("OpenSSL SHA-256 final failed");
  }
  return Hex(digest, size);
}

std::string Sha256Hex(const void* data, size_t size) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  MdCtx ctx = NewSha256();
  if (!ctx || EVP_DigestUpdate(ctx.get(), data, size) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &digest_size) != 1) {
    return "";
  }
  return Hex(digest, digest_size);
}

absl::StatusOr<Artifact> LoadArtifact(const std::string& build_dir) {
  std::error_code ec;
  if (build_dir.empty())
    return absl::InvalidArgumentError("empty build directory");
  if (!fs::is_directory(build_dir, ec)) {
    return absl::NotFoundError(absl::StrCat("no build directory ", build_dir));
  }
  const fs::path dir = fs::absolute(build_dir, ec);
  Artifact a;
  const fs::path elf = dir / "firmware.elf";
  if (!fs::is_regular_file(elf, ec)) {
    return absl::NotFoundError(
        absl::StrCat("no firmware.elf in ", build_dir,
                     " (build it with `mcutune codegen ... -o DIR`)"));
  }
  a.elf_path = elf.string();
  const fs::path bin = dir / "firmware.bin";
  if (fs::is_regular_file(bin, ec)) a.bin_path = bin.string();
  const fs::path report = dir / "report.json";
  if (fs::exists(report, ec)) {
    if (absl::Status s = ReadReport(report, &a); !s.ok()) return s;
  }
  absl::StatusOr<std::string> sha = Sha256File(a.elf_path);
  if (!sha.ok()) return sha.status();
  a.sha256 = *sha;
  return a;
}

absl::StatusOr<BoardUri> ParseBoardUri(const std::string& uri) {
  const size_t sep = uri.find("://");
  if (sep == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("board URI '", uri,
                     "' has no scheme: use qemu://<catalogue-id>[/<slot>] or "
                     "pyocd://<probe-uid>"));
  }
  BoardUri out;
  out.scheme = uri.substr(0, sep);
  const std::string rest = uri.substr(sep + 3);
  if (uri.size() > 200) {
    return absl::InvalidArgumentError("board URI longer than 200 characters");
  }
  if (out.scheme == "qemu") {
    const size_t slash = rest.find('/');
    out.target = rest.substr(0, slash);
    if (slash != std::string::npos) {
      out.slot = rest.substr(slash + 1);
      if (out.slot.empty() || !AllowedChars(out.slot, /*wide=*/true)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "board URI '", uri,
            "': the slot after '/' must be non-empty [A-Za-z0-9._-]"));
      }
    }
    if (out.target.empty() || !AllowedChars(out.target, /*wide=*/false)) {
      return absl::InvalidArgumentError(
          absl::StrCat("board URI '", uri,
                       "': the catalogue id must be non-empty [a-z0-9-]"));
    }
    return out;
  }
  if (out.scheme == "pyocd") {
    out.target = rest;
    if (rest.empty() || !AllowedChars(rest, /*wide=*/true)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "board URI '", uri,
          "': the probe uid must be non-empty [A-Za-z0-9._-], no '/'"));
    }
    return out;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("board URI '", uri, "': unknown scheme '", out.scheme,
                   "' (qemu or pyocd)"));
}

}  // namespace mcutune::device_farm
