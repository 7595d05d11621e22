// Writing a local output. For each platform the manifest is read back from the staging layout
// the run just finished, so the files are the very bytes the layout holds. An image's top
// layer (ours; the layers below it are the base image's) is read with libarchive and written
// entry by entry: directories, regular files (hashed as they are written, permission bits less
// setuid/setgid/sticky, mtime as in the layer), symlinks and hard links; owners are not kept.
// Every name is checked first (no absolute path, no "..", no parent that is a symlink on disk),
// so nothing lands outside the platform's directory. A Windows layer's files are the entries
// under "Files/" ("Hives/" holds registry hives and is left out). A firmware artifact's blobs
// are copied under their org.opencontainers.image.title. Directories get their modes last,
// so a read-only one can still be filled. Everything written is synced before the caller
// renames the tree into place.
#include "package/local_output.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "oci/layout_reader.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTitleAnnotation = "org.opencontainers.image.title";
constexpr const char* kBaseNameAnnotation = "org.opencontainers.image.base.name";
constexpr const char* kBaseDigestAnnotation = "org.opencontainers.image.base.digest";

std::string errno_text() { return std::strerror(errno); }

// "./a/b/" -> "a/b"; "" for the root itself.
std::string clean(std::string name) {
  while (starts_with(name, "./")) name = name.substr(2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name == "." ? "" : name;
}

// Why an entry's name cannot be written under `root`, or "" when it can.
std::string unsafe_name(const std::string& name, const fs::path& root) {
  if (!name.empty() && name[0] == '/') return "has an absolute path";
  std::vector<std::string> parts = split(name, '/');
  for (const std::string& part : parts)
    if (part == "..") return "climbs out of the directory with \"..\"";
  fs::path prefix = root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].empty() || parts[i] == ".") continue;
    prefix /= parts[i];
    struct stat info {};
    if (::lstat(prefix.c_str(), &info) == 0 && !S_ISDIR(info.st_mode))
      return "would be written below " + prefix.lexically_relative(root).string() + ", which is not a directory";
  }
  return "";
}

struct ReaderDeleter {
  void operator()(struct archive* archive) const { archive_read_free(archive); }
};

void set_mtime(const fs::path& path, long long mtime) {
  struct timespec times[2] = {{static_cast<time_t>(mtime), 0}, {static_cast<time_t>(mtime), 0}};
  ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

// What one platform's directory gets, and what was written, for the summary and the sync.
struct TreeWriter {
  fs::path root;
  std::vector<LocalFile> files;
  std::vector<fs::path> written;                                                 // regular files, to sync
  std::vector<std::pair<fs::path, std::pair<unsigned, long long>>> directories;  // mode and mtime, set last

  Status make_parents(const fs::path& path) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) return fail("cannot create " + path.parent_path().string() + ": " + ec.message());
    return Ok{};
  }

  // Writes the entry's data; size and sha256 from what was written.
  Status regular(struct archive* archive, const std::string& name, unsigned mode, long long mtime) {
    fs::path path = root / name;
    if (Status made = make_parents(path); !made) return made;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail("cannot create " + path.string() + ": " + errno_text());
    Sha256 hash;
    std::int64_t size = 0;
    char buffer[1 << 16];
    la_ssize_t got = 0;
    Status status = Ok{};
    while ((got = archive_read_data(archive, buffer, sizeof buffer)) > 0) {
      hash.update(buffer, static_cast<std::size_t>(got));
      size += got;
      for (la_ssize_t done = 0; done < got && status;) {
        ssize_t put = ::write(fd, buffer + done, static_cast<std::size_t>(got - done));
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0)
          status = fail("cannot write " + path.string() + ": " + errno_text());
        else
          done += put;
      }
      if (!status) break;
      // A safe point of a run's SIGINT or SIGTERM: the tree is staged, DIR not yet replaced.
      if (int signal_number = interrupt_signal()) {
        status = fail(std::string("interrupted by ") + interrupt_signal_name(signal_number));
        break;
      }
    }
    if (status && got < 0) status = fail("cannot read " + name + " from the layer: " + archive_error_string(archive));
    if (status && ::fchmod(fd, mode) != 0)
      status = fail("cannot set the mode of " + path.string() + ": " + errno_text());
    ::close(fd);
    if (!status) return status;
    set_mtime(path, mtime);
    written.push_back(path);
    files.push_back({name, "", size, hash.digest().substr(7), mode});
    return Ok{};
  }

  Status symlink(const std::string& name, const std::string& target, long long mtime) {
    fs::path path = root / name;
    if (Status made = make_parents(path); !made) return made;
    if (::symlink(target.c_str(), path.c_str()) != 0)
      return fail("cannot create " + path.string() + ": " + errno_text());
    set_mtime(path, mtime);
    files.push_back({name, target, 0, "", 0777});
    return Ok{};
  }

  Status hard_link(const std::string& name, const std::string& target) {
    auto found = std::find_if(files.begin(), files.end(), [&](const LocalFile& file) { return file.path == target; });
    if (found == files.end() || !found->symlink.empty())
      return fail("the hard link " + name + " names " + target + ", which is not a file written before it");
    LocalFile linked = *found;
    fs::path path = root / name;
    if (Status made = make_parents(path); !made) return made;
    if (::link((root / target).c_str(), path.c_str()) != 0)
      return fail("cannot create " + path.string() + ": " + errno_text());
    linked.path = name;
    files.push_back(linked);
    return Ok{};
  }

  Status directory(const std::string& name, unsigned mode, long long mtime) {
    std::error_code ec;
    fs::create_directories(root / name, ec);
    if (ec) return fail("cannot create " + (root / name).string() + ": " + ec.message());
    directories.push_back({root / name, {mode, mtime}});
    return Ok{};
  }

  // Deepest first, so setting a directory's mtime is not undone by its children's.
  void finish_directories() {
    std::sort(directories.begin(), directories.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [path, mode_and_mtime] : directories) {
      ::chmod(path.c_str(), mode_and_mtime.first);
      set_mtime(path, mode_and_mtime.second);
    }
  }
};

