// The kept directories of a run (cache/work_dirs.h): each platform's $XBUILD_WORK made, what no
// stage keeps removed from it, and each kept directory of a stage that runs reused, made, or
// wiped with one line saying why, its key recorded. A stage the cache restores is not rebuilt,
// so its kept directories are left as they are. Remote builders keep theirs on the builder
// (build/prepare.h reset_builders).
#pragma once

#include <string>
#include <vector>

#include "cache/work_dirs.h"
#include "plan/plan.h"

namespace xb {

class Terminal;

// `clean`: why every kept directory starts empty ("--clean", "--no-cache"), or "".
void prepare_work_dirs(const Plan& plan, const std::vector<KeptDirectory>& kept, const std::vector<bool>& cached,
                       const std::string& clean, Terminal& terminal);

// `xbuild plan`'s lines about them: per stage, each kept directory and whether the next run
// reuses or wipes it, and why ("" when no stage keeps anything).
std::string render_kept(const Plan& plan, const std::vector<KeptDirectory>& kept);

}  // namespace xb
