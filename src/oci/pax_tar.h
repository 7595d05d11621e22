// Tar headers written by hand, for layers that need pax records libarchive will not write (the
// Windows layer format puts a vendor record, MSWINDOWS.rawsd, on every entry). Each header is a
// typeflag 'x' pax header with its records, then a ustar header ("ustar\0", version "00"), laid
// out the way Go's archive/tar writes FormatPAX headers. Owners are always 0:0 with empty names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "util/error.h"

namespace xb::oci {

constexpr std::size_t kTarBlockSize = 512;

struct TarHeader {
  std::string name;  // written as given: no "/" is added to directories
  char typeflag = '0';
  unsigned mode = 0644;
  std::int64_t size = 0;
  std::int64_t mtime = 0;
  // Records for the 'x' header besides the "path" and "size" ones added when ustar cannot hold
  // the name or the size. All are written sorted by key.
  std::vector<std::pair<std::string, std::string>> pax_records;
};

// One pax record: "<length> <key>=<value>\n", the length counting the whole record.
std::string pax_record(const std::string& key, const std::string& value);

// The bytes that go before an entry's data: the 'x' header block, its records padded to a whole
// block, and the entry's ustar header. Fails when the mtime does not fit a ustar header.
Result<std::string> pax_entry_header(const TarHeader& header);

// How many zero bytes pad `size` bytes of data to a whole block.
std::size_t tar_padding(std::int64_t size);

// The end of the archive: two zero blocks.
std::string tar_end();

}  // namespace xb::oci
