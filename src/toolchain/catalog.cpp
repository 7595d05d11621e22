// The toolchain catalog: every toolchains/*.toml read once, in name order.
//
// Each file is parsed with toml++ and then checked against a fixed schema: the top level holds
// platform, triple, sysroot, pkg_config_libdir, runner and qemu_arch, and the tables [tools],
// [meson], [cmake] and [packages] hold their own fixed keys; the optional [runner_env] (any
// variable names) and [runner_setup] (command, creates) describe what the runner needs. A key the schema does not know,
// a missing key, or a value of the wrong type becomes a Diagnostic (file:line:col, the line and a caret, rendered like
// xbuild.toml's), and reading carries on, so one load reports every problem in every file. Two files claiming the same
// platform is an error too, reported at the second.

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <system_error>
#include <utility>

#include "config/config.h"
#include "config/toml_support.h"
#include "toolchain/toolchain.h"
#include "util/fs.h"
#include "util/strings.h"

#ifndef XBUILD_INSTALL_DATA_DIR
#define XBUILD_INSTALL_DATA_DIR ""
#endif
#ifndef XBUILD_SOURCE_DATA_DIR
#define XBUILD_SOURCE_DATA_DIR ""
#endif

namespace xb {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kTopLevelKeys = {"platform", "triple",    "sysroot",    "pkg_config_libdir",
                                                "runner",   "qemu_arch", "tools",      "meson",
                                                "cmake",    "packages",  "runner_env", "runner_setup"};
const std::vector<std::string> kToolKeys = {"CC", "CXX", "AR", "RANLIB", "STRIP", "LD", "OBJCOPY", "NM"};
const std::vector<std::string> kMesonKeys = {"system", "cpu_family", "cpu", "endian"};
const std::vector<std::string> kCmakeKeys = {"system_name", "system_processor"};
const std::vector<std::string> kPackageKeys = {"compiler", "cxx", "runner"};
const std::vector<std::string> kRunnerSetupKeys = {"command", "creates"};

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string in_quotes_list(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " and " : ", ";
    out += in_quotes(words[i]);
  }
  return out;
}

// `scope` is a table header as written ("[tools]"); empty is the top level.
std::string in(const std::string& scope) { return scope.empty() ? "at the top level" : "in " + scope; }

// Reads one toolchain file into a Toolchain, collecting diagnostics instead of stopping.
class ToolchainFileReader {
 public:
  ToolchainFileReader(std::string_view text, const fs::path& file, std::vector<Diagnostic>& diagnostics)
      : file_name_(file.string()), lines_(split_source_lines(text)), diagnostics_(diagnostics) {}

  void syntax_error(const toml::parse_error& error) {
    std::string description(error.description());
    const std::string_view prefix = "Error while ";
    std::string message = starts_with(description, prefix)
                              ? "TOML syntax error while " + description.substr(prefix.size())
                              : "TOML syntax error: " + description;
    report(error.source().begin, std::move(message));
  }

