// The environment of a stage.
//
// pkg-config: a cross stage gets PKG_CONFIG_LIBDIR so that only the target's .pc files are
// seen. PKG_CONFIG_SYSROOT_DIR is set only when those .pc files live inside the sysroot (a
// copied or mounted target filesystem, whose .pc files say prefix=/usr and mean <sysroot>/usr).
// Debian's cross packages are not laid out that way: the C library sits in /usr/<triple> but
// libfoo-dev:arm64 installs its .pc file in /usr/lib/aarch64-linux-gnu/pkgconfig with paths that
// are already right on the host, so prefixing them with /usr/aarch64-linux-gnu would break every
// -I and -L. Native and emulated stages run the target's own pkg-config, which knows its paths.
//
// A bare-metal stage gets the target's tools by their triple (arm-none-eabi-gcc, ...), its flags
// in CFLAGS/LDFLAGS (LDFLAGS with the startup object: every executable gets a vector table), the
// startup source's digest (so that a changed startup changes the stages' cache keys), and `xbuild firmware test` as
// XBUILD_EXEC, which runs an image under qemu-system-arm.
#include "toolchain/environment.h"

#include <algorithm>

#include "util/strings.h"

namespace xb {

// See the note at the top.
bool pkg_config_files_in_sysroot(const Toolchain& toolchain) {
  if (toolchain.sysroot.empty() || toolchain.pkg_config_libdir.empty()) return false;
  std::string root = toolchain.sysroot;
  if (root.back() != '/') root += '/';
  for (const std::string& directory : split(toolchain.pkg_config_libdir, ':')) {
    if (!directory.empty() && !starts_with(directory, root)) return false;
  }
  return true;
}

std::vector<std::string> exec_prefix(const Toolchain& toolchain, Strategy strategy,
                                     const std::filesystem::path& ld_prefix) {
  // Emulated stages run inside the target's root filesystem, where binfmt_misc runs everything.
  if (strategy != Strategy::cross) return {};
  std::vector<std::string> words = toolchain.runner;
  const std::string prefix = ld_prefix.empty() ? toolchain.sysroot : ld_prefix.string();
  for (std::string& word : words) word = replace_all(word, "{ld_prefix}", prefix);
  return words;
}

std::vector<std::string> sysroot_pkg_config_dirs(const Toolchain& toolchain, const std::filesystem::path& sysroot) {
  std::vector<std::string> dirs;
  for (const std::string& directory : split(toolchain.pkg_config_libdir, ':'))
    if (!directory.empty()) dirs.push_back((sysroot / std::filesystem::path(directory).relative_path()).string());
  std::string usr_lib = (sysroot / "usr/lib/pkgconfig").string();
  if (std::find(dirs.begin(), dirs.end(), usr_lib) == dirs.end()) dirs.push_back(usr_lib);
  return dirs;
}

std::string expand_state_dir(const std::string& text, const std::filesystem::path& state_dir) {
  return replace_all(text, "{state_dir}", state_dir.string());
}

std::map<std::string, std::string> runner_environment(const Toolchain& toolchain, Strategy strategy,
                                                      const std::filesystem::path& state_dir) {
  std::map<std::string, std::string> env;
  if (strategy != Strategy::cross) return env;
  for (const auto& [name, value] : toolchain.runner_env) env[name] = expand_state_dir(value, state_dir);
  return env;
}

std::map<std::string, std::string> stage_environment(const StageEnvironmentInput& input) {
  std::map<std::string, std::string> env;
  const Platform& target = input.target;
  const Toolchain* toolchain = input.toolchain;

  env["XBUILD_PLATFORM"] = target.str();
  env["XBUILD_OS"] = target.os;
  env["XBUILD_ARCH"] = target.architecture;
  env["XBUILD_VARIANT"] = target.variant;
  env["XBUILD_TRIPLE"] = toolchain ? toolchain->triple : "";
  env["XBUILD_STRATEGY"] = strategy_name(input.strategy);
  env["XBUILD_OUT"] = input.output_dir.string();
  env["XBUILD_WORK"] = input.work_dir.string();
  env["XBUILD_SRC"] = input.source_dir.string();
  const bool cross = toolchain && input.strategy == Strategy::cross;
  const std::filesystem::path& sysroot = input.roots.sysroot;
  env["XBUILD_EXEC"] = toolchain ? shell_join(exec_prefix(*toolchain, input.strategy, input.roots.ld_prefix)) : "";

  if (toolchain) {
    for (const auto& [variable, program] : toolchain->tools) env[variable] = program;
    for (const auto& [variable, value] : runner_environment(*toolchain, input.strategy, input.state_dir))
      env[variable] = value;
  }
  // With a sysroot the compilers are told where it is themselves: a Makefile's own CFLAGS or
  // LDFLAGS cannot lose it.
  if (cross && !sysroot.empty())
    for (const char* compiler : {"CC", "CXX"})
      if (env.count(compiler)) env[compiler] += " --sysroot=" + sysroot.string();
  env["PKG_CONFIG"] = "pkg-config";
  if (cross && !sysroot.empty()) {
    env["PKG_CONFIG_LIBDIR"] = join(sysroot_pkg_config_dirs(*toolchain, sysroot), ":");
    env["PKG_CONFIG_SYSROOT_DIR"] = sysroot.string();
  } else if (cross && !toolchain->pkg_config_libdir.empty()) {
    env["PKG_CONFIG_LIBDIR"] = toolchain->pkg_config_libdir;
    if (pkg_config_files_in_sysroot(*toolchain)) env["PKG_CONFIG_SYSROOT_DIR"] = toolchain->sysroot;
  }
  if (cross && !input.roots.ld_prefix.empty()) env["QEMU_LD_PREFIX"] = input.roots.ld_prefix.string();
  if (!input.meson_cross_file.empty()) env["XBUILD_MESON_CROSS_FILE"] = input.meson_cross_file.string();
  if (!input.cmake_toolchain_file.empty()) env["CMAKE_TOOLCHAIN_FILE"] = input.cmake_toolchain_file.string();
  // The arguments that make CMake, Meson and configure cross-compile, empty when not crossing:
  // one `run` line serves every platform.
  env["XBUILD_CMAKE_ARGS"] = input.cmake_toolchain_file.empty()
                                 ? ""
                                 : shell_quote("-DCMAKE_TOOLCHAIN_FILE=" + input.cmake_toolchain_file.string());
  env["XBUILD_MESON_ARGS"] =
      input.meson_cross_file.empty() ? "" : "--cross-file " + shell_quote(input.meson_cross_file.string());
  env["XBUILD_CONFIGURE_ARGS"] =
      cross ? (input.build_triple.empty() ? "" : "--build=" + input.build_triple + " ") + "--host=" + toolchain->triple
            : "";
  env["SOURCE_DATE_EPOCH"] = std::to_string(input.source_date_epoch);

  // docker buildx's automatic build arguments.
  env["TARGETPLATFORM"] = target.str();
  env["TARGETOS"] = target.os;
  env["TARGETARCH"] = target.architecture;
  env["TARGETVARIANT"] = target.variant;
  env["BUILDPLATFORM"] = input.build.str();
  return env;
}

}  // namespace xb

