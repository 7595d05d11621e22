// The run probe, as BuildKit does it: a tiny static ELF of an architecture that only calls
// exit(0). If executing it by its path succeeds, this kernel runs that architecture's binaries
// (natively or through a binfmt_misc handler).
#pragma once

#include <filesystem>
#include <string>

#include "util/error.h"

namespace xb {

// The bytes of a static ELF executable for a QEMU architecture name ("aarch64", "arm",
// "riscv64", "i386", "x86_64", "ppc64le", "s390x") whose whole program is exit(0).
Result<std::string> exit_zero_elf(const std::string& arch);

// Writes the probe for `arch` into a fresh temporary directory, executes it by its path, and
// says whether it exited with status 0 (within a few seconds).
bool probe_runs(const std::string& arch);

}  // namespace xb
