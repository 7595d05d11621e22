// Naming and finding trees. A tree's key hashes a format version, its normalized spec and the
// digest of its suite's InRelease; resolve_tree() asks the mirror for that digest (one small
// GET), so a second run against an unchanged archive lands on the same directory. Offline it
// looks through the records of the trees of the same kind for the newest one made for the same
// spec. Records' modification times are the trees' last use: resolving a tree touches its
// record, and list_trees() sorts by it for prune.
#include "debian/tree.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "debian/archive.h"
#include "debian/tree_record.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::debian {

namespace fs = std::filesystem;

namespace {

// Changes whenever what a tree holds for the same spec and archive does (the packages every
// sysroot gets, the finishing steps), so that trees of an older xbuild are not reused.
constexpr std::string_view kKeyFormat = "xbuild-debian-tree-1";

constexpr TreeSpec::Kind kKinds[] = {TreeSpec::Kind::sysroot, TreeSpec::Kind::rootfs};

bool valid_package_name(const std::string& name) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
  };
  return name.size() >= 2 && ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')) &&
         std::all_of(name.begin(), name.end(), allowed);
}

bool is_key(std::string_view name) {
  return name.size() == 64 &&
         std::all_of(name.begin(), name.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

fs::path kind_dir(const fs::path& cache_dir, TreeSpec::Kind kind) {
  return cache_dir / "debian" / std::string(kind_name(kind));
}

bool same_spec(const TreeSpec& a, const TreeSpec& b) {
  return a.kind == b.kind && a.suite == b.suite && a.architecture == b.architecture && a.mirror == b.mirror &&
         a.packages == b.packages;
}

void touch(const fs::path& file) {
  std::error_code error;
  fs::last_write_time(file, fs::file_time_type::clock::now(), error);
}

// The records of one kind whose trees are complete (the directory is there).
std::vector<TreeRecord> records_of(const fs::path& dir) {
  std::vector<TreeRecord> records;
  std::error_code error;
  for (fs::directory_iterator it(dir, error); !error && it != fs::directory_iterator(); it.increment(error)) {
    const fs::path& path = it->path();
    if (path.extension() != ".tree" || !is_key(path.stem().string())) continue;
    fs::path tree_dir = dir / path.stem();
    std::error_code status_error;
    if (!fs::is_directory(tree_dir, status_error)) continue;
    Result<std::string> text = read_file(path);
    if (!text) continue;
    Result<TreeRecord> record = parse_record(text.value());
    if (!record) continue;
    record.value().key = path.stem().string();
    record.value().dir = tree_dir;
    record.value().used = fs::last_write_time(path, status_error);
    records.push_back(std::move(record.value()));
  }
  return records;
}

// FileLock waits for its lock. Removing a tree must not wait for the run that uses it, so
// this asks flock with LOCK_NB instead; held until destroyed.
class LockIfFree {
 public:
  explicit LockIfFree(const fs::path& file) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      error_ = "cannot open the lock file " + file.string() + ": " + std::strerror(errno);
      return;
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
      held_ = true;
    } else if (errno != EWOULDBLOCK) {
      error_ = "cannot lock " + file.string() + ": " + std::strerror(errno);
    }
  }
  ~LockIfFree() {
    if (fd_ >= 0) ::close(fd_);
  }
  LockIfFree(const LockIfFree&) = delete;
  LockIfFree& operator=(const LockIfFree&) = delete;
  bool held() const { return held_; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  bool held_ = false;
  std::string error_;
};

}  // namespace

std::string_view kind_name(TreeSpec::Kind kind) { return kind == TreeSpec::Kind::sysroot ? "sysroot" : "rootfs"; }

std::string describe(const TreeSpec& spec) {
  return std::string(spec.kind == TreeSpec::Kind::sysroot ? "the sysroot of " : "the root filesystem of ") +
         spec.suite + "/" + spec.architecture;
}

Result<TreeSpec> normalize_spec(TreeSpec spec) {
  if (Status suite = check_suite_name(spec.suite); !suite) return fail(suite.error());
  if (spec.architecture.empty()) return fail("a Debian tree needs an architecture (arm64, armhf, riscv64, ...)");
  while (spec.mirror.size() > 1 && spec.mirror.back() == '/') spec.mirror.pop_back();
  if (!starts_with(spec.mirror, "http://") && !starts_with(spec.mirror, "https://"))
    return fail("the Debian mirror \"" + redact_credentials(spec.mirror) + "\" is not an http:// or https:// URL");
  for (const std::string& package : spec.packages)
    if (!valid_package_name(package))
      return fail("\"" + package + "\" is not a Debian package name: names are lowercase letters, digits and " +
                  "+ - . (zlib1g-dev, libssl-dev)");
  std::sort(spec.packages.begin(), spec.packages.end());
  spec.packages.erase(std::unique(spec.packages.begin(), spec.packages.end()), spec.packages.end());
  return spec;
}

std::string tree_key(const TreeSpec& spec, const std::string& release_digest) {
  std::string text = std::string(kKeyFormat) + "\n";
  text += "kind\t" + std::string(kind_name(spec.kind)) + "\nsuite\t" + spec.suite + "\narchitecture\t" +
          spec.architecture + "\nmirror\t" + spec.mirror + "\n";
  for (const std::string& package : spec.packages) text += "package\t" + package + "\n";
  text += "release\t" + release_digest + "\n";
  return sha256_digest(text).substr(std::string_view("sha256:").size());
}

