// Secure layer extraction.
//
// libarchive writes the entries with ARCHIVE_EXTRACT_SECURE_NODOTDOT, SECURE_SYMLINKS and
// SECURE_NOABSOLUTEPATHS, relative to the staging directory (the process changes into it for
// the extraction and back afterwards). Before libarchive sees an entry we check it ourselves,
// so the error names the layer and the entry: no absolute path, no ".." component, no parent
// that is a symlink on disk (lstat of every prefix: a layer that plants "lib -> /usr/lib" and
// then writes "lib/x" would write outside the tree), hard link targets under the same rules,
// no character or block devices. Whiteouts are applied, not extracted: ".wh.NAME" removes NAME
// from the layers below, ".wh..wh..opq" empties its directory; NAME must be an entry's name
// (not empty, "." or ".."), and what a removal touches is resolved by the same checks as a
// write, then once more through the real path of its directory. Everything happens in a
// sibling staging directory that becomes the target with one rename.
//
// libarchive reads each layer through our own callback, which hashes and counts the bytes as
// they go by (and stops at once past the declared size); when the archive ends, the rest of the
// file (tar's end padding) is read through the hash too, and the digest and size are held
// against the manifest's before the next layer, so a swapped or mis-sized blob never gets renamed
// into place.
#include "emulate/rootfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "oci/layout_reader.h"
#include "util/fs.h"
#include "util/private_dir.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

constexpr int kExtractFlags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                              ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                              ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;

std::string dq(const std::string& text) { return "\"" + text + "\""; }

// libarchive's message, which it may not have (a read callback's failure).
std::string error_of(archive* handle) {
  const char* message = archive_error_string(handle);
  return message ? message : "unknown error";
}

// "./a/b/" -> "a/b"; "" for the root itself.
std::string clean(std::string name) {
  while (starts_with(name, "./")) name = name.substr(2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name == "." ? "" : name;
}

// Why a path inside the tree is unsafe, or "" when it is fine.
std::string unsafe_path(const std::string& name, const fs::path& root) {
  if (!name.empty() && name[0] == '/') return "has an absolute path";
  std::vector<std::string> parts = split(name, '/');
  for (const std::string& part : parts)
    if (part == "..") return "climbs out of the root filesystem with \"..\"";
  fs::path prefix = root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].empty() || parts[i] == ".") continue;
    prefix /= parts[i];
    struct stat info;
    if (lstat(prefix.c_str(), &info) == 0 && S_ISLNK(info.st_mode))
      return "would be written through the symlink " + dq(prefix.lexically_relative(root).string()) + " (-> " +
             dq(fs::read_symlink(prefix).string()) + ")";
  }
  return "";
}

struct ArchiveReader {
  archive* handle = archive_read_new();
  ~ArchiveReader() { archive_read_free(handle); }
};
struct ArchiveWriter {
  archive* handle = archive_write_disk_new();
  ~ArchiveWriter() { archive_write_free(handle); }
};

// Changes into a directory for the lifetime of the object.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const fs::path& dir) : saved_(open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    ok_ = saved_ >= 0 && chdir(dir.c_str()) == 0;
  }
  ~WorkingDirectory() {
    if (saved_ >= 0) {
      [[maybe_unused]] int rc = fchdir(saved_);
      close(saved_);
    }
  }
  bool ok() const { return ok_; }

 private:
  int saved_;
  bool ok_ = false;
};

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";

// True when `dir`, a directory of the tree whose every component passed unsafe_path(), really
// is inside `root` (a last check before anything under it is removed).
bool resolves_inside(const fs::path& dir, const fs::path& root) {
  std::error_code ec;
  fs::path real_root = fs::canonical(root, ec);
  if (ec) return false;
  fs::path real_dir = fs::weakly_canonical(dir, ec);
  if (ec) return false;
  fs::path relative = real_dir.lexically_relative(real_root);
  return !relative.empty() && *relative.begin() != "..";
}

