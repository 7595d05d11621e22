// Tests for toml_document.cpp (the parsed tree and its positions) and toml_reader.cpp (typed
// reads and the wording of their problems), apart from any one file's schema.
#include "config/toml_reader.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace xb {
namespace {

// "line:column: message" of every diagnostic, in the order take_diagnostics() gives them.
std::vector<std::string> messages(TomlReader& reader) {
  std::vector<std::string> out;
  for (const Diagnostic& diagnostic : reader.take_diagnostics())
    out.push_back(std::to_string(diagnostic.location.line) + ":" + std::to_string(diagnostic.location.column) + ": " +
                  diagnostic.message);
  return out;
}

using Messages = std::vector<std::string>;

TEST(TomlDocumentTest, ValuesKnowTheirTypeAndPosition) {
  std::variant<TomlTable, TomlSyntaxError> parsed = parse_toml(
      "s = \"x\"\ni = 7\nf = 1.5\nb = true\nd = 2024-01-02\nt = 10:00:00\ndt = 2024-01-02T10:00:00Z\n"
      "a = [1, \"two\"]\n[tab]\nk = \"v\"\n",
      "t.toml");
  ASSERT_TRUE(std::holds_alternative<TomlTable>(parsed));
  const TomlTable& root = std::get<TomlTable>(parsed);
  EXPECT_EQ(root.position().line, 1);
  EXPECT_EQ(root.position().column, 1);
  EXPECT_EQ(*root.get("s")->as_string(), "x");
  EXPECT_EQ(*root.get("i")->as_integer(), 7);
  EXPECT_EQ(*root.get("b")->as_boolean(), true);
  EXPECT_EQ(root.get("s")->as_integer(), nullptr);
  EXPECT_EQ(root.get("missing"), nullptr);
  std::vector<std::string> names;
  for (const char* key : {"tab", "a", "s", "i", "f", "b", "d", "t", "dt"}) names.push_back(root.get(key)->type_name());
  EXPECT_EQ(names, (std::vector<std::string>{"a table", "an array", "a string", "an integer", "a floating-point number",
                                             "a boolean", "a date", "a time", "a date-time"}));
  EXPECT_EQ(root.get("i")->position().line, 2);
  EXPECT_EQ(root.get("i")->position().column, 5);
  const std::vector<TomlValue>& array = *root.get("a")->as_array();
  ASSERT_EQ(array.size(), 2u);
  EXPECT_EQ(array[1].position().column, 9);
  const TomlTable& tab = *root.get("tab")->as_table();
  EXPECT_EQ(tab.position().line, 9);
  EXPECT_EQ(tab.entries().front().key_position.line, 10);
}

TEST(TomlDocumentTest, KeysInByteOrderOrAsWritten) {
  std::variant<TomlTable, TomlSyntaxError> parsed = parse_toml("b = 1\nc = 2\na = 3\n", "t.toml");
  const TomlTable& root = std::get<TomlTable>(parsed);
  std::vector<std::string> sorted;
  for (const TomlEntry& entry : root.entries()) sorted.push_back(entry.key);
  EXPECT_EQ(sorted, (std::vector<std::string>{"a", "b", "c"}));
  std::vector<std::string> written;
  for (const TomlEntry* entry : root.in_written_order()) written.push_back(entry->key);
  EXPECT_EQ(written, (std::vector<std::string>{"b", "c", "a"}));
}

TEST(TomlDocumentTest, SyntaxErrorSaysWhereAndWhy) {
  std::variant<TomlTable, TomlSyntaxError> parsed = parse_toml("a = 1\nb = \n", "t.toml");
  ASSERT_TRUE(std::holds_alternative<TomlSyntaxError>(parsed));
  const TomlSyntaxError& error = std::get<TomlSyntaxError>(parsed);
  EXPECT_EQ(error.position.line, 2);
  EXPECT_EQ(error.description, "Error while parsing key-value pair: expected value, saw '\\n'");
}

TEST(TomlReaderTest, SyntaxErrorIsOneDiagnostic) {
  TomlReader reader("a = 1\nb = \n", "t.toml");
  EXPECT_FALSE(reader.parse().has_value());
  EXPECT_EQ(messages(reader),
            Messages{"2:5: TOML syntax error while parsing key-value pair: expected value, saw '\\n'"});
}

TEST(TomlReaderTest, KeysAndTables) {
  TomlReader reader("nme = 1\ncolour = 2\nt = 3\n[sub]\n", "t.toml");
  std::optional<TomlTable> root = reader.parse();
  ASSERT_TRUE(root);
  reader.check_keys(*root, {"name", "sub", "t"}, "");
  EXPECT_EQ(reader.table(*root, "t", ""), nullptr);
  EXPECT_NE(reader.table(*root, "sub", ""), nullptr);
  EXPECT_EQ(reader.table(*root, "none", ""), nullptr);
  EXPECT_EQ(reader.required_table(*root, "tools"), nullptr);
  ASSERT_NE(reader.table(*root, "sub", ""), nullptr);
  EXPECT_EQ(reader.required(*reader.table(*root, "sub", ""), "key", "[sub]"), nullptr);
  EXPECT_EQ(reader.error_count(), 5u);
  EXPECT_EQ(messages(reader),
            (Messages{
                "1:1: unknown key \"nme\" at the top level; did you mean \"name\"?",
                "1:1: missing required table [tools]",
                "2:1: unknown key \"colour\" at the top level; valid keys are \"name\", \"sub\" and \"t\"",
                "3:5: \"t\" at the top level: expected a table, found an integer",
                "4:1: missing required key \"key\" in [sub]",
            }));
}

TEST(TomlReaderTest, Strings) {
  TomlReader reader("a = \"x\"\nb = \" \"\nc = 1\nd = \"\"\n", "t.toml");
  std::optional<TomlTable> root = reader.parse();
  ASSERT_TRUE(root);
  EXPECT_EQ(reader.string(*root, "a", "[t]"), "x");
  EXPECT_EQ(reader.string(*root, "b", "[t]"), " ");
  EXPECT_EQ(reader.string(*root, "c", "[t]"), std::nullopt);
  EXPECT_EQ(reader.string(*root, "none", "[t]"), std::nullopt);
  EXPECT_EQ(reader.non_blank_string(*root, "b", "[t]"), std::nullopt);
  EXPECT_EQ(reader.non_blank_string(*root, "none", "[t]"), std::nullopt);
  EXPECT_EQ(reader.required_string(*root, "d", "[t]", TomlReader::Blank::allowed), "");
  EXPECT_EQ(reader.required_string(*root, "d", "[t]"), std::nullopt);
  EXPECT_EQ(reader.required_string(*root, "e", "[t]"), std::nullopt);
  EXPECT_EQ(messages(reader), (Messages{
                                  "1:1: missing required key \"e\" in [t]",
                                  "2:5: \"b\" in [t] must not be empty",
                                  "3:5: \"c\" in [t]: expected a string, found an integer",
                                  "4:5: \"d\" in [t] must not be empty",
                              }));
}

TEST(TomlReaderTest, IntegersInARangeAndBooleans) {
  TomlReader reader("port = 22\nlow = 0\nhigh = 70000\nword = \"22\"\nyes = true\nno = \"no\"\n", "t.toml");
  std::optional<TomlTable> root = reader.parse();
  ASSERT_TRUE(root);
  const char* port = "a TCP port number from 1 to 65535";
  EXPECT_EQ(reader.integer(*root, "port", "[b]", 1, 65535, port), 22);
  EXPECT_EQ(reader.integer(*root, "low", "[b]", 1, 65535, port), std::nullopt);
  EXPECT_EQ(reader.integer(*root, "high", "[b]", 1, 65535, port), std::nullopt);
  EXPECT_EQ(reader.integer(*root, "word", "[b]", 1, 65535, port), std::nullopt);
  EXPECT_EQ(reader.integer(*root, "none", "[b]", 1, 65535, port), std::nullopt);
  EXPECT_EQ(reader.boolean(*root, "yes", "[b]"), true);
  EXPECT_EQ(reader.boolean(*root, "no", "[b]"), std::nullopt);
  EXPECT_EQ(reader.boolean(*root, "none", "[b]"), std::nullopt);
  EXPECT_EQ(messages(reader), (Messages{
                                  "2:7: \"low\" in [b] must be a TCP port number from 1 to 65535",
                                  "3:8: \"high\" in [b] must be a TCP port number from 1 to 65535",
                                  "4:8: \"word\" in [b] must be a TCP port number from 1 to 65535",
                                  "6:6: \"no\" in [b]: expected a boolean, found a string",
                              }));
}

TEST(TomlReaderTest, ArraysOfStringsKeepTheGoodElements) {
  TomlReader reader("a = [\"x\", 2, \"y\"]\none = \"z\"\nn = 3\n", "t.toml");
  std::optional<TomlTable> root = reader.parse();
  ASSERT_TRUE(root);
  std::optional<std::vector<TomlString>> a = reader.strings(*root, "a", "");
  ASSERT_TRUE(a);
  EXPECT_EQ(values_of(*a), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ((*a)[1].at.column, 14);
  EXPECT_EQ(reader.strings(*root, "one", ""), std::nullopt);
  std::optional<std::vector<TomlString>> one = reader.string_or_strings(*root, "one", "");
  ASSERT_TRUE(one);
  EXPECT_EQ(values_of(*one), std::vector<std::string>{"z"});
  EXPECT_EQ(reader.string_or_strings(*root, "n", ""), std::nullopt);
  EXPECT_EQ(reader.strings(*root, "none", ""), std::nullopt);
  EXPECT_EQ(messages(reader),
            (Messages{
                "1:11: \"a\" at the top level: expected an array of strings, but element 2 is an integer",
                "2:7: \"one\" at the top level: expected an array of strings, found a string",
                "3:5: \"n\" at the top level: expected a string or an array of strings, found an integer",
            }));
}

TEST(TomlReaderTest, TablesOfStringsAndEnvironments) {
  TomlReader reader(
      "[s]\nlabels = { \"a.b\" = \"1\", n = 2 }\nenv = { \"A-B\" = \"1\", OK = \"2\", \"9X\" = \"3\" }\n"
      "bad = \"x\"\n",
      "t.toml");
  std::optional<TomlTable> root = reader.parse();
  ASSERT_TRUE(root);
  const TomlTable& s = *root->get("s")->as_table();
  EXPECT_EQ(reader.string_table(s, "labels", "[s]"), (std::map<std::string, std::string>{{"a.b", "1"}}));
  EXPECT_EQ(reader.environment_table(s, "env", "[s]"),
            (std::map<std::string, std::string>{{"9X", "3"}, {"A-B", "1"}, {"OK", "2"}}));
  EXPECT_TRUE(reader.environment_table(s, "bad", "[s]").empty());
  EXPECT_TRUE(reader.string_table(s, "none", "[s]").empty());
  EXPECT_EQ(messages(reader),
            (Messages{
                "2:29: \"labels\" in [s]: expected a table of strings, but \"n\" is an integer",
                "3:9: invalid environment variable name \"A-B\" in [s] env: use letters, digits and '_', and do not "
                "start with a digit",
                "3:32: invalid environment variable name \"9X\" in [s] env: use letters, digits and '_', and do not "
                "start with a digit",
                "4:7: \"bad\" in [s]: expected a table of strings, found a string",
            }));
}

TEST(TomlReaderTest, DiagnosticsAreSortedByPositionKeepingTheOrderAtOnePlace) {
  TomlReader reader("a = 1\nb = 2\n", "t.toml");
  reader.report(TomlPosition{2, 1}, "third");
  reader.report(TomlPosition{1, 5}, "second");
  reader.report(TomlPosition{1, 1}, "first");
  reader.report(TomlPosition{2, 1}, "fourth");
  std::vector<Diagnostic> diagnostics = reader.take_diagnostics();
  ASSERT_EQ(diagnostics.size(), 4u);
  EXPECT_EQ(diagnostics[0].message, "first");
  EXPECT_EQ(diagnostics[1].message, "second");
  EXPECT_EQ(diagnostics[2].message, "third");
  EXPECT_EQ(diagnostics[3].message, "fourth");
  EXPECT_EQ(diagnostics[2].source_line, "b = 2");
  EXPECT_EQ(diagnostics[2].location.file, "t.toml");
  EXPECT_EQ(render_diagnostics(diagnostics),
            "t.toml:1:1: error: first\n    1 | a = 1\n      | ^\n"
            "t.toml:1:5: error: second\n    1 | a = 1\n      |     ^\n"
            "t.toml:2:1: error: third\n    2 | b = 2\n      | ^\n"
            "t.toml:2:1: error: fourth\n    2 | b = 2\n      | ^");
}

TEST(TomlReaderTest, CrlfLinesLoseTheirCarriageReturn) {
  TomlReader reader("a = 1\r\nb = 2\r\n", "t.toml");
  reader.report(TomlPosition{2, 5}, "here");
  EXPECT_EQ(reader.take_diagnostics().at(0).source_line, "b = 2");
}

TEST(TomlReaderTest, Wording) {
  EXPECT_EQ(in_quotes("x"), "\"x\"");
  EXPECT_EQ(in_quotes_list({}, "and"), "");
  EXPECT_EQ(in_quotes_list({"a"}, "and"), "\"a\"");
  EXPECT_EQ(in_quotes_list({"a", "b"}, "or"), "\"a\" or \"b\"");
  EXPECT_EQ(in_quotes_list({"a", "b", "c"}, "and"), "\"a\", \"b\" and \"c\"");
  EXPECT_EQ(in_scope(""), "at the top level");
  EXPECT_EQ(in_scope("[image]"), "in [image]");
  EXPECT_EQ(did_you_mean("emulated", {"auto", "emulate"}, "expected ", "or"), "; did you mean \"emulate\"?");
  EXPECT_EQ(did_you_mean("docker", {"auto", "emulate"}, "expected ", "or"), "; expected \"auto\" or \"emulate\"");
  EXPECT_TRUE(is_bare_key("build-2_x"));
  EXPECT_FALSE(is_bare_key("unit tests"));
  EXPECT_FALSE(is_bare_key(""));
  EXPECT_EQ(header_key("build"), "build");
  EXPECT_EQ(header_key("linux/amd64"), "\"linux/amd64\"");
  EXPECT_EQ(render_diagnostics({}), "");
}

}  // namespace
}  // namespace xb
