// Computing cache keys. The project's files are listed once per run (sorted, so a digest does
// not depend on directory order); each stage's inputs digest covers the files its globs select,
// and a file's content is hashed the first time any digest needs it, so no file is read twice
// and files no stage declares are not read at all. A stage's key then hashes, as
// length-prefixed fields: a format tag, the platform, strategy and root filesystem image, the
// toolchain's compiler path and version, the command, the environment (inherited variables less
// volatile ones, overlaid by the job's own; occurrences of the project and state directories
// replaced by ${XBUILD_SRC} / ${XBUILD_STATE}), its inputs digest and the keys of the jobs it
// needs.
#include "cache/cache_key.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <set>

#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

extern char** environ;

namespace xb {

namespace fs = std::filesystem;

namespace {

// Variables that differ between two shells on the same machine and never change a build.
void add_field(Sha256& hash, std::string_view field) {
  std::string length = std::to_string(field.size()) + ":";
  hash.update(length);
  hash.update(field);
}

// A path replaced by a placeholder wherever it appears ("/" would be everywhere: left alone).
std::string replace_path(const std::string& text, const std::string& path, const std::string& placeholder) {
  return path == "/" ? text : replace_all(text, path, placeholder);
}

std::vector<std::string> read_ignore_patterns(const fs::path& project_dir) {
  std::vector<std::string> patterns;
  Result<std::string> text = read_file(project_dir / ".xbuildignore");
  if (!text) return patterns;
  for (std::string_view line : split(text.value(), '\n')) {
    std::string pattern(trim(line));
    if (pattern.empty() || pattern[0] == '#') continue;
    while (pattern.size() > 1 && pattern.back() == '/') pattern.pop_back();
    if (pattern.size() > 1 && pattern[0] == '/') pattern.erase(0, 1);
    patterns.push_back(pattern);
  }
  return patterns;
}

// The walk visits a directory before what is under it and skips an ignored one whole, so a
// glob without '/' (a name at any depth) only needs to be tried on the last component.
bool ignored(const std::string& relative, const std::vector<std::string>& patterns) {
  std::string_view name = relative;
  if (std::size_t slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  for (const std::string& pattern : patterns) {
    if (pattern.find('/') == std::string::npos ? glob_selects(pattern, name) : glob_selects(pattern, relative))
      return true;
  }
  return false;
}

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty() && part != ".") parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// Matches glob[g..] against path[p..]; a glob used up before the path selects what is under
// the directory it matched.
bool match_from(const std::vector<std::string_view>& glob, std::size_t g, const std::vector<std::string_view>& path,
                std::size_t p) {
  if (g == glob.size()) return true;
  if (glob[g] == "**") {
    for (std::size_t next = p; next <= path.size(); ++next)
      if (match_from(glob, g + 1, path, next)) return true;
    return false;
  }
  if (p == path.size()) return false;
  if (fnmatch(std::string(glob[g]).c_str(), std::string(path[p]).c_str(), 0) != 0) return false;
  return match_from(glob, g + 1, path, p + 1);
}

}  // namespace

bool glob_selects(std::string_view glob, std::string_view relative_path) {
  std::vector<std::string_view> pattern = components(glob);
  if (pattern.empty()) return false;
  return match_from(pattern, 0, components(relative_path), 0);
}

std::vector<std::string> process_environment() {
  std::vector<std::string> result;
  for (char** entry = environ; entry && *entry; ++entry) result.emplace_back(*entry);
  return result;
}

Result<ProjectInputs> ProjectInputs::scan(const fs::path& project_dir, const fs::path& state_dir,
                                          const fs::path& config_file) {
  std::vector<std::string> patterns = read_ignore_patterns(project_dir);
  fs::path state = fs::weakly_canonical(state_dir);
  ProjectInputs inputs;
  inputs.project_dir_ = project_dir;
  if (!config_file.empty()) inputs.config_file_ = config_file.lexically_relative(project_dir).generic_string();
  std::error_code error;
  fs::recursive_directory_iterator it(project_dir, fs::directory_options::none, error);
  if (error) return fail("cannot read the project directory " + project_dir.string() + ": " + error.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) return fail("cannot read the project directory " + project_dir.string() + ": " + error.message());
    std::string relative = it->path().lexically_relative(project_dir).generic_string();
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) != 0) continue;  // removed while we walked
    bool directory = S_ISDIR(info.st_mode);
    if (relative == ".git" || relative == ".xbuild" || (directory && it->path() == state) ||
        ignored(relative, patterns)) {
      if (directory) it.disable_recursion_pending();
      continue;
    }
    if (S_ISLNK(info.st_mode))
      inputs.files_.push_back({relative, "link", fs::read_symlink(it->path(), error).string()});
    else if (S_ISREG(info.st_mode))
      inputs.files_.push_back({relative, (info.st_mode & 0111) ? "exec" : "file", ""});
  }
  std::sort(inputs.files_.begin(), inputs.files_.end(),
            [](const File& a, const File& b) { return a.relative < b.relative; });
  return inputs;
}

Result<std::string> ProjectInputs::digest(const std::optional<std::vector<std::string>>& globs) {
  Sha256 hash;
  add_field(hash, "xbuild-inputs-1");
  for (File& file : files_) {
    if (globs && std::none_of(globs->begin(), globs->end(),
                              [&](const std::string& glob) { return glob_selects(glob, file.relative); }))
      continue;
    // Every file by default, but the config: what it says of a stage is in the stage's key.
    if (!globs && file.relative == config_file_) continue;
    if (file.content.empty() && file.kind != "link") {
      Result<std::string> content = sha256_file(project_dir_ / file.relative);
      if (!content) return fail(content.error());
      file.content = content.value();
      ++hashed_;
    }
    add_field(hash, file.relative);
    add_field(hash, file.kind);
    add_field(hash, file.content);
  }
  return hash.digest();
}

