// A ToolFinder that answers from tables instead of the machine: programs on a pretend PATH,
// files that exist, and the version each compiler reports. Every question is recorded, so a test
// can check what discovery asked. Questions may come from several threads at once (compilers are
// asked side by side), as they do to the real one.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "toolchain/toolchain.h"

namespace xb::testing {

class FakeToolFinder : public ToolFinder {
 public:
  FakeToolFinder() = default;
  FakeToolFinder(const FakeToolFinder& other) { *this = other; }
  FakeToolFinder& operator=(const FakeToolFinder& other) {  // the tables, not the lock
    asked = other.asked;
    programs_ = other.programs_;
    files_ = other.files_;
    versions_ = other.versions_;
    return *this;
  }

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
    record("find_program " + name);
    auto found = programs_.find(name);
    if (found == programs_.end()) return std::nullopt;
    return found->second;
  }
  bool exists(const std::filesystem::path& path) override {
    record("exists " + path.string());
    return files_.count(path) > 0;
  }
  std::string compiler_version(const std::filesystem::path& compiler) override {
    record("compiler_version " + compiler.string());
    auto found = versions_.find(compiler);
    return found == versions_.end() ? std::string() : found->second;
  }

  std::vector<std::string> asked;  // "find_program gcc", "exists /usr/include/stdio.h", ...

 private:
  void record(std::string question) {
    std::lock_guard lock(mutex_);
    asked.push_back(std::move(question));
  }

  std::mutex mutex_;
  std::map<std::string, std::filesystem::path> programs_;
  std::set<std::filesystem::path> files_;
  std::map<std::filesystem::path, std::string> versions_;
};

}  // namespace xb::testing
