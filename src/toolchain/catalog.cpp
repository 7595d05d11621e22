// The toolchain catalog: every toolchains/*.toml read once, in name order.
//
// Each file is read through a TomlReader (config/toml_reader.h) and checked against a fixed
// schema: the top level holds platform, triple, sysroot, pkg_config_libdir, runner and qemu_arch,
// and the tables [tools], [meson], [cmake] and [packages] hold their own fixed keys; the optional
// [runner_env] (any variable names) and [runner_setup] (command, creates) describe what the
// runner needs. A key the schema does not know, a missing key, or a value of the wrong type
// becomes a Diagnostic (file:line:col, the line and a caret, rendered like xbuild.toml's), and
// reading carries on, so one load reports every problem in every file. Two files claiming the
// same platform is an error too, reported at the second.

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/toml_reader.h"
#include "toolchain/toolchain.h"
#include "util/fs.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kTopLevelKeys = {"platform", "triple",    "sysroot",    "pkg_config_libdir",
                                                "runner",   "qemu_arch", "tools",      "meson",
                                                "cmake",    "packages",  "runner_env", "runner_setup"};
const std::vector<std::string> kToolKeys = {"CC", "CXX", "AR", "RANLIB", "STRIP", "LD", "OBJCOPY", "NM"};
const std::vector<std::string> kMesonKeys = {"system", "cpu_family", "cpu", "endian"};
const std::vector<std::string> kCmakeKeys = {"system_name", "system_processor"};
const std::vector<std::string> kPackageKeys = {"compiler", "cxx", "runner"};
const std::vector<std::string> kRunnerSetupKeys = {"command", "creates"};

using Blank = TomlReader::Blank;

