// How a stage runs on a remote builder. Routing happens after planning: a target that a
// [builder.NAME] declares keeps its place in the plan (so the index keeps config order) but
// becomes "native on the builder", and each of its jobs becomes a small local shell script the
// scheduler spawns like any other job:
//   1. rsync -a --delete the project directory (without .xbuild) to <dir>/src on the builder;
//   2. ssh to the builder: cd there, export XBUILD_SRC/XBUILD_OUT as its own paths, and run the
//      stage with /bin/sh -c under the config's environment (plus CC=cc, CXX=c++ and an empty
//      XBUILD_EXEC: the builder is native for the platform);
//   3. rsync -a --delete <dir>/out/ back into the local $XBUILD_OUT, whatever the stage's status,
//      and exit with the stage's status.
// Packaging then reads $XBUILD_OUT as for a local target. Before the run, each builder is reached
// once per target (`mkdir -p` of its directories and a fresh out/), which is also the check that
// it is reachable; host keys are verified by OpenSSH from the user's (or the given) ssh config.
// A builder's `jobs = N` caps its concurrent stages with N flock'ed slot files in the local state
// directory: a job holds one slot for its whole life (waiting jobs still count against -j).
#include "remote/builder.h"

#include <algorithm>

#include "util/probe.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

const BuilderSpec* builder_for(const Config& config, const Platform& platform) {
  for (const BuilderSpec& builder : config.builders)
    if (std::find(builder.platforms.begin(), builder.platforms.end(), platform) != builder.platforms.end())
      return &builder;
  return nullptr;
}

std::string describe(const BuilderSpec& builder) {
  return "builder " + builder.name + " (ssh " + builder.ssh +
         (builder.port ? " port " + std::to_string(builder.port) : "") + ")";
}

// The stage's environment on the builder: the config's env (target-wide < platform override <
// stage < stage override), on top of what a native build there needs.
std::map<std::string, std::string> remote_env(const Config& config, const Plan& plan, const TargetPlan& target,
                                              const std::string& stage) {
  std::map<std::string, std::string> env = {{"XBUILD_PLATFORM", target.platform.str()},
                                            {"SOURCE_DATE_EPOCH", std::to_string(plan.source_date_epoch)},
                                            {"XBUILD_EXEC", ""},
                                            {"CC", "cc"},
                                            {"CXX", "c++"}};
  const PlatformOverride* override_spec = nullptr;
  if (auto it = config.overrides.find(target.platform.str()); it != config.overrides.end()) override_spec = &it->second;
  if (override_spec)
    for (const auto& [key, value] : override_spec->env) env[key] = value;
  for (const StageSpec& spec : config.stages)
    if (spec.name == stage)
      for (const auto& [key, value] : spec.env) env[key] = value;
  if (override_spec)
    if (auto it = override_spec->stages.find(stage); it != override_spec->stages.end())
      for (const auto& [key, value] : it->second.env) env[key] = value;
  return env;
}

// jobs = N: before anything else, the job takes one of N lock files (flock on fd 9, held by the
// script and its ssh/rsync children until they exit), polling every 0.1 s while all are taken.
std::string slot_wait(const fs::path& lock_dir, unsigned slots) {
  std::string dir = shell_quote(lock_dir.string());
  return "mkdir -p " + dir + " && while :; do for slot in $(seq " + std::to_string(slots) + "); do exec 9>" + dir +
         "/slot-$slot; flock -n 9 && break 2; done; sleep 0.1; done\n";
}

std::string failing_command(const std::string& message) { return "echo " + shell_quote(message) + " >&2; exit 255"; }

}  // namespace

std::vector<std::string> ssh_argv(const BuilderSpec& builder) {
  std::vector<std::string> argv = {"ssh"};
  if (!builder.ssh_config.empty()) argv.insert(argv.end(), {"-F", builder.ssh_config.string()});
  if (builder.port) argv.insert(argv.end(), {"-p", std::to_string(builder.port)});
  argv.insert(argv.end(), {"-o", "BatchMode=yes", "-o", "ConnectTimeout=10"});
  return argv;
}

std::string remote_directory(const Config& config, const BuilderSpec& builder, const Platform& platform) {
  std::string hash = sha256_digest(config.directory.string()).substr(7, 12);
  std::string project = config.project.name.empty() ? "project" : config.project.name;
  return builder.dir + "/" + project + "-" + hash + "/" + platform.slug();
}

