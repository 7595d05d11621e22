// Reads xbuild.toml (toml++) into a validated Config. Every problem in the file is collected
// and reported at once, each as "file:line:col: error: message", the source line and a caret.
#pragma once

#include <cstddef>
#include <cstdint>
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
  // A long line is kept as a window around the column (set_source_line): the column of its
  // first character in the file's line, and whether the line goes on after it.
  int source_first_column = 1;
  bool source_continues = false;

  // Keeps `line`, or when it is longer than fits on a terminal line, the part of it around
  // location.column (the caret's context) that render() shows between "…" marks. `ascii`: the
  // line is known to hold no multi-byte character (columns are bytes).
  void set_source_line(std::string_view line, bool ascii = false);
  // "file:line:col: error: message", then the line in a numbered gutter and a caret under
  // the column:   "   20 | nedes = [...]" / "      | ^". A --set's: "xbuild: --set KEY=VALUE: message".
  // Control characters in the text are shown escaped ("\x1b", "\0"; tabs kept), so that the
  // file cannot drive the terminal; the caret stays under its character.
  std::string render() const;
};

struct ConfigErrors {
  // How many diagnostics render_shown() prints: a file with thousands of mistakes says so in a
  // screenful, and the rest once fixed.
  static constexpr std::size_t kShown = 50;

  std::vector<Diagnostic> diagnostics;
  // The first kShown diagnostics, then "WHERE: and N more errors" for the rest.
  std::string render_shown() const;
  std::string render() const;  // render_shown(), then count()
  // "N error(s) in FILE", "in --set" or "in FILE and --set".
  std::string count() const;
};

// The largest xbuild.toml load_config reads (4 MiB): a config is a few KiB, and whatever a path
// names is refused before it is read when it is not a regular file of at most this size.
constexpr std::uintmax_t kMaxConfigBytes = std::uintmax_t{4} << 20;

using ConfigResult = std::variant<Config, ConfigErrors>;

// Parses TOML text; `file` names it in messages and sets Config::file / directory. Each of
// `settings` ("KEY=VALUE", the command line's --set) is put into the parsed document before it is
// read, so that its key and value are checked as the file's are (toml_document.h says how it is read).
ConfigResult parse_config(std::string_view text, const std::filesystem::path& file,
                          const std::vector<std::string>& settings = {});
// Reads and parses a file. A file that is missing, not a regular file (a directory, a FIFO, a
// device such as /dev/zero, through a symbolic link too) or larger than kMaxConfigBytes is one
// diagnostic, found before anything is read.
ConfigResult load_config(const std::filesystem::path& file, const std::vector<std::string>& settings = {});

}  // namespace xb
