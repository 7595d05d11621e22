#include "util/strings.h"

#include <gtest/gtest.h>

namespace xb {
namespace {

TEST(Strings, SplitKeepsEmptyParts) {
  EXPECT_EQ(split("a/b//c", '/'), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(split("", '/'), (std::vector<std::string>{""}));
}

TEST(Strings, JoinAndTrim) {
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join({}, ", "), "");
  EXPECT_EQ(trim("  x y \n"), "x y");
}

TEST(Strings, ShellQuoteLeavesPlainWordsAndQuotesTheRest) {
  EXPECT_EQ(shell_quote("qemu-aarch64-static"), "qemu-aarch64-static");
  EXPECT_EQ(shell_quote("/usr/aarch64-linux-gnu"), "/usr/aarch64-linux-gnu");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_join({"qemu-arm-static", "-L", "/usr/arm-linux-gnueabihf"}),
            "qemu-arm-static -L /usr/arm-linux-gnueabihf");
}

TEST(Strings, ClosestMatchFindsTyposOnly) {
  EXPECT_EQ(edit_distance("needs", "nedes"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(closest_match("nedes", {"run", "needs", "env", "timeout"}), "needs");
  EXPECT_EQ(closest_match("plaforms", {"platforms"}), "platforms");
  EXPECT_EQ(closest_match("xyz", {"run", "needs", "env", "timeout"}), "");
}

TEST(Strings, RenderColumnsPadsEveryColumnButTheLast) {
  EXPECT_EQ(render_columns({{"PLATFORM", "STRATEGY"}, {"linux/arm/v7", "cross"}, {"linux/386", "cross"}}),
            "PLATFORM      STRATEGY\n"
            "linux/arm/v7  cross\n"
            "linux/386     cross\n");
  EXPECT_EQ(render_columns({}), "");
}

TEST(Strings, JsonQuoteEscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_quote("plain"), "\"plain\"");
  EXPECT_EQ(json_quote("a\"b\\c\nd\te\r"), "\"a\\\"b\\\\c\\nd\\te\\r\"");
  EXPECT_EQ(json_quote(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(json_quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

TEST(Strings, PasswordsAreNeverEchoed) {
  EXPECT_EQ(redact_credentials("https://alice:s3cret@r.example/v2/"), "https://alice:***@r.example/v2/");
  EXPECT_EQ(redact_credentials("alice:s3cret@r.example:5000/app:1"), "alice:***@r.example:5000/app:1");
  EXPECT_EQ(redact_credentials("https://ghp_token@r.example/x"), "https://***@r.example/x");
  EXPECT_EQ(redact_credentials("cannot reach \"http://u:p@a/x\" or http://v:q@b/y"),
            "cannot reach \"http://u:***@a/x\" or http://v:***@b/y");
  EXPECT_EQ(redact_credentials("https://p:w:x@h/"), "https://p:***@h/");
  // No secret: a user name alone, a digest, a path with an '@'.
  EXPECT_EQ(redact_credentials("alice@r.example/app"), "alice@r.example/app");
  EXPECT_EQ(redact_credentials("app:1@sha256:ab12"), "app:1@sha256:ab12");
  EXPECT_EQ(redact_credentials("r.example/app@sha256:ab12"), "r.example/app@sha256:ab12");
  EXPECT_EQ(redact_credentials("https://r.example/a/b:c@d"), "https://r.example/a/b:c@d");
  EXPECT_EQ(redact_credentials("no at sign"), "no at sign");
}

}  // namespace
}  // namespace xb
