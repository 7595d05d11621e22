// How the uv process runner works.
//
// start() spawns the child with UV_PROCESS_DETACHED, so it calls setsid() and leads its own
// session and process group; every process it starts stays in that group unless it leaves on
// purpose. stdin is /dev/null, stdout and stderr are each a uv pipe. A Child owns four handles
// (the process, the two pipes and a kill timer) and lives on the heap until the last of them is
// closed. Bytes read from a pipe are split into lines; a partial line waits in the stream's
// buffer for its newline and is flushed when the stream ends.
//
// A child is finished when libuv has reaped it (the exit callback; libuv reaps, we install no
// SIGCHLD handler) AND both pipes have reached EOF, in any order: only then is on_exit called,
// once, so no output is lost. When the leader exits we SIGKILL the rest of its group: a job is
// over when its main process is, and a grandchild left holding the pipes would otherwise keep
// the job from ever ending. terminate() sends SIGTERM to the group and arms the kill timer,
// which sends SIGKILL to the group after the grace period if the leader is still alive.
//
// Callbacks may call back into the runner (start another child, terminate one): a child is
// removed from the table before its on_exit runs, and handles are closed only after it returns.
//
// With a StageContainment (exec/containment.h), each child is its supervisor, `xbuild
// __contained`, which starts the program: the program is looked up on PATH here first, so that a
// missing one still fails start() as uv_spawn would ("could not start ...: no such file or
// directory"). Every child carries the run's marker, and the containment records each child's
// process group while it runs.
#include "exec/process.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <utility>

#include "exec/containment.h"

extern char** environ;

