// The cache store. Storing an entry walks the output tree in sorted order; each regular file
// is hashed and, unless objects/<hex> already exists, copied to a temporary name in objects/
// and renamed into place. The entry itself is a text manifest, one line per item, fields
// separated by tabs, after the header and the entry's meta (header 3 on):
//   meta  platform <platform> / meta stage <stage> / meta seconds <seconds, %.3f>
//   gone  <path>                 (removed by the stage; these come first)
//   dir   <mode> <path>
//   file  <mode> <hex> <path>
//   link  <target> <path>
//   log   <stage> <hex>
// written atomically to entries/<key hex> once all its objects exist, so a reader that sees
// an entry finds every object it names (prune takes the exclusive lock before removing any).
// A stage's entry holds only what differs between the snapshots of its output directory taken
// before and after it ran; paths sort parents first, so restoring in manifest order creates a
// directory before what is in it.
// Restoring copies each object out (never a hard link: a build that edits its output in place
// must not edit the cache) and touches the entry, which is how prune knows what was used last.
#include "cache/store.h"

#include <sys/stat.h>

#include <fmt/format.h>
#include <algorithm>
#include <cinttypes>
#include <cstdlib>
#include <map>

#include "util/file_lock.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kEntryHeader = "xbuild-cache-entry-3";
constexpr std::string_view kEntryHeader2 = "xbuild-cache-entry-2";    // no meta lines
constexpr std::string_view kOldEntryHeader = "xbuild-cache-entry-1";  // whole targets, no "gone" lines

bool known_header(const std::string& line) {
  return line == kEntryHeader || line == kEntryHeader2 || line == kOldEntryHeader;
}

bool is_object_name(const std::string& hex) {
  return hex.size() == 64 &&
         std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string hex_of(const std::string& digest) { return digest.rfind("sha256:", 0) == 0 ? digest.substr(7) : digest; }

Result<FileLock> lock_cache(const fs::path& dir, FileLock::Mode mode) { return FileLock::acquire(dir / "lock", mode); }

// Copies `source` to a new file `target` through a temporary name, with permission bits `mode`.
// Not std::filesystem::copy_file: after a short sendfile (a full disk) libstdc++ falls back to a
// stream copy and reports EIO; here the failed write's own errno, ENOSPC, reaches the message,
// with the path written.
Status copy_through_temp(const fs::path& source, const fs::path& target, mode_t mode) {
  std::error_code error;
  std::uintmax_t size = fs::file_size(source, error);
  if (error) return fail("cannot read " + source.string() + ": " + error.message());
  Result<TempFile> temp = TempFile::create(target, mode);
  if (!temp) return fail(temp.error());
  Status copied = read_file_into(
      source, static_cast<std::int64_t>(size),
      [&](const char* data, std::size_t length) { return temp.value().write(std::string_view(data, length)); },
      "copied");
  if (!copied) return copied;
  return temp.value().commit(target);
}

// Copies `source` to objects/<hex> (with the source's mode) unless it is there already.
Status store_object(const fs::path& objects, const fs::path& source, const std::string& hex) {
  fs::path object = objects / hex;
  if (fs::exists(object)) return Ok{};
  std::error_code error;
  auto mode = static_cast<mode_t>(fs::status(source, error).permissions() & fs::perms::mask);
  if (Status copied = copy_through_temp(source, object, error ? 0644 : mode); !copied)
    return fail("cannot store " + source.string() + " in the cache " + objects.parent_path().string() + ": " +
                copied.error());
  return Ok{};
}

bool valid_field(const std::string& text) {
  return text.find('\t') == std::string::npos && text.find('\n') == std::string::npos;
}

std::uint64_t tree_size(const fs::path& dir, std::size_t* count) {
  std::uint64_t bytes = 0;
  std::error_code error;
  for (fs::directory_iterator it(dir, error); !error && it != fs::directory_iterator(); it.increment(error)) {
    if (is_temp_name(it->path().filename().string())) continue;
    std::error_code size_error;
    std::uintmax_t size = it->file_size(size_error);
    if (size_error) continue;
    bytes += size;
    if (count) ++*count;
  }
  return bytes;
}

OutputSnapshot::Item snapshot_item(const struct stat& info) {
  OutputSnapshot::Item item;
  item.mode = info.st_mode;
  item.size = static_cast<std::uint64_t>(info.st_size);
  item.inode = static_cast<std::uint64_t>(info.st_ino);
  item.mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  item.ctime_ns = static_cast<std::int64_t>(info.st_ctim.tv_sec) * 1000000000 + info.st_ctim.tv_nsec;
  return item;
}

}  // namespace

