// The command line: parses arguments with CLI11 and runs one command. Returns the exit status
// (0 success, 1 a stage failed, 2 usage or config error); other failures throw xb::Error.
#pragma once

namespace xb {

int run_cli(int argc, char** argv);

}  // namespace xb
