// A --set KEY=VALUE read by toml++ (its key as a TOML key, its value as a TOML value or a bare
// word) and put into a parsed document.
#include "config/toml_document.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

namespace xb {
namespace {

using Path = std::vector<std::string>;

TomlSetting setting_of(std::string_view text, int number = 1) {
  std::variant<TomlSetting, std::string> parsed = parse_toml_setting(text, number);
  if (const std::string* problem = std::get_if<std::string>(&parsed)) {
    ADD_FAILURE() << text << ": " << *problem;
    return {};
  }
  return std::get<TomlSetting>(std::move(parsed));
}

std::string problem_of(std::string_view text) {
  std::variant<TomlSetting, std::string> parsed = parse_toml_setting(text, 1);
  const std::string* problem = std::get_if<std::string>(&parsed);
  return problem ? *problem : "(read)";
}

TomlTable document(std::string_view text) {
  std::variant<TomlTable, TomlSyntaxError> parsed = parse_toml(text, "xbuild.toml");
  EXPECT_TRUE(std::holds_alternative<TomlTable>(parsed));
  return std::get<TomlTable>(std::move(parsed));
}

TEST(TomlSettingTest, ABareWordIsTheStringItSpells) {
  TomlSetting name = setting_of("image.name=registry.example/app", 3);
  EXPECT_EQ(name.path, (Path{"image", "name"}));
  ASSERT_NE(name.value.as_string(), nullptr);
  EXPECT_EQ(*name.value.as_string(), "registry.example/app");
  EXPECT_EQ(name.value.position().setting, 3);
  EXPECT_EQ(*setting_of("stage.test.timeout=20m").value.as_string(), "20m");
  EXPECT_EQ(*setting_of("image.name=").value.as_string(), "");
  // Split at the first '=', blanks around key and value dropped.
  TomlSetting spaced = setting_of(" stage.test.run = make check V=1 ");
  EXPECT_EQ(spaced.path, (Path{"stage", "test", "run"}));
  EXPECT_EQ(*spaced.value.as_string(), "make check V=1");
}

TEST(TomlSettingTest, ValuesAreTomlValues) {
  EXPECT_EQ(*setting_of("targets.jobs=4").value.as_integer(), 4);
  EXPECT_EQ(*setting_of("stage.test.timeout=90").value.as_integer(), 90);
  EXPECT_TRUE(*setting_of("targets.ccache=true").value.as_boolean());
  EXPECT_EQ(*setting_of("image.name=\"a b\"").value.as_string(), "a b");
  TomlSetting tags = setting_of("image.tags=[\"a\",\"b\"]", 2);
  ASSERT_NE(tags.value.as_array(), nullptr);
  ASSERT_EQ(tags.value.as_array()->size(), 2u);
  EXPECT_EQ(*(*tags.value.as_array())[1].as_string(), "b");
  EXPECT_EQ((*tags.value.as_array())[1].position().setting, 2);  // every position of the value
  TomlSetting copy = setting_of("image.copy=[{ from = \"app\", to = \"/app\" }]", 4);
  const TomlTable* entry = (*copy.value.as_array())[0].as_table();
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(*entry->get("to")->as_string(), "/app");
  EXPECT_EQ(entry->entries()[0].key_position.setting, 4);
}

TEST(TomlSettingTest, KeysAreTomlKeys) {
  EXPECT_EQ(setting_of("platform.\"linux/arm64\".env.CC=clang").path, (Path{"platform", "linux/arm64", "env", "CC"}));
  EXPECT_EQ(setting_of("stage.'my stage'.run=make").path, (Path{"stage", "my stage", "run"}));
  EXPECT_EQ(setting_of("image = { name = \"x\" }").path, (Path{"image"}));
}

TEST(TomlSettingTest, MalformedSettingsSayWhy) {
  const std::string usage = "expected KEY=VALUE, e.g. --set image.name=registry.example/app";
  EXPECT_EQ(problem_of("foo"), usage);
  EXPECT_EQ(problem_of("=x"), usage);
  EXPECT_EQ(problem_of(" = x"), usage);
  EXPECT_EQ(problem_of("a b=1"),
            "\"a b\" is not a key of the file: dotted names, a part that is not letters, digits, '-' and '_' in "
            "quotes (platform.\"linux/arm64\".env.CC)");
  EXPECT_EQ(problem_of("platform.linux/arm64.env.CC=x").substr(0, 40), "\"platform.linux/arm64.env.CC\" is not a k");
  EXPECT_EQ(problem_of("image.tags=[\"a\","),
            "[\"a\", is not a TOML value: error while parsing array: encountered end-of-file");
  EXPECT_EQ(problem_of("image.name=\"a"),
            "\"a is not a TOML value: error while parsing string: encountered end-of-file");
  EXPECT_EQ(problem_of("image.tags=[\"a\"]\n[stage.x]"),
            "\"[\"a\"]\n[stage.x]\" is more than one value; quote it as a string: --set 'image.tags=\"...\"'");
}

TEST(TomlSettingTest, SetReplacesAValueWhereItWasWritten) {
  TomlTable root = document("[image]\nname = \"a\"\ntags = [\"1\"]\n");
  TomlSetting name = setting_of("image.name=b", 1);
  TomlSetStop stop = set_toml_value(root, name.path, name.value, TomlPosition{1, 1, 1});
  EXPECT_EQ(stop.blocker, nullptr);
  const TomlTable& image = *root.get("image")->as_table();
  EXPECT_EQ(*image.get("name")->as_string(), "b");
  EXPECT_EQ(image.get("name")->position().setting, 1);
  std::vector<const TomlEntry*> written = image.in_written_order();
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0]->key, "name");  // still where the file wrote it
  EXPECT_EQ(written[0]->key_position.line, 2);
}