// An array of strings that must be there (it may be empty); nullopt when any element is not a
// string.
std::optional<std::vector<std::string>> required_strings(TomlReader& reader, const TomlTable& table,
                                                         std::string_view key, const std::string& scope) {
  const TomlValue* value = reader.required(table, key, scope);
  if (!value) return std::nullopt;
  const std::vector<TomlValue>* array = value->as_array();
  if (!array) {
    reader.wrong_type(*value, key, scope, "an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> words;
  bool all_strings = true;
  for (const TomlValue& element : *array) {
    if (const std::string* word = element.as_string()) {
      words.push_back(*word);
    } else {
      reader.report(element, "elements of " + in_quotes(key) + " " + in_scope(scope) + " must be strings, found " +
                                 element.type_name());
      all_strings = false;
    }
  }
  if (!all_strings) return std::nullopt;
  return words;
}

// [runner_env]: any variable names, each with a string.
std::map<std::string, std::string> read_runner_env(TomlReader& reader, const TomlTable& root) {
  std::map<std::string, std::string> env;
  const TomlTable* table = reader.table(root, "runner_env", "");
  if (!table) return env;
  for (const TomlEntry& entry : table->entries()) {
    if (const std::string* text = entry.value.as_string())
      env[entry.key] = *text;
    else
      reader.wrong_type(entry.value, entry.key, "[runner_env]", "a string");
  }
  return env;
}

// The toolchain of one file, or nullopt when anything in it was wrong (and reported).
// `platform_at` is set to where the platform was written.
std::optional<Toolchain> read_toolchain(TomlReader& reader, const TomlTable& root, TomlPosition& platform_at) {
  std::size_t errors_before = reader.error_count();
  Toolchain toolchain;
  reader.check_keys(root, kTopLevelKeys, "");

  if (std::optional<std::string> text = reader.required_string(root, "platform", "")) {
    Result<Platform> platform = parse_platform(*text);
    if (platform.ok()) {
      toolchain.platform = platform.value();
      platform_at = root.get("platform")->position();
    } else {
      reader.report(*root.get("platform"), platform.error());
    }
  }
  toolchain.triple = reader.required_string(root, "triple", "").value_or("");
  toolchain.sysroot = reader.required_string(root, "sysroot", "", Blank::allowed).value_or("");
  toolchain.pkg_config_libdir = reader.required_string(root, "pkg_config_libdir", "", Blank::allowed).value_or("");
  toolchain.runner = required_strings(reader, root, "runner", "").value_or(std::vector<std::string>{});
  toolchain.qemu_arch = reader.required_string(root, "qemu_arch", "").value_or("");

  if (const TomlTable* tools = reader.required_table(root, "tools")) {
    reader.check_keys(*tools, kToolKeys, "[tools]");
    for (const std::string& key : kToolKeys) {
      if (std::optional<std::string> program = reader.required_string(*tools, key, "[tools]"))
        toolchain.tools[key] = *program;
    }
  }
  if (const TomlTable* meson = reader.required_table(root, "meson")) {
    reader.check_keys(*meson, kMesonKeys, "[meson]");
    toolchain.meson.system = reader.required_string(*meson, "system", "[meson]").value_or("");
    toolchain.meson.cpu_family = reader.required_string(*meson, "cpu_family", "[meson]").value_or("");
    toolchain.meson.cpu = reader.required_string(*meson, "cpu", "[meson]").value_or("");
    std::optional<std::string> endian = reader.required_string(*meson, "endian", "[meson]");
    if (endian && *endian != "little" && *endian != "big")
      reader.report(*meson->get("endian"),
                    "\"endian\" in [meson] must be \"little\" or \"big\", got " + in_quotes(*endian));
    toolchain.meson.endian = endian.value_or("");
  }
  if (const TomlTable* cmake = reader.required_table(root, "cmake")) {
    reader.check_keys(*cmake, kCmakeKeys, "[cmake]");
    toolchain.cmake.system_name = reader.required_string(*cmake, "system_name", "[cmake]").value_or("");
    toolchain.cmake.system_processor = reader.required_string(*cmake, "system_processor", "[cmake]").value_or("");
  }
  toolchain.runner_env = read_runner_env(reader, root);
  if (const TomlTable* setup = reader.table(root, "runner_setup", "")) {
    reader.check_keys(*setup, kRunnerSetupKeys, "[runner_setup]");
    toolchain.runner_setup.command =
        required_strings(reader, *setup, "command", "[runner_setup]").value_or(std::vector<std::string>{});
    toolchain.runner_setup.creates = reader.required_string(*setup, "creates", "[runner_setup]").value_or("");
    if (toolchain.runner_setup.command.empty() && setup->get("command"))
      reader.report(*setup->get("command"), "\"command\" in [runner_setup] must name a program");
  }
  if (const TomlTable* packages = reader.required_table(root, "packages")) {
    reader.check_keys(*packages, kPackageKeys, "[packages]");
    for (const std::string& key : kPackageKeys) {
      if (std::optional<std::vector<std::string>> names = required_strings(reader, *packages, key, "[packages]"))
        toolchain.packages[key] = *names;
    }
  }
  if (reader.error_count() != errors_before) return std::nullopt;
  return toolchain;
}

bool same_target(const Platform& a, const Platform& b) {
  return a.os == b.os && a.architecture == b.architecture && a.variant == b.variant;
}

bool has_toolchains(const fs::path& directory) {
  std::error_code error;
  return !directory.empty() && fs::is_directory(directory / "toolchains", error);
}

// Reads `file` and appends its toolchain to `toolchains`, or its problems to `diagnostics`.
void read_toolchain_file(TomlReader& reader, const fs::path& file, std::vector<Toolchain>& toolchains) {
  std::optional<TomlTable> root = reader.parse();
  TomlPosition platform_at;
  std::optional<Toolchain> toolchain = root ? read_toolchain(reader, *root, platform_at) : std::nullopt;
  if (toolchain) {
    auto same = [&](const Toolchain& other) { return same_target(other.platform, toolchain->platform); };
    auto existing = std::find_if(toolchains.begin(), toolchains.end(), same);
    if (existing != toolchains.end()) {
      reader.report(platform_at,
                    "platform " + toolchain->platform.str() + " is already provided by " + existing->source.string());
    } else {
      toolchain->id = file.stem().string();
      toolchain->source = file;
      toolchains.push_back(std::move(*toolchain));
    }
  }
}

}  // namespace

Result<ToolchainCatalog> ToolchainCatalog::load(const fs::path& directory) {
  ToolchainCatalog catalog;
  Result<std::size_t> files = read_toml_files(
      directory, "cannot read toolchain directory " + directory.string(),
      [&](TomlReader& reader, const fs::path& file) { read_toolchain_file(reader, file, catalog.toolchains_); });
  if (!files) return fail(files.error());
  if (files.value() == 0) return fail("no toolchain files (*.toml) in " + directory.string());
  return catalog;
}

// A toolchain targets every OS build of its platform, so os_version takes no part.
const Toolchain* ToolchainCatalog::find(const Platform& platform) const {
  Platform wanted = normalize(platform);
  for (const Toolchain& toolchain : toolchains_) {
    if (same_target(toolchain.platform, wanted)) return &toolchain;
  }
  return nullptr;
}

fs::path data_directory() {
  const char* configured = std::getenv("XBUILD_DATA_DIR");
  if (configured && *configured) return fs::path(configured);
  // Relative to the binary, never a path of the machine it was built on: an install moved to
  // another prefix keeps working, and a build tree's binary reads its own checkout.
  std::error_code error;
  fs::path binary_dir = fs::read_symlink("/proc/self/exe", error).parent_path();
  fs::path installed = (binary_dir / ".." / "share" / "xbuild").lexically_normal();
  if (error || has_toolchains(installed)) return installed;
  if (fs::path build_tree = binary_dir / "xbuild-data"; has_toolchains(build_tree)) return build_tree;
  return installed;
}

}  // namespace xb
