// Rendering of config diagnostics in the style of compilers and ninja's parser:
//
//   xbuild.toml:7:1: error: unknown key "nedes" in [stage.test]; did you mean "needs"?
//       7 | nedes = ["build"]
//         | ^
//
// The column counts Unicode code points (as toml++ does), so the caret is placed by walking the
// source line one UTF-8 sequence at a time, writing a space for each one and keeping tabs as tabs
// so that the caret lines up whatever the terminal's tab width is.
#include <cstddef>
#include <cstdio>
#include <string>

#include "config/config.h"

namespace xb {

namespace {

constexpr int kGutterWidth = 5;

std::string gutter(int line) {
  char number[32];
  std::snprintf(number, sizeof number, "%*d", kGutterWidth, line);
  return std::string(number) + " | ";
}

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Blanks for the first `column - 1` characters of `line`: tabs kept, everything else a space.
std::string caret_padding(const std::string& line, int column) {
  std::string padding;
  std::size_t i = 0;
  for (int count = 1; count < column; ++count) {
    if (i < line.size() && line[i] == '\t') {
      padding += '\t';
    } else {
      padding += ' ';
    }
    if (i < line.size()) {
      ++i;
      while (i < line.size() && is_continuation_byte(line[i])) ++i;
    }
  }
  return padding;
}

}  // namespace

std::string Diagnostic::render() const {
  if (setting > 0) return "xbuild: " + location.file + ": " + message + "\n";
  if (location.line <= 0) return location.file + ": error: " + message + "\n";
  std::string out = location.file + ":" + std::to_string(location.line) + ":" + std::to_string(location.column) +
                    ": error: " + message + "\n";
  out += gutter(location.line) + source_line + "\n";
  out += std::string(kGutterWidth, ' ') + " | " + caret_padding(source_line, location.column) + "^\n";
  return out;
}

std::string ConfigErrors::render() const {
  std::string out;
  for (const Diagnostic& diagnostic : diagnostics) out += diagnostic.render();
  return out + count() + "\n";
}

std::string ConfigErrors::count() const {
  std::string file;
  bool settings = false;
  for (const Diagnostic& diagnostic : diagnostics) {
    if (diagnostic.setting > 0)
      settings = true;
    else if (file.empty())
      file = diagnostic.location.file;
  }
  std::string where = file.empty() ? (settings ? "--set" : "configuration") : settings ? file + " and --set" : file;
  return std::to_string(diagnostics.size()) + (diagnostics.size() == 1 ? " error in " : " errors in ") + where;
}

}  // namespace xb