  // The toolchain, or nullopt when anything in the file was wrong (and reported).
  std::optional<Toolchain> read(const toml::table& root) {
    std::size_t errors_before = diagnostics_.size();
    Toolchain toolchain;
    check_keys(root, kTopLevelKeys, "");

    if (std::optional<std::string> text = required_string(root, "platform", "", false)) {
      Result<Platform> platform = parse_platform(*text);
      if (platform.ok()) {
        toolchain.platform = platform.value();
        platform_at_ = root.get("platform")->source().begin;
      } else {
        report(*root.get("platform"), platform.error());
      }
    }
    toolchain.triple = required_string(root, "triple", "", false).value_or("");
    toolchain.sysroot = required_string(root, "sysroot", "", true).value_or("");
    toolchain.pkg_config_libdir = required_string(root, "pkg_config_libdir", "", true).value_or("");
    toolchain.runner = required_strings(root, "runner", "").value_or(std::vector<std::string>{});
    toolchain.qemu_arch = required_string(root, "qemu_arch", "", false).value_or("");

    if (const toml::table* tools = required_table(root, "tools")) {
      check_keys(*tools, kToolKeys, "[tools]");
      for (const std::string& key : kToolKeys) {
        if (std::optional<std::string> program = required_string(*tools, key, "[tools]", false))
          toolchain.tools[key] = *program;
      }
    }
    if (const toml::table* meson = required_table(root, "meson")) {
      check_keys(*meson, kMesonKeys, "[meson]");
      toolchain.meson.system = required_string(*meson, "system", "[meson]", false).value_or("");
      toolchain.meson.cpu_family = required_string(*meson, "cpu_family", "[meson]", false).value_or("");
      toolchain.meson.cpu = required_string(*meson, "cpu", "[meson]", false).value_or("");
      std::optional<std::string> endian = required_string(*meson, "endian", "[meson]", false);
      if (endian && *endian != "little" && *endian != "big")
        report(*meson->get("endian"), "\"endian\" in [meson] must be \"little\" or \"big\", got " + in_quotes(*endian));
      toolchain.meson.endian = endian.value_or("");
    }
    if (const toml::table* cmake = required_table(root, "cmake")) {
      check_keys(*cmake, kCmakeKeys, "[cmake]");
      toolchain.cmake.system_name = required_string(*cmake, "system_name", "[cmake]", false).value_or("");
      toolchain.cmake.system_processor = required_string(*cmake, "system_processor", "[cmake]", false).value_or("");
    }
    if (const toml::node* node = root.get("runner_env")) {
      if (const toml::table* env = node->as_table()) {
        for (auto&& [key, value] : *env) {
          if (const toml::value<std::string>* text = value.as_string())
            toolchain.runner_env[std::string(key.str())] = text->get();
          else
            wrong_type(value, key.str(), "[runner_env]", "a string");
        }
      } else {
        wrong_type(*node, "runner_env", "", "a table");
      }
    }
    if (const toml::node* node = root.get("runner_setup")) {
      if (const toml::table* setup = node->as_table()) {
        check_keys(*setup, kRunnerSetupKeys, "[runner_setup]");
        toolchain.runner_setup.command =
            required_strings(*setup, "command", "[runner_setup]").value_or(std::vector<std::string>{});
        toolchain.runner_setup.creates = required_string(*setup, "creates", "[runner_setup]", false).value_or("");
        if (toolchain.runner_setup.command.empty() && setup->get("command"))
          report(*setup->get("command"), "\"command\" in [runner_setup] must name a program");
      } else {
        wrong_type(*node, "runner_setup", "", "a table");
      }
    }
    if (const toml::table* packages = required_table(root, "packages")) {
      check_keys(*packages, kPackageKeys, "[packages]");
      for (const std::string& key : kPackageKeys) {
        if (std::optional<std::vector<std::string>> names = required_strings(*packages, key, "[packages]"))
          toolchain.packages[key] = *names;
      }
    }
    if (diagnostics_.size() != errors_before) return std::nullopt;
    return toolchain;
  }

  // Where the platform was written, to point at when another file already claims it.
  void report_duplicate(const fs::path& first_file, const Platform& platform) {
    report(platform_at_, "platform " + platform.str() + " is already provided by " + first_file.string());
  }

 private:
  void report(const toml::source_position& at, std::string message) {
    diagnostics_.push_back(diagnostic_at(file_name_, lines_, at, std::move(message)));
  }

  void report(const toml::node& node, std::string message) { report(node.source().begin, std::move(message)); }

  // A missing key is reported at its table's header, or at the file's start for the top level.
  void report_missing(const toml::table& table, std::string_view key, const std::string& scope) {
    toml::source_position at = scope.empty() ? toml::source_position{1, 1} : table.source().begin;
    report(at, "missing required key " + in_quotes(key) + " " + in(scope));
  }

  void check_keys(const toml::table& table, const std::vector<std::string>& allowed, const std::string& scope) {
    for (auto&& [key, value] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      std::string hint = closest_match(key.str(), allowed);
      std::string message = "unknown key " + in_quotes(key.str()) + " " + in(scope);
      message +=
          hint.empty() ? "; valid keys are " + in_quotes_list(allowed) : "; did you mean " + in_quotes(hint) + "?";
      report(key.source().begin, std::move(message));
    }
  }

  void wrong_type(const toml::node& node, std::string_view key, const std::string& scope, std::string_view expected) {
    report(node, in_quotes(key) + " " + in(scope) + ": expected " + std::string(expected) + ", found " +
                     toml_type_name(node));
  }

  const toml::table* required_table(const toml::table& parent, std::string_view key) {
    const toml::node* node = parent.get(key);
    if (!node) {
      report(toml::source_position{1, 1}, "missing required table [" + std::string(key) + "]");
      return nullptr;
    }
    if (const toml::table* table = node->as_table()) return table;
    wrong_type(*node, key, "", "a table");
    return nullptr;
  }

  std::optional<std::string> required_string(const toml::table& table, std::string_view key, const std::string& scope,
                                             bool empty_allowed) {
    const toml::node* node = table.get(key);
    if (!node) {
      report_missing(table, key, scope);
      return std::nullopt;
    }
    const toml::value<std::string>* value = node->as_string();
    if (!value) {
      wrong_type(*node, key, scope, "a string");
      return std::nullopt;
    }
    if (!empty_allowed && trim(value->get()).empty()) {
      report(*node, in_quotes(key) + " " + in(scope) + " must not be empty");
      return std::nullopt;
    }
    return value->get();
  }

