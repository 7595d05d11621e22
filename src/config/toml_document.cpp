// toml++ parses the text into its own tree; that tree is copied once into TomlValue and
// TomlTable, keeping each value's and each key's source position and toml++'s key order, so
// that no other file needs toml++'s heavy header. A `--set KEY=VALUE` is read by toml++ too:
// its key as the document "KEY = 0" (a chain of one-key tables down to the 0, so dotted and
// quoted keys mean what they mean in a file) and its value as "value = VALUE".
#include "config/toml_document.h"

#include <toml++/toml.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "util/strings.h"

namespace xb {

namespace {

TomlPosition position_of(const toml::source_region& region) {
  return TomlPosition{static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

}  // namespace

// Builds the plain tree from toml++'s (a friend of both classes).
struct TomlTreeBuilder {
  static TomlTable table(const toml::table& source, TomlPosition position) {
    TomlTable out;
    out.position_ = position;
    out.entries_.reserve(source.size());
    for (auto&& [key, node] : source)
      out.entries_.push_back(TomlEntry{std::string(key.str()), position_of(key.source()), value(node)});
    return out;
  }

  static TomlValue value(const toml::node& node) {
    TomlValue out;
    out.position_ = position_of(node.source());
    if (const toml::table* table = node.as_table()) {
      out.type_ = TomlValue::Type::table;
      out.table_ = TomlTreeBuilder::table(*table, out.position_);
    } else if (const toml::array* array = node.as_array()) {
      out.type_ = TomlValue::Type::array;
      for (const toml::node& element : *array) out.array_.push_back(value(element));
    } else if (const toml::value<std::string>* text = node.as_string()) {
      out.type_ = TomlValue::Type::string;
      out.string_ = text->get();
    } else if (const toml::value<std::int64_t>* number = node.as_integer()) {
      out.type_ = TomlValue::Type::integer;
      out.integer_ = number->get();
    } else if (const toml::value<bool>* flag = node.as_boolean()) {
      out.type_ = TomlValue::Type::boolean;
      out.boolean_ = flag->get();
    } else {
      out.type_ = node.is_floating_point() ? TomlValue::Type::floating_point
                  : node.is_date()         ? TomlValue::Type::date
                  : node.is_time()         ? TomlValue::Type::time
                                           : TomlValue::Type::date_time;  // date-time (none is not in a document)
    }
    return out;
  }

  // Marks every position in `value` as the setting's.
  static void mark(TomlValue& value, int setting) {
    value.position_.setting = setting;
    for (TomlValue& element : value.array_) mark(element, setting);
    for (TomlEntry& entry : value.table_.entries_) {
      entry.key_position.setting = setting;
      mark(entry.value, setting);
    }
    value.table_.position_.setting = setting;
  }

  static void set_string(TomlValue& value, std::string text) {
    value.type_ = TomlValue::Type::string;
    value.string_ = std::move(text);
  }

  static TomlValue empty_table(TomlPosition at) {
    TomlValue out;
    out.type_ = TomlValue::Type::table;
    out.position_ = at;
    out.table_.position_ = at;
    return out;
  }

  // Sets `key` in `table`: a key already there keeps its place (and so its written order), a new
  // one goes where toml++'s byte order puts it.
  static TomlValue& put(TomlTable& table, const std::string& key, TomlPosition at, TomlValue value) {
    if (TomlValue* existing = table.get(key)) return *existing = std::move(value);
    auto place = std::lower_bound(table.entries_.begin(), table.entries_.end(), key,
                                  [](const TomlEntry& entry, const std::string& name) { return entry.key < name; });
    return table.entries_.insert(place, TomlEntry{key, at, std::move(value)})->value;
  }
};

namespace {

// "stage.test.timeout" -> {"stage", "test", "timeout"}; nullopt when `key` is not a TOML key.
std::optional<std::vector<std::string>> key_path(std::string_view key) {
  toml::table document;
  try {
    document = toml::parse(std::string(key) + " = 0", std::string_view("--set"));
  } catch (const toml::parse_error&) {
    return std::nullopt;
  }
  std::vector<std::string> path;
  const toml::table* table = &document;
  while (table->size() == 1) {
    // By iterator, not `const auto& [name, node] = *begin()`: the pair is a temporary proxy
    // (GCC 12 at -O2 warns of a dangling pointer).
    auto entry = table->cbegin();
    path.emplace_back(entry->first.str());
    if (entry->second.is_integer()) return path;
    table = entry->second.as_table();
    if (!table) break;
  }
  return std::nullopt;
}

// toml++'s "Error while parsing array: ..." as "error while parsing array: ...".
std::string lowercase_first(std::string text) {
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

}  // namespace

const TomlValue* TomlTable::get(std::string_view key) const {
  for (const TomlEntry& entry : entries_)
    if (entry.key == key) return &entry.value;
  return nullptr;
}

TomlValue* TomlTable::get(std::string_view key) {
  for (TomlEntry& entry : entries_)
    if (entry.key == key) return &entry.value;
  return nullptr;
}

std::vector<const TomlEntry*> TomlTable::in_written_order() const {
  std::vector<const TomlEntry*> written;
  written.reserve(entries_.size());
  for (const TomlEntry& entry : entries_) written.push_back(&entry);
  std::sort(written.begin(), written.end(),
            [](const TomlEntry* a, const TomlEntry* b) { return before(a->key_position, b->key_position); });
  return written;
}

bool TomlTable::empty() const { return entries_.empty(); }

const char* TomlValue::type_name() const {
  static constexpr const char* kNames[] = {"a table",   "an array", "a string", "an integer", "a floating-point number",
                                           "a boolean", "a date",   "a time",   "a date-time"};  // in Type's order
  return kNames[static_cast<std::size_t>(type_)];
}

std::variant<TomlTable, TomlSyntaxError> parse_toml(std::string_view text, std::string_view file) {
  try {
    toml::table root = toml::parse(text, file);
    return TomlTreeBuilder::table(root, TomlPosition{1, 1});
  } catch (const toml::parse_error& error) {
    return TomlSyntaxError{position_of(error.source()), std::string(error.description())};
  }
}

std::variant<TomlSetting, std::string> parse_toml_setting(std::string_view text, int setting) {
  const std::string usage = "expected KEY=VALUE, e.g. --set image.name=registry.example/app";
  std::size_t equals = text.find('=');
  if (equals == std::string_view::npos) return usage;
  std::string_view key = trim(text.substr(0, equals));
  std::string value(trim(text.substr(equals + 1)));
  if (key.empty()) return usage;
  TomlSetting out;
  std::optional<std::vector<std::string>> path = key_path(key);
  if (!path)
    return "\"" + std::string(key) +
           "\" is not a key of the file: dotted names, a part that is not letters, digits, '-' and '_' in quotes "
           "(platform.\"linux/arm64\".env.CC)";
  out.path = std::move(*path);
  try {
    toml::table document = toml::parse("value = " + value, std::string_view("--set"));
    if (document.size() != 1 || !document.contains("value"))
      return "\"" + value + "\" is more than one value; quote it as a string: --set '" + std::string(key) + "=\"...\"'";
    out.value = TomlTreeBuilder::value(*document.get("value"));
  } catch (const toml::parse_error& error) {
    // A bare word is the string it spells; what starts like a string, an array or an inline
    // table was meant as one, and is wrong.
    if (!value.empty() && std::string_view("[{\"'").find(value.front()) != std::string_view::npos)
      return value + " is not a TOML value: " + lowercase_first(std::string(error.description()));
    out.value = TomlValue();
    TomlTreeBuilder::set_string(out.value, value);
  }
  TomlTreeBuilder::mark(out.value, setting);
  return out;
}

TomlSetStop set_toml_value(TomlTable& root, const std::vector<std::string>& path, TomlValue value, TomlPosition at) {
  TomlTable* table = &root;
  for (std::size_t depth = 0; depth + 1 < path.size(); ++depth) {
    TomlValue* next = table->get(path[depth]);
    if (!next) next = &TomlTreeBuilder::put(*table, path[depth], at, TomlTreeBuilder::empty_table(at));
    table = next->as_table();
    if (!table) return TomlSetStop{depth + 1, next};
  }
  TomlTreeBuilder::put(*table, path.back(), at, std::move(value));
  return TomlSetStop{};
}

}  // namespace xb
