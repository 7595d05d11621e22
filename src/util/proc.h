// What /proc says of processes: when one started (to tell it from a later process given the
// same pid), its process group, and whether its environment holds a variable. Used to decide
// what a run killed by SIGKILL left behind: its temporaries (util/fs.h) and its stages' processes
// (exec/containment.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xb {

// A process as a later one can recognize it: pid, start time (clock ticks after boot, field 22
// of /proc/<pid>/stat) and pid namespace (its inode): a pid alone may be reused, and means
// nothing in another pid namespace.
struct ProcessIdentity {
  pid_t pid = 0;
  std::uint64_t start = 0;
  std::uint64_t pid_namespace = 0;
  // "<pid>.<start>.<namespace>"
  std::string str() const;
  static std::optional<ProcessIdentity> parse(std::string_view text);
};

// This process's identity (read once).
const ProcessIdentity& self_identity();

enum class Liveness { alive, gone, unknown };  // unknown: another pid namespace

// Whether the process `identity` names still runs (a zombie has ended).
Liveness liveness(const ProcessIdentity& identity);

struct ProcessStat {
  pid_t pid = 0;
  pid_t pgid = 0;
  char state = '?';  // 'Z' zombie, 'X' dead, ...
  std::uint64_t start = 0;
};

// /proc/<pid>/stat, or nothing when the process is gone.
std::optional<ProcessStat> process_stat(pid_t pid);

// Every process /proc lists (other than this one).
std::vector<pid_t> all_processes();

// Whether the environment of `pid` holds the word `variable` ("NAME=value"), as it was when
// the process started. False when it cannot be read (gone, not ours).
bool environment_has(pid_t pid, std::string_view variable);

}  // namespace xb
