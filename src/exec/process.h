// The process layer: passive. It spawns children on a uv loop, streams their output line by
// line, reaps them and reports how they ended; deciding what runs next is the scheduler's job.
// Every child is the leader of its own process group (its own session), so terminate() ends
// the whole tree the child started.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace xb {

struct ProcessSpec {
  std::vector<std::string> argv;            // argv[0] is looked up on PATH
  std::map<std::string, std::string> env;   // set on top of the inherited environment
  std::filesystem::path working_directory;  // empty: the current one
  // The variables of this process's environment the child inherits; a name ending in '*' stands
  // for every name it starts ("LC_*"). Absent: all of them.
  std::optional<std::vector<std::string>> inherit;
};

struct ProcessExit {
  std::int64_t exit_status = 0;  // the child's exit code (0 when it died of a signal)
  int term_signal = 0;           // the signal that ended it, or 0
  bool success() const { return exit_status == 0 && term_signal == 0; }
};

using ProcessId = std::uint64_t;

struct ProcessCallbacks {
  // One complete line of stdout or stderr, without its newline. A last line without a newline
  // is delivered when the stream ends.
  std::function<void(std::string_view line)> on_line;
  // Called once, after the child has exited and both of its streams have been read to the end.
  std::function<void(const ProcessExit& exit)> on_exit;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual Result<ProcessId> start(const ProcessSpec& spec, ProcessCallbacks callbacks) = 0;
  // SIGTERM to the child's whole process group, then SIGKILL to the group after `grace` if
  // the child has not exited. Unknown or finished ids are ignored.
  virtual void terminate(ProcessId id, std::chrono::milliseconds grace) = 0;
  virtual std::size_t running() const = 0;
};

class StageContainment;

// The real runner, on a libuv loop that the caller owns and runs. With `containment`
// (exec/containment.h), every child is a stage of a run that must not outlive it.
std::unique_ptr<ProcessRunner> make_uv_process_runner(uv_loop_t* loop, StageContainment* containment = nullptr);

}  // namespace xb
