// [stage.NAME]: the commands a platform's build runs. The stage table is a map sorted by name, so
// the order the stages were written in is recovered from their keys' positions. A timeout is a
// number of seconds or a duration ("1h30m": numbers with units h, m and s, each at most once and
// in that order); input globs must stay inside the project, since the cache key reads them, and
// kept directories inside $XBUILD_WORK, each kept by one stage; test reports under $XBUILD_OUT or
// $XBUILD_WORK.
#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <map>
#include <optional>

#include "config/keys.h"
#include "config/sections.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

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

// `keep`: directories under $XBUILD_WORK, named by paths that stay inside it. Each is normalized
// ("build/" is "build") so that two stages cannot keep one directory under two spellings.
std::vector<TomlString> read_keep(TomlReader& reader, const TomlTable& table, const std::string& scope) {
  std::vector<TomlString> kept;
  for (TomlString name : reader.strings(table, "keep", scope).value_or(std::vector<TomlString>{})) {
    fs::path path = fs::path(name.value).lexically_normal();
    std::string normal = path.string();
    while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
    const std::string fix = ": name a directory under $XBUILD_WORK, such as \"build\"";
    if (trim(name.value).empty()) {
      reader.report(name.at, "\"keep\" " + in_scope(scope) + " must not hold an empty path" + fix);
    } else if (path.is_absolute()) {
      reader.report(name.at, "\"keep\" " + in_scope(scope) +
                                 " must be relative to $XBUILD_WORK, not an absolute path: " + in_quotes(name.value) +
                                 fix);
    } else if (normal == "." || std::find(path.begin(), path.end(), fs::path("..")) != path.end()) {
      reader.report(name.at, "\"keep\" " + in_scope(scope) + " must name a directory inside $XBUILD_WORK: " +
                                 in_quotes(name.value) + " is not inside it" + fix);
    } else {
      name.value = normal;
      kept.push_back(std::move(name));
    }
  }
  return kept;
}

// `reports`: globs naming the test reports the stage's framework writes, each under one of the
// two directories a stage writes and xbuild can read after it: "$XBUILD_OUT/..." or
// "$XBUILD_WORK/...", the rest a relative glob that stays inside it.
std::vector<std::string> read_reports(TomlReader& reader, const TomlTable& table, const std::string& scope) {
  std::vector<std::string> reports;
  const std::string fix =
      ": write a glob under $XBUILD_OUT or $XBUILD_WORK, such as "
      "\"$XBUILD_WORK/build/meson-logs/testlog.junit.xml\"";
  for (const TomlString& glob : reader.strings(table, "reports", scope).value_or(std::vector<TomlString>{})) {
    std::string root;
    for (std::string prefix : {"$XBUILD_OUT/", "$XBUILD_WORK/"})
      if (starts_with(glob.value, prefix)) root = prefix.substr(0, prefix.size() - 1);
    fs::path rest(root.empty() ? glob.value : glob.value.substr(root.size() + 1));
    if (trim(glob.value).empty()) {
      reader.report(glob.at, "\"reports\" " + in_scope(scope) + " must not hold an empty glob" + fix);
    } else if (root.empty()) {
      reader.report(glob.at, "\"reports\" " + in_scope(scope) + " must name files under $XBUILD_OUT or " +
                                 "$XBUILD_WORK, the directories a stage writes: " + in_quotes(glob.value) +
                                 " starts with neither" + fix);
    } else if (rest.empty() || rest.lexically_normal() == ".") {
      reader.report(glob.at, "\"reports\" " + in_scope(scope) + " must name files inside " + root + ": " +
                                 in_quotes(glob.value) + " names the directory itself" + fix);
    } else if (rest.is_absolute()) {
      reader.report(glob.at, "\"reports\" " + in_scope(scope) + " must name files inside " + root + ": " +
                                 in_quotes(glob.value) + " goes on with an absolute path" + fix);
    } else if (std::find(rest.begin(), rest.end(), fs::path("..")) != rest.end()) {
      reader.report(glob.at, "\"reports\" " + in_scope(scope) + " must stay inside " + root + ": " +
                                 in_quotes(glob.value) + " leaves it through \"..\"");
    } else {
      reports.push_back(glob.value);
    }
  }
  return reports;
}

// One directory is kept by one stage: the stage whose configuration says when it is wiped.
void check_kept_once(TomlReader& reader, const StageSpec& stage, const std::vector<TomlString>& kept,
                     std::map<std::string, std::string>& keeper) {
  auto inside = [](const std::string& path, const std::string& dir) {
    return path == dir || starts_with(path, dir + "/");
  };
  for (const TomlString& name : kept) {
    for (const auto& [other, owner] : keeper) {
      if (!inside(name.value, other) && !inside(other, name.value)) continue;
      reader.report(name.at, "\"keep\" in [stage." + header_key(stage.name) + "]: " + in_quotes(name.value) +
                                 (name.value == other ? " is" : " overlaps " + in_quotes(other) + ", which is") +
                                 " kept by [stage." + header_key(owner) +
                                 "] already; a directory is kept by one stage (the others read it at "
                                 "$XBUILD_WORK/" +
                                 other + ")");
      break;
    }
    keeper.emplace(name.value, stage.name);
  }
}

StageSpec read_stage(TomlReader& reader, const TomlEntry& entry, const TomlTable& table, NeedsByStage& needs,
                     std::map<std::string, std::string>& keeper) {
  const std::string scope = "[stage." + header_key(entry.key) + "]";
  StageSpec stage;
  stage.name = entry.key;
  stage.location = reader.location(entry.key_position);
  reader.check_keys(table, key_names(kStageSection), scope);
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
  std::vector<TomlString> kept = read_keep(reader, table, scope);
  check_kept_once(reader, stage, kept, keeper);
  stage.keep = values_of(kept);
  stage.reports = read_reports(reader, table, scope);
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
  std::map<std::string, std::string> keeper;  // kept directory -> the stage keeping it
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
    stages.push_back(read_stage(reader, *entry, *body, needs, keeper));
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