// `name` is a whiteout's path in the tree (its directory checked by unsafe_path), `raw` as the
// layer wrote it.
Status apply_whiteout(const std::string& name, const std::string& raw, const fs::path& root, const std::string& where) {
  fs::path path(name);
  std::string base = path.filename().string();
  fs::path dir = root / path.parent_path();
  std::string target = base.substr(kWhiteoutPrefix.size());
  if (base != kOpaqueWhiteout &&
      (target.empty() || target == "." || target == ".." || target.find('/') != std::string::npos))
    return fail(where + dq(raw) + " is a whiteout of " + dq(target) +
                ", which is not the name of an entry in its directory; refusing the layer");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Ok{};  // nothing below to delete
  if (!resolves_inside(dir, root))
    return fail(where + dq(raw) + " is a whiteout outside the root filesystem; refusing the layer");
  if (base == kOpaqueWhiteout) {
    for (const fs::directory_entry& child : fs::directory_iterator(dir, ec)) fs::remove_all(child.path(), ec);
    return Ok{};
  }
  // remove_all removes a symlink itself, never what it points at.
  fs::remove_all(dir / target, ec);
  if (ec) return fail(where + dq(raw) + ": cannot apply the whiteout: " + ec.message());
  return Ok{};
}

// A layer's file as libarchive reads it, hashed and counted on the way.
struct LayerStream {
  const RootfsLayer* layer = nullptr;
  int fd = -1;
  Sha256 hash;
  std::int64_t bytes = 0;
  int read_errno = 0;  // set when read() failed
  bool too_long = false;
  std::vector<char> buffer = std::vector<char>(1 << 16);

  ~LayerStream() {
    if (fd >= 0) ::close(fd);
  }

  // The next block of the file, hashed; 0 at its end, -1 on a failure (read_errno or too_long).
  la_ssize_t next(const void** block) {
    ssize_t count;
    do {
      count = ::read(fd, buffer.data(), buffer.size());
    } while (count < 0 && errno == EINTR);
    if (count < 0) {
      read_errno = errno;
      return -1;
    }
    hash.update(buffer.data(), static_cast<std::size_t>(count));
    bytes += count;
    if (layer->size >= 0 && bytes > layer->size) {
      too_long = true;
      return -1;
    }
    *block = buffer.data();
    return count;
  }

  static la_ssize_t read(archive*, void* data, const void** block) {
    return static_cast<LayerStream*>(data)->next(block);
  }

  // Reads what libarchive left (tar's end padding, trailing bytes) through the hash.
  bool drain() {
    const void* block;
    la_ssize_t count;
    while ((count = next(&block)) > 0) {
    }
    return count == 0;
  }
};

// Why the layer's bytes are not the manifest's, or "" when they are (or nothing was declared).
std::string content_mismatch(LayerStream& stream) {
  const RootfsLayer& layer = *stream.layer;
  if (stream.too_long) return "it holds more than the " + std::to_string(layer.size) + " bytes its descriptor declares";
  if (layer.size >= 0 && stream.bytes != layer.size)
    return "it holds " + std::to_string(stream.bytes) + " bytes, its descriptor declares " + std::to_string(layer.size);
  if (!layer.digest.empty()) {
    std::string actual = stream.hash.digest();
    if (actual != layer.digest) return "its content is " + actual + ", not the digest its descriptor names";
  }
  return "";
}

