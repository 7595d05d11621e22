// Tests for the Windows layer format of write_layer (layer.cpp) and the hand-written pax headers
// under it (pax_tar.cpp). The tar is read back block by block with a minimal reader written
// here (so checksums, 'x' headers and padding are checked as bytes, not through a library that
// forgives), and once more with Python's tarfile as an independent reader.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "oci/layer.h"
#include "oci/pax_tar.h"
#include "support/gunzip.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::oci {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSecurityDescriptor = "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==";
constexpr std::int64_t kMtime = 1700000000;

using testing::gunzip;

// ---------------------------------------------------------------------------------------------
// A minimal tar reader: ustar fields, one optional 'x' header before each entry.

std::string field(const std::string& block, std::size_t offset, std::size_t width) {
  std::string text = block.substr(offset, width);
  return text.substr(0, text.find('\0'));
}

std::int64_t octal(const std::string& block, std::size_t offset, std::size_t width) {
  std::int64_t value = 0;
  for (std::size_t i = offset; i < offset + width && block[i] >= '0' && block[i] <= '7'; ++i)
    value = value * 8 + (block[i] - '0');
  return value;
}

bool checksum_ok(const std::string& block) {
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
  // Six octal digits, NUL, space.
  return block[154] == '\0' && block[155] == ' ' && octal(block, 148, 6) == sum;
}

struct RawEntry {
  bool has_pax = false;
  std::string pax_name;  // the 'x' header's own name
  std::string pax_data;  // its records, as bytes
  std::map<std::string, std::string> pax;
  bool pax_lengths_ok = true;
  std::string name_field;
  std::string prefix_field;
  std::string name;  // the path record, or prefix "/" name
  char typeflag = 0;
  std::int64_t mode = -1;
  std::int64_t uid = -1;
  std::int64_t gid = -1;
  std::int64_t size_field = -1;
  std::int64_t size = -1;  // the size record or the size field
  std::int64_t mtime = -1;
  std::string uname;
  std::string gname;
  std::string data;
  bool checksums_ok = false;
  bool ustar_magic = false;
};

// "<length> key=value\n" records; a wrong length marks the entry.
void parse_records(RawEntry& entry) {
  std::size_t pos = 0;
  const std::string& data = entry.pax_data;
  while (pos < data.size()) {
    std::size_t space = data.find(' ', pos);
    if (space == std::string::npos) {
      entry.pax_lengths_ok = false;
      return;
    }
    std::size_t length = std::stoul(data.substr(pos, space - pos));
    std::string record = data.substr(pos, length);
    if (record.size() != length || record.back() != '\n') {
      entry.pax_lengths_ok = false;
      return;
    }
    std::size_t equals = record.find('=');
    entry.pax[record.substr(space - pos + 1, equals - (space - pos) - 1)] =
        record.substr(equals + 1, record.size() - equals - 2);
    pos += length;
  }
}

struct RawTar {
  std::vector<RawEntry> entries;
  bool ends_with_two_zero_blocks = false;
  bool whole_blocks = false;
};

