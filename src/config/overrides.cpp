// [platform."os/arch"]: one platform's own strategy, environment, root filesystem, Windows
// os.version, entrypoint and stage commands. A table is read first and judged afterwards, so the
// problems inside it are reported even when the platform it names is wrong. Tables are taken in
// the order written, so that of two tables naming one platform (after normalization,
// "linux/armhf" is "linux/arm/v7") the second is the one reported.
#include <algorithm>
#include <cctype>
#include <optional>

#include "config/keys.h"
#include "config/sections.h"
#include "util/strings.h"

namespace xb {

namespace {

const std::vector<std::string> kStrategies = {"auto", "native", "cross", "emulate"};

// A Windows build number as os.version writes it: "10.0.20348" or "10.0.20348.2582".
bool is_os_version(std::string_view text) {
  std::vector<std::string> parts = split(std::string(text), '.');
  return parts.size() >= 2 && std::all_of(parts.begin(), parts.end(), [](const std::string& part) {
           return !part.empty() &&
                  std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); });
         });
}

std::optional<Strategy> read_strategy(TomlReader& reader, const TomlTable& table, const std::string& scope) {
  std::optional<std::string> strategy = reader.string(table, "strategy", scope);
  if (!strategy) return std::nullopt;
  static const Strategy kValues[] = {Strategy::automatic, Strategy::native, Strategy::cross, Strategy::emulate};
  auto found = std::find(kStrategies.begin(), kStrategies.end(), *strategy);
  if (found != kStrategies.end()) return kValues[found - kStrategies.begin()];
  reader.report(*table.get("strategy"), "unknown strategy " + in_quotes(*strategy) + " " + in_scope(scope) +
                                            did_you_mean(*strategy, kStrategies, "expected ", "or"));
  return std::nullopt;
}

// `rootfs`: a string (a directory, "oci:DIR[:TAG]" or a registry reference, judged when
// planning), or a table of Debian packages that xbuild makes a root filesystem from.
std::optional<RootfsSpec> read_rootfs(TomlReader& reader, const TomlTable& table, const std::string& scope) {
  const TomlValue* value = table.get("rootfs");
  if (!value) return std::nullopt;
  if (value->as_string()) {
    std::optional<std::string> location = reader.non_blank_string(table, "rootfs", scope);
    if (!location) return std::nullopt;
    return RootfsSpec{*location, std::nullopt, {}};
  }
  const TomlTable* made = value->as_table();
  if (!made) {
    reader.wrong_type(*value, "rootfs", scope,
                      "a string (a directory, \"oci:DIR\" or an image reference) or a table such as { suite = "
                      "\"bookworm\", packages = [\"gcc\", \"make\"] }");
    return std::nullopt;
  }
  const std::string rootfs_scope = "the rootfs of " + scope;
  reader.check_keys(*made, key_names(kRootfsSection), rootfs_scope);
  RootfsSpec spec;
  spec.suite = read_suite(reader, *made, rootfs_scope);
  spec.packages = read_packages(reader, *made, rootfs_scope);
  if (spec.packages.empty() && !made->get("packages"))
    reader.report(*value, "missing required key \"packages\" in " + rootfs_scope +
                              ": name what the root filesystem holds, such as packages = [\"gcc\", \"make\"]");
  return spec;
}

// [platform."os/arch".stage.NAME]: each must name a stage of the file.
void read_stage_overrides(TomlReader& reader, const TomlTable& table, const std::string& scope,
                          const std::vector<StageSpec>& stages, std::map<std::string, StageOverride>& overrides) {
  const TomlTable* stage_table = reader.table(table, "stage", scope);
  if (!stage_table) return;
  const std::string prefix = scope.substr(0, scope.size() - 1);  // "[platform."linux/amd64""
  const std::vector<std::string> names = stage_names(stages);
  for (const TomlEntry& entry : stage_table->entries()) {
    const std::string stage_scope = prefix + ".stage." + header_key(entry.key) + "]";
    const TomlTable* body = entry.value.as_table();
    if (!body) {
      reader.wrong_type(entry.value, entry.key, prefix + ".stage]", "a table");
      continue;
    }
    if (std::find(names.begin(), names.end(), entry.key) == names.end()) {
      reader.report(entry.key_position, stage_scope + " overrides unknown stage " + in_quotes(entry.key) +
                                            (names.empty() ? "" : did_you_mean(entry.key, names, "stages are ")));
    }
    reader.check_keys(*body, key_names(kPlatformStageSection), stage_scope);
    StageOverride stage;
    stage.run = reader.non_blank_string(*body, "run", stage_scope);
    stage.env = reader.environment_table(*body, "env", stage_scope);
    overrides[entry.key] = std::move(stage);
  }
}

