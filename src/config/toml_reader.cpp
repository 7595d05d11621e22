// The typed reads of TomlReader and the wording their problems share across xbuild's TOML
// files. Each read looks the key up, checks the value's type and reports what is wrong at the
// value (or, for a missing key, at its table), returning nothing rather than a half-read value
// so that the caller carries on with its next key.
#include "config/toml_reader.h"

#include "util/fs.h"

#include <algorithm>
#include <cctype>
#include <variant>

#include "util/strings.h"

namespace xb {

namespace {

bool is_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// The file's lines without their line endings (CRLF files too), for Diagnostic::source_line.
std::vector<std::string> split_source_lines(std::string_view text) {
  std::vector<std::string> lines = split(text, '\n');
  for (std::string& line : lines) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
  }
  return lines;
}

// The longest text in_quotes() quotes whole: a value of a kilobyte says no more in a message.
constexpr std::size_t kMaxQuoted = 100;

// A NUL in a string ends it for every program xbuild hands it to (a command, an environment
// variable, a path, a label), so that the rest would be dropped without a word.
bool holds_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

const std::string kNulFix = " holds a NUL character, where the text would end: remove it";

}  // namespace

std::vector<std::string> values_of(const std::vector<TomlString>& strings) {
  std::vector<std::string> out;
  out.reserve(strings.size());
  for (const TomlString& item : strings) out.push_back(item.value);
  return out;
}

std::string in_quotes(std::string_view text) {
  if (text.size() <= kMaxQuoted) return "\"" + std::string(text) + "\"";
  std::size_t end = kMaxQuoted;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // a whole UTF-8 sequence
  return "\"" + std::string(text.substr(0, end)) + "\xE2\x80\xA6\"";
}

std::string in_quotes_list(const std::vector<std::string>& words, std::string_view last) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " " + std::string(last) + " " : ", ";
    out += in_quotes(words[i]);
  }
  return out;
}

std::string in_scope(const std::string& scope) { return scope.empty() ? "at the top level" : "in " + scope; }

std::string did_you_mean(std::string_view word, const std::vector<std::string>& choices, std::string_view otherwise,
                         std::string_view last) {
  std::string hint = closest_match(word, choices);
  if (!hint.empty()) return "; did you mean " + in_quotes(hint) + "?";
  return "; " + std::string(otherwise) + in_quotes_list(choices, last);
}

bool is_bare_key(std::string_view key) {
  return !key.empty() &&
         std::all_of(key.begin(), key.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

std::string header_key(std::string_view key) { return is_bare_key(key) ? std::string(key) : in_quotes(key); }

std::string render_diagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::string message;
  for (const Diagnostic& diagnostic : diagnostics) message += diagnostic.render();
  if (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

TomlReader::TomlReader(std::string_view text, std::string file_name)
    : text_(text), file_name_(std::move(file_name)), lines_(split_source_lines(text)) {}

std::optional<TomlTable> TomlReader::parse() {
  std::variant<TomlTable, TomlSyntaxError> parsed = parse_toml(text_, file_name_);
  if (TomlTable* root = std::get_if<TomlTable>(&parsed)) return std::move(*root);
  const TomlSyntaxError& error = std::get<TomlSyntaxError>(parsed);
  const std::string_view prefix = "Error while ";
  report(error.position, starts_with(error.description, prefix)
                             ? "TOML syntax error while " + error.description.substr(prefix.size())
                             : "TOML syntax error: " + error.description);
  return std::nullopt;
}

void TomlReader::report(TomlPosition at, std::string message) {
  Diagnostic diagnostic;
  diagnostic.location = location(at);
  diagnostic.message = std::move(message);
  diagnostic.setting = at.setting;
  if (at.setting == 0 && at.line >= 1 && static_cast<std::size_t>(at.line) <= lines_.size()) {
    const std::size_t index = static_cast<std::size_t>(at.line) - 1;
    if (line_is_ascii_.size() != lines_.size()) line_is_ascii_.assign(lines_.size(), 0);
    if (line_is_ascii_[index] == 0)
      line_is_ascii_[index] =
          std::all_of(lines_[index].begin(), lines_[index].end(), [](unsigned char c) { return c < 0x80; }) ? 1 : 2;
    diagnostic.set_source_line(lines_[index], line_is_ascii_[index] == 1);
  }
  diagnostics_.push_back(std::move(diagnostic));
}

SourceLocation TomlReader::location(TomlPosition at) const {
  if (at.setting > 0 && static_cast<std::size_t>(at.setting) <= settings_.size())
    return SourceLocation{"--set " + settings_[static_cast<std::size_t>(at.setting) - 1], 0, 0};
  return SourceLocation{file_name_, at.line, at.column};
}

std::vector<Diagnostic> TomlReader::take_diagnostics() {
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.setting != b.setting) return a.setting < b.setting;  // the file's first, then each --set's
    const SourceLocation& x = a.location;
    const SourceLocation& y = b.location;
    return x.line != y.line ? x.line < y.line : x.column < y.column;
  });
  return std::move(diagnostics_);
}

