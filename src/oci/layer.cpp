// Layer packing: the sources' entries (layer_entries.h) written in the order of their tar names
// (directories end in "/") with owner 0:0, empty owner names and the one given mtime, as a
// pax_restricted tar: a plain ustar header unless a name or size needs a pax record. libarchive
// hands the tar bytes to a BlobSink (blob_sink.h), which hashes, gzips and stores them. The
// diff_id depends only on the sources and the mtime; the digest also on zlib's deflate (same
// zlib, same bytes). The Windows format takes the same entries in the same order, but writes
// the tar itself (pax_tar.h) into the same BlobSink: "Hives" and "Files" first, then each entry
// under "Files/" without a trailing "/", each preceded by a pax header holding the
// MSWINDOWS.rawsd record.
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

#include "oci/blob_sink.h"
#include "oci/layer_entries.h"
#include "oci/pax_tar.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::oci {

namespace fs = std::filesystem;

namespace {

// The security descriptor ko writes on Windows layer entries, base64 of its binary form:
// owner BUILTIN\Users, group BUILTIN\Users (SDDL "O:BUG:BU"), no DACL.
constexpr const char* kWindowsSecurityDescriptor =
    "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==";

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

// Copies exactly entry.size bytes of the file into the archive.
Status write_file_data(struct archive* archive, const Entry& entry, const BlobSink& sink) {
  return read_file_into(
      entry.disk_path, entry.size,
      [&](const char* data, std::size_t size) -> Status {
        if (archive_write_data(archive, data, size) != static_cast<la_ssize_t>(size)) {
          return fail(sink.error().empty() ? std::string("cannot write the layer: ") + archive_error_string(archive)
                                           : sink.error());
        }
        return Ok{};
      },
      "packed");
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
    written = read_file_into(
        entry.disk_path, entry.size, [&](const char* data, std::size_t size) { return put(data, size); }, "packed");
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
  Result<EntryMap> entries = collect_entries(sources);
  if (!entries) return fail(entries.error());
  std::vector<std::pair<std::string, const Entry*>> ordered;
  ordered.reserve(entries.value().size());
  for (const auto& [path, entry] : entries.value()) ordered.emplace_back(tar_name(path, entry), &entry);
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
