// What every reader of a TOML file in xbuild shares (xbuild.toml, toolchains/*.toml,
// qemu/*.toml): the name of a value's type for messages, the source lines for the caret
// display, and a Diagnostic at a toml++ source position. Include only where toml++ is already
// used: it is a heavy header.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "util/strings.h"

namespace xb {

// "a string", "an integer", "an array of" ... as messages say what was found.
inline std::string toml_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// The file's lines without their line endings (CRLF files too), for Diagnostic::source_line.
inline std::vector<std::string> split_source_lines(std::string_view text) {
  std::vector<std::string> lines = split(text, '\n');
  for (std::string& line : lines) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
  }
  return lines;
}

inline Diagnostic diagnostic_at(const std::string& file, const std::vector<std::string>& lines,
                                const toml::source_position& at, std::string message) {
  Diagnostic diagnostic;
  diagnostic.location = SourceLocation{file, static_cast<int>(at.line), static_cast<int>(at.column)};
  diagnostic.message = std::move(message);
  if (at.line >= 1 && at.line <= lines.size()) diagnostic.source_line = lines[at.line - 1];
  return diagnostic;
}

}  // namespace xb
