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

namespace {

// The base's ldflags without those that place sections (a linker script places them now).
bool is_layout_flag(const std::string& flag) {
  if (starts_with(flag, "-T")) return true;
  if (!starts_with(flag, "-Wl,")) return false;
  for (const std::string& part : split(flag.substr(4), ','))
    if (starts_with(part, "--section-start") || starts_with(part, "-T") || starts_with(part, "--Ttext") ||
        starts_with(part, "--Tdata") || starts_with(part, "--Tbss") || starts_with(part, "--script"))
      return true;
  return false;
}

std::string at(const SourceLocation& location) {
  return location.file + ":" + std::to_string(location.line) + ":" + std::to_string(location.column) + ": ";
}

std::string definition_digest(const Target& target) {
  Sha256 hash;
  auto field = [&](const std::string& text) {
    const std::string length = std::to_string(text.size()) + ":";
    hash.update(length.data(), length.size());
    hash.update(text.data(), text.size());
  };
  field("xbuild-firmware-target-1");
  for (const std::string* text : {&target.name, &target.triple, &target.cpu, &target.qemu_cpu, &target.machine,
                                  &target.link, &target.linker_script_digest})
    field(*text);
  for (const std::vector<std::string>* list : {&target.qemu_args, &target.cflags, &target.ldflags}) {
    field(std::to_string(list->size()));
    for (const std::string& word : *list) field(word);
  }
  field(std::to_string(target.stack_top));
  field(target.vector_table ? std::to_string(*target.vector_table) : "-");
  return hash.digest();
}

}  // namespace

Result<Target> project_target(const FirmwareTargetSpec& spec, const fs::path& config_file,
                              const std::vector<Target>& bundled) {
  const std::string scope = "[firmware.target." + spec.name + "]";
  std::vector<std::string> names;
  for (const Target& candidate : bundled) names.push_back(candidate.name);
  if (std::find(names.begin(), names.end(), spec.name) != names.end())
    return fail(at(spec.location) + scope + " has the name of a bundled target (toolchains/firmware/" + spec.name +
                ".toml): name your board otherwise, and write base = \"" + spec.name + "\" to start from it");
  Target target;
  target.triple = "arm-none-eabi";
  target.packages = {{"compiler", {"gcc-arm-none-eabi", "libnewlib-arm-none-eabi"}}, {"runner", {"qemu-system-arm"}}};
  target.ldflags = {"--specs=rdimon.specs"};  // without a base: newlib with semihosting, as every bundled one
  if (!spec.base.empty()) {
    auto base = std::find(names.begin(), names.end(), spec.base);
    if (base == names.end()) {
      std::string hint = closest_match(spec.base, names);
      return fail(at(spec.base_location) + "base " + in_quotes(spec.base) + " in " + scope +
                  " is not a bundled target" + (hint.empty() ? "" : "; did you mean " + in_quotes(hint) + "?") +
                  " (known: " + join(names, ", ") + ")");
    }
    target = bundled[static_cast<std::size_t>(base - names.begin())];
  }
  target.name = spec.name;
  const std::string base_cpu = target.cpu;
  target.cpu = spec.cpu.value_or(target.cpu);
  // A base's qemu_cpu follows its cpu; a new cpu is QEMU's too unless qemu_cpu says otherwise.
  target.qemu_cpu = spec.qemu_cpu.value_or(spec.cpu && target.cpu != base_cpu ? target.cpu : target.qemu_cpu);
  target.machine = spec.machine.value_or(target.machine);
  target.cflags = spec.cflags.value_or(target.cflags);
  target.qemu_args = spec.qemu_args.value_or(target.qemu_args);
  target.stack_top = spec.stack_top.value_or(target.stack_top);
  target.vector_table = spec.vector_table ? spec.vector_table : target.vector_table;
  if (spec.ldflags) target.ldflags = *spec.ldflags;
  if (!spec.linker_script.empty()) {
    Result<std::string> digest = sha256_file(spec.linker_script_path);
    if (!digest)
      return fail("cannot read the linker script of " + scope + " in " + config_file.string() + ": " + digest.error());
    if (!spec.ldflags)
      target.ldflags.erase(std::remove_if(target.ldflags.begin(), target.ldflags.end(), is_layout_flag),
                           target.ldflags.end());
    target.ldflags.push_back("-Wl,-T," + spec.linker_script_path.string());
    target.linker_script = spec.linker_script_path;
    target.linker_script_digest = digest.value();
    target.link = spec.linker_script;
  } else {
    target.link = "xbuild:" + (spec.base.empty() ? spec.name : spec.base);
  }
  target.config = config_file;
  target.definition = config_file.filename().string() + " " + scope + (spec.base.empty() ? "" : ", base " + spec.base);
  target.definition_digest = definition_digest(target);
  return target;
}

Result<Target> resolve_target(const fs::path& directory, const std::string& name, const Config* project) {
  if (project) {
    for (const FirmwareTargetSpec& spec : project->firmware.targets) {
      if (spec.name != name) continue;
      Result<std::vector<Target>> bundled = load_targets(directory);
      if (!bundled) return Failure{bundled.error()};
      return project_target(spec, project->file, bundled.value());
    }
  }
  Result<Target> found = find_target(directory, name);
  if (found || !project || project->firmware.targets.empty()) return found;
  std::vector<std::string> own;
  for (const FirmwareTargetSpec& spec : project->firmware.targets) own.push_back(spec.name);
  return Failure{found.error() + "; the project's own ([firmware.target.NAME] in " + project->file.string() +
                 "): " + join(own, ", ")};
}

std::vector<std::string> firmware_command(const Target& target, const fs::path& xbuild, const std::string& command) {
  std::vector<std::string> words = {xbuild.string(), "firmware", command, "--target", target.name};
  if (!target.config.empty()) words.insert(words.end(), {"--config", target.config.string()});
  return words;
}

Result<std::vector<Target>> load_targets(const fs::path& directory) {
  std::vector<Target> targets;
  Result<std::size_t> read =
      read_toml_files(directory, "cannot read the firmware targets in " + directory.string(),
                      [&](TomlReader& reader, const fs::path& file) {
                        if (std::optional<TomlTable> root = reader.parse())
                          if (std::optional<Target> target = read_target(reader, *root, file.stem().string())) {
                            target->definition = "toolchains/firmware/" + file.filename().string();
                            target->link = "xbuild:" + target->name;
                            targets.push_back(std::move(*target));
                          }
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
