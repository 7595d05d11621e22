// [project], [targets] and [firmware]: what is built and for which platforms. [targets] firmware
// names bare-metal targets, each becoming the platform none/arm/<name> after the platforms
// (a name and a platform naming the same target are one duplicate); [firmware] describes what
// those targets' artifact holds and how their tests run, so it needs at least one of them.
#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>
#include <system_error>

#include "config/keys.h"
#include "config/sections.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// The remote storages ccache 4.7 has backends for, as its URLs start.
const std::vector<std::string> kCcacheRemoteSchemes = {"redis://", "redis+unix:", "http://", "https://"};

// The platform none/arm/<name> of a firmware target's name, or nullopt when <name> cannot be a
// file name in toolchains/firmware/ (the name becomes the platform's variant as it is).
std::optional<Platform> firmware_platform(const std::string& name) {
  bool plain = !name.empty() && std::isalnum(static_cast<unsigned char>(name.front())) &&
               std::all_of(name.begin(), name.end(),
                           [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
  if (!plain) return std::nullopt;
  Result<Platform> platform = parse_platform("none/arm/" + name);
  if (!platform || platform.value().variant != name) return std::nullopt;
  return platform.value();
}

// [firmware] startup: false, or a C or assembly file of the project (compiled like xbuild's own
// startup, so its extension must say which; whether it exists is the plan's business).
void read_startup(TomlReader& reader, const TomlTable& table, const fs::path& directory, FirmwareSpec& firmware) {
  const TomlValue* value = table.get("startup");
  if (!value) return;
  if (const bool* enabled = value->as_boolean()) {
    if (*enabled)
      reader.report(*value,
                    "\"startup\" in [firmware] is true, which is the default: leave it out to link xbuild's own "
                    "startup, write startup = false to link your own vector table, or name your startup source "
                    "(startup = \"startup.c\")");
    else
      firmware.startup = false;
    return;
  }
  const std::string* text = value->as_string();
  if (!text) {
    reader.wrong_type(*value, "startup", "[firmware]", "a path or false");
    return;
  }
  fs::path path(*text);
  const std::string extension = path.extension().string();
  if (text->empty() || path.is_absolute() || std::find(path.begin(), path.end(), fs::path("..")) != path.end())
    reader.report(*value, "\"startup\" in [firmware] must be a path relative to the project's directory, inside it: " +
                              in_quotes(*text));
  else if (extension != ".c" && extension != ".S" && extension != ".s")
    reader.report(*value,
                  "\"startup\" in [firmware] must be a C or assembly source (.c, .S or .s) to compile "
                  "for each target: " +
                      in_quotes(*text));
  else
    firmware.startup_source = (directory / path).lexically_normal();
}

// A name that can be a file name and a platform's variant: letters, digits, '-', '_' and '.',
// starting with a letter or digit.
bool is_target_name(const std::string& name) { return firmware_platform(name).has_value(); }

// An address of the 32-bit memory map, word-aligned.
std::optional<std::uint32_t> read_address(TomlReader& reader, const TomlTable& table, std::string_view key,
                                          const std::string& scope, std::string_view what, std::string_view example) {
  std::optional<std::int64_t> value = reader.integer(
      table, key, scope, 0, 0xffffffff, std::string(what) + ", an address such as " + std::string(example));
  if (!value) return std::nullopt;
  if (*value % 4 != 0) {
    reader.report(*table.get(key), in_quotes(key) + " " + in_scope(scope) + " must be a multiple of 4 (" +
                                       std::string(what) + " is word-aligned)");
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*value);
}

std::optional<std::vector<std::string>> read_flags(TomlReader& reader, const TomlTable& table, std::string_view key,
                                                   const std::string& scope) {
  if (!table.get(key)) return std::nullopt;
  return values_of(reader.strings(table, key, scope).value_or(std::vector<TomlString>{}));
}

// linker_script: a file of the project, inside its directory (symbolic links followed), that
// exists; the link uses it by its absolute path.
void read_linker_script(TomlReader& reader, const TomlTable& table, const std::string& scope, const fs::path& directory,
                        FirmwareTargetSpec& target) {
  std::optional<std::string> text = reader.non_blank_string(table, "linker_script", scope);
  if (!text) return;
  const TomlValue& value = *table.get("linker_script");
  const fs::path path = fs::path(*text).lexically_normal();
  std::error_code error;
  const fs::path absolute = (directory / path).lexically_normal();
  const fs::path root = fs::weakly_canonical(directory, error);
  const fs::path resolved = fs::weakly_canonical(absolute, error);
  const fs::path inside = resolved.lexically_relative(root);
  if (path.is_absolute() || path.empty() || *path.begin() == ".." || inside.empty() || *inside.begin() == "..") {
    reader.report(value, "\"linker_script\" " + in_scope(scope) +
                             " must be a path relative to the project's directory, inside it: " + in_quotes(*text));
    return;
  }
  if (!fs::is_regular_file(absolute, error)) {
    reader.report(value, "\"linker_script\" " + in_scope(scope) + " names " + in_quotes(*text) +
                             ", which is not a file in the project's directory: add the linker script, or fix the "
                             "path");
    return;
  }
  target.linker_script = path.generic_string();
  target.linker_script_path = absolute;
}

// [firmware.target.NAME]: the keys a bundled target has, each optional when `base` gives it.
std::optional<FirmwareTargetSpec> read_board(TomlReader& reader, const TomlEntry& entry, const fs::path& directory) {
  const std::string scope = "[firmware.target." + header_key(entry.key) + "]";
  const TomlTable* table = entry.value.as_table();
  if (!table) {
    reader.wrong_type(entry.value, entry.key, "[firmware.target]", "a table of the target's keys");
    return std::nullopt;
  }
  const std::size_t errors = reader.error_count();
  FirmwareTargetSpec target;
  target.name = entry.key;
  target.location = reader.location(table->position());
  target.base_location = target.location;
  if (!is_target_name(entry.key))
    reader.report(entry.key_position, "invalid firmware target name " + in_quotes(entry.key) + " in " + scope +
                                          ": use letters, digits, '-', '_' and '.', starting with a letter or digit "
                                          "(it names the platform none/arm/<name> and the state directory's files)");
  reader.check_keys(*table, key_names(kFirmwareTargetSection), scope);
  if (std::optional<std::string> base = reader.non_blank_string(*table, "base", scope)) {
    target.base = *base;
    target.base_location = reader.location(table->get("base")->position());
  }
  target.cpu = reader.non_blank_string(*table, "cpu", scope);
  target.qemu_cpu = reader.non_blank_string(*table, "qemu_cpu", scope);
  target.machine = reader.non_blank_string(*table, "machine", scope);
  target.cflags = read_flags(reader, *table, "cflags", scope);
  target.ldflags = read_flags(reader, *table, "ldflags", scope);
  target.qemu_args = read_flags(reader, *table, "qemu_args", scope);
  read_linker_script(reader, *table, scope, directory, target);
  target.vector_table = read_address(reader, *table, "vector_table", scope, "the vector table's address", "0x08000000");
  target.stack_top = read_address(reader, *table, "stack_top", scope, "the initial stack pointer", "0x20020000");
  // The base's layout is not the script's: where the table and the stack are must be said.
  if (table->get("linker_script")) {
    if (!table->get("vector_table"))
      reader.report(table->position(), "missing required key \"vector_table\" in " + scope +
                                           ": with linker_script, say where the reset reads the vector table "
                                           "(vector_table = 0x08000000, say)");
    if (!table->get("stack_top"))
      reader.report(table->position(), "missing required key \"stack_top\" in " + scope +
                                           ": with linker_script, say where the stack starts, the top of a RAM "
                                           "(stack_top = 0x20020000, say)");
  }
  if (target.base.empty()) {
    for (const char* key : {"cpu", "machine", "cflags", "stack_top"})
      if (!table->get(key) && !(table->get("linker_script") && std::string(key) == "stack_top"))  // said above
        reader.report(table->position(), "missing required key " + in_quotes(key) + " in " + scope +
                                             " (no base target gives it): add it, or base = \"cortex-m4\" to start "
                                             "from a bundled target");
    if (!table->get("ldflags") && !table->get("linker_script"))
      reader.report(table->position(), "missing required key \"linker_script\" (or \"ldflags\") in " + scope +
                                           " (no base target gives the link)");
  }
  if (reader.error_count() != errors) return std::nullopt;
  return target;
}

// [firmware] target: one table per target of the project's own.
void read_boards(TomlReader& reader, const TomlTable& firmware, const fs::path& directory,
                 std::vector<FirmwareTargetSpec>& targets) {
  const TomlTable* table = reader.table(firmware, "target", "[firmware]");
  if (!table) return;
  for (const TomlEntry& entry : table->entries())
    if (std::optional<FirmwareTargetSpec> target = read_board(reader, entry, directory))
      targets.push_back(std::move(*target));
}

// [targets] ccache (on for every target unless [platform.X] says otherwise) and ccache_remote,
// one URL of ccache's remote storage: what follows the scheme is ccache's to judge, but a URL of
// another scheme, or none, is refused here rather than in every compile.
void read_ccache(TomlReader& reader, const TomlTable& table, const std::string& scope, CcacheSpec& ccache) {
  ccache.enabled = reader.boolean(table, "ccache", scope).value_or(false);
  std::optional<std::string> remote = reader.non_blank_string(table, "ccache_remote", scope);
  if (!remote) return;
  const bool known = std::any_of(kCcacheRemoteSchemes.begin(), kCcacheRemoteSchemes.end(), [&](const std::string& s) {
    return starts_with(*remote, s) && remote->size() > s.size();
  });
  if (!known || remote->find_first_of(" \t") != std::string::npos) {
    reader.report(*table.get("ccache_remote"),
                  "\"ccache_remote\" " + in_scope(scope) +
                      " must be one URL of ccache's remote storage: redis://HOST[:PORT], redis+unix:///PATH, "
                      "http://HOST[:PORT]/PATH or https://HOST[:PORT]/PATH, got " +
                      in_quotes(*remote));
    return;
  }
  ccache.remote = *remote;
}

// The project's name becomes a directory of each builder's (rsync --delete writes there), so it
// is one plain path component.
bool is_project_name(const std::string& name) {
  return !name.empty() && name.size() <= 128 && std::isalnum(static_cast<unsigned char>(name.front())) &&
         std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
}

}  // namespace

void read_project(TomlReader& reader, const TomlTable& root, ProjectSpec& project) {
  const std::string scope = "[project]";
  const TomlTable* table =
      reader.required_table(root, "project", "missing [project] table: add [project] with name = \"...\"");
  if (!table) return;
  reader.check_keys(*table, key_names(kProjectSection), scope);
  project.name = reader.required_string(*table, "name", scope).value_or("");
  if (!project.name.empty() && !is_project_name(project.name))
    reader.report(*table->get("name"), "invalid project name " + in_quotes(project.name) +
                                           " in [project]: use 1 to 128 letters, digits, '.', '_' and '-', starting "
                                           "with a letter or digit (it names directories on the builders)");
  project.version = reader.string(*table, "version", scope).value_or("");
}

void read_targets(TomlReader& reader, const TomlTable& root, Config& config) {
  const std::string scope = "[targets]";
  const TomlTable* table = reader.required_table(
      root, "targets", "missing [targets] table: add [targets] with platforms = [\"linux/amd64\", ...]");
  if (!table) return;
  reader.check_keys(*table, key_names(kTargetsSection), scope);
  config.packages.packages = read_packages(reader, *table, scope);
  config.packages.suite = read_suite(reader, *table, scope).value_or("");
  config.packages.mirror = read_mirror(reader, *table, scope);
  read_ccache(reader, *table, scope, config.ccache);
  std::vector<Platform>& platforms = config.platforms;
  const TomlValue* firmware = table->get("firmware");
  const TomlValue* listed = table->get("platforms");
  if (!listed && !firmware) {
    reader.report(table->position(), "missing required key \"platforms\" in [targets]");
    return;
  }
  std::vector<std::string> written;  // as the user wrote each of `platforms`
  auto add = [&](const TomlString& specifier, const Platform& platform, const std::string& key) {
    auto same = std::find(platforms.begin(), platforms.end(), platform);
    if (same != platforms.end()) {
      const std::string& first = written[static_cast<std::size_t>(same - platforms.begin())];
      std::string name = platform.str();
      reader.report(specifier.at,
                    "duplicate platform " + in_quotes(name) + " in [targets] " + key + ": " +
                        (first == specifier.value
                             ? "listed twice"
                             : in_quotes(first) + " and " + in_quotes(specifier.value) + " both name " + name));
      return;
    }
    platforms.push_back(platform);
    written.push_back(specifier.value);
  };
  if (listed) {
    std::optional<std::vector<TomlString>> specifiers = reader.strings(*table, "platforms", scope);
    if (!specifiers) return;
    if (listed->is_empty_array() && (!firmware || firmware->is_empty_array())) {
      reader.report(*listed,
                    "\"platforms\" in [targets] must not be empty: list at least one platform, for example "
                    "\"linux/amd64\"");
      return;
    }
    for (const TomlString& specifier : *specifiers) {
      Result<Platform> platform = parse_platform(specifier.value);
      std::string variant;
      if (!platform || !is_known_variant(platform.value(), &variant)) {
        reader.report(specifier.at, "unknown platform " + in_quotes(specifier.value) +
                                        " in [targets] platforms: " + (platform ? variant : platform.error()));
        continue;
      }
      add(specifier, platform.value(), "platforms");
    }
  }
  if (!firmware) return;
  std::optional<std::vector<TomlString>> names = reader.strings(*table, "firmware", scope);
  if (!names) return;
  if (names->empty() && !listed) {
    reader.report(*firmware,
                  "\"firmware\" in [targets] must not be empty: list at least one bare-metal target, for "
                  "example \"cortex-m4\" (a file name in toolchains/firmware/)");
    return;
  }
  for (const TomlString& name : *names) {
    std::optional<Platform> platform = firmware_platform(name.value);
    if (!platform) {
      reader.report(name.at, "invalid firmware target " + in_quotes(name.value) +
                                 " in [targets] firmware: expected the name of a file in toolchains/firmware/, such "
                                 "as \"cortex-m4\"");
      continue;
    }
    add(name, *platform, "firmware");
  }
}

namespace {

// [firmware] hang_timeout (no longer than timeout) and icount (true, false or a shift 0..10).
void read_firmware_test_clock(TomlReader& reader, const TomlTable& table, FirmwareSpec& firmware,
                              const std::string& scope) {
  if (const TomlValue* hang = table.get("hang_timeout")) {
    firmware.hang_timeout_seconds = read_timeout(reader, *hang, scope, "hang_timeout");
    if (firmware.hang_timeout_seconds > 0 && firmware.test_timeout_seconds > 0 &&
        firmware.hang_timeout_seconds > firmware.test_timeout_seconds)
      reader.report(*hang, "\"hang_timeout\" in [firmware] (" + std::to_string(firmware.hang_timeout_seconds) +
                               " s) is longer than \"timeout\" (" + std::to_string(firmware.test_timeout_seconds) +
                               " s), which would stop a silent test first: make it shorter, or raise \"timeout\"");
  }
  const TomlValue* icount = table.get("icount");
  if (!icount) return;
  if (const bool* on = icount->as_boolean()) {
    firmware.icount = *on ? "" : "off";
  } else if (const std::int64_t* shift = icount->as_integer()) {
    if (*shift < 0 || *shift > 10)
      reader.report(*icount,
                    "\"icount\" in [firmware] is a shift from 0 to 10 (each instruction takes 2^shift ns "
                    "of the board's time), got " +
                        std::to_string(*shift));
    else
      firmware.icount = std::to_string(*shift);
  } else {
    reader.wrong_type(*icount, "icount", scope,
                      "true (instruction counting at xbuild's shift), false, or a shift from 0 to 10");
  }
}

}  // namespace

// [firmware]: the artifact's ELF, the test runner's timeout, hang timeout, clock and pass pattern, the
// startup, the size budgets, and [firmware.target.NAME], the project's own targets.
void read_firmware(TomlReader& reader, const TomlTable& root, Config& config) {
  const std::string scope = "[firmware]";
  const TomlTable* table = reader.table(root, "firmware", "");
  if (!table) return;
  FirmwareSpec& firmware = config.firmware;
  reader.check_keys(*table, key_names(kFirmwareSection), scope);
  if (std::none_of(config.platforms.begin(), config.platforms.end(), is_bare_metal)) {
    reader.report(table->position(),
                  "[firmware] describes the bare-metal targets, but [targets] names none: add firmware = "
                  "[\"cortex-m4\"] to [targets], or remove [firmware]");
    return;
  }
  if (std::optional<std::string> elf = reader.non_blank_string(*table, "elf", scope)) {
    fs::path path(*elf);
    if (path.is_absolute())
      reader.report(*table->get("elf"),
                    "\"elf\" in [firmware] must be a path relative to the output directory "
                    "($XBUILD_OUT), not an absolute path: " +
                        in_quotes(*elf));
    else if (std::find(path.begin(), path.end(), fs::path("..")) != path.end())
      reader.report(*table->get("elf"), "\"elf\" in [firmware] must stay inside the output directory: " +
                                            in_quotes(*elf) + " contains \"..\"");
    else
      firmware.elf = *elf;
  }
  if (std::optional<std::string> name = reader.non_blank_string(*table, "name", scope)) {
    if (name->find('/') != std::string::npos)
      reader.report(*table->get("name"),
                    "\"name\" in [firmware] names the artifact's files (NAME.elf, NAME.bin, ...) "
                    "and must not contain \"/\": " +
                        in_quotes(*name));
    else
      firmware.name = *name;
  }
  read_startup(reader, *table, config.directory, firmware);
  read_boards(reader, *table, config.directory, firmware.targets);
  if (const TomlValue* timeout = table->get("timeout"))
    firmware.test_timeout_seconds = read_timeout(reader, *timeout, scope);
  if (std::optional<std::string> pattern = reader.non_blank_string(*table, "pass_pattern", scope)) {
    try {
      std::regex check(*pattern, std::regex::ECMAScript);
      firmware.pass_pattern = *pattern;
    } catch (const std::regex_error& error) {
      reader.report(*table->get("pass_pattern"), "\"pass_pattern\" in [firmware] is not a valid regular expression (" +
                                                     std::string(error.what()) + "): " + in_quotes(*pattern));
    }
  }
  read_firmware_test_clock(reader, *table, firmware, scope);
  read_firmware_budget(reader, *table, config);
}

}  // namespace xb
