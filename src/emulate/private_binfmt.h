// binfmt_misc handlers of a stage's own: the hidden `xbuild __binfmt` command a crossing stage
// runs as, so that the target binaries it builds run by their path (ctest, `make check`, a test
// runner script) under QEMU, with no handler registered on the host and no root.
//   xbuild __binfmt --register LINE [--register LINE]... -- PROGRAM [ARG]...
// It makes a user namespace (uid and gid mapped to themselves) and a mount namespace, mounts a
// binfmt_misc instance of its own on /proc/sys/fs/binfmt_misc (Linux >= 6.7 gives each user
// namespace one: it starts empty and ignores the host's handlers), registers each LINE there
// (the F flag opens the interpreter at once), and executes PROGRAM. Everything it started
// inherits the instance; it vanishes with the namespace.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "util/error.h"

namespace xb {

struct PrivateBinfmtSpec {
  std::vector<std::string> register_lines;  // ":name:M:0:<magic>:<mask>:<interpreter>:F"
  std::vector<std::string> command;
};

// Parses the arguments after "__binfmt".
Result<PrivateBinfmtSpec> parse_private_binfmt_args(const std::vector<std::string>& args);
// {xbuild, "__binfmt", "--register", LINE, ..., "--"}: the words before the command.
std::vector<std::string> private_binfmt_launcher(const std::filesystem::path& xbuild,
                                                 const std::vector<std::string>& register_lines);

// Sets the namespaces and handlers up and executes the command; returns only on failure, saying
// which step failed and why.
std::string enter_private_binfmt(const PrivateBinfmtSpec& spec);

// Whether this machine gives a process a binfmt_misc instance of its own: `xbuild __binfmt --
// true` tried (a kernel before 6.7, or user namespaces forbidden, say no).
bool private_binfmt_supported(const std::filesystem::path& xbuild);

}  // namespace xb