RawTar read_raw_tar(const std::string& tar) {
  RawTar out;
  out.whole_blocks = tar.size() % 512 == 0;
  std::size_t offset = 0;
  const std::string zero_block(512, '\0');
  while (offset + 512 <= tar.size()) {
    std::string block = tar.substr(offset, 512);
    if (block == zero_block) {
      out.ends_with_two_zero_blocks = offset + 1024 == tar.size() && tar.substr(offset + 512) == zero_block;
      break;
    }
    RawEntry entry;
    entry.checksums_ok = checksum_ok(block);
    if (block[156] == 'x') {
      entry.has_pax = true;
      entry.pax_name = field(block, 0, 100);
      std::int64_t size = octal(block, 124, 12);
      entry.pax_data = tar.substr(offset + 512, static_cast<std::size_t>(size));
      parse_records(entry);
      offset += 512 + (static_cast<std::size_t>(size) + 511) / 512 * 512;
      block = tar.substr(offset, 512);
      entry.checksums_ok = entry.checksums_ok && checksum_ok(block);
    }
    entry.name_field = field(block, 0, 100);
    entry.prefix_field = field(block, 345, 155);
    entry.name = entry.prefix_field.empty() ? entry.name_field : entry.prefix_field + "/" + entry.name_field;
    if (entry.pax.count("path")) entry.name = entry.pax["path"];
    entry.typeflag = block[156];
    entry.mode = octal(block, 100, 8);
    entry.uid = octal(block, 108, 8);
    entry.gid = octal(block, 116, 8);
    entry.size_field = octal(block, 124, 12);
    entry.size = entry.pax.count("size") ? std::stoll(entry.pax["size"]) : entry.size_field;
    entry.mtime = octal(block, 136, 12);
    entry.uname = field(block, 265, 32);
    entry.gname = field(block, 297, 32);
    entry.ustar_magic = block.substr(257, 8) == std::string(
                                                    "ustar\0"
                                                    "00",
                                                    8);
    entry.data = tar.substr(offset + 512, static_cast<std::size_t>(entry.size));
    offset += 512 + (static_cast<std::size_t>(entry.size) + 511) / 512 * 512;
    out.entries.push_back(entry);
  }
  return out;
}

std::vector<std::string> names(const RawTar& tar) {
  std::vector<std::string> out;
  for (const RawEntry& entry : tar.entries) out.push_back(entry.name);
  return out;
}

