// How a stage runs on a remote builder. The target keeps its place in the plan (so the index
// keeps config order) but is "native on the builder", and each of its jobs is a small local
// shell script that the scheduler spawns like any other job:
//   1. rsync -a --delete the project directory (without .xbuild) to <dir>/src on the builder;
//   2. ssh to the builder: cd there, export XBUILD_SRC/XBUILD_OUT as its own paths, and run the
//      stage in its shell (/bin/sh -e -c) under the config's environment (plus CC=cc, CXX=c++ and an empty
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

// jobs = N: before anything else, the job takes one of N lock files (flock on fd 9, held by the
// script and its ssh/rsync children until they exit), polling every 0.1 s while all are taken.
std::string slot_wait(const fs::path& lock_dir, unsigned slots) {
  std::string dir = shell_quote(lock_dir.string());
  return "mkdir -p " + dir + " && while :; do for slot in $(seq " + std::to_string(slots) + "); do exec 9>" + dir +
         "/slot-$slot; flock -n 9 && break 2; done; sleep 0.1; done\n";
}

}  // namespace

const BuilderSpec* builder_for(const Config& config, const Platform& platform) {
  for (const BuilderSpec& builder : config.builders)
    if (std::find(builder.platforms.begin(), builder.platforms.end(), platform) != builder.platforms.end())
      return &builder;
  return nullptr;
}

std::string describe_builder(const BuilderSpec& builder) {
  return "builder " + builder.name + " (ssh " + builder.ssh +
         (builder.port ? " port " + std::to_string(builder.port) : "") + ")";
}

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

std::string remote_stage_script(const Config& config, const BuilderSpec& builder, const Platform& platform,
                                const std::map<std::string, std::string>& env, const std::vector<std::string>& shell,
                                const std::string& command, const fs::path& slots_dir) {
  std::string ssh = shell_join(ssh_argv(builder));
  std::string dir = remote_directory(config, builder, platform);
  std::vector<std::string> env_words = {"env"};
  for (const auto& [key, value] : env) env_words.push_back(key + "=" + value);
  std::string remote =
      "cd " + shell_quote(dir) +
      " && export XBUILD_SRC=\"$PWD/src\" XBUILD_OUT=\"$PWD/out\" XBUILD_WORK=\"$PWD/work\" && cd src && exec " +
      shell_join(env_words) + " " + shell_join(shell) + " " + shell_quote(command);
  std::string where = describe_builder(builder);
  std::string script = builder.jobs ? slot_wait(slots_dir, builder.jobs) : "";
  script += "rsync -a --delete --exclude=/.xbuild -e " + shell_quote(ssh) + " " +
            shell_quote(config.directory.string() + "/") + " " + shell_quote(builder.ssh + ":" + dir + "/src/") +
            " || { echo " + shell_quote("xbuild: cannot copy the sources to " + where) + " >&2; exit 255; }\n" + ssh +
            " " + shell_quote(builder.ssh) + " " + shell_quote(remote) + "\nstatus=$?\nrsync -a --delete -e " +
            shell_quote(ssh) + " " + shell_quote(builder.ssh + ":" + dir + "/out/") + " \"$XBUILD_OUT/\" || { echo " +
            shell_quote("xbuild: cannot copy the outputs back from " + where) + " >&2; exit 255; }\nexit $status";
  return script;
}

std::string failing_script(const std::string& message) { return "echo " + shell_quote(message) + " >&2; exit 255"; }

