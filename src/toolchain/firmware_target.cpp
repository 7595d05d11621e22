// Firmware targets: toolchains/firmware/*.toml read through a TomlReader (config/toml_reader.h)
// against a fixed schema: every key required but qemu_cpu and qemu_args, each of one type, no
// others, and the name the file's own. Reading carries on after a problem, so one load reports
// every problem in every file, rendered like xbuild.toml's.
#include "toolchain/firmware_target.h"

#include <algorithm>
#include <optional>
#include <system_error>
#include <utility>

#include "config/config.h"
#include "config/toml_reader.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::firmware {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kKeys = {"name",      "triple", "cpu",     "qemu_cpu",  "machine",
                                        "qemu_args", "cflags", "ldflags", "stack_top", "packages"};
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
  target.qemu_cpu = reader.non_blank_string(root, "qemu_cpu", "").value_or(target.cpu);
  target.machine = reader.required_string(root, "machine", "").value_or("");
  target.qemu_args = values_of(reader.strings(root, "qemu_args", "").value_or(std::vector<TomlString>{}));
  target.cflags = required_strings(reader, root, "cflags", "");
  target.ldflags = required_strings(reader, root, "ldflags", "");
  if (reader.required(root, "stack_top", ""))
    target.stack_top = static_cast<std::uint32_t>(
        reader.integer(root, "stack_top", "", 4, 0xffffffff, "the initial stack pointer, an address such as 0x20400000")
            .value_or(0));
  if (target.stack_top % 4 != 0)
    reader.report(*root.get("stack_top"), "\"stack_top\" must be a multiple of 4 (the stack is word-aligned)");
  if (const TomlTable* packages = reader.required_table(root, "packages")) {
    reader.check_keys(*packages, kPackageKeys, "[packages]");
    for (const std::string& key : kPackageKeys)
      target.packages[key] = required_strings(reader, *packages, key, "[packages]");
  }
  if (reader.error_count() != 0) return std::nullopt;
  return target;
}

}  // namespace

std::vector<std::string> link_flags(const Target& target) {
  std::vector<std::string> flags = target.ldflags;
  if (target.startup) {
    flags.push_back(target.startup->object.string());
    flags.push_back("-Wl,--undefined=__xbuild_vectors");
  }
  return flags;
}

Result<Startup> resolve_startup(const Target& target, const fs::path& directory, const fs::path& source,
                                const fs::path& state_dir) {
  Startup startup;
  startup.source = source.empty() ? directory / kDefaultStartup : source;
  startup.object = state_dir / "firmware" / target.name / "startup.o";
  Result<std::string> digest = sha256_file(startup.source);
  if (!digest)
    return fail("cannot read the startup of firmware target " + in_quotes(target.name) + ": " + digest.error());
  startup.digest = digest.value();
  return startup;
}

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
