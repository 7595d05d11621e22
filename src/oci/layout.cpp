// Layouts are written into a staging directory: blobs go to blobs/sha256/<hex> as soon as they
// are known (each through a temporary name, not synced yet), index.json is written last, then
// every file written is synced in one pass (util/fs.h sync_files), and the finished tree is
// published in one step: renamed over the target directory, or packed into a tar whose entries
// are sorted and carry fixed metadata (mtime 0, owner 0:0, no owner names, 0755 directories and
// 0644 files), written to a temporary file next to the target and renamed over it.
#include "oci/layout.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "oci/image.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::oci {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLayoutFile = "{\"imageLayoutVersion\":\"1.0.0\"}";

std::string errno_text(int error) { return std::strerror(error); }

struct ArchiveDeleter {
  void operator()(struct archive* archive) const { archive_write_free(archive); }
};
struct EntryDeleter {
  void operator()(struct archive_entry* entry) const { archive_entry_free(entry); }
};

struct TreeEntry {
  std::string name;  // relative, directories end in "/"
  fs::path path;
  bool directory = false;
  std::int64_t size = 0;
};

Status list_tree(const fs::path& root, const fs::path& directory, std::vector<TreeEntry>& out) {
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    fs::file_status status = it->symlink_status(ec);
    if (ec) break;
    std::string name = path.lexically_relative(root).generic_string();
    if (fs::is_directory(status)) {
      out.push_back({name + "/", path, true, 0});
      Status below = list_tree(root, path, out);
      if (!below) return below;
    } else if (fs::is_regular_file(status)) {
      std::int64_t size = static_cast<std::int64_t>(fs::file_size(path, ec));
      if (ec) break;
      out.push_back({name, path, false, size});
    } else {
      return fail("cannot archive " + path.string() + ": only files and directories belong in a layout");
    }
  }
  if (ec) return fail("cannot read " + directory.string() + ": " + ec.message());
  return Ok{};
}

Status append_file(struct archive* archive, const TreeEntry& entry) {
  return read_file_into(
      entry.path, entry.size,
      [&](const char* data, std::size_t size) -> Status {
        if (archive_write_data(archive, data, size) != static_cast<la_ssize_t>(size))
          return fail("cannot write the archive: " + std::string(archive_error_string(archive)));
        return Ok{};
      },
      "archived");
}

Status write_archive(int fd, const std::vector<TreeEntry>& entries) {
  std::unique_ptr<struct archive, ArchiveDeleter> archive(archive_write_new());
  if (!archive) return fail("cannot create a tar writer (libarchive)");
  auto failure = [&](const std::string& what) {
    const char* detail = archive_error_string(archive.get());
    return fail(what + ": " + (detail ? detail : "unknown libarchive error"));
  };
  if (archive_write_set_format_pax_restricted(archive.get()) != ARCHIVE_OK ||
      archive_write_add_filter_none(archive.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(archive.get(), 1) != ARCHIVE_OK ||
      archive_write_open_fd(archive.get(), fd) != ARCHIVE_OK)
    return failure("cannot start the archive");
  for (const TreeEntry& entry : entries) {
    std::unique_ptr<struct archive_entry, EntryDeleter> header(archive_entry_new());
    archive_entry_copy_pathname(header.get(), entry.name.c_str());
    archive_entry_set_filetype(header.get(), entry.directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(header.get(), entry.directory ? 0755 : 0644);
    archive_entry_set_size(header.get(), entry.size);
    archive_entry_set_uid(header.get(), 0);
    archive_entry_set_gid(header.get(), 0);
    archive_entry_set_mtime(header.get(), 0, 0);
    if (archive_write_header(archive.get(), header.get()) != ARCHIVE_OK)
      return failure("cannot add " + entry.name + " to the archive");
    if (!entry.directory) {
      Status data = append_file(archive.get(), entry);
      if (!data) return data;
    }
  }
  if (archive_write_close(archive.get()) != ARCHIVE_OK) return failure("cannot finish the archive");
  return Ok{};
}

}  // namespace

Result<LayoutWriter> LayoutWriter::create(const fs::path& staging) {
  if (::mkdir(staging.c_str(), 0755) != 0)
    return fail("cannot create directory " + staging.string() + ": " + errno_text(errno));
  std::error_code ec;
  fs::create_directories(staging / "blobs" / "sha256", ec);
  if (ec) return fail("cannot create directory " + (staging / "blobs" / "sha256").string() + ": " + ec.message());
  Status written = write_file_atomic(staging / "oci-layout", kLayoutFile, Durability::deferred);
  if (!written) return fail(written.error());
  LayoutWriter writer(staging);
  writer.unsynced_.push_back(staging / "oci-layout");
  return writer;
}

Result<Descriptor> LayoutWriter::add_blob(std::string_view content, const std::string& media_type) {
  Descriptor descriptor;
  descriptor.media_type = media_type;
  descriptor.digest = sha256_digest(content);
  descriptor.size = static_cast<std::int64_t>(content.size());
  fs::path path = blobs_dir() / "sha256" / descriptor.digest.substr(std::string("sha256:").size());
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    Status written = write_file_atomic(path, content, Durability::deferred);
    if (!written) return fail(written.error());
    unsynced_.push_back(path);
  }
  return descriptor;
}

Status LayoutWriter::finish(Descriptor root, const std::string& ref_name, const std::string& image_name,
                            const std::map<std::string, std::string>& annotations) {
  root.annotations[kAnnotationRefName] = ref_name;
  if (!image_name.empty()) root.annotations[kAnnotationImageName] = image_name;
  Status written = write_file_atomic(root_ / "index.json", index_json({root}, annotations), Durability::deferred);
  if (!written) return written;
  unsynced_.push_back(root_ / "index.json");
  Status synced = sync_files(unsynced_);
  unsynced_.clear();
  return synced;
}

Status LayoutWriter::finish_empty(const std::map<std::string, std::string>& annotations) {
  Status written = write_file_atomic(root_ / "index.json", index_json({}, annotations), Durability::deferred);
  if (!written) return written;
  unsynced_.push_back(root_ / "index.json");
  Status synced = sync_files(unsynced_);
  unsynced_.clear();
  return synced;
}

Status publish_layout(const fs::path& staging, const fs::path& target) { return replace_directory(staging, target); }

Status publish_archive(const fs::path& staging, const fs::path& target) {
  std::vector<TreeEntry> entries;
  Status listed = list_tree(staging, staging, entries);
  if (!listed) return listed;
  std::sort(entries.begin(), entries.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.name < b.name; });

  Result<TempFile> temp = TempFile::create(target, 0644);
  if (!temp) return fail(temp.error());
  Status written = write_archive(temp.value().fd(), entries);
  if (!written) return written;
  if (Status closed = temp.value().close(Durability::now); !closed) return closed;
  return temp.value().commit(target);
}

}  // namespace xb::oci
