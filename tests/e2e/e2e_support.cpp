#include "e2e/e2e_support.h"

#include <gtest/gtest.h>

#include <boost/process.hpp>
#include <cstdlib>
#include <fstream>
#include <future>
#include <optional>

namespace xb::testing {

namespace fs = std::filesystem;
namespace bp = boost::process;

CommandResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                  const fs::path& cwd) {
  CommandResult result;
  boost::filesystem::path program =
      argv.at(0).find('/') != std::string::npos ? boost::filesystem::path(argv[0]) : bp::search_path(argv[0]);
  if (program.empty()) {
    result.err = argv[0] + ": not found on PATH";
    return result;
  }
  bp::environment environment = boost::this_process::environment();
  environment.erase("GITHUB_STEP_SUMMARY");  // the tests' runs add nothing to the CI job's own summary
  for (const auto& [key, value] : env) environment[key] = value;
  boost::asio::io_context io;
  std::future<std::string> out, err;
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  bp::child child(
      program, bp::args(args), environment,
      bp::start_dir(cwd.empty() ? boost::filesystem::current_path() : boost::filesystem::path(cwd.string())),
      bp::std_in.close(), bp::std_out > out, bp::std_err > err, io);
  io.run();
  child.wait();
  result.exit_code = child.exit_code();
  result.out = out.get();
  result.err = err.get();
  return result;
}

const char* const kTwoPlatformConfig = R"(
[project]
name = "hello"

[targets]
platforms = ["linux/amd64", "linux/arm64"]

[stage.build]
run = 'make -s -C src CC="$CC" OUT="$XBUILD_OUT"'

[stage.test]
needs = ["build"]
run = '$XBUILD_EXEC "$XBUILD_OUT/hello" --self-test'

[image]
entrypoint = ["/app/hello"]
copy = [{ from = "hello", to = "/app/hello" }]
)";

fs::path xbuild_binary() {
  const char* path = std::getenv("XBUILD_BINARY");
  return path ? fs::absolute(path) : fs::path("xbuild");
}

fs::path source_root() {
  const char* path = std::getenv("XBUILD_SOURCE_ROOT");
  return path ? fs::absolute(path) : fs::current_path();
}

CommandResult xbuild(const std::vector<std::string>& args, const fs::path& cwd,
                     const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {xbuild_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> environment = {{"SOURCE_DATE_EPOCH", "1700000000"}};
  for (const auto& [key, value] : env) environment[key] = value;
  // Each call gets an empty cache of its own (never the user's ~/.cache/xbuild) unless the
  // test passes XBUILD_CACHE_DIR to share one between calls.
  std::optional<ScratchDir> cache;
  if (!environment.count("XBUILD_CACHE_DIR")) {
    cache.emplace();
    environment["XBUILD_CACHE_DIR"] = cache->path().string();
  }
  return run(argv, environment, cwd);
}

fs::path copy_example(const std::string& name, const fs::path& destination) {
  fs::path from = source_root() / "examples" / name;
  fs::create_directories(destination);
  for (const fs::directory_entry& entry : fs::directory_iterator(from)) {
    if (entry.path().filename() == ".xbuild") continue;
    fs::copy(entry.path(), destination / entry.path().filename(), fs::copy_options::recursive);
  }
  return destination;
}

int elf_machine(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char header[20] = {};
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) return -1;
  if (header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F') return -1;
  return header[18] | (header[19] << 8);  // little-endian e_machine
}

}  // namespace xb::testing