  // An array of strings; the array may be empty.
  std::optional<std::vector<std::string>> required_strings(const toml::table& table, std::string_view key,
                                                           const std::string& scope) {
    const toml::node* node = table.get(key);
    if (!node) {
      report_missing(table, key, scope);
      return std::nullopt;
    }
    const toml::array* array = node->as_array();
    if (!array) {
      wrong_type(*node, key, scope, "an array of strings");
      return std::nullopt;
    }
    std::vector<std::string> words;
    bool all_strings = true;
    for (const toml::node& element : *array) {
      if (const toml::value<std::string>* word = element.as_string()) {
        words.push_back(word->get());
      } else {
        report(element, "elements of " + in_quotes(key) + " " + in(scope) + " must be strings, found " +
                            toml_type_name(element));
        all_strings = false;
      }
    }
    if (!all_strings) return std::nullopt;
    return words;
  }

  std::string file_name_;
  std::vector<std::string> lines_;
  std::vector<Diagnostic>& diagnostics_;
  toml::source_position platform_at_{1, 1};
};

bool same_target(const Platform& a, const Platform& b) {
  return a.os == b.os && a.architecture == b.architecture && a.variant == b.variant;
}

bool has_toolchains(const fs::path& directory) {
  std::error_code error;
  return !directory.empty() && fs::is_directory(directory / "toolchains", error);
}

// Reads `file` and appends its toolchain to `toolchains`, or its problems to `diagnostics`.
void read_toolchain_file(const fs::path& file, std::vector<Toolchain>& toolchains,
                         std::vector<Diagnostic>& diagnostics) {
  Result<std::string> text = read_file(file);
  if (!text.ok()) {
    diagnostics.push_back(Diagnostic{SourceLocation{file.string(), 0, 0}, text.error(), ""});
    return;
  }
  ToolchainFileReader reader(text.value(), file, diagnostics);
  std::optional<Toolchain> toolchain;
  try {
    toolchain = reader.read(toml::parse(text.value(), file.string()));
  } catch (const toml::parse_error& syntax) {
    reader.syntax_error(syntax);
    return;
  }
  if (!toolchain) return;
  auto same = [&](const Toolchain& other) { return same_target(other.platform, toolchain->platform); };
  auto existing = std::find_if(toolchains.begin(), toolchains.end(), same);
  if (existing != toolchains.end()) {
    reader.report_duplicate(existing->source, toolchain->platform);
    return;
  }
  toolchain->id = file.stem().string();
  toolchain->source = file;
  toolchains.push_back(std::move(*toolchain));
}

}  // namespace

Result<ToolchainCatalog> ToolchainCatalog::load(const fs::path& directory) {
  std::error_code error;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    if (it->path().extension() == ".toml" && it->is_regular_file()) files.push_back(it->path());
  }
  if (error) return fail("cannot read toolchain directory " + directory.string() + ": " + error.message());
  if (files.empty()) return fail("no toolchain files (*.toml) in " + directory.string());
  std::sort(files.begin(), files.end());

  ToolchainCatalog catalog;
  std::vector<Diagnostic> diagnostics;
  for (const fs::path& file : files) {
    std::size_t first_of_file = diagnostics.size();
    read_toolchain_file(file, catalog.toolchains_, diagnostics);
    // Each file's diagnostics read top to bottom.
    std::stable_sort(diagnostics.begin() + static_cast<std::ptrdiff_t>(first_of_file), diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                       const SourceLocation& x = a.location;
                       const SourceLocation& y = b.location;
                       return x.line != y.line ? x.line < y.line : x.column < y.column;
                     });
  }
  if (!diagnostics.empty()) {
    std::string message;
    for (const Diagnostic& diagnostic : diagnostics) message += diagnostic.render();
    message.pop_back();  // the last line's "\n": whoever prints the message ends the line
    return fail(std::move(message));
  }
  return catalog;
}

// A toolchain targets every OS build of its platform, so os_version takes no part.
const Toolchain* ToolchainCatalog::find(const Platform& platform) const {
  Platform wanted = normalize(platform);
  for (const Toolchain& toolchain : toolchains_) {
    if (same_target(toolchain.platform, wanted)) return &toolchain;
  }
  return nullptr;
}

fs::path data_directory() {
  const char* configured = std::getenv("XBUILD_DATA_DIR");
  if (configured && *configured) return fs::path(configured);
  fs::path installed = XBUILD_INSTALL_DATA_DIR;
  if (has_toolchains(installed)) return installed;
  return fs::path(XBUILD_SOURCE_DATA_DIR);
}

}  // namespace xb
