// Reads xbuild.toml (toml++) into a validated Config. Every problem in the file is collected
// and reported at once, each as "file:line:col: error: message", the source line and a caret.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/model.h"

namespace xb {

struct Diagnostic {
  SourceLocation location;  // of a --set: "--set KEY=VALUE" as the file, line 0
  std::string message;
  std::string source_line;  // the text of the offending line, for the caret display
  int setting = 0;          // the --set it is about (from 1); 0: the file

  // "file:line:col: error: message", then the line in a numbered gutter and a caret under
  // the column:   "   20 | nedes = [...]" / "      | ^". A --set's: "xbuild: --set KEY=VALUE: message".
  std::string render() const;
};

struct ConfigErrors {
  std::vector<Diagnostic> diagnostics;
  std::string render() const;  // every diagnostic, then count()
  // "N error(s) in FILE", "in --set" or "in FILE and --set".
  std::string count() const;
};

using ConfigResult = std::variant<Config, ConfigErrors>;

// Parses TOML text; `file` names it in messages and sets Config::file / directory. Each of
// `settings` ("KEY=VALUE", the command line's --set) is put into the parsed document before it is
// read, so that its key and value are checked as the file's are (toml_document.h says how it is read).
ConfigResult parse_config(std::string_view text, const std::filesystem::path& file,
                          const std::vector<std::string>& settings = {});
// Reads and parses a file (a missing file is one diagnostic).
ConfigResult load_config(const std::filesystem::path& file, const std::vector<std::string>& settings = {});

// The OCI distribution spec's tag grammar: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
bool is_tag(std::string_view tag);

}  // namespace xb
