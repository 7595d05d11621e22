// A ProcessRunner that spawns nothing, for scheduling tests (ninja's FakeCommandRunner). Each
// start() is recorded under its command (the last argv word: the scheduler runs
// `/bin/sh -c <command>`), and the outcome scripted for that command is delivered on the loop
// through a zero-delay uv timer, so no callback ever runs inside start() and outcomes arrive in
// the order the processes started. Unscripted commands print nothing and exit 0; a script can
// also give the effect a process has (files it writes) before it ends.
#pragma once

#include <signal.h>
#include <uv.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "exec/process.h"

namespace xb::testing {

class FakeProcessRunner : public ProcessRunner {
 public:
  struct Script {
    std::vector<std::string> lines;      // delivered before the exit
    ProcessExit exit;                    // how it ends
    bool runs_until_terminated = false;  // ends only by terminate(), killed by SIGTERM
    std::string start_error;             // not empty: start() fails with this message
    // What the process does before it ends (writes its outputs, say), given its spec.
    std::function<void(const ProcessSpec& spec)> effect;
  };

  explicit FakeProcessRunner(uv_loop_t* loop) : loop_(loop) {}
  FakeProcessRunner(const FakeProcessRunner&) = delete;
  FakeProcessRunner& operator=(const FakeProcessRunner&) = delete;

  void script(const std::string& command, Script script) { scripts_[command] = std::move(script); }
  // The script of every command that has none of its own.
  void script_default(Script script) { default_ = std::move(script); }

  Result<ProcessId> start(const ProcessSpec& spec, ProcessCallbacks callbacks) override {
    std::string command = spec.argv.empty() ? "" : spec.argv.back();
    Script script = scripts_.count(command) ? scripts_.at(command) : default_;
    if (!script.start_error.empty()) return fail(script.start_error);
    started.push_back(command);
    specs.push_back(spec);
    if (log) log->push_back(command);

    auto* child = new Child;
    child->runner = this;
    child->id = next_id_++;
    child->command = command;
    child->callbacks = std::move(callbacks);
    child->script = std::move(script);
    child->spec = spec;
    child->timer.data = child;
    uv_timer_init(loop_, &child->timer);
    children_[child->id] = child;
    max_running = std::max(max_running, children_.size());
    if (!child->script.runs_until_terminated) end_soon(*child);
    return child->id;
  }

  void terminate(ProcessId id, std::chrono::milliseconds) override {
    auto found = children_.find(id);
    if (found == children_.end()) return;
    Child& child = *found->second;
    terminated.push_back(child.command);
    if (child.script.runs_until_terminated && !child.ending) {
      child.script.exit = ProcessExit{0, SIGTERM};
      end_soon(child);
    }
  }

  std::size_t running() const override { return children_.size(); }

  std::vector<std::string> started;     // commands, in the order they started
  std::vector<ProcessSpec> specs;       // parallel to `started`
  std::vector<std::string> terminated;  // commands terminate() was called for
  std::size_t max_running = 0;
  std::vector<std::string>* log = nullptr;  // when set, also gets every command started

 private:
  struct Child {
    uv_timer_t timer;
    FakeProcessRunner* runner = nullptr;
    ProcessId id = 0;
    std::string command;
    ProcessCallbacks callbacks;
    Script script;
    ProcessSpec spec;
    bool ending = false;
  };

  static void end_soon(Child& child) {
    child.ending = true;
    uv_timer_start(&child.timer, &FakeProcessRunner::on_timer, 0, 0);
  }

  static void on_timer(uv_timer_t* timer) {
    auto* child = static_cast<Child*>(timer->data);
    if (child->script.effect && !child->script.runs_until_terminated) child->script.effect(child->spec);
    for (const std::string& line : child->script.lines) {
      if (child->callbacks.on_line) child->callbacks.on_line(line);
    }
    child->runner->children_.erase(child->id);
    uv_close(reinterpret_cast<uv_handle_t*>(&child->timer),
             [](uv_handle_t* handle) { delete static_cast<Child*>(handle->data); });
    if (child->callbacks.on_exit) child->callbacks.on_exit(child->script.exit);
  }

  uv_loop_t* loop_;
  std::map<std::string, Script> scripts_;
  Script default_;
  std::map<ProcessId, Child*> children_;
  ProcessId next_id_ = 1;
};

}  // namespace xb::testing
