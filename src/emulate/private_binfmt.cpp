// How a stage gets binfmt_misc handlers of its own. unshare(CLONE_NEWUSER | CLONE_NEWNS) makes
// this process the owner of a new user namespace, with every capability in it until it executes
// something. The namespace maps the process's own uid and gid to themselves, after denying
// setgroups as that requires, so the command runs as who started xbuild and its files keep that
// owner. In the new mount namespace every mount is
// made private, then binfmt_misc is mounted on /proc/sys/fs/binfmt_misc: since Linux 6.7 that is
// an instance of this user namespace's own, empty, which the host's handlers do not reach and
// which goes away with the namespace. Each register line is written to its register file; the F
// flag makes the kernel open the interpreter now. execvp then runs the command, whose processes
// all see the instance.
#include "emulate/private_binfmt.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "util/probe.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBinfmtDir = "/proc/sys/fs/binfmt_misc";

std::string errno_text(const std::string& step) { return step + ": " + std::strerror(errno); }

bool write_text(const char* path, std::string_view text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t written = ::write(fd, text.data(), text.size());
  int error = errno;
  ::close(fd);
  errno = error;
  return written == static_cast<ssize_t>(text.size());
}

// The user and mount namespaces and the instance; "" when done, else what failed.
std::string make_private_instance() {
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
    return errno_text("cannot create a user namespace for the stage's binfmt_misc handlers (unshare)");
  // A process may map only its own ids into the namespace it just entered (wider maps need a
  // helper outside, as newuidmap is): other users' files then show as owned by nobody.
  std::string uid_map = std::to_string(uid) + " " + std::to_string(uid) + " 1\n";
  std::string gid_map = std::to_string(gid) + " " + std::to_string(gid) + " 1\n";
  if (!write_text("/proc/self/setgroups", "deny")) return errno_text("cannot write /proc/self/setgroups");
  if (!write_text("/proc/self/uid_map", uid_map)) return errno_text("cannot write /proc/self/uid_map");
  if (!write_text("/proc/self/gid_map", gid_map)) return errno_text("cannot write /proc/self/gid_map");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno_text("cannot make / private");
  if (::mount("binfmt_misc", kBinfmtDir, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    return errno_text("cannot mount a binfmt_misc instance of the stage's own on " + std::string(kBinfmtDir) +
                      " (it needs Linux 6.7 or later)");
  return "";
}

}  // namespace

Result<PrivateBinfmtSpec> parse_private_binfmt_args(const std::vector<std::string>& args) {
  PrivateBinfmtSpec spec;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    if (args[i] == "--") {
      ++i;
      break;
    }
    if (args[i] != "--register" || i + 1 >= args.size())
      return fail("__binfmt: unexpected \"" + args[i] + "\"; usage: xbuild __binfmt --register LINE... -- COMMAND...");
    spec.register_lines.push_back(args[++i]);
  }
  spec.command.assign(args.begin() + static_cast<std::ptrdiff_t>(std::min(i, args.size())), args.end());
  if (spec.command.empty()) return fail("__binfmt: no command after \"--\"");
  return spec;
}

std::vector<std::string> private_binfmt_launcher(const fs::path& xbuild,
                                                 const std::vector<std::string>& register_lines) {
  std::vector<std::string> words = {xbuild.string(), "__binfmt"};
  for (const std::string& line : register_lines) words.insert(words.end(), {"--register", line});
  words.push_back("--");
  return words;
}

std::string enter_private_binfmt(const PrivateBinfmtSpec& spec) {
  if (std::string failed = make_private_instance(); !failed.empty()) return failed;
  const std::string register_file = std::string(kBinfmtDir) + "/register";
  for (const std::string& line : spec.register_lines)
    if (!write_text(register_file.c_str(), line)) return errno_text("cannot register the binfmt_misc handler " + line);
  std::vector<char*> argv;
  for (const std::string& word : spec.command) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  return errno_text("cannot run " + spec.command[0]);
}

bool private_binfmt_supported(const fs::path& xbuild) {
  CommandOptions options;
  options.timeout = std::chrono::seconds(10);
  Result<CommandExit> tried = run_sync({xbuild.string(), "__binfmt", "--", "true"}, options);
  return tried && tried.value().success();
}

}  // namespace xb
