// The readers of xbuild.toml's sections, one file each, called in this order by parse_config
// (config.cpp). Each checks its tables' keys and values, fills its part of the Config and reports
// every problem to the TomlReader; a section read later may look at what an earlier one read
// (overrides and builders need the platforms, overrides the stages). Internal to config/.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/model.h"
#include "config/toml_reader.h"

namespace xb {

// Each stage's needs with where each was written, by stage name, for check_needs.
using NeedsByStage = std::map<std::string, std::vector<TomlString>>;

// targets.cpp: [project], [targets] (platforms and firmware targets, the targets' packages),
// [firmware].
void read_project(TomlReader& reader, const TomlTable& root, ProjectSpec& project);
void read_targets(TomlReader& reader, const TomlTable& root, Config& config);
void read_firmware(TomlReader& reader, const TomlTable& root, Config& config);
// firmware_budget.cpp: [firmware] max_flash and max_ram.
void read_firmware_budget(TomlReader& reader, const TomlTable& firmware, Config& config);

// stages.cpp: [stage.NAME] in the order written.
void read_stages(TomlReader& reader, const TomlTable& root, std::vector<StageSpec>& stages, NeedsByStage& needs);
// A timeout in seconds or as a duration ("90s", "10m", "1h30m"); 0 after a reported problem, whose
// message names the key.
int read_timeout(TomlReader& reader, const TomlValue& value, const std::string& scope,
                 const std::string& key = "timeout");

// image.cpp: [image], its copy list included.
void read_image(TomlReader& reader, const TomlTable& root, Config& config);

// overrides.cpp: [platform."os/arch"] and their [platform."os/arch".stage.NAME].
void read_overrides(TomlReader& reader, const TomlTable& root, Config& config);

// builders.cpp: [builder.NAME].
void read_builders(TomlReader& reader, const TomlTable& root, Config& config);

// cache.cpp: [cache] (the registry cache: from, to, mode).
void read_cache(TomlReader& reader, const TomlTable& root, Config& config);

// packages.cpp: `packages` (Debian package names), `suite` and `mirror` of a table.
std::vector<std::string> read_packages(TomlReader& reader, const TomlTable& table, const std::string& scope);
std::optional<std::string> read_suite(TomlReader& reader, const TomlTable& table, const std::string& scope);
std::string read_mirror(TomlReader& reader, const TomlTable& table, const std::string& scope);

// needs.cpp: every need names another stage, once, and the needs have no cycle.
void check_needs(TomlReader& reader, const std::vector<StageSpec>& stages, const NeedsByStage& needs);

std::vector<std::string> stage_names(const std::vector<StageSpec>& stages);

}  // namespace xb