void TomlReader::check_keys(const TomlTable& table, const std::vector<std::string>& allowed, const std::string& scope) {
  for (const TomlEntry& entry : table.entries()) {
    if (std::find(allowed.begin(), allowed.end(), entry.key) != allowed.end()) continue;
    report(entry.key_position, "unknown key " + in_quotes(entry.key) + " " + in_scope(scope) +
                                   did_you_mean(entry.key, allowed, "valid keys are "));
  }
}

void TomlReader::wrong_type(const TomlValue& value, std::string_view key, const std::string& scope,
                            std::string_view expected) {
  report(value, in_quotes(key) + " " + in_scope(scope) + ": expected " + std::string(expected) + ", found " +
                    value.type_name());
}

const TomlValue* TomlReader::required(const TomlTable& table, std::string_view key, const std::string& scope) {
  const TomlValue* value = table.get(key);
  if (!value) report(table.position(), "missing required key " + in_quotes(key) + " " + in_scope(scope));
  return value;
}

const TomlTable* TomlReader::table(const TomlTable& parent, std::string_view key, const std::string& scope) {
  const TomlValue* value = parent.get(key);
  if (!value) return nullptr;
  if (const TomlTable* table = value->as_table()) return table;
  wrong_type(*value, key, scope, "a table");
  return nullptr;
}

const TomlTable* TomlReader::required_table(const TomlTable& root, std::string_view key, const std::string& missing) {
  if (!root.get(key)) {
    report(TomlPosition{1, 1}, missing.empty() ? "missing required table [" + std::string(key) + "]" : missing);
    return nullptr;
  }
  return table(root, key, "");
}

std::optional<std::string> TomlReader::string(const TomlTable& table, std::string_view key, const std::string& scope) {
  const TomlValue* value = table.get(key);
  if (!value) return std::nullopt;
  if (const std::string* text = value->as_string()) {
    if (!holds_nul(*text)) return *text;
    report(*value, in_quotes(key) + " " + in_scope(scope) + kNulFix);
    return std::nullopt;
  }
  wrong_type(*value, key, scope, "a string");
  return std::nullopt;
}

