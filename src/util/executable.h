// What the kernel starts for an executable file, read from its first bytes: an ELF program
// (with the dynamic loader its PT_INTERP program header names, if any), a "#!" script, or
// neither. Only the ELF header, the program header table and the PT_INTERP string are read,
// never the rest of the file.
#pragma once

#include <filesystem>
#include <string>

#include "util/error.h"

namespace xb {

struct ExecutableFormat {
  enum class Kind { elf, script, other };
  Kind kind = Kind::other;
  // elf: the PT_INTERP path (e.g. "/lib/ld-linux-aarch64.so.1"), empty when linked statically;
  // script: the program of the "#!" line; other: empty.
  std::string interpreter;
};

// Fails when the file cannot be read, or is an ELF file whose headers are cut short or point
// outside it.
Result<ExecutableFormat> read_executable_format(const std::filesystem::path& file);

}  // namespace xb
