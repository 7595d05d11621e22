// Reading xbuild.toml into a validated Config.
//
// toml++ parses the text into a tree whose keys and values remember where they were written.
// The Reader walks that tree once, section by section: each table is checked against the keys it
// allows (an unknown key gets a "did you mean" from closest_match) and each value against the type
// it must have. Every problem becomes a Diagnostic with file:line:col and reading carries on with
// the next key, so one run reports everything; only a TOML syntax error stops the parse, because
// toml++ stops there. toml++ tables are sorted maps, so the order the stages were written in is
// recovered by sorting their keys by source position. The checks that need the whole file come
// last: needs naming unknown stages, overrides naming platforms or stages that do not exist, and
// dependency cycles, found by a depth-first search over the needs graph that reports the path from
// the stage it re-entered back to itself. Diagnostics are sorted by position so they read top to
// bottom.
#include "config/config.h"
#include "config/toml_support.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <utility>

#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

const char* strategy_name(Strategy strategy) {
  switch (strategy) {
    case Strategy::automatic:
      return "auto";
    case Strategy::native:
      return "native";
    case Strategy::cross:
      return "cross";
    case Strategy::emulate:
      return "emulate";
  }
  return "auto";
}

namespace {

// A string value and where it was written, for the checks made once the whole file is read.
struct Located {
  std::string value;
  toml::source_position at;
};

const std::vector<std::string> kTopLevelKeys = {"project",  "targets", "stage",   "image",
                                                "platform", "builder", "firmware"};
const std::vector<std::string> kBuilderKeys = {"ssh", "port", "platforms", "jobs", "fallback", "ssh_config", "dir"};
const std::vector<std::string> kProjectKeys = {"name", "version"};
const std::vector<std::string> kTargetsKeys = {"platforms", "firmware"};
const std::vector<std::string> kFirmwareKeys = {"elf", "name", "timeout", "pass_pattern"};
const std::vector<std::string> kStageKeys = {"run", "needs", "env", "timeout", "inputs"};
const std::vector<std::string> kImageKeys = {"name", "tags",   "from", "entrypoint",       "cmd", "env", "workdir",
                                             "user", "labels", "copy", "compression_level"};
const std::vector<std::string> kCopyKeys = {"from", "to"};
const std::vector<std::string> kOverrideKeys = {"strategy", "env", "rootfs", "os_version", "entrypoint", "stage"};
const std::vector<std::string> kStageOverrideKeys = {"run", "env"};
const std::vector<std::string> kStrategies = {"auto", "native", "cross", "emulate"};

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

// "\"a\"", "\"a\" and \"b\"", "\"a\", \"b\" and \"c\"" (with `last` as the final conjunction).
std::string in_quotes_list(const std::vector<std::string>& words, std::string_view last) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " " + std::string(last) + " " : ", ";
    out += in_quotes(words[i]);
  }
  return out;
}

// `scope` names a table as the user wrote it ("[stage.build]"); empty is the top level.
std::string in(const std::string& scope) { return scope.empty() ? "at the top level" : "in " + scope; }

bool is_bare_key(std::string_view key) {
  return !key.empty() &&
         std::all_of(key.begin(), key.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

// A key as it appears in a table header: bare when it can be, quoted otherwise.
std::string header_key(std::string_view key) { return is_bare_key(key) ? std::string(key) : in_quotes(key); }

bool is_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// A Windows build number as os.version writes it: "10.0.20348" or "10.0.20348.2582".
bool is_os_version(std::string_view text) {
  std::vector<std::string> parts = split(std::string(text), '.');
  return parts.size() >= 2 && std::all_of(parts.begin(), parts.end(), [](const std::string& part) {
           return !part.empty() &&
                  std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); });
         });
}

// The OCI distribution spec's tag grammar: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
bool is_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](unsigned char c) { return std::isalnum(c) || c == '_'; };
  if (!word(static_cast<unsigned char>(tag.front()))) return false;
  return std::all_of(tag.begin(), tag.end(), [&](unsigned char c) { return word(c) || c == '.' || c == '-'; });
}

// "90s", "10m", "1h", "1h30m", "2h0m5s": numbers with units h, m, s, each at most once and in
// that order. Returns seconds (saturated above INT_MAX), or nullopt when the text is not a duration.
std::optional<std::int64_t> parse_duration(std::string_view text) {
  const std::string_view units = "hms";
  const std::int64_t seconds_per_unit[] = {3600, 60, 1};
  std::size_t next_unit = 0;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t number = 0;
    std::size_t digits_start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      number = std::min<std::int64_t>(number * 10 + (text[i] - '0'), INT_MAX);
      ++i;
    }
    if (i == digits_start || i == text.size()) return std::nullopt;
    std::size_t unit = units.find(text[i]);
    if (unit == std::string_view::npos || unit < next_unit) return std::nullopt;
    total = std::min<std::int64_t>(total + number * seconds_per_unit[unit], std::int64_t{INT_MAX} + 1);
    next_unit = unit + 1;
    ++i;
  }
  if (text.empty()) return std::nullopt;
  return total;
}

