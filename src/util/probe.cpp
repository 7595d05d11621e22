// Synchronous commands run with Boost.Process, reaped by us. Boost.Process is deliberately not
// given an io_context: that path installs an asio SIGCHLD handler, which would take the signal
// from libuv's loop (the process layer's). libuv reaps only the pids it spawned, so a child of
// ours is ours to wait for.
//
// How a run goes: stdout and stderr are each a pipe made here with O_CLOEXEC (so a command
// started by another thread meanwhile does not inherit it and hold our output open); in the
// child, before exec, the signal dispositions and mask are reset as libuv does for its
// children, and setsid() makes it the leader of its own session and process group. Then one
// poll() loop waits on both pipes and on a pidfd of the child (which becomes readable when the
// child exits; without pidfd_open, the loop wakes every 10 ms to look), with the timeout, the
// idle timeout (moved on by every read that brings bytes) and the kill grace as its deadlines. Bytes read are split
// into lines as the process layer splits them. When the child has exited (seen with waitid(WNOWAIT), so its pid cannot
// be reused yet) its whole group gets SIGKILL, then it is reaped. The run ends when both pipes have ended; or, with a
// timeout, once the deadline has passed and the child has exited, after reading what the pipes still hold, since a
// process that left the group may keep them open for ever.
#include "util/probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <system_error>
#include <thread>

#include "util/interrupt.h"
#include "util/strings.h"