std::optional<std::string> TomlReader::non_blank_string(const TomlTable& table, std::string_view key,
                                                        const std::string& scope) {
  std::optional<std::string> value = string(table, key, scope);
  if (value && trim(*value).empty()) {
    report(*table.get(key), in_quotes(key) + " " + in_scope(scope) + " must not be empty");
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> TomlReader::required_string(const TomlTable& table, std::string_view key,
                                                       const std::string& scope, Blank blank) {
  if (!required(table, key, scope)) return std::nullopt;
  return blank == Blank::allowed ? string(table, key, scope) : non_blank_string(table, key, scope);
}

std::optional<std::int64_t> TomlReader::integer(const TomlTable& table, std::string_view key, const std::string& scope,
                                                std::int64_t min, std::int64_t max, std::string_view must_be) {
  const TomlValue* value = table.get(key);
  if (!value) return std::nullopt;
  const std::int64_t* number = value->as_integer();
  if (!number || *number < min || *number > max) {
    report(*value, in_quotes(key) + " " + in_scope(scope) + " must be " + std::string(must_be));
    return std::nullopt;
  }
  return *number;
}

std::optional<bool> TomlReader::boolean(const TomlTable& table, std::string_view key, const std::string& scope) {
  const TomlValue* value = table.get(key);
  if (!value) return std::nullopt;
  if (const bool* flag = value->as_boolean()) return *flag;
  wrong_type(*value, key, scope, "a boolean");
  return std::nullopt;
}

std::optional<std::vector<TomlString>> TomlReader::strings(const TomlTable& table, std::string_view key,
                                                           const std::string& scope) {
  return read_strings(table, key, scope, false);
}

std::optional<std::vector<TomlString>> TomlReader::string_or_strings(const TomlTable& table, std::string_view key,
                                                                     const std::string& scope) {
  return read_strings(table, key, scope, true);
}

std::optional<std::vector<TomlString>> TomlReader::read_strings(const TomlTable& table, std::string_view key,
                                                                const std::string& scope, bool one_string_allowed) {
  const TomlValue* value = table.get(key);
  if (!value) return std::nullopt;
  std::string_view expected = one_string_allowed ? "a string or an array of strings" : "an array of strings";
  if (one_string_allowed && value->as_string()) {
    std::optional<std::string> text = string(table, key, scope);
    if (!text) return std::nullopt;
    return std::vector<TomlString>{TomlString{*text, value->position()}};
  }
  const std::vector<TomlValue>* array = value->as_array();
  if (!array) {
    wrong_type(*value, key, scope, expected);
    return std::nullopt;
  }
  std::vector<TomlString> strings;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const TomlValue& element = (*array)[i];
    if (const std::string* text = element.as_string()) {
      if (holds_nul(*text))
        report(element, in_quotes(key) + " " + in_scope(scope) + ": element " + std::to_string(i + 1) + kNulFix);
      else
        strings.push_back(TomlString{*text, element.position()});
    } else {
      report(element, in_quotes(key) + " " + in_scope(scope) + ": expected " + std::string(expected) +
                          ", but element " + std::to_string(i + 1) + " is " + element.type_name());
    }
  }
  return strings;
}

std::map<std::string, std::string> TomlReader::string_table(const TomlTable& table, std::string_view key,
                                                            const std::string& scope) {
  return read_string_table(table, key, scope, false);
}

std::map<std::string, std::string> TomlReader::environment_table(const TomlTable& table, std::string_view key,
                                                                 const std::string& scope) {
  return read_string_table(table, key, scope, true);
}

std::map<std::string, std::string> TomlReader::read_string_table(const TomlTable& table, std::string_view key,
                                                                 const std::string& scope, bool environment_names) {
  std::map<std::string, std::string> out;
  const TomlValue* value = table.get(key);
  if (!value) return out;
  const TomlTable* entries = value->as_table();
  if (!entries) {
    wrong_type(*value, key, scope, "a table of strings");
    return out;
  }
  for (const TomlEntry& entry : entries->entries()) {
    if (environment_names && !is_env_name(entry.key)) {
      report(entry.key_position, "invalid environment variable name " + in_quotes(entry.key) + " " + in_scope(scope) +
                                     " " + std::string(key) +
                                     ": use letters, digits and '_', and do not start with a digit");
    }
    if (holds_nul(entry.key)) {
      if (!environment_names)  // else reported as no variable name above
        report(entry.key_position,
               in_quotes(key) + " " + in_scope(scope) + ": the key " + in_quotes(entry.key) + kNulFix);
    } else if (const std::string* text = entry.value.as_string()) {
      if (holds_nul(*text))
        report(entry.value,
               in_quotes(key) + " " + in_scope(scope) + ": the value of " + in_quotes(entry.key) + kNulFix);
      else
        out[entry.key] = *text;
    } else {
      report(entry.value, in_quotes(key) + " " + in_scope(scope) + ": expected a table of strings, but " +
                              in_quotes(entry.key) + " is " + entry.value.type_name());
    }
  }
  return out;
}

Result<std::size_t> read_toml_files(
    const std::filesystem::path& directory, const std::string& cannot_list,
    const std::function<void(TomlReader& reader, const std::filesystem::path& file)>& read) {
  std::error_code error;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(directory, error), end; !error && it != end; it.increment(error))
    if (it->path().extension() == ".toml" && it->is_regular_file()) files.push_back(it->path());
  if (error) return fail(cannot_list + ": " + error.message());
  std::sort(files.begin(), files.end());
  std::vector<Diagnostic> diagnostics;
  for (const std::filesystem::path& file : files) {
    Result<std::string> text = read_file(file);
    if (!text) {
      diagnostics.push_back(Diagnostic{SourceLocation{file.string(), 0, 0}, text.error(), ""});
      continue;
    }
    TomlReader reader(text.value(), file.string());
    read(reader, file);
    for (Diagnostic& diagnostic : reader.take_diagnostics()) diagnostics.push_back(std::move(diagnostic));
  }
  if (!diagnostics.empty()) return fail(render_diagnostics(diagnostics));
  return files.size();
}

}  // namespace xb
