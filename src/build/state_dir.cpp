#include "build/state_dir.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>

#include "run/terminal.h"
#include "util/fs.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// A generated file (or link) is written again by every run from the plan, so it is left alone when
// unchanged and replaced by a rename (a stage never sees half a file) but not fsynced: one lost
// in a crash is written again by the next run, and ten fsyncs cost more than the rest of
// preparing the state directory.
Status write_generated_file(const GeneratedFile& file) {
  std::error_code ec;
  if (!file.link.empty()) {
    if (fs::read_symlink(file.path, ec) == file.link) return Ok{};
    fs::create_directories(file.path.parent_path(), ec);
    fs::remove(file.path, ec);
    fs::create_symlink(file.link, file.path, ec);
    if (ec) return fail("cannot make " + file.path.string() + " a link to " + file.link.string() + ": " + ec.message());
    return Ok{};
  }
  Result<std::string> existing = read_file(file.path);
  if (existing && existing.value() == file.content) return Ok{};
  fs::create_directories(file.path.parent_path(), ec);
  if (ec) return fail("cannot create " + file.path.parent_path().string() + ": " + ec.message());
  return write_file_atomic(file.path, file.content, Durability::deferred);
}

}  // namespace

FileLock lock_state_dir(const fs::path& state_dir, Terminal& terminal) {
  Result<FileLock> lock = FileLock::acquire(state_dir / "lock", FileLock::Mode::exclusive, [&] {
    terminal.status_line(
        fmt::format("xbuild: waiting for the other xbuild run using {} to finish", state_dir.string()));
  });
  if (!lock) throw Error(lock.error());
  return std::move(lock).value();
}

StageContainment contain_stages(const fs::path& state_dir, const fs::path& xbuild, Terminal& terminal) {
  const fs::path record = state_dir / "live-pgids";
  Result<std::size_t> ended = end_leftovers(record);
  if (!ended) throw Error(ended.error());
  if (ended.value() > 0)
    terminal.status_line(fmt::format("xbuild: ended {} process{} that the stages of a killed xbuild run left running",
                                     ended.value(), ended.value() == 1 ? "" : "es"));
  const char* cgroup = std::getenv("XBUILD_STAGE_CGROUP");
  return StageContainment(record, xbuild, cgroup == nullptr || std::string_view(cgroup) != "0");
}

void prepare_state_dir(const Plan& plan, const std::vector<bool>& keep_output) {
  std::error_code ec;
  for (std::size_t index = 0; index < plan.targets.size(); ++index) {
    const TargetPlan& target = plan.targets[index];
    if (index >= keep_output.size() || !keep_output[index]) fs::remove_all(target.output_dir, ec);
    if (ec) throw Error("cannot empty " + target.output_dir.string() + ": " + ec.message());
    fs::create_directories(target.output_dir, ec);
    if (ec) throw Error("cannot create " + target.output_dir.string() + ": " + ec.message());
    for (const GeneratedFile& file : target.files)
      if (Status written = write_generated_file(file); !written) throw Error(written.error());
    // ccache makes its directory itself, but an emulated stage binds it into its sandbox first.
    if (target.ccache) fs::create_directories(target.ccache->dir, ec);
    if (ec) throw Error("cannot create " + target.ccache->dir.string() + ": " + ec.message());
  }
  for (const JobPlan& job : plan.jobs) {
    fs::create_directories(job.log_file.parent_path(), ec);
    if (ec) throw Error("cannot create " + job.log_file.parent_path().string() + ": " + ec.message());
  }
}

}  // namespace xb
