// Where a firmware's .bin files start. `objcopy -O binary` writes one file from the lowest load
// address to the highest, zeros between: an ELF with code at 0x0 and data loaded at 0x20000000
// would give a 512 MiB .bin. So the loadable sections are grouped into regions, a new region
// wherever more than kMaxBinGap bytes lie between two of them, and each region is a .bin of its
// own whose name says its address (NAME.0x20000000.bin; one region: NAME.bin), as flashing
// tools take a .bin and the address to write it at (st-flash write FILE ADDR, dfu-util -s ADDR).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace xb::firmware {

inline constexpr std::uint64_t kMaxBinGap = std::uint64_t{16} << 20;  // 16 MiB

struct Section {
  std::string name;
  std::uint64_t size = 0, lma = 0;
  bool loaded = false;  // CONTENTS and LOAD: objcopy -O binary writes it
};

// The sections of `objdump -h` output (Idx Name Size VMA LMA File off Algn, then a flags line).
Result<std::vector<Section>> parse_section_headers(std::string_view objdump_output);

struct BinRegion {
  std::uint64_t start = 0, end = 0;   // load addresses: [start, end)
  std::vector<std::string> sections;  // in address order
  std::string file;                   // NAME.bin, or NAME.0x<start, 8 hex digits>.bin
};

// The regions of the loaded, non-empty sections, in address order, with their file names.
std::vector<BinRegion> bin_regions(const std::vector<Section>& sections, const std::string& name);

// "0x08000000": a load address as the .bin's name and annotation write it.
std::string hex_address(std::uint64_t address);

}  // namespace xb::firmware