const RawEntry* entry_named(const RawTar& tar, const std::string& name) {
  for (const RawEntry& entry : tar.entries)
    if (entry.name == name) return &entry;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------

fs::path blob_path(const fs::path& blobs, const std::string& digest) { return blobs / "sha256" / digest.substr(7); }

// A file name too long for ustar's name field: it needs a "path" record.
const std::string kLongBase = std::string(110, 'l') + ".txt";
// A path over 100 bytes that ustar splits into prefix and name.
const std::string kSplitDir = std::string(60, 'd');
const std::string kSplitBase = std::string(60, 'e') + ".txt";

class WindowsLayerTest : public ::testing::Test {
 protected:
  // out/app/hello.exe (0755), out/app/config/settings.txt (0640), out/data/<long>, out/<split>
  void SetUp() override {
    fs::permissions(scratch_.write("out/app/hello.exe", "MZ hello"), fs::perms(0755));
    fs::permissions(scratch_.write("out/app/config/settings.txt", std::string(700, 's')), fs::perms(0640));
    fs::permissions(scratch_ / "out/app", fs::perms(0750));
    scratch_.write("out/data/" + kLongBase, "long");
    scratch_.write("out/" + kSplitDir + "/" + kSplitBase, "split");
  }

  LayerBlob pack(const std::vector<LayerSource>& sources, const std::string& blobs_name, std::int64_t mtime = kMtime) {
    Result<LayerBlob> blob = write_layer(sources, mtime, scratch_ / blobs_name, LayerFormat::windows);
    EXPECT_TRUE(blob.ok()) << blob.error();
    return blob.ok() ? blob.value() : LayerBlob{};
  }

  std::string tar_of(const std::string& blobs_name, const LayerBlob& blob) {
    return gunzip(read_file(blob_path(scratch_ / blobs_name, blob.digest)).value());
  }

  std::string pack_error(const std::vector<LayerSource>& sources, std::int64_t mtime = kMtime) {
    Result<LayerBlob> blob = write_layer(sources, mtime, scratch_ / "blobs", LayerFormat::windows);
    EXPECT_FALSE(blob.ok());
    return blob.ok() ? std::string() : blob.error();
  }

  testing::ScratchDir scratch_;
};

const std::vector<std::string> kExpectedNames = {
    "Hives",
    "Files",
    "Files/app",
    "Files/app/config",
    "Files/app/config/settings.txt",
    "Files/app/hello.exe",
    "Files/data",
    "Files/data/" + kLongBase,
    "Files/" + kSplitDir,
    "Files/" + kSplitDir + "/" + kSplitBase,
};

TEST_F(WindowsLayerTest, EntriesComeUnderHivesAndFiles) {
  RawTar tar = read_raw_tar(tar_of("blobs", pack({{scratch_ / "out", "/"}}, "blobs")));
  EXPECT_EQ(names(tar), kExpectedNames);
  for (const RawEntry& entry : tar.entries) {
    SCOPED_TRACE(entry.name);
    EXPECT_NE(entry.name.back(), '/');
    bool is_file = entry.name.find('.') != std::string::npos;
    EXPECT_EQ(entry.typeflag, is_file ? '0' : '5');
  }
  EXPECT_TRUE(tar.whole_blocks);
  EXPECT_TRUE(tar.ends_with_two_zero_blocks);
}

TEST_F(WindowsLayerTest, AFileDestinationGetsItsParents) {
  RawTar tar = read_raw_tar(tar_of("blobs", pack({{scratch_ / "out/app/hello.exe", "/app/hello.exe"}}, "blobs")));
  EXPECT_EQ(names(tar), (std::vector<std::string>{"Hives", "Files", "Files/app", "Files/app/hello.exe"}));
  EXPECT_EQ(tar.entries[2].mode, 0755);  // made up
  EXPECT_EQ(tar.entries[3].data, "MZ hello");
}

TEST_F(WindowsLayerTest, EveryEntryHasExactlyTheSecurityDescriptorRecord) {
  RawTar tar = read_raw_tar(tar_of("blobs", pack({{scratch_ / "out", "/"}}, "blobs")));
  ASSERT_EQ(tar.entries.size(), kExpectedNames.size());
  const std::string record = std::string("92 MSWINDOWS.rawsd=") + kSecurityDescriptor + "\n";
  for (const RawEntry& entry : tar.entries) {
    SCOPED_TRACE(entry.name);
    ASSERT_TRUE(entry.has_pax);
    EXPECT_TRUE(entry.pax_lengths_ok) << entry.pax_data;
    EXPECT_EQ(entry.pax.at("MSWINDOWS.rawsd"), kSecurityDescriptor);
    if (entry.name == "Files/data/" + kLongBase) {
      EXPECT_EQ(entry.pax.size(), 2u);
      EXPECT_EQ(entry.pax_data, record + "135 path=Files/data/" + kLongBase + "\n");
    } else {
      EXPECT_EQ(entry.pax_data, record);
    }
  }
  EXPECT_EQ(tar.entries[0].pax_name, "PaxHeaders.0/Hives");
  EXPECT_EQ(tar.entries[1].pax_name, "PaxHeaders.0/Files");
  EXPECT_EQ(tar.entries[5].pax_name, "Files/app/PaxHeaders.0/hello.exe");
}

TEST_F(WindowsLayerTest, HeadersAreValidUstarWithFixedOwnerAndTime) {
  RawTar tar = read_raw_tar(tar_of("blobs", pack({{scratch_ / "out", "/"}}, "blobs", 1234567890)));
  ASSERT_EQ(tar.entries.size(), kExpectedNames.size());
  for (const RawEntry& entry : tar.entries) {
    SCOPED_TRACE(entry.name);
    EXPECT_TRUE(entry.checksums_ok);
    EXPECT_TRUE(entry.ustar_magic);
    EXPECT_EQ(entry.uid, 0);
    EXPECT_EQ(entry.gid, 0);
    EXPECT_EQ(entry.uname, "");
    EXPECT_EQ(entry.gname, "");
    EXPECT_EQ(entry.mtime, 1234567890);
  }
}

TEST_F(WindowsLayerTest, ModesSizesAndContentComeFromDisk) {
  RawTar tar = read_raw_tar(tar_of("blobs", pack({{scratch_ / "out", "/"}}, "blobs")));
  ASSERT_EQ(names(tar), kExpectedNames);
  EXPECT_EQ(tar.entries[0].mode, 0755);  // Hives
  EXPECT_EQ(tar.entries[1].mode, 0755);  // Files
  EXPECT_EQ(tar.entries[2].mode, 0750);  // app, from disk
  const RawEntry* settings = entry_named(tar, "Files/app/config/settings.txt");
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->mode, 0640);
  EXPECT_EQ(settings->size, 700);  // more than a block: padding is checked by the next header
  EXPECT_EQ(settings->data, std::string(700, 's'));
  const RawEntry* hello = entry_named(tar, "Files/app/hello.exe");
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->mode, 0755);
  EXPECT_EQ(hello->size, 8);
  EXPECT_EQ(hello->data, "MZ hello");
  for (const RawEntry& entry : tar.entries) {
    if (entry.typeflag == '5') {
      EXPECT_EQ(entry.size, 0) << entry.name;
    }
  }
}

