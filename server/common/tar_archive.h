// POSIX ustar archives of build bundles: the daemon packs a candidate's
// bundle directory (GetBuild), the `mcutune fetch` client unpacks it, so a
// user needs no extra tool (`tar xf` works on it too).
//
//   daemon: TarDirectory(builds/<job>/<board>/<candidate>, "<root>") ──► bytes
//           ──GetBuild stream──►
//   client: ExtractTar(bytes, DIR) ──► DIR/<files>   (root prefix stripped)
//
// Only regular files and directories are written and accepted; the reader
// treats the archive as untrusted: every header checksum is verified, names
// must be relative without "..", sizes are bounded, links and devices are
// refused. Deterministic output (sorted names, mtime 0, uid/gid 0).
// Thread-safe (pure functions).
#ifndef MCUTUNE_SERVER_COMMON_TAR_ARCHIVE_H_
#define MCUTUNE_SERVER_COMMON_TAR_ARCHIVE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mcutune::server {

// Every regular file under `dir`, as "<root_name>/<relative path>", except
// what is under a top-level directory named in `skip_dirs` (build
// intermediates such as "obj").
// NOT_FOUND when `dir` is missing, RESOURCE_EXHAUSTED past `max_bytes`,
// INVALID_ARGUMENT for a path longer than ustar can hold (255 bytes).
absl::StatusOr<std::string> TarDirectory(
    const std::string& dir, const std::string& root_name,
    int64_t max_bytes = int64_t{1} << 30,
    const std::vector<std::string>& skip_dirs = {});

// Extracts into `out_dir` (created), stripping the first path component when
// every entry shares it (`strip_root`). INVALID_ARGUMENT for a malformed or
// hostile archive (bad checksum, absolute or ".." names, links, truncated
// data); RESOURCE_EXHAUSTED past `max_bytes` of file data or when the disk
// is full (ENOSPC, EDQUOT, EFBIG: the message says which); what was written
// before an error stays (callers extract into a staging directory). Returns
// the number of files written.
absl::StatusOr<int> ExtractTar(std::string_view archive,
                               const std::string& out_dir,
                               bool strip_root = true,
                               int64_t max_bytes = int64_t{1} << 30);

// Writes `data` to `path` (created or truncated, 0644) with every write and
// the close checked: RESOURCE_EXHAUSTED for ENOSPC / EDQUOT / EFBIG,
// PERMISSION_DENIED otherwise; the message has strerror's text.
absl::Status WriteWholeFile(const std::string& path, std::string_view data);

}  // namespace mcutune::server

#endif  // MCUTUNE_SERVER_COMMON_TAR_ARCHIVE_H_
