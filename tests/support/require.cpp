#include "support/require.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace xb::testing {

namespace {

// A regular file the user may execute (as execvp would run it).
bool executable(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view directories = path ? path : "";
  while (true) {
    std::size_t colon = directories.find(':');
    std::string_view directory = directories.substr(0, colon);
    if (executable((directory.empty() ? std::string(".") : std::string(directory)) + "/" + name)) return true;
    if (colon == std::string_view::npos) return false;
    directories.remove_prefix(colon + 1);
  }
}

}  // namespace

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string_view(ci) == "true";
}

std::string missing_tools(const std::vector<std::string>& tools) {
  std::string missing;
  for (const std::string& tool : tools) {
    bool found = tool.find('/') != std::string::npos ? executable(tool) : on_path(tool);
    if (!found) missing += (missing.empty() ? "" : ", ") + tool;
  }
  return missing;
}

bool is_root() { return ::geteuid() == 0; }

}  // namespace xb::testing
