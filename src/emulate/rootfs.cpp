// Secure layer extraction.
//
// libarchive writes the entries with ARCHIVE_EXTRACT_SECURE_NODOTDOT, SECURE_SYMLINKS and
// SECURE_NOABSOLUTEPATHS, relative to the staging directory (the process changes into it for
// the extraction and back afterwards). Before libarchive sees an entry we check it ourselves,
// so the error names the layer and the entry: no absolute path, no ".." component, no parent
// that is a symlink on disk (lstat of every prefix: a layer that plants "lib -> /usr/lib" and
// then writes "lib/x" would write outside the tree), hard link targets under the same rules,
// no character or block devices. Whiteouts are applied, not extracted: ".wh.NAME" removes NAME
// from the layers below, ".wh..wh..opq" empties its directory. Everything happens in a sibling
// staging directory that becomes the target with one rename.
#include "emulate/rootfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "oci/layout_reader.h"
#include "util/fs.h"
#include "util/libarchive.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

constexpr int kExtractFlags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                              ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                              ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;

std::string dq(const std::string& text) { return "\"" + text + "\""; }

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

Status apply_whiteout(const std::string& name, const fs::path& root) {
  fs::path path(name);
  std::string base = path.filename().string();
  fs::path dir = root / path.parent_path();
  std::error_code ec;
  if (base == ".wh..wh..opq") {
    for (const fs::directory_entry& child : fs::directory_iterator(dir, ec)) fs::remove_all(child.path(), ec);
    return Ok{};
  }
  fs::remove_all(dir / base.substr(4), ec);
  if (ec) return fail("cannot apply whiteout " + dq(name) + ": " + ec.message());
  return Ok{};
}

Status extract_layer(const fs::path& layer, const fs::path& root) {
  ArchiveReader reader;
  archive_read_support_filter_all(reader.handle);
  archive_read_support_format_tar(reader.handle);
  archive_read_support_format_gnutar(reader.handle);
  if (archive_read_open_filename(reader.handle, layer.c_str(), 1 << 16) != ARCHIVE_OK)
    return fail("cannot read layer " + layer.string() + ": " + archive_error_string(reader.handle));
  ArchiveWriter writer;
  archive_write_disk_set_options(writer.handle, kExtractFlags);
  archive_write_disk_set_standard_lookup(writer.handle);
  WorkingDirectory in_root(root);
  if (!in_root.ok()) return fail("cannot enter " + root.string());

  std::string where = "layer " + layer.string() + ": entry ";
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
    if (fs::path(name).filename().string().rfind(".wh.", 0) == 0) {
      if (Status applied = apply_whiteout(name, root); !applied) return applied;
      continue;
    }
    if (const char* link = archive_entry_hardlink(entry)) {
      std::string target = clean(link);
      if (std::string why = unsafe_path(target, root); !why.empty() || target.empty())
        return fail("layer " + layer.string() + ": hard link " + dq(raw) + " points outside the root filesystem (" +
                    dq(link) + "); refusing the layer");
      archive_entry_set_hardlink(entry, target.c_str());
    }
    archive_entry_set_pathname(entry, name.c_str());
    // A later layer may replace a file with a directory or the other way round.
    struct stat info;
    if (type != AE_IFDIR && lstat(name.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
      std::error_code ec;
      fs::remove_all(root / name, ec);
    }
    if (archive_write_header(writer.handle, entry) != ARCHIVE_OK)
      return fail(where + dq(raw) + ": " + archive_error_string(writer.handle) + "; refusing the layer");
    const void* block;
    size_t size;
    la_int64_t offset;
    int data_rc;
    while ((data_rc = archive_read_data_block(reader.handle, &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(writer.handle, block, size, offset) != ARCHIVE_OK)
        return fail(where + dq(raw) + ": " + archive_error_string(writer.handle));
    }
    if (data_rc != ARCHIVE_EOF) return fail(where + dq(raw) + ": " + archive_error_string(reader.handle));
    if (archive_write_finish_entry(writer.handle) != ARCHIVE_OK)
      return fail(where + dq(raw) + ": " + archive_error_string(writer.handle));
  }
  if (rc != ARCHIVE_EOF)
    return fail("cannot read layer " + layer.string() + ": " + archive_error_string(reader.handle));
  if (archive_write_close(writer.handle) != ARCHIVE_OK)
    return fail("layer " + layer.string() + ": " + archive_error_string(writer.handle));
  return Ok{};
}

}  // namespace

Status extract_layers(const std::vector<fs::path>& layers, const fs::path& target) {
  if (Status loaded = require_libarchive(); !loaded) return loaded;
  std::error_code ec;
  if (fs::exists(target, ec)) return fail("cannot unpack into " + target.string() + ": it exists already");
  fs::create_directories(target.parent_path(), ec);
  Result<fs::path> staging = make_sibling_temp_dir(target);
  if (!staging) return fail(staging.error());
  TempDir cleanup(staging.value());
  for (const fs::path& layer : layers) {
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
  plan.layers = image.value().layers;
  plan.dir = state_dir / "rootfs" / plan.image.substr(plan.image.find(':') + 1);
  return plan;
}

Result<bool> ensure_rootfs(const RootfsPlan& plan) {
  std::error_code ec;
  if (plan.layers.empty() || fs::is_directory(plan.dir, ec)) return false;
  if (Status extracted = extract_layers(plan.layers, plan.dir); !extracted) return fail(extracted.error());
  return true;
}

}  // namespace xb