namespace xb {
namespace {

constexpr std::size_t kReadBufferSize = std::size_t{64} * 1024;

class UvProcessRunner;

// One of the child's output streams, split into lines.
struct OutputStream {
  uv_pipe_t pipe;
  std::string partial;  // bytes after the last newline
  bool eof = false;
  std::array<char, kReadBufferSize> buffer;
};

struct Child {
  UvProcessRunner* runner = nullptr;  // null once the runner is gone: report nothing
  StageContainment* containment = nullptr;
  ProcessId id = 0;
  int pid = 0;
  ProcessCallbacks callbacks;
  uv_process_t process;
  OutputStream out;
  OutputStream err;
  uv_timer_t kill_timer;
  bool exited = false;
  bool terminating = false;
  ProcessExit exit;
  int open_handles = 0;
};

std::string spawn_error_message(const std::string& program, int error) {
  return "could not start \"" + program + "\": " + uv_strerror(error);
}

// Whether `name` is one of `inherit` (a pattern ending in '*' matches every name it starts).
bool inherited(std::string_view name, const std::optional<std::vector<std::string>>& inherit) {
  if (!inherit) return true;
  return std::any_of(inherit->begin(), inherit->end(), [&](const std::string& pattern) {
    if (!pattern.empty() && pattern.back() == '*')
      return name.substr(0, pattern.size() - 1) == std::string_view(pattern).substr(0, pattern.size() - 1);
    return name == pattern;
  });
}

// The inherited environment (the names `inherit` allows) with `overrides` set on top, as
// "NAME=value" words.
std::vector<std::string> make_environment(const std::map<std::string, std::string>& overrides,
                                          const std::optional<std::vector<std::string>>& inherit) {
  std::vector<std::string> words;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view word(*entry);
    std::size_t equals = word.find('=');
    std::string name(word.substr(0, equals));
    if (overrides.count(name) == 0 && inherited(name, inherit)) words.emplace_back(word);
  }
  for (const auto& [name, value] : overrides) {
    std::string word = name;
    word.append("=").append(value);
    words.push_back(std::move(word));
  }
  return words;
}

std::vector<char*> c_strings(std::vector<std::string>& words) {
  std::vector<char*> pointers;
  pointers.reserve(words.size() + 1);
  for (std::string& word : words) pointers.push_back(word.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Where execvp would find `program` with `path` (PATH's value): the program itself when it holds a
// '/', else the first executable match; or the libuv error uv_spawn would give.
Result<std::string> resolve_program(const std::string& program, const std::string& path) {
  auto check = [](const std::string& file) -> int {
    if (::access(file.c_str(), X_OK) == 0 && !std::filesystem::is_directory(file)) return 0;
    return errno == ENOENT || errno == ENOTDIR ? UV_ENOENT : UV_EACCES;
  };
  if (program.find('/') != std::string::npos) {
    if (int error = check(program); error != 0) return fail(spawn_error_message(program, error));
    return program;
  }
  int error = UV_ENOENT;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = end > begin ? path.substr(begin, end - begin) : ".";
    std::string candidate = dir + "/" + program;
    int found = check(candidate);
    if (found == 0) return candidate;
    if (found == UV_EACCES && ::access(candidate.c_str(), F_OK) == 0) error = UV_EACCES;
    begin = end + 1;
  }
  return fail(spawn_error_message(program, error));
}

void signal_group(int pid, int signal_number) {
  if (pid > 0) uv_kill(-pid, signal_number);  // ESRCH (nothing left) is fine
}

class UvProcessRunner : public ProcessRunner {
 public:
  UvProcessRunner(uv_loop_t* loop, StageContainment* containment) : loop_(loop), containment_(containment) {}
  ~UvProcessRunner() override;
  UvProcessRunner(const UvProcessRunner&) = delete;
  UvProcessRunner& operator=(const UvProcessRunner&) = delete;

  Result<ProcessId> start(const ProcessSpec& spec, ProcessCallbacks callbacks) override;
  void terminate(ProcessId id, std::chrono::milliseconds grace) override;
  std::size_t running() const override { return children_.size(); }

 private:
  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_process_exit(uv_process_t* process, std::int64_t exit_status, int term_signal);
  static void on_kill_timer(uv_timer_t* timer);
  static void on_handle_closed(uv_handle_t* handle);

  static void deliver_lines(Child& child, OutputStream& stream, std::string_view data);
  static void end_stream(Child& child, OutputStream& stream);
  static void finish_if_done(Child& child);
  static void close_handles(Child& child);

  uv_loop_t* loop_;
  StageContainment* containment_;         // null: children start as they are
  std::map<ProcessId, Child*> children_;  // started and not yet reported
  ProcessId next_id_ = 1;
};

UvProcessRunner::~UvProcessRunner() {
  // Children still running are killed; they finish silently the next time the loop runs.
  for (auto& [id, child] : children_) {
    signal_group(child->pid, SIGKILL);
    child->runner = nullptr;
    child->callbacks = {};
  }
}

Result<ProcessId> UvProcessRunner::start(const ProcessSpec& spec, ProcessCallbacks callbacks) {
  if (spec.argv.empty()) return fail("could not start a process: its command is empty");
  const std::string& program = spec.argv.front();
  if (!spec.working_directory.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(spec.working_directory, ec)) {
      return fail("could not start \"" + program + "\": its working directory " + spec.working_directory.string() +
                  " does not exist");
    }
  }

  std::vector<std::string> argv_words = spec.argv;
  std::map<std::string, std::string> overrides = spec.env;
  std::string file = program;
  if (containment_ != nullptr) {
    overrides[kOwnerVariable] = containment_->marker_value();
    if (containment_->wraps()) {
      auto path = spec.env.find("PATH");
      const char* inherited_path = std::getenv("PATH");
      Result<std::string> resolved = resolve_program(program, path != spec.env.end() ? path->second
                                                              : inherited_path       ? inherited_path
                                                                                     : "/usr/bin:/bin");
      if (!resolved) return fail(resolved.error());
      argv_words = containment_->wrap(resolved.value(), spec.argv);
      file = containment_->supervisor_file();
    }
  }
  std::vector<char*> argv = c_strings(argv_words);
  std::vector<std::string> env_words = make_environment(overrides, spec.inherit);
  std::vector<char*> env = c_strings(env_words);
  std::string cwd = spec.working_directory.string();

  auto* child = new Child;
  child->runner = this;
  child->callbacks = std::move(callbacks);
  child->process.data = child;
  child->out.pipe.data = child;
  child->err.pipe.data = child;
  child->kill_timer.data = child;
  uv_pipe_init(loop_, &child->out.pipe, 0);
  uv_pipe_init(loop_, &child->err.pipe, 0);
  uv_timer_init(loop_, &child->kill_timer);

  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(&child->out.pipe);
  stdio[2].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(&child->err.pipe);

  uv_process_options_t options{};
  options.exit_cb = &UvProcessRunner::on_process_exit;
  options.file = file.c_str();
  options.args = argv.data();
  options.env = env.data();
  options.cwd = cwd.empty() ? nullptr : cwd.c_str();
  options.flags = UV_PROCESS_DETACHED;
  options.stdio_count = 3;
  options.stdio = stdio;

  int error = uv_spawn(loop_, &child->process, &options);
  if (error != 0) {
    // The process handle is initialized even when the spawn fails; close all four.
    child->runner = nullptr;
    child->callbacks = {};
    close_handles(*child);
    return fail(spawn_error_message(program, error));
  }

  child->id = next_id_++;
  child->pid = child->process.pid;
  child->containment = containment_;
  if (containment_ != nullptr) containment_->started(child->pid);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&child->out.pipe), &UvProcessRunner::on_alloc,
                &UvProcessRunner::on_read);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&child->err.pipe), &UvProcessRunner::on_alloc,
                &UvProcessRunner::on_read);
  children_.emplace(child->id, child);
  return child->id;
}

