// ustar writer and reader (tar_archive.h).
// - Header: 512 bytes; numeric fields octal, NUL-terminated; checksum = sum
//   of the header bytes with the checksum field as spaces. Names up to 100
//   bytes go in `name`; longer ones are split at a '/' into prefix (155) +
//   name (100).
// - Data is padded to 512; the archive ends with two zero blocks.
// - Extraction never follows a symbolic link already present under the
//   output directory (a "lib -> /etc" there plus an entry "lib/passwd"
//   would otherwise write outside it): every path component is lstat'ed and
//   files are opened with O_NOFOLLOW.
#include "server/common/tar_archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mcutune::server {
namespace {

namespace fs = std::filesystem;
constexpr size_t kBlock = 512;

}  // namespace

absl::Status WriteWholeFile(const std::string& path, std::string_view data) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = fd < 0 ? errno : 0;
  for (size_t at = 0; err == 0 && at < data.size();) {
    const ssize_t n = ::write(fd, data.data() + at, data.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    at += static_cast<size_t>(n);
  }
  if (fd >= 0 && ::close(fd) != 0 && err == 0) err = errno;
  if (err == 0) return absl::OkStatus();
  const std::string what =
      absl::StrCat("cannot write ", path, ": ", std::strerror(err));
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) {
    return absl::ResourceExhaustedError(what);
  }
  return absl::PermissionDeniedError(what);
}

namespace {

void PutOctal(char* field, size_t width, uint64_t value) {
  // width-1 digits + NUL.
  std::string digits(width - 1, '0');
  for (size_t i = width - 1; i-- > 0 && value > 0;) {
    digits[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

bool GetOctal(const char* field, size_t width, uint64_t* out) {
  uint64_t v = 0;
  size_t i = 0;
  while (i < width && (field[i] == ' ' || field[i] == '\0')) ++i;
  bool any = false;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v > (uint64_t{1} << 60)) return false;
    v = v * 8 + static_cast<uint64_t>(field[i] - '0');
    any = true;
  }
  for (; i < width; ++i) {
    if (field[i] != ' ' && field[i] != '\0') return false;
  }
  *out = v;
  return any;
}

unsigned Checksum(const char* header) {
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(header[i]);
  }
  return sum;
}

absl::Status Header(const std::string& path, uint64_t size, char type,
                    std::string* out) {
  char h[kBlock] = {};
  std::string name = path, prefix;
  if (name.size() > 100) {
    size_t cut = name.rfind('/', 155);
    while (cut != std::string::npos && name.size() - cut - 1 > 100) {
      cut = cut == 0 ? std::string::npos : name.rfind('/', cut - 1);
    }
    if (cut == std::string::npos || cut > 155) {
      return absl::InvalidArgumentError(
          absl::StrCat("path too long for ustar: ", path));
    }
    prefix = name.substr(0, cut);
    name = name.substr(cut + 1);
  }
  std::memcpy(h, name.data(), name.size());
  PutOctal(h + 100, 8, type == '5' ? 0755 : 0644);
  PutOctal(h + 108, 8, 0);
  PutOctal(h + 116, 8, 0);
  PutOctal(h + 124, 12, size);
  PutOctal(h + 136, 12, 0);
  h[156] = type;
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  std::memcpy(h + 345, prefix.data(), prefix.size());
  PutOctal(h + 148, 7, Checksum(h));
  h[155] = ' ';
  out->append(h, kBlock);
  return absl::OkStatus();
}

bool SafeRelative(const std::string& name) {
  if (name.empty() || name[0] == '/' || name.find('\0') != std::string::npos)
    return false;
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part == "..") return false;
  }
  return true;
}

// INVALID_ARGUMENT when a component of out_dir/rel exists as a symlink.
absl::Status CheckNoSymlink(const fs::path& out_dir, const std::string& rel) {
  fs::path p = out_dir;
  for (const fs::path& part : fs::path(rel)) {
    p /= part;
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(p, ec))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tar: refusing to write '", rel, "' through the symbolic link ",
          p.string()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> TarDirectory(
    const std::string& dir, const std::string& root_name, int64_t max_bytes,
    const std::vector<std::string>& skip_dirs) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return absl::NotFoundError(absl::StrCat("no directory ", dir));
  std::vector<std::string> files, dirs;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::file_status st = it->symlink_status(ec);
    const std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    const std::string top = rel.substr(0, rel.find('/'));
    if (std::find(skip_dirs.begin(), skip_dirs.end(), top) != skip_dirs.end())
      continue;
    if (fs::is_regular_file(st)) files.push_back(rel);
    if (fs::is_directory(st)) dirs.push_back(rel);
  }
  if (ec)
    return absl::InternalError(
        absl::StrCat("cannot list ", dir, ": ", ec.message()));
  std::sort(files.begin(), files.end());
  std::sort(dirs.begin(), dirs.end());
  std::string out;
  if (absl::Status s = Header(root_name + "/", 0, '5', &out); !s.ok()) return s;
  for (const std::string& d : dirs) {
    if (absl::Status s =
            Header(absl::StrCat(root_name, "/", d, "/"), 0, '5', &out);
        !s.ok()) {
      return s;
    }
  }
  for (const std::string& f : files) {
    std::ifstream in(fs::path(dir) / f, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    if (!in && !in.eof())
      return absl::InternalError(absl::StrCat("cannot read ", f));
    if (static_cast<int64_t>(out.size() + data.size()) > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("bundle larger than ", max_bytes, " bytes"));
    }
    if (absl::Status s =
            Header(absl::StrCat(root_name, "/", f), data.size(), '0', &out);
        !s.ok()) {
      return s;
    }
    out += data;
    out.append((kBlock - data.size() % kBlock) % kBlock, '\0');
  }
  out.append(2 * kBlock, '\0');
  return out;
}

