// Probes run a short command synchronously, off the loop, with Boost.Process: the child's
// stdout is read with poll() against a deadline and the child is reaped with waitpid() on its
// own pid. Boost.Process is deliberately not given an io_context: that path installs an asio
// SIGCHLD handler, which would take the signal from libuv's loop (the process layer's).
#include "util/probe.h"

#include <poll.h>
#include <unistd.h>

#include <boost/process.hpp>

#include <cerrno>
#include <system_error>
#include <thread>

#include "util/strings.h"

namespace xb {

namespace bp = boost::process;
using Clock = std::chrono::steady_clock;

Result<std::string> probe_output(const std::vector<std::string>& argv, const ProbeOptions& options) {
  if (argv.empty()) return fail("probe: empty command");
  std::string command = shell_join(argv);
  boost::filesystem::path program =
      argv[0].find('/') != std::string::npos ? boost::filesystem::path(argv[0]) : bp::search_path(argv[0]);
  if (program.empty()) return fail(command + ": " + argv[0] + " not found on PATH");
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  boost::filesystem::path cwd = options.working_directory.empty()
                                    ? boost::filesystem::current_path()
                                    : boost::filesystem::path(options.working_directory.string());

  Clock::time_point deadline = Clock::now() + options.timeout;
  std::error_code error;
  bp::pipe out;
  bp::child child(bp::exe = program.string(), bp::args = args, bp::start_dir = cwd, (bp::std_in < bp::null),
                  (bp::std_out > out), (bp::std_err > bp::null), error);
  if (error) return fail(command + ": cannot start: " + error.message());

  std::string output;
  bool finished = false;
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd fd{out.native_source(), POLLIN, 0};
    int ready = ::poll(&fd, 1, static_cast<int>(left.count()) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char buffer[4096];
    ssize_t got = ::read(out.native_source(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {  // end of output: the child is exiting
      finished = true;
      break;
    }
    output.append(buffer, static_cast<std::size_t>(got));
  }
  // Output closed; give the child the rest of the time to exit (running() reaps it when it has).
  while (finished && child.running(error) && !error && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (child.running(error)) {
    child.terminate(error);
    return fail(command + ": no answer within " + std::to_string(options.timeout.count()) + " ms");
  }
  if (error) return fail(command + ": " + error.message());
  if (child.exit_code() != 0) return fail(command + ": exit status " + std::to_string(child.exit_code()));
  return output;
}

}  // namespace xb
