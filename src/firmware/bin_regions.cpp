// Reads `objdump -h` (each section on one line, its flags on the next), keeps the sections
// objcopy -O binary writes (CONTENTS and LOAD, not empty), sorts them by load address (LMA)
// and walks them once: a section that starts more than kMaxBinGap past the end of the region
// so far starts a new region. Each region is then written by objcopy -O binary with only its
// sections (-j), which gives the same bytes objcopy writes for the whole ELF when there is one.
#include "firmware/bin_regions.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <sstream>

#include "util/strings.h"

namespace xb::firmware {

namespace {

// A column of objdump -h: hex digits only, all of it ("0000001g" is no number).
std::optional<std::uint64_t> hex_number(const std::string& text) {
  if (text.empty() || text.size() > 16 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c) != 0; }))
    return std::nullopt;
  return std::stoull(text, nullptr, 16);
}

}  // namespace

Result<std::vector<Section>> parse_section_headers(std::string_view objdump_output) {
  std::vector<std::string> lines = split(std::string(objdump_output), '\n');
  std::vector<Section> sections;
  for (std::size_t index = 0; index < lines.size(); ++index) {
    std::istringstream line(lines[index]);
    std::string idx, name, size, vma, lma;
    if (!(line >> idx) || idx.empty() ||
        !std::all_of(idx.begin(), idx.end(), [](unsigned char c) { return c >= '0' && c <= '9'; }))
      continue;
    if (!(line >> name >> size >> vma >> lma) || index + 1 >= lines.size())
      return Failure{"unexpected objdump -h line: \"" + lines[index] + "\""};
    std::optional<std::uint64_t> size_bytes = hex_number(size), load_address = hex_number(lma);
    if (!size_bytes || !load_address) return Failure{"unexpected objdump -h line: \"" + lines[index] + "\""};
    Section section;
    section.name = name;
    section.size = *size_bytes;
    section.lma = *load_address;
    const std::string& flags = lines[++index];
    section.loaded = flags.find("CONTENTS") != std::string::npos && flags.find("LOAD") != std::string::npos;
    sections.push_back(section);
  }
  return sections;
}

std::string hex_address(std::uint64_t address) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%08llx", static_cast<unsigned long long>(address));
  return text;
}

std::vector<BinRegion> bin_regions(const std::vector<Section>& sections, const std::string& name) {
  std::vector<const Section*> loaded;
  for (const Section& section : sections)
    if (section.loaded && section.size > 0) loaded.push_back(&section);
  std::stable_sort(loaded.begin(), loaded.end(), [](const Section* a, const Section* b) { return a->lma < b->lma; });
  std::vector<BinRegion> regions;
  for (const Section* section : loaded) {
    if (regions.empty() || section->lma > regions.back().end + kMaxBinGap)
      regions.push_back({section->lma, section->lma, {}, ""});
    BinRegion& region = regions.back();
    region.end = std::max(region.end, section->lma + section->size);
    region.sections.push_back(section->name);
  }
  for (BinRegion& region : regions)
    region.file = regions.size() == 1 ? name + ".bin" : name + "." + hex_address(region.start) + ".bin";
  return regions;
}

}  // namespace xb::firmware