Result<OutputSnapshot> snapshot_output(const fs::path& output_dir) {
  OutputSnapshot snapshot;
  std::error_code error;
  for (fs::recursive_directory_iterator it(output_dir, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) != 0) continue;  // removed while we walked
    OutputSnapshot::Item item = snapshot_item(info);
    if (S_ISLNK(info.st_mode)) item.link_target = fs::read_symlink(it->path(), error).string();
    snapshot.items[it->path().lexically_relative(output_dir).generic_string()] = std::move(item);
  }
  if (error) return fail("cannot read " + output_dir.string() + ": " + error.message());
  return snapshot;
}

std::string output_stamp(std::string_view keys, const fs::path& output_dir, const std::vector<fs::path>& files) {
  Result<OutputSnapshot> snapshot = snapshot_output(output_dir);
  if (!snapshot) return "";
  Sha256 hash;
  hash.update(fmt::format("xbuild-output-stamp-1\n{}\n{}\n", keys.size(), keys));
  auto add = [&](const std::string& name, const OutputSnapshot::Item& item) {
    hash.update(fmt::format("{}\t{:o}\t{}\t{}\t{}\t{}\t{}\t{}\n", name.size(), item.mode, item.size, item.inode,
                            item.mtime_ns, item.ctime_ns, item.link_target.size(), item.link_target));
    hash.update(name);
  };
  for (const auto& [relative, item] : snapshot.value().items) add(relative, item);
  for (const fs::path& file : files) {
    struct stat info {};
    if (::lstat(file.c_str(), &info) != 0) return "";  // a log that is gone is restored again
    add("\n" + file.string(), snapshot_item(info));    // a leading newline: no output path can collide with it
  }
  return hash.digest();
}

fs::path default_cache_dir() {
  if (const char* dir = std::getenv("XBUILD_CACHE_DIR"); dir && *dir) return fs::absolute(dir);
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir && *dir) return fs::path(dir) / "xbuild";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "xbuild";
  return fs::temp_directory_path() / "xbuild-cache";
}

fs::path CacheStore::entry_path(const std::string& key) const { return dir_ / "entries" / hex_of(key); }

bool CacheStore::contains(const std::string& key) const { return fs::exists(entry_path(key)); }

Status CacheStore::store(const std::string& key, const fs::path& output_dir, const std::vector<CachedLog>& logs,
                         const OutputSnapshot* since, const EntryMeta& meta) {
  std::error_code error;
  fs::create_directories(dir_ / "objects", error);
  fs::create_directories(dir_ / "entries", error);
  if (error) return fail("cannot create the cache directory " + dir_.string() + ": " + error.message());
  Result<FileLock> lock = lock_cache(dir_, FileLock::Mode::shared);
  if (!lock) return fail(lock.error());
  Result<OutputSnapshot> now = snapshot_output(output_dir);
  if (!now) return fail(now.error());

  if (!valid_field(meta.platform) || !valid_field(meta.stage))
    return fail("cannot cache the stage \"" + meta.stage + "\" of " + meta.platform + ": a tab or newline in its name");
  std::string manifest = fmt::format("{}\nmeta\tplatform\t{}\nmeta\tstage\t{}\nmeta\tseconds\t{:.3f}\n", kEntryHeader,
                                     meta.platform, meta.stage, meta.seconds);
  if (since) {
    for (const auto& [relative, item] : since->items) {
      if (now.value().items.count(relative)) continue;
      if (!valid_field(relative))
        return fail("cannot cache the removal of " + relative + ": its name holds a tab or newline");
      manifest += fmt::format("gone\t{}\n", relative);
    }
  }
  for (const auto& [relative, info] : now.value().items) {
    if (since) {
      auto before = since->items.find(relative);
      if (before != since->items.end() && before->second == info) continue;
    }
    fs::path item = output_dir / relative;
    if (!valid_field(relative)) return fail("cannot cache " + item.string() + ": its name holds a tab or newline");
    unsigned mode = info.mode & 07777;
    if (S_ISDIR(info.mode)) {
      manifest += fmt::format("dir\t{:o}\t{}\n", mode, relative);
    } else if (S_ISLNK(info.mode)) {
      if (!valid_field(info.link_target))
        return fail("cannot cache " + item.string() + ": its target holds a tab or newline");
      manifest += fmt::format("link\t{}\t{}\n", info.link_target, relative);
    } else if (S_ISREG(info.mode)) {
      Result<std::string> digest = sha256_file(item);
      if (!digest) return fail(digest.error());
      std::string hex = hex_of(digest.value());
      if (Status stored = store_object(dir_ / "objects", item, hex); !stored) return stored;
      manifest += fmt::format("file\t{:o}\t{}\t{}\n", mode, hex, relative);
    } else {
      return fail("cannot cache " + item.string() + ": not a file, directory or symlink");
    }
  }
  for (const CachedLog& log : logs) {
    if (!fs::exists(log.file)) continue;
    Result<std::string> digest = sha256_file(log.file);
    if (!digest) return fail(digest.error());
    std::string hex = hex_of(digest.value());
    if (Status stored = store_object(dir_ / "objects", log.file, hex); !stored) return stored;
    manifest += fmt::format("log\t{}\t{}\n", log.stage, hex);
  }
  return write_file_atomic(entry_path(key), manifest);
}

