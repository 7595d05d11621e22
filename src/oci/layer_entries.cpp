#include "oci/layer_entries.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace xb::oci {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int error) { return std::strerror(error); }

// "/app/./bin/" -> "app/bin"; "/" -> "". Fails on ".." so nothing lands outside the root.
Result<std::string> normalize_destination(const std::string& destination) {
  std::string out;
  std::size_t start = 0;
  while (start <= destination.size()) {
    std::size_t end = destination.find('/', start);
    if (end == std::string::npos) end = destination.size();
    std::string part = destination.substr(start, end - start);
    if (part == "..") return fail("layer destination \"" + destination + "\" leaves the image root");
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    start = end + 1;
  }
  return out;
}

std::string origin(const Entry& entry) {
  return entry.made_up() ? std::string("a parent directory") : entry.disk_path.string();
}

Status add_parents(EntryMap& entries, const std::string& path, const Entry& child) {
  for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    auto found = entries.find(parent);
    if (found == entries.end()) {
      entries.emplace(parent, Entry{});
    } else if (found->second.kind != EntryKind::directory) {
      return fail("layer path \"" + parent + "\" from " + origin(found->second) + " is not a directory, but " +
                  origin(child) + " goes under it");
    }
  }
  return Ok{};
}

Status add_entry(EntryMap& entries, const std::string& path, Entry entry) {
  Status parents = add_parents(entries, path, entry);
  if (!parents) return parents;
  auto found = entries.find(path);
  if (found == entries.end()) {
    entries.emplace(path, std::move(entry));
    return Ok{};
  }
  Entry& existing = found->second;
  bool both_directories = existing.kind == EntryKind::directory && entry.kind == EntryKind::directory;
  if (both_directories) {
    if (existing.made_up()) existing = std::move(entry);
    return Ok{};
  }
  if (existing.made_up()) {
    return fail("layer path \"" + path + "\" from " + entry.disk_path.string() +
                " is not a directory, but other entries go under it");
  }
  return fail("layer path \"" + path + "\" comes from two sources: " + existing.disk_path.string() + " and " +
              entry.disk_path.string());
}

const char* special_kind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a file, directory or symlink";
}

// One filesystem object (not descending into directories) as an entry.
Result<Entry> entry_for(const fs::path& disk_path, const struct stat& info) {
  Entry entry;
  entry.disk_path = disk_path;
  entry.mode = static_cast<unsigned>(info.st_mode & 07777);
  if (S_ISDIR(info.st_mode)) {
    entry.kind = EntryKind::directory;
  } else if (S_ISREG(info.st_mode)) {
    entry.kind = EntryKind::file;
    entry.size = static_cast<std::int64_t>(info.st_size);
  } else if (S_ISLNK(info.st_mode)) {
    entry.kind = EntryKind::symlink;
    std::error_code ec;
    fs::path target = fs::read_symlink(disk_path, ec);
    if (ec) return fail("cannot read symlink " + disk_path.string() + ": " + ec.message());
    entry.link_target = target.string();
  } else {
    return fail("cannot put " + disk_path.string() + " into a layer: it is " + special_kind(info.st_mode) +
                " (layers hold only files, directories and symlinks)");
  }
  return entry;
}

std::string join_path(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "/" + name;
}

Status collect_tree(EntryMap& entries, const fs::path& directory, const std::string& layer_path) {
  std::error_code ec;
  std::vector<fs::path> children;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec))
    children.push_back(it->path());
  if (ec) return fail("cannot read directory " + directory.string() + ": " + ec.message());
  std::sort(children.begin(), children.end());
  for (const fs::path& child : children) {
    struct stat info {};
    if (::lstat(child.c_str(), &info) != 0) return fail("cannot read " + child.string() + ": " + errno_text(errno));
    Result<Entry> entry = entry_for(child, info);
    if (!entry) return fail(entry.error());
    std::string child_path = join_path(layer_path, child.filename().string());
    bool is_directory = entry.value().kind == EntryKind::directory;
    Status added = add_entry(entries, child_path, std::move(entry).value());
    if (!added) return added;
    if (is_directory) {
      Status walked = collect_tree(entries, child, child_path);
      if (!walked) return walked;
    }
  }
  return Ok{};
}

// A directory (or a symlink to one) puts its content under the destination; anything else goes
// to the destination itself, or into it under its own name when the destination ends in "/".
Status collect_source(EntryMap& entries, const LayerSource& source) {
  Result<std::string> destination = normalize_destination(source.destination);
  if (!destination) return fail(destination.error());
  struct stat info {};
  if (::stat(source.source.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    if (!destination.value().empty()) {
      Entry root;
      root.disk_path = source.source;
      root.mode = static_cast<unsigned>(info.st_mode & 07777);
      Status added = add_entry(entries, destination.value(), std::move(root));
      if (!added) return added;
    }
    return collect_tree(entries, source.source, destination.value());
  }
  if (::lstat(source.source.c_str(), &info) != 0) {
    if (errno == ENOENT) return fail("layer source " + source.source.string() + " does not exist");
    return fail("cannot read " + source.source.string() + ": " + errno_text(errno));
  }
  Result<Entry> entry = entry_for(source.source, info);
  if (!entry) return fail(entry.error());
  std::string path = destination.value();
  if (!source.destination.empty() && source.destination.back() == '/') {
    path = join_path(path, source.source.filename().string());
  }
  if (path.empty()) {
    return fail("layer source " + source.source.string() +
                " is not a directory, so its destination must name a file, not \"" + source.destination + "\"");
  }
  return add_entry(entries, path, std::move(entry).value());
}

}  // namespace

Result<EntryMap> collect_entries(const std::vector<LayerSource>& sources) {
  EntryMap entries;
  for (const LayerSource& source : sources)
    if (Status collected = collect_source(entries, source); !collected) return fail(collected.error());
  return entries;
}

}  // namespace xb::oci