void route_to_builders(const Config& config, Plan& plan) {
  for (std::size_t t = 0; t < plan.targets.size(); ++t) {
    TargetPlan& target = plan.targets[t];
    const BuilderSpec* builder = builder_for(config, target.platform);
    if (!builder) continue;
    target.builder = builder->name;
    target.strategy = Strategy::native;
    target.reason = "[builder." + builder->name + "] declares it: native on " + builder->ssh;
    target.toolchain.reset();
    target.status = {};
    target.problems.clear();
    target.exec_prefix.clear();
    target.meson_cross_file.clear();
    target.cmake_toolchain_file.clear();
    target.rootfs.clear();

    std::string ssh = shell_join(ssh_argv(*builder));
    std::string dir = remote_directory(config, *builder, target.platform);
    std::string host = shell_quote(builder->ssh);
    for (JobPlan& job : plan.jobs) {
      if (job.target != t) continue;
      std::vector<std::string> env_words = {"env"};
      for (const auto& [key, value] : remote_env(config, plan, target, job.stage))
        env_words.push_back(key + "=" + value);
      std::string remote = "cd " + shell_quote(dir) +
                           " && export XBUILD_SRC=\"$PWD/src\" XBUILD_OUT=\"$PWD/out\" && cd src && exec " +
                           shell_join(env_words) + " /bin/sh -c " + shell_quote(job.command);
      std::string where = describe(*builder);
      job.command = builder->jobs ? slot_wait(plan.state_dir / "builders" / builder->name, builder->jobs) : "";
      job.command +=
          "rsync -a --delete --exclude=/.xbuild -e " + shell_quote(ssh) + " " +
          shell_quote(config.directory.string() + "/") + " " + shell_quote(builder->ssh + ":" + dir + "/src/") +
          " || { echo " + shell_quote("xbuild: cannot copy the sources to " + where) + " >&2; exit 255; }\n" + ssh +
          " " + host + " " + shell_quote(remote) + "\nstatus=$?\nrsync -a --delete -e " + shell_quote(ssh) + " " +
          shell_quote(builder->ssh + ":" + dir + "/out/") + " \"$XBUILD_OUT/\" || { echo " +
          shell_quote("xbuild: cannot copy the outputs back from " + where) + " >&2; exit 255; }\nexit $status";
      job.working_directory = config.directory;
    }
  }
}

std::vector<std::string> reach_builders(const Config& config, Plan& plan, const Plan& local) {
  std::vector<std::string> lines;
  for (std::size_t t = 0; t < plan.targets.size(); ++t) {
    TargetPlan& target = plan.targets[t];
    if (target.builder.empty()) continue;
    const BuilderSpec* builder = builder_for(config, target.platform);
    std::string dir = shell_quote(remote_directory(config, *builder, target.platform));
    std::vector<std::string> argv = ssh_argv(*builder);
    argv.push_back(builder->ssh);
    argv.push_back("mkdir -p " + dir + "/src && rm -rf " + dir + "/out && mkdir " + dir + "/out");
    ProbeOptions probe;
    probe.timeout = std::chrono::seconds(30);
    Result<std::string> reached =
        probe_output({"/bin/sh", "-c", shell_join(argv) + " </dev/null 2>&1; echo \"xbuild-status=$?\""}, probe);
    std::string output = reached ? reached.value() : reached.error();
    if (reached && output.find("xbuild-status=0") != std::string::npos) continue;
    std::string error(trim(output.substr(0, output.rfind("xbuild-status="))));
    if (std::size_t newline = error.rfind('\n'); newline != std::string::npos) error = error.substr(newline + 1);
    if (error.empty()) error = "ssh failed";
    std::string unreachable = describe(*builder) + " is unreachable: " + error;
    if (builder->fallback_local) {
      plan.targets[t] = local.targets[t];
      for (std::size_t j = 0; j < plan.jobs.size(); ++j)
        if (plan.jobs[j].target == t) plan.jobs[j] = local.jobs[j];
      lines.push_back("xbuild: " + unreachable + "; building " + target.platform.str() +
                      " here instead (fallback = \"local\")");
      if (!plan.targets[t].problems.empty())
        lines.back() += "; but here it cannot: " + join(plan.targets[t].problems, "; ");
      continue;
    }
    for (JobPlan& job : plan.jobs)
      if (job.target == t) job.command = failing_command("xbuild: " + unreachable);
    lines.push_back("xbuild: " + unreachable + "; " + target.platform.str() +
                    " fails (fallback = \"local\" in [builder." + builder->name + "] would build it here instead)");
  }
  return lines;
}

}  // namespace xb
