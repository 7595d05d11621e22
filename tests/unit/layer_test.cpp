// Tests for layer: what write_layer puts into the blob is read back with libarchive and zlib.
#include "oci/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/gunzip.h"
#include "support/scratch_dir.h"
#include "util/sha256.h"

namespace xb::oci {
namespace {

namespace fs = std::filesystem;

struct TarEntry {
  std::string name;
  mode_t type = 0;
  unsigned perm = 0;
  la_int64_t uid = -1;
  la_int64_t gid = -1;
  std::string uname;
  std::string gname;
  time_t mtime = -1;
  bool atime_set = false;
  bool ctime_set = false;
  std::string symlink;
  std::string data;  // kept up to 1 MiB
  std::size_t data_size = 0;
};

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

using testing::gunzip;

// Reads a tar (plain or gzipped) with libarchive.
std::vector<TarEntry> read_tar(const std::string& bytes) {
  std::vector<TarEntry> entries;
  struct archive* archive = archive_read_new();
  archive_read_support_filter_all(archive);
  archive_read_support_format_all(archive);
  EXPECT_EQ(archive_read_open_memory(archive, bytes.data(), bytes.size()), ARCHIVE_OK);
  struct archive_entry* header = nullptr;
  while (archive_read_next_header(archive, &header) == ARCHIVE_OK) {
    TarEntry entry;
    entry.name = archive_entry_pathname(header);
    entry.type = archive_entry_filetype(header);
    entry.perm = archive_entry_perm(header);
    entry.uid = archive_entry_uid(header);
    entry.gid = archive_entry_gid(header);
    entry.uname = archive_entry_uname(header) ? archive_entry_uname(header) : "";
    entry.gname = archive_entry_gname(header) ? archive_entry_gname(header) : "";
    entry.mtime = archive_entry_mtime(header);
    entry.atime_set = archive_entry_atime_is_set(header);
    entry.ctime_set = archive_entry_ctime_is_set(header);
    if (archive_entry_symlink(header)) entry.symlink = archive_entry_symlink(header);
    char buffer[8192];
    la_ssize_t n = 0;
    while ((n = archive_read_data(archive, buffer, sizeof(buffer))) > 0) {
      if (entry.data_size < (1u << 20)) entry.data.append(buffer, static_cast<std::size_t>(n));
      entry.data_size += static_cast<std::size_t>(n);
    }
    entries.push_back(entry);
  }
  archive_read_free(archive);
  return entries;
}

std::vector<std::string> names(const std::vector<TarEntry>& entries) {
  std::vector<std::string> out;
  for (const TarEntry& entry : entries) out.push_back(entry.name);
  return out;
}

fs::path blob_path(const fs::path& blobs, const std::string& digest) { return blobs / "sha256" / digest.substr(7); }

class LayerTest : public ::testing::Test {
 protected:
  // out/hello (0755), out/share/doc/readme (0644), out/link -> hello
  void SetUp() override {
    fs::path hello = scratch_.write("out/hello", "#!/bin/sh\necho hello\n");
    fs::permissions(hello, fs::perms(0755));
    fs::permissions(scratch_.write("out/share/doc/readme", "read me\n"), fs::perms(0644));
    fs::permissions(scratch_ / "out/share", fs::perms(0755));
    fs::permissions(scratch_ / "out/share/doc", fs::perms(0750));
    fs::create_symlink("hello", scratch_ / "out/link");
  }

  LayerBlob pack(const std::vector<LayerSource>& sources, const std::string& blobs_name,
                 std::int64_t mtime = 1700000000) {
    Result<LayerBlob> blob = write_layer(sources, mtime, scratch_ / blobs_name);
    EXPECT_TRUE(blob.ok()) << blob.error();
    return blob.ok() ? blob.value() : LayerBlob{};
  }

  std::vector<TarEntry> entries_of(const std::string& blobs_name, const LayerBlob& blob) {
    return read_tar(read_bytes(blob_path(scratch_ / blobs_name, blob.digest)));
  }

  std::string pack_error(const std::vector<LayerSource>& sources) {
    Result<LayerBlob> blob = write_layer(sources, 0, scratch_ / "blobs");
    EXPECT_FALSE(blob.ok());
    return blob.ok() ? std::string() : blob.error();
  }

