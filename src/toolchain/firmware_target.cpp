// Firmware targets: toolchains/firmware/*.toml read through a TomlReader (config/toml_reader.h)
// against a fixed schema: every key required, each of one type, no others, and the name the
// file's own. Reading carries on after a problem, so one load reports every problem in every
// file, rendered like xbuild.toml's.
#include "toolchain/firmware_target.h"

#include <algorithm>
#include <optional>
#include <system_error>
#include <utility>

#include "config/config.h"
#include "config/toml_reader.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::firmware {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kKeys = {"name", "triple", "cpu", "machine", "cflags", "ldflags", "packages"};
const std::vector<std::string> kPackageKeys = {"compiler", "runner"};

// An array of strings that must be there (it may be empty).
std::vector<std::string> required_strings(TomlReader& reader, const TomlTable& table, std::string_view key,
                                          const std::string& scope) {
  if (!reader.required(table, key, scope)) return {};
  return values_of(reader.strings(table, key, scope).value_or(std::vector<TomlString>{}));
}

// The target of one file, or nullopt when anything in it was wrong (and reported).
std::optional<Target> read_target(TomlReader& reader, const TomlTable& root, const std::string& stem) {
  Target target;
  reader.check_keys(root, kKeys, "");
  target.name = reader.required_string(root, "name", "").value_or("");
  if (!target.name.empty() && target.name != stem)
    reader.report(*root.get("name"),
                  "name " + in_quotes(target.name) + " must match the file name (" + in_quotes(stem) + ")");
  target.triple = reader.required_string(root, "triple", "").value_or("");
  target.cpu = reader.required_string(root, "cpu", "").value_or("");
  target.machine = reader.required_string(root, "machine", "").value_or("");
  target.cflags = required_strings(reader, root, "cflags", "");
  target.ldflags = required_strings(reader, root, "ldflags", "");
  if (const TomlTable* packages = reader.required_table(root, "packages")) {
    reader.check_keys(*packages, kPackageKeys, "[packages]");
    for (const std::string& key : kPackageKeys)
      target.packages[key] = required_strings(reader, *packages, key, "[packages]");
  }
  if (reader.error_count() != 0) return std::nullopt;
  return target;
}

}  // namespace

Result<std::vector<Target>> load_targets(const fs::path& directory) {
  std::vector<Target> targets;
  Result<std::size_t> read =
      read_toml_files(directory, "cannot read the firmware targets in " + directory.string(),
                      [&](TomlReader& reader, const fs::path& file) {
                        if (std::optional<TomlTable> root = reader.parse())
                          if (std::optional<Target> target = read_target(reader, *root, file.stem().string()))
                            targets.push_back(std::move(*target));
                      });
  if (!read) return fail(read.error());
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

}  // namespace xb::firmware
