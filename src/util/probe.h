// Synchronous commands off the loop, with Boost.Process (which stays inside probe.cpp).
// run_sync() runs a command to its end: every output line to a callback, environment additions
// and a working directory, a timeout that ends the child's whole process group, and how the
// child ended. probe_output() is the short form for asking a tool something ("gcc
// -dumpfullversion", "git log -1"): its standard output, or a failure that names the command.
// Neither installs a SIGCHLD handler: libuv owns that signal in this process.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace xb {

struct CommandOptions {
  std::filesystem::path working_directory;  // empty: the current one
  std::map<std::string, std::string> env;   // set on top of the inherited environment
  std::chrono::milliseconds timeout{0};     // 0: none
  // At the timeout: SIGTERM to the process group, then SIGKILL this much later if the child
  // is still there (0: SIGKILL at once).
  std::chrono::milliseconds kill_grace{1000};
  // Ended as at the timeout when the child writes nothing to stdout or stderr for this long
  // (0: never); the exit then says idle_timed_out.
  std::chrono::milliseconds idle_timeout{0};
  // Each line of stdout and stderr as it comes, without its newline; a last line without one
  // is delivered when its stream ends. Unset: the output is read and dropped.
  std::function<void(std::string_view line)> on_line;
  // When set, stdout is kept here as it is, and only stderr's lines go to on_line.
  std::string* stdout_text = nullptr;
  // Ended as at the timeout once the run's catcher (util/interrupt.h) has caught SIGINT or
  // SIGTERM; the exit then says interrupted. For the long commands a run waits for off the loop.
  bool stop_on_interrupt = false;
};

struct CommandExit {
  std::int64_t exit_status = 0;  // the child's exit code (0 when it died of a signal)
  int term_signal = 0;           // the signal that ended it, or 0
  bool timed_out = false;        // the timeout ended it (exit_status and term_signal say how)
  bool idle_timed_out = false;   // the idle timeout ended it (timed_out is then false)
  bool interrupted = false;      // a caught SIGINT/SIGTERM ended it (stop_on_interrupt)
  bool success() const { return !timed_out && !idle_timed_out && !interrupted && exit_status == 0 && term_signal == 0; }
};

// The file `name` names on the search path `path_variable` ("dir:dir:..."): as it is when it
// holds a slash, else the first executable regular file; empty when there is none. Without
// `path_variable`, this process's PATH.
std::filesystem::path find_program(const std::string& name, const std::string& path_variable);
std::filesystem::path find_program(const std::string& name);

// Runs argv and returns when the child has exited and its output has ended (or, after it has
// exited, when the timeout is reached: a process that left its group may hold the output
// open). argv[0] is looked up on PATH (the one in `env` when it sets one); stdin is /dev/null.
// The child leads its own session and process group, like the process layer's children (it
// gets no terminal signals), and its group is killed when it exits, so nothing it started
// outlives it. Fails only when the command cannot start, in the process layer's words:
// `could not start "qemu-system-arm": no such file or directory`.
Result<CommandExit> run_sync(const std::vector<std::string>& argv, const CommandOptions& options);

struct ProbeOptions {
  std::filesystem::path working_directory;  // empty: the current one
  std::chrono::milliseconds timeout{5000};
};

// Runs argv (argv[0] searched on PATH) with stdin closed and stderr discarded, killed at once
// at the timeout. A failure to start, a timeout or a nonzero exit is a failure whose message
// names the command.
Result<std::string> probe_output(const std::vector<std::string>& argv, const ProbeOptions& options = {});

}  // namespace xb
