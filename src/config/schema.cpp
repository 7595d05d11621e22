// The JSON Schema of xbuild.toml from the key tables. Each section becomes a definition: an
// object with its keys as properties (type, enum, range, default, description and Taplo's
// markdownDescription), its required keys, and additionalProperties false, since the reader
// refuses a key it does not know. Tables by name ([stage.NAME], [platform."os/arch"]) are
// objects whose names match the section's pattern; TOML's types map to JSON's as Taplo maps
// them (a table is an object, an array an array).
#include "config/schema.h"

#include <nlohmann/json.hpp>

#include "config/keys.h"

namespace xb {

namespace {

using Json = nlohmann::ordered_json;

Json ref_to(const SectionSpec& section) { return Json{{"$ref", "#/definitions/" + std::string(section.id)}}; }

Json strings_schema() { return Json{{"type", "array"}, {"items", {{"type", "string"}}}}; }

// "256K", "1M", "64KiB", "65536".
Json size_schema() {
  return Json{{"type", Json::array({"integer", "string"})}, {"minimum", 1}, {"pattern", "^[0-9]{1,10}(K|KiB|M|MiB)?$"}};
}

// Names of a table by name: those of the section's pattern, or any.
Json named(const SectionSpec& section) {
  Json schema = {{"type", "object"}};
  if (section.name_pattern.empty()) {
    schema["additionalProperties"] = ref_to(section);
  } else {
    schema["patternProperties"] = {{std::string(section.name_pattern), ref_to(section)}};
    schema["additionalProperties"] = false;
  }
  return schema;
}

Json value_schema(const KeySpec& key) {
  switch (key.type) {
    case KeyType::string: {
      Json schema = {{"type", "string"}};
      if (!key.allowed.empty()) {
        schema["enum"] = Json::array();
        for (std::string_view value : key.allowed) schema["enum"].push_back(value);
      }
      return schema;
    }
    case KeyType::integer:
      return {{"type", "integer"}};
    case KeyType::boolean:
      return {{"type", "boolean"}};
    case KeyType::strings:
      return strings_schema();
    case KeyType::string_or_strings:
      return {{"type", Json::array({"string", "array"})}, {"items", {{"type", "string"}}}};
    case KeyType::string_table:
      return {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
    case KeyType::environment:
      return {{"type", "object"},
              {"propertyNames", {{"pattern", "^[A-Za-z_][A-Za-z0-9_]*$"}}},
              {"additionalProperties", {{"type", "string"}}}};
    case KeyType::duration:
      return {{"type", Json::array({"integer", "string"})},
              {"minimum", 1},
              {"pattern", "^([0-9]+h)?([0-9]+m)?([0-9]+s)?$"}};
    case KeyType::size_limit: {
      Json schema = size_schema();
      schema["type"].push_back("object");
      schema["additionalProperties"] = size_schema();
      return schema;
    }
    case KeyType::path_or_false:
      return {{"anyOf", Json::array({Json{{"type", "string"}, {"pattern", "\\.(c|S|s)$"}},
                                     Json{{"enum", Json::array({false})}}})}};
    case KeyType::boolean_or_integer:
      return {{"type", Json::array({"boolean", "integer"})}};
    case KeyType::string_or_table:
      return {{"anyOf", Json::array({Json{{"type", "string"}, {"minLength", 1}}, ref_to(*key.section)})}};
    case KeyType::table:
      return ref_to(*key.section);
    case KeyType::named_tables:
      return named(*key.section);
    case KeyType::table_array:
      return {{"type", "array"}, {"items", ref_to(*key.section)}};
  }
  return Json::object();
}

// The words Taplo shows on hover: the description, the type, where it is valid, the default.
std::string markdown(const KeySpec& key, const SectionSpec& section) {
  std::string text = std::string(key.description) + "\n\n*" + std::string(type_name(key.type)) + "* in `" +
                     std::string(section.where) + "`; default: ";
  text += key.default_value.empty() ? std::string(key.default_text) : "`" + std::string(key.default_value) + "`";
  if (!key.allowed.empty()) {
    text += "; one of";
    for (std::string_view value : key.allowed) text += " `\"" + std::string(value) + "\"`";
  }
  return text + ".";
}

Json key_schema(const KeySpec& key, const SectionSpec& section) {
  Json schema = value_schema(key);
  // A reference stands alone in draft-07: the words go on an allOf around it.
  if (schema.contains("$ref")) schema = Json{{"allOf", Json::array({schema})}};
  schema["description"] = key.description;
  schema["markdownDescription"] = markdown(key, section);
  if (key.minimum) schema["minimum"] = *key.minimum;
  if (key.maximum) schema["maximum"] = *key.maximum;
  if (!key.default_value.empty()) schema["default"] = Json::parse(key.default_value);
  return schema;
}

Json section_schema(const SectionSpec& section) {
  Json schema = {{"type", "object"}, {"description", section.description}};
  Json properties = Json::object();
  Json required = Json::array();
  for (const KeySpec& key : section.keys) {
    properties[std::string(key.name)] = key_schema(key, section);
    if (key.required) required.push_back(key.name);
  }
  schema["properties"] = properties;
  if (!required.empty()) schema["required"] = required;
  schema["additionalProperties"] = false;
  return schema;
}

}  // namespace

std::string config_json_schema() {
  Json schema = {{"$schema", "http://json-schema.org/draft-07/schema#"}, {"title", "xbuild.toml"}};
  Json top = section_schema(kTopLevelSection);
  for (auto& [key, value] : top.items()) schema[key] = value;
  Json definitions = Json::object();
  for (const SectionSpec* section : config_sections())
    if (section != &kTopLevelSection) definitions[std::string(section->id)] = section_schema(*section);
  schema["definitions"] = definitions;
  return schema.dump(2) + "\n";
}

}  // namespace xb
