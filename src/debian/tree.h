// Sysroots and root filesystems made from Debian packages with mmdebstrap, never touching the
// host's dpkg state, kept in the cache directory and shared by every project on the machine.
//
//   TreeSpec spec{TreeSpec::Kind::sysroot, "bookworm", "arm64", default_mirror(), {"zlib1g-dev"}};
//   Result<ResolvedTree> tree = resolve_tree(spec, default_cache_dir());   // one GET of InRelease
//   if (!tree.value().warning.empty()) print it;                            // offline: an older tree
//   Result<TreeMade> made = make_tree(tree.value(), {.on_line = print});    // mmdebstrap, or reuse
//   ... use made.value().dir while made.value().in_use is held ...
//
// A tree is named by its key, the SHA-256 of its kind, suite, architecture, mirror, package set
// and the suite's release file (the archive's state), so a point release makes a new tree and
// an unchanged archive reuses the old one. Layout under <cache>/debian/<kind>/:
//   <key hex>/           the tree (read only by convention: callers must not write into it)
//   <key hex>.tree       its record: spec, release digest, when made, size, package versions;
//                        its modification time is the tree's last use (for prune)
//   <key hex>.make-lock  flock: exclusive while a process makes the tree
//   <key hex>.use-lock   flock: shared while processes use the tree, exclusive while prune
//                        removes it (two locks: making waits for another maker, never for a user)
//   .<key hex>.tmp-*     a tree being made (renamed to <key hex> when complete)
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "registry/http_get.h"
#include "util/error.h"
#include "util/file_lock.h"

namespace xb::debian {

struct TreeSpec {
  // sysroot: the packages (with libc6-dev and libstdc++6) and their dependencies unpacked,
  //   nothing run, for --sysroot and QEMU_LD_PREFIX;
  // rootfs: a Debian system with apt and the packages installed, to chroot into (emulate).
  enum class Kind { sysroot, rootfs };
  Kind kind = Kind::sysroot;
  std::string suite;         // "bookworm" (default_suite())
  std::string architecture;  // Debian's name, "arm64" (debian_architecture())
  std::string mirror;        // "http://deb.debian.org/debian" (default_mirror())
  std::vector<std::string> packages;
};

std::string_view kind_name(TreeSpec::Kind kind);  // "sysroot", "rootfs"
// "the sysroot of bookworm/arm64": how messages name a tree.
std::string describe(const TreeSpec& spec);

// Checks a spec and puts it in its one form: packages sorted and unique, the mirror without a
// trailing slash. Fails, naming it, on a package that cannot be a Debian package's name
// (`"Zlib" is not a Debian package name: ...`), an invalid suite, or an empty architecture or
// mirror.
Result<TreeSpec> normalize_spec(TreeSpec spec);

// The key of a normalized spec and a release digest: 64 hex digits.
std::string tree_key(const TreeSpec& spec, const std::string& release_digest);

struct ResolvedTree {
  TreeSpec spec;              // normalized
  std::string key;            // hex
  std::filesystem::path dir;  // <cache>/debian/<kind>/<key>: there when made, else make_tree() makes it
  std::string release;        // "sha256:<hex>" of the InRelease the key was made from
  // Set when the mirror could not be reached and a tree made before for the same spec stands
  // in: "cannot reach the Debian mirror M: why; using the sysroot of bookworm/arm64 made 3 days
  // ago". The caller prints it.
  std::string warning;
};

// The tree `spec` names today: one GET of the suite's InRelease (archive.h's release_digest),
// then the key. A tree already made is marked as used. Offline, the newest tree made for the
// same spec stands in (with `warning` set); with none, the failure names the mirror.
Result<ResolvedTree> resolve_tree(const TreeSpec& spec, const std::filesystem::path& cache_dir,
                                  const registry::HttpGetOptions& http = {});

struct MakeOptions {
  // Each line mmdebstrap prints, without its newline, as it comes (and the line saying this
  // process waits for another one making the same tree).
  std::function<void(std::string_view line)> on_line;
  // 0: the default of the kind, long enough for large package sets at a slow mirror, short
  // enough that a stalled run does not hang for ever.
  std::chrono::seconds timeout{0};
  // The command that fills the empty directory `dir` (default: mmdebstrap_argv()). Tests give
  // a command of their own; its output is read as mmdebstrap's.
  std::function<std::vector<std::string>(const TreeSpec& spec, const std::filesystem::path& dir)> command;
};

struct TreeMade {
  std::filesystem::path dir;
  bool reused = false;  // it was there: nothing ran
  FileLock in_use;      // shared (<key>.use-lock); `cache prune` leaves the tree alone while it is held
};

// Makes the tree unless it is there, under the key's make lock (a second process making the
// same tree waits, then reuses it): stale temporaries of the key are removed (their maker is
// gone: the lock is ours), mmdebstrap fills a temporary sibling, the tree is finished (a sysroot:
// absolute symlinks made relative, an empty etc/ld.so.cache, no dev/, var/, tmp/ or files of
// mmdebstrap's own in etc/) and renamed into place with its record. A failure or an
// interruption leaves nothing under the key's name. When the failure is a package the suite
// does not have, `*unknown_package` is set to its name (so a caller can point at the line of
// the config that names it):
//   package "nosuchpkg" is not in bookworm for arm64 (see https://packages.debian.org/...)
Result<TreeMade> make_tree(const ResolvedTree& tree, const MakeOptions& options = {},
                           std::string* unknown_package = nullptr);

// mmdebstrap's command line for `spec` into `dir`.
std::vector<std::string> mmdebstrap_argv(const TreeSpec& spec, const std::filesystem::path& dir);

// A tree in the cache, as its record describes it.
struct TreeRecord {
  TreeSpec spec;
  std::string key;
  std::filesystem::path dir;
  std::string release;
  std::int64_t made_at = 0;  // seconds since the epoch
  std::uint64_t bytes = 0;   // what its files hold
  std::filesystem::file_time_type used;
  std::vector<std::pair<std::string, std::string>> versions;  // package, version
};

// The trees made under `cache_dir`, the most recently used first.
std::vector<TreeRecord> list_trees(const std::filesystem::path& cache_dir);

// Removes what makers that died left (temporaries, a directory without its record, a record
// without its directory) for every key no process is making now.
Status remove_unfinished_trees(const std::filesystem::path& cache_dir);

// Removes a tree and its record unless a process uses it (holds TreeMade::in_use): false then,
// and nothing changed. The lock files stay: removing one that another process holds open would
// let two processes believe they hold it.
Result<bool> remove_tree_if_unused(const TreeRecord& tree);

// "45 seconds", "1 minute", "5 hours", "3 days": how old something is, in warnings.
std::string format_age(std::chrono::seconds age);

}  // namespace xb::debian
