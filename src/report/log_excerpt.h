// What of a stage's log goes into a JUnit file: text made safe for XML, the log bounded for
// <system-out> (its head, its first errors and its tail when it is too long, a marker line where
// lines were left out), and the short error context of a <failure>.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace xb {

// `text` escaped for an XML attribute or element: & < > " as entities, the control characters
// XML 1.0 forbids and bytes that are not UTF-8 as U+FFFD.
std::string xml_text(std::string_view text);

// Whether a line reads like a compiler's, linker's, test framework's or shell's report of an
// error ("error", "FAIL", "assert", "undefined reference", ...). Counts of none ("0 failed",
// "0 errors") and flags ("-Werror") are not errors.
bool looks_like_error(std::string_view line);

struct ExcerptLimits {
  std::size_t max_lines = 5000;
  std::size_t max_bytes = 1 << 20;
};

// The whole log when it fits the limits; else its first lines, the lines around its first
// error-looking lines and its last lines (the tail gets most of the room), with a line
// "[xbuild: N lines left out]" wherever lines were dropped. Overlong lines are cut.
std::string log_excerpt(std::string_view log, const ExcerptLimits& limits = {});

// A failure's context: the first few error-looking lines of the log ("error", "FAILED",
// "Assertion", "undefined reference", ...) with the lines around them, then the last
// `tail_lines` lines, marker lines between them where lines were left out.
std::string error_context(std::string_view log, std::size_t tail_lines = 40);

}  // namespace xb
