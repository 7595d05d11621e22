// Hand-written pax headers. A ustar header is one 512-byte block of fixed fields: numbers as
// zero-padded octal ending in NUL, the checksum as six octal digits, NUL and a space (the sum of
// the header's bytes with the checksum field counted as spaces). A name that is longer than the
// 100-byte name field goes into the 155-byte prefix field up to a "/" when it can be split there;
// otherwise, and for names that are not ASCII (pax says UTF-8, ustar says nothing), the full name
// goes into a "path" record and the name field keeps an ASCII, truncated copy for old readers. A
// size of 8 GiB or more goes into a "size" record in the same way. The 'x' header is named like
// Go's: "<dir>/PaxHeaders.0/<base>", so it depends on nothing but the entry's name.
#include "oci/pax_tar.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

namespace xb::oci {

namespace {

constexpr std::size_t kNameSize = 100;
constexpr std::size_t kPrefixSize = 155;
constexpr std::int64_t kMaxOctal11 = (std::int64_t{1} << 33) - 1;  // 11 octal digits

// Field offsets and widths of a ustar header (POSIX.1-1988).
struct Field {
  std::size_t offset;
  std::size_t width;
};
constexpr Field kName{0, 100};
constexpr Field kMode{100, 8};
constexpr Field kUid{108, 8};
constexpr Field kGid{116, 8};
constexpr Field kSize{124, 12};
constexpr Field kMtime{136, 12};
constexpr Field kChecksum{148, 8};
constexpr std::size_t kTypeflag = 156;
constexpr Field kMagic{257, 6};
constexpr Field kVersion{263, 2};
constexpr Field kDevMajor{329, 8};
constexpr Field kDevMinor{337, 8};
constexpr Field kPrefix{345, 155};

using Block = std::array<char, kTarBlockSize>;

bool is_ascii(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

void put_string(Block& block, Field field, const std::string& text) {
  std::memcpy(block.data() + field.offset, text.data(), std::min(text.size(), field.width));
}

// Zero-padded octal in width - 1 digits and a NUL. The caller checks that the value fits.
void put_octal(Block& block, Field field, std::uint64_t value) {
  for (std::size_t i = field.width - 1; i-- > 0; value >>= 3)
    block[field.offset + i] = static_cast<char>('0' + (value & 7));
  block[field.offset + field.width - 1] = '\0';
}

void put_checksum(Block& block) {
  std::memset(block.data() + kChecksum.offset, ' ', kChecksum.width);
  std::uint64_t sum = 0;
  for (char c : block) sum += static_cast<unsigned char>(c);
  put_octal(block, Field{kChecksum.offset, kChecksum.width - 1}, sum);
  block[kChecksum.offset + kChecksum.width - 1] = ' ';
}

Block ustar_block(const std::string& name, const std::string& prefix, char typeflag, unsigned mode, std::int64_t size,
                  std::int64_t mtime) {
  Block block{};
  put_string(block, kName, name);
  put_octal(block, kMode, mode & 07777);
  put_octal(block, kUid, 0);
  put_octal(block, kGid, 0);
  put_octal(block, kSize, static_cast<std::uint64_t>(size));
  put_octal(block, kMtime, static_cast<std::uint64_t>(mtime));
  block[kTypeflag] = typeflag;
  put_string(block, kMagic, std::string("ustar\0", 6));
  put_string(block, kVersion, "00");
  put_octal(block, kDevMajor, 0);
  put_octal(block, kDevMinor, 0);
  put_string(block, kPrefix, prefix);
  put_checksum(block);
  return block;
}

struct UstarName {
  std::string prefix;
  std::string name;
};

// The name as ustar holds it, or nothing when it needs a "path" record. Splits at the last "/"
// that leaves a prefix of at most 155 bytes, as Go's archive/tar and libarchive do.
std::optional<UstarName> ustar_name(const std::string& path) {
  if (!is_ascii(path)) return std::nullopt;
  if (path.size() <= kNameSize) return UstarName{"", path};
  std::size_t limit = std::min(path.size() - 2, kPrefixSize);  // a "/" at the end splits nothing
  std::size_t slash = path.rfind('/', limit);
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  std::size_t rest = path.size() - slash - 1;
  if (rest == 0 || rest > kNameSize) return std::nullopt;
  return UstarName{path.substr(0, slash), path.substr(slash + 1)};
}

std::string ascii_only(const std::string& text) {
  std::string out;
  std::copy_if(text.begin(), text.end(), std::back_inserter(out),
               [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  return out;
}

std::string pax_header_name(const std::string& path) {
  std::size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string name = ascii_only(dir + "PaxHeaders.0/" + base).substr(0, kNameSize);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name;
}

void append(std::string& out, const Block& block) { out.append(block.data(), block.size()); }

}  // namespace

std::string pax_record(const std::string& key, const std::string& value) {
  std::size_t body = key.size() + value.size() + 3;  // " ", "=" and "\n"
  std::size_t length = body + std::to_string(body).size();
  // Adding the length's own digits can add a digit to the length (98 + 2 = 100).
  if (body + std::to_string(length).size() != length) length = body + std::to_string(length).size();
  return std::to_string(length) + " " + key + "=" + value + "\n";
}

Result<std::string> pax_entry_header(const TarHeader& header) {
  if (header.mtime < 0 || header.mtime > kMaxOctal11) {
    return fail("the layer time " + std::to_string(header.mtime) +
                " does not fit a tar header: it must be between 0 and " + std::to_string(kMaxOctal11) +
                " seconds since 1970");
  }
  std::vector<std::pair<std::string, std::string>> records = header.pax_records;
  std::optional<UstarName> name = ustar_name(header.name);
  if (!name) {
    records.emplace_back("path", header.name);
    name = UstarName{"", ascii_only(header.name).substr(0, kNameSize)};
  }
  std::int64_t ustar_size = header.size;
  if (header.size > kMaxOctal11) {
    records.emplace_back("size", std::to_string(header.size));
    ustar_size = 0;
  }
  std::sort(records.begin(), records.end());

  std::string out;
  if (!records.empty()) {
    std::string data;
    for (const auto& [key, value] : records) data += pax_record(key, value);
    append(out, ustar_block(pax_header_name(header.name), "", 'x', 0, static_cast<std::int64_t>(data.size()), 0));
    out += data;
    out.append(tar_padding(static_cast<std::int64_t>(data.size())), '\0');
  }
  append(out, ustar_block(name->name, name->prefix, header.typeflag, header.mode, ustar_size, header.mtime));
  return out;
}

std::size_t tar_padding(std::int64_t size) {
  std::size_t rest = static_cast<std::size_t>(size % static_cast<std::int64_t>(kTarBlockSize));
  return rest == 0 ? 0 : kTarBlockSize - rest;
}

std::string tar_end() { return std::string(2 * kTarBlockSize, '\0'); }

}  // namespace xb::oci