TEST_F(WindowsLayerTest, LongNamesUseThePrefixOrAPathRecord) {
  RawTar tar = read_raw_tar(tar_of("blobs", pack({{scratch_ / "out", "/"}}, "blobs")));
  const RawEntry* split = entry_named(tar, "Files/" + kSplitDir + "/" + kSplitBase);
  ASSERT_NE(split, nullptr);
  EXPECT_EQ(split->prefix_field, "Files/" + kSplitDir);
  EXPECT_EQ(split->name_field, kSplitBase);
  EXPECT_EQ(split->pax.count("path"), 0u);
  EXPECT_EQ(split->data, "split");
  const RawEntry* long_entry = entry_named(tar, "Files/data/" + kLongBase);
  ASSERT_NE(long_entry, nullptr);
  EXPECT_EQ(long_entry->name_field, ("Files/data/" + kLongBase).substr(0, 100));
  EXPECT_EQ(long_entry->prefix_field, "");
  EXPECT_EQ(long_entry->pax_name, ("Files/data/PaxHeaders.0/" + kLongBase).substr(0, 100));
  EXPECT_EQ(long_entry->data, "long");
}

TEST_F(WindowsLayerTest, SymlinksAreRefused) {
  fs::create_symlink("hello.exe", scratch_ / "out/app/hello-link.exe");
  EXPECT_EQ(pack_error({{scratch_ / "out", "/"}}),
            "windows layers cannot hold symlinks: " + (scratch_ / "out/app/hello-link.exe").string() +
                "; copy the file instead");
  EXPECT_EQ(pack_error({{scratch_ / "out/app/hello-link.exe", "/app/hello.exe"}}),
            "windows layers cannot hold symlinks: " + (scratch_ / "out/app/hello-link.exe").string() +
                "; copy the file instead");
  // Nothing is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch_ / "blobs/sha256"), fs::directory_iterator()), 0);
}

TEST_F(WindowsLayerTest, NamesThatAreNotUtf8AreRefused) {
  scratch_.write("latin/caf\xe9.txt", "coffee");
  EXPECT_EQ(pack_error({{scratch_ / "latin", "/"}}), "windows layers need UTF-8 file names, and " +
                                                         (scratch_ / "latin/caf\xe9.txt").string() +
                                                         " is not valid UTF-8; rename it");
}

TEST_F(WindowsLayerTest, Utf8NamesGetAPathRecord) {
  scratch_.write("utf8/caf\xc3\xa9.txt", "coffee");
  RawTar tar = read_raw_tar(tar_of("blobs", pack({{scratch_ / "utf8", "/"}}, "blobs")));
  ASSERT_EQ(names(tar), (std::vector<std::string>{"Hives", "Files", "Files/caf\xc3\xa9.txt"}));
  EXPECT_EQ(tar.entries[2].name_field, "Files/caf.txt");  // ASCII for readers without pax
  EXPECT_EQ(tar.entries[2].data, "coffee");
}

TEST_F(WindowsLayerTest, TimeBefore1970IsRefused) {
  EXPECT_EQ(pack_error({{scratch_ / "out", "/"}}, -1),
            "the layer time -1 does not fit a tar header: it must be between 0 and 8589934591 seconds since 1970");
}

TEST_F(WindowsLayerTest, TwoPacksAreByteEqualAndTheTimeCounts) {
  LayerBlob first = pack({{scratch_ / "out", "/"}}, "blobs1");
  LayerBlob second = pack({{scratch_ / "out", "/"}}, "blobs2");
  EXPECT_EQ(first.digest, second.digest);
  EXPECT_EQ(first.diff_id, second.diff_id);
  EXPECT_EQ(read_file(blob_path(scratch_ / "blobs1", first.digest)).value(),
            read_file(blob_path(scratch_ / "blobs2", second.digest)).value());
  LayerBlob later = pack({{scratch_ / "out", "/"}}, "blobs3", kMtime + 1);
  EXPECT_NE(first.diff_id, later.diff_id);
}

