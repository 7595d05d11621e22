// A tiny ELF executable written byte by byte, for the tests that read ELF program headers: the
// ELF header, a PT_INTERP program header when `interpreter` is not empty (a dynamically linked
// program, whose loader it names), a PT_LOAD one, then the interpreter's path. Both classes and
// both byte orders; nothing in it runs.
#pragma once

#include <cstdint>
#include <string>

namespace xb::testing {

inline std::string tiny_elf(bool is_64, bool big_endian, std::uint16_t machine, const std::string& interpreter) {
  std::string bytes;
  auto put = [&](std::uint64_t value, int size) {
    for (int i = 0; i < size; ++i) bytes += static_cast<char>(value >> (8 * (big_endian ? size - 1 - i : i)));
  };
  const int word = is_64 ? 8 : 4;
  const std::uint64_t header_size = is_64 ? 64 : 52;
  const std::uint64_t entry_size = is_64 ? 56 : 32;
  const std::uint64_t count = interpreter.empty() ? 1 : 2;
  const std::uint64_t interp_offset = header_size + count * entry_size;
  const std::uint64_t interp_size = interpreter.size() + 1;
  bytes +=
      "\x7f"
      "ELF";
  put(is_64 ? 2 : 1, 1);            // EI_CLASS
  put(big_endian ? 2 : 1, 1);       // EI_DATA
  put(1, 1);                        // EI_VERSION
  bytes.append(9, '\0');            // EI_OSABI .. padding
  put(2, 2);                        // e_type: ET_EXEC
  put(machine, 2);                  // e_machine
  put(1, 4);                        // e_version
  put(0x400000, word);              // e_entry
  put(header_size, word);           // e_phoff
  put(0, word);                     // e_shoff
  put(0, 4);                        // e_flags
  put(header_size, 2);              // e_ehsize
  put(entry_size, 2);               // e_phentsize
  put(count, 2);                    // e_phnum
  put(0, 2), put(0, 2), put(0, 2);  // e_shentsize, e_shnum, e_shstrndx
  auto program_header = [&](std::uint32_t type, std::uint64_t offset, std::uint64_t size) {
    put(type, 4);
    if (is_64) put(4, 4);  // p_flags
    put(offset, word);     // p_offset
    put(0x400000 + offset, word);
    put(0x400000 + offset, word);
    put(size, word);  // p_filesz
    put(size, word);  // p_memsz
    if (!is_64) put(4, 4);
    put(0x1000, word);  // p_align
  };
  if (!interpreter.empty()) program_header(3, interp_offset, interp_size);        // PT_INTERP
  program_header(1, 0, interp_offset + (interpreter.empty() ? 0 : interp_size));  // PT_LOAD
  if (!interpreter.empty()) {
    bytes += interpreter;
    bytes += '\0';
  }
  return bytes;
}

}  // namespace xb::testing