bool is_empty_array(const toml::node& node) {
  const toml::array* array = node.as_array();
  return array && array->empty();
}

bool before(const toml::source_position& a, const toml::source_position& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

class Reader {
 public:
  Reader(std::string_view text, std::string file_name)
      : file_name_(std::move(file_name)), lines_(split_source_lines(text)) {}

  void syntax_error(const toml::parse_error& error) {
    std::string description(error.description());
    const std::string_view prefix = "Error while ";
    std::string message = starts_with(description, prefix)
                              ? "TOML syntax error while " + description.substr(prefix.size())
                              : "TOML syntax error: " + description;
    report(error.source().begin, std::move(message));
  }

  void read(const toml::table& root, Config& config) {
    check_keys(root, kTopLevelKeys, "");
    read_project(root, config.project);
    read_targets(root, config.platforms);
    read_stages(root, config.stages);
    read_image(root, config);
    read_overrides(root, config);
    read_builders(root, config);
    read_firmware(root, config);
    check_needs(config.stages);
  }

  std::vector<Diagnostic> take_diagnostics() {
    std::stable_sort(diagnostics_.begin(), diagnostics_.end(), [](const Diagnostic& a, const Diagnostic& b) {
      const SourceLocation& x = a.location;
      const SourceLocation& y = b.location;
      return x.line != y.line ? x.line < y.line : x.column < y.column;
    });
    return std::move(diagnostics_);
  }

 private:
  void report(const toml::source_position& at, std::string message) {
    diagnostics_.push_back(diagnostic_at(file_name_, lines_, at, std::move(message)));
  }

  void report(const toml::node& node, std::string message) { report(node.source().begin, std::move(message)); }

  SourceLocation location(const toml::source_position& at) const {
    return SourceLocation{file_name_, static_cast<int>(at.line), static_cast<int>(at.column)};
  }

  static toml::source_position file_start() { return toml::source_position{1, 1}; }

  void check_keys(const toml::table& table, const std::vector<std::string>& allowed, const std::string& scope) {
    for (auto&& [key, value] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      std::string hint = closest_match(key.str(), allowed);
      std::string message = "unknown key " + in_quotes(key.str()) + " " + in(scope);
      message += hint.empty() ? "; valid keys are " + in_quotes_list(allowed, "and")
                              : "; did you mean " + in_quotes(hint) + "?";
      report(key.source().begin, std::move(message));
    }
  }

  void wrong_type(const toml::node& node, std::string_view key, const std::string& scope, std::string_view expected) {
    report(node, in_quotes(key) + " " + in(scope) + ": expected " + std::string(expected) + ", found " +
                     toml_type_name(node));
  }

  // The table under `key`, or nullptr when it is absent or (reported) not a table.
  const toml::table* table_at(const toml::table& parent, std::string_view key, const std::string& scope) {
    const toml::node* node = parent.get(key);
    if (!node) return nullptr;
    if (const toml::table* table = node->as_table()) return table;
    wrong_type(*node, key, scope, "a table");
    return nullptr;
  }

  std::optional<std::string> string_at(const toml::table& table, std::string_view key, const std::string& scope) {
    const toml::node* node = table.get(key);
    if (!node) return std::nullopt;
    if (const toml::value<std::string>* value = node->as_string()) return value->get();
    wrong_type(*node, key, scope, "a string");
    return std::nullopt;
  }

  // A string that must be present and not blank; reported against the table when missing.
  std::optional<std::string> required_string(const toml::table& table, std::string_view key, const std::string& scope) {
    const toml::node* node = table.get(key);
    if (!node) {
      report(table, "missing required key " + in_quotes(key) + " " + in(scope));
      return std::nullopt;
    }
    return non_blank_string_at(table, key, scope);
  }

  // An optional string that, when given, must not be blank.
  std::optional<std::string> non_blank_string_at(const toml::table& table, std::string_view key,
                                                 const std::string& scope) {
    std::optional<std::string> value = string_at(table, key, scope);
    if (value && trim(*value).empty()) {
      report(*table.get(key), in_quotes(key) + " " + in(scope) + " must not be empty");
      return std::nullopt;
    }
    return value;
  }

  // An array of strings (or, with `single_allowed`, one string standing for a one-element array).
  // Elements of another type are reported and left out.
  std::optional<std::vector<Located>> strings_at(const toml::table& table, std::string_view key,
                                                 const std::string& scope, bool single_allowed = false) {
    const toml::node* node = table.get(key);
    if (!node) return std::nullopt;
    std::string_view expected = single_allowed ? "a string or an array of strings" : "an array of strings";
    if (single_allowed) {
      if (const toml::value<std::string>* value = node->as_string())
        return std::vector<Located>{Located{value->get(), node->source().begin}};
    }
    const toml::array* array = node->as_array();
    if (!array) {
      wrong_type(*node, key, scope, expected);
      return std::nullopt;
    }
    std::vector<Located> strings;  // the elements that are strings, so later checks still see them
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      if (const toml::value<std::string>* value = element.as_string()) {
        strings.push_back(Located{value->get(), element.source().begin});
      } else {
        report(element, in_quotes(key) + " " + in(scope) + ": expected " + std::string(expected) + ", but element " +
                            std::to_string(i + 1) + " is " + toml_type_name(element));
      }
    }
    return strings;
  }

  static std::vector<std::string> values(const std::vector<Located>& located) {
    std::vector<std::string> out;
    out.reserve(located.size());
    for (const Located& item : located) out.push_back(item.value);
    return out;
  }

  static std::vector<std::string> stage_names(const std::vector<StageSpec>& stages) {
    std::vector<std::string> names;
    names.reserve(stages.size());
    for (const StageSpec& stage : stages) names.push_back(stage.name);
    return names;
  }

  // A table whose values are all strings; with `env_names`, its keys must be variable names.
  std::map<std::string, std::string> string_table_at(const toml::table& table, std::string_view key,
                                                     const std::string& scope, bool env_names) {
    std::map<std::string, std::string> out;
    const toml::node* node = table.get(key);
    if (!node) return out;
    const toml::table* entries = node->as_table();
    if (!entries) {
      wrong_type(*node, key, scope, "a table of strings");
      return out;
    }
    for (auto&& [name, value] : *entries) {
      if (env_names && !is_env_name(name.str())) {
        report(name.source().begin, "invalid environment variable name " + in_quotes(name.str()) + " " + in(scope) +
                                        " " + std::string(key) +
                                        ": use letters, digits and '_', and do not start with a digit");
      }
      if (const toml::value<std::string>* text = value.as_string()) {
        out[std::string(name.str())] = text->get();
      } else {
        report(value, in_quotes(key) + " " + in(scope) + ": expected a table of strings, but " + in_quotes(name.str()) +
                          " is " + toml_type_name(value));
      }
    }
    return out;
  }

  void read_project(const toml::table& root, ProjectSpec& project) {
    const std::string scope = "[project]";
    if (!root.get("project")) {
      report(file_start(), "missing [project] table: add [project] with name = \"...\"");
      return;
    }
    const toml::table* table = table_at(root, "project", "");
    if (!table) return;
    check_keys(*table, kProjectKeys, scope);
    project.name = required_string(*table, "name", scope).value_or("");
    project.version = string_at(*table, "version", scope).value_or("");
  }

  void read_targets(const toml::table& root, std::vector<Platform>& platforms) {
    const std::string scope = "[targets]";
    if (!root.get("targets")) {
      report(file_start(), "missing [targets] table: add [targets] with platforms = [\"linux/amd64\", ...]");
      return;
    }
    const toml::table* table = table_at(root, "targets", "");
    if (!table) return;
    check_keys(*table, kTargetsKeys, scope);
    const toml::node* firmware = table->get("firmware");
    if (!table->get("platforms") && !firmware) {
      report(*table, "missing required key \"platforms\" in [targets]");
      return;
    }
    std::vector<std::string> written;  // as the user wrote each of `platforms`
    auto add = [&](const Located& specifier, const Platform& platform, const std::string& key) {
      auto same = std::find(platforms.begin(), platforms.end(), platform);
      if (same != platforms.end()) {
        const std::string& first = written[static_cast<std::size_t>(same - platforms.begin())];
        std::string name = platform.str();
        report(specifier.at, "duplicate platform " + in_quotes(name) + " in [targets] " + key + ": " +
                                 (first == specifier.value ? "listed twice"
                                                           : in_quotes(first) + " and " + in_quotes(specifier.value) +
                                                                 " both name " + name));
        return;
      }
      platforms.push_back(platform);
      written.push_back(specifier.value);
    };
    if (table->get("platforms")) {
      std::optional<std::vector<Located>> specifiers = strings_at(*table, "platforms", scope);
      if (!specifiers) return;
      if (is_empty_array(*table->get("platforms")) && (!firmware || is_empty_array(*firmware))) {
        report(*table->get("platforms"),
               "\"platforms\" in [targets] must not be empty: list at least one platform, for example \"linux/amd64\"");
        return;
      }
      for (const Located& specifier : *specifiers) {
        Result<Platform> platform = parse_platform(specifier.value);
        if (!platform) {
          report(specifier.at,
                 "unknown platform " + in_quotes(specifier.value) + " in [targets] platforms: " + platform.error());
          continue;
        }
        add(specifier, platform.value(), "platforms");
      }
    }
    if (!firmware) return;
    std::optional<std::vector<Located>> names = strings_at(*table, "firmware", scope);
    if (!names) return;
    if (names->empty() && !table->get("platforms")) {
      report(*firmware,
             "\"firmware\" in [targets] must not be empty: list at least one bare-metal target, for "
             "example \"cortex-m4\" (a file name in toolchains/firmware/)");
      return;
    }
    for (const Located& name : *names) {
      // The name becomes the platform's variant: none/arm/<name>.
      bool plain = !name.value.empty() && std::isalnum(static_cast<unsigned char>(name.value.front())) &&
                   std::all_of(name.value.begin(), name.value.end(),
                               [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
      Result<Platform> platform = plain ? parse_platform("none/arm/" + name.value) : Result<Platform>(Failure{""});
      if (!plain || !platform || platform.value().variant != name.value) {
        report(name.at, "invalid firmware target " + in_quotes(name.value) +
                            " in [targets] firmware: expected the name of a file in toolchains/firmware/, such as "
                            "\"cortex-m4\"");
        continue;
      }
      add(name, platform.value(), "firmware");
    }
  }

  // [firmware]: the artifact's ELF and the test runner's timeout and pass pattern.
  void read_firmware(const toml::table& root, Config& config) {
    const std::string scope = "[firmware]";
    const toml::table* table = table_at(root, "firmware", "");
    if (!table) return;
    FirmwareSpec& firmware = config.firmware;
    check_keys(*table, kFirmwareKeys, scope);
    if (std::none_of(config.platforms.begin(), config.platforms.end(), is_bare_metal)) {
      report(*table,
             "[firmware] describes the bare-metal targets, but [targets] names none: add firmware = "
             "[\"cortex-m4\"] to [targets], or remove [firmware]");
      return;
    }
    if (std::optional<std::string> elf = non_blank_string_at(*table, "elf", scope)) {
      fs::path path(*elf);
      if (path.is_absolute())
        report(*table->get("elf"),
               "\"elf\" in [firmware] must be a path relative to the output directory "
               "($XBUILD_OUT), not an absolute path: " +
                   in_quotes(*elf));
      else if (std::find(path.begin(), path.end(), fs::path("..")) != path.end())
        report(*table->get("elf"),
               "\"elf\" in [firmware] must stay inside the output directory: " + in_quotes(*elf) + " contains \"..\"");
      else
        firmware.elf = *elf;
    }
    if (std::optional<std::string> name = non_blank_string_at(*table, "name", scope)) {
      if (name->find('/') != std::string::npos)
        report(*table->get("name"),
               "\"name\" in [firmware] names the artifact's files (NAME.elf, NAME.bin, ...) "
               "and must not contain \"/\": " +
                   in_quotes(*name));
      else
        firmware.name = *name;
    }
    if (const toml::node* timeout = table->get("timeout"))
      firmware.test_timeout_seconds = read_timeout(*timeout, scope);
    if (std::optional<std::string> pattern = non_blank_string_at(*table, "pass_pattern", scope)) {
      try {
        std::regex check(*pattern, std::regex::ECMAScript);
        firmware.pass_pattern = *pattern;
      } catch (const std::regex_error& error) {
        report(*table->get("pass_pattern"), "\"pass_pattern\" in [firmware] is not a valid regular expression (" +
                                                std::string(error.what()) + "): " + in_quotes(*pattern));
      }
    }
  }

  void read_stages(const toml::table& root, std::vector<StageSpec>& stages) {
    const toml::table* table = table_at(root, "stage", "");
    if (!table || table->empty()) {
      if (!root.get("stage") || table)
        report(table ? table->source().begin : file_start(),
               "no stages: add a [stage.NAME] table with a \"run\" command");
      return;
    }
    std::vector<std::pair<const toml::key*, const toml::node*>> written;
    for (auto&& [key, node] : *table) written.emplace_back(&key, &node);
    std::sort(written.begin(), written.end(),
              [](const auto& a, const auto& b) { return before(a.first->source().begin, b.first->source().begin); });
    for (const auto& [key, node] : written) {
      std::string name(key->str());
      if (!is_bare_key(name)) {
        report(key->source().begin,
               "invalid stage name " + in_quotes(name) + ": use only letters, digits, '_' and '-'");
      }
      const toml::table* body = node->as_table();
      if (!body) {
        report(*node, in_quotes(name) + " in [stage]: expected a table, found " + toml_type_name(*node) +
                          "; write each stage as [stage." + header_key(name) + "] with a \"run\" command");
        continue;
      }
      stages.push_back(read_stage(name, *key, *body));
    }
  }

  StageSpec read_stage(const std::string& name, const toml::key& key, const toml::table& table) {
    const std::string scope = "[stage." + header_key(name) + "]";
    StageSpec stage;
    stage.name = name;
    stage.location = location(key.source().begin);
    check_keys(table, kStageKeys, scope);
    stage.run = required_string(table, "run", scope).value_or("");
    std::vector<Located> needs = strings_at(table, "needs", scope).value_or(std::vector<Located>{});
    stage.needs = values(needs);
    needs_[name] = std::move(needs);
    stage.env = string_table_at(table, "env", scope, true);
    if (const toml::node* timeout = table.get("timeout")) stage.timeout_seconds = read_timeout(*timeout, scope);
    if (std::optional<std::vector<Located>> inputs = strings_at(table, "inputs", scope))
      stage.inputs = read_inputs(*inputs, scope);
    return stage;
  }

  // Input globs name files of the project (src/cache/cache_key.h matches them), so each must be
  // a relative path that stays inside it.
  std::vector<std::string> read_inputs(const std::vector<Located>& globs, const std::string& scope) {
    std::vector<std::string> inputs;
    for (const Located& glob : globs) {
      fs::path path(glob.value);
      if (trim(glob.value).empty()) {
        report(glob.at, "\"inputs\" " + in(scope) + " must not hold an empty glob");
      } else if (path.is_absolute()) {
        report(glob.at,
               "\"inputs\" " + in(scope) +
                   " must be globs relative to the project directory, not an absolute path: " + in_quotes(glob.value));
      } else if (std::find(path.begin(), path.end(), fs::path("..")) != path.end()) {
        report(glob.at, "\"inputs\" " + in(scope) + " must stay inside the project directory: " +
                            in_quotes(glob.value) + " leaves it through \"..\"");
      } else {
        inputs.push_back(glob.value);
      }
    }
    return inputs;
  }

  int read_timeout(const toml::node& node, const std::string& scope) {
    std::int64_t seconds = 0;
    std::string shown;
    if (const toml::value<std::int64_t>* number = node.as_integer()) {
      seconds = number->get();
      shown = std::to_string(seconds);
      if (seconds <= 0) {
        report(node, "\"timeout\" " + in(scope) + " must be a positive number of seconds, got " + shown);
        return 0;
      }
    } else if (const toml::value<std::string>* text = node.as_string()) {
      shown = in_quotes(text->get());
      std::optional<std::int64_t> duration = parse_duration(text->get());
      if (!duration) {
        report(node, "invalid timeout " + shown + " " + in(scope) +
                         ": expected a duration such as \"90s\", \"10m\", \"1h\" or \"1h30m\", or a number of seconds");
        return 0;
      }
      seconds = *duration;
      if (seconds <= 0) {
        report(node, "\"timeout\" " + in(scope) + " must be a positive duration, got " + shown);
        return 0;
      }
    } else {
      wrong_type(node, "timeout", scope, "a number of seconds or a duration such as \"10m\"");
      return 0;
    }
    if (seconds > INT_MAX) {
      report(node, "\"timeout\" " + in(scope) + " is too large: " + shown + " is more than " + std::to_string(INT_MAX) +
                       " seconds");
      return 0;
    }
    return static_cast<int>(seconds);
  }

  void read_image(const toml::table& root, Config& config) {
    const std::string scope = "[image]";
    ImageSpec& image = config.image;
    image.name = config.project.name;
    image.tags = {"latest"};
    const toml::table* table = table_at(root, "image", "");
    if (!table) return;
    check_keys(*table, kImageKeys, scope);

    if (std::optional<std::string> name = non_blank_string_at(*table, "name", scope)) image.name = *name;
    if (std::optional<std::vector<Located>> tags = strings_at(*table, "tags", scope)) {
      if (is_empty_array(*table->get("tags"))) {
        report(*table->get("tags"), "\"tags\" in [image] must not be empty: remove it for the default [\"latest\"]");
      }
      for (const Located& tag : *tags) {
        if (!is_tag(tag.value)) {
          report(tag.at, "invalid tag " + in_quotes(tag.value) +
                             " in [image] tags: a tag is 1 to 128 letters, digits, '_', '.' and '-', "
                             "and does not start with '.' or '-'");
        }
      }
      if (!tags->empty()) image.tags = values(*tags);
    }
    if (std::optional<std::string> from = string_at(*table, "from", scope)) {
      // "scratch" or an image reference; the reference itself is parsed (and its platforms
      // checked against the registry) by `xbuild plan` / `xbuild run`.
      if (from->empty() || from->find_first_of(" \t\n") != std::string::npos) {
        report(*table->get("from"),
               "base image " + in_quotes(*from) +
                   " is not \"scratch\" or an image reference such as \"docker.io/library/debian:12\"");
      }
      image.from = *from;
    }
    if (auto entrypoint = strings_at(*table, "entrypoint", scope, true)) image.entrypoint = values(*entrypoint);
    if (auto cmd = strings_at(*table, "cmd", scope, true)) image.cmd = values(*cmd);
    image.env = string_table_at(*table, "env", scope, true);
    if (std::optional<std::string> workdir = string_at(*table, "workdir", scope)) {
      if (!starts_with(*workdir, "/")) {
        report(*table->get("workdir"),
               "\"workdir\" in [image] must be an absolute path (starting with \"/\"), got " + in_quotes(*workdir));
      }
      image.workdir = *workdir;
    }
    image.user = string_at(*table, "user", scope).value_or("");
    image.labels = string_table_at(*table, "labels", scope, false);
    if (const toml::node* level = table->get("compression_level")) {
      const toml::value<std::int64_t>* number = level->as_integer();
      if (!number || number->get() < 0 || number->get() > 9)
        report(*level, "\"compression_level\" in [image] must be a gzip level from 0 (stored) to 9 (smallest)");
      else
        image.compression_level = static_cast<int>(number->get());
    }
    read_copy(*table, image.copy);
  }

  void read_copy(const toml::table& image, std::vector<CopySpec>& copies) {
    const toml::node* node = image.get("copy");
    if (!node) return;
    const std::string_view expected = "an array of tables such as { from = \"app\", to = \"/app\" }";
    const toml::array* array = node->as_array();
    if (!array) {
      wrong_type(*node, "copy", "[image]", expected);
      return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const toml::table* entry = element.as_table();
      if (!entry) {
        report(element, "\"copy\" in [image]: expected " + std::string(expected) + ", but entry " +
                            std::to_string(i + 1) + " is " + toml_type_name(element));
        continue;
      }
      const std::string scope = "[image] copy entry " + std::to_string(i + 1);
      check_keys(*entry, kCopyKeys, scope);
      CopySpec copy;
      if (std::optional<std::string> from = required_string(*entry, "from", scope)) {
        fs::path path(*from);
        if (path.is_absolute()) {
          report(*entry->get("from"),
                 "\"from\" " + in(scope) +
                     " must be a path relative to the output directory, not an absolute path: " + in_quotes(*from));
        } else if (std::find(path.begin(), path.end(), fs::path("..")) != path.end()) {
          report(*entry->get("from"), "\"from\" " + in(scope) + " must stay inside the output directory: " +
                                          in_quotes(*from) + " contains \"..\"");
        }
        copy.from = *from;
      }
      if (std::optional<std::string> to = required_string(*entry, "to", scope)) {
        if (!starts_with(*to, "/")) {
          report(*entry->get("to"), "\"to\" " + in(scope) +
                                        " must be an absolute path in the image (starting with \"/\"), got " +
                                        in_quotes(*to));
        }
        copy.to = *to;
      }
      copies.push_back(std::move(copy));
    }
  }

  // [builder.NAME]: ssh and platforms required; each platform in [targets] and routed to one builder.
  void read_builders(const toml::table& root, Config& config) {
    const toml::table* table = table_at(root, "builder", "");
    if (!table) return;
    std::map<std::string, std::string> routed;  // platform -> builder
    for (auto&& [key, node] : *table) {
      BuilderSpec builder;
      builder.name = std::string(key.str());
      builder.location = location(key.source().begin);
      const std::string scope = "[builder." + header_key(builder.name) + "]";
      const toml::table* body = node.as_table();
      if (!body) {
        wrong_type(node, builder.name, "[builder]", "a table");
        continue;
      }
      check_keys(*body, kBuilderKeys, scope);
      builder.ssh = required_string(*body, "ssh", scope).value_or("");
      if (const toml::node* port = body->get("port")) {
        const toml::value<std::int64_t>* number = port->as_integer();
        if (!number || number->get() < 1 || number->get() > 65535)
          report(*port, "\"port\" " + in(scope) + " must be a TCP port number from 1 to 65535");
        else
          builder.port = static_cast<int>(number->get());
      }
      if (const toml::node* jobs = body->get("jobs")) {
        const toml::value<std::int64_t>* number = jobs->as_integer();
        if (!number || number->get() < 1 || number->get() > 1024)
          report(*jobs, "\"jobs\" " + in(scope) + " must be a whole number from 1 to 1024");
        else
          builder.jobs = static_cast<unsigned>(number->get());
      }
      if (std::optional<std::string> fallback = string_at(*body, "fallback", scope)) {
        if (*fallback == "local")
          builder.fallback_local = true;
        else
          report(*body->get("fallback"), "invalid fallback " + in_quotes(*fallback) + " " + in(scope) +
                                             ": the only fallback is \"local\" (leave it out to fail instead)");
      }
      if (std::optional<std::string> file = non_blank_string_at(*body, "ssh_config", scope))
        builder.ssh_config = fs::path(*file).is_absolute() ? fs::path(*file) : config.directory / *file;
      if (std::optional<std::string> dir = non_blank_string_at(*body, "dir", scope)) builder.dir = *dir;
      if (!body->get("platforms")) report(*body, "missing required key \"platforms\" " + in(scope));
      for (const Located& specifier : strings_at(*body, "platforms", scope).value_or(std::vector<Located>{})) {
        Result<Platform> platform = parse_platform(specifier.value);
        if (!platform) {
          report(specifier.at,
                 "unknown platform " + in_quotes(specifier.value) + " in " + scope + " platforms: " + platform.error());
          continue;
        }
        std::string name = platform.value().str();
        if (std::find(config.platforms.begin(), config.platforms.end(), platform.value()) == config.platforms.end()) {
          report(specifier.at,
                 scope + " builds " + name + ", which is not in [targets] platforms; add it there or remove it here");
          continue;
        }
        if (is_bare_metal(platform.value())) {
          report(specifier.at, scope + " cannot build " + name +
                                   ": bare-metal targets build on this machine with their cross toolchain; remove it "
                                   "here");
          continue;
        }
        if (auto [it, inserted] = routed.try_emplace(name, builder.name); !inserted) {
          report(specifier.at, name + " is declared by two builders, " + in_quotes(it->second) + " and " +
                                   in_quotes(builder.name) + "; a platform goes to one builder");
          continue;
        }
        builder.platforms.push_back(platform.value());
      }
      config.builders.push_back(std::move(builder));
    }
  }

  void read_overrides(const toml::table& root, Config& config) {
    const toml::table* table = table_at(root, "platform", "");
    if (!table) return;
    std::map<std::string, std::string> seen;  // normalized platform -> the key it was written as
    std::vector<std::pair<const toml::key*, const toml::node*>> written;
    for (auto&& [key, node] : *table) written.emplace_back(&key, &node);
    std::sort(written.begin(), written.end(),
              [](const auto& a, const auto& b) { return before(a.first->source().begin, b.first->source().begin); });
    for (const auto& [key, node] : written) {
      std::string specifier(key->str());
      const std::string scope = "[platform." + header_key(specifier) + "]";
      const toml::table* body = node->as_table();
      if (!body) {
        wrong_type(*node, specifier, "[platform]", "a table");
        continue;
      }
      PlatformOverride override_spec = read_override(*body, scope, config.stages);
      override_spec.location = location(key->source().begin);

      Result<Platform> platform = parse_platform(specifier);
      if (!platform) {
        report(key->source().begin, "invalid override " + scope + ": " + platform.error());
        continue;
      }
      std::string name = platform.value().str();
      if (std::find(config.platforms.begin(), config.platforms.end(), platform.value()) == config.platforms.end()) {
        std::string message = scope;
        message += " overrides " + name + ", which is not in [targets] platforms; add it there or remove this table";
        report(key->source().begin, std::move(message));
        continue;
      }
      if (override_spec.os_version && platform.value().os != "windows") {
        report(body->get("os_version")->source().begin, "\"os_version\" " + in(scope) +
                                                            " is the Windows build an image needs (os.version); " +
                                                            name + " is not a Windows platform: remove it");
        continue;
      }
      if (is_bare_metal(platform.value())) {
        bool refused = false;
        if (override_spec.strategy &&
            (*override_spec.strategy == Strategy::native || *override_spec.strategy == Strategy::emulate)) {
          report(body->get("strategy")->source().begin,
                 "strategy " + in_quotes(strategy_name(*override_spec.strategy)) + " " + in(scope) + " cannot build " +
                     name + ": bare-metal targets build with their cross toolchain; use \"cross\" or remove it");
          refused = true;
        }
        for (const char* key : {"rootfs", "entrypoint"})
          if (const toml::node* node = body->get(key)) {
            report(node->source().begin, in_quotes(key) + " " + in(scope) + " does not apply to " + name +
                                             ": a bare-metal target becomes a firmware artifact, not an image; "
                                             "remove it");
            refused = true;
          }
        if (refused) continue;
      }
      auto [previous, inserted] = seen.emplace(name, specifier);
      if (!inserted) {
        std::string message = "[platform." + header_key(previous->second) + "] and ";
        message += scope;
        message += " both override " + name + "; merge them into one table";
        report(key->source().begin, std::move(message));
        continue;
      }
      config.overrides[name] = std::move(override_spec);
    }
  }

  PlatformOverride read_override(const toml::table& table, const std::string& scope,
                                 const std::vector<StageSpec>& stages) {
    PlatformOverride result;
    check_keys(table, kOverrideKeys, scope);
    if (std::optional<std::string> strategy = string_at(table, "strategy", scope)) {
      static const Strategy kValues[] = {Strategy::automatic, Strategy::native, Strategy::cross, Strategy::emulate};
      auto found = std::find(kStrategies.begin(), kStrategies.end(), *strategy);
      if (found != kStrategies.end()) {
        result.strategy = kValues[found - kStrategies.begin()];
      } else {
        std::string hint = closest_match(*strategy, kStrategies);
        report(*table.get("strategy"), "unknown strategy " + in_quotes(*strategy) + " " + in(scope) +
                                           (hint.empty() ? "; expected " + in_quotes_list(kStrategies, "or")
                                                         : "; did you mean " + in_quotes(hint) + "?"));
      }
    }
    result.env = string_table_at(table, "env", scope, true);
    result.rootfs = non_blank_string_at(table, "rootfs", scope);
    if (auto entrypoint = strings_at(table, "entrypoint", scope, true)) result.entrypoint = values(*entrypoint);
    result.os_version = non_blank_string_at(table, "os_version", scope);
    if (result.os_version && !is_os_version(*result.os_version)) {
      report(*table.get("os_version"), "\"os_version\" " + in(scope) + " must be dotted numbers such as " +
                                           "\"10.0.20348.2582\", got " + in_quotes(*result.os_version));
      result.os_version.reset();
    }
    const toml::table* stage_table = table_at(table, "stage", scope);
    if (!stage_table) return result;
    const std::vector<std::string> names = stage_names(stages);
    for (auto&& [key, node] : *stage_table) {
      std::string name(key.str());
      std::string stage_scope = scope.substr(0, scope.size() - 1) + ".stage." + header_key(name) + "]";
      const toml::table* body = node.as_table();
      if (!body) {
        wrong_type(node, name, scope.substr(0, scope.size() - 1) + ".stage]", "a table");
        continue;
      }
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        std::string hint = closest_match(name, names);
        report(key.source().begin,
               stage_scope + " overrides unknown stage " + in_quotes(name) +
                   (hint.empty() ? names.empty() ? "" : "; stages are " + in_quotes_list(names, "and")
                                 : "; did you mean " + in_quotes(hint) + "?"));
      }
      check_keys(*body, kStageOverrideKeys, stage_scope);
      StageOverride stage;
      stage.run = non_blank_string_at(*body, "run", stage_scope);
      stage.env = string_table_at(*body, "env", stage_scope, true);
      result.stages[name] = std::move(stage);
    }
    return result;
  }

  // Every need names another existing stage, once; then the graph must be acyclic.
  void check_needs(const std::vector<StageSpec>& stages) {
    const std::vector<std::string> names = stage_names(stages);
    for (const StageSpec& stage : stages) {
      const std::string scope = "[stage." + header_key(stage.name) + "]";
      std::set<std::string> listed;
      for (const Located& need : needs_[stage.name]) {
        if (need.value == stage.name) {
          report(need.at, "stage " + in_quotes(stage.name) + " needs itself; remove " + in_quotes(need.value) +
                              " from its needs");
        } else if (std::find(names.begin(), names.end(), need.value) == names.end()) {
          std::string hint = closest_match(need.value, names);
          report(need.at, "unknown stage " + in_quotes(need.value) + " in needs of " + scope +
                              (hint.empty() ? "; stages are " + in_quotes_list(names, "and")
                                            : "; did you mean " + in_quotes(hint) + "?"));
        } else if (!listed.insert(need.value).second) {
          report(need.at, in_quotes(need.value) + " is listed twice in needs of " + scope);
        }
      }
    }
    std::vector<Mark> marks(stages.size(), Mark::unvisited);
    std::vector<std::size_t> path;
    for (std::size_t i = 0; i < stages.size(); ++i) {
      if (marks[i] == Mark::unvisited) find_cycles(stages, i, marks, path);
    }
  }

  enum class Mark { unvisited, on_path, finished };

  // Depth-first search; an edge back to a stage still on the path closes a cycle.
  void find_cycles(const std::vector<StageSpec>& stages, std::size_t current, std::vector<Mark>& marks,
                   std::vector<std::size_t>& path) {
    marks[current] = Mark::on_path;
    path.push_back(current);
    for (const Located& need : needs_[stages[current].name]) {
      auto next =
          std::find_if(stages.begin(), stages.end(), [&](const StageSpec& stage) { return stage.name == need.value; });
      if (next == stages.end()) continue;
      std::size_t index = static_cast<std::size_t>(next - stages.begin());
      if (index == current) continue;  // reported as "needs itself"
      if (marks[index] == Mark::on_path) {
        std::vector<std::string> cycle;
        for (auto step = std::find(path.begin(), path.end(), index); step != path.end(); ++step)
          cycle.push_back(stages[*step].name);
        cycle.push_back(stages[index].name);
        report(need.at, "stage dependency cycle: " + join(cycle, " -> "));
      } else if (marks[index] == Mark::unvisited) {
        find_cycles(stages, index, marks, path);
      }
    }
    path.pop_back();
    marks[current] = Mark::finished;
  }

  std::string file_name_;
  std::vector<std::string> lines_;
  std::vector<Diagnostic> diagnostics_;
  std::map<std::string, std::vector<Located>> needs_;  // by stage name, with where each was written
};

}  // namespace

ConfigResult parse_config(std::string_view text, const fs::path& file) {
  Reader reader(text, file.string());
  Config config;
  std::error_code error;
  fs::path absolute = fs::absolute(file, error);
  config.file = (error ? file : absolute).lexically_normal();
  config.directory = config.file.parent_path();
  try {
    toml::table root = toml::parse(text, file.string());
    reader.read(root, config);
  } catch (const toml::parse_error& parse_error) {
    reader.syntax_error(parse_error);
  }
  std::vector<Diagnostic> diagnostics = reader.take_diagnostics();
  if (!diagnostics.empty()) return ConfigErrors{std::move(diagnostics)};
  return config;
}

ConfigResult load_config(const fs::path& file) {
  std::error_code error;
  Result<std::string> text = fs::is_directory(file, error)
                                 ? Result<std::string>(fail("cannot read " + file.string() + ": Is a directory"))
                                 : read_file(file);
  if (!text) {
    Diagnostic diagnostic;
    diagnostic.location.file = file.string();
    diagnostic.message = text.error();
    return ConfigErrors{{std::move(diagnostic)}};
  }
  return parse_config(text.value(), file);
}

}  // namespace xb
