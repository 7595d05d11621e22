// Rendering of config diagnostics in the style of compilers and ninja's parser:
//
//   xbuild.toml:7:1: error: unknown key "nedes" in [stage.test]; did you mean "needs"?
//       7 | nedes = ["build"]
//         | ^
//
// The column counts Unicode code points (as toml++ does), so the caret is placed by walking the
// source line one UTF-8 sequence at a time, writing a space for each one and keeping tabs as tabs
// so that the caret lines up whatever the terminal's tab width is.
//
// What a diagnostic prints is bounded whatever the file holds. A line longer than kWindow code
// points is kept as a window around the column, cut where it goes on with "…"; messages are cut
// at kMaxMessageBytes; control characters (C0 but tab, DEL, the C1 range, bytes that are no
// UTF-8) are printed as escapes such as "\x1b", "\0" and "\u009b", an escape taking as many
// blanks in the caret's padding as it takes columns; and ConfigErrors prints kShown diagnostics,
// then how many more there are.
#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

#include "config/config.h"
#include "util/strings.h"

namespace xb {

namespace {

constexpr int kGutterWidth = 5;
constexpr int kWindow = 100;                   // code points of a long line shown
constexpr int kWindowBefore = 60;              // of which before the caret's column
constexpr std::size_t kMaxMessageBytes = 600;  // the longest message xbuild writes is under 300
const std::string kCut = "\xE2\x80\xA6";       // "…"

std::string gutter(int line) {
  char number[32];
  std::snprintf(number, sizeof number, "%*d", kGutterWidth, line);
  return std::string(number) + " | ";
}

// The length of the UTF-8 sequence starting at `i`, or 0 when the bytes there are not one.
std::size_t sequence_length(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
  unsigned char lead = byte(i);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  return length;
}

// One character of `text` at `i` as a terminal may safely show it, and how many bytes it took.
std::string shown_character(std::string_view text, std::size_t i, std::size_t& length) {
  char escape[16];
  length = sequence_length(text, i);
  unsigned char c = static_cast<unsigned char>(text[i]);
  if (length == 0) {  // a byte that is no UTF-8: shown as the byte it is
    length = 1;
    std::snprintf(escape, sizeof escape, "\\x%02x", c);
    return escape;
  }
  if (c == 0) return "\\0";
  if ((c < 0x20 && c != '\t') || c == 0x7F) {
    std::snprintf(escape, sizeof escape, "\\x%02x", c);
    return escape;
  }
  // U+0080..U+009F, the C1 controls (U+009B is a terminal's CSI), as C2 80..C2 9F.
  if (c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
    std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(text[i + 1]));
    return escape;
  }
  return std::string(text.substr(i, length));
}

// How many columns a shown character takes: an escape its length, anything else one.
std::size_t columns_of(const std::string& shown) { return shown.size() > 1 && shown[0] == '\\' ? shown.size() : 1; }

std::string shown_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0, length = 0; i < text.size(); i += length) out += shown_character(text, i, length);
  return out;
}

// The byte offset of the code point numbered `count` (from 0) of `text`, or its size.
std::size_t offset_of(std::string_view text, int count) {
  std::size_t i = 0;
  for (int n = 0; n < count && i < text.size(); ++n) {
    std::size_t length = sequence_length(text, i);
    i += length == 0 ? 1 : length;
  }
  return i;
}

int code_points(std::string_view text) {
  int count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    std::size_t length = sequence_length(text, i);
    i += length == 0 ? 1 : length;
  }
  return count;
}

// `message` shown safely, its first kMaxMessageBytes at most.
std::string shown_message(std::string_view message) {
  if (message.size() <= kMaxMessageBytes) return shown_text(message);
  std::size_t end = kMaxMessageBytes;
  while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80) --end;
  return shown_text(message.substr(0, end)) + kCut;
}

}  // namespace

void Diagnostic::set_source_line(std::string_view line, bool ascii) {
  source_first_column = 1;
  source_continues = false;
  // A character is a byte in an ASCII line: no walk over a long line for each of its errors.
  const int length = ascii ? static_cast<int>(std::min<std::size_t>(line.size(), INT_MAX)) : code_points(line);
  if (length <= kWindow) {
    source_line = std::string(line);
    return;
  }
  int first = std::max(1, std::min(location.column - kWindowBefore, length - kWindow + 1));
  std::size_t begin = ascii ? static_cast<std::size_t>(first - 1) : offset_of(line, first - 1);
  std::size_t end = ascii ? begin + kWindow : begin + offset_of(line.substr(begin), kWindow);
  source_line = std::string(line.substr(begin, end - begin));
  source_first_column = first;
  source_continues = end < line.size();
}

// Everything a diagnostic echoes of what the user typed goes through redact_credentials: a
// password typed into a name or URL is never shown.
std::string Diagnostic::render() const {
  const std::string said = redact_credentials(shown_message(message));
  const std::string file = redact_credentials(shown_text(location.file));
  if (setting > 0) return "xbuild: " + file + ": " + said + "\n";
  if (location.line <= 0) return file + ": error: " + said + "\n";
  std::string out =
      file + ":" + std::to_string(location.line) + ":" + std::to_string(location.column) + ": error: " + said + "\n";
  const std::string line = redact_credentials(source_line);
  std::string shown = source_first_column > 1 ? kCut : "";
  std::string padding = source_first_column > 1 ? " " : "";
  int column = source_first_column;
  for (std::size_t i = 0, length = 0; i < line.size(); i += length, ++column) {
    std::string character = shown_character(line, i, length);
    if (column < location.column) padding += character == "\t" ? "\t" : std::string(columns_of(character), ' ');
    shown += character;
  }
  if (source_continues) shown += kCut;
  for (; column < location.column; ++column) padding += ' ';
  out += gutter(location.line) + shown + "\n";
  out += std::string(kGutterWidth, ' ') + " | " + padding + "^\n";
  return out;
}

std::string ConfigErrors::render_shown() const {
  std::string out;
  const std::size_t shown = std::min(diagnostics.size(), kShown);
  for (std::size_t i = 0; i < shown; ++i) out += diagnostics[i].render();
  if (diagnostics.size() > shown) {
    const std::string where = count().substr(count().find(" in ") + 4);
    const std::size_t more = diagnostics.size() - shown;
    out += shown_text(where) + ": and " + std::to_string(more) + (more == 1 ? " more error\n" : " more errors\n");
  }
  return out;
}

std::string ConfigErrors::render() const { return render_shown() + shown_text(count()) + "\n"; }

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
