// toml++ parses the text into its own tree; that tree is copied once into TomlValue and
// TomlTable, keeping each value's and each key's source position and toml++'s key order, so
// that no other file needs toml++'s heavy header.
#include "config/toml_document.h"

#include <toml++/toml.h>

#include <algorithm>
#include <string>
#include <utility>

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
};

const TomlValue* TomlTable::get(std::string_view key) const {
  for (const TomlEntry& entry : entries_)
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

}  // namespace xb