namespace xb::firmware {

std::map<std::string, std::string> stage_environment(const Target& target, const std::filesystem::path& xbuild,
                                                     const std::filesystem::path& meson_cross,
                                                     const std::filesystem::path& cmake_toolchain) {
  std::map<std::string, std::string> env;
  const std::string prefix = target.triple + "-";
  env["CC"] = prefix + "gcc";
  env["CXX"] = prefix + "g++";
  for (const char* tool : {"AR", "RANLIB", "STRIP", "LD", "OBJCOPY", "NM", "SIZE"}) env[tool] = prefix + to_lower(tool);
  env["CFLAGS"] = join(target.cflags, " ");
  env["CXXFLAGS"] = env["CFLAGS"];
  env["LDFLAGS"] = join(link_flags(target), " ");
  env["XBUILD_FIRMWARE_TARGET"] = target.name;
  if (target.startup) {
    env["XBUILD_FIRMWARE_STARTUP"] = target.startup->object.string();
    env["XBUILD_FIRMWARE_STARTUP_SHA256"] = target.startup->digest;
  }
  env["XBUILD_FIRMWARE_CPU"] = target.cpu;
  env["XBUILD_FIRMWARE_MACHINE"] = target.machine;
  env["XBUILD_FIRMWARE_LINK"] = target.link;
  // A project's own target: its definition and its script's content are in the cache keys.
  if (!target.linker_script.empty()) env["XBUILD_FIRMWARE_LINKER_SCRIPT"] = target.linker_script.string();
  if (!target.definition_digest.empty()) env["XBUILD_FIRMWARE_DEFINITION_SHA256"] = target.definition_digest;
  env["XBUILD_EXEC"] = shell_join(firmware_command(target, xbuild, "test"));
  if (!meson_cross.empty()) env["XBUILD_MESON_CROSS_FILE"] = meson_cross.string();
  if (!cmake_toolchain.empty()) env["CMAKE_TOOLCHAIN_FILE"] = cmake_toolchain.string();
  return env;
}

}  // namespace xb::firmware
