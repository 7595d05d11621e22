// A log excerpt is a set of line ranges of the log, merged and written in order with a marker
// line for every gap. A log too long for the limits keeps its first lines (how the stage began),
// the lines around its first error-looking lines (where it went wrong, often far from the end:
// a test runner prints its summary after the assertion) and its last lines, each part picked
// until its share of the line and byte budget is spent.
#include "report/log_excerpt.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>
#include <vector>

namespace xb {

namespace {

constexpr std::size_t kMaxLineBytes = 4096;  // longer lines are cut
constexpr std::size_t kContextBefore = 2, kContextAfter = 5;
constexpr std::size_t kErrorsShown = 3;  // error-looking lines in a failure's context

// The length of the UTF-8 sequence starting at `text[at]`, or 0 when it is not valid UTF-8.
std::size_t utf8_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i)
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
  if (length == 2 && lead < 0xC2) return 0;                                             // overlong
  if (length == 3 && lead == 0xE0 && byte(at + 1) < 0xA0) return 0;                     // overlong
  if (length == 3 && lead == 0xED && byte(at + 1) >= 0xA0) return 0;                    // surrogate
  if (length == 4 && (lead > 0xF4 || (lead == 0xF0 && byte(at + 1) < 0x90))) return 0;  // overlong, > U+10FFFF
  if (length == 4 && lead == 0xF4 && byte(at + 1) >= 0x90) return 0;
  return length;
}

std::vector<std::string_view> lines_of(std::string_view log) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string_view::npos) end = log.size();
    lines.push_back(log.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string cut_line(std::string_view line) {
  if (line.size() <= kMaxLineBytes) return std::string(line);
  return fmt::format("{} [xbuild: {} more bytes cut]", line.substr(0, kMaxLineBytes), line.size() - kMaxLineBytes);
}

using Range = std::pair<std::size_t, std::size_t>;  // [first, last) line numbers

// The ranges in line order, overlapping and adjacent ones joined, each line once, a marker line
// for each gap (also before the first range and after the last).
std::string render_ranges(const std::vector<std::string_view>& lines, std::vector<Range> ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::string out;
  std::size_t next = 0;  // the first line not written or skipped yet
  auto skip_to = [&](std::size_t line) {
    if (line > next) out += fmt::format("[xbuild: {} line{} left out]\n", line - next, line - next == 1 ? "" : "s");
    next = std::max(next, line);
  };
  for (const auto& [first, last] : ranges) {
    skip_to(first);
    for (std::size_t line = std::max(first, next); line < std::min(last, lines.size()); ++line)
      out += cut_line(lines[line]) + "\n";
    next = std::max(next, std::min(last, lines.size()));
  }
  skip_to(lines.size());
  return out;
}

std::vector<std::size_t> error_lines(const std::vector<std::string_view>& lines, std::size_t from, std::size_t count) {
  std::vector<std::size_t> found;
  for (std::size_t line = from; line < lines.size() && found.size() < count; ++line)
    if (looks_like_error(lines[line])) found.push_back(line);
  return found;
}

// Picks lines into ranges while a share of the budget lasts.
struct Budget {
  std::size_t lines, bytes;
  bool take(std::string_view line) {
    std::size_t size = std::min(line.size(), kMaxLineBytes + 40) + 1;
    if (lines == 0 || size > bytes) return false;
    --lines;
    bytes -= size;
    return true;
  }
};

}  // namespace

bool looks_like_error(std::string_view line) {
  static const std::array<std::string_view, 11> kWords = {"error",
                                                          "fail",
                                                          "assert",
                                                          "fatal",
                                                          "panic",
                                                          "traceback",
                                                          "exception",
                                                          "undefined reference",
                                                          "segmentation fault",
                                                          "aborted",
                                                          "core dumped"};
  const std::string text = lower(line);
  for (std::string_view word : kWords) {
    for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
      std::string_view before = std::string_view(text).substr(0, at);
      if (before.ends_with("-w") || before.ends_with("0 ") || before.ends_with("0 tests ")) continue;
      return true;
    }
  }
  return false;
}

std::string xml_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    char c = text[at];
    std::size_t length = utf8_length(text, at);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
      ++at;
      continue;
    }
    if (length > 1) {
      out.append(text.substr(at, length));
      at += length;
      continue;
    }
    ++at;
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 forbids most control characters, even escaped (a terminal's ESC among them).
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
          out += "\xEF\xBF\xBD";
        else
          out += c;
    }
  }
  return out;
}

std::string log_excerpt(std::string_view log, const ExcerptLimits& limits) {
  std::vector<std::string_view> lines = lines_of(log);
  if (lines.size() <= limits.max_lines && log.size() <= limits.max_bytes) {
    std::string whole(log);
    if (!whole.empty() && whole.back() != '\n') whole += '\n';
    return whole;
  }
  std::vector<Range> ranges;
  // The head: a tenth of the budget.
  Budget head{limits.max_lines / 10, limits.max_bytes / 10};
  std::size_t head_end = 0;
  while (head_end < lines.size() && head.take(lines[head_end])) ++head_end;
  ranges.push_back({0, head_end});
  // The first errors after it, with their context: a fifth.
  Budget errors{limits.max_lines / 5, limits.max_bytes / 5};
  for (std::size_t line : error_lines(lines, head_end, lines.size())) {
    std::size_t first = std::max(line - std::min(line, kContextBefore), ranges.back().second);
    std::size_t last = std::min(lines.size(), line + kContextAfter + 1);
    if (first >= last) continue;
    std::size_t end = first;
    while (end < last && errors.take(lines[end])) ++end;
    if (end > first) ranges.push_back({first, end});
    if (end < last) break;
  }
  // The tail: the rest.
  std::size_t used_lines = 0, used_bytes = 0;
  for (const Range& range : ranges)
    for (std::size_t line = range.first; line < range.second; ++line) {
      ++used_lines;
      used_bytes += std::min(lines[line].size(), kMaxLineBytes + 40) + 1;
    }
  Budget tail{limits.max_lines - std::min(limits.max_lines, used_lines),
              limits.max_bytes - std::min(limits.max_bytes, used_bytes)};
  std::size_t tail_start = lines.size();
  while (tail_start > ranges.back().second && tail.take(lines[tail_start - 1])) --tail_start;
  ranges.push_back({tail_start, lines.size()});
  return render_ranges(lines, ranges);
}

std::string error_context(std::string_view log, std::size_t tail_lines) {
  std::vector<std::string_view> lines = lines_of(log);
  std::vector<Range> ranges;
  for (std::size_t line : error_lines(lines, 0, kErrorsShown))
    ranges.push_back({line - std::min(line, kContextBefore), std::min(lines.size(), line + kContextAfter + 1)});
  ranges.push_back({lines.size() - std::min(lines.size(), tail_lines), lines.size()});
  return render_ranges(lines, ranges);
}

}  // namespace xb