Status CacheStore::restore(const std::string& key, const fs::path& output_dir, const std::vector<CachedLog>& logs) {
  Result<FileLock> lock = lock_cache(dir_, FileLock::Mode::shared);
  if (!lock) return fail(lock.error());
  fs::path entry = entry_path(key);
  Result<std::string> manifest = read_file(entry);
  if (!manifest) return fail(manifest.error());
  std::vector<std::string> lines = split(manifest.value(), '\n');
  if (lines.empty() || !known_header(lines[0])) return fail("the cache entry " + entry.string() + " is damaged");
  std::error_code error;
  // What a stage replaced (a file by a directory, a link by a file) goes first. An entry names
  // only the directories its stage changed; the others come from the stages before it, or are
  // made here when those did not record them.
  auto make_room = [&](const fs::path& path, fs::file_type keep) {
    fs::file_type type = fs::symlink_status(path, error).type();
    error.clear();
    if (type != fs::file_type::not_found && type != keep) fs::remove_all(path, error);
    if (!error) fs::create_directories(path.parent_path(), error);
  };
  auto copy_object = [&](const std::string& hex, const fs::path& destination) -> Status {
    if (Status copied = copy_through_temp(dir_ / "objects" / hex, destination, 0644); !copied)
      return fail("cannot restore " + destination.string() + " from the cache " + dir_.string() + ": " +
                  copied.error());
    return Ok{};
  };
  for (std::size_t index = 1; index < lines.size(); ++index) {
    if (lines[index].empty()) continue;
    std::vector<std::string> fields = split(lines[index], '\t');
    const std::string& kind = fields[0];
    if (kind == "meta" && fields.size() == 3) {
      continue;
    } else if (kind == "gone" && fields.size() == 2) {
      fs::remove_all(output_dir / fields[1], error);
    } else if (kind == "dir" && fields.size() == 3) {
      fs::path path = output_dir / fields[2];
      make_room(path, fs::file_type::directory);
      fs::create_directories(path, error);
      fs::permissions(path, static_cast<fs::perms>(std::strtoul(fields[1].c_str(), nullptr, 8)), error);
    } else if (kind == "file" && fields.size() == 4) {
      fs::path path = output_dir / fields[3];
      make_room(path, fs::file_type::none);  // a file is replaced, not written through
      if (Status copied = copy_object(fields[2], path); !copied) return copied;
      fs::permissions(path, static_cast<fs::perms>(std::strtoul(fields[1].c_str(), nullptr, 8)), error);
    } else if (kind == "link" && fields.size() == 3) {
      make_room(output_dir / fields[2], fs::file_type::none);
      fs::create_symlink(fields[1], output_dir / fields[2], error);
    } else if (kind == "log" && fields.size() == 3) {
      for (const CachedLog& log : logs) {
        if (log.stage != fields[1]) continue;
        fs::create_directories(log.file.parent_path(), error);
        if (Status copied = copy_object(fields[2], log.file); !copied) return copied;
      }
    } else {
      return fail("the cache entry " + entry.string() + " is damaged (line " + std::to_string(index + 1) + ")");
    }
    if (error) return fail("cannot restore into " + output_dir.string() + ": " + error.message());
  }
  fs::last_write_time(entry, fs::file_time_type::clock::now(), error);
  return Ok{};
}