  testing::ScratchDir scratch_;
};

TEST_F(LayerTest, TwoPacksOfTheSameTreeAreByteEqual) {
  LayerBlob first = pack({{scratch_ / "out", "/"}}, "blobs1");
  LayerBlob second = pack({{scratch_ / "out", "/"}}, "blobs2");
  EXPECT_EQ(first.digest, second.digest);
  EXPECT_EQ(first.diff_id, second.diff_id);
  EXPECT_EQ(first.size, second.size);
  EXPECT_EQ(read_bytes(blob_path(scratch_ / "blobs1", first.digest)),
            read_bytes(blob_path(scratch_ / "blobs2", second.digest)));
}

TEST_F(LayerTest, MtimesOnDiskDoNotChangeTheLayer) {
  LayerBlob first = pack({{scratch_ / "out", "/"}}, "blobs1");
  fs::file_time_type old_time = fs::file_time_type::clock::now() - std::chrono::hours(24 * 400);
  for (const char* name : {"out/hello", "out/share", "out/share/doc", "out/share/doc/readme", "out"})
    fs::last_write_time(scratch_ / name, old_time);
  LayerBlob second = pack({{scratch_ / "out", "/"}}, "blobs2");
  EXPECT_EQ(first.digest, second.digest);
}

TEST_F(LayerTest, AnotherMtimeGivesAnotherLayer) {
  LayerBlob first = pack({{scratch_ / "out", "/"}}, "blobs1", 1700000000);
  LayerBlob second = pack({{scratch_ / "out", "/"}}, "blobs2", 1700000001);
  EXPECT_NE(first.diff_id, second.diff_id);
}

TEST_F(LayerTest, EntriesAreSortedWithExplicitParents) {
  scratch_.write("extra/tool", "tool");
  LayerBlob blob = pack({{scratch_ / "out", "/"}, {scratch_ / "extra/tool", "/usr/local/bin/tool"}}, "blobs");
  std::vector<std::string> expected = {
      "hello", "link",       "share/",         "share/doc/",         "share/doc/readme",
      "usr/",  "usr/local/", "usr/local/bin/", "usr/local/bin/tool",
  };
  std::vector<std::string> actual = names(entries_of("blobs", blob));
  EXPECT_EQ(actual, expected);
  std::vector<std::string> sorted = actual;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(actual, sorted);
}

TEST_F(LayerTest, DirectorySourceUnderADestination) {
  LayerBlob blob = pack({{scratch_ / "out/share", "/opt/share/"}}, "blobs");
  std::vector<TarEntry> entries = entries_of("blobs", blob);
  EXPECT_EQ(names(entries), (std::vector<std::string>{"opt/", "opt/share/", "opt/share/doc/", "opt/share/doc/readme"}));
  EXPECT_EQ(entries[0].perm, 0755u);  // made up for the destination
  EXPECT_EQ(entries[2].perm, 0750u);  // from disk
}

TEST_F(LayerTest, EveryEntryHasFixedOwnerAndTime) {
  LayerBlob blob = pack({{scratch_ / "out", "/"}, {scratch_ / "out/hello", "/app/hello"}}, "blobs", 1234567890);
  std::vector<TarEntry> entries = entries_of("blobs", blob);
  ASSERT_EQ(entries.size(), 7u);
  for (const TarEntry& entry : entries) {
    SCOPED_TRACE(entry.name);
    EXPECT_EQ(entry.uid, 0);
    EXPECT_EQ(entry.gid, 0);
    EXPECT_EQ(entry.uname, "");
    EXPECT_EQ(entry.gname, "");
    EXPECT_EQ(entry.mtime, 1234567890);
    EXPECT_FALSE(entry.atime_set);
    EXPECT_FALSE(entry.ctime_set);
    EXPECT_NE(entry.name.front(), '/');
    EXPECT_NE(entry.name.rfind("./", 0), 0u);
  }
}

TEST_F(LayerTest, ModesAndContentComeFromDisk) {
  fs::permissions(scratch_.write("secret", "s3cret"), fs::perms(0600));
  LayerBlob blob = pack({{scratch_ / "out", "/"}, {scratch_ / "secret", "/etc/secret"}}, "blobs");
  std::vector<TarEntry> entries = entries_of("blobs", blob);
  ASSERT_EQ(names(entries), (std::vector<std::string>{"etc/", "etc/secret", "hello", "link", "share/", "share/doc/",
                                                      "share/doc/readme"}));
  EXPECT_EQ(entries[0].type, AE_IFDIR);
  EXPECT_EQ(entries[0].perm, 0755u);
  EXPECT_EQ(entries[1].type, AE_IFREG);
  EXPECT_EQ(entries[1].perm, 0600u);
  EXPECT_EQ(entries[1].data, "s3cret");
  EXPECT_EQ(entries[2].perm, 0755u);
  EXPECT_EQ(entries[2].data, "#!/bin/sh\necho hello\n");
  EXPECT_EQ(entries[5].perm, 0750u);
  EXPECT_EQ(entries[6].perm, 0644u);
  EXPECT_EQ(entries[6].data, "read me\n");
}

TEST_F(LayerTest, SymlinksAreKept) {
  LayerBlob blob = pack({{scratch_ / "out", "/"}, {scratch_ / "out/link", "/bin/link"}}, "blobs");
  std::vector<TarEntry> entries = entries_of("blobs", blob);
  ASSERT_EQ(names(entries)[1], "bin/link");
  EXPECT_EQ(entries[1].type, AE_IFLNK);
  EXPECT_EQ(entries[1].symlink, "hello");
  ASSERT_EQ(names(entries)[3], "link");
  EXPECT_EQ(entries[3].type, AE_IFLNK);
  EXPECT_EQ(entries[3].symlink, "hello");
}

TEST_F(LayerTest, HardLinksBecomeOrdinaryFiles) {
  fs::create_hard_link(scratch_ / "out/hello", scratch_ / "out/hello2");
  LayerBlob blob = pack({{scratch_ / "out", "/"}}, "blobs");
  std::vector<TarEntry> entries = entries_of("blobs", blob);
  ASSERT_EQ(names(entries)[1], "hello2");
  EXPECT_EQ(entries[1].type, AE_IFREG);
  EXPECT_EQ(entries[1].data, "#!/bin/sh\necho hello\n");
}

TEST_F(LayerTest, GzipHeaderIsPinned) {
  LayerBlob blob = pack({{scratch_ / "out", "/"}}, "blobs");
  std::string compressed = read_bytes(blob_path(scratch_ / "blobs", blob.digest));
  ASSERT_GE(compressed.size(), 10u);
  // magic, deflate, no flags, mtime 0, extra flags 4 (the fastest level, as Go's BestSpeed
  // writes them), OS 255.
  EXPECT_EQ(compressed.substr(0, 10), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xff", 10));

  z_stream stream{};
  ASSERT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  gz_header header{};
  ASSERT_EQ(inflateGetHeader(&stream, &header), Z_OK);
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(compressed.data());
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(header.done, 1);
  EXPECT_EQ(header.time, 0u);
  EXPECT_EQ(header.os, 255);
  EXPECT_EQ(header.name, nullptr);
  inflateEnd(&stream);
}

TEST_F(LayerTest, EveryGzipLevelHoldsTheSameTar) {
  scratch_.write("out/share/big", std::string(200000, 'x') + "the end\n");
  LayerBlob fastest = pack({{scratch_ / "out", "/"}}, "blobs-1");
  std::map<int, LayerBlob> blobs;
  for (int level : {0, 6, 9}) {
    Result<LayerBlob> blob =
        write_layer({{scratch_ / "out", "/"}}, 1700000000, scratch_ / "blobs", LayerFormat::linux, level);
    ASSERT_TRUE(blob.ok()) << blob.error();
    blobs[level] = blob.value();
    // The same tar, so the same diff_id and the same entries, whatever the level.
    EXPECT_EQ(blob.value().diff_id, fastest.diff_id) << "level " << level;
    EXPECT_EQ(entries_of("blobs", blob.value()).size(), entries_of("blobs-1", fastest).size()) << "level " << level;
  }
  // Stored is the largest, 9 the smallest; zlib's extra-flags byte says 2 only for level 9.
  EXPECT_GT(blobs[0].size, fastest.size);
  EXPECT_LE(blobs[9].size, blobs[6].size);
  EXPECT_LT(blobs[6].size, fastest.size);
  EXPECT_EQ(read_bytes(blob_path(scratch_ / "blobs", blobs[9].digest))[8], '\x02');
  EXPECT_EQ(read_bytes(blob_path(scratch_ / "blobs", blobs[6].digest))[8], '\x00');
}

TEST_F(LayerTest, AGzipLevelOutOfRangeIsRefusedBeforeWriting) {
  Result<LayerBlob> blob = write_layer({{scratch_ / "out", "/"}}, 0, scratch_ / "blobs", LayerFormat::linux, 10);
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.error(), "gzip level 10 is not a level from 0 to 9");
  EXPECT_FALSE(fs::exists(scratch_ / "blobs"));
}

TEST_F(LayerTest, DigestsAndSizeDescribeTheBlob) {
  LayerBlob blob = pack({{scratch_ / "out", "/"}}, "blobs");
  fs::path file = blob_path(scratch_ / "blobs", blob.digest);
  std::string compressed = read_bytes(file);
  EXPECT_EQ(blob.digest, sha256_digest(compressed));
  EXPECT_EQ(blob.diff_id, sha256_digest(gunzip(compressed)));
  EXPECT_EQ(blob.size, static_cast<std::int64_t>(compressed.size()));
  EXPECT_EQ(blob.digest.size(), 7u + 64u);
  // Only the blob is left in the directory, readable by everyone.
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(scratch_ / "blobs/sha256"))
    files.push_back(entry.path());
  EXPECT_EQ(files, std::vector<fs::path>{file});
  EXPECT_EQ(fs::status(file).permissions(), fs::perms(0644));
}

TEST_F(LayerTest, PackingAgainIntoTheSameDirectoryKeepsOneBlob) {
  LayerBlob first = pack({{scratch_ / "out", "/"}}, "blobs");
  LayerBlob second = pack({{scratch_ / "out", "/"}}, "blobs");
  EXPECT_EQ(first.digest, second.digest);
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch_ / "blobs/sha256"), fs::directory_iterator()), 1);
}