TEST(TomlSettingTest, SetAddsKeysInByteOrderAndMakesTheTablesOnTheWay) {
  TomlTable root = document("[image]\nname = \"a\"\ntags = [\"1\"]\n");
  TomlSetting from = setting_of("image.from=debian", 1);
  set_toml_value(root, from.path, from.value, TomlPosition{1, 1, 1});
  TomlSetting env = setting_of("platform.\"linux/arm64\".env.CC=clang", 2);
  set_toml_value(root, env.path, env.value, TomlPosition{1, 1, 2});
  const TomlTable& image = *root.get("image")->as_table();
  ASSERT_EQ(image.entries().size(), 3u);
  EXPECT_EQ(image.entries()[0].key, "from");
  EXPECT_EQ(image.entries()[0].key_position.setting, 1);
  EXPECT_EQ(image.in_written_order().back()->key, "from");  // after the file's keys
  const TomlValue* platform = root.get("platform");
  ASSERT_NE(platform, nullptr);
  EXPECT_EQ(platform->position().setting, 2);
  const TomlTable* arm64 = platform->as_table()->get("linux/arm64")->as_table();
  EXPECT_EQ(*arm64->get("env")->as_table()->get("CC")->as_string(), "clang");
  EXPECT_EQ(arm64->position().setting, 2);
}

TEST(TomlSettingTest, SetStopsAtAValueThatIsNoTable) {
  TomlTable root = document("[image]\nname = \"a\"\ncopy = [{ from = \"a\", to = \"/a\" }]\n");
  TomlSetting deep = setting_of("image.name.x.y=1");
  TomlSetStop stop = set_toml_value(root, deep.path, deep.value, TomlPosition{1, 1, 1});
  EXPECT_EQ(stop.depth, 2u);
  ASSERT_NE(stop.blocker, nullptr);
  EXPECT_EQ(stop.blocker->type_name(), std::string("a string"));
  TomlSetting into_array = setting_of("image.copy.from=b");
  stop = set_toml_value(root, into_array.path, into_array.value, TomlPosition{1, 1, 1});
  EXPECT_EQ(stop.depth, 2u);
  EXPECT_NE(stop.blocker->as_array(), nullptr);
  EXPECT_EQ(*root.get("image")->as_table()->get("name")->as_string(), "a");  // nothing changed
}

TEST(TomlSettingTest, SettingsComeAfterTheFileInWrittenOrder) {
  EXPECT_TRUE(before(TomlPosition{90, 1, 0}, TomlPosition{1, 1, 1}));
  EXPECT_TRUE(before(TomlPosition{1, 1, 1}, TomlPosition{1, 1, 2}));
  EXPECT_FALSE(before(TomlPosition{1, 1, 2}, TomlPosition{1, 1, 1}));
  EXPECT_TRUE(before(TomlPosition{1, 1, 0}, TomlPosition{2, 1, 0}));
}

}  // namespace
}  // namespace xb
