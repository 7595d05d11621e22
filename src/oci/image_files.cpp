// How a path is resolved. The walk takes the path's components one at a time, keeping the
// directories resolved so far; each component is looked up in the layers, top first: the first
// layer with an entry for that path gives it, and a layer without one may hide everything
// below it (a whiteout of the path or of a directory above it, an opaque marker in a directory
// above it, or a non-directory where a directory above it would be). A symlink puts its
// target's components in front of the ones left (after going back to the root when it is
// absolute), as the kernel does, at most 40 times a walk.
//
// The top layer is the one oci/layer.cpp writes from the sources, looked up without listing
// it: a directory source holds the disk entries under its destination, any other source sits
// at its destination, and every directory above a destination exists. A base layer is listed
// once, from its tar headers alone (libarchive skips the file contents): its entries with their
// parents, its whiteouts and its opaque directories.
#include "oci/image_files.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <deque>
#include <unordered_map>
#include <unordered_set>

namespace xb::oci {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's MAXSYMLINKS
constexpr const char* kWhiteoutPrefix = ".wh.";
constexpr const char* kOpaqueMarker = ".wh..wh..opq";

struct LayerEntry {
  ImageFileKind kind = ImageFileKind::directory;
  std::string link_target;
  fs::path disk_path;
};

// The components of a path, without empty ones and ".": "/app/./bin/" -> {"app", "bin"}.
std::deque<std::string> components(const std::string& path) {
  std::deque<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = end + 1;
  }
  return parts;
}

// A layer path ("app/bin", "" for the root) from a tar name or a destination; ".." goes up.
std::string layer_path(const std::string& name) {
  std::string path;
  for (const std::string& part : components(name)) {
    if (part == "..") {
      std::size_t slash = path.rfind('/');
      path.erase(slash == std::string::npos ? 0 : slash);
      continue;
    }
    if (!path.empty()) path += '/';
    path += part;
  }
  return path;
}

std::string join(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "/" + name;
}

