// Client commands that read results: `mcutune pareto`, `fetch`, `boards`
// (connection options: client_connection.h).
//   pareto JOB [--json]          measured front, per board kind, by latency
//   fetch JOB CANDIDATE -o DIR [--tar FILE]
//                                the candidate's bundle (ustar from GetBuild,
//                                size and SHA-256 checked, unpacked into DIR;
//                                --tar also keeps the archive). Both are
//                                written beside their target first and
//                                moved into place when complete, so an error
//                                such as a full disk leaves no partial bundle
//                                that looks complete.
//   boards [--available] [--json]
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "device_farm/board.h"
#include "server/cli/client_connection.h"
#include "server/cli/commands.h"
#include "server/common/tar_archive.h"

namespace mcutune::cli {
namespace {

namespace pb = ::mcutune::v1;

namespace fs = std::filesystem;

// The archive at `path`: written to "<path>.partial" and renamed, so a
// failed write (disk full) leaves nothing at `path`. An existing special
// file (/dev/null, /dev/full) is written directly.
absl::Status WriteArchive(const std::string& path, const std::string& bytes) {
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec)) {
    return server::WriteWholeFile(path, bytes);
  }
  const std::string tmp = path + ".partial";
  absl::Status s = server::WriteWholeFile(tmp, bytes);
  if (s.ok()) {
    fs::rename(tmp, path, ec);
    if (ec) {
      s = absl::PermissionDeniedError(absl::StrCat(
          "cannot rename ", tmp, " to ", path, ": ", ec.message()));
    }
  }
  if (!s.ok()) fs::remove(tmp, ec);
  return s;
}

// Unpacks into a staging directory beside `out_dir`, then moves the result
// into place: a missing or empty out_dir is replaced whole; in a non-empty
// one each top-level entry of the bundle replaces its namesake. On an error
// the staging directory is removed and out_dir is untouched.
absl::StatusOr<int> ExtractBundle(const std::string& bytes,
                                  const std::string& out_dir) {
  std::error_code ec;
  fs::path target = fs::absolute(out_dir, ec).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  fs::create_directories(target.parent_path(), ec);
  const fs::path staging =
      target.parent_path() /
      absl::StrCat(".", target.filename().string(), ".partial-", getpid());
  fs::remove_all(staging, ec);
  absl::StatusOr<int> n = server::ExtractTar(bytes, staging.string());
  auto fail = [&](const absl::Status& s) {
    fs::remove_all(staging, ec);
    return absl::Status(s.code(),
                        absl::StrCat(s.message(), " (nothing was written to ",
                                     target.string(), ")"));
  };
  if (!n.ok()) return fail(n.status());
  if (!fs::exists(target, ec) || fs::is_empty(target, ec)) {
    fs::remove(target, ec);
    fs::rename(staging, target, ec);
    if (ec) {
      return fail(absl::PermissionDeniedError(
          absl::StrCat("cannot move the bundle into ", target.string(), ": ",
                       ec.message())));
    }
    return *n;
  }
  for (const fs::directory_entry& e : fs::directory_iterator(staging, ec)) {
    const fs::path dest = target / e.path().filename();
    fs::remove_all(dest, ec);
    fs::rename(e.path(), dest, ec);
    if (ec) {
      return fail(absl::PermissionDeniedError(
          absl::StrCat("cannot move ", e.path().string(), " to ", dest.string(),
                       ": ", ec.message())));
    }
  }
  fs::remove_all(staging, ec);
  return *n;
}

std::string Count(double v) {
  if (v >= 1e6)
    return absl::StrCat(static_cast<int64_t>(v / 1e3 + 0.5) / 1000.0, "M");
  if (v >= 1e3)
    return absl::StrCat(static_cast<int64_t>(v / 1e2 + 0.5) / 10.0, "K");
  return absl::StrCat(static_cast<int64_t>(v + 0.5));
}

}  // namespace

int RunPareto(const Args& in) {
  Args args = in;
  absl::StatusOr<ClientOptions> o = ParseClientOptions(&args);
  if (!o.ok()) return UsageError(std::string(o.status().message()));
  if (args.size() != 1) return UsageError("usage: mcutune pareto JOB [--json]");
  Client client(*o);
  pb::GetParetoFrontRequest req;
  req.set_job_id(args[0]);
  pb::ParetoFront front;
  std::unique_ptr<grpc::ClientContext> ctx = client.Context();
  if (grpc::Status s = client.stub().GetParetoFront(ctx.get(), req, &front);
      !s.ok()) {
    return PrintError(FromGrpc(s, *o));
  }
  if (o->json) {
    std::printf("%s\n", ToJson(front).c_str());
    return 0;
  }
  std::printf("job %s: %s front, %d candidates%s\n", front.job_id().c_str(),
              front.final() ? "final" : "current", front.candidates_size(),
              front.final() ? "" : " (the job is not done)");
  std::printf("%-12s %-28s %-9s %14s %-12s %12s %12s %10s %14s\n", "board",
              "candidate", "strategy", "latency", "unit", "peak SRAM", "flash",
              "MACs", "predicted");
  for (const pb::Candidate& c : front.candidates()) {
    std::printf("%-12s %-28s %-9s %14.0f %-12s %12lld %12lld %10s %14s\n",
                c.board_kind().c_str(), c.candidate_id().c_str(),
                c.strategy().c_str(), c.measured().latency(),
                c.measured().unit().c_str(),
                static_cast<long long>(c.metrics().peak_sram_bytes()),
                static_cast<long long>(c.measured().flash_bytes()),
                Count(static_cast<double>(c.metrics().macs())).c_str(),
                c.has_predicted() && c.predicted().unit() == c.measured().unit()
                    ? Count(c.predicted().latency()).c_str()
                    : "-");
  }
  return 0;
}

