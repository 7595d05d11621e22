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
// in CFLAGS/LDFLAGS, and `xbuild firmware test` as XBUILD_EXEC, which runs an image under
// qemu-system-arm.
#include "toolchain/environment.h"

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

std::vector<std::string> exec_prefix(const Toolchain& toolchain, Strategy strategy) {
  // Emulated stages run inside the target's root filesystem, where binfmt_misc runs everything.
  if (strategy != Strategy::cross) return {};
  return toolchain.runner;
}

std::string expand_state_dir(const std::string& text, const std::filesystem::path& state_dir) {
  static const std::string kPlaceholder = "{state_dir}";
  std::string out = text;
  for (std::size_t at = out.find(kPlaceholder); at != std::string::npos;
       at = out.find(kPlaceholder, at + state_dir.string().size()))
    out.replace(at, kPlaceholder.size(), state_dir.string());
  return out;
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
  env["XBUILD_SRC"] = input.source_dir.string();
  env["XBUILD_EXEC"] = toolchain ? shell_join(exec_prefix(*toolchain, input.strategy)) : "";

  if (toolchain) {
    for (const auto& [variable, program] : toolchain->tools) env[variable] = program;
    for (const auto& [variable, value] : runner_environment(*toolchain, input.strategy, input.state_dir))
      env[variable] = value;
  }
  env["PKG_CONFIG"] = "pkg-config";
  if (toolchain && input.strategy == Strategy::cross && !toolchain->pkg_config_libdir.empty()) {
    env["PKG_CONFIG_LIBDIR"] = toolchain->pkg_config_libdir;
    if (pkg_config_files_in_sysroot(*toolchain)) env["PKG_CONFIG_SYSROOT_DIR"] = toolchain->sysroot;
  }
  if (!input.meson_cross_file.empty()) env["XBUILD_MESON_CROSS_FILE"] = input.meson_cross_file.string();
  if (!input.cmake_toolchain_file.empty()) env["CMAKE_TOOLCHAIN_FILE"] = input.cmake_toolchain_file.string();
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
  env["LDFLAGS"] = join(target.ldflags, " ");
  env["XBUILD_FIRMWARE_TARGET"] = target.name;
  env["XBUILD_FIRMWARE_CPU"] = target.cpu;
  env["XBUILD_FIRMWARE_MACHINE"] = target.machine;
  env["XBUILD_EXEC"] = shell_join({xbuild.string(), "firmware", "test", "--target", target.name});
  if (!meson_cross.empty()) env["XBUILD_MESON_CROSS_FILE"] = meson_cross.string();
  if (!cmake_toolchain.empty()) env["CMAKE_TOOLCHAIN_FILE"] = cmake_toolchain.string();
  return env;
}

}  // namespace xb::firmware