Result<ResolvedTree> resolve_tree(const TreeSpec& spec, const fs::path& cache_dir,
                                  const registry::HttpGetOptions& http) {
  Result<TreeSpec> normalized = normalize_spec(spec);
  if (!normalized) return fail(normalized.error());
  ResolvedTree tree;
  tree.spec = std::move(normalized.value());
  bool unreachable = false;
  Result<std::string> release = release_digest(tree.spec.mirror, tree.spec.suite, http, &unreachable);
  if (!release) {
    if (!unreachable) return fail(release.error());
    std::vector<TreeRecord> records = records_of(kind_dir(cache_dir, tree.spec.kind));
    const TreeRecord* newest = nullptr;
    for (const TreeRecord& record : records)
      if (same_spec(record.spec, tree.spec) && (!newest || record.made_at > newest->made_at)) newest = &record;
    if (!newest)
      return fail(release.error() + "; and " + describe(tree.spec) +
                  " with these packages was never made on this machine: xbuild needs the mirror once to make it");
    std::int64_t age = static_cast<std::int64_t>(std::time(nullptr)) - newest->made_at;
    tree.key = newest->key;
    tree.dir = newest->dir;
    tree.release = newest->release;
    tree.warning = release.error() + "; using " + describe(tree.spec) + " made " +
                   format_age(std::chrono::seconds(std::max<std::int64_t>(0, age))) + " ago";
    touch(record_path(tree.dir));
    return tree;
  }
  tree.release = release.value();
  tree.key = tree_key(tree.spec, tree.release);
  tree.dir = kind_dir(cache_dir, tree.spec.kind) / tree.key;
  std::error_code error;
  if (fs::is_directory(tree.dir, error) && fs::exists(record_path(tree.dir), error)) touch(record_path(tree.dir));
  return tree;
}

std::vector<TreeRecord> list_trees(const fs::path& cache_dir) {
  std::vector<TreeRecord> trees;
  for (TreeSpec::Kind kind : kKinds) {
    std::vector<TreeRecord> records = records_of(kind_dir(cache_dir, kind));
    std::move(records.begin(), records.end(), std::back_inserter(trees));
  }
  std::stable_sort(trees.begin(), trees.end(),
                   [](const TreeRecord& a, const TreeRecord& b) { return a.used > b.used; });
  return trees;
}

Result<bool> remove_tree_if_unused(const TreeRecord& tree) {
  LockIfFree lock(use_lock_path(tree.dir));
  if (!lock.error().empty()) return fail(lock.error());
  if (!lock.held()) return false;
  // The directory goes to a temporary name first: a removal cut short leaves a temporary,
  // which the next maker of the key (or remove_unfinished_trees) removes, not half a tree.
  Result<fs::path> doomed = make_sibling_temp_dir(tree.dir);
  if (!doomed) return fail(doomed.error());
  std::error_code error;
  fs::rename(tree.dir, doomed.value(), error);
  if (error) {
    fs::remove(doomed.value(), error);
    return fail("cannot remove " + tree.dir.string() + ": " + error.message());
  }
  fs::remove(record_path(tree.dir), error);
  fs::remove_all(doomed.value(), error);
  if (error && fs::exists(doomed.value()))
    return fail("cannot remove " + doomed.value().string() + ": " + error.message());
  return true;
}

Status remove_unfinished_trees(const fs::path& cache_dir) {
  for (TreeSpec::Kind kind : kKinds) {
    fs::path dir = kind_dir(cache_dir, kind);
    std::vector<fs::path> entries;
    std::error_code error;
    for (fs::directory_iterator it(dir, error); !error && it != fs::directory_iterator(); it.increment(error))
      entries.push_back(it->path());
    for (const fs::path& entry : entries) {
      std::string name = entry.filename().string();
      std::string key;
      bool leftover = false;
      if (is_temp_name(name) && name.size() > 65 && is_key(std::string_view(name).substr(1, 64))) {
        key = name.substr(1, 64);
        leftover = true;  // a tree being made, or one whose maker died
      } else if (is_key(name)) {
        key = name;
        leftover = !fs::exists(record_path(entry), error);  // a directory whose record never came
      } else if (entry.extension() == ".tree" && is_key(entry.stem().string())) {
        key = entry.stem().string();
        leftover = !fs::is_directory(dir / key, error);  // a record whose directory never came
      }
      if (!leftover) continue;
      LockIfFree lock(make_lock_path(dir / key));
      if (!lock.held()) continue;  // its maker is at work
      fs::remove_all(entry, error);
      if (error) return fail("cannot remove " + entry.string() + ": " + error.message());
    }
  }
  return Ok{};
}

std::string format_age(std::chrono::seconds age) {
  auto count = [](std::int64_t n, const char* unit) { return std::to_string(n) + " " + unit + (n == 1 ? "" : "s"); };
  std::int64_t seconds = age.count();
  if (seconds < 60) return count(seconds, "second");
  if (seconds < 3600) return count(seconds / 60, "minute");
  if (seconds < 2 * 86400) return count(seconds / 3600, "hour");
  return count(seconds / 86400, "day");
}

}  // namespace xb::debian