namespace {

// Runs `command` on the builder; the last line ssh (or the command) printed when it fails.
Result<std::string> run_on_builder(const BuilderSpec& builder, const std::string& command) {
  std::vector<std::string> argv = ssh_argv(builder);
  argv.push_back(builder.ssh);
  argv.push_back(command);
  ProbeOptions probe;
  probe.timeout = std::chrono::seconds(30);
  Result<std::string> reached =
      probe_output({"/bin/sh", "-c", shell_join(argv) + " </dev/null 2>&1; echo \"xbuild-status=$?\""}, probe);
  std::string output = reached ? reached.value() : reached.error();
  if (reached && output.find("xbuild-status=0") != std::string::npos) return output;
  std::string error(trim(output.substr(0, output.rfind("xbuild-status="))));
  if (std::size_t newline = error.rfind('\n'); newline != std::string::npos) error = error.substr(newline + 1);
  return fail(error.empty() ? "ssh failed" : error);
}

}  // namespace

std::map<std::string, std::string> reach_builders(const Config& config) {
  std::map<std::string, std::string> unreachable;
  for (const Platform& platform : config.platforms) {
    const BuilderSpec* builder = builder_for(config, platform);
    if (!builder || unreachable.count(builder->name)) continue;
    std::string dir = shell_quote(remote_directory(config, *builder, platform));
    if (Result<std::string> reached = run_on_builder(*builder, "mkdir -p " + dir + "/src"); !reached)
      unreachable[builder->name] = reached.error();
  }
  return unreachable;
}

namespace {

// The lines that bring one kept directory on the builder to its key (run in the platform's
// directory there), printing "xbuild-wiped ID" and the old record's lines as "xbuild-old ID ..."
// when it wipes it.
std::string keep_script(const RemoteKept& kept) {
  const std::string dir = shell_quote("work/" + kept.path);
  const std::string record = shell_quote("keys/" + kept.id);
  const std::string want = shell_quote(kept.record);
  const std::string id = shell_quote(kept.id);
  return "if [ -d " + dir + " ]; then if " + (kept.clean ? "true" : "! printf %s " + want + " | cmp -s - " + record) +
         "; then echo xbuild-wiped " + id + "; if [ -f " + record + " ]; then sed " +
         shell_quote("s/^/xbuild-old " + kept.id + " /") + " " + record + "; else echo xbuild-norecord " + id +
         "; fi; rm -rf " + dir + "; fi; fi && mkdir -p " + dir + " && printf %s " + want + " >" + record + " && ";
}

}  // namespace

Result<std::map<std::string, std::optional<std::string>>> reset_builder(const Config& config, const Platform& platform,
                                                                        const std::vector<RemoteKept>& kept,
                                                                        const std::set<std::string>& kept_names) {
  std::map<std::string, std::optional<std::string>> wiped;
  const BuilderSpec* builder = builder_for(config, platform);
  if (!builder) return wiped;
  const std::string dir = remote_directory(config, *builder, platform);
  std::string script = "cd " + shell_quote(dir) + " && rm -rf out && mkdir -p out work keys && ";
  // Only kept directories survive in work/, as they do here.
  std::string keep_case;
  for (const std::string& name : kept_names) keep_case += (keep_case.empty() ? "" : "|") + shell_quote(name);
  script += "(cd work && for entry in * .[!.]* ..?*; do case \"$entry\" in " +
            (keep_case.empty() ? std::string() : keep_case + ") ;; ") +
            "*) if [ -e \"$entry\" ] || [ -L \"$entry\" ]; then rm -rf -- \"$entry\"; fi ;; esac; done) && ";
  for (const RemoteKept& one : kept) script += keep_script(one);
  script += "true";
  Result<std::string> reset = run_on_builder(*builder, script);
  if (!reset) return fail(describe_builder(*builder) + ": cannot prepare " + dir + ": " + reset.error());
  for (const std::string& line : split(reset.value(), '\n')) {
    std::vector<std::string> words = split(line, ' ');
    if (words.size() >= 2 && words[0] == "xbuild-wiped") wiped[words[1]];
    if (words.size() >= 2 && words[0] == "xbuild-old") {
      std::optional<std::string>& record = wiped[words[1]];
      record = record.value_or("") + line.substr(std::string("xbuild-old ").size() + words[1].size() + 1) + "\n";
    }
  }
  return wiped;
}

}  // namespace xb
