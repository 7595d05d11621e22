// Checking the vector table from the ELF's program headers alone, as QEMU's -kernel loads it:
// each PT_LOAD's file bytes go to its physical address (p_paddr), so the table's two words are
// the 8 bytes a PT_LOAD holds at the table's address. The initial SP must be word-aligned and
// inside (or the top of) a RAM region of the Armv7-M/Armv8-M memory map: code 0x0-0x1fffffff
// (RAM on the mps2 boards), SRAM 0x20000000-0x3fffffff, external RAM 0x60000000-0x9fffffff;
// peripheral, device and system addresses, and 0, are not a stack. The reset vector must have
// the Thumb bit set and point into the file bytes of an executable PT_LOAD (by its physical or
// virtual address, which the linker makes equal for these images). Only 32-bit little-endian
// ARM ELF files are judged.
#include "firmware/vector_table.h"

#include <cstdio>
#include <fstream>

namespace xb::firmware {

namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kPtLoad = 1;
constexpr std::uint32_t kPfExecute = 1;
constexpr std::uint16_t kEmArm = 40;
constexpr std::size_t kMaxProgramHeaders = 4096;
constexpr const char* kSectionStart = "--section-start=.vectors=";

std::string hex(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

std::uint32_t word(const std::string& bytes, std::size_t at, int size = 4) {
  std::uint32_t value = 0;
  for (int i = 0; i < size; ++i)
    value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  return value;
}

struct Segment {
  std::uint32_t type, offset, vaddr, paddr, filesz, flags;
  bool holds(std::uint32_t start, std::uint32_t address, std::uint32_t size) const {
    return address >= start && std::uint64_t{address} + size <= std::uint64_t{start} + filesz;
  }
};

Result<std::string> read_at(std::ifstream& in, std::uint64_t offset, std::size_t size, const std::string& name) {
  std::string bytes(size, '\0');
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::size_t>(in.gcount()) != size) return fail(name + ": the ELF file is cut short");
  return bytes;
}

bool stack_in_ram(std::uint32_t sp) {
  if (sp == 0 || sp % 4 != 0) return false;
  return sp <= 0x40000000u || (sp > 0x60000000u && sp <= 0xa0000000u);
}

}  // namespace

std::optional<std::uint32_t> vector_table_address(const Target& target) {
  if (target.vector_table) return target.vector_table;
  for (const std::string& flag : target.ldflags) {
    std::size_t at = flag.find(kSectionStart);
    if (at == std::string::npos) continue;
    const std::string value = flag.substr(at + std::string(kSectionStart).size());
    try {
      std::size_t used = 0;
      unsigned long long address = std::stoull(value, &used, 0);
      if (used == value.size() && address <= 0xffffffffu) return static_cast<std::uint32_t>(address);
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

Result<std::optional<std::string>> vector_table_problem(const fs::path& elf, std::uint32_t address) {
  const std::string name = elf.filename().string();
  std::ifstream in(elf, std::ios::binary);
  if (!in) return fail("cannot read " + elf.string());
  std::string head(52, '\0');
  in.read(head.data(), 52);
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (head.size() < 4 || head.compare(0, 4,
                                      "\x7f"
                                      "ELF") != 0)
    return std::optional<std::string>{};
  if (head.size() < 52 || head[4] != 1 || head[5] != 1 || word(head, 18, 2) != kEmArm)
    return std::optional<std::string>{name + " is not a 32-bit little-endian ARM ELF file"};
  const std::uint32_t phoff = word(head, 28);
  const std::size_t phentsize = word(head, 42, 2), phnum = word(head, 44, 2);
  if (phnum > kMaxProgramHeaders || (phnum > 0 && phentsize < 32))
    return fail(name + ": the ELF program header table is malformed");
  Result<std::string> table = read_at(in, phoff, phentsize * phnum, name);
  if (!table) return Failure{table.error()};
  std::vector<Segment> loads;
  for (std::size_t i = 0; i < phnum; ++i) {
    const std::size_t at = i * phentsize;
    const std::string& t = table.value();
    Segment s{word(t, at), word(t, at + 4), word(t, at + 8), word(t, at + 12), word(t, at + 16), word(t, at + 24)};
    if (s.type == kPtLoad && s.filesz > 0) loads.push_back(s);
  }

  const std::string where = "no vector table at " + hex(address) + " in " + name;
  const Segment* table_segment = nullptr;
  for (const Segment& s : loads)
    if (s.holds(s.paddr, address, 8)) table_segment = &s;
  if (!table_segment) return std::optional<std::string>{where + " (nothing is loaded there)"};
  Result<std::string> words =
      read_at(in, std::uint64_t{table_segment->offset} + (address - table_segment->paddr), 8, name);
  if (!words) return Failure{words.error()};
  const std::uint32_t sp = word(words.value(), 0), reset = word(words.value(), 4);
  if (!stack_in_ram(sp))
    return std::optional<std::string>{where + " (its first word, " + hex(sp) +
                                      ", is not an initial stack pointer in RAM)"};
  if ((reset & 1) == 0)
    return std::optional<std::string>{where + " (its reset vector, " + hex(reset) + ", has no Thumb bit)"};
  const std::uint32_t code = reset & ~1u;
  for (const Segment& s : loads)
    if ((s.flags & kPfExecute) != 0 && (s.holds(s.paddr, code, 2) || s.holds(s.vaddr, code, 2)))
      return std::optional<std::string>{};
  return std::optional<std::string>{where + " (its reset vector, " + hex(reset) + ", points outside the image's code)"};
}

std::vector<std::string> vector_table_hint(const Target& target, std::uint32_t address) {
  return {"QEMU's Cortex-M reset loads the initial SP and PC from the vector table at " + hex(address) + " on " +
              target.machine + "; without one it locks up (\"Lockup: can't escalate 3 to HardFault\")",
          "fix: link a vector table in section .vectors into every test executable: xbuild's own startup is in "
          "$LDFLAGS and the generated CMake and Meson files unless [firmware] startup = false; with your own, "
          "name its source in [firmware] startup, or link it yourself" +
              (target.linker_script.empty() ? std::string()
                                            : "; the linker script " + target.link + " must place it at " +
                                                  hex(address) + " (KEEP(*(.vectors)) first in that region)")};
}

}  // namespace xb::firmware
