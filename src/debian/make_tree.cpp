// Making a tree once, whoever asks for it, with two locks per key. The make lock decides who
// makes it: a caller that finds no finished tree (directory and record) takes it exclusively
// and looks again, since another process may have made it meanwhile. Holding it, a maker knows
// any temporary of the key is a dead maker's: it removes them, runs mmdebstrap into a fresh
// temporary sibling, finishes the tree, writes its record and renames the directory into place,
// the step that makes the tree exist. The use lock is what callers hold, shared, while they
// use a finished tree; `cache prune` removes a tree only when it gets it exclusively. Making
// never waits for the use lock, so a second process making the same tree is not held up by a
// first one that made it and is now building with it. The directory holding a kind's trees is
// kept 0700 (made so, tightened on each use): a root filesystem's setuid files and open
// directories stay out of other users' reach.
#include <unistd.h>

#include <ctime>
#include <deque>

#include "debian/mmdebstrap.h"
#include "debian/tree.h"
#include "debian/tree_record.h"
#include "util/fs.h"
#include "util/private_dir.h"
#include "util/strings.h"

namespace xb::debian {

namespace fs = std::filesystem;

namespace {

constexpr std::chrono::seconds kSysrootTimeout{30 * 60};
constexpr std::chrono::seconds kRootfsTimeout{2 * 60 * 60};
constexpr std::size_t kLastLines = 20;

bool is_finished(const fs::path& dir) {
  std::error_code error;
  return fs::is_directory(dir, error) && fs::is_regular_file(record_path(dir), error);
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (const std::string& directory : split(path ? path : "", ':')) {
    fs::path candidate = fs::path(directory.empty() ? "." : directory) / program;
    std::error_code error;
    if (fs::is_regular_file(candidate, error) && ::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::uint64_t bytes_under(const fs::path& root) {
  std::uint64_t bytes = 0;
  std::error_code error;
  for (fs::recursive_directory_iterator it(root, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error) && !it->is_symlink(size_error)) bytes += it->file_size(size_error);
  }
  return bytes;
}

// Removes the key's temporaries and a directory that never got its record: the make lock is
// ours, so whoever made them is gone (or is `cache prune`, removing the tree as we look).
Status remove_leftovers(const ResolvedTree& tree) {
  const std::string prefix = "." + tree.key + ".tmp-";
  std::vector<fs::path> doomed;
  std::error_code error;
  for (fs::directory_iterator it(tree.dir.parent_path(), error); !error && it != fs::directory_iterator();
       it.increment(error))
    if (starts_with(it->path().filename().string(), prefix)) doomed.push_back(it->path());
  if (fs::exists(tree.dir, error)) doomed.push_back(tree.dir);
  for (const fs::path& path : doomed) {
    fs::remove_all(path, error);
    if (error && fs::exists(path))
      return fail("cannot remove what an interrupted run left, " + path.string() + ": " + error.message());
  }
  return Ok{};
}

// Makes the tree, holding the key's make lock.
Status make_locked(const ResolvedTree& tree, const MakeOptions& options, std::string* unknown_package) {
  const TreeSpec& spec = tree.spec;
  if (!options.command && !on_path("mmdebstrap"))
    return fail("mmdebstrap is not installed, and making " + describe(spec) +
                " needs it: install the Debian package \"mmdebstrap\" (apt-get install mmdebstrap)");
  std::error_code error;
  if (Status cleaned = remove_leftovers(tree); !cleaned) return cleaned;
  Result<fs::path> temp = make_sibling_temp_dir(tree.dir);
  if (!temp) return fail(temp.error());
  TempDir staging(temp.value());

  std::vector<std::string> argv =
      options.command ? options.command(spec, staging.path()) : mmdebstrap_argv(spec, staging.path());
  std::vector<std::string> error_lines;
  std::deque<std::string> last_lines;
  CommandOptions run;
  run.timeout = options.timeout.count() > 0            ? options.timeout
                : spec.kind == TreeSpec::Kind::sysroot ? kSysrootTimeout
                                                       : kRootfsTimeout;
  run.kill_grace = std::chrono::seconds(10);  // mmdebstrap unmounts what it mounted on SIGTERM
  run.stop_on_interrupt = true;               // a cancelled CI job does not wait for apt
  run.on_line = [&](std::string_view line) {
    if (starts_with(line, "E: ")) error_lines.emplace_back(line);
    if (!trim(line).empty()) {
      last_lines.emplace_back(line);
      if (last_lines.size() > kLastLines) last_lines.pop_front();
    }
    if (options.on_line) options.on_line(line);
  };
  Result<CommandExit> ran = run_sync(argv, run);
  if (!ran) return fail("cannot make " + describe(spec) + ": " + ran.error());
  if (ran.value().interrupted) return fail("interrupted while making " + describe(spec));
  if (!ran.value().success()) {
    MakeFailure failure = explain_failure(spec, ran.value(), error_lines, last_lines.empty() ? "" : last_lines.back(),
                                          std::chrono::duration_cast<std::chrono::seconds>(run.timeout));
    if (unknown_package) *unknown_package = failure.unknown_package;
    return fail(failure.message);
  }

  TreeRecord record;
  record.spec = spec;
  record.release = tree.release;
  record.made_at = static_cast<std::int64_t>(std::time(nullptr));
  if (spec.kind == TreeSpec::Kind::sysroot) {
    record.versions = downloaded_versions(staging.path());
    if (Status finished = finish_sysroot(staging.path()); !finished)
      return fail("cannot finish " + describe(spec) + ": " + finished.error());
  } else {
    record.versions = installed_versions(staging.path());
  }
  record.bytes = bytes_under(staging.path());
  // The record first, then the directory: a tree exists once both do, and the rename is the
  // one step that makes it so.
  if (Status written = write_file_atomic(record_path(tree.dir), format_record(record)); !written) return written;
  fs::rename(staging.path(), tree.dir, error);
  if (error) {
    fs::remove(record_path(tree.dir));
    return fail("cannot move " + staging.path().string() + " to " + tree.dir.string() + ": " + error.message());
  }
  staging.keep();
  return Ok{};
}

}  // namespace

Result<TreeMade> make_tree(const ResolvedTree& tree, const MakeOptions& options, std::string* unknown_package) {
  if (unknown_package) unknown_package->clear();
  if (Status kept = make_private_directory(tree.dir.parent_path()); !kept) return fail(kept.error());
  auto on_wait = [&] {
    if (options.on_line) options.on_line("waiting for another xbuild making " + describe(tree.spec) + " to finish");
  };
  bool made = false;
  // Two rounds at most, unless `cache prune` removes the tree between a check and the use lock.
  for (int round = 0; round < 4; ++round) {
    if (is_finished(tree.dir)) {
      Result<FileLock> in_use = FileLock::acquire(use_lock_path(tree.dir), FileLock::Mode::shared);
      if (!in_use) return fail(in_use.error());
      if (!is_finished(tree.dir)) continue;  // pruned while we waited for the lock
      std::error_code error;
      if (!made) fs::last_write_time(record_path(tree.dir), fs::file_time_type::clock::now(), error);
      return TreeMade{tree.dir, !made, std::move(in_use.value())};
    }
    Result<FileLock> making = FileLock::acquire(make_lock_path(tree.dir), FileLock::Mode::exclusive, on_wait);
    if (!making) return fail(making.error());
    if (is_finished(tree.dir)) continue;  // made by another process while we waited
    if (Status status = make_locked(tree, options, unknown_package); !status) return fail(status.error());
    made = true;
  }
  return fail(describe(tree.spec) + " in " + tree.dir.string() + " was removed each time it was made");
}

}  // namespace xb::debian