void CacheStore::touch(const std::string& key) {
  std::error_code error;
  fs::last_write_time(entry_path(key), fs::file_time_type::clock::now(), error);
}

Result<CacheInfo> CacheStore::info() const {
  CacheInfo info;
  info.bytes = tree_size(dir_ / "objects", &info.objects) + tree_size(dir_ / "entries", &info.entries);
  return info;
}

Result<EntryListing> parse_entry_text(const std::string& key, const std::string& text) {
  std::vector<std::string> lines = split(text, '\n');
  if (lines.empty() || !known_header(lines[0]))
    return fail("the cache entry " + key + " does not start with a known header (" + std::string(kEntryHeader) + ")");
  EntryListing listing;
  listing.key = key;
  auto add_object = [&listing](const std::string& hex) {
    if (std::find(listing.objects.begin(), listing.objects.end(), hex) == listing.objects.end())
      listing.objects.push_back(hex);
  };
  for (std::size_t index = 1; index < lines.size(); ++index) {
    if (lines[index].empty()) continue;
    std::vector<std::string> fields = split(lines[index], '\t');
    const std::string& kind = fields[0];
    std::string object = kind == "file" && fields.size() == 4  ? fields[2]
                         : kind == "log" && fields.size() == 3 ? fields[2]
                                                               : "";
    bool ok = true;
    if (kind == "meta" && fields.size() == 3) {
      if (fields[1] == "platform") {
        listing.meta.platform = fields[2];
      } else if (fields[1] == "stage") {
        listing.meta.stage = fields[2];
      } else if (fields[1] == "seconds") {
        char* end = nullptr;
        listing.meta.seconds = std::strtod(fields[2].c_str(), &end);
        ok = !fields[2].empty() && end && *end == '\0' && listing.meta.seconds >= 0;
      }  // other meta fields are for later versions
    } else if (!object.empty()) {
      ok = is_object_name(object);
      if (ok) add_object(object);
    } else {
      ok = (kind == "gone" && fields.size() == 2) || (kind == "dir" && fields.size() == 3) ||
           (kind == "link" && fields.size() == 3);
    }
    if (!ok) return fail("the cache entry " + key + " is damaged (line " + std::to_string(index + 1) + ")");
  }
  return listing;
}

fs::path CacheStore::object_path(const std::string& hex) const { return dir_ / "objects" / hex; }

Result<std::string> CacheStore::entry_text(const std::string& key) const { return read_file(entry_path(key)); }

std::optional<EntryListing> CacheStore::entry(const std::string& key) const {
  std::error_code error;
  fs::path path = entry_path(key);
  fs::file_time_type used = fs::last_write_time(path, error);
  if (error) return std::nullopt;
  Result<std::string> text = read_file(path);
  if (!text) return std::nullopt;
  Result<EntryListing> listing = parse_entry_text(key, text.value());
  if (!listing) return std::nullopt;
  listing.value().used = used;
  listing.value().bytes = text.value().size();
  for (const std::string& hex : listing.value().objects) {
    std::uintmax_t size = fs::file_size(object_path(hex), error);
    if (!error) listing.value().bytes += size;
  }
  return std::move(listing).value();
}

std::vector<EntryListing> CacheStore::entries() const {
  std::vector<std::string> keys;
  std::error_code error;
  for (fs::directory_iterator it(dir_ / "entries", error); !error && it != fs::directory_iterator();
       it.increment(error)) {
    std::string name = it->path().filename().string();
    if (is_object_name(name)) keys.push_back("sha256:" + name);
  }
  std::sort(keys.begin(), keys.end());
  std::vector<EntryListing> listings;
  for (const std::string& key : keys)
    if (std::optional<EntryListing> listing = entry(key)) listings.push_back(std::move(*listing));
  return listings;
}

