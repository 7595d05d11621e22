// What the targets need before their stages run, beyond the state directory: emulated targets
// their root filesystems unpacked and their binfmt_misc handlers registered, remote targets a
// clean output directory on their builder, cross targets their runner's one-time setup (wine's
// prefix).
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "build/run.h"
#include "cache/work_dirs.h"
#include "plan/plan.h"

namespace xb {

class Terminal;

// Registers (or checks) the host's binfmt_misc handler of every emulated target's architecture,
// and of every crossing target whose binaries run by their path through the host's handler; a
// line for each. Before the trees are made: a foreign root filesystem's packages' scripts run
// under it.
void register_handlers(const Plan& plan, const std::filesystem::path& data_dir, Terminal& terminal);

// Unpacks the image root filesystems (`rootfs = "oci:..."` or pulled) not unpacked yet of the
// targets in `running` (those with stages to run); a line for each.
void unpack_root_filesystems(const Plan& plan, const std::set<std::string>& running, Terminal& terminal);

// The platforms with a job the cache does not restore (`cached`: parallel to Plan::jobs).
std::set<std::string> running_platforms(const Plan& plan, const std::vector<bool>& cached);

// The kept directories of a run, which of its jobs the cache restores, and why every kept
// directory starts empty ("--clean", "--no-cache", or "").
struct KeptState {
  const std::vector<KeptDirectory>& kept;
  const std::vector<bool>& cached;
  const std::string& clean;
};

// Empties the output directory on the builder of every target routed to one that was reached,
// and brings the kept directories of its stages that run to their keys there (one line for each
// it wipes, as for a local one).
void reset_builders(const Config& config, const Plan& plan, const KeptState& kept, Terminal& terminal);

// Runs, side by side, the runner setup of every target that has jobs to run (not `done`,
// parallel to Plan::jobs: restored from the cache) and whose setup has not been done in this
// state directory; each one's output goes to logs/<platform>/runner-setup.log. Fails naming the
// log when one fails.
void set_up_runners(const Plan& plan, const std::vector<bool>& done, Terminal& terminal);

}  // namespace xb