absl::StatusOr<int> ExtractTar(std::string_view archive,
                               const std::string& out_dir, bool strip_root,
                               int64_t max_bytes) {
  struct Entry {
    std::string name;
    char type;
    std::string_view data;
  };
  std::vector<Entry> entries;
  size_t pos = 0;
  int64_t total = 0;
  bool ended = false;
  while (pos + kBlock <= archive.size()) {
    const char* h = archive.data() + pos;
    if (std::all_of(h, h + kBlock, [](char c) { return c == '\0'; })) {
      ended = true;
      break;
    }
    uint64_t sum = 0, size = 0;
    if (!GetOctal(h + 148, 8, &sum) || sum != Checksum(h)) {
      return absl::InvalidArgumentError(
          absl::StrCat("tar: bad header checksum at ", pos));
    }
    if (!GetOctal(h + 124, 12, &size)) {
      return absl::InvalidArgumentError(absl::StrCat("tar: bad size at ", pos));
    }
    const std::string name(h, strnlen(h, 100));
    const std::string prefix(h + 345, strnlen(h + 345, 155));
    const char type = h[156] == '\0' ? '0' : h[156];
    pos += kBlock;
    if (size > archive.size() - pos)
      return absl::InvalidArgumentError("tar: truncated data");
    total += static_cast<int64_t>(size);
    if (total > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("tar: more than ", max_bytes, " bytes"));
    }
    std::string full = prefix.empty() ? name : absl::StrCat(prefix, "/", name);
    while (!full.empty() && full.back() == '/') full.pop_back();
    if (type != '0' && type != '5') {
      return absl::InvalidArgumentError(absl::StrCat(
          "tar: entry '", full, "' is not a regular file or directory"));
    }
    if (!SafeRelative(full)) {
      return absl::InvalidArgumentError(
          absl::StrCat("tar: unsafe path '", full, "'"));
    }
    entries.push_back({full, type, archive.substr(pos, size)});
    pos += (size + kBlock - 1) / kBlock * kBlock;
  }
  if (!ended)
    return absl::InvalidArgumentError("tar: missing end-of-archive blocks");
  std::string root;
  if (strip_root && !entries.empty()) {
    root = entries[0].name.substr(0, entries[0].name.find('/'));
    for (const Entry& e : entries) {
      if (e.name != root && e.name.rfind(root + "/", 0) != 0) {
        root.clear();
        break;
      }
    }
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec)
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", out_dir));
  int files = 0;
  for (const Entry& e : entries) {
    std::string rel = e.name;
    if (!root.empty()) rel = rel == root ? "" : rel.substr(root.size() + 1);
    if (rel.empty()) continue;
    const fs::path target = fs::path(out_dir) / rel;
    if (absl::Status s = CheckNoSymlink(out_dir, rel); !s.ok()) return s;
    if (e.type == '5') {
      fs::create_directories(target, ec);
      continue;
    }
    fs::create_directories(target.parent_path(), ec);
    if (absl::Status s = CheckNoSymlink(out_dir, rel); !s.ok()) return s;
    const int fd = ::open(target.c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                          0644);
    if (fd < 0) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot write ", target.string(), ": ", std::strerror(errno)));
    }
    size_t done = 0;
    int err = 0;
    while (done < e.data.size()) {
      const ssize_t n = ::write(fd, e.data.data() + done, e.data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        err = n < 0 ? errno : EIO;
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err != 0) {
      // A full disk is RESOURCE_EXHAUSTED and says so (ENOSPC, EFBIG).
      const std::string what = absl::StrCat("cannot write ", target.string(),
                                            ": ", std::strerror(err));
      if (err == ENOSPC || err == EDQUOT || err == EFBIG)
        return absl::ResourceExhaustedError(what);
      return absl::PermissionDeniedError(what);
    }
    ++files;
  }
  return files;
}

}  // namespace mcutune::server