Result<std::string> hash_project_inputs(const fs::path& project_dir, const fs::path& state_dir) {
  Result<ProjectInputs> inputs = ProjectInputs::scan(project_dir, state_dir, {});
  if (!inputs) return fail(inputs.error());
  return inputs.value().digest(std::nullopt);
}

Result<std::map<std::string, std::string>> hash_stage_inputs(const Config& config, const fs::path& state_dir) {
  const std::vector<StageSpec>& stages = config.stages;
  Result<ProjectInputs> inputs = ProjectInputs::scan(config.directory, state_dir, config.file);
  if (!inputs) return fail(inputs.error());
  std::map<std::string, std::string> digests;
  for (const StageSpec& stage : stages) {
    Result<std::string> digest = inputs.value().digest(stage.inputs);
    if (!digest) return fail(digest.error());
    digests[stage.name] = digest.value();
  }
  return digests;
}

std::map<std::string, std::string> environment_of(const std::vector<std::string>& inherited) {
  std::map<std::string, std::string> environment;
  for (const std::string& entry : inherited) {
    std::size_t equals = entry.find('=');
    if (equals != std::string::npos && equals > 0) environment[entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  return environment;
}

std::vector<JobField> job_fields(const Plan& plan, std::size_t index, const fs::path& project_dir,
                                 const std::map<std::string, std::string>& environment,
                                 const std::vector<std::string>& rootfs_stamps) {
  const JobPlan& job = plan.jobs[index];
  const TargetPlan& target = plan.targets[job.target];
  const std::string project = project_dir.string();
  const std::string state = plan.state_dir.string();
  // The sysroot lives in the cache directory, which differs between machines; its last
  // component is its content's key. The ccache directory is there too, and what it holds never
  // changes what a compile writes: replaced first, as the cache directory may lie in the project.
  auto normalized = [&](const std::string& value) {
    std::string text = target.ccache ? replace_path(value, target.ccache->dir.string(), "${XBUILD_CCACHE}") : value;
    text = replace_path(replace_path(text, state, "${XBUILD_STATE}"), project, "${XBUILD_SRC}");
    return target.sysroot.empty() ? text : replace_all(text, target.sysroot.string(), "${XBUILD_SYSROOT}");
  };
  using Part = JobField::Part;
  std::vector<JobField> fields = {
      {Part::platform, target.platform.str()},
      {Part::strategy, strategy_name(target.strategy)},
      {Part::root, target.emulation ? target.emulation->rootfs_image : std::string()},
      {Part::root, job.target < rootfs_stamps.size() ? rootfs_stamps[job.target] : std::string()},
      {Part::root, target.sysroot.filename().string()},
      {Part::compiler, target.status.compiler ? target.status.compiler->string() : ""},
      {Part::compiler, target.status.compiler_version},
      {Part::configuration, job.stage},
      {Part::configuration, job.command}};
  for (const std::string& word : job.shell) fields.push_back({Part::configuration, word});
  // The launcher's first word is xbuild-stage (or xbuild), wherever it is installed.
  for (std::size_t word = 1; word < job.launcher.size(); ++word)
    fields.push_back({Part::configuration, normalized(job.launcher[word])});
  fields.push_back({Part::timeout, std::to_string(job.timeout_seconds)});
  fields.push_back({Part::configuration, normalized(job.working_directory.string())});
  // What the config sets and what the stage declares it reads (pass_env), never the rest of
  // the inherited environment.
  std::map<std::string, std::string> env = job.env;
  for (const std::string& name : job.pass_env)
    if (auto value = environment.find(name); value != environment.end()) env[name] = value->second;
  for (const auto& [name, value] : env) {
    fields.push_back({Part::configuration, name});
    fields.push_back({Part::configuration, normalized(value)});
  }
  return fields;
}

CacheKeys compute_cache_keys(const Plan& plan, const fs::path& project_dir,
                             const std::map<std::string, std::string>& stage_inputs,
                             const std::vector<std::string>& inherited, const std::vector<std::string>& rootfs_stamps) {
  const std::map<std::string, std::string> environment = environment_of(inherited);
  CacheKeys keys;
  keys.jobs.resize(plan.jobs.size());
  // Needs may point forward in Plan::jobs (stages keep the order they were written in), so
  // keys are computed depth first; the plan has no cycles.
  std::function<const std::string&(std::size_t)> key_of = [&](std::size_t index) -> const std::string& {
    if (!keys.jobs[index].empty()) return keys.jobs[index];
    const JobPlan& job = plan.jobs[index];
    Sha256 hash;
    add_field(hash, "xbuild-stage-3");
    for (const JobField& field : job_fields(plan, index, project_dir, environment, rootfs_stamps))
      add_field(hash, field.value);
    auto inputs = stage_inputs.find(job.stage);
    add_field(hash, inputs == stage_inputs.end() ? "" : inputs->second);
    for (std::size_t need : job.needs) add_field(hash, key_of(need));
    keys.jobs[index] = hash.digest();
    return keys.jobs[index];
  };
  for (std::size_t index = 0; index < plan.jobs.size(); ++index) key_of(index);
  keys.targets.resize(plan.targets.size());
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    Sha256 hash;
    add_field(hash, "xbuild-target-1");
    for (std::size_t index = 0; index < plan.jobs.size(); ++index)
      if (plan.jobs[index].target == target) add_field(hash, keys.jobs[index]);
    keys.targets[target] = hash.digest();
  }
  return keys;
}

std::string field_digest(const std::vector<std::string>& values) {
  Sha256 hash;
  for (const std::string& value : values) add_field(hash, value);
  return hash.digest();
}

}  // namespace xb
