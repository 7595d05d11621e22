// mmdebstrap's command lines and what is done with what it leaves. A sysroot comes from the
// extract variant: the packages and their dependencies unpacked, no maintainer script run, no
// QEMU, no chroot. The setup hook makes bin, sbin and lib (and lib64 where the loader lives
// there) links into usr/ first, as a merged-/usr system has them: trixie's packages ship only
// /usr/lib, and QEMU finds the loader at /lib/<loader> under QEMU_LD_PREFIX. Absolute symlinks
// in packages (libz.so -> /lib/...) point outside a sysroot, and gcc --sysroot then quietly
// links the static library, so they are made relative. QEMU_LD_PREFIX overlays every path a
// guest opens, so the sysroot keeps no file the host should answer for, and holds an empty
// etc/ld.so.cache: without one, QEMU hands the guest's loader the host's cache (an i386 guest
// would load the host's /usr/lib32 libc).
// A root filesystem comes from the apt variant: Essential, apt and the packages, installed
// with their maintainer scripts under QEMU (its binfmt_misc handler is the caller's to
// register first). Run as root, mmdebstrap goes into a mount and PID namespace of its own
// (unshare --mount --pid --fork --kill-child), so that the mounts it makes inside the tree and
// every process it starts (apt, dpkg, maintainer scripts) end with it, however it ends; and
// unshare gets SIGKILL when xbuild's thread waiting for it dies (setpriv --pdeathsig): an
// interrupted or killed run leaves no mmdebstrap behind, only a temporary directory the next
// make of that tree removes.
#include "debian/mmdebstrap.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "util/fs.h"
#include "util/strings.h"

