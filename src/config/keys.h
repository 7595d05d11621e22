// The keys of xbuild.toml, one table per section: for each key what the reader accepts (its
// type, its fixed values, its range), its default and a one-line description. The readers check
// each table's keys against these (TomlReader::check_keys with key_names()); `xbuild schema`
// (config/schema.h) turns them into the JSON Schema and docs/config.md documents them, tests
// holding both to these tables. No TOML library here: plain data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xb {

// What a key's value may be, as the reader accepts it.
enum class KeyType {
  string,
  integer,
  boolean,
  strings,            // an array of strings
  string_or_strings,  // one string standing for a one-element array, or an array of strings
  string_table,       // a table whose values are strings
  environment,        // the same, its keys environment variable names
  duration,           // seconds (an integer) or a duration string ("90s", "10m", "1h30m")
  size_limit,         // a size (bytes, or "256K", "1M"), or a table of sizes by firmware target
  path_or_false,      // a path, or false
  boolean_or_integer,
  string_or_table,  // a string, or a table (`section`)
  table,            // a table (`section`)
  named_tables,     // tables by name: [KEY.NAME] (`section`)
  table_array,      // an array of tables (`section`)
};

// The type as docs/config.md's Type column writes it: "string", "array of strings", ...
std::string_view type_name(KeyType type);

struct SectionSpec;

struct KeySpec {
  std::string_view name;
  KeyType type = KeyType::string;
  // The value when left out, as docs/config.md's Default column shows it: a TOML value
  // ("\"scratch\"", "[\"latest\"]", "false") or words ("the project's name"); "required" for a
  // key the reader requires.
  std::string_view default_text;
  std::string_view description;                // one line, a sentence
  std::vector<std::string_view> allowed = {};  // the only strings it may be, when a fixed set
  const SectionSpec* section = nullptr;        // the table it holds (table, named_tables, ...)
  std::optional<std::int64_t> minimum = std::nullopt, maximum = std::nullopt;  // integers
  bool required = false;
  // The value as written when it is a TOML literal (for the schema's default), else empty.
  std::string_view default_value = {};
};

struct SectionSpec {
  SectionSpec(std::string_view id, std::string_view where, std::string_view description, std::vector<KeySpec> keys,
              std::string_view name_pattern = {});

  std::string_view id;           // the schema's definition name: "stage", "platform_stage"
  std::string_view where;        // where its keys are valid: "[stage.NAME]", "Top level"
  std::string_view description;  // one line
  std::vector<KeySpec> keys;
  // For a table reached through named_tables: the regular expression its names match, and a
  // table of names the reader refuses others of ("" any name).
  std::string_view name_pattern;
  std::vector<std::string> names;  // the keys' names, for TomlReader::check_keys

  const KeySpec* find(std::string_view key) const;
};

// The sections of xbuild.toml.
extern const SectionSpec kTopLevelSection;  // its keys: project, targets, stage, ...
extern const SectionSpec kProjectSection;
extern const SectionSpec kTargetsSection;
extern const SectionSpec kStageSection;
extern const SectionSpec kImageSection;
extern const SectionSpec kCopySection;
extern const SectionSpec kPlatformSection;
extern const SectionSpec kPlatformStageSection;
extern const SectionSpec kRootfsSection;
extern const SectionSpec kBuilderSection;
extern const SectionSpec kFirmwareSection;
extern const SectionSpec kFirmwareTargetSection;
extern const SectionSpec kCacheSection;

// Every section, the top level first, then each in the order the top level's keys reach it
// (a section after the one holding it).
const std::vector<const SectionSpec*>& config_sections();

// The names of `section`'s keys: what TomlReader::check_keys allows.
inline const std::vector<std::string>& key_names(const SectionSpec& section) { return section.names; }

}  // namespace xb
