// Reading one TOML file into a model, the way every reader in xbuild does it: each value is
// checked for its type (and, where it has one, its range), each table against the keys it allows,
// and every problem becomes a Diagnostic with file:line:col and the source line for the caret
// display. Reading carries on after a problem, so one pass reports everything wrong with the
// file; take_diagnostics() hands them over sorted by position.
//
// `scope` names a table as the user wrote it ("[stage.build]", "[image] copy entry 1"); "" is
// the top level. Messages read "\"run\" in [stage.build] must not be empty",
// "unknown key \"nedes\" in [stage.test]; did you mean \"needs\"?" and so on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/toml_document.h"

namespace xb {

// A string value and where it was written, for checks made after the whole file is read.
struct TomlString {
  std::string value;
  TomlPosition at;
};

std::vector<std::string> values_of(const std::vector<TomlString>& strings);

// "\"word\"".
std::string in_quotes(std::string_view text);
// "\"a\"", "\"a\" and \"b\"", "\"a\", \"b\" and \"c\"" (with `last` as the final conjunction).
std::string in_quotes_list(const std::vector<std::string>& words, std::string_view last);
// "at the top level" for "", else "in " + scope.
std::string in_scope(const std::string& scope);
// "; did you mean \"X\"?" when one of `choices` is close to `word`, else "; " + `otherwise`
// followed by every choice in quotes ("; valid keys are \"a\", \"b\" and \"c\"").
std::string did_you_mean(std::string_view word, const std::vector<std::string>& choices, std::string_view otherwise,
                         std::string_view last = "and");
// Letters, digits, '_' and '-': a key TOML lets one write without quotes.
bool is_bare_key(std::string_view key);
// A key as a table header shows it: bare when it can be, quoted otherwise.
std::string header_key(std::string_view key);

class TomlReader;

// Every diagnostic rendered, without the last line's newline (whoever prints the message ends
// the line): the error text of the data catalogs, which report many files at once.
std::string render_diagnostics(const std::vector<Diagnostic>& diagnostics);

// Reads the *.toml files of a data catalog's directory (toolchains/, qemu/, toolchains/firmware/)
// in name order: each regular file's text goes to a TomlReader handed to `read`, which parses and
// reads it; every problem of every file is collected. Fails with them all rendered, or with
// `cannot_list` + ": " + why when the directory cannot be listed; else the number of files read.
Result<std::size_t> read_toml_files(
    const std::filesystem::path& directory, const std::string& cannot_list,
    const std::function<void(TomlReader& reader, const std::filesystem::path& file)>& read);

class TomlReader {
 public:
  // `file_name` names the file in every diagnostic, as the caller passed it.
  TomlReader(std::string_view text, std::string file_name);

  // The root table, or nullopt after a TOML syntax error (reported; toml++ stops at the first).
  std::optional<TomlTable> parse();
  // The command line's --set texts ("KEY=VALUE"): what a diagnostic at a setting's position
  // names instead of the file.
  void name_settings(std::vector<std::string> settings) { settings_ = std::move(settings); }
  const std::string& text() const { return text_; }  // the file's text

  void report(TomlPosition at, std::string message);
  void report(const TomlValue& value, std::string message) { report(value.position(), std::move(message)); }
  SourceLocation location(TomlPosition at) const;
  std::size_t error_count() const { return diagnostics_.size(); }
  // Every problem reported so far, sorted by position (in the order reported at one position).
  std::vector<Diagnostic> take_diagnostics();

  // Each key of `table` that `allowed` does not list: "unknown key" with a "did you mean", or
  // with the list of valid keys when none is close.
  void check_keys(const TomlTable& table, const std::vector<std::string>& allowed, const std::string& scope);
  // "\"key\" <scope>: expected <expected>, found <the value's type>".
  void wrong_type(const TomlValue& value, std::string_view key, const std::string& scope, std::string_view expected);

  // The value under `key`; when absent, "missing required key" at the table's header (at the
  // start of the file for the top level).
  const TomlValue* required(const TomlTable& table, std::string_view key, const std::string& scope);
  // The table under `key`, or nullptr when it is absent or (reported) not a table.
  const TomlTable* table(const TomlTable& parent, std::string_view key, const std::string& scope);
  // A top-level table that must be there: "missing required table [key]" at the file's start.
  // `missing`: the message when it is absent (default: "missing required table [KEY]").
  const TomlTable* required_table(const TomlTable& root, std::string_view key, const std::string& missing = "");

  std::optional<std::string> string(const TomlTable& table, std::string_view key, const std::string& scope);
  // An optional string that, when given, must not be blank.
  std::optional<std::string> non_blank_string(const TomlTable& table, std::string_view key, const std::string& scope);
  enum class Blank { refused, allowed };
  std::optional<std::string> required_string(const TomlTable& table, std::string_view key, const std::string& scope,
                                             Blank blank = Blank::refused);
  // An integer from `min` to `max`; anything else is "\"key\" <scope> must be <must_be>".
  std::optional<std::int64_t> integer(const TomlTable& table, std::string_view key, const std::string& scope,
                                      std::int64_t min, std::int64_t max, std::string_view must_be);
  std::optional<bool> boolean(const TomlTable& table, std::string_view key, const std::string& scope);

  // An array of strings. Elements of another type are reported and left out, so that later
  // checks still see the others.
  std::optional<std::vector<TomlString>> strings(const TomlTable& table, std::string_view key,
                                                 const std::string& scope);
  // The same, where one string stands for a one-element array.
  std::optional<std::vector<TomlString>> string_or_strings(const TomlTable& table, std::string_view key,
                                                           const std::string& scope);

  // A table whose values are all strings (absent: empty).
  std::map<std::string, std::string> string_table(const TomlTable& table, std::string_view key,
                                                  const std::string& scope);
  // The same, whose keys must also be environment variable names (letters, digits and '_',
  // not starting with a digit).
  std::map<std::string, std::string> environment_table(const TomlTable& table, std::string_view key,
                                                       const std::string& scope);

 private:
  std::optional<std::vector<TomlString>> read_strings(const TomlTable& table, std::string_view key,
                                                      const std::string& scope, bool one_string_allowed);
  std::map<std::string, std::string> read_string_table(const TomlTable& table, std::string_view key,
                                                       const std::string& scope, bool environment_names);

  std::string text_;
  std::string file_name_;
  std::vector<std::string> lines_;
  std::vector<char> line_is_ascii_;  // by line: 0 not known yet, 1 yes, 2 no (report() finds out once)
  std::vector<std::string> settings_;
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace xb