TEST_F(LayerTest, LongNamesStayReproducible) {
  std::string long_name = "out/" + std::string(120, 'n') + "/" + std::string(90, 'f');
  scratch_.write(long_name, "long");
  LayerBlob blob = pack({{scratch_ / "out", "/"}}, "blobs");
  std::string tar = gunzip(read_bytes(blob_path(scratch_ / "blobs", blob.digest)));
  std::vector<TarEntry> entries = read_tar(tar);
  ASSERT_EQ(entries.size(), 7u);
  EXPECT_EQ(entries[3].name, long_name.substr(4));
  EXPECT_EQ(entries[3].data, "long");
  // The directory's name needs a pax record; its header's name carries no process id.
  std::size_t pax = tar.find("PaxHeader/");
  ASSERT_NE(pax, std::string::npos);
  EXPECT_EQ(pax % 512, 0u);
  EXPECT_EQ(tar.substr(pax, 100), "PaxHeader/" + std::string(87, 'n') + std::string(3, '\0'));  // name field
  EXPECT_EQ(tar.find("PaxHeaders."), std::string::npos);
  EXPECT_EQ(tar.find("hdrcharset"), std::string::npos);
}

TEST_F(LayerTest, NonAsciiNamesAreWrittenAsTheirBytes) {
  // The tests run in the C locale, where libarchive cannot convert such names to UTF-8.
  scratch_.write("out/caf\xc3\xa9.txt", "coffee");
  fs::create_symlink("caf\xc3\xa9.txt", scratch_ / "out/menu");
  LayerBlob blob = pack({{scratch_ / "out", "/"}}, "blobs");
  std::string tar = gunzip(read_bytes(blob_path(scratch_ / "blobs", blob.digest)));
  EXPECT_NE(tar.find("hdrcharset=BINARY"), std::string::npos);
  std::vector<TarEntry> entries = read_tar(tar);
  ASSERT_EQ(names(entries), (std::vector<std::string>{"caf\xc3\xa9.txt", "hello", "link", "menu", "share/",
                                                      "share/doc/", "share/doc/readme"}));
  EXPECT_EQ(entries[0].data, "coffee");
  EXPECT_EQ(entries[3].symlink, "caf\xc3\xa9.txt");
}

