// Cache keys. A stage's key is a SHA-256 over everything that can change what the stage
// writes: its command, shell and launcher, the environment the config gives it and the variables
// it declares it reads (pass_env; the rest of the inherited environment never: a CI run's
// variables change no key), with the project, state and sysroot paths replaced by placeholders
// so that two clones share keys, the toolchain's identity (compiler path and version), the
// platform and strategy, its root filesystem's or sysroot's identity, the project files it
// declares as its inputs (`inputs` globs; by default every project file but the config, whose
// part in the stage is in the key already) by content, and the keys of the stages it needs. A
// target's key is a hash over its stages' keys.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.h"
#include "plan/plan.h"
#include "util/error.h"

namespace xb {

// Whether `glob` selects `relative_path` (relative to the project, '/'-separated). Both are
// compared component by component: '*', '?' and [...] match within one component (fnmatch(3),
// so '*' also matches names starting with '.'), "**" matches any number of components, none
// included. A glob that matches a directory selects everything under it ("src" and "src/**"
// select the same files). Empty and "." components are ignored.
bool glob_selects(std::string_view glob, std::string_view relative_path);

// The project's input files, listed once per run: every regular file and symlink under the
// project directory, less .git/, .xbuild/, the state directory when it lies inside the
// project, and the paths `.xbuildignore` lists (one glob per line, as glob_selects reads it; a
// glob without '/' matches a file or directory of that name at any depth; '#' starts a
// comment). A file's content is hashed the first time a digest needs it, and only then.
class ProjectInputs {
 public:
  // `config_file`: the project's xbuild.toml, left out of the default (every file) digest.
  static Result<ProjectInputs> scan(const std::filesystem::path& project_dir, const std::filesystem::path& state_dir,
                                    const std::filesystem::path& config_file);

  // One digest over the files `globs` select (every file when absent; none when empty): the
  // relative path, the executable bit (a symlink: its target) and the content of each, in
  // sorted order.
  Result<std::string> digest(const std::optional<std::vector<std::string>>& globs);

  std::size_t file_count() const { return files_.size(); }
  std::size_t files_hashed() const { return hashed_; }  // content reads so far

 private:
  struct File {
    std::string relative;
    std::string kind;     // "file", "exec" or "link"
    std::string content;  // the content's digest or the link's target; empty until needed
  };
  std::filesystem::path project_dir_;
  std::string config_file_;  // relative
  std::vector<File> files_;  // sorted by relative path
  std::size_t hashed_ = 0;
};

// The digest over every project input file (ProjectInputs::digest without globs).
Result<std::string> hash_project_inputs(const std::filesystem::path& project_dir,
                                        const std::filesystem::path& state_dir);

// Each stage's inputs digest, by stage name; the project is walked once and no file is hashed
// twice.
Result<std::map<std::string, std::string>> hash_stage_inputs(const Config& config,
                                                             const std::filesystem::path& state_dir);

struct CacheKeys {
  std::vector<std::string> jobs;     // parallel to Plan::jobs
  std::vector<std::string> targets;  // parallel to Plan::targets
};

// `stage_inputs` maps a stage name to its inputs digest (hash_stage_inputs); `inherited` is the
// environment the jobs inherit (xbuild's own), as NAME=VALUE strings, of which only the jobs'
// pass_env count; `rootfs_stamps` (parallel to Plan::targets, or empty) the stamp of a root
// filesystem given as a directory (what it holds, directory_stamp()).
CacheKeys compute_cache_keys(const Plan& plan, const std::filesystem::path& project_dir,
                             const std::map<std::string, std::string>& stage_inputs,
                             const std::vector<std::string>& inherited,
                             const std::vector<std::string>& rootfs_stamps = {});

// One field of what decides a job's output besides its input files and the jobs it needs, and
// which part of the job it belongs to: a kept directory ($XBUILD_WORK) is wiped when any part but
// the timeout changes.
struct JobField {
  enum class Part { platform, strategy, root, compiler, timeout, configuration };
  Part part;
  std::string value;
};

// The fields of job `index`, in the order its cache key hashes them, with the project, state and
// sysroot paths replaced by placeholders; `environment` is xbuild's own (environment_of()), of
// which only the job's pass_env counts.
std::vector<JobField> job_fields(const Plan& plan, std::size_t index, const std::filesystem::path& project_dir,
                                 const std::map<std::string, std::string>& environment,
                                 const std::vector<std::string>& rootfs_stamps);

// NAME=VALUE strings as a map.
std::map<std::string, std::string> environment_of(const std::vector<std::string>& inherited);

// A SHA-256 over length-prefixed values ("sha256:<hex>").
std::string field_digest(const std::vector<std::string>& values);

// The process environment, as NAME=VALUE strings.
std::vector<std::string> process_environment();

}  // namespace xb
