#include "util/probe.h"

#include <boost/process.hpp>

#include <future>
#include <system_error>

#include "util/strings.h"

namespace xb {

namespace bp = boost::process;

Result<std::string> probe_output(const std::vector<std::string>& argv, const ProbeOptions& options) {
  if (argv.empty()) return fail("probe: empty command");
  std::string command = shell_join(argv);
  boost::filesystem::path program = bp::search_path(argv[0]);
  if (program.empty()) return fail(command + ": " + argv[0] + " not found on PATH");
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  try {
    boost::asio::io_context io;
    std::future<std::string> output;
    std::error_code ec;
    boost::filesystem::path cwd = options.working_directory.empty()
                                      ? boost::filesystem::current_path()
                                      : boost::filesystem::path(options.working_directory.string());
    bp::child child(program, bp::args(args), bp::start_dir(cwd), bp::std_in.close(),
                    bp::std_out > output, bp::std_err > bp::null, io, ec);
    if (ec) return fail(command + ": cannot start: " + ec.message());
    io.run_for(options.timeout);
    if (!io.stopped()) {
      child.terminate(ec);
      return fail(command + ": no answer within " + std::to_string(options.timeout.count()) + " ms");
    }
    child.wait(ec);
    if (child.exit_code() != 0)
      return fail(command + ": exit status " + std::to_string(child.exit_code()));
    return output.get();
  } catch (const std::exception& e) {
    return fail(command + ": " + e.what());
  }
}

}  // namespace xb