namespace xb {

namespace bp = boost::process;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

fs::path find_program(const std::string& name, const std::string& path_variable) {
  if (name.find('/') != std::string::npos) return name;
  for (const std::string& directory : split(path_variable, ':')) {
    fs::path candidate = (directory.empty() ? fs::path(".") : fs::path(directory)) / name;
    std::error_code error;
    if (fs::is_regular_file(candidate, error) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

fs::path find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  return find_program(name, path ? path : "");
}

namespace {

constexpr std::size_t kReadSize = std::size_t{64} * 1024;

std::string search_path(const CommandOptions& options) {
  auto set = options.env.find("PATH");
  if (set != options.env.end()) return set->second;
  const char* inherited = std::getenv("PATH");
  return inherited ? inherited : "";
}

// One of the child's output streams: its pipe's read end and the bytes after the last newline.
struct Stream {
  int fd = -1;
  bool eof = false;
  std::string partial;
  std::string* whole = nullptr;  // kept as it is instead of split into lines

  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    if (fd >= 0) ::close(fd);
  }

  void deliver(std::string_view data, const std::function<void(std::string_view)>& on_line) {
    if (whole) {
      whole->append(data);
      return;
    }
    std::size_t begin = 0;
    for (std::size_t newline = data.find('\n'); newline != std::string_view::npos; newline = data.find('\n', begin)) {
      std::string_view piece = data.substr(begin, newline - begin);
      if (on_line) {
        if (partial.empty()) {
          on_line(piece);
        } else {
          partial.append(piece);
          on_line(partial);
        }
      }
      partial.clear();
      begin = newline + 1;
    }
    partial.append(data.substr(begin));
  }

  // Reads what is there; a read error ends the stream just as its end does. Whether bytes came.
  bool read_some(const std::function<void(std::string_view)>& on_line) {
    std::array<char, kReadSize> buffer;
    ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return false;
    if (got <= 0) {
      end(on_line);
      return false;
    }
    deliver(std::string_view(buffer.data(), static_cast<std::size_t>(got)), on_line);
    return true;
  }

  void end(const std::function<void(std::string_view)>& on_line) {
    if (eof) return;
    eof = true;
    if (!partial.empty() && on_line) on_line(partial);
    partial.clear();
  }
};

int open_pidfd(int pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// In the child, before exec: what libuv does for the children it spawns (default signal
// dispositions, nothing blocked), then a session and process group of its own.
void prepare_child() {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int signal_number = 1; signal_number < 32; ++signal_number) {
    if (signal_number == SIGKILL || signal_number == SIGSTOP) continue;
    ::sigaction(signal_number, &default_action, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::setsid();
}

// Starts the child: its pid, and the read ends of its stdout and stderr in `out` and `err`.
std::error_code spawn(const fs::path& program, const std::vector<std::string>& argv, const CommandOptions& options,
                      int& pid, Stream& out, Stream& err) {
  if (!options.working_directory.empty()) {
    std::error_code error;
    if (!fs::is_directory(options.working_directory, error))
      return std::make_error_code(std::errc::no_such_file_or_directory);
  }
  std::array<int, 2> out_fds{-1, -1};
  std::array<int, 2> err_fds{-1, -1};
  if (::pipe2(out_fds.data(), O_CLOEXEC) != 0 || ::pipe2(err_fds.data(), O_CLOEXEC) != 0) {
    std::error_code error(errno, std::system_category());
    for (int fd : out_fds)
      if (fd >= 0) ::close(fd);
    return error;
  }
  // The pipes own both ends until the spawn: it closes the write ends, we keep the read ends.
  bp::pipe out_pipe(out_fds[0], out_fds[1]);
  bp::pipe err_pipe(err_fds[0], err_fds[1]);
  // The child's environment, ours with options.env over it, handed to execve as is: not through
  // bp::environment, whose lookup by name (Boost 1.74) reads past the end of shorter entries.
  std::vector<std::string> environment;
  for (char** entry = ::environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (options.env.count(std::string(text.substr(0, text.find('=')))) == 0) environment.emplace_back(text);
  }
  for (const auto& [name, value] : options.env) environment.push_back(name + "=" + value);
  std::vector<char*> environment_pointers;
  for (std::string& entry : environment) environment_pointers.push_back(entry.data());
  environment_pointers.push_back(nullptr);
  boost::filesystem::path cwd = options.working_directory.empty()
                                    ? boost::filesystem::current_path()
                                    : boost::filesystem::path(options.working_directory.string());
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  int failed_pid = -1;  // a child whose exec failed has exited: it is reaped here
  std::error_code error;
  bp::child child(
      bp::exe = program.string(), bp::args = args, bp::start_dir = cwd, (bp::std_in < bp::null),
      (bp::std_out > out_pipe), (bp::std_err > err_pipe),
      bp::extend::on_setup = [&environment_pointers](auto& executor) { executor.env = environment_pointers.data(); },
      bp::extend::on_exec_setup = [](auto&) { prepare_child(); },
      bp::extend::on_error = [&failed_pid](auto& executor, const std::error_code&) { failed_pid = executor.pid; },
      error);
  if (error) {
    if (failed_pid > 0) ::waitpid(failed_pid, nullptr, 0);
    return error;
  }
  pid = child.id();
  child.detach();  // reaped by wait_for_exit, not by Boost.Process
  out.fd = out_pipe.native_source();
  err.fd = err_pipe.native_source();
  out_pipe.assign_source(-1);
  err_pipe.assign_source(-1);
  return {};
}

// Once the child has exited: kills what is left of its group, reaps it and records how it ended.
// Whether it has is asked with WNOWAIT, so its pid stays reserved until the group is signalled.
bool reap_if_exited(int pid, CommandExit& exit) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != pid)
    return false;
  ::kill(-pid, SIGKILL);  // the command is over: nothing it started may outlive it
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    exit.term_signal = WTERMSIG(status);
  } else {
    exit.exit_status = WEXITSTATUS(status);
  }
  return true;
}

int ms_until(Clock::time_point when) {
  std::int64_t left = std::chrono::ceil<std::chrono::milliseconds>(when - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, std::int64_t{24} * 3600 * 1000));
}

// The poll loop: output, the child's exit, the timeout, the idle timeout (moved on by every read
// that brings bytes; when both fall due, the earlier one names the end) and the kill grace.
CommandExit wait_for_exit(int pid, Stream& out, Stream& err, const CommandOptions& options) {
  CommandExit result;
  const int pidfd = open_pidfd(pid);
  const Clock::time_point start = Clock::now();
  const bool has_deadline = options.timeout.count() > 0;
  const Clock::time_point deadline = start + options.timeout;
  constexpr Clock::time_point kNever = Clock::time_point::max();
  const bool has_idle = options.idle_timeout.count() > 0;
  Clock::time_point idle_deadline = has_idle ? start + options.idle_timeout : kNever;
  Clock::time_point kill_at = kNever;  // SIGKILL then, unless the child has exited
  bool exited = false;
  int drain_rounds = 0;  // reads after the deadline, bounded against a writer that never stops
  while (!(exited && out.eof && err.eof)) {
    Clock::time_point now = Clock::now();
    if (!exited && !result.timed_out && !result.idle_timed_out && !result.interrupted) {
      const bool over = has_deadline && now >= deadline;
      if (has_idle && now >= idle_deadline && (!over || idle_deadline <= deadline))
        result.idle_timed_out = true;
      else if (over)
        result.timed_out = true;
      else if (options.stop_on_interrupt && interrupt_signal() != 0)
        result.interrupted = true;
      if (result.timed_out || result.idle_timed_out || result.interrupted) {
        if (options.kill_grace.count() > 0) {
          ::kill(-pid, SIGTERM);
          kill_at = now + options.kill_grace;
        } else {
          ::kill(-pid, SIGKILL);
        }
      }
    }
    if (!exited && now >= kill_at) {
      ::kill(-pid, SIGKILL);
      kill_at = kNever;
    }
    const bool past_deadline = (has_deadline && now >= deadline) || result.idle_timed_out;
    const bool stopping = result.timed_out || result.idle_timed_out || result.interrupted;

    int wait_ms = -1;
    if (exited) {
      if (result.idle_timed_out)
        wait_ms = 0;
      else if (has_deadline)
        wait_ms = ms_until(deadline);
    } else {
      if (has_deadline && !stopping) wait_ms = ms_until(deadline);
      if (has_idle && !stopping)
        wait_ms = wait_ms < 0 ? ms_until(idle_deadline) : std::min(wait_ms, ms_until(idle_deadline));
      if (kill_at != kNever) wait_ms = wait_ms < 0 ? ms_until(kill_at) : std::min(wait_ms, ms_until(kill_at));
      if (pidfd < 0) wait_ms = wait_ms < 0 ? 10 : std::min(wait_ms, 10);
      // The signal may reach another thread and leave this poll() asleep: look now and then.
      if (options.stop_on_interrupt && !stopping) wait_ms = wait_ms < 0 ? 100 : std::min(wait_ms, 100);
    }
    std::array<pollfd, 3> fds{};
    nfds_t count = 0;
    pollfd* out_poll = out.eof ? nullptr : &(fds[count++] = pollfd{out.fd, POLLIN, 0});
    pollfd* err_poll = err.eof ? nullptr : &(fds[count++] = pollfd{err.fd, POLLIN, 0});
    pollfd* exit_poll = exited || pidfd < 0 ? nullptr : &(fds[count++] = pollfd{pidfd, POLLIN, 0});
    int ready = ::poll(fds.data(), count, wait_ms);
    if (ready < 0) {
      if (errno != EINTR) std::this_thread::sleep_for(std::chrono::milliseconds(10));  // ENOMEM: try again
      continue;
    }
    if (exited && past_deadline && (ready == 0 || ++drain_rounds > 64)) break;  // the rest may never end

    bool output = false;
    if (out_poll && out_poll->revents != 0) output = out.read_some(options.on_line);
    if (err_poll && err_poll->revents != 0) output = err.read_some(options.on_line) || output;
    if (output && has_idle) idle_deadline = Clock::now() + options.idle_timeout;
    if (!exited && (pidfd < 0 || (exit_poll && exit_poll->revents != 0))) exited = reap_if_exited(pid, result);
  }
  if (pidfd >= 0) ::close(pidfd);
  out.end(options.on_line);
  err.end(options.on_line);
  return result;
}

struct Run {
  std::error_code start_error;
  CommandExit exit;
};

Run run(const fs::path& program, const std::vector<std::string>& argv, const CommandOptions& options) {
  Run result;
  int pid = -1;
  Stream out;
  Stream err;
  out.whole = options.stdout_text;
  result.start_error = spawn(program, argv, options, pid, out, err);
  if (!result.start_error) result.exit = wait_for_exit(pid, out, err, options);
  return result;
}

// The process layer's wording for a system error: libuv's messages are strerror's, in lower case.
std::string lower_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

Result<CommandExit> run_sync(const std::vector<std::string>& argv, const CommandOptions& options) {
  if (argv.empty()) return fail("could not start a process: its command is empty");
  const std::string& name = argv.front();
  if (!options.working_directory.empty()) {
    std::error_code error;
    if (!fs::is_directory(options.working_directory, error))
      return fail("could not start \"" + name + "\": its working directory " + options.working_directory.string() +
                  " does not exist");
  }
  fs::path program = find_program(name, search_path(options));
  if (program.empty()) return fail("could not start \"" + name + "\": no such file or directory");
  Run ran = run(program, argv, options);
  if (ran.start_error) return fail("could not start \"" + name + "\": " + lower_first(ran.start_error.message()));
  return ran.exit;
}

Result<std::string> probe_output(const std::vector<std::string>& argv, const ProbeOptions& options) {
  if (argv.empty()) return fail("probe: empty command");
  std::string command = shell_join(argv);
  fs::path program = find_program(argv[0], search_path({}));
  if (program.empty()) return fail(command + ": " + argv[0] + " not found on PATH");
  std::string output;
  CommandOptions run_options;
  run_options.working_directory = options.working_directory;
  run_options.timeout = options.timeout;
  run_options.kill_grace = std::chrono::milliseconds(0);
  run_options.stdout_text = &output;
  Run ran = run(program, argv, run_options);
  if (ran.start_error) return fail(command + ": cannot start: " + ran.start_error.message());
  if (ran.exit.timed_out)
    return fail(command + ": no answer within " + std::to_string(options.timeout.count()) + " ms");
  // A signal is reported as the exit status it stands for, as Boost.Process's exit_code() does.
  std::int64_t status = ran.exit.term_signal != 0 ? ran.exit.term_signal : ran.exit.exit_status;
  if (status != 0) return fail(command + ": exit status " + std::to_string(status));
  return output;
}

}  // namespace xb
