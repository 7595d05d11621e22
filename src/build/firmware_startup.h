// Before the stages of bare-metal targets run: each one's startup object compiled
// (firmware/startup.h), as LDFLAGS and the generated CMake and Meson files name it.
#pragma once

#include <set>
#include <string>

#include "plan/plan.h"

namespace xb {

class Terminal;

// Compiles the startup of every bare-metal target in `running` (the platforms with stages to
// run) whose object is missing or stale, with a line for each; a compile that fails ends the run
// with the compiler's output.
void compile_firmware_startups(const Plan& plan, const std::set<std::string>& running, Terminal& terminal);

}  // namespace xb
