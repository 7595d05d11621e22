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
    switch (node.type()) {
      case toml::node_type::table:
        out.type_ = TomlValue::Type::table;
        out.table_ = table(*node.as_table(), out.position_);
        break;
      case toml::node_type::array:
        out.type_ = TomlValue::Type::array;
        for (const toml::node& element : *node.as_array()) out.array_.push_back(value(element));
        break;
      case toml::node_type::string:
        out.type_ = TomlValue::Type::string;
        out.string_ = node.as_string()->get();
        break;
      case toml::node_type::integer:
        out.type_ = TomlValue::Type::integer;
        out.integer_ = node.as_integer()->get();
        break;
      case toml::node_type::boolean:
        out.type_ = TomlValue::Type::boolean;
        out.boolean_ = node.as_boolean()->get();
        break;
      case toml::node_type::floating_point:
        out.type_ = TomlValue::Type::floating_point;
        break;
      case toml::node_type::date:
        out.type_ = TomlValue::Type::date;
        break;
      case toml::node_type::time:
        out.type_ = TomlValue::Type::time;
        break;
      case toml::node_type::date_time:
      case toml::node_type::none:  // not in a parsed document
        out.type_ = TomlValue::Type::date_time;
        break;
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
  switch (type_) {
    case Type::table:
      return "a table";
    case Type::array:
      return "an array";
    case Type::string:
      return "a string";
    case Type::integer:
      return "an integer";
    case Type::floating_point:
      return "a floating-point number";
    case Type::boolean:
      return "a boolean";
    case Type::date:
      return "a date";
    case Type::time:
      return "a time";
    case Type::date_time:
      return "a date-time";
  }
  return "nothing";
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
