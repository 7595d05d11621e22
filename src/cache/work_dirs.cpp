// Kept directories and their keys: see work_dirs.h. A record is a few lines "part value", one
// per part of the key, so that a changed key can say which part changed.
#include "cache/work_dirs.h"

#include "cache/cache_key.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

const char* part_name(JobField::Part part) {
  switch (part) {
    case JobField::Part::platform:
      return "platform";
    case JobField::Part::strategy:
      return "strategy";
    case JobField::Part::root:
      return "root";
    case JobField::Part::compiler:
      return "compiler";
    case JobField::Part::timeout:
      return "timeout";
    case JobField::Part::configuration:
      return "configuration";
  }
  return "";
}

// The key of a job's kept directories: the strategy and the compiler as they read, the root
// filesystem or sysroot and the configuration as digests (they are long).
std::map<std::string, std::string> work_key(const std::vector<JobField>& fields) {
  std::map<std::string, std::vector<std::string>> parts;
  for (const JobField& field : fields)
    if (field.part != JobField::Part::timeout) parts[part_name(field.part)].push_back(field.value);
  std::map<std::string, std::string> key;
  key["platform"] = join(parts["platform"], " ");
  key["strategy"] = join(parts["strategy"], " ");
  key["compiler"] = trim(join(parts["compiler"], " "));
  key["root"] = field_digest(parts["root"]);
  key["configuration"] = field_digest(parts["configuration"]);
  return key;
}

std::map<std::string, std::string> parse_record(const std::string& text) {
  std::map<std::string, std::string> key;
  for (const std::string& line : split(text, '\n')) {
    std::size_t space = line.find(' ');
    if (space != std::string::npos && line.substr(0, space) != "path")
      key[line.substr(0, space)] = line.substr(space + 1);
  }
  return key;
}

std::string shown(const std::string& value) { return value.empty() ? "none" : value; }

}  // namespace

std::vector<KeptDirectory> kept_directories(const Plan& plan, const fs::path& project_dir,
                                            const std::vector<std::string>& inherited) {
  const std::map<std::string, std::string> environment = environment_of(inherited);
  std::vector<std::string> rootfs_paths(plan.targets.size());
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    const std::optional<EmulationPlan>& emulation = plan.targets[target].emulation;
    if (emulation && emulation->rootfs_image.empty()) rootfs_paths[target] = emulation->rootfs.string();
  }
  std::vector<KeptDirectory> kept;
  for (std::size_t index = 0; index < plan.jobs.size(); ++index) {
    const JobPlan& job = plan.jobs[index];
    if (job.keep.empty()) continue;
    const TargetPlan& target = plan.targets[job.target];
    std::map<std::string, std::string> key = work_key(job_fields(plan, index, project_dir, environment, rootfs_paths));
    for (const std::string& path : job.keep) {
      KeptDirectory directory;
      directory.job = index;
      directory.path = path;
      directory.dir = target.work_dir / path;
      directory.record = plan.state_dir / "work" / ".keys" / target.platform.slug() /
                         field_digest({path}).substr(std::string("sha256:").size(), 16);
      directory.key = key;
      kept.push_back(std::move(directory));
    }
  }
  return kept;
}

std::string record_text(const KeptDirectory& kept) {
  std::string text = "path " + kept.path + "\n";
  for (const auto& [part, value] : kept.key) text += part + " " + value + "\n";
  return text;
}

KeepDecision decide(const KeptDirectory& kept, bool exists, const std::optional<std::string>& record,
                    const std::string& clean) {
  using Action = KeepDecision::Action;
  if (!exists) return {Action::create, "new"};
  if (!clean.empty()) return {Action::wipe, clean};
  if (!record) return {Action::wipe, "no record of what it was built with"};
  std::map<std::string, std::string> recorded = parse_record(*record);
  auto differs = [&](const char* part) { return recorded[part] != kept.key.at(part); };
  if (differs("strategy"))
    return {Action::wipe,
            "the strategy changed (" + shown(recorded["strategy"]) + " -> " + kept.key.at("strategy") + ")"};
  if (differs("compiler"))
    return {Action::wipe,
            "the compiler changed (" + shown(recorded["compiler"]) + " -> " + shown(kept.key.at("compiler")) + ")"};
  if (differs("root")) return {Action::wipe, "the root filesystem or sysroot changed (its packages or image)"};
  if (differs("configuration"))
    return {Action::wipe, "the stage's configuration changed (its command, shell or environment)"};
  if (differs("platform")) return {Action::wipe, "its record names another platform"};
  return {Action::reuse, ""};
}

KeepDecision decide_here(const KeptDirectory& kept, const std::string& clean) {
  std::error_code error;
  bool exists = fs::is_directory(kept.dir, error);
  Result<std::string> record = read_file(kept.record);
  return decide(kept, exists, record ? std::optional<std::string>(record.value()) : std::nullopt, clean);
}

std::string describe(const KeepDecision& decision) {
  switch (decision.action) {
    case KeepDecision::Action::create:
      return "new";
    case KeepDecision::Action::reuse:
      return "reused";
    case KeepDecision::Action::wipe:
      return "wiped: " + decision.why;
  }
  return "";
}

}  // namespace xb
