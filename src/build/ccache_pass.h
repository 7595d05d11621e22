// The ccache pass ([targets] ccache): before the stages, one warning when the remote storage
// does not answer (ccache then compiles with the local cache alone, and the run goes on) and
// each target's ccache counters; after them, what this run's compiles did, per platform, for
// the summary and the --metadata-file.
#pragma once

#include <map>
#include <set>
#include <string>

#include "plan/plan.h"
#include "toolchain/ccache.h"

namespace xb {

class Terminal;

using CcacheByPlatform = std::map<std::string, CcacheCounts>;

// Each target's counters by platform, read from its ccache directory (the targets of `running`,
// those with stages to run, that compile through ccache); the remote storage probed once.
CcacheByPlatform ccache_before_run(const Plan& plan, const std::set<std::string>& running, Terminal& terminal);

// What each target's compiles did since `before` (ccache_before_run), by platform.
CcacheByPlatform ccache_of_run(const Plan& plan, const CcacheByPlatform& before);

}  // namespace xb
