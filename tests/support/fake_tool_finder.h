// A ToolFinder that answers from tables instead of the machine: programs on a pretend PATH,
// files that exist, and the version each compiler reports. Every question is recorded, so a test
// can check what discovery asked.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "toolchain/toolchain.h"

namespace xb::testing {

class FakeToolFinder : public ToolFinder {
 public:
  // Puts `name` on the pretend PATH at /usr/bin/<name>, answering `version` when asked.
  FakeToolFinder& add_program(const std::string& name, const std::string& version = "") {
    std::filesystem::path path = std::filesystem::path("/usr/bin") / name;
    programs_[name] = path;
    if (!version.empty()) versions_[path] = version;
    return *this;
  }
  FakeToolFinder& add_file(const std::filesystem::path& path) {
    files_.insert(path);
    return *this;
  }

  std::optional<std::filesystem::path> find_program(const std::string& name) override {
    asked.push_back("find_program " + name);
    auto found = programs_.find(name);
    if (found == programs_.end()) return std::nullopt;
    return found->second;
  }
  bool exists(const std::filesystem::path& path) override {
    asked.push_back("exists " + path.string());
    return files_.count(path) > 0;
  }
  std::string compiler_version(const std::filesystem::path& compiler) override {
    asked.push_back("compiler_version " + compiler.string());
    auto found = versions_.find(compiler);
    return found == versions_.end() ? std::string() : found->second;
  }

  std::vector<std::string> asked;  // "find_program gcc", "exists /usr/include/stdio.h", ...

 private:
  std::map<std::string, std::filesystem::path> programs_;
  std::set<std::filesystem::path> files_;
  std::map<std::filesystem::path, std::string> versions_;
};

}  // namespace xb::testing
