// Reading xbuild.toml into a validated Config.
//
// The file is parsed into a tree of values that remember where they were written
// (toml_document.h), then read section by section (sections.h, one file each) through a
// TomlReader: each table is checked against the keys it allows (an unknown key gets a "did you
// mean") and each value against the type it must have. Every problem becomes a Diagnostic with
// file:line:col and reading carries on with the next key, so one run reports everything; only a
// TOML syntax error stops the parse, because toml++ stops there. The checks that need the whole
// file come last: needs naming unknown stages and dependency cycles, found here by a depth-first
// search over the needs graph that reports the path from the stage it re-entered back to itself.
// Diagnostics are sorted by position so they read top to bottom.
//
// The command line's --set KEY=VALUE are put into the parsed document before any section is read
// (a value replaced, the tables on the way made), so a setting is checked by the same readers as
// the file; its values carry the setting's number in their positions, and a problem there is
// reported as the setting's. Only adding a stage one key at a time is refused up front: that is a
// mistyped stage name far more often than a new stage, which needs its `run`.
#include "config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>
#include <utility>

#include "config/keys.h"
#include "config/sections.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

const char* strategy_name(Strategy strategy) {
  static constexpr const char* kNames[] = {"auto", "native", "cross", "emulate"};  // in Strategy's order
  return kNames[static_cast<std::size_t>(strategy)];
}

std::vector<std::string> stage_names(const std::vector<StageSpec>& stages) {
  std::vector<std::string> names;
  names.reserve(stages.size());
  for (const StageSpec& stage : stages) names.push_back(stage.name);
  return names;
}

namespace {

enum class Mark { unvisited, on_path, finished };

// Depth-first search; an edge back to a stage still on the path closes a cycle.
void find_cycles(TomlReader& reader, const std::vector<StageSpec>& stages, const NeedsByStage& needs,
                 std::size_t current, std::vector<Mark>& marks, std::vector<std::size_t>& path) {
  marks[current] = Mark::on_path;
  path.push_back(current);
  for (const TomlString& need : needs.at(stages[current].name)) {
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
      reader.report(need.at, "stage dependency cycle: " + join(cycle, " -> "));
    } else if (marks[index] == Mark::unvisited) {
      find_cycles(reader, stages, needs, index, marks, path);
    }
  }
  path.pop_back();
  marks[current] = Mark::finished;
}

// "stage.test.timeout", "platform.\"linux/arm64\".env": a path as a dotted key.
std::string dotted_key(const std::vector<std::string>& path, std::size_t depth) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < depth && i < path.size(); ++i) parts.push_back(header_key(path[i]));
  return join(parts, ".");
}

// A setting of a key in a stage that the file does not define.
bool names_a_missing_stage(const TomlTable& root, const std::vector<std::string>& path) {
  if (path.size() < 3 || path[0] != "stage") return false;
  const TomlValue* stages = root.get("stage");
  const TomlTable* table = stages ? stages->as_table() : nullptr;
  return table && !table->get(path[1]);
}

void apply_setting(TomlReader& reader, TomlTable& root, const std::string& text, int number) {
  const TomlPosition at{1, 1, number};
  std::variant<TomlSetting, std::string> parsed = parse_toml_setting(text, number);
  if (const std::string* problem = std::get_if<std::string>(&parsed)) return reader.report(at, *problem);
  TomlSetting& setting = std::get<TomlSetting>(parsed);
  if (names_a_missing_stage(root, setting.path)) {
    std::vector<std::string> names;
    for (const TomlEntry& entry : root.get("stage")->as_table()->entries()) names.push_back(entry.key);
    return reader.report(
        at, "unknown stage " + in_quotes(setting.path[1]) + did_you_mean(setting.path[1], names, "the stages are "));
  }
  TomlSetStop stop = set_toml_value(root, setting.path, std::move(setting.value), at);
  if (stop.blocker)
    reader.report(at, "cannot set " + dotted_key(setting.path, setting.path.size()) + ": " +
                          dotted_key(setting.path, stop.depth) + " is " + stop.blocker->type_name() + ", not a table" +
                          (stop.blocker->as_array()
                               ? "; set the whole array: --set '" + dotted_key(setting.path, stop.depth) + "=[...]'"
                               : ""));
}