Status extract_layer(const RootfsLayer& layer, const fs::path& root) {
  const std::string name_of_layer =
      "layer " + layer.file.string() + (layer.digest.empty() ? std::string() : " (" + layer.digest + ")");
  LayerStream stream;
  stream.layer = &layer;
  stream.fd = ::open(layer.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (stream.fd < 0) return fail("cannot read " + name_of_layer + ": " + std::strerror(errno));
  // A failed read says why in our terms when it can: a layer longer than declared, a read
  // error, or (the rest of the file read through the hash) content that is not the manifest's,
  // which libarchive would only call a damaged archive.
  auto read_failure = [&](const std::string& libarchive_says) -> Status {
    if (stream.too_long) return fail(name_of_layer + ": " + content_mismatch(stream) + "; refusing the layer");
    if (stream.read_errno) return fail("cannot read " + name_of_layer + ": " + std::strerror(stream.read_errno));
    if (stream.drain())
      if (std::string why = content_mismatch(stream); !why.empty())
        return fail(name_of_layer + ": " + why + "; refusing the layer");
    if (stream.too_long) return fail(name_of_layer + ": " + content_mismatch(stream) + "; refusing the layer");
    return fail(libarchive_says);
  };

  ArchiveReader reader;
  archive_read_support_filter_all(reader.handle);
  archive_read_support_format_tar(reader.handle);
  archive_read_support_format_gnutar(reader.handle);
  if (archive_read_open(reader.handle, &stream, nullptr, &LayerStream::read, nullptr) != ARCHIVE_OK)
    return read_failure("cannot read " + name_of_layer + ": " + error_of(reader.handle));
  ArchiveWriter writer;
  archive_write_disk_set_options(writer.handle, kExtractFlags);
  archive_write_disk_set_standard_lookup(writer.handle);
  WorkingDirectory in_root(root);
  if (!in_root.ok()) return fail("cannot enter " + root.string());

  std::string where = name_of_layer + ": entry ";
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(reader.handle, &entry)) == ARCHIVE_OK) {
    std::string raw = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    std::string name = clean(raw);
    if (std::string why = unsafe_path(name, root); !why.empty())
      return fail(where + dq(raw) + " " + why + "; refusing the layer");
    if (name.empty()) continue;
    mode_t type = archive_entry_filetype(entry);
    if (type == AE_IFCHR || type == AE_IFBLK)
      return fail(where + dq(raw) + " is a device node; refusing the layer (the sandbox brings its own /dev)");
    if (starts_with(fs::path(name).filename().string(), kWhiteoutPrefix)) {
      if (Status applied = apply_whiteout(name, raw, root, where); !applied) return applied;
      continue;
    }
    if (const char* link = archive_entry_hardlink(entry)) {
      std::string target = clean(link);
      if (std::string why = unsafe_path(target, root); !why.empty() || target.empty())
        return fail(name_of_layer + ": hard link " + dq(raw) + " points outside the root filesystem (" + dq(link) +
                    "); refusing the layer");
      archive_entry_set_hardlink(entry, target.c_str());
    }
    archive_entry_set_pathname(entry, name.c_str());
    // A later layer may replace a file with a directory or the other way round.
    struct stat info;
    if (type != AE_IFDIR && lstat(name.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
      if (!resolves_inside(root / fs::path(name).parent_path(), root))
        return fail(where + dq(raw) + " replaces a directory outside the root filesystem; refusing the layer");
      std::error_code ec;
      fs::remove_all(root / name, ec);
    }
    if (archive_write_header(writer.handle, entry) != ARCHIVE_OK)
      return fail(where + dq(raw) + ": " + error_of(writer.handle) + "; refusing the layer");
    const void* block;
    size_t size;
    la_int64_t offset;
    int data_rc;
    while ((data_rc = archive_read_data_block(reader.handle, &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(writer.handle, block, size, offset) != ARCHIVE_OK)
        return fail(where + dq(raw) + ": " + error_of(writer.handle));
    }
    if (data_rc != ARCHIVE_EOF) return read_failure(where + dq(raw) + ": " + error_of(reader.handle));
    if (archive_write_finish_entry(writer.handle) != ARCHIVE_OK)
      return fail(where + dq(raw) + ": " + error_of(writer.handle));
  }
  if (rc != ARCHIVE_EOF) return read_failure("cannot read " + name_of_layer + ": " + error_of(reader.handle));
  if (archive_write_close(writer.handle) != ARCHIVE_OK) return fail(name_of_layer + ": " + error_of(writer.handle));
  if (!stream.drain()) return read_failure("cannot read " + name_of_layer + ": " + std::strerror(stream.read_errno));
  if (std::string why = content_mismatch(stream); !why.empty())
    return fail(name_of_layer + ": " + why + "; refusing the layer");
  return Ok{};
}

}  // namespace

