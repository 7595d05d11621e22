// Stages that cannot outlive the run. Each child of a run's process runner starts as `xbuild-stage
// __contained ...` (or `xbuild __contained ...`), a small supervisor that (1) moves itself into the
// run's cgroup, where cgroup v2 can be written (so every process the stage starts is born inside:
// no race with a fork, unlike moving the child in after uv_spawn returned), (2) asks the kernel for
// a signal when xbuild dies (PR_SET_PDEATHSIG), (3) starts the stage's program and passes its exit
// status (or signal) on as its own. When xbuild dies, even by SIGKILL, the supervisor kills the
// run's cgroup and its own process group, then itself. Every child carries XBUILD_OWNER=<the run's
// process identity> in its environment, and the run keeps a record of its live process groups and
// its cgroup in the state directory (`live-pgids`). The next run that takes the state lock ends
// what a dead run left (the supervisor killed by an OOM kill with it, a stage that left its process
// group) before it touches `.xbuild/out`: the dead run's cgroup killed, then every process of a
// recorded group, and every process anywhere, that carries the dead run's marker. At the end of a
// run the same is done to its own: nothing a stage started survives the run.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/proc.h"

namespace xb {

// argv[1] of the supervisor (main() hands such an argv to run_contained).
inline constexpr const char* kContainedCommand = "__contained";
// The variable that marks every process of a run's stages: XBUILD_OWNER=<pid>.<start>.<pidns>.
inline constexpr const char* kOwnerVariable = "XBUILD_OWNER";

class StageContainment {
 public:
  // `record`: the run's record (<state dir>/live-pgids); `xbuild`: xbuild-stage or this binary,
  // which starts each child as its supervisor (empty: children start as they are, with the marker
  // only). A cgroup is made unless `use_cgroup` is false or cgroup v2 cannot be written here.
  StageContainment(std::filesystem::path record, std::filesystem::path xbuild, bool use_cgroup);
  StageContainment(StageContainment&& other) noexcept;
  StageContainment& operator=(StageContainment&&) = delete;
  StageContainment(const StageContainment&) = delete;
  StageContainment& operator=(const StageContainment&) = delete;
  // Kills what is left of the run's stages (its cgroup, its marked processes), removes the record.
  ~StageContainment();

  // The command that runs `program` (resolved already) with `argv` under the supervisor.
  std::vector<std::string> wrap(const std::string& program, const std::vector<std::string>& argv) const;
  bool wraps() const { return !xbuild_.empty(); }
  // The file wrap()'s command is executed from: "/proc/self/exe" when the supervisor is this very
  // binary (which works even if its file was replaced or removed meanwhile), else its path.
  const std::string& supervisor_file() const { return supervisor_file_; }
  // "XBUILD_OWNER", and this run's value.
  std::string marker_value() const { return owner_.str(); }
  const std::filesystem::path& cgroup() const { return cgroup_; }  // empty: none

  // A child (its process group) started or ended: the record is written again.
  void started(pid_t pgid);
  void ended(pid_t pgid);

 private:
  void write_record() const;

  std::filesystem::path record_;
  std::filesystem::path xbuild_;
  std::string supervisor_file_;  // decided once, not per spawn
  std::filesystem::path cgroup_;
  ProcessIdentity owner_;
  std::set<pid_t> groups_;
  bool active_ = true;
};

// Ends what a dead run left, as its record says: its cgroup killed and removed, every process of
// its recorded groups and every process that carries its marker killed (SIGKILL), waited for
// up to `bound`, and the record removed. Nothing happens while the record's owner still runs (or
// runs in another pid namespace). Returns how many processes were killed; fails naming those
// still there after `bound`.
Result<std::size_t> end_leftovers(const std::filesystem::path& record,
                                  std::chrono::milliseconds bound = std::chrono::seconds(10));

// The supervisor: `xbuild-stage __contained <xbuild's pid> <cgroup dir or -> <program> <argv...>`.
int run_contained(int argc, char** argv);

}  // namespace xb