TEST_F(WindowsLayerTest, DigestsAndSizeDescribeTheBlob) {
  LayerBlob blob = pack({{scratch_ / "out", "/"}}, "blobs");
  std::string compressed = read_file(blob_path(scratch_ / "blobs", blob.digest)).value();
  EXPECT_EQ(blob.digest, sha256_digest(compressed));
  EXPECT_EQ(blob.diff_id, sha256_digest(gunzip(compressed)));
  EXPECT_EQ(blob.size, static_cast<std::int64_t>(compressed.size()));
  // The gzip header is the pinned one of Linux layers (extra flags 4: the fastest level).
  EXPECT_EQ(compressed.substr(0, 10), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xff", 10));
}

TEST_F(WindowsLayerTest, TheLinuxFormatIsUnchanged) {
  Result<LayerBlob> by_default = write_layer({{scratch_ / "out", "/"}}, kMtime, scratch_ / "blobs1");
  Result<LayerBlob> linux_layer =
      write_layer({{scratch_ / "out", "/"}}, kMtime, scratch_ / "blobs2", LayerFormat::linux);
  Result<LayerBlob> windows_layer =
      write_layer({{scratch_ / "out", "/"}}, kMtime, scratch_ / "blobs3", LayerFormat::windows);
  ASSERT_TRUE(by_default.ok() && linux_layer.ok() && windows_layer.ok());
  EXPECT_EQ(by_default.value().digest, linux_layer.value().digest);
  EXPECT_NE(linux_layer.value().diff_id, windows_layer.value().diff_id);
  std::string tar = gunzip(read_file(blob_path(scratch_ / "blobs2", linux_layer.value().digest)).value());
  EXPECT_EQ(tar.find("MSWINDOWS"), std::string::npos);
  EXPECT_EQ(tar.find("Files/"), std::string::npos);
}

TEST_F(WindowsLayerTest, BigFilesStreamThroughConstantMemory) {
  constexpr std::int64_t kSize = 128LL << 20;
  scratch_.write("big/zeros.bin", "");
  fs::resize_file(scratch_ / "big/zeros.bin", kSize);  // sparse: cheap to create
  struct rusage before {};
  getrusage(RUSAGE_SELF, &before);
  LayerBlob blob = pack({{scratch_ / "big", "/"}}, "blobs");
  struct rusage after {};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 32 * 1024) << "KiB more at peak";
  std::string compressed = read_file(blob_path(scratch_ / "blobs", blob.digest)).value();
  std::string tar = gunzip(compressed);
  // Three entries of 'x' header, records and ustar header, then the data and the end.
  ASSERT_EQ(tar.size(), 3 * 1536 + static_cast<std::size_t>(kSize) + 1024);
  EXPECT_EQ(tar.substr(3 * 1536 - 512 + 124, 12), std::string("01000000000\0", 12));  // the size field
}