Status write_layer_files(const fs::path& layer, bool windows, TreeWriter& tree) {
  std::unique_ptr<struct archive, ReaderDeleter> reader(archive_read_new());
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_gnutar(reader.get());
  if (archive_read_open_filename(reader.get(), layer.c_str(), 1 << 16) != ARCHIVE_OK)
    return fail("cannot read the layer " + layer.string() + ": " + archive_error_string(reader.get()));
  // A Windows layer's files are under "Files/"; its other entries are not files of the image.
  auto file_name = [windows](const char* raw) -> std::optional<std::string> {
    std::string name = clean(raw ? raw : "");
    if (!windows) return name;
    if (!starts_with(name, "Files/")) return std::nullopt;
    return name.substr(6);
  };
  archive_entry* entry = nullptr;
  int rc = 0;
  while ((rc = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
    if (int signal_number = interrupt_signal())
      return fail(std::string("interrupted by ") + interrupt_signal_name(signal_number));
    std::optional<std::string> name = file_name(archive_entry_pathname(entry));
    if (!name || name->empty()) continue;
    if (std::string why = unsafe_name(*name, tree.root); !why.empty())
      return fail("the layer's entry \"" + *name + "\" " + why);
    unsigned mode = archive_entry_perm(entry) & 0777;
    long long mtime = archive_entry_mtime(entry);
    Status written = Ok{};
    if (const char* target = archive_entry_hardlink(entry)) {
      std::optional<std::string> linked = file_name(target);
      if (!linked || !unsafe_name(*linked, tree.root).empty())
        return fail("the layer's entry \"" + *name + "\" links to \"" + target + "\", outside the image's files");
      written = tree.hard_link(*name, *linked);
    } else if (archive_entry_filetype(entry) == AE_IFDIR) {
      written = tree.directory(*name, mode, mtime);
    } else if (archive_entry_filetype(entry) == AE_IFREG) {
      written = tree.regular(reader.get(), *name, mode, mtime);
    } else if (archive_entry_filetype(entry) == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      written = tree.symlink(*name, target ? target : "", mtime);
    } else {
      return fail("the layer's entry \"" + *name + "\" is neither a file, a directory nor a symlink");
    }
    if (!written) return written;
  }
  if (rc != ARCHIVE_EOF)
    return fail("cannot read the layer " + layer.string() + ": " + archive_error_string(reader.get()));
  return Ok{};
}

// An artifact's blobs, each under its title: one file name, nothing else.
Status write_artifact_files(const oci::LayoutReader& layout, const oci::Manifest& manifest, long long mtime,
                            TreeWriter& tree) {
  for (const oci::Descriptor& blob : manifest.layers) {
    auto title = blob.annotations.find(kTitleAnnotation);
    if (title == blob.annotations.end() || title->second.empty() || title->second.find('/') != std::string::npos ||
        title->second == "." || title->second == "..")
      return fail("the artifact's blob " + blob.digest + " has no usable " + kTitleAnnotation);
    Result<fs::path> source = layout.blob_path(blob.digest);
    if (!source) return fail(source.error());
    fs::path path = tree.root / title->second;
    std::error_code ec;
    fs::create_directories(tree.root, ec);
    if (!ec) fs::copy_file(source.value(), path, ec);
    if (ec) return fail("cannot copy " + title->second + " to " + path.string() + ": " + ec.message());
    ::chmod(path.c_str(), 0644);
    set_mtime(path, mtime);
    tree.written.push_back(path);
    tree.files.push_back({title->second, "", blob.size, blob.digest.substr(7), 0644});
  }
  return Ok{};
}

Result<LocalPlatform> write_platform(const oci::LayoutReader& layout, const oci::Descriptor& descriptor,
                                     long long source_date_epoch, const fs::path& tree_root,
                                     std::vector<fs::path>& written) {
  LocalPlatform platform;
  platform.platform = descriptor.platform.value_or(Platform{});
  platform.directory = platform.platform.slug();
  platform.manifest = descriptor;
  platform.firmware = !descriptor.artifact_type.empty();
  const std::string where = platform.platform.str() + ": ";
  Result<oci::Manifest> manifest = layout.manifest(descriptor);
  if (!manifest) return fail(where + manifest.error());
  TreeWriter tree{tree_root / platform.directory, {}, {}, {}};
  std::error_code ec;
  fs::create_directory(tree.root, ec);
  if (ec) return fail(where + "cannot create " + tree.root.string() + ": " + ec.message());
  Status status = Ok{};
  if (platform.firmware) {
    status = write_artifact_files(layout, manifest.value(), source_date_epoch, tree);
  } else if (manifest.value().layers.empty()) {
    status = fail("the image has no layer");
  } else {
    const std::map<std::string, std::string>& annotations = manifest.value().annotations;
    if (auto name = annotations.find(kBaseNameAnnotation); name != annotations.end()) platform.base_name = name->second;
    if (auto digest = annotations.find(kBaseDigestAnnotation); digest != annotations.end())
      platform.base_digest = digest->second;
    Result<fs::path> layer = layout.blob_path(manifest.value().layers.back().digest);
    status = layer ? write_layer_files(layer.value(), platform.platform.os == "windows", tree) : fail(layer.error());
  }
  if (!status) return fail(where + status.error());
  tree.finish_directories();
  std::sort(tree.files.begin(), tree.files.end(),
            [](const LocalFile& a, const LocalFile& b) { return a.path < b.path; });
  platform.files = std::move(tree.files);
  written.insert(written.end(), tree.written.begin(), tree.written.end());
  return platform;
}

std::string descriptor_json(const oci::Descriptor& descriptor) {
  return fmt::format("{{\"mediaType\": {}, \"digest\": {}, \"size\": {}}}", json_quote(descriptor.media_type),
                     json_quote(descriptor.digest), descriptor.size);
}

std::string file_json(const LocalFile& file) {
  if (!file.symlink.empty())
    return fmt::format("{{\"path\": {}, \"symlink\": {}}}", json_quote(file.path), json_quote(file.symlink));
  return fmt::format("{{\"path\": {}, \"size\": {}, \"sha256\": {}, \"mode\": \"{:04o}\"}}", json_quote(file.path),
                     file.size, json_quote(file.sha256), file.mode);
}

// One line per entry of a tree, sorted by path; hashed by local_tree_digest.
Status describe_tree(const fs::path& root, const fs::path& dir, std::vector<std::string>& lines) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    std::string name = path.lexically_relative(root).generic_string();
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) return fail("cannot read " + path.string() + ": " + errno_text());
    std::string mode = fmt::format("{:04o}", info.st_mode & 07777);
    if (S_ISDIR(info.st_mode)) {
      lines.push_back("d " + mode + " " + name);
      if (Status below = describe_tree(root, path, lines); !below) return below;
    } else if (S_ISLNK(info.st_mode)) {
      lines.push_back("l " + name + " " + fs::read_symlink(path, ec).string());
    } else if (S_ISREG(info.st_mode)) {
      Result<std::string> hash = sha256_file(path);
      if (!hash) return fail(hash.error());
      lines.push_back(fmt::format("f {} {} {} {}", mode, info.st_size, hash.value(), name));
    } else {
      lines.push_back("o " + mode + " " + name);
    }
  }
  if (ec) return fail("cannot read " + dir.string() + ": " + ec.message());
  return Ok{};
}

}  // namespace

