// Cache keys. A stage's key is a SHA-256 over everything that can change what the stage
// writes: its command, its whole environment (volatile variables left out, the project and
// state paths replaced by placeholders so that two clones share keys), the toolchain's
// identity (compiler path and version), the platform and strategy, the project's input files
// by content, and the keys of the stages it needs. A target's key covers all its stages.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "util/error.h"

namespace xb {

// One digest over the project's files: relative path, executable bit and content of every
// regular file and symlink under `project_dir`, in sorted order. Left out: .git/, .xbuild/,
// `state_dir` when it lies inside the project, and the paths listed in `.xbuildignore` (one
// per line, a glob matched against the relative path or any of its parent directories;
// '#' starts a comment).
Result<std::string> hash_project_inputs(const std::filesystem::path& project_dir,
                                        const std::filesystem::path& state_dir);

struct CacheKeys {
  std::vector<std::string> jobs;     // parallel to Plan::jobs
  std::vector<std::string> targets;  // parallel to Plan::targets
};

// `inherited` is the environment the jobs inherit (xbuild's own), as NAME=VALUE strings.
CacheKeys compute_cache_keys(const Plan& plan, const std::filesystem::path& project_dir,
                             const std::string& inputs_digest, const std::vector<std::string>& inherited);

// The process environment, as NAME=VALUE strings.
std::vector<std::string> process_environment();

}  // namespace xb