// Python's tarfile reads the gzipped blob on its own: names, types, modes, owners, times, pax
// records and content must be what the layer should hold.
TEST_F(WindowsLayerTest, PythonTarfileReadsTheLayer) {
  ASSERT_EQ(std::system("python3 -c pass >/dev/null 2>&1"), 0) << "python3 is needed to read the layer back";
  LayerBlob blob = pack({{scratch_ / "out", "/"}}, "blobs");
  fs::path script = scratch_.write("list.py",
                                   "import hashlib, sys, tarfile\n"
                                   "with tarfile.open(sys.argv[1], 'r:gz') as t:\n"
                                   "    for m in t:\n"
                                   "        data = t.extractfile(m).read() if m.isreg() else b''\n"
                                   "        pax = ';'.join(k + '=' + v for k, v in sorted(m.pax_headers.items()))\n"
                                   "        print('|'.join([m.name, m.type.decode(), '%o' % m.mode, str(m.size),\n"
                                   "                        str(m.mtime), str(m.uid), str(m.gid), m.uname, m.gname,\n"
                                   "                        hashlib.sha256(data).hexdigest()[:12], pax]))\n");
  fs::path listing = scratch_ / "listing.txt";
  std::string command = "python3 " + shell_quote(script.string()) + " " +
                        shell_quote(blob_path(scratch_ / "blobs", blob.digest).string()) + " >" +
                        shell_quote(listing.string()) + " 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << read_file(listing).value();

  const std::string sd = std::string("MSWINDOWS.rawsd=") + kSecurityDescriptor;
  auto line = [&](const std::string& name, char type, const char* mode, const std::string& content,
                  const std::string& extra_pax = "") {
    std::string hash = sha256_digest(content).substr(7, 12);
    return name + "|" + type + "|" + mode + "|" + std::to_string(content.size()) + "|" + std::to_string(kMtime) +
           "|0|0|||" + hash + "|" + sd + extra_pax + "\n";
  };
  std::string expected = line("Hives", '5', "755", "") + line("Files", '5', "755", "") +
                         line("Files/app", '5', "750", "") + line("Files/app/config", '5', "755", "") +
                         line("Files/app/config/settings.txt", '0', "640", std::string(700, 's')) +
                         line("Files/app/hello.exe", '0', "755", "MZ hello") + line("Files/data", '5', "755", "") +
                         line("Files/data/" + kLongBase, '0', "644", "long", ";path=Files/data/" + kLongBase) +
                         line("Files/" + kSplitDir, '5', "755", "") +
                         line("Files/" + kSplitDir + "/" + kSplitBase, '0', "644", "split");
  EXPECT_EQ(read_file(listing).value(), expected);
}

// ---------------------------------------------------------------------------------------------
// pax_tar.h on its own

TEST(PaxTarTest, RecordLengthCountsItself) {
  EXPECT_EQ(pax_record("a", "b"), "6 a=b\n");
  EXPECT_EQ(pax_record("path", std::string(89, 'x')), "98 path=" + std::string(89, 'x') + "\n");
  EXPECT_EQ(pax_record("path", std::string(90, 'x')), "99 path=" + std::string(90, 'x') + "\n");
  // 98 bytes without the length: two digits would make 100, which has three, so 101.
  EXPECT_EQ(pax_record("path", std::string(91, 'x')), "101 path=" + std::string(91, 'x') + "\n");
  EXPECT_EQ(pax_record("path", std::string(92, 'x')), "102 path=" + std::string(92, 'x') + "\n");
}

TEST(PaxTarTest, SizesBeyondElevenOctalDigitsGetASizeRecord) {
  TarHeader header;
  header.name = "Files/huge.bin";
  header.size = 8LL << 30;  // 8 GiB: 0100000000000 needs 12 digits
  Result<std::string> bytes = pax_entry_header(header);
  ASSERT_TRUE(bytes.ok()) << bytes.error();
  RawTar tar = read_raw_tar(bytes.value() + tar_end());
  ASSERT_EQ(tar.entries.size(), 1u);
  EXPECT_EQ(tar.entries[0].pax_data, "19 size=8589934592\n");
  EXPECT_EQ(tar.entries[0].size_field, 0);
  EXPECT_EQ(tar.entries[0].size, 8LL << 30);
  EXPECT_TRUE(tar.entries[0].checksums_ok);

  header.size = (8LL << 30) - 1;
  bytes = pax_entry_header(header);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes.value().size(), 512u);  // no records, no 'x' header
  EXPECT_EQ(bytes.value().substr(124, 12), std::string("77777777777\0", 12));
}

TEST(PaxTarTest, PaddingAndEnd) {
  EXPECT_EQ(tar_padding(0), 0u);
  EXPECT_EQ(tar_padding(1), 511u);
  EXPECT_EQ(tar_padding(512), 0u);
  EXPECT_EQ(tar_padding(700), 324u);
  EXPECT_EQ(tar_end(), std::string(1024, '\0'));
}

}  // namespace
}  // namespace xb::oci
