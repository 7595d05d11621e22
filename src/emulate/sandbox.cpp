// The stage sandbox: a chroot in a private mount namespace.
//
// unshare(CLONE_NEWNS) gives this process its own copy of the mount table; remounting "/" with
// MS_REC|MS_PRIVATE stops anything we mount from propagating back to the host. Then each bind
// (source and output directories) is mounted on ROOT/GUEST (the directory is created when
// missing), a fresh proc on ROOT/proc and the host's /dev bound recursively on ROOT/dev. After
// chroot(ROOT) and chdir(WORKDIR) the command is executed with execvp: its binaries are the
// target's, and the kernel hands them to QEMU through binfmt_misc (registered with the F flag,
// so the interpreter need not exist inside ROOT). The mounts vanish with the namespace when
// the last process in it exits; nothing is left on the host.
//
// With --lower, a tmpfs is mounted on ROOT first and an overlay of LOWER (read only) and the
// tmpfs (upper and work directories) on ROOT/root, which becomes the root: LOWER is never
// written, and what a stage writes there lives in memory until the namespace goes.
#include "emulate/sandbox.h"

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace xb {

namespace fs = std::filesystem;

Result<SandboxSpec> parse_sandbox_args(const std::vector<std::string>& args) {
  SandboxSpec spec;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    bool has_value = i + 1 < args.size();
    if (arg == "--root" || arg == "--lower" || arg == "--bind" || arg == "--workdir") {
      if (!has_value) return fail("__sandbox: " + arg + " needs a value");
      const std::string& value = args[++i];
      if (arg == "--root") {
        spec.root = value;
      } else if (arg == "--lower") {
        spec.lower = value;
      } else if (arg == "--workdir") {
        spec.workdir = value;
      } else {
        std::size_t colon = value.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == value.size())
          return fail("__sandbox: --bind " + value + ": expected HOST:GUEST");
        spec.binds.emplace_back(value.substr(0, colon), value.substr(colon + 1));
      }
    } else {
      return fail("__sandbox: unknown argument \"" + arg +
                  "\"; usage: xbuild __sandbox --root DIR [--lower DIR] [--bind HOST:GUEST]... [--workdir DIR] -- COMMAND...");
    }
  }
  spec.command.assign(args.begin() + static_cast<std::ptrdiff_t>(std::min(i, args.size())), args.end());
  if (spec.root.empty()) return fail("__sandbox: --root is required");
  if (!spec.root.is_absolute()) return fail("__sandbox: --root " + spec.root.string() + " must be an absolute path");
  if (!spec.lower.empty() && !spec.lower.is_absolute())
    return fail("__sandbox: --lower " + spec.lower.string() + " must be an absolute path");
  // overlayfs separates its options with ',' and its lower directories with ':'.
  if (spec.lower.string().find_first_of(",:") != std::string::npos)
    return fail("__sandbox: --lower " + spec.lower.string() + ": overlayfs cannot take a path with ',' or ':'");
  for (const auto& [host, guest] : spec.binds) {
    if (!host.is_absolute() || !guest.is_absolute())
      return fail("__sandbox: --bind " + host.string() + ":" + guest.string() + ": both paths must be absolute");
  }
  if (!spec.workdir.is_absolute())
    return fail("__sandbox: --workdir " + spec.workdir.string() + " must be an absolute path");
  if (spec.command.empty()) return fail("__sandbox: no command after \"--\"");
  return spec;
}

std::vector<std::string> sandbox_argv(const fs::path& xbuild, const SandboxSpec& spec) {
  std::vector<std::string> argv = {xbuild.string(), "__sandbox", "--root", spec.root.string()};
  if (!spec.lower.empty()) {
    argv.push_back("--lower");
    argv.push_back(spec.lower.string());
  }
  for (const auto& [host, guest] : spec.binds) {
    argv.push_back("--bind");
    argv.push_back(host.string() + ":" + guest.string());
  }
  argv.push_back("--workdir");
  argv.push_back(spec.workdir.string());
  argv.push_back("--");
  argv.insert(argv.end(), spec.command.begin(), spec.command.end());
  return argv;
}

namespace {

std::string errno_text(const std::string& step) { return step + ": " + std::strerror(errno); }

bool ensure_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  return fs::is_directory(dir, ec);
}

// The overlay of `lower` and a tmpfs on `at`/root; returns an error or "".
std::string mount_overlay(const fs::path& lower, const fs::path& at) {
  if (!ensure_dir(at)) return "cannot create " + at.string();
  if (mount("tmpfs", at.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
    return errno_text("cannot mount a tmpfs on " + at.string());
  for (const char* part : {"upper", "work", "root"})
    if (!ensure_dir(at / part)) return "cannot create " + (at / part).string();
  std::string options =
      "lowerdir=" + lower.string() + ",upperdir=" + (at / "upper").string() + ",workdir=" + (at / "work").string();
  if (mount("overlay", (at / "root").c_str(), "overlay", 0, options.c_str()) != 0)
    return errno_text("cannot mount an overlay of " + lower.string());
  return "";
}

}  // namespace

std::string enter_sandbox(const SandboxSpec& spec) {
  const fs::path root = spec.lower.empty() ? spec.root : spec.root / "root";
  const fs::path& shown = spec.lower.empty() ? spec.root : spec.lower;
  if (!fs::is_directory(shown)) return "the root filesystem " + shown.string() + " is not a directory";
  if (unshare(CLONE_NEWNS) != 0) return errno_text("cannot create a mount namespace (unshare)");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno_text("cannot make / private");
  if (!spec.lower.empty()) {
    std::string error = mount_overlay(spec.lower, spec.root);
    if (!error.empty()) return error;
  }
  for (const auto& [host, guest] : spec.binds) {
    fs::path at = root / guest.relative_path();
    if (!ensure_dir(at)) return "cannot create " + at.string();
    if (mount(host.c_str(), at.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      return errno_text("cannot bind " + host.string() + " on " + at.string());
  }
  fs::path proc = root / "proc";
  if (!ensure_dir(proc)) return "cannot create " + proc.string();
  if (mount("proc", proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    return errno_text("cannot mount /proc in " + shown.string());
  fs::path dev = root / "dev";
  if (!ensure_dir(dev)) return "cannot create " + dev.string();
  if (mount("/dev", dev.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return errno_text("cannot bind /dev in " + shown.string());
  if (chroot(root.c_str()) != 0) return errno_text("cannot chroot into " + shown.string());
  if (chdir(spec.workdir.c_str()) != 0)
    return errno_text("cannot change to " + spec.workdir.string() + " in the sandbox");
  std::vector<char*> argv;
  for (const std::string& word : spec.command) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  return errno_text("cannot run " + spec.command[0] + " in " + shown.string());
}

}  // namespace xb
