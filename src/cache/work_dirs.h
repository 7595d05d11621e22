// Kept directories: [stage.NAME] keep = ["build"] names directories under the platform's
// $XBUILD_WORK (<state dir>/work/<platform-slug>/) that survive between runs, so that a build
// system's own tree builds incrementally. Each is keyed by what makes its content wrong when it
// changes: the platform, the strategy, the compiler (path and version), the root filesystem or
// sysroot, and the keeping stage's configuration (command, shell, launcher, working directory,
// environment) — not its input files, whose edits are what an incremental build is for, and not
// its timeout. The key is recorded next to the directories (<state dir>/work/.keys/), and a
// directory whose recorded key differs is wiped before its stage runs.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace xb {

struct KeptDirectory {
  std::size_t job = 0;                     // the job (platform x stage) that keeps it
  std::string path;                        // as kept, relative to $XBUILD_WORK: "build"
  std::filesystem::path dir;               // on this machine: <work dir>/<path>
  std::filesystem::path record;            // <state dir>/work/.keys/<platform-slug>/<digest of path>
  std::map<std::string, std::string> key;  // "strategy", "compiler", "root", "configuration" -> value
};

// Every kept directory of the plan, in plan order. `inherited` is xbuild's environment
// (NAME=VALUE), of which only the jobs' pass_env counts. A root filesystem given as a directory
// is known by its path here, not by what it holds (as the cache keys know it): an emulated stage
// writes into it.
std::vector<KeptDirectory> kept_directories(const Plan& plan, const std::filesystem::path& project_dir,
                                            const std::vector<std::string>& inherited);

struct KeepDecision {
  enum class Action { create, reuse, wipe };
  Action action = Action::create;
  std::string why;  // wipe: "the compiler changed (...)"; create: "new"; reuse: empty
};

// What the run does with `kept`, given whether its directory `exists` and the `record` of the
// key it was made with (none: no record): reused when both are there and agree, wiped (saying
// which part of the key changed) otherwise; `clean` (--clean, --no-cache) wipes whatever is
// there and says `clean`.
KeepDecision decide(const KeptDirectory& kept, bool exists, const std::optional<std::string>& record,
                    const std::string& clean);

// decide() for a directory of this machine: its directory and record as they are on disk.
KeepDecision decide_here(const KeptDirectory& kept, const std::string& clean);

// The record of `kept`'s key, as written next to the directories.
std::string record_text(const KeptDirectory& kept);

// One line for `xbuild plan`: "reused", "new", "wiped: the compiler changed (...)".
std::string describe(const KeepDecision& decision);

}  // namespace xb