TEST_F(LayerTest, BigFilesStreamThroughConstantMemory) {
  constexpr std::int64_t kSize = 128LL << 20;
  scratch_.write("big/zeros", "");
  fs::resize_file(scratch_ / "big/zeros", kSize);  // sparse: cheap to create
  struct rusage before {};
  getrusage(RUSAGE_SELF, &before);
  LayerBlob blob = pack({{scratch_ / "big", "/"}}, "blobs");
  struct rusage after {};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 32 * 1024) << "KiB more at peak";
  std::vector<TarEntry> entries = entries_of("blobs", blob);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].data_size, static_cast<std::size_t>(kSize));
}

TEST_F(LayerTest, FifoIsRefused) {
  ASSERT_EQ(::mkfifo((scratch_ / "out/pipe").c_str(), 0644), 0);
  EXPECT_EQ(pack_error({{scratch_ / "out", "/"}}),
            "cannot put " + (scratch_ / "out/pipe").string() +
                " into a layer: it is a FIFO (layers hold only files, directories and symlinks)");
}

TEST_F(LayerTest, SocketIsRefused) {
  fs::path socket_path = scratch_ / "out/control.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  struct sockaddr_un address {};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.string().size(), sizeof(address.sun_path));
  std::strcpy(address.sun_path, socket_path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof(address)), 0);
  ::close(fd);
  EXPECT_EQ(pack_error({{scratch_ / "out", "/"}}),
            "cannot put " + socket_path.string() +
                " into a layer: it is a socket (layers hold only files, directories and symlinks)");
}