void UvProcessRunner::terminate(ProcessId id, std::chrono::milliseconds grace) {
  auto found = children_.find(id);
  if (found == children_.end()) return;
  Child& child = *found->second;
  if (child.exited || child.terminating) return;  // an exited leader's group is already killed
  child.terminating = true;
  signal_group(child.pid, SIGTERM);
  auto delay = static_cast<std::uint64_t>(std::max<std::int64_t>(grace.count(), 0));
  uv_timer_start(&child.kill_timer, &UvProcessRunner::on_kill_timer, delay, 0);
}

void UvProcessRunner::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* child = static_cast<Child*>(handle->data);
  OutputStream& stream = handle == reinterpret_cast<uv_handle_t*>(&child->out.pipe) ? child->out : child->err;
  *buf = uv_buf_init(stream.buffer.data(), static_cast<unsigned int>(stream.buffer.size()));
}

void UvProcessRunner::on_read(uv_stream_t* pipe, ssize_t nread, const uv_buf_t* buf) {
  auto* child = static_cast<Child*>(pipe->data);
  OutputStream& stream = pipe == reinterpret_cast<uv_stream_t*>(&child->out.pipe) ? child->out : child->err;
  if (nread > 0) {
    deliver_lines(*child, stream, std::string_view(buf->base, static_cast<std::size_t>(nread)));
  } else if (nread < 0) {
    // UV_EOF, or a read error that ends the stream just the same.
    end_stream(*child, stream);
  }
}

void UvProcessRunner::deliver_lines(Child& child, OutputStream& stream, std::string_view data) {
  std::size_t begin = 0;
  while (true) {
    std::size_t newline = data.find('\n', begin);
    if (newline == std::string_view::npos) break;
    std::string_view piece = data.substr(begin, newline - begin);
    if (child.callbacks.on_line) {
      if (stream.partial.empty()) {
        child.callbacks.on_line(piece);
      } else {
        stream.partial.append(piece);
        child.callbacks.on_line(stream.partial);
      }
    }
    stream.partial.clear();
    begin = newline + 1;
  }
  stream.partial.append(data.substr(begin));
}

void UvProcessRunner::end_stream(Child& child, OutputStream& stream) {
  if (stream.eof) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&stream.pipe));
  stream.eof = true;
  if (!stream.partial.empty()) {
    std::string last = std::move(stream.partial);
    stream.partial.clear();
    if (child.callbacks.on_line) child.callbacks.on_line(last);
  }
  finish_if_done(child);
}

void UvProcessRunner::on_process_exit(uv_process_t* process, std::int64_t exit_status, int term_signal) {
  auto* child = static_cast<Child*>(process->data);
  child->exited = true;
  child->exit.exit_status = exit_status;
  child->exit.term_signal = term_signal;
  uv_timer_stop(&child->kill_timer);
  // The job is over: nothing it started may outlive it (nor hold its pipes open).
  signal_group(child->pid, SIGKILL);
  if (child->containment != nullptr && child->runner != nullptr) child->containment->ended(child->pid);
  finish_if_done(*child);
}

void UvProcessRunner::on_kill_timer(uv_timer_t* timer) {
  auto* child = static_cast<Child*>(timer->data);
  if (!child->exited) signal_group(child->pid, SIGKILL);
}

void UvProcessRunner::finish_if_done(Child& child) {
  if (!child.exited || !child.out.eof || !child.err.eof) return;
  ProcessCallbacks callbacks = std::move(child.callbacks);
  child.callbacks = {};
  if (child.runner != nullptr) {
    child.runner->children_.erase(child.id);
    child.runner = nullptr;
  }
  close_handles(child);  // close callbacks run later, on the loop, so `child` stays valid here
  if (callbacks.on_exit) callbacks.on_exit(child.exit);
}

void UvProcessRunner::close_handles(Child& child) {
  child.open_handles = 4;
  uv_close(reinterpret_cast<uv_handle_t*>(&child.process), &UvProcessRunner::on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&child.out.pipe), &UvProcessRunner::on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&child.err.pipe), &UvProcessRunner::on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&child.kill_timer), &UvProcessRunner::on_handle_closed);
}

void UvProcessRunner::on_handle_closed(uv_handle_t* handle) {
  auto* child = static_cast<Child*>(handle->data);
  if (--child->open_handles == 0) delete child;
}

}  // namespace

std::unique_ptr<ProcessRunner> make_uv_process_runner(uv_loop_t* loop, StageContainment* containment) {
  return std::make_unique<UvProcessRunner>(loop, containment);
}

}  // namespace xb
