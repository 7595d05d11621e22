// `xbuild init`: a commented xbuild.toml for a project, its stages written the way the
// project's own build system builds and tests (CMake, Meson, autotools, or make/cc), for the
// platforms this machine can build now (build/targets.h says which), so that `xbuild plan`
// accepts it as written.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "build/run.h"

namespace xb {

enum class ProjectTemplate { c, cmake, meson, autotools };

// "c", "cmake", "meson", "autotools", or nullopt.
std::optional<ProjectTemplate> parse_template(std::string_view name);
const char* template_name(ProjectTemplate kind);

// The build system of the project in `directory` and the file that says so: CMakeLists.txt,
// meson.build, configure or configure.ac, else c (a Makefile, or none: "").
struct DetectedTemplate {
  ProjectTemplate kind = ProjectTemplate::c;
  std::string evidence;  // "CMakeLists.txt", ...; "" when nothing was found
};
DetectedTemplate detect_template(const std::filesystem::path& directory);

// What the c template builds with: the project's Makefile (and its check target), else $CC on
// the directory's *.c files into one program.
struct CProject {
  bool makefile = false;
  bool make_check = false;
  std::string program = "app";
};

// The [stage.*] tables of a template (the ones survey_targets() plans with, too).
std::string template_stages(ProjectTemplate kind, const CProject& c = {});

// What goes into the file.
struct InitSpec {
  std::string project_name;
  ProjectTemplate kind = ProjectTemplate::c;
  std::string template_reason;         // "found CMakeLists.txt", "--template cmake", ...
  std::vector<std::string> platforms;  // [targets] platforms
  bool platforms_given = false;        // --platforms (else: the ones this machine builds now)
  std::vector<std::string> left_out;   // "linux/riscv64: missing ..." (platforms not buildable here)
  std::vector<std::string> firmware;   // [targets] firmware
  std::filesystem::path schema;        // <data dir>/docs/xbuild.schema.json
  CProject c;                          // the c template's Makefile, or program
};

// The commented xbuild.toml of `spec`. Pure: the same spec, the same text.
std::string render_init_config(const InitSpec& spec);

// A [project] name from a directory's name: lower case, runs of other characters than letters,
// digits, '.', '_' and '-' as one '-', starting with a letter or digit ("app" when nothing is left).
std::string project_name_from(const std::string& directory_name);

// Each name of --platforms (comma-separated, repeatable) checked against `known`, normalized
// ("linux/aarch64" is linux/arm64); an unknown one is an xb::Error (exit status 2) naming the
// closest and the known ones. `option` names the option in the message.
std::vector<std::string> checked_names(const std::vector<std::string>& lists, const std::vector<std::string>& known,
                                       const char* option, bool platforms);

struct InitOptions {
  std::filesystem::path directory = ".";
  std::vector<std::string> platforms;        // --platforms
  std::vector<std::string> firmware;         // --firmware
  std::optional<std::string> template_name;  // --template
  bool force = false;                        // --force: replace an existing xbuild.toml
};

// `xbuild init`: checks the options and the directory (exit status 2 before anything is
// written), plans the candidate platforms, writes DIR/xbuild.toml and says what was written and
// what to run next.
int init_project(const InitOptions& options, Services& services);

}  // namespace xb
