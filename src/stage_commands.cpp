// The hidden commands stages start through (stage_commands.h).
#include "stage_commands.h"

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "emulate/private_binfmt.h"
#include "emulate/sandbox.h"
#include "exec/containment.h"

namespace xb {

namespace {

// Parses the arguments, then replaces this process with the stage's program: returns only on a
// failure, with its exit status (2: the arguments, 127: the program could not be started).
template <typename Spec>
int enter(const char* name, Result<Spec> spec, std::string (*start)(const Spec&)) {
  if (!spec) {
    std::fprintf(stderr, "xbuild: error: %s\n", spec.error().c_str());
    return 2;
  }
  std::fflush(stdout);
  const std::string failure = start(spec.value());
  std::fprintf(stderr, "xbuild: error: %s: %s\n", name, failure.c_str());
  return 127;
}

}  // namespace

int run_stage_command(int argc, char** argv) {
  if (argc < 2) return -1;
  const std::string_view command = argv[1];
  // The supervisor reads nothing of the command line beyond its own words.
  if (command == kContainedCommand) return run_contained(argc, argv);
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "__sandbox") return enter("sandbox", parse_sandbox_args(args), &enter_sandbox);
  if (command == "__binfmt") return enter("binfmt", parse_private_binfmt_args(args), &enter_private_binfmt);
  return -1;
}

}  // namespace xb
