// The generated Meson cross file and CMake toolchain file that describe a target's toolchain to
// those build systems ($XBUILD_MESON_CROSS_FILE, $CMAKE_TOOLCHAIN_FILE): for a toolchains/*.toml
// entry, and for a bare-metal target of toolchains/firmware/.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "toolchain/firmware_target.h"
#include "toolchain/toolchain.h"

namespace xb {

// `exe_wrapper` / `emulator`: the words that run a target binary on this host (empty: none);
// `sysroot`: the target's libraries made from Debian packages (empty: none), which the compilers,
// pkg-config and the build system's searches then use; `launcher`: the words in front of the C
// and C++ compilers (ccache; empty: none), in Meson's compiler arrays and CMake's
// CMAKE_<LANG>_COMPILER_LAUNCHER.
std::string meson_cross_file(const Toolchain& toolchain, const std::vector<std::string>& exe_wrapper,
                             const std::filesystem::path& sysroot = {}, const std::vector<std::string>& launcher = {});
std::string cmake_toolchain_file(const Toolchain& toolchain, const std::vector<std::string>& emulator,
                                 const std::filesystem::path& sysroot = {},
                                 const std::vector<std::string>& launcher = {});

}  // namespace xb

namespace xb::firmware {

// Meson `system = 'none'`, CMake `Generic`; the CPU flags in c_args / cpp_args /
// CMAKE_C_FLAGS_INIT and the link flags (link_flags(): the newlib specs, the startup object) in
// c_link_args / cpp_link_args / CMAKE_EXE_LINKER_FLAGS_INIT, so every executable, Meson's
// sanity check included, gets a vector table. The CMake file leaves out each flag that CFLAGS,
// CXXFLAGS, ASMFLAGS or LDFLAGS of its environment hold already, so the flags reach gcc once
// either way. The wrapper/emulator is `xbuild firmware exec --target NAME`: it runs the image
// with its arguments and exits with the image's own status, which is how Meson and CTest judge a
// test (and Meson its sanity check).
// `launcher` as above.
std::string meson_cross_file(const Target& target, const std::vector<std::string>& exe_wrapper,
                             const std::vector<std::string>& launcher = {});
std::string cmake_toolchain_file(const Target& target, const std::vector<std::string>& emulator,
                                 const std::vector<std::string>& launcher = {});

}  // namespace xb::firmware
