// Layer packing. First every source is walked into one map of entries keyed by its path in the
// layer (no leading "/" or "./"): directories, regular files and symlinks with their permission
// bits from disk, plus a 0755 directory for every parent that no source provides (so "/app/hello"
// also gives "app/"). Two sources that produce the same path fail, except directories, which merge
// (a real directory from disk wins over a made-up parent, the first source wins between two real
// ones). Then the entries are written in the order of their tar names (directories end in "/")
// with owner 0:0, empty owner names and the one given mtime, as a pax_restricted tar: a plain
// ustar header unless a name or size needs a pax record. libarchive hands the tar bytes to
// BlobSink, which hashes them (the diff_id), deflates them with zlib in gzip mode (the level
// asked; gzip header mtime 0, no name, OS byte 255 "unknown" as Go's compress/gzip writes it, so
// the header does not depend on the host) and writes the compressed bytes to a temporary file in
// blobs_dir/sha256 while hashing them too (the digest). Everything streams through fixed-size
// buffers, so memory use does not depend on the layer's size. At the end the file is renamed to
// its digest's hex, or dropped when a blob with that name is already there. The diff_id depends
// only on the sources and the mtime; the digest also on zlib's deflate (same zlib, same bytes).
// The Windows format takes the same entries in the same order, but writes the tar itself
// (pax_tar.h) into the same BlobSink: "Hives" and "Files" first, then each entry under "Files/"
// without a trailing "/", each preceded by a pax header holding the MSWINDOWS.rawsd record.
#include "oci/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "oci/pax_tar.h"
#include "util/fs.h"
#include "util/libarchive.h"
#include "util/sha256.h"

namespace xb::oci {

namespace fs = std::filesystem;

namespace {

constexpr int kGzipOsUnknown = 255;
constexpr std::size_t kBufferSize = std::size_t{64} * 1024;

// The security descriptor ko writes on Windows layer entries, base64 of its binary form:
// owner BUILTIN\Users, group BUILTIN\Users (SDDL "O:BUG:BU"), no DACL.
constexpr const char* kWindowsSecurityDescriptor =
    "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==";

std::string errno_text(int error) { return std::strerror(error); }

// ---------------------------------------------------------------------------------------------
// Collecting entries

enum class EntryKind { directory, file, symlink };

struct Entry {
  EntryKind kind = EntryKind::directory;
  fs::path disk_path;  // empty for a parent directory that no source provides
  unsigned mode = 0755;
  std::int64_t size = 0;
  std::string link_target;
  bool made_up() const { return disk_path.empty(); }
};

// Keyed by the path in the layer without a trailing "/".
using EntryMap = std::map<std::string, Entry>;

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

// ---------------------------------------------------------------------------------------------
// Writing the blob

// Receives the tar stream: hashes it, gzips it, hashes and writes the gzip to a temporary file.
class BlobSink {
 public:
  BlobSink(fs::path directory, int level) : directory_(std::move(directory)), level_(level), output_(kBufferSize) {
    std::memset(&stream_, 0, sizeof(stream_));
    std::memset(&header_, 0, sizeof(header_));
  }
  BlobSink(const BlobSink&) = delete;
  BlobSink& operator=(const BlobSink&) = delete;

  ~BlobSink() {
    if (deflating_) deflateEnd(&stream_);
  }

