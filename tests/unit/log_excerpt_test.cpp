// What of a log reaches a JUnit file: XML-safe text, the bounded <system-out>, a failure's
// error context.
#include "report/log_excerpt.h"

#include <gtest/gtest.h>

namespace xb {
namespace {

std::string numbered(int from, int to) {
  std::string log;
  for (int line = from; line <= to; ++line) log += "line " + std::to_string(line) + "\n";
  return log;
}

TEST(LogExcerpt, XmlTextEscapesAndReplacesWhatXmlCannotHold) {
  EXPECT_EQ(xml_text("a <b> & \"c\"\n\tä€"), "a &lt;b&gt; &amp; &quot;c&quot;\n\tä€");
  // A terminal's colour codes and bytes that are not UTF-8 become U+FFFD.
  EXPECT_EQ(xml_text("\x1b[31mred\x1b[0m"), "\xEF\xBF\xBD[31mred\xEF\xBF\xBD[0m");
  EXPECT_EQ(xml_text("caf\xE9!"), "caf\xEF\xBF\xBD!");
  EXPECT_EQ(xml_text("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // an overlong '/'
  EXPECT_EQ(xml_text("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(xml_text("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
}

TEST(LogExcerpt, ALogThatFitsIsWhole) {
  EXPECT_EQ(log_excerpt(numbered(1, 65)), numbered(1, 65));
  EXPECT_EQ(log_excerpt("no newline at the end"), "no newline at the end\n");
  EXPECT_EQ(log_excerpt(""), "");
}

TEST(LogExcerpt, ALongLogKeepsItsHeadItsFirstErrorAndItsTail) {
  std::string log = numbered(1, 40) + "test.c:41: assertion failed: x == 2\n" + numbered(42, 200);
  EXPECT_EQ(log_excerpt(log, {40, 1 << 20}),
            "line 1\nline 2\nline 3\nline 4\n"  // the head: a tenth of the room
            "[xbuild: 34 lines left out]\n"
            "line 39\nline 40\ntest.c:41: assertion failed: x == 2\nline 42\nline 43\nline 44\nline 45\n"
            "line 46\n"  // the error and its context: a fifth
            "[xbuild: 126 lines left out]\n" +
                numbered(173, 200));  // the tail: the rest
}

TEST(LogExcerpt, TheByteLimitBoundsItToo) {
  std::string log = numbered(1, 1000);
  std::string excerpt = log_excerpt(log, {5000, 1000});
  EXPECT_LE(excerpt.size(), 1100u);
  EXPECT_EQ(excerpt.substr(0, 14), "line 1\nline 2\n");
  EXPECT_NE(excerpt.find("lines left out]\n"), std::string::npos);
  EXPECT_EQ(excerpt.substr(excerpt.size() - 10), "line 1000\n");
}

TEST(LogExcerpt, AnOverlongLineIsCut) {
  std::string log = numbered(1, 9) + std::string(5000, 'x') + "\n";
  std::string excerpt = log_excerpt(log, {5, 1 << 20});
  EXPECT_NE(excerpt.find(std::string(4096, 'x') + " [xbuild: 904 more bytes cut]\n"), std::string::npos) << excerpt;
  EXPECT_EQ(excerpt.find(std::string(4097, 'x')), std::string::npos);
}

TEST(LogExcerpt, ErrorContextHasTheFirstErrorsAndTheTail) {
  std::string log = numbered(1, 7) + "Assertion `value == 3' failed.\n" + numbered(9, 65);
  EXPECT_EQ(error_context(log, 3),
            "[xbuild: 5 lines left out]\n"
            "line 6\nline 7\nAssertion `value == 3' failed.\nline 9\nline 10\nline 11\nline 12\nline 13\n"
            "[xbuild: 49 lines left out]\n"
            "line 63\nline 64\nline 65\n");
}

TEST(LogExcerpt, CountsOfNoneAndWarningFlagsAreNoErrors) {
  std::string log = "cc -Werror -c a.c\n100% tests passed, 0 tests failed out of 4\n0 errors\n" + numbered(4, 10);
  EXPECT_EQ(error_context(log, 2), "[xbuild: 8 lines left out]\nline 9\nline 10\n");
}

TEST(LogExcerpt, ErrorContextOfAShortLogIsTheLog) {
  EXPECT_EQ(error_context("make: *** [all] Error 2\n", 40), "make: *** [all] Error 2\n");
  EXPECT_EQ(error_context("", 40), "");
}

}  // namespace
}  // namespace xb
