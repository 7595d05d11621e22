// Remote builders ([builder.NAME] in xbuild.toml): the platforms a builder declares are routed to
// it and built natively there over OpenSSH; every other platform stays local.
#pragma once

#include <string>
#include <vector>

#include "config/model.h"
#include "plan/plan.h"

namespace xb {

// The ssh command line for a builder: ssh [-F FILE] [-p PORT] -o BatchMode=yes
// -o ConnectTimeout=10. Host keys are checked by OpenSSH as configured (never turned off).
std::vector<std::string> ssh_argv(const BuilderSpec& builder);

// The directory on the builder for one target: DIR/<project>-<12 hex of the project path>/<slug>.
std::string remote_directory(const Config& config, const BuilderSpec& builder, const Platform& platform);

// Routes each target a builder declares to it: native strategy on the builder, no local
// toolchain or problems; each job becomes a local script that copies the sources there (rsync
// over ssh, .xbuild left out), runs the stage there with $XBUILD_SRC/$XBUILD_OUT on the builder,
// $CC=cc, $CXX=c++ and the config's env, then copies the outputs back into the local $XBUILD_OUT.
// With jobs = N, a job first waits for one of N lock files under <state dir>/builders/NAME.
void route_to_builders(const Config& config, Plan& plan);

// Before the run: reaches every builder the plan uses and prepares its directories (an empty
// out/). A builder that cannot be reached fails its platforms' jobs with a message naming it and
// ssh's error, or — with fallback = "local" — gives them back to `local` (the plan before
// routing). Returns the lines to print, one per builder that was not reached.
std::vector<std::string> reach_builders(const Config& config, Plan& plan, const Plan& local);

}  // namespace xb
