#include "util/proc.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>

namespace xb {

namespace {

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::uint64_t pid_namespace_of(const std::string& proc_dir) {
  struct stat info {};
  if (::stat((proc_dir + "/ns/pid").c_str(), &info) != 0) return 0;
  return info.st_ino;
}

}  // namespace

std::string ProcessIdentity::str() const {
  return std::to_string(pid) + "." + std::to_string(start) + "." + std::to_string(pid_namespace);
}

std::optional<ProcessIdentity> ProcessIdentity::parse(std::string_view text) {
  std::size_t first = text.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  std::size_t second = text.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto pid = number(text.substr(0, first));
  auto start = number(text.substr(first + 1, second - first - 1));
  auto pid_namespace = number(text.substr(second + 1));
  if (!pid || !start || !pid_namespace || *pid == 0) return std::nullopt;
  return ProcessIdentity{static_cast<pid_t>(*pid), *start, *pid_namespace};
}

const ProcessIdentity& self_identity() {
  static const ProcessIdentity identity = [] {
    ProcessIdentity self;
    self.pid = ::getpid();
    if (std::optional<ProcessStat> stat = process_stat(self.pid)) self.start = stat->start;
    self.pid_namespace = pid_namespace_of("/proc/self");
    return self;
  }();
  return identity;
}

std::optional<ProcessStat> process_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so fields are
  // counted after the last ')'.
  std::size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<std::string_view> fields;  // from field 3 (state) on
  std::string_view rest = std::string_view(text).substr(close + 1);
  std::size_t at = 0;
  while (at < rest.size()) {
    while (at < rest.size() && rest[at] == ' ') ++at;
    std::size_t end = rest.find(' ', at);
    if (end == std::string_view::npos) end = rest.size();
    if (end > at) fields.push_back(rest.substr(at, end - at));
    at = end;
  }
  if (fields.size() < 20) return std::nullopt;
  ProcessStat stat;
  stat.pid = pid;
  stat.state = fields[0].empty() ? '?' : fields[0][0];
  stat.pgid = static_cast<pid_t>(number(fields[2]).value_or(0));
  stat.start = number(fields[19]).value_or(0);  // field 22
  return stat;
}

Liveness liveness(const ProcessIdentity& identity) {
  if (identity.pid_namespace != self_identity().pid_namespace) return Liveness::unknown;
  std::optional<ProcessStat> stat = process_stat(identity.pid);
  if (!stat || stat->state == 'Z' || stat->state == 'X' || stat->start != identity.start) return Liveness::gone;
  return Liveness::alive;
}

std::vector<pid_t> all_processes() {
  std::vector<pid_t> pids;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return pids;
  const pid_t self = ::getpid();
  while (struct dirent* entry = ::readdir(dir)) {
    std::optional<std::uint64_t> pid = number(entry->d_name);
    if (pid && static_cast<pid_t>(*pid) != self) pids.push_back(static_cast<pid_t>(*pid));
  }
  ::closedir(dir);
  return pids;
}

bool environment_has(pid_t pid, std::string_view variable) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!in) return false;
  std::string word;
  while (std::getline(in, word, '\0'))
    if (word == variable) return true;
  return false;
}

}  // namespace xb
