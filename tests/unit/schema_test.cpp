// The JSON Schema of xbuild.toml (config/schema.h): the committed docs/xbuild.schema.json is the
// generated one, and its keys are exactly the key tables' (config/keys.h), section by section.
#include "config/schema.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "build_paths.h"
#include "config/keys.h"
#include "util/fs.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

fs::path source_root() {
  const char* root = std::getenv("XBUILD_DATA_DIR");
  return fs::path(root && *root ? root : XBUILD_SOURCE_DATA_DIR);
}

TEST(ConfigSchema, TheCommittedSchemaIsTheGeneratedOne) {
  Result<std::string> committed = read_file(source_root() / "docs/xbuild.schema.json");
  ASSERT_TRUE(committed.ok()) << committed.error();
  EXPECT_TRUE(committed.value() == config_json_schema())
      << "docs/xbuild.schema.json is not what the key tables (src/config/keys.cpp) give: run `xbuild schema > "
         "docs/xbuild.schema.json` and commit it";
}

TEST(ConfigSchema, IsDraft07WithEveryTableClosed) {
  Json schema = Json::parse(config_json_schema());
  EXPECT_EQ(schema["$schema"], "http://json-schema.org/draft-07/schema#");
  EXPECT_EQ(schema["additionalProperties"], false);
  EXPECT_EQ(schema["required"], Json::array({"project", "targets", "stage"}));
  for (const SectionSpec* section : config_sections()) {
    if (section == &kTopLevelSection) continue;
    const Json& definition = schema["definitions"][std::string(section->id)];
    EXPECT_EQ(definition["additionalProperties"], false) << section->id;
  }
  EXPECT_EQ(schema["properties"]["platform"]["patternProperties"].begin().key(),
            "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?$");
  const Json& strategy = schema["definitions"]["platform"]["properties"]["strategy"];
  EXPECT_EQ(strategy["enum"], Json::array({"auto", "native", "cross", "emulate"}));
  EXPECT_EQ(strategy["default"], "auto");
  EXPECT_EQ(strategy["markdownDescription"],
            "How the platform is built: auto takes native, else cross, else emulate.\n\n*string* in "
            "`[platform.\"os/arch\"]`; default: `\"auto\"`; one of `\"auto\"` `\"native\"` `\"cross\"` `\"emulate\"`.");
  const Json& level = schema["definitions"]["image"]["properties"]["compression_level"];
  EXPECT_EQ(level["minimum"], 0);
  EXPECT_EQ(level["maximum"], 9);
  EXPECT_EQ(level["default"], 1);
}

// Key paths as keys_test.cpp writes them: "stage.*.run", "image.copy[].from".
void table_paths(const SectionSpec& section, const std::string& base, std::set<std::string>& paths) {
  for (const KeySpec& key : section.keys) {
    const std::string path = (base.empty() ? "" : base + ".") + std::string(key.name);
    paths.insert(path);
    if (!key.section) continue;
    table_paths(*key.section,
                path + (key.type == KeyType::named_tables  ? ".*"
                        : key.type == KeyType::table_array ? "[]"
                                                           : ""),
                paths);
  }
}

// The same, read from the schema: properties, through references, allOf/anyOf branches, tables by
// name (patternProperties, additionalProperties) and arrays' items.
void schema_paths(const Json& root, const Json& node, const std::string& base, std::set<std::string>& paths,
                  int depth = 0) {
  ASSERT_LT(depth, 40) << "the schema's references loop at " << base;
  if (!node.is_object()) return;
  if (node.contains("$ref")) {
    const std::string ref = node["$ref"];
    ASSERT_EQ(ref.rfind("#/definitions/", 0), 0u) << ref;
    schema_paths(root, root["definitions"][ref.substr(14)], base, paths, depth + 1);
  }
  for (const char* branches : {"allOf", "anyOf", "oneOf"})
    if (node.contains(branches))
      for (const Json& branch : node[branches]) schema_paths(root, branch, base, paths, depth + 1);
  if (node.contains("properties"))
    for (const auto& [key, value] : node["properties"].items()) {
      const std::string path = (base.empty() ? "" : base + ".") + key;
      paths.insert(path);
      schema_paths(root, value, path, paths, depth + 1);
    }
  if (node.contains("patternProperties"))
    for (const auto& [pattern, value] : node["patternProperties"].items())
      schema_paths(root, value, base + ".*", paths, depth + 1);
  if (node.contains("additionalProperties"))
    schema_paths(root, node["additionalProperties"], base + ".*", paths, depth + 1);
  if (node.contains("items")) schema_paths(root, node["items"], base + "[]", paths, depth + 1);
}

TEST(ConfigSchema, HoldsExactlyTheKeysOfTheTables) {
  Result<std::string> committed = read_file(source_root() / "docs/xbuild.schema.json");
  ASSERT_TRUE(committed.ok()) << committed.error();
  Json schema = Json::parse(committed.value());
  std::set<std::string> in_schema, in_tables;
  schema_paths(schema, schema, "", in_schema);
  table_paths(kTopLevelSection, "", in_tables);
  for (const std::string& path : in_tables)
    EXPECT_TRUE(in_schema.count(path)) << path << " is a key of the tables, not of docs/xbuild.schema.json";
  for (const std::string& path : in_schema)
    EXPECT_TRUE(in_tables.count(path)) << path << " is a key of docs/xbuild.schema.json, not of the tables";
  EXPECT_EQ(in_tables.size(), 82u);
}

}  // namespace
}  // namespace xb