// What the file is when it is not a regular file, for "cannot read X: it is ...".
std::string file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (a named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// The file's text, when it is a regular file of at most kMaxConfigBytes. It is opened without
// blocking (a FIFO with no writer would wait forever) and judged by fstat before a byte is read,
// so that a path to /dev/zero or a pipe costs nothing; the read stops at the bound too, should
// the file grow meanwhile.
Result<std::string> read_config_file(const fs::path& file) {
  const std::string cannot = "cannot read " + file.string() + ": ";
  const std::string bound = "; a config is a regular file of at most " + std::to_string(kMaxConfigBytes >> 20) + " MiB";
  int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fail(cannot + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    int error = errno;
    ::close(fd);
    return fail(cannot + std::strerror(error));
  }
  if (S_ISDIR(info.st_mode)) {
    ::close(fd);
    return fail(cannot + "it is a directory; name the config file in it, such as -f " +
                (file / "xbuild.toml").string());
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return fail(cannot + "it is " + file_kind(info.st_mode) + bound);
  }
  if (static_cast<std::uintmax_t>(info.st_size) > kMaxConfigBytes) {
    ::close(fd);
    return fail(cannot + "it is " + std::to_string(info.st_size) + " bytes" + bound);
  }
  std::string text(static_cast<std::size_t>(info.st_size) + 1, '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) {
      if (text.size() > kMaxConfigBytes) break;
      text.resize(std::min<std::size_t>(text.size() * 2, kMaxConfigBytes + 1));
    }
    ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return fail(cannot + std::strerror(error));
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (used > kMaxConfigBytes)
    return fail(cannot + "it grew past " + std::to_string(kMaxConfigBytes) + " bytes" + bound);
  text.resize(used);
  return text;
}

}  // namespace

// Every need names another existing stage, once; then the graph must be acyclic.
void check_needs(TomlReader& reader, const std::vector<StageSpec>& stages, const NeedsByStage& needs) {
  const std::vector<std::string> names = stage_names(stages);
  for (const StageSpec& stage : stages) {
    const std::string scope = "[stage." + header_key(stage.name) + "]";
    std::set<std::string> listed;
    for (const TomlString& need : needs.at(stage.name)) {
      if (need.value == stage.name) {
        reader.report(need.at, "stage " + in_quotes(stage.name) + " needs itself; remove " + in_quotes(need.value) +
                                   " from its needs");
      } else if (std::find(names.begin(), names.end(), need.value) == names.end()) {
        reader.report(need.at, "unknown stage " + in_quotes(need.value) + " in needs of " + scope +
                                   did_you_mean(need.value, names, "stages are "));
      } else if (!listed.insert(need.value).second) {
        reader.report(need.at, in_quotes(need.value) + " is listed twice in needs of " + scope);
      }
    }
  }
  std::vector<Mark> marks(stages.size(), Mark::unvisited);
  std::vector<std::size_t> path;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    if (marks[i] == Mark::unvisited) find_cycles(reader, stages, needs, i, marks, path);
  }
}

ConfigResult parse_config(std::string_view text, const fs::path& file, const std::vector<std::string>& settings) {
  TomlReader reader(text, file.string());
  reader.name_settings(settings);
  Config config;
  std::error_code error;
  fs::path absolute = fs::absolute(file, error);
  config.file = (error ? file : absolute).lexically_normal();
  config.directory = config.file.parent_path();
  if (std::optional<TomlTable> root = reader.parse()) {
    for (std::size_t i = 0; i < settings.size(); ++i)
      apply_setting(reader, *root, settings[i], static_cast<int>(i) + 1);
    NeedsByStage needs;
    reader.check_keys(*root, key_names(kTopLevelSection), "");
    read_project(reader, *root, config.project);
    read_targets(reader, *root, config);
    read_stages(reader, *root, config.stages, needs);
    read_image(reader, *root, config);
    read_overrides(reader, *root, config);
    read_builders(reader, *root, config);
    read_firmware(reader, *root, config);
    read_cache(reader, *root, config);
    check_needs(reader, config.stages, needs);
  }
  std::vector<Diagnostic> diagnostics = reader.take_diagnostics();
  if (!diagnostics.empty()) return ConfigErrors{std::move(diagnostics)};
  return config;
}

ConfigResult load_config(const fs::path& file, const std::vector<std::string>& settings) {
  Result<std::string> text = read_config_file(file);
  if (!text) {
    Diagnostic diagnostic;
    diagnostic.location.file = file.string();
    diagnostic.message = text.error();
    return ConfigErrors{{std::move(diagnostic)}};
  }
  return parse_config(text.value(), file, settings);
}

}  // namespace xb
