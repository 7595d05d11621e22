// [stage.NAME]: the commands a platform's build runs. The stage table is a map sorted by name, so
// the order the stages were written in is recovered from their keys' positions. A timeout is a
// number of seconds or a duration ("1h30m": numbers with units h, m and s, each at most once and
// in that order); input globs must stay inside the project, since the cache key reads them.
#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <optional>

#include "config/sections.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kStageKeys = {"run", "needs", "env", "timeout", "inputs", "shell", "pass_env"};

// "90s", "10m", "1h", "1h30m", "2h0m5s": seconds (saturated above INT_MAX), or nullopt when the
// text is not a duration.
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

// Input globs name files of the project (src/cache/cache_key.h matches them), so each must be
// a relative path that stays inside it.
std::vector<std::string> read_inputs(TomlReader& reader, const std::vector<TomlString>& globs,
                                     const std::string& scope) {
  std::vector<std::string> inputs;
  for (const TomlString& glob : globs) {
    fs::path path(glob.value);
    if (trim(glob.value).empty()) {
      reader.report(glob.at, "\"inputs\" " + in_scope(scope) + " must not hold an empty glob");
    } else if (path.is_absolute()) {
      reader.report(glob.at, "\"inputs\" " + in_scope(scope) +
                                 " must be globs relative to the project directory, not an absolute path: " +
                                 in_quotes(glob.value));
    } else if (std::find(path.begin(), path.end(), fs::path("..")) != path.end()) {
      reader.report(glob.at, "\"inputs\" " + in_scope(scope) + " must stay inside the project directory: " +
                                 in_quotes(glob.value) + " leaves it through \"..\"");
    } else {
      inputs.push_back(glob.value);
    }
  }
  return inputs;
}

// `shell`: the words the command follows, e.g. ["bash", "-euo", "pipefail", "-c"].
std::vector<std::string> read_shell(TomlReader& reader, const TomlTable& table, const std::string& scope) {
  std::optional<std::vector<TomlString>> words = reader.strings(table, "shell", scope);
  if (!words) return {};
  if (words->empty() || trim(words->front().value).empty()) {
    reader.report(*table.get("shell"), "\"shell\" " + in_scope(scope) +
                                           " must name a program and its arguments, the command added last, such "
                                           "as [\"bash\", \"-euo\", \"pipefail\", \"-c\"]");
    return {};
  }
  return values_of(*words);
}

// `pass_env`: names of variables of xbuild's environment.
std::vector<std::string> read_pass_env(TomlReader& reader, const TomlTable& table, const std::string& scope) {
  std::vector<std::string> names;
  for (const TomlString& name : reader.strings(table, "pass_env", scope).value_or(std::vector<TomlString>{})) {
    bool valid =
        !name.value.empty() && !std::isdigit(static_cast<unsigned char>(name.value[0])) &&
        std::all_of(name.value.begin(), name.value.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
    if (!valid)
      reader.report(name.at, "invalid environment variable name " + in_quotes(name.value) + " in \"pass_env\" " +
                                 in_scope(scope) + ": use letters, digits and '_', and do not start with a digit");
    else
      names.push_back(name.value);
  }
  return names;
}

StageSpec read_stage(TomlReader& reader, const TomlEntry& entry, const TomlTable& table, NeedsByStage& needs) {
  const std::string scope = "[stage." + header_key(entry.key) + "]";
  StageSpec stage;
  stage.name = entry.key;
  stage.location = reader.location(entry.key_position);
  reader.check_keys(table, kStageKeys, scope);
  stage.run = reader.required_string(table, "run", scope).value_or("");
  std::vector<TomlString> listed = reader.strings(table, "needs", scope).value_or(std::vector<TomlString>{});
  stage.needs = values_of(listed);
  needs[stage.name] = std::move(listed);
  stage.env = reader.environment_table(table, "env", scope);
  if (const TomlValue* timeout = table.get("timeout")) stage.timeout_seconds = read_timeout(reader, *timeout, scope);
  if (std::optional<std::vector<TomlString>> inputs = reader.strings(table, "inputs", scope))
    stage.inputs = read_inputs(reader, *inputs, scope);
  stage.shell = read_shell(reader, table, scope);
  stage.pass_env = read_pass_env(reader, table, scope);
  return stage;
}

}  // namespace

void read_stages(TomlReader& reader, const TomlTable& root, std::vector<StageSpec>& stages, NeedsByStage& needs) {
  const TomlTable* table = reader.table(root, "stage", "");
  if (!table || table->empty()) {
    if (!root.get("stage") || table)
      reader.report(table ? table->position() : TomlPosition{1, 1},
                    "no stages: add a [stage.NAME] table with a \"run\" command");
    return;
  }
  for (const TomlEntry* entry : table->in_written_order()) {
    if (!is_bare_key(entry->key)) {
      reader.report(entry->key_position,
                    "invalid stage name " + in_quotes(entry->key) + ": use only letters, digits, '_' and '-'");
    }
    const TomlTable* body = entry->value.as_table();
    if (!body) {
      reader.report(entry->value, in_quotes(entry->key) + " in [stage]: expected a table, found " +
                                      entry->value.type_name() + "; write each stage as [stage." +
                                      header_key(entry->key) + "] with a \"run\" command");
      continue;
    }
    stages.push_back(read_stage(reader, *entry, *body, needs));
  }
}

int read_timeout(TomlReader& reader, const TomlValue& value, const std::string& scope, const std::string& key) {
  std::int64_t seconds = 0;
  std::string shown;
  if (const std::int64_t* number = value.as_integer()) {
    seconds = *number;
    shown = std::to_string(seconds);
    if (seconds <= 0) {
      reader.report(value,
                    in_quotes(key) + " " + in_scope(scope) + " must be a positive number of seconds, got " + shown);
      return 0;
    }
  } else if (const std::string* text = value.as_string()) {
    shown = in_quotes(*text);
    std::optional<std::int64_t> duration = parse_duration(*text);
    if (!duration) {
      reader.report(value, "invalid " + key + " " + shown + " " + in_scope(scope) +
                               ": expected a duration such as \"90s\", \"10m\", \"1h\" or \"1h30m\", or a number of "
                               "seconds");
      return 0;
    }
    seconds = *duration;
    if (seconds <= 0) {
      reader.report(value, in_quotes(key) + " " + in_scope(scope) + " must be a positive duration, got " + shown);
      return 0;
    }
  } else {
    reader.wrong_type(value, key, scope, "a number of seconds or a duration such as \"10m\"");
    return 0;
  }
  if (seconds > INT_MAX) {
    reader.report(value, in_quotes(key) + " " + in_scope(scope) + " is too large: " + shown + " is more than " +
                             std::to_string(INT_MAX) + " seconds");
    return 0;
  }
  return static_cast<int>(seconds);
}

}  // namespace xb
