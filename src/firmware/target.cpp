// Firmware targets: toolchains/firmware/*.toml read with toml++ against a fixed schema (every
// key required, each of one type, no others), then the stage environment and the Meson/CMake
// cross files for a bare-metal build: Meson `system = 'none'`, CMake `Generic`, the CPU flags
// in c_args/CMAKE_C_FLAGS_INIT and the newlib specs in the link arguments.
#include "firmware/target.h"

#include <toml++/toml.h>

#include <algorithm>
#include <system_error>

#include "util/strings.h"

namespace xb::firmware {

namespace fs = std::filesystem;

namespace {

// "file:line:col" of a node, as config errors name places.
std::string at(const std::string& where, const toml::node& node) {
  return where + ":" + std::to_string(node.source().begin.line) + ":" + std::to_string(node.source().begin.column);
}

const std::vector<std::string> kKeys = {"name", "triple", "cpu", "machine", "cflags", "ldflags", "packages"};

Result<std::string> string_key(const toml::table& table, const std::string& key, const std::string& where) {
  const toml::node* node = table.get(key);
  if (!node) return Failure{where + ": missing key \"" + key + "\"; add " + key + " = \"...\""};
  if (!node->is_string()) return Failure{at(where, *node) + ": \"" + key + "\" must be a string"};
  return std::string(node->as_string()->get());
}

Result<std::vector<std::string>> string_list(const toml::node* node, const std::string& key, const std::string& where) {
  if (!node) return Failure{where + ": missing key \"" + key + "\"; add " + key + " = [\"...\"]"};
  const toml::array* array = node->as_array();
  if (!array) return Failure{at(where, *node) + ": \"" + key + "\" must be an array of strings"};
  std::vector<std::string> words;
  for (const toml::node& item : *array) {
    if (!item.is_string()) return Failure{at(where, item) + ": \"" + key + "\" must be an array of strings"};
    words.push_back(item.as_string()->get());
  }
  return words;
}

Result<Target> parse_target(const fs::path& file) {
  const std::string where = file.string();
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    return Failure{where + ":" + std::to_string(error.source().begin.line) + ": " + std::string(error.description())};
  }
  for (const auto& [key, value] : table) {
    if (std::find(kKeys.begin(), kKeys.end(), std::string(key.str())) == kKeys.end())
      return Failure{at(where, value) + ": unknown key \"" + std::string(key.str()) +
                     "\"; known keys: " + join(kKeys, ", ")};
  }
  Target target;
  for (auto [field, key] : {std::pair{&target.name, "name"},
                            {&target.triple, "triple"},
                            {&target.cpu, "cpu"},
                            {&target.machine, "machine"}}) {
    Result<std::string> value = string_key(table, key, where);
    if (!value) return Failure{value.error()};
    *field = value.value();
  }
  if (target.name != file.stem().string())
    return Failure{at(where, *table.get("name")) + ": name \"" + target.name + "\" must match the file name (\"" +
                   file.stem().string() + "\")"};
  for (auto [field, key] : {std::pair{&target.cflags, "cflags"}, {&target.ldflags, "ldflags"}}) {
    Result<std::vector<std::string>> value = string_list(table.get(key), key, where);
    if (!value) return Failure{value.error()};
    *field = value.value();
  }
  const toml::table* packages = table.get_as<toml::table>("packages");
  if (!packages) return Failure{where + ": missing table [packages] (compiler = [...], runner = [...])"};
  for (const auto& [key, value] : *packages) {
    if (key.str() != "compiler" && key.str() != "runner")
      return Failure{at(where, value) + ": unknown key \"" + std::string(key.str()) +
                     "\" in [packages]; known keys: compiler, runner"};
  }
  for (const char* key : {"compiler", "runner"}) {
    Result<std::vector<std::string>> value = string_list(packages->get(key), key, where);
    if (!value) return Failure{value.error()};
    target.packages[key] = value.value();
  }
  return target;
}

std::string meson_list(const std::vector<std::string>& words) {
  std::string out = "[";
  for (std::size_t i = 0; i < words.size(); ++i) out += (i ? ", '" : "'") + words[i] + "'";
  return out + "]";
}

}  // namespace

Result<std::vector<Target>> load_targets(const fs::path& directory) {
  std::vector<fs::path> files;
  std::error_code error;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error))
    if (it->path().extension() == ".toml") files.push_back(it->path());
  if (error) return Failure{"cannot read the firmware targets in " + directory.string() + ": " + error.message()};
  std::sort(files.begin(), files.end());
  std::vector<Target> targets;
  for (const fs::path& file : files) {
    Result<Target> target = parse_target(file);
    if (!target) return Failure{target.error()};
    targets.push_back(std::move(target).value());
  }
  return targets;
}

Result<Target> find_target(const fs::path& directory, const std::string& name) {
  Result<std::vector<Target>> targets = load_targets(directory);
  if (!targets) return Failure{targets.error()};
  std::vector<std::string> names;
  for (const Target& target : targets.value()) {
    if (target.name == name) return target;
    names.push_back(target.name);
  }
  return Failure{"unknown firmware target \"" + name + "\"; known targets: " + join(names, ", ") + " (files in " +
                 directory.string() + ")"};
}

std::map<std::string, std::string> stage_environment(const Target& target, const fs::path& xbuild,
                                                     const fs::path& meson_cross, const fs::path& cmake_toolchain) {
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

std::string meson_cross_file(const Target& target, const std::vector<std::string>& exe_wrapper) {
  const std::string prefix = target.triple + "-";
  std::vector<std::string> link = target.cflags;
  link.insert(link.end(), target.ldflags.begin(), target.ldflags.end());
  return "[binaries]\nc = '" + prefix + "gcc'\ncpp = '" + prefix + "g++'\nar = '" + prefix + "ar'\nstrip = '" + prefix +
         "strip'\nobjcopy = '" + prefix + "objcopy'\nsize = '" + prefix +
         "size'\nexe_wrapper = " + meson_list(exe_wrapper) +
         "\n\n[built-in options]\nc_args = " + meson_list(target.cflags) + "\nc_link_args = " + meson_list(link) +
         "\n\n[host_machine]\nsystem = 'none'\ncpu_family = 'arm'\ncpu = '" + target.cpu + "'\nendian = 'little'\n";
}

std::string cmake_toolchain_file(const Target& target, const std::vector<std::string>& emulator) {
  const std::string prefix = target.triple + "-";
  return "set(CMAKE_SYSTEM_NAME Generic)\nset(CMAKE_SYSTEM_PROCESSOR arm)\nset(CMAKE_C_COMPILER " + prefix +
         "gcc)\nset(CMAKE_CXX_COMPILER " + prefix + "g++)\nset(CMAKE_C_FLAGS_INIT \"" + join(target.cflags, " ") +
         "\")\nset(CMAKE_EXE_LINKER_FLAGS_INIT \"" + join(target.ldflags, " ") +
         "\")\nset(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)\nset(CMAKE_CROSSCOMPILING_EMULATOR " +
         join(emulator, ";") + ")\n";
}

}  // namespace xb::firmware