std::string local_summary_json(const LocalSummary& summary) {
  std::string out = "{\n";
  out += fmt::format("  \"project\": {},\n  \"version\": {},\n  \"tag\": {},\n  \"index\": {},\n",
                     json_quote(summary.project), json_quote(summary.version), json_quote(summary.tag),
                     descriptor_json(summary.index));
  out += "  \"platforms\": [";
  for (std::size_t i = 0; i < summary.platforms.size(); ++i) {
    const LocalPlatform& platform = summary.platforms[i];
    out += fmt::format("{}\n    {{\n      \"platform\": {},\n      \"directory\": {},\n      \"kind\": {},\n",
                       i ? "," : "", json_quote(platform.platform.str()), json_quote(platform.directory),
                       platform.firmware ? "\"firmware\"" : "\"image\"");
    out += fmt::format("      \"manifest\": {},\n", descriptor_json(platform.manifest));
    if (!platform.base_name.empty())
      out += fmt::format("      \"base\": {{\"name\": {}, \"digest\": {}}},\n", json_quote(platform.base_name),
                         json_quote(platform.base_digest));
    out += "      \"files\": [";
    for (std::size_t f = 0; f < platform.files.size(); ++f)
      out += fmt::format("{}\n        {}", f ? "," : "", file_json(platform.files[f]));
    out += platform.files.empty() ? "]\n    }" : "\n      ]\n    }";
  }
  out += summary.platforms.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

Result<LocalSummary> write_local_tree(const LocalTreeRequest& request, const fs::path& tree) {
  Result<oci::LayoutReader> layout = oci::LayoutReader::read_index(request.layout);
  if (!layout) return fail(layout.error());
  if (::mkdir(tree.c_str(), 0755) != 0) return fail("cannot create directory " + tree.string() + ": " + errno_text());
  LocalSummary summary{request.project, request.version, request.tag, request.index, {}};
  std::vector<fs::path> written;
  for (const oci::Descriptor& manifest : request.manifests) {
    Result<LocalPlatform> platform = write_platform(layout.value(), manifest, request.source_date_epoch, tree, written);
    if (!platform) return fail(platform.error());
    summary.platforms.push_back(std::move(platform).value());
  }
  Status saved = write_file_atomic(tree / kLocalSummaryName, local_summary_json(summary), Durability::deferred);
  if (!saved) return fail(saved.error());
  written.push_back(tree / kLocalSummaryName);
  if (Status synced = sync_files(written); !synced) return fail(synced.error());
  return summary;
}

Result<std::string> local_tree_digest(const fs::path& dir) {
  std::vector<std::string> lines;
  if (Status described = describe_tree(dir, dir, lines); !described) return fail(described.error());
  std::sort(lines.begin(), lines.end());  // directory_iterator's order is the filesystem's
  return sha256_digest(join(lines, "\n"));
}

Status check_local_destination(const fs::path& dir, const std::string& spec) {
  struct stat info {};
  if (::lstat(dir.c_str(), &info) == 0) {
    if (S_ISLNK(info.st_mode))
      return fail(
          fmt::format("{}: {} is a symlink, and the output replaces it with a directory; name the directory "
                      "itself ({})",
                      spec, dir.string(), fs::weakly_canonical(dir).string()));
    if (!S_ISDIR(info.st_mode))
      return fail(
          fmt::format("{}: {} exists and is not a directory; remove it, or name a directory", spec, dir.string()));
    std::error_code ec;
    bool empty = fs::is_empty(dir, ec);
    if (!empty && !fs::exists(dir / kLocalSummaryName, ec))
      return fail(
          fmt::format("{}: {} is not empty and has no {}, so it is not a local output of xbuild, and the "
                      "output replaces the whole directory; name a new or empty directory",
                      spec, dir.string(), kLocalSummaryName));
  }
  fs::path parent = dir.parent_path();
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    return fail(fmt::format("{}: the directory {} does not exist; create it first", spec, parent.string()));
  if (::access(parent.c_str(), W_OK | X_OK) != 0)
    return fail(
        fmt::format("{}: cannot write in {} ({}); the output is made next to {} and renamed into place: "
                    "name a directory whose parent you can write to",
                    spec, parent.string(), errno_text(), dir.filename().string()));
  return Ok{};
}

}  // namespace xb
