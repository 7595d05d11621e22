// [project], [targets] and [firmware]: what is built and for which platforms. [targets] firmware
// names bare-metal targets, each becoming the platform none/arm/<name> after the platforms
// (a name and a platform naming the same target are one duplicate); [firmware] describes what
// those targets' artifact holds and how their tests run, so it needs at least one of them.
#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>

#include "config/sections.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kProjectKeys = {"name", "version"};
const std::vector<std::string> kTargetsKeys = {"platforms", "firmware", "packages", "suite", "mirror"};
const std::vector<std::string> kFirmwareKeys = {"elf",    "name",    "timeout",   "pass_pattern", "hang_timeout",
                                                "icount", "startup", "max_flash", "max_ram"};

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

}  // namespace

void read_project(TomlReader& reader, const TomlTable& root, ProjectSpec& project) {
  const std::string scope = "[project]";
  const TomlTable* table =
      reader.required_table(root, "project", "missing [project] table: add [project] with name = \"...\"");
  if (!table) return;
  reader.check_keys(*table, kProjectKeys, scope);
  project.name = reader.required_string(*table, "name", scope).value_or("");
  project.version = reader.string(*table, "version", scope).value_or("");
}

void read_targets(TomlReader& reader, const TomlTable& root, Config& config) {
  const std::string scope = "[targets]";
  const TomlTable* table = reader.required_table(
      root, "targets", "missing [targets] table: add [targets] with platforms = [\"linux/amd64\", ...]");
  if (!table) return;
  reader.check_keys(*table, kTargetsKeys, scope);
  config.packages.packages = read_packages(reader, *table, scope);
  config.packages.suite = read_suite(reader, *table, scope).value_or("");
  config.packages.mirror = read_mirror(reader, *table, scope);
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
      if (!platform) {
        reader.report(specifier.at, "unknown platform " + in_quotes(specifier.value) +
                                        " in [targets] platforms: " + platform.error());
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
// startup, the size budgets.
void read_firmware(TomlReader& reader, const TomlTable& root, Config& config) {
  const std::string scope = "[firmware]";
  const TomlTable* table = reader.table(root, "firmware", "");
  if (!table) return;
  FirmwareSpec& firmware = config.firmware;
  reader.check_keys(*table, kFirmwareKeys, scope);
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