PlatformOverride read_override(TomlReader& reader, const TomlTable& table, const std::string& scope,
                               const std::vector<StageSpec>& stages) {
  PlatformOverride result;
  reader.check_keys(table, key_names(kPlatformSection), scope);
  result.strategy = read_strategy(reader, table, scope);
  result.env = reader.environment_table(table, "env", scope);
  result.rootfs = read_rootfs(reader, table, scope);
  result.packages = read_packages(reader, table, scope);
  result.suite = read_suite(reader, table, scope);
  if (std::optional<std::vector<TomlString>> entrypoint = reader.string_or_strings(table, "entrypoint", scope))
    result.entrypoint = values_of(*entrypoint);
  result.os_version = reader.non_blank_string(table, "os_version", scope);
  result.ccache = reader.boolean(table, "ccache", scope);
  if (result.os_version && !is_os_version(*result.os_version)) {
    reader.report(*table.get("os_version"), "\"os_version\" " + in_scope(scope) +
                                                " must be dotted numbers such as \"10.0.20348.2582\", got " +
                                                in_quotes(*result.os_version));
    result.os_version.reset();
  }
  read_stage_overrides(reader, table, scope, stages, result.stages);
  return result;
}

// What a bare-metal target cannot have: a strategy other than cross, a root filesystem, an
// entrypoint. True when something was reported.
bool refused_for_bare_metal(TomlReader& reader, const TomlTable& body, const PlatformOverride& override_spec,
                            const std::string& scope, const std::string& name) {
  bool refused = false;
  if (override_spec.strategy &&
      (*override_spec.strategy == Strategy::native || *override_spec.strategy == Strategy::emulate)) {
    reader.report(*body.get("strategy"), "strategy " + in_quotes(strategy_name(*override_spec.strategy)) + " " +
                                             in_scope(scope) + " cannot build " + name +
                                             ": bare-metal targets build with their cross toolchain; use \"cross\" "
                                             "or remove it");
    refused = true;
  }
  for (const char* key : {"rootfs", "entrypoint"}) {
    if (const TomlValue* value = body.get(key)) {
      reader.report(*value, in_quotes(key) + " " + in_scope(scope) + " does not apply to " + name +
                                ": a bare-metal target becomes a firmware artifact, not an image; remove it");
      refused = true;
    }
  }
  for (const char* key : {"packages", "suite"}) {
    if (const TomlValue* value = body.get(key)) {
      reader.report(*value, in_quotes(key) + " " + in_scope(scope) + " does not apply to " + name +
                                ": a bare-metal target builds against its toolchain's own C library (newlib); "
                                "remove it");
      refused = true;
    }
  }
  return refused;
}

}  // namespace

void read_overrides(TomlReader& reader, const TomlTable& root, Config& config) {
  const TomlTable* table = reader.table(root, "platform", "");
  if (!table) return;
  std::map<std::string, std::string> seen;  // normalized platform -> the key it was written as
  for (const TomlEntry* entry : table->in_written_order()) {
    const std::string& specifier = entry->key;
    const std::string scope = "[platform." + header_key(specifier) + "]";
    const TomlTable* body = entry->value.as_table();
    if (!body) {
      reader.wrong_type(entry->value, specifier, "[platform]", "a table");
      continue;
    }
    PlatformOverride override_spec = read_override(reader, *body, scope, config.stages);
    override_spec.location = reader.location(entry->key_position);

    Result<Platform> platform = parse_platform(specifier);
    std::string variant;
    if (!platform || !is_known_variant(platform.value(), &variant)) {
      reader.report(entry->key_position, "invalid override " + scope + ": " + (platform ? variant : platform.error()));
      continue;
    }
    std::string name = platform.value().str();
    if (std::find(config.platforms.begin(), config.platforms.end(), platform.value()) == config.platforms.end()) {
      reader.report(
          entry->key_position,
          scope + " overrides " + name + ", which is not in [targets] platforms; add it there or remove this table");
      continue;
    }
    if (override_spec.os_version && platform.value().os != "windows") {
      reader.report(*body->get("os_version"), "\"os_version\" " + in_scope(scope) +
                                                  " is the Windows build an image needs (os.version); " + name +
                                                  " is not a Windows platform: remove it");
      continue;
    }
    if (is_bare_metal(platform.value()) && refused_for_bare_metal(reader, *body, override_spec, scope, name)) continue;
    auto [previous, inserted] = seen.emplace(name, specifier);
    if (!inserted) {
      reader.report(entry->key_position, "[platform." + header_key(previous->second) + "] and " + scope +
                                             " both override " + name + "; merge them into one table");
      continue;
    }
    config.overrides[name] = std::move(override_spec);
  }
}

}  // namespace xb
