// A parsed TOML file as plain values that remember where they were written: what every reader
// of TOML in xbuild walks (xbuild.toml, toolchains/*.toml, toolchains/firmware/*.toml,
// qemu/*.toml). toml++ parses; it stays inside toml_document.cpp, so this header is cheap to
// include.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace xb {

// 1-based line and column; the column counts Unicode code points, as toml++ does. `setting`
// tells a value of the command line's `--set` (its number, from 1) from one of the file (0).
struct TomlPosition {
  int line = 1;
  int column = 1;
  int setting = 0;
};

// True when `a` comes before `b`: in the file, and the file before the settings, in their order.
inline bool before(TomlPosition a, TomlPosition b) {
  if (a.setting != b.setting) return a.setting < b.setting;
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

struct TomlEntry;
class TomlValue;

class TomlTable {
 public:
  // The value under `key`, or nullptr when the table has no such key.
  const TomlValue* get(std::string_view key) const;
  TomlValue* get(std::string_view key);
  // Every key and value, in the byte order of the keys (toml++'s order, not the file's).
  const std::vector<TomlEntry>& entries() const { return entries_; }
  // The same entries in the order their keys were written.
  std::vector<const TomlEntry*> in_written_order() const;
  bool empty() const;
  // The table's header ("[stage.build]" or the "{" of an inline table); 1:1 for the root.
  TomlPosition position() const { return position_; }

 private:
  friend struct TomlTreeBuilder;
  std::vector<TomlEntry> entries_;
  TomlPosition position_;
};

class TomlValue {
 public:
  enum class Type { table, array, string, integer, floating_point, boolean, date, time, date_time };

  Type type() const { return type_; }
  TomlPosition position() const { return position_; }
  // "a string", "an integer", "an array" ...: how messages say what was found.
  const char* type_name() const;

  // The value when it has that type, else nullptr.
  const std::string* as_string() const { return type_ == Type::string ? &string_ : nullptr; }
  const std::int64_t* as_integer() const { return type_ == Type::integer ? &integer_ : nullptr; }
  const bool* as_boolean() const { return type_ == Type::boolean ? &boolean_ : nullptr; }
  const std::vector<TomlValue>* as_array() const { return type_ == Type::array ? &array_ : nullptr; }
  const TomlTable* as_table() const { return type_ == Type::table ? &table_ : nullptr; }
  TomlTable* as_table() { return type_ == Type::table ? &table_ : nullptr; }
  bool is_empty_array() const { return type_ == Type::array && array_.empty(); }

 private:
  friend struct TomlTreeBuilder;
  Type type_ = Type::string;
  TomlPosition position_;
  std::string string_;
  std::int64_t integer_ = 0;
  bool boolean_ = false;
  std::vector<TomlValue> array_;
  TomlTable table_;
};

struct TomlEntry {
  std::string key;
  TomlPosition key_position;
  TomlValue value;
};

struct TomlSyntaxError {
  TomlPosition position;
  std::string description;  // toml++'s: "Error while parsing key-value pair: expected ..."
};

// The root table of `text`, or where and why it is not TOML (toml++ stops at the first error).
// `file` names the text in toml++'s own bookkeeping only.
std::variant<TomlTable, TomlSyntaxError> parse_toml(std::string_view text, std::string_view file);

// One `--set KEY=VALUE`, read: KEY's parts ("stage", "test", "timeout") and VALUE.
struct TomlSetting {
  std::vector<std::string> path;
  TomlValue value;  // every position in it marked with the setting's number
};

// Reads `text` as KEY=VALUE: KEY a TOML key (dotted; a part that is not letters, digits, '-' and
// '_' quoted), VALUE a TOML value or, when it is no TOML value and does not start like a string,
// an array or an inline table does, that text as a string (image.name=registry.example/app).
// `setting` marks the positions. A malformed setting: the message that says why.
std::variant<TomlSetting, std::string> parse_toml_setting(std::string_view text, int setting);

// Where set_toml_value stopped: the first `depth` parts of the path lead to `blocker`, a value
// that is not a table (nullptr: the value was set).
struct TomlSetStop {
  std::size_t depth = 0;
  const TomlValue* blocker = nullptr;
};

// Puts `value` at `path` under `root`, replacing what is there; a table missing on the way is
// made, written at `at`.
TomlSetStop set_toml_value(TomlTable& root, const std::vector<std::string>& path, TomlValue value, TomlPosition at);

}  // namespace xb
