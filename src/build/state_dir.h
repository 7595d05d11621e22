// The state directory of a run (<project>/.xbuild unless --state-dir says otherwise): one run at
// a time holds it, and before the stages run it holds every target's generated files, an
// output directory and a log directory.
#pragma once

#include <filesystem>
#include <vector>

#include "exec/containment.h"
#include "plan/plan.h"
#include "util/file_lock.h"

namespace xb {

class Terminal;

// Takes <state dir>/lock; when another xbuild run holds it, says so and waits for it to finish.
// Every pass that writes the state directory comes after this one.
FileLock lock_state_dir(const std::filesystem::path& state_dir, Terminal& terminal);

// Under the state lock, before anything else touches the state directory: ends what the stages
// of a run killed by a signal left running (exec/containment.h: its record in
// <state dir>/live-pgids), saying how many processes it ended, then starts this run's record and
// cgroup (XBUILD_STAGE_CGROUP=0: none). `xbuild` is this binary, the stages' supervisor (empty:
// none, as in tests with a fake runner).
StageContainment contain_stages(const std::filesystem::path& state_dir, const std::filesystem::path& xbuild,
                                Terminal& terminal);

// Writes the targets' generated files (cross files; unchanged ones are left alone) and creates
// the output, log and ccache directories. Each output directory is emptied first (every run starts from
// a clean $XBUILD_OUT), except those of the targets for which `keep_output` holds (the cache
// found them intact).
void prepare_state_dir(const Plan& plan, const std::vector<bool>& keep_output = {});

}  // namespace xb
