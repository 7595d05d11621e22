#include "build/work_dirs.h"

#include <fmt/format.h>

#include <set>

#include "run/terminal.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// The first component of each directory the target's stages keep: what $XBUILD_WORK may hold.
std::set<std::string> kept_names(const Plan& plan, std::size_t target) {
  std::set<std::string> names;
  for (const JobPlan& job : plan.jobs)
    if (job.target == target)
      for (const std::string& path : job.keep) names.insert(fs::path(path).begin()->string());
  return names;
}

// Makes the target's $XBUILD_WORK and removes from it what no stage keeps (a stage's stray
// files, a directory a stage no longer keeps, what an interrupted wipe left): only declared,
// keyed directories survive a run.
void tidy_work_dir(const Plan& plan, std::size_t target) {
  const fs::path& work = plan.targets[target].work_dir;
  std::error_code error;
  fs::create_directories(work, error);
  if (error) throw Error("cannot create " + work.string() + ": " + error.message());
  std::set<std::string> names = kept_names(plan, target);
  for (const fs::directory_entry& entry : fs::directory_iterator(work, error)) {
    if (names.count(entry.path().filename().string())) continue;
    std::error_code removed;
    fs::remove_all(entry.path(), removed);
    if (removed) throw Error("cannot remove " + entry.path().string() + ": " + removed.message());
  }
  if (error) throw Error("cannot read " + work.string() + ": " + error.message());
}

// Renamed aside first, so that an interrupted wipe never leaves half a tree under the kept name.
void wipe(const fs::path& dir) {
  Result<fs::path> aside = make_sibling_temp_dir(dir);
  if (!aside) throw Error(aside.error());
  std::error_code error;
  fs::rename(dir, aside.value(), error);
  if (error) throw Error("cannot move " + dir.string() + " aside to wipe it: " + error.message());
  fs::remove_all(aside.value(), error);
  if (error) throw Error("cannot remove " + aside.value().string() + ": " + error.message());
}

// What an interrupted wipe of `dir` left next to it (tidy_work_dir removes those at the top).
void remove_wipe_leftovers(const fs::path& dir) {
  const std::string prefix = "." + dir.filename().string() + ".tmp-";
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir.parent_path(), error))
    if (starts_with(entry.path().filename().string(), prefix)) fs::remove_all(entry.path(), error);
}

}  // namespace

void prepare_work_dirs(const Plan& plan, const std::vector<KeptDirectory>& kept, const std::vector<bool>& cached,
                       const std::string& clean, Terminal& terminal) {
  for (std::size_t target = 0; target < plan.targets.size(); ++target)
    if (plan.targets[target].builder.empty()) tidy_work_dir(plan, target);
  for (const KeptDirectory& directory : kept) {
    const JobPlan& job = plan.jobs[directory.job];
    if (!plan.targets[job.target].builder.empty() || (directory.job < cached.size() && cached[directory.job])) continue;
    remove_wipe_leftovers(directory.dir);
    KeepDecision decision = decide_here(directory, clean);
    if (decision.action == KeepDecision::Action::wipe) {
      terminal.output_line(
          fmt::format("xbuild: {}: $XBUILD_WORK/{} wiped: {}", job.label(), directory.path, decision.why));
      wipe(directory.dir);
    }
    std::error_code error;
    fs::create_directories(directory.dir, error);
    if (error) throw Error("cannot create " + directory.dir.string() + ": " + error.message());
    fs::create_directories(directory.record.parent_path(), error);
    if (error) throw Error("cannot create " + directory.record.parent_path().string() + ": " + error.message());
    if (Status written = write_file_atomic(directory.record, record_text(directory), Durability::deferred); !written)
      throw Error(written.error());
  }
}

std::string render_kept(const Plan& plan, const std::vector<KeptDirectory>& kept) {
  if (kept.empty()) return "";
  std::vector<std::vector<std::string>> rows;
  for (const KeptDirectory& directory : kept) {
    const JobPlan& job = plan.jobs[directory.job];
    const TargetPlan& target = plan.targets[job.target];
    std::string next = target.builder.empty() ? describe(decide_here(directory, ""))
                                              : "kept on builder " + target.builder + " (checked there by the run)";
    rows.push_back({"  " + job.label(), "$XBUILD_WORK/" + directory.path, next});
  }
  return "\nkept directories (the next run, for the stages that run):\n" + render_columns(rows);
}

}  // namespace xb
