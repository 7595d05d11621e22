// The key tables of xbuild.toml (config/keys.h) against what uses them: the reader accepts every
// key of them (tests/data/config/valid/every_key.toml uses each), and docs/config.md documents
// exactly them, with their types, defaults and where each is valid.
#include "config/keys.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "build_paths.h"
#include "config/config.h"
#include "config/toml_reader.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {
namespace {

namespace fs = std::filesystem;

fs::path source_root() {
  const char* root = std::getenv("XBUILD_DATA_DIR");
  return fs::path(root && *root ? root : XBUILD_SOURCE_DATA_DIR);
}

// Every key path of the tables, as "stage.*.run", "image.copy[].from", "platform.*.rootfs.suite".
void table_paths(const SectionSpec& section, const std::string& base, std::set<std::string>& paths) {
  for (const KeySpec& key : section.keys) {
    const std::string path = (base.empty() ? "" : base + ".") + std::string(key.name);
    paths.insert(path);
    if (!key.section) continue;
    if (key.type == KeyType::named_tables)
      table_paths(*key.section, path + ".*", paths);
    else if (key.type == KeyType::table_array)
      table_paths(*key.section, path + "[]", paths);
    else
      table_paths(*key.section, path, paths);
  }
}

// The key paths a parsed file uses, read through the same tables.
void used_paths(const TomlTable& table, const SectionSpec& section, const std::string& base,
                std::set<std::string>& paths) {
  for (const TomlEntry& entry : table.entries()) {
    const std::string path = (base.empty() ? "" : base + ".") + entry.key;
    paths.insert(path);
    const KeySpec* key = section.find(entry.key);
    if (!key || !key->section) continue;
    if (key->type == KeyType::named_tables) {
      if (const TomlTable* named = entry.value.as_table())
        for (const TomlEntry& one : named->entries())
          if (const TomlTable* body = one.value.as_table()) used_paths(*body, *key->section, path + ".*", paths);
    } else if (key->type == KeyType::table_array) {
      if (const std::vector<TomlValue>* array = entry.value.as_array())
        for (const TomlValue& element : *array)
          if (const TomlTable* body = element.as_table()) used_paths(*body, *key->section, path + "[]", paths);
    } else if (const TomlTable* body = entry.value.as_table()) {
      used_paths(*body, *key->section, path, paths);
    }
  }
}

TEST(ConfigKeys, EveryKeyOfTheTablesIsAcceptedByTheReader) {
  const fs::path file = source_root() / "tests/data/config/valid/every_key.toml";
  Result<std::string> text = read_file(file);
  ASSERT_TRUE(text.ok()) << text.error();
  ConfigResult result = parse_config(text.value(), file);
  if (const ConfigErrors* errors = std::get_if<ConfigErrors>(&result)) FAIL() << errors->render();

  TomlReader reader(text.value(), file.string());
  std::optional<TomlTable> root = reader.parse();
  ASSERT_TRUE(root.has_value());
  std::set<std::string> used, tables;
  used_paths(*root, kTopLevelSection, "", used);
  table_paths(kTopLevelSection, "", tables);
  for (const std::string& path : tables)
    EXPECT_TRUE(used.count(path)) << path << " is a key of the tables that " << file.string() << " does not use";
  for (const std::string& path : used) EXPECT_TRUE(tables.count(path)) << path << " is not a key of the tables";
}

TEST(ConfigKeys, AKeyOutsideTheTablesIsRefused) {
  ConfigResult result = parse_config(
      "[project]\nname = \"p\"\n[targets]\nplatforms = [\"linux/amd64\"]\n[stage.build]\nrun = \"true\"\nrum = 1\n",
      "xbuild.toml");
  const ConfigErrors* errors = std::get_if<ConfigErrors>(&result);
  ASSERT_NE(errors, nullptr);
  EXPECT_EQ(errors->diagnostics.at(0).message, "unknown key \"rum\" in [stage.build]; did you mean \"run\"?");
}

TEST(ConfigKeys, EverySectionIsReachedOnceAndNamesItsKeysOnce) {
  std::set<std::string_view> ids, wheres;
  for (const SectionSpec* section : config_sections()) {
    EXPECT_TRUE(ids.insert(section->id).second) << section->id;
    EXPECT_TRUE(wheres.insert(section->where).second) << section->where;
    std::set<std::string_view> names;
    for (const KeySpec& key : section->keys) {
      EXPECT_TRUE(names.insert(key.name).second) << key.name << " twice in " << section->where;
      EXPECT_FALSE(key.description.empty()) << key.name << " in " << section->where;
      EXPECT_FALSE(key.default_text.empty()) << key.name << " in " << section->where;
      const bool holds_section = key.type == KeyType::table || key.type == KeyType::named_tables ||
                                 key.type == KeyType::table_array || key.type == KeyType::string_or_table;
      EXPECT_EQ(holds_section, key.section != nullptr) << key.name << " in " << section->where;
      EXPECT_EQ(key.required, key.default_text == "required") << key.name << " in " << section->where;
    }
  }
}

TEST(ConfigKeys, TheStrategiesAreTheReadersStrategies) {
  const KeySpec* strategy = kPlatformSection.find("strategy");
  ASSERT_NE(strategy, nullptr);
  std::vector<std::string_view> names;
  for (Strategy value : {Strategy::automatic, Strategy::native, Strategy::cross, Strategy::emulate})
    names.emplace_back(strategy_name(value));
  EXPECT_EQ(strategy->allowed, names);
}

// docs/config.md: a "## WHERE" heading per section, then a line per key:
// "- `KEY` (TYPE; default: DEFAULT): what it does", DEFAULT in backticks when it is a TOML value.
struct DocumentedKey {
  std::string type, default_text;
  int line = 0;
};

std::string without_backticks(const std::string& text) {
  if (text.size() >= 2 && text.front() == '`' && text.back() == '`') return text.substr(1, text.size() - 2);
  return text;
}

TEST(ConfigKeys, DocsConfigMdDocumentsExactlyTheTables) {
  const fs::path file = source_root() / "docs/config.md";
  Result<std::string> text = read_file(file);
  ASSERT_TRUE(text.ok()) << text.error();
  const std::regex key_line(R"(^- `([A-Za-z0-9_]+)` \(([^;]+); default: (.*?)\): .+$)");
  std::map<std::string, std::map<std::string, DocumentedKey>> documented;  // where -> key -> line
  std::string where;
  int number = 0;
  for (const std::string& line : split(text.value(), '\n')) {
    ++number;
    if (starts_with(line, "## ")) where = std::string(trim(line.substr(3)));
    if (!starts_with(line, "- `")) continue;
    std::smatch match;
    if (!std::regex_match(line, match, key_line)) {
      ADD_FAILURE() << "docs/config.md:" << number << ": a key is \"- `KEY` (TYPE; default: DEFAULT): ...\"";
      continue;
    }
    EXPECT_TRUE(
        documented[where].emplace(match[1], DocumentedKey{match[2], without_backticks(match[3]), number}).second)
        << "docs/config.md:" << number << ": " << match[1] << " documented twice in " << where;
  }
  for (const SectionSpec* section : config_sections()) {
    const std::string section_where(section->where);
    const std::map<std::string, DocumentedKey>& rows = documented[section_where];
    for (const KeySpec& key : section->keys) {
      auto row = rows.find(std::string(key.name));
      if (row == rows.end()) {
        ADD_FAILURE() << "docs/config.md lacks " << key.name << " under \"## " << section_where << "\"";
        continue;
      }
      EXPECT_EQ(row->second.type, type_name(key.type))
          << "docs/config.md:" << row->second.line << ": the type of " << key.name << " in " << section_where;
      EXPECT_EQ(row->second.default_text, key.default_text)
          << "docs/config.md:" << row->second.line << ": the default of " << key.name << " in " << section_where;
    }
  }
  for (const auto& [documented_where, rows] : documented) {
    const SectionSpec* section = nullptr;
    for (const SectionSpec* one : config_sections())
      if (one->where == documented_where) section = one;
    for (const auto& [key, row] : rows)
      EXPECT_TRUE(section && section->find(key))
          << "docs/config.md:" << row.line << ": " << key << " under \"## " << documented_where
          << "\" is not a key of the config tables (src/config/keys.cpp)";
  }
}

}  // namespace
}  // namespace xb
