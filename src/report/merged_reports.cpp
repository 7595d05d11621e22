// JUnit documents merged without an XML library. A small scanner walks each document's markup
// (declarations, comments, CDATA sections, start tags with quoted attributes, end tags) and
// keeps only the depth: the <testsuite> elements at the top (or under the root <testsuites>)
// are copied byte for byte, so whatever a stage's framework wrote inside them (properties,
// system-out, nested suites) stays as it was; only their start tags' counts are read.
// (merge_metadata, which parses JSON, is in metadata_sizes.cpp with the rest of report/'s JSON
// reading.)
#include "report/merged_reports.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <string_view>

namespace xb {

namespace {

struct Tag {
  enum class Kind { start, end, empty, other } kind = Kind::other;
  std::string name;
  std::map<std::string, std::string> attributes;
  std::size_t begin = 0;  // offset of '<'
  std::size_t end = 0;    // offset after '>'
};

// The markup item at `at` (text before it skipped); nullopt at the end, or on malformed markup
// (`error` then says what).
std::optional<Tag> next_tag(std::string_view text, std::size_t& at, std::string& error) {
  std::size_t open = text.find('<', at);
  if (open == std::string_view::npos) {
    at = text.size();
    return std::nullopt;
  }
  auto skip_to = [&](std::string_view terminator) -> std::optional<Tag> {
    std::size_t close = text.find(terminator, open);
    if (close == std::string_view::npos) {
      error = fmt::format("unterminated markup at byte {}", open);
      return std::nullopt;
    }
    at = close + terminator.size();
    return Tag{Tag::Kind::other, "", {}, open, at};
  };
  std::string_view rest = text.substr(open);
  if (rest.starts_with("<!--")) return skip_to("-->");
  if (rest.starts_with("<![CDATA[")) return skip_to("]]>");
  if (rest.starts_with("<?")) return skip_to("?>");
  if (rest.starts_with("<!")) return skip_to(">");
  Tag tag;
  tag.begin = open;
  std::size_t i = open + 1;
  if (i < text.size() && text[i] == '/') {
    tag.kind = Tag::Kind::end;
    ++i;
  } else {
    tag.kind = Tag::Kind::start;
  }
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::size_t name_start = i;
  while (i < text.size() && !is_space(text[i]) && text[i] != '>' && text[i] != '/') ++i;
  tag.name = std::string(text.substr(name_start, i - name_start));
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size()) break;
    if (text[i] == '>') {
      tag.end = i + 1;
      at = tag.end;
      return tag;
    }
    if (text[i] == '/' && i + 1 < text.size() && text[i + 1] == '>') {
      tag.kind = Tag::Kind::empty;
      tag.end = i + 2;
      at = tag.end;
      return tag;
    }
    std::size_t key_start = i;
    while (i < text.size() && text[i] != '=' && !is_space(text[i]) && text[i] != '>') ++i;
    std::string key(text.substr(key_start, i - key_start));
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size() || text[i] != '=') break;
    ++i;
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size() || (text[i] != '"' && text[i] != '\'')) break;
    char quote = text[i];
    std::size_t value_end = text.find(quote, i + 1);
    if (value_end == std::string_view::npos) break;
    tag.attributes[key] = std::string(text.substr(i + 1, value_end - i - 1));
    i = value_end + 1;
  }
  error = fmt::format("malformed tag <{} at byte {}", tag.name, open);
  return std::nullopt;
}

struct Totals {
  long long tests = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
  std::string timestamp;
};

long long count(const Tag& tag, const char* name) {
  auto it = tag.attributes.find(name);
  return it == tag.attributes.end() ? 0 : std::strtoll(it->second.c_str(), nullptr, 10);
}

// Appends the source's suites to `suites` and adds their counts to `totals`.
Status read_suites(const ReportSource& source, std::string& suites, Totals& totals) {
  std::string_view text = source.text;
  std::string error;
  std::size_t at = 0;
  int depth = 0;
  bool wrapped = false;  // the root is <testsuites>
  bool any_root = false;
  std::optional<Tag> suite;  // the start of the <testsuite> being copied
  auto bad = [&](const std::string& why) {
    return fail(fmt::format("{} is not a JUnit report: {}", source.file, why));
  };
  while (std::optional<Tag> tag = next_tag(text, at, error)) {
    if (tag->kind == Tag::Kind::other) continue;
    if (tag->kind == Tag::Kind::end) {
      --depth;
      if (suite && depth == (wrapped ? 1 : 0) && tag->name == "testsuite") {
        suites += "  " + std::string(text.substr(suite->begin, tag->end - suite->begin)) + "\n";
        suite.reset();
      }
      if (depth < 0) return bad(fmt::format("</{}> without its start", tag->name));
      continue;
    }
    if (depth == 0) {
      if (any_root) return bad("more than one root element");
      any_root = true;
      if (tag->name == "testsuites") {
        wrapped = true;
        if (auto time = tag->attributes.find("time"); time != tag->attributes.end())
          totals.time = std::max(totals.time, std::strtod(time->second.c_str(), nullptr));
        if (auto stamp = tag->attributes.find("timestamp"); stamp != tag->attributes.end())
          if (totals.timestamp.empty() || stamp->second < totals.timestamp) totals.timestamp = stamp->second;
      } else if (tag->name != "testsuite") {
        return bad(fmt::format("its root is <{}>, not <testsuites> or <testsuite>", tag->name));
      }
    }
    if (tag->name == "testsuite" && depth == (wrapped ? 1 : 0)) {
      totals.tests += count(*tag, "tests");
      totals.failures += count(*tag, "failures");
      totals.errors += count(*tag, "errors");
      totals.skipped += count(*tag, "skipped");
      if (!wrapped)
        if (auto time = tag->attributes.find("time"); time != tag->attributes.end())
          totals.time = std::max(totals.time, std::strtod(time->second.c_str(), nullptr));
      if (tag->kind == Tag::Kind::empty)
        suites += "  " + std::string(text.substr(tag->begin, tag->end - tag->begin)) + "\n";
      else
        suite = tag;
    }
    if (tag->kind == Tag::Kind::start) ++depth;
  }
  if (!error.empty()) return bad(error);
  if (!any_root) return bad("it holds no element");
  if (depth != 0) return bad("an element is not closed");
  return Ok{};
}

}  // namespace

Result<std::string> merge_junit(const std::vector<ReportSource>& sources) {
  std::string suites;
  Totals totals;
  for (const ReportSource& source : sources)
    if (Status read = read_suites(source, suites, totals); !read) return fail(read.error());
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"xbuild\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\"",
      totals.tests, totals.failures, totals.errors, totals.skipped, totals.time);
  if (!totals.timestamp.empty()) out += " timestamp=\"" + totals.timestamp + "\"";
  out += ">\n" + suites + "</testsuites>\n";
  return out;
}

}  // namespace xb