  Status open() {
    std::error_code ec;
    fs::create_directories(directory_, ec);
    if (ec) return fail("cannot create directory " + directory_.string() + ": " + ec.message());
    Result<TempFile> temp = TempFile::create_in(directory_, "layer", 0644);
    if (!temp) return fail(temp.error());
    temp_.emplace(std::move(temp).value());
    // windowBits 15 + 16: gzip wrapper. The header is pinned: no name, mtime 0, OS 255.
    if (deflateInit2(&stream_, level_, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return fail("cannot initialise zlib");
    deflating_ = true;
    header_.time = 0;
    header_.os = kGzipOsUnknown;
    if (deflateSetHeader(&stream_, &header_) != Z_OK) return fail("cannot set the gzip header");
    return Ok{};
  }

  // The libarchive write callback's work. Returns false with error() set on failure.
  bool write(const void* data, std::size_t size) {
    diff_id_.update(data, size);
    stream_.next_in = static_cast<Bytef*>(const_cast<void*>(data));
    stream_.avail_in = static_cast<uInt>(size);
    return deflate_all(Z_NO_FLUSH);
  }

  Result<LayerBlob> finish() {
    if (!deflate_all(Z_FINISH)) return fail(error_);
    if (Status closed = temp_->close(Durability::now); !closed) return fail(closed.error());
    LayerBlob blob;
    blob.diff_id = diff_id_.digest();
    blob.digest = digest_.digest();
    blob.size = size_;
    fs::path final_path = directory_ / blob.digest.substr(std::string("sha256:").size());
    struct stat info {};
    if (::lstat(final_path.c_str(), &info) == 0) {
      temp_.reset();  // the same content is already there
    } else if (Status committed = temp_->commit(final_path); !committed) {
      return fail(committed.error());
    }
    return blob;
  }

  const std::string& error() const { return error_; }

 private:
  bool deflate_all(int flush) {
    for (;;) {
      stream_.next_out = output_.data();
      stream_.avail_out = static_cast<uInt>(output_.size());
      int status = deflate(&stream_, flush);
      if (status == Z_STREAM_ERROR) {
        error_ = "zlib deflate failed";
        return false;
      }
      std::size_t produced = output_.size() - stream_.avail_out;
      if (!write_out(produced)) return false;
      if (flush == Z_FINISH ? status == Z_STREAM_END : stream_.avail_out != 0) return true;
    }
  }

  bool write_out(std::size_t size) {
    digest_.update(output_.data(), size);
    size_ += static_cast<std::int64_t>(size);
    Status written = temp_->write(std::string_view(reinterpret_cast<const char*>(output_.data()), size));
    if (!written) error_ = written.error();
    return written.ok();
  }

  fs::path directory_;
  int level_;
  std::optional<TempFile> temp_;  // removed with the sink unless renamed to its digest
  z_stream stream_;
  gz_header header_;
  bool deflating_ = false;
  std::vector<Bytef> output_;
  Sha256 diff_id_;
  Sha256 digest_;
  std::int64_t size_ = 0;
  std::string error_;
};

la_ssize_t write_callback(struct archive*, void* client_data, const void* buffer, size_t length) {
  BlobSink* sink = static_cast<BlobSink*>(client_data);
  if (!sink->write(buffer, length)) return -1;
  return static_cast<la_ssize_t>(length);
}

struct ArchiveDeleter {
  void operator()(struct archive* archive) const { archive_write_free(archive); }
};
struct EntryDeleter {
  void operator()(struct archive_entry* entry) const { archive_entry_free(entry); }
};

bool is_ascii(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string tar_name(const std::string& path, const Entry& entry) {
  return entry.kind == EntryKind::directory ? path + "/" : path;
}

// Reads exactly entry.size bytes of the file and hands them to `write` (a Status(const char*,
// std::size_t)) in pieces of at most kBufferSize.
template <class Write>
Status copy_file_data(const Entry& entry, Write&& write) {
  int fd = ::open(entry.disk_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail("cannot read " + entry.disk_path.string() + ": " + errno_text(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || static_cast<std::int64_t>(info.st_size) != entry.size) {
    ::close(fd);
    return fail(entry.disk_path.string() + " changed while it was being packed");
  }
  std::vector<char> buffer(kBufferSize);
  std::int64_t remaining = entry.size;
  while (remaining > 0) {
    std::size_t want =
        static_cast<std::size_t>(std::min<std::int64_t>(remaining, static_cast<std::int64_t>(buffer.size())));
    ssize_t n = ::read(fd, buffer.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = errno;
      ::close(fd);
      if (n == 0) return fail(entry.disk_path.string() + " changed while it was being packed");
      return fail("cannot read " + entry.disk_path.string() + ": " + errno_text(error));
    }
    Status written = write(buffer.data(), static_cast<std::size_t>(n));
    if (!written) {
      ::close(fd);
      return written;
    }
    remaining -= n;
  }
  ::close(fd);
  return Ok{};
}

// Copies exactly entry.size bytes of the file into the archive.
Status write_file_data(struct archive* archive, const Entry& entry, const BlobSink& sink) {
  return copy_file_data(entry, [&](const char* data, std::size_t size) -> Status {
    if (archive_write_data(archive, data, size) != static_cast<la_ssize_t>(size)) {
      return fail(sink.error().empty() ? std::string("cannot write the layer: ") + archive_error_string(archive)
                                       : sink.error());
    }
    return Ok{};
  });
}

Status write_tar(const std::vector<std::pair<std::string, const Entry*>>& ordered, std::int64_t mtime, BlobSink& sink) {
  std::unique_ptr<struct archive, ArchiveDeleter> archive(archive_write_new());
  if (!archive) return fail("cannot create a tar writer (libarchive)");
  auto archive_failure = [&](const char* what) {
    if (!sink.error().empty()) return fail(sink.error());
    const char* detail = archive_error_string(archive.get());
    return fail(std::string(what) + ": " + (detail ? detail : "unknown libarchive error"));
  };
  // pax_restricted: ustar headers, with pax records only for what ustar cannot hold. The tar
  // ends right after its end-of-archive blocks (no padding to a 10 KiB record).
  if (archive_write_set_format_pax_restricted(archive.get()) != ARCHIVE_OK ||
      archive_write_add_filter_none(archive.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(archive.get(), 1) != ARCHIVE_OK)
    return archive_failure("cannot set up the tar writer");
  // libarchive converts non-ASCII names from the current locale to UTF-8 for pax records: that
  // fails in the C locale and would make the layer depend on the locale. Such names are written
  // as the bytes they are on disk instead, marked hdrcharset=BINARY (only then: GNU tar warns
  // about the keyword, Go's archive/tar ignores it).
  bool non_ascii = std::any_of(ordered.begin(), ordered.end(), [](const auto& item) {
    return !is_ascii(item.first) || !is_ascii(item.second->link_target);
  });
  if (non_ascii && archive_write_set_format_option(archive.get(), "pax", "hdrcharset", "BINARY") != ARCHIVE_OK)
    return archive_failure("cannot set up the tar writer");
  if (archive_write_open2(archive.get(), &sink, nullptr, write_callback, nullptr, nullptr) != ARCHIVE_OK)
    return archive_failure("cannot start the layer");

  for (const auto& [name, entry] : ordered) {
    std::unique_ptr<struct archive_entry, EntryDeleter> header(archive_entry_new());
    archive_entry_copy_pathname(header.get(), name.c_str());
    archive_entry_set_uid(header.get(), 0);
    archive_entry_set_gid(header.get(), 0);
    archive_entry_set_mtime(header.get(), mtime, 0);
    archive_entry_set_perm(header.get(), entry->mode);
    switch (entry->kind) {
      case EntryKind::directory:
        archive_entry_set_filetype(header.get(), AE_IFDIR);
        archive_entry_set_size(header.get(), 0);
        break;
      case EntryKind::file:
        archive_entry_set_filetype(header.get(), AE_IFREG);
        archive_entry_set_size(header.get(), entry->size);
        break;
      case EntryKind::symlink:
        archive_entry_set_filetype(header.get(), AE_IFLNK);
        archive_entry_set_size(header.get(), 0);
        archive_entry_copy_symlink(header.get(), entry->link_target.c_str());
        break;
    }
    if (archive_write_header(archive.get(), header.get()) != ARCHIVE_OK)
      return archive_failure(("cannot add \"" + name + "\" to the layer").c_str());
    if (entry->kind == EntryKind::file) {
      Status data = write_file_data(archive.get(), *entry, sink);
      if (!data) return data;
    }
  }
  if (archive_write_close(archive.get()) != ARCHIVE_OK) return archive_failure("cannot finish the layer");
  return Ok{};
}

// Checks UTF-8 the way Windows needs it: well-formed sequences, no overlong forms, no
// surrogates, nothing above U+10FFFF.
bool is_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xe  ? 3
                         : (lead >> 3) == 0x1e ? 4
                                               : 0;
    if (length == 0 || i + length > text.size()) return false;
    std::uint32_t code = length == 1 ? lead : lead & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

class WindowsTarWriter {
 public:
  WindowsTarWriter(BlobSink& sink, std::int64_t mtime) : sink_(sink), mtime_(mtime) {}

  Status directory(const std::string& name, unsigned mode) { return header(name, '5', mode, 0); }

  Status file(const std::string& name, const Entry& entry) {
    Status written = header(name, '0', entry.mode, entry.size);
    if (!written) return written;
    written = copy_file_data(entry, [&](const char* data, std::size_t size) { return put(data, size); });
    if (!written) return written;
    static constexpr char kZeros[kTarBlockSize] = {};
    return put(kZeros, tar_padding(entry.size));
  }

  Status finish() {
    std::string end = tar_end();
    return put(end.data(), end.size());
  }

 private:
  Status header(const std::string& name, char typeflag, unsigned mode, std::int64_t size) {
    TarHeader tar_header;
    tar_header.name = name;
    tar_header.typeflag = typeflag;
    tar_header.mode = mode;
    tar_header.size = size;
    tar_header.mtime = mtime_;
    tar_header.pax_records = {{"MSWINDOWS.rawsd", kWindowsSecurityDescriptor}};
    Result<std::string> bytes = pax_entry_header(tar_header);
    if (!bytes) return fail(bytes.error());
    return put(bytes.value().data(), bytes.value().size());
  }

  Status put(const char* data, std::size_t size) {
    if (size == 0 || sink_.write(data, size)) return Ok{};
    return fail(sink_.error());
  }

  BlobSink& sink_;
  std::int64_t mtime_;
};

// `ordered` holds the Linux tar names (directories end in "/"), so the entries under "Files/"
// come in the same order as in a Linux layer of the same sources.
Status write_windows_tar(const std::vector<std::pair<std::string, const Entry*>>& ordered, std::int64_t mtime,
                         BlobSink& sink) {
  for (const auto& [name, entry] : ordered) {
    if (entry->kind == EntryKind::symlink) {
      return fail("windows layers cannot hold symlinks: " + entry->disk_path.string() + "; copy the file instead");
    }
    if (!is_utf8(name)) {
      std::string where = entry->made_up() ? "the layer path \"" + name + "\"" : entry->disk_path.string();
      return fail("windows layers need UTF-8 file names, and " + where + " is not valid UTF-8; rename it");
    }
  }
  WindowsTarWriter writer(sink, mtime);
  for (const char* top : {"Hives", "Files"}) {
    Status written = writer.directory(top, 0755);
    if (!written) return written;
  }
  for (const auto& [name, entry] : ordered) {
    std::string windows_name = "Files/" + name;
    Status written = Ok{};
    if (entry->kind == EntryKind::directory) {
      windows_name.pop_back();  // the "/" that tar_name added
      written = writer.directory(windows_name, entry->mode);
    } else {
      written = writer.file(windows_name, *entry);
    }
    if (!written) return written;
  }
  return writer.finish();
}

}  // namespace

Result<LayerBlob> write_layer(const std::vector<LayerSource>& sources, std::int64_t mtime, const fs::path& blobs_dir,
                              LayerFormat format, int gzip_level) {
  if (gzip_level < 0 || gzip_level > 9)
    return fail("gzip level " + std::to_string(gzip_level) + " is not a level from 0 to 9");
  // Before anything is written: the Windows format is written without libarchive.
  if (format == LayerFormat::linux) {
    if (Status loaded = require_libarchive(); !loaded) return fail(loaded.error());
  }
  EntryMap entries;
  for (const LayerSource& source : sources) {
    Status collected = collect_source(entries, source);
    if (!collected) return fail(collected.error());
  }
  std::vector<std::pair<std::string, const Entry*>> ordered;
  ordered.reserve(entries.size());
  for (const auto& [path, entry] : entries) ordered.emplace_back(tar_name(path, entry), &entry);
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  BlobSink sink(blobs_dir / "sha256", gzip_level);
  Status opened = sink.open();
  if (!opened) return fail(opened.error());
  Status written =
      format == LayerFormat::windows ? write_windows_tar(ordered, mtime, sink) : write_tar(ordered, mtime, sink);
  if (!written) return fail(written.error());
  return sink.finish();
}

}  // namespace xb::oci
