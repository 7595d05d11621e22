// Compiling a bare-metal target's startup (toolchain/firmware_target.h Startup) into its object
// before the target's stages or `xbuild firmware env` use it: once, and again only when the
// object is missing or its source, its command or the compiler changed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "toolchain/firmware_target.h"
#include "util/error.h"

namespace xb::firmware {

// <triple>-gcc <cflags> -O2 -DXBUILD_STACK_TOP=0x... -c <source's file name> -o `output`, run
// in the source's directory (so the object names no directory of this machine).
std::vector<std::string> startup_command(const Target& target, const std::filesystem::path& output);

// Compiles target.startup (nothing to do without one) when its object is missing or stale:
// <object>.key records the source's digest, the command and the compiler found on PATH (its
// path, size and modification time). The object is written through a temporary sibling, so a
// failed compile leaves the last good one. Returns whether it compiled; a failure quotes the
// compiler's output.
Result<bool> prepare_startup(const Target& target);

}  // namespace xb::firmware