TEST_F(LayerTest, DeviceIsRefused) {
  EXPECT_EQ(pack_error({{"/dev/null", "/dev/null"}}),
            "cannot put /dev/null into a layer: it is a character device (layers hold only files, directories and "
            "symlinks)");
}

TEST_F(LayerTest, MissingSourceIsNamed) {
  EXPECT_EQ(pack_error({{scratch_ / "out/nothing", "/app/nothing"}}),
            "layer source " + (scratch_ / "out/nothing").string() + " does not exist");
}

TEST_F(LayerTest, SamePathFromTwoSourcesFails) {
  scratch_.write("other/hello", "other");
  EXPECT_EQ(pack_error({{scratch_ / "out", "/"}, {scratch_ / "other/hello", "/hello"}}),
            "layer path \"hello\" comes from two sources: " + (scratch_ / "out/hello").string() + " and " +
                (scratch_ / "other/hello").string());
}

TEST_F(LayerTest, DirectoriesFromTwoSourcesMerge) {
  scratch_.write("other/share/more", "more");
  LayerBlob blob = pack({{scratch_ / "out", "/"}, {scratch_ / "other", "/"}}, "blobs");
  EXPECT_EQ(names(entries_of("blobs", blob)),
            (std::vector<std::string>{"hello", "link", "share/", "share/doc/", "share/doc/readme", "share/more"}));
}

TEST_F(LayerTest, FileWhereADirectoryIsNeededFails) {
  EXPECT_EQ(pack_error({{scratch_ / "out/hello", "/app"}, {scratch_ / "out/share/doc/readme", "/app/readme"}}),
            "layer path \"app\" from " + (scratch_ / "out/hello").string() + " is not a directory, but " +
                (scratch_ / "out/share/doc/readme").string() + " goes under it");
  EXPECT_EQ(pack_error({{scratch_ / "out/share/doc/readme", "/app/readme"}, {scratch_ / "out/hello", "/app"}}),
            "layer path \"app\" from " + (scratch_ / "out/hello").string() +
                " is not a directory, but other entries go under it");
}

TEST_F(LayerTest, DestinationOutsideTheRootFails) {
  EXPECT_EQ(pack_error({{scratch_ / "out/hello", "/app/../../etc/hello"}}),
            "layer destination \"/app/../../etc/hello\" leaves the image root");
}

TEST_F(LayerTest, FileWithoutADestinationNameFails) {
  EXPECT_EQ(pack_error({{scratch_ / "out/hello", "."}}),
            "layer source " + (scratch_ / "out/hello").string() +
                " is not a directory, so its destination must name a file, not \".\"");
}

TEST_F(LayerTest, FileToADirectoryDestinationKeepsItsName) {
  LayerBlob blob = pack({{scratch_ / "out/hello", "/usr/bin/"},
                         {scratch_ / "out/share/doc/readme", "./doc/README"},
                         {scratch_ / "out/share/doc/readme", "/"}},
                        "blobs");
  EXPECT_EQ(names(entries_of("blobs", blob)),
            (std::vector<std::string>{"doc/", "doc/README", "readme", "usr/", "usr/bin/", "usr/bin/hello"}));
}

}  // namespace
}  // namespace xb::oci