int RunFetch(const Args& in) {
  Args args = in;
  absl::StatusOr<ClientOptions> o = ParseClientOptions(&args);
  if (!o.ok()) return UsageError(std::string(o.status().message()));
  std::vector<std::string> positional;
  std::string out_dir, tar_path;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "-o" || args[i] == "--tar") && i + 1 < args.size()) {
      (args[i] == "-o" ? out_dir : tar_path) = args[i + 1];
      ++i;
    } else if (!args[i].empty() && args[i][0] == '-') {
      return UsageError("fetch: unknown option '" + args[i] + "'");
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.size() != 2 || (out_dir.empty() && tar_path.empty())) {
    return UsageError("usage: mcutune fetch JOB CANDIDATE -o DIR [--tar FILE]");
  }
  Client client(*o);
  pb::GetBuildRequest req;
  req.set_job_id(positional[0]);
  req.set_candidate(positional[1]);
  std::unique_ptr<grpc::ClientContext> ctx = client.Context(/*deadline=*/false);
  std::unique_ptr<grpc::ClientReader<pb::BuildChunk>> reader =
      client.stub().GetBuild(ctx.get(), req);
  pb::BuildChunk chunk;
  pb::BuildInfo info;
  std::string bytes;
  bool have_info = false;
  while (reader->Read(&chunk)) {
    if (chunk.has_info()) {
      info = chunk.info();
      have_info = true;
      if (info.size_bytes() < 0 || info.size_bytes() > (int64_t{1} << 31)) {
        ctx->TryCancel();
        break;
      }
      bytes.reserve(static_cast<size_t>(info.size_bytes()));
    } else {
      bytes += chunk.data();
      if (static_cast<int64_t>(bytes.size()) > info.size_bytes()) {
        ctx->TryCancel();
        break;
      }
    }
  }
  if (grpc::Status s = reader->Finish(); !s.ok())
    return PrintError(FromGrpc(s, *o));
  if (!have_info || static_cast<int64_t>(bytes.size()) != info.size_bytes()) {
    return PrintError(absl::DataLossError(
        absl::StrCat("the bundle arrived with ", bytes.size(),
                     " bytes, announced ", info.size_bytes())));
  }
  const std::string sha = device_farm::Sha256Hex(bytes.data(), bytes.size());
  if (sha != info.sha256()) {
    return PrintError(
        absl::DataLossError("the bundle's SHA-256 does not match"));
  }
  if (!tar_path.empty()) {
    if (absl::Status s = WriteArchive(tar_path, bytes); !s.ok())
      return PrintError(s);
  }
  int files = 0;
  if (!out_dir.empty()) {
    absl::StatusOr<int> n = ExtractBundle(bytes, out_dir);
    if (!n.ok()) return PrintError(n.status());
    files = *n;
  }
  if (o->json) {
    std::printf("%s\n", ToJson(info).c_str());
  } else {
    std::printf(
        "%s: %lld bytes, sha256 %s%s%s\n", info.candidate_key().c_str(),
        static_cast<long long>(info.size_bytes()), info.sha256().c_str(),
        out_dir.empty()
            ? ""
            : absl::StrCat("; ", files, " files in ", out_dir).c_str(),
        tar_path.empty() ? "" : absl::StrCat("; archive ", tar_path).c_str());
  }
  return 0;
}

int RunBoardKinds(const Args& in) {
  Args args = in;
  absl::StatusOr<ClientOptions> o = ParseClientOptions(&args);
  if (!o.ok()) return UsageError(std::string(o.status().message()));
  pb::ListBoardsRequest req;
  for (const std::string& a : args) {
    if (a == "--available") {
      req.set_available_only(true);
    } else {
      return UsageError("usage: mcutune boards [--available] [--json]");
    }
  }
  Client client(*o);
  pb::ListBoardsResponse res;
  std::unique_ptr<grpc::ClientContext> ctx = client.Context();
  if (grpc::Status s = client.stub().ListBoards(ctx.get(), req, &res);
      !s.ok()) {
    return PrintError(FromGrpc(s, *o));
  }
  if (o->json) {
    std::printf("%s\n", ToJson(res).c_str());
    return 0;
  }
  std::printf("%-11s %-7s %-11s %5s %9s %10s %4s  %s\n", "kind", "type", "core",
              "MHz", "SRAM KiB", "flash KiB", "ext", "boards");
  for (const pb::BoardKind& b : res.boards()) {
    std::vector<std::string> inst;
    for (const pb::BoardInstance& i : b.instances()) {
      inst.push_back(absl::StrCat(i.uri(), " (", i.state(), ")"));
    }
    std::printf("%-11s %-7s %-11s %5lld %9lld %10lld %4s  %s\n",
                b.kind().c_str(), b.is_virtual() ? "virtual" : "real",
                b.core().c_str(),
                static_cast<long long>(b.clock_hz() / 1000000),
                static_cast<long long>(b.sram_bytes() / 1024),
                static_cast<long long>(b.flash_bytes() / 1024),
                b.has_external_memory() ? "yes" : "no",
                inst.empty() ? "-" : absl::StrJoin(inst, ", ").c_str());
  }
  return 0;
}

}  // namespace mcutune::cli
