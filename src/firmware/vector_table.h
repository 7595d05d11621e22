// Whether a firmware ELF has a vector table where the board's reset reads it. QEMU's Cortex-M
// reset loads the initial SP and PC from the table's first two words; an image without one
// (linked with rdimon.specs alone, say) locks up at once ("can't escalate 3 to HardFault").
// Judged from the ELF before QEMU starts, so such a test fails with the cause and its fix.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "toolchain/firmware_target.h"
#include "util/error.h"

namespace xb::firmware {

// Where the target puts its vector table: a project target's vector_table, else the address
// its ldflags give section .vectors (-Wl,--section-start=.vectors=ADDR); none when neither says.
std::optional<std::uint32_t> vector_table_address(const Target& target);

// What is wrong with the vector table at `address` of `elf`, as the verdict's reason ("no
// vector table at 0x00000000 in test.elf (nothing is loaded there)"), or none when it looks
// right: an initial SP inside the Cortex-M memory map's RAM regions and word-aligned, and a
// reset vector with the Thumb bit set inside an executable segment. A file that is not an ELF
// is not judged (QEMU loads it as a raw image); an ELF that cannot be read is an error.
Result<std::optional<std::string>> vector_table_problem(const std::filesystem::path& elf, std::uint32_t address);

// The lines printed after that verdict: why it matters and how to fix it.
std::vector<std::string> vector_table_hint(const Target& target, std::uint32_t address);

}  // namespace xb::firmware
