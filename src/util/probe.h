// A synchronous probe of a tool off the loop ("gcc -dumpfullversion", "git log -1"): runs a
// short command, waits at most `timeout`, and returns its standard output. Boost.Process stays
// inside probe.cpp.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "util/error.h"

namespace xb {

struct ProbeOptions {
  std::filesystem::path working_directory;  // empty: the current one
  std::chrono::milliseconds timeout{5000};
};

// Runs argv (argv[0] searched on PATH) with stdin closed and stderr discarded. A failure to
// start, a timeout or a nonzero exit is a failure whose message names the command.
Result<std::string> probe_output(const std::vector<std::string>& argv, const ProbeOptions& options = {});

}  // namespace xb
