// xbuild: the binary is main() alone; everything else is the library the tests link too.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "cli/cli.h"
#include "stage_commands.h"
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
  // The commands stages start through, where no xbuild-stage was found (stage_commands.h).
  if (const int status = xb::run_stage_command(argc, argv); status >= 0) return status;
  ensure_standard_streams();
  try {
    return xb::run_cli(argc, argv);
  } catch (const xb::Error& error) {
    std::fprintf(stderr, "xbuild: error: %s\n", error.what());
    return error.exit_code();
  }
}