namespace xb::debian {

namespace fs = std::filesystem;

namespace {

// Architectures whose dynamic loader is /lib64/<loader>.
const std::set<std::string> kLib64Architectures = {"amd64", "ppc64el", "mips64el"};

// What stays at the top of a sysroot.
const std::set<std::string> kSysrootTop = {"usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32"};
// What mmdebstrap writes into etc/ for the system it sets up, not for the packages.
const std::vector<std::string> kMmdebstrapEtc = {"apt",   "dpkg", "resolv.conf", "hostname",
                                                 "fstab", "mtab", "ld.so.cache"};

std::string percent_decoded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::strtol(text.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string after(const std::string& line, std::string_view prefix) { return line.substr(prefix.size()); }

// "E: Unable to locate package nosuchpkg" -> "nosuchpkg"; "" when the line says otherwise.
std::string package_after(const std::string& line, std::string_view prefix) {
  if (!starts_with(line, prefix)) return "";
  std::string rest = after(line, prefix);
  if (std::size_t space = rest.find(' '); space != std::string::npos) rest.erase(space);
  return rest;
}

}  // namespace

std::vector<std::string> mmdebstrap_argv(const TreeSpec& spec, const fs::path& dir) {
  std::vector<std::string> argv;
  if (::geteuid() == 0)
    argv = {"setpriv", "--pdeathsig", "KILL", "--", "unshare", "--mount", "--pid", "--fork", "--kill-child", "--"};
  argv.push_back("mmdebstrap");
  if (spec.kind == TreeSpec::Kind::sysroot) {
    std::vector<std::string> include = {"libc6-dev", "libstdc++6"};
    include.insert(include.end(), spec.packages.begin(), spec.packages.end());
    std::string links = "bin sbin lib";
    if (kLib64Architectures.count(spec.architecture)) links += " lib64";
    argv.insert(argv.end(),
                {"--variant=extract", "--arch=" + spec.architecture, "--include=" + join(include, ","),
                 "--skip=cleanup/apt/cache",  // keeps the .debs, whose names give the versions
                 "--setup-hook=for d in " + links + "; do ln -s usr/$d \"$1/$d\"; mkdir -p \"$1/usr/$d\"; done"});
  } else {
    argv.insert(argv.end(), {"--variant=apt", "--arch=" + spec.architecture});
    if (!spec.packages.empty()) argv.push_back("--include=" + join(spec.packages, ","));
  }
  argv.insert(argv.end(), {spec.suite, dir.string(), spec.mirror});
  return argv;
}

Result<std::size_t> make_symlinks_relative(const fs::path& root) {
  std::vector<std::pair<fs::path, fs::path>> links;  // link, absolute target
  std::error_code error;
  for (fs::recursive_directory_iterator it(root, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (!it->is_symlink(error)) continue;
    fs::path target = fs::read_symlink(it->path(), error);
    if (!error && target.is_absolute()) links.emplace_back(it->path(), target);
  }
  if (error) return fail("cannot walk " + root.string() + ": " + error.message());
  for (const auto& [link, target] : links) {
    fs::path inside = target.lexically_normal().relative_path();
    fs::path from = link.parent_path().lexically_relative(root);
    // A link to "/" itself: the way up from the link's directory ("..", "../..", or ".").
    fs::path relative =
        inside.empty() ? fs::path("x").lexically_relative(from).parent_path() : inside.lexically_relative(from);
    if (relative.empty()) relative = ".";
    fs::remove(link, error);
    if (!error) fs::create_symlink(relative, link, error);
    if (error) return fail("cannot rewrite the symlink " + link.string() + ": " + error.message());
  }
  return links.size();
}

Status finish_sysroot(const fs::path& root) {
  std::error_code error;
  std::vector<fs::path> doomed;
  for (fs::directory_iterator it(root, error); !error && it != fs::directory_iterator(); it.increment(error))
    if (!kSysrootTop.count(it->path().filename().string())) doomed.push_back(it->path());
  for (const std::string& name : kMmdebstrapEtc) doomed.push_back(root / "etc" / name);
  for (const fs::path& path : doomed) {
    fs::remove_all(path, error);
    if (error) return fail("cannot remove " + path.string() + ": " + error.message());
  }
  Result<std::size_t> relinked = make_symlinks_relative(root);
  if (!relinked) return fail(relinked.error());
  fs::create_directories(root / "etc", error);
  if (error) return fail("cannot create " + (root / "etc").string() + ": " + error.message());
  return write_file_atomic(root / "etc" / "ld.so.cache", "", Durability::deferred);
}

PackageVersions downloaded_versions(const fs::path& root) {
  PackageVersions versions;
  std::error_code error;
  for (fs::directory_iterator it(root / "var/cache/apt/archives", error); !error && it != fs::directory_iterator();
       it.increment(error)) {
    if (it->path().extension() != ".deb") continue;
    std::vector<std::string> parts = split(it->path().stem().string(), '_');
    if (parts.size() == 3) versions.emplace_back(parts[0], percent_decoded(parts[1]));
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

PackageVersions installed_versions(const fs::path& root) {
  PackageVersions versions;
  Result<std::string> status = read_file(root / "var/lib/dpkg/status");
  if (!status) return versions;
  std::string package, version;
  bool installed = false;
  auto finish = [&] {
    if (!package.empty() && !version.empty() && installed) versions.emplace_back(package, version);
    package.clear();
    version.clear();
    installed = false;
  };
  for (const std::string& line : split(status.value(), '\n')) {
    if (line.empty()) finish();
    if (starts_with(line, "Package: ")) package = std::string(trim(after(line, "Package: ")));
    if (starts_with(line, "Version: ")) version = std::string(trim(after(line, "Version: ")));
    if (starts_with(line, "Status: ")) installed = line.size() >= 10 && line.substr(line.size() - 10) == " installed";
  }
  finish();
  std::sort(versions.begin(), versions.end());
  return versions;
}

MakeFailure explain_failure(const TreeSpec& spec, const CommandExit& exit, const std::vector<std::string>& error_lines,
                            const std::string& last_line, std::chrono::seconds timeout) {
  const std::string what = describe(spec);
  if (exit.timed_out)
    return {"mmdebstrap did not finish making " + what + " within " + format_age(timeout) + " and was stopped", ""};
  for (const std::string& line : error_lines) {
    if (std::string package = package_after(line, "E: Unable to locate package "); !package.empty())
      return {"package \"" + package + "\" is not in " + spec.suite + " for " + spec.architecture +
                  " (look for its name: https://packages.debian.org/search?searchon=names&suite=" + spec.suite +
                  "&keywords=" + package + ")",
              package};
    if (std::string package = package_after(line, "E: Package '"); !package.empty()) {
      package = package.substr(0, package.find('\''));
      return {"package \"" + package + "\" has no version to install in " + spec.suite + " for " + spec.architecture +
                  " (a virtual package or one that was removed: name a package that provides it)",
              package};
    }
    if (starts_with(line, "E: The repository '") && line.find("does not have a Release file") != std::string::npos)
      return {"the Debian mirror " + redact_credentials(spec.mirror) + " has no suite \"" + spec.suite +
                  "\": check the suite's name (bookworm, trixie, sid, ...)",
              ""};
    if (line.find("can neither be executed natively nor via qemu user emulation") != std::string::npos)
      return {"this machine cannot run " + spec.architecture + " programs, which making " + what +
                  " needs (its packages' scripts run): register QEMU's binfmt_misc handler for " + spec.architecture +
                  " first",
              ""};
  }
  std::string detail = !error_lines.empty() ? after(error_lines.front(), "E: ") : last_line;
  std::string how = exit.term_signal != 0 ? "was killed by signal " + std::to_string(exit.term_signal)
                                          : "failed (exit status " + std::to_string(exit.exit_status) + ")";
  return {"mmdebstrap " + how + " making " + what + (detail.empty() ? "" : ": " + detail), ""};
}

}  // namespace xb::debian