Status extract_layers(const std::vector<RootfsLayer>& layers, const fs::path& target) {
  std::error_code ec;
  if (fs::exists(target, ec)) return fail("cannot unpack into " + target.string() + ": it exists already");
  if (Status parent = make_private_directory(target.parent_path()); !parent) return parent;
  Result<fs::path> staging = make_sibling_temp_dir(target);
  if (!staging) return fail(staging.error());
  TempDir cleanup(staging.value());
  for (const RootfsLayer& layer : layers) {
    if (Status extracted = extract_layer(layer, staging.value()); !extracted) return extracted;
  }
  fs::rename(staging.value(), target, ec);
  if (ec) return fail("cannot move the unpacked root filesystem to " + target.string() + ": " + ec.message());
  cleanup.keep();
  return Ok{};
}

Result<fs::path> resolve_rootfs_dir(const std::string& spec, const fs::path& project_dir) {
  fs::path dir = fs::path(spec).is_absolute() ? fs::path(spec) : project_dir / spec;
  dir = dir.lexically_normal();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fail("rootfs " + dq(spec) + ": " + dir.string() + " is not a directory");
  if (!fs::exists(dir / "bin" / "sh", ec) && !fs::is_symlink(dir / "bin" / "sh", ec))
    return fail("rootfs " + dq(spec) + ": " + dir.string() +
                " has no /bin/sh; it must hold a root filesystem of the target");
  return dir;
}

bool is_rootfs_reference(const std::string& spec, const fs::path& project_dir) {
  if (spec.empty() || starts_with(spec, "oci:") || spec[0] == '/' || spec[0] == '.' || spec[0] == '~') return false;
  std::error_code ec;
  if (fs::exists(project_dir / spec, ec)) return false;
  std::size_t slash = spec.find('/');
  if (slash == std::string::npos) return spec.find_first_of(":@") != std::string::npos;
  std::string first = spec.substr(0, slash);
  return first.find_first_of(".:") != std::string::npos || first == "localhost";
}

Result<RootfsPlan> plan_rootfs(const std::string& spec, const fs::path& project_dir, const fs::path& state_dir,
                               const Platform& platform) {
  RootfsPlan plan;
  if (!starts_with(spec, "oci:")) {
    Result<fs::path> dir = resolve_rootfs_dir(spec, project_dir);
    if (!dir) return fail(dir.error());
    plan.dir = dir.value();
    return plan;
  }
  std::string rest = spec.substr(4);
  std::string tag;
  if (std::size_t colon = rest.rfind(':'); colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
    tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return fail("rootfs " + dq(spec) + ": expected oci:DIR or oci:DIR:TAG");
  fs::path layout = fs::path(rest).is_absolute() ? fs::path(rest) : project_dir / rest;
  Result<oci::ImageLayers> image = oci::find_image_layers(layout.lexically_normal(), tag, platform);
  if (!image) return fail("rootfs " + dq(spec) + ": " + image.error());
  plan.image = image.value().manifest_digest;
  for (std::size_t index = 0; index < image.value().layers.size(); ++index) {
    const oci::Descriptor& layer = image.value().descriptors[index];
    plan.layers.push_back({image.value().layers[index], layer.digest, layer.size});
  }
  plan.dir = state_dir / "rootfs" / plan.image.substr(plan.image.find(':') + 1);
  return plan;
}

Result<bool> ensure_rootfs(const RootfsPlan& plan) {
  if (plan.layers.empty()) return false;
  if (Status parent = make_private_directory(plan.dir.parent_path()); !parent) return fail(parent.error());
  std::error_code ec;
  if (fs::is_directory(plan.dir, ec)) return false;
  if (Status extracted = extract_layers(plan.layers, plan.dir); !extracted) return fail(extracted.error());
  return true;
}

}  // namespace xb