// `path` lies strictly inside the directory `dir` ("" is the root).
bool is_under(const std::string& path, const std::string& dir) {
  if (dir.empty()) return !path.empty();
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

// The directories above `path`, the root ("") first.
std::vector<std::string> ancestors(const std::string& path) {
  std::vector<std::string> above = {""};
  for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    above.push_back(path.substr(0, slash));
  return above;
}

std::optional<LayerEntry> disk_entry(const fs::path& disk_path) {
  struct stat info {};
  if (::lstat(disk_path.c_str(), &info) != 0) return std::nullopt;
  LayerEntry entry;
  entry.disk_path = disk_path;
  if (S_ISDIR(info.st_mode)) {
    entry.kind = ImageFileKind::directory;
  } else if (S_ISREG(info.st_mode)) {
    entry.kind = ImageFileKind::file;
  } else if (S_ISLNK(info.st_mode)) {
    entry.kind = ImageFileKind::symlink;
    std::error_code ec;
    entry.link_target = fs::read_symlink(disk_path, ec).string();
    if (ec) return std::nullopt;
  } else {
    entry.kind = ImageFileKind::other;
  }
  return entry;
}

// The top layer's entry at `path`, as collect_entries (layer_entries.cpp) would make it.
std::optional<LayerEntry> top_entry(const std::vector<LayerSource>& sources, const std::string& path) {
  if (path.empty()) return LayerEntry{};
  bool above_a_source = false;
  for (const LayerSource& source : sources) {
    std::string at = layer_path(source.destination);
    struct stat info {};
    bool is_directory = ::stat(source.source.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
    if (is_directory) {
      if (path == at) return LayerEntry{ImageFileKind::directory, "", source.source};
      if (is_under(path, at))
        if (std::optional<LayerEntry> entry = disk_entry(source.source / path.substr(at.empty() ? 0 : at.size() + 1)))
          return entry;
    } else {
      if (!source.destination.empty() && source.destination.back() == '/')
        at = join(at, source.source.filename().string());
      if (path == at)
        if (std::optional<LayerEntry> entry = disk_entry(source.source)) return entry;
    }
    if (is_under(at, path)) above_a_source = true;
  }
  if (above_a_source) return LayerEntry{};
  return std::nullopt;
}

struct TarLayer {
  std::unordered_map<std::string, LayerEntry> entries;  // with every parent directory
  std::unordered_set<std::string> whiteouts;            // paths hidden in the layers below
  std::unordered_set<std::string> opaque;               // directories whose lower content is hidden

  void add_parents(const std::string& path) {
    for (const std::string& parent : ancestors(path))
      if (!parent.empty()) entries.try_emplace(parent);
  }

  // Nothing at `path` in the layers below this one shows through.
  bool hides_below(const std::string& path) const {
    if (whiteouts.count(path)) return true;
    for (const std::string& parent : ancestors(path)) {
      if (whiteouts.count(parent) || opaque.count(parent)) return true;
      auto found = entries.find(parent);
      if (found != entries.end() && found->second.kind != ImageFileKind::directory) return true;
    }
    return false;
  }
};

struct ArchiveReader {
  archive* handle = archive_read_new();
  ~ArchiveReader() { archive_read_free(handle); }
};

Result<TarLayer> list_layer(const fs::path& blob) {
  ArchiveReader reader;
  archive_read_support_filter_all(reader.handle);
  archive_read_support_format_tar(reader.handle);
  archive_read_support_format_gnutar(reader.handle);
  if (archive_read_open_filename(reader.handle, blob.c_str(), 1 << 16) != ARCHIVE_OK)
    return fail("cannot read the base layer " + blob.string() + ": " + archive_error_string(reader.handle));
  TarLayer layer;
  archive_entry* header = nullptr;
  int rc;
  while ((rc = archive_read_next_header(reader.handle, &header)) == ARCHIVE_OK) {
    const char* raw = archive_entry_pathname(header);
    std::string path = layer_path(raw ? raw : "");
    if (path.empty()) continue;
    std::size_t slash = path.rfind('/');
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    std::string directory = slash == std::string::npos ? "" : path.substr(0, slash);
    if (name == kOpaqueMarker) {
      layer.opaque.insert(directory);
      layer.add_parents(path);
      continue;
    }
    if (name.rfind(kWhiteoutPrefix, 0) == 0) {
      // As rootfs extraction refuses them: a whiteout must name an entry of its directory.
      std::string hidden = name.substr(std::string(kWhiteoutPrefix).size());
      if (hidden.empty() || hidden == "." || hidden == "..")
        return fail("the base layer " + blob.string() + ": entry \"" + std::string(raw ? raw : "") +
                    "\" is a whiteout of \"" + hidden + "\", which is not the name of an entry in its directory");
      layer.whiteouts.insert(join(directory, hidden));
      layer.add_parents(path);
      continue;
    }
    LayerEntry entry;
    if (archive_entry_hardlink(header)) {
      entry.kind = ImageFileKind::file;
    } else {
      switch (archive_entry_filetype(header)) {
        case AE_IFDIR:
          entry.kind = ImageFileKind::directory;
          break;
        case AE_IFREG:
          entry.kind = ImageFileKind::file;
          break;
        case AE_IFLNK:
          entry.kind = ImageFileKind::symlink;
          entry.link_target = archive_entry_symlink(header) ? archive_entry_symlink(header) : "";
          break;
        default:
          entry.kind = ImageFileKind::other;
          break;
      }
    }
    layer.add_parents(path);
    layer.entries.insert_or_assign(path, std::move(entry));
  }
  if (rc != ARCHIVE_EOF)
    return fail("cannot read the base layer " + blob.string() + ": " + archive_error_string(reader.handle));
  return layer;
}

// The entry the image shows at `path` (whose parent is a directory of the image): the top
// layer's, else the first base layer's (top first) that has one before one hides it.
std::optional<LayerEntry> lookup(const std::vector<LayerSource>& sources, const std::vector<TarLayer>* base,
                                 const std::string& path) {
  if (std::optional<LayerEntry> entry = top_entry(sources, path)) return entry;
  if (!base) return std::nullopt;
  for (const TarLayer& layer : *base) {
    auto found = layer.entries.find(path);
    if (found != layer.entries.end()) return found->second;
    if (layer.hides_below(path)) return std::nullopt;
  }
  return std::nullopt;
}

std::optional<ImageFile> walk(const std::vector<LayerSource>& sources, const std::vector<TarLayer>* base,
                              const std::string& path) {
  std::deque<std::string> pending = components(path);
  std::vector<std::string> resolved;
  LayerEntry last;  // the root, for a path without components
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == "..") {
      if (!resolved.empty()) resolved.pop_back();
      last = LayerEntry{};
      continue;
    }
    std::string here;
    for (const std::string& component : resolved) here = join(here, component);
    here = join(here, part);
    std::optional<LayerEntry> entry = lookup(sources, base, here);
    if (!entry) return std::nullopt;
    if (entry->kind == ImageFileKind::symlink) {
      if (++links > kMaxSymlinks) return std::nullopt;
      std::deque<std::string> target = components(entry->link_target);
      pending.insert(pending.begin(), target.begin(), target.end());
      if (!entry->link_target.empty() && entry->link_target.front() == '/') resolved.clear();
      continue;
    }
    if (!pending.empty() && entry->kind != ImageFileKind::directory) return std::nullopt;
    resolved.push_back(part);
    last = std::move(*entry);
  }
  ImageFile file;
  for (const std::string& component : resolved) file.path += "/" + component;
  if (file.path.empty()) file.path = "/";
  file.kind = last.kind;
  file.disk_path = last.disk_path;
  return file;
}

}  // namespace

struct ImageFiles::BaseListing {
  std::vector<TarLayer> layers;  // top first
};

ImageFiles::ImageFiles(std::vector<LayerSource> sources, std::vector<fs::path> base_layers)
    : sources_(std::move(sources)), base_layers_(std::move(base_layers)) {
  std::erase_if(base_layers_, [](const fs::path& layer) { return layer.empty(); });
}

ImageFiles::~ImageFiles() = default;

std::optional<ImageFile> ImageFiles::resolve_in_top_layer(const std::string& path) const {
  return walk(sources_, nullptr, path);
}

Result<std::optional<ImageFile>> ImageFiles::resolve(const std::string& path) {
  // The top layer wins wherever it has an entry, so a walk it completes alone is the image's.
  if (std::optional<ImageFile> file = walk(sources_, nullptr, path)) return file;
  if (base_layers_.empty()) return std::optional<ImageFile>();
  if (!listing_) {
    auto listing = std::make_unique<BaseListing>();
    for (auto layer = base_layers_.rbegin(); layer != base_layers_.rend(); ++layer) {
      Result<TarLayer> listed = list_layer(*layer);
      if (!listed) return fail(listed.error());
      listing->layers.push_back(std::move(listed).value());
    }
    listing_ = std::move(listing);
  }
  return walk(sources_, &listing_->layers, path);
}

}  // namespace xb::oci
