// xbuild: the binary is main() alone; everything else is the library the tests link too.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "cli/cli.h"
#include "exec/containment.h"
#include "util/error.h"

namespace {

// Started with stdin, stdout or stderr closed (CI runners do that), the first pipe or file
// opened would take fd 0..2 and be mistaken for a standard stream, and libuv refuses to close
// such a descriptor. Keep all three open, on /dev/null if need be.
void ensure_standard_streams() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1) continue;
    int null_fd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (null_fd >= 0 && null_fd != fd) {
      dup2(null_fd, fd);
      close(null_fd);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A stage's supervisor (exec/containment.h): nothing of the command line is read.
  if (argc > 1 && std::strcmp(argv[1], xb::kContainedCommand) == 0) return xb::run_contained(argc, argv);
  ensure_standard_streams();
  try {
    return xb::run_cli(argc, argv);
  } catch (const xb::Error& error) {
    std::fprintf(stderr, "xbuild: error: %s\n", error.what());
    return error.exit_code();
  }
}
