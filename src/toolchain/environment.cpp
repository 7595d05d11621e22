// The environment of a stage, and the Meson cross file and CMake toolchain file that describe
// the same toolchain to those build systems.
//
// pkg-config: a cross stage gets PKG_CONFIG_LIBDIR so that only the target's .pc files are
// seen. PKG_CONFIG_SYSROOT_DIR is set only when those .pc files live inside the sysroot (a
// copied or mounted target filesystem, whose .pc files say prefix=/usr and mean <sysroot>/usr).
// Debian's cross packages are not laid out that way: the C library sits in /usr/<triple> but
// libfoo-dev:arm64 installs its .pc file in /usr/lib/aarch64-linux-gnu/pkgconfig with paths that
// are already right on the host, so prefixing them with /usr/aarch64-linux-gnu would break every
// -I and -L. Native and emulated stages run the target's own pkg-config, which knows its paths.
#include "toolchain/environment.h"

#include "util/strings.h"

namespace xb {

namespace {

// True when every PKG_CONFIG_LIBDIR entry is inside the sysroot (see the note at the top).
bool pkg_config_files_in_sysroot(const Toolchain& toolchain) {
  if (toolchain.sysroot.empty() || toolchain.pkg_config_libdir.empty()) return false;
  std::string root = toolchain.sysroot;
  if (root.back() != '/') root += '/';
  for (const std::string& directory : split(toolchain.pkg_config_libdir, ':')) {
    if (!directory.empty() && !starts_with(directory, root)) return false;
  }
  return true;
}

// A Meson string literal: '...' with backslashes and quotes escaped.
std::string meson_string(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string meson_array(const std::vector<std::string>& words) {
  std::vector<std::string> quoted;
  for (const std::string& word : words) quoted.push_back(meson_string(word));
  return "[" + join(quoted, ", ") + "]";
}

// One element of a CMake quoted argument: ';' would split it, '$' and '\' would be evaluated.
std::string cmake_element(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"' || c == '$' || c == ';') out += '\\';
    out += c;
  }
  return out;
}

std::string cmake_string(std::string_view text) { return "\"" + cmake_element(text) + "\""; }

std::string cmake_list(const std::vector<std::string>& words) {
  std::vector<std::string> elements;
  for (const std::string& word : words) elements.push_back(cmake_element(word));
  return "\"" + join(elements, ";") + "\"";
}

std::string tool(const Toolchain& toolchain, const std::string& variable) {
  auto found = toolchain.tools.find(variable);
  return found == toolchain.tools.end() ? std::string() : found->second;
}

}  // namespace

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

std::string meson_cross_file(const Toolchain& toolchain, const std::vector<std::string>& exe_wrapper) {
  std::string out = "# Meson cross file generated by xbuild for " + toolchain.platform.str() +
                    "; written again on every run, do not edit.\n";
  out += "[binaries]\n";
  const std::pair<const char*, const char*> binaries[] = {{"c", "CC"},        {"cpp", "CXX"},         {"ar", "AR"},
                                                          {"strip", "STRIP"}, {"objcopy", "OBJCOPY"}, {"nm", "NM"}};
  for (const auto& [name, variable] : binaries) {
    std::string program = tool(toolchain, variable);
    if (!program.empty()) out += std::string(name) + " = " + meson_string(program) + "\n";
  }
  out += "pkg-config = " + meson_string("pkg-config") + "\n";
  if (!exe_wrapper.empty()) out += "exe_wrapper = " + meson_array(exe_wrapper) + "\n";

  out += "\n[properties]\n";
  std::vector<std::string> libdirs;
  for (const std::string& directory : split(toolchain.pkg_config_libdir, ':')) {
    if (!directory.empty()) libdirs.push_back(directory);
  }
  out += "pkg_config_libdir = " + meson_array(libdirs) + "\n";
  if (pkg_config_files_in_sysroot(toolchain)) out += "sys_root = " + meson_string(toolchain.sysroot) + "\n";

  out += "\n[host_machine]\n";
  out += "system = " + meson_string(toolchain.meson.system) + "\n";
  out += "cpu_family = " + meson_string(toolchain.meson.cpu_family) + "\n";
  out += "cpu = " + meson_string(toolchain.meson.cpu) + "\n";
  out += "endian = " + meson_string(toolchain.meson.endian) + "\n";
  return out;
}

std::string cmake_toolchain_file(const Toolchain& toolchain, const std::vector<std::string>& emulator) {
  std::string out = "# CMake toolchain file generated by xbuild for " + toolchain.platform.str() +
                    "; written again on every run, do not edit.\n";
  out += "set(CMAKE_SYSTEM_NAME " + cmake_string(toolchain.cmake.system_name) + ")\n";
  out += "set(CMAKE_SYSTEM_PROCESSOR " + cmake_string(toolchain.cmake.system_processor) + ")\n";
  const std::pair<const char*, const char*> programs[] = {
      {"CMAKE_C_COMPILER", "CC"}, {"CMAKE_CXX_COMPILER", "CXX"}, {"CMAKE_AR", "AR"}};
  for (const auto& [name, variable] : programs) {
    std::string program = tool(toolchain, variable);
    if (!program.empty()) out += "set(" + std::string(name) + " " + cmake_string(program) + ")\n";
  }
  // Programs come from the host; libraries, headers and packages only from the target's root.
  // The host's own toolchain has no separate root, so nothing is re-rooted.
  if (!toolchain.sysroot.empty()) {
    out += "set(CMAKE_FIND_ROOT_PATH " + cmake_string(toolchain.sysroot) + ")\n";
    out += "set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)\n";
    out += "set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)\n";
    out += "set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)\n";
    out += "set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)\n";
  }
  if (!emulator.empty()) out += "set(CMAKE_CROSSCOMPILING_EMULATOR " + cmake_list(emulator) + ")\n";
  return out;
}

}  // namespace xb
