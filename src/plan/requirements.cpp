// What a target's stages need of this machine that discovery of the toolchain does not cover.
// The C++ compiler, when the project compiles C++: a top-level CMakeLists.txt whose project()
// names no LANGUAGES (CMake then enables C and CXX) or names CXX, a meson.build whose project()
// names 'cpp', a configure.ac that calls AC_PROG_CXX, or a C++ source among the project's top
// two levels. The build tools a stage's command names as a command word (cmake, ctest, meson,
// ninja, make, pkg-config, autoreconf, python3). Each missing one is a problem naming the Debian
// package to install, so `xbuild plan` says it before a run fails inside CMake.
#include <algorithm>
#include <cctype>
#include <regex>

#include "plan/planner.h"
#include "toolchain/ccache.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

struct KnownTool {
  const char* program;
  const char* package;
};

constexpr KnownTool kBuildTools[] = {{"cmake", "cmake"},         {"ctest", "cmake"},    {"meson", "meson"},
                                     {"ninja", "ninja-build"},   {"make", "make"},      {"pkg-config", "pkgconf"},
                                     {"autoreconf", "autoconf"}, {"python3", "python3"}};

bool names_command(const std::string& command, const std::string& program) {
  // The word at the start of the command or after a separator, not part of another word.
  const std::regex word("(^|[\\s;&|(`])" + program + "([\\s;&|)`]|$)");
  return std::regex_search(command, word);
}

bool file_mentions(const fs::path& file, const std::regex& pattern) {
  Result<std::string> text = read_file(file);
  return text && std::regex_search(text.value(), pattern);
}

bool compiles_cxx(const fs::path& project) {
  std::error_code ec;
  if (fs::is_regular_file(project / "CMakeLists.txt", ec)) {
    Result<std::string> text = read_file(project / "CMakeLists.txt");
    std::smatch call;
    const std::regex project_call("\\bproject\\s*\\(([^)]*)\\)", std::regex::icase);
    if (text && std::regex_search(text.value(), call, project_call)) {
      std::string arguments = call[1].str();
      bool names_languages = std::regex_search(arguments, std::regex("\\b(LANGUAGES|C|CXX|ASM|Fortran)\\b"));
      if (!names_languages || std::regex_search(arguments, std::regex("\\bCXX\\b"))) return true;
    }
  }
  if (file_mentions(project / "meson.build", std::regex("project\\s*\\([^)]*'(cpp|c\\+\\+)'"))) return true;
  if (file_mentions(project / "configure.ac", std::regex("AC_PROG_CXX"))) return true;
  for (fs::recursive_directory_iterator it(project, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (it.depth() >= 1) it.disable_recursion_pending();
    const std::string extension = it->path().extension().string();
    if (extension == ".cpp" || extension == ".cc" || extension == ".cxx" || extension == ".C") return true;
  }
  return false;
}

void require(ToolFinder& finder, const std::string& program, const std::vector<std::string>& packages,
             TargetPlan& target) {
  if (finder.find_program(program)) return;
  std::string missing = program + (packages.empty() ? "" : " (install " + join(packages, " ") + ")");
  std::string problem = "missing " + missing;
  if (std::find(target.problems.begin(), target.problems.end(), problem) != target.problems.end()) return;
  target.problems.push_back(problem);
  for (const std::string& package : packages)
    if (std::find(target.status.missing_packages.begin(), target.status.missing_packages.end(), package) ==
        target.status.missing_packages.end())
      target.status.missing_packages.push_back(package);
}

}  // namespace

void check_requirements(PlanContext& context, const Toolchain& toolchain, TargetPlan& target) {
  if (!context.compiles_cxx) context.compiles_cxx = compiles_cxx(context.config.directory);
  auto cxx = toolchain.tools.find("CXX");
  if (*context.compiles_cxx && cxx != toolchain.tools.end()) {
    auto packages = toolchain.packages.find("cxx");
    require(context.finder, cxx->second,
            packages == toolchain.packages.end() ? std::vector<std::string>{} : packages->second, target);
  }
  for (const StageSpec& stage : context.config.stages)
    for (const KnownTool& tool : kBuildTools)
      if (names_command(stage.run, tool.program)) require(context.finder, tool.program, {tool.package}, target);
}

void plan_ccache(PlanContext& context, TargetPlan& target, bool host_tool) {
  if (context.options.ccache_root.empty() || !ccache_enabled(context.config, target.platform)) return;
  if (host_tool) require(context.finder, kCcacheProgram, {"ccache"}, target);
  target.ccache = CcachePlan{ccache_dir(context.options.ccache_root, target.platform), context.config.ccache.remote};
}

std::filesystem::path stage_binary(const PlanOptions& options) {
  return options.stage_binary.empty() ? std::filesystem::path("xbuild") : options.stage_binary;
}

std::vector<std::string> compiler_launcher(const TargetPlan& target) {
  return target.ccache ? std::vector<std::string>{kCcacheProgram} : std::vector<std::string>{};
}

}  // namespace xb