Status CacheStore::import_entry(const std::string& key, const std::string& entry_text) {
  Result<EntryListing> listing = parse_entry_text(key, entry_text);
  if (!listing) return fail(listing.error());
  if (!is_object_name(hex_of(key))) return fail("cannot import the cache entry \"" + key + "\": not a sha256 key");
  std::error_code error;
  fs::create_directories(dir_ / "entries", error);
  if (error) return fail("cannot create the cache directory " + dir_.string() + ": " + error.message());
  Result<FileLock> lock = lock_cache(dir_, FileLock::Mode::shared);
  if (!lock) return fail(lock.error());
  for (const std::string& hex : listing.value().objects)
    if (!fs::is_regular_file(object_path(hex), error))
      return fail("cannot import the cache entry " + key + ": its object " + hex + " is not in " +
                  (dir_ / "objects").string());
  return write_file_atomic(entry_path(key), entry_text);
}

Result<CacheInfo> CacheStore::prune(std::uint64_t max_bytes, const std::vector<OtherItem>& others) {
  Result<FileLock> lock = lock_cache(dir_, FileLock::Mode::exclusive);
  if (!lock) return fail(lock.error());
  struct Candidate {
    fs::file_time_type used;
    fs::path entry;           // an entry's file, or empty for one of `others`
    std::uint64_t bytes = 0;  // an entry's own file: its objects are added below
    const OtherItem* other = nullptr;
  };
  std::error_code error;
  std::vector<Candidate> candidates;
  for (fs::directory_iterator it(dir_ / "entries", error); !error && it != fs::directory_iterator();
       it.increment(error))
    if (it->path().filename().string().rfind('.', 0) != 0)
      candidates.push_back({it->last_write_time(), it->path(), it->file_size()});
  for (const OtherItem& other : others) candidates.push_back({other.used, {}, other.bytes, &other});
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.used > b.used; });  // newest first

  // Keep the newest while they fit, counting each object once.
  std::map<std::string, std::uint64_t> kept_objects;
  std::uint64_t total = 0;
  bool full = false;
  for (const Candidate& candidate : candidates) {
    if (candidate.other) {
      if (full || total + candidate.bytes > max_bytes) {
        full = true;
        Result<bool> removed = candidate.other->remove();
        if (!removed) return fail(removed.error());
        if (removed.value()) continue;
      }
      total += candidate.bytes;
      continue;
    }
    Result<std::string> manifest = read_file(candidate.entry);
    std::map<std::string, std::uint64_t> added;
    std::uint64_t bytes = candidate.bytes;
    if (manifest) {
      for (const std::string& line : split(manifest.value(), '\n')) {
        std::vector<std::string> fields = split(line, '\t');
        std::string hex = fields[0] == "file" && fields.size() == 4  ? fields[2]
                          : fields[0] == "log" && fields.size() == 3 ? fields[2]
                                                                     : "";
        if (hex.empty() || kept_objects.count(hex) || added.count(hex)) continue;
        std::error_code size_error;
        std::uintmax_t size = fs::file_size(dir_ / "objects" / hex, size_error);
        added[hex] = size_error ? 0 : size;
        bytes += added[hex];
      }
    }
    if (!manifest || full || total + bytes > max_bytes) {
      full = true;
      fs::remove(candidate.entry, error);
      continue;
    }
    total += bytes;
    kept_objects.insert(added.begin(), added.end());
  }
  for (fs::directory_iterator it(dir_ / "objects", error); !error && it != fs::directory_iterator();
       it.increment(error))
    if (!kept_objects.count(it->path().filename().string())) fs::remove(it->path());
  return info();
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double number = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || number < 0) return std::nullopt;
  std::string unit(end);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (unit.size() == 2 && (unit[1] == 'i' || unit[1] == 'I')) unit.pop_back();
  double scale = 1;
  if (unit.empty())
    scale = 1;
  else if (unit == "K" || unit == "k")
    scale = 1024.0;
  else if (unit == "M" || unit == "m")
    scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "g")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "t")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else
    return std::nullopt;
  return static_cast<std::uint64_t>(number * scale);
}

std::string format_size(std::uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace xb
