// Planning picks, for every target platform, how it builds and what runs its binaries:
//   native  - the target is the host: the host's own toolchain, binaries run directly;
//   cross   - a toolchain file in toolchains/ names the target: its compilers in the stage
//             environment, binaries run through its runner (qemu-user with -L sysroot);
//   emulate - the stage runs chrooted inside a root filesystem of the target (`rootfs`), its
//             binaries run by QEMU through binfmt_misc; the job's command becomes
//             `xbuild __sandbox ... -- /bin/sh -c <stage>` with guest paths in the environment.
// "auto" takes the first that applies, in that order, and records why. Then every stage of
// every target becomes a job whose environment is the toolchain's plus the config's, layered
// target-wide env < platform override env < stage env < stage override env. Discovery results
// that stop a target (a missing compiler, a missing runner) are collected as problems that name
// the Debian packages to install; nothing is created on disk until prepare_state_dir().
// A bare-metal target (none/arm/<name>) always crosses: its data file in toolchains/firmware/
// gives the compiler, flags and QEMU board, and its tests run through `xbuild firmware test`.
#include "plan/plan.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "emulate/qemu_catalog.h"
#include "emulate/rootfs.h"
#include "emulate/sandbox.h"
#include "toolchain/cross_files.h"
#include "toolchain/environment.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

std::string JobPlan::label() const {
  return env.count("XBUILD_PLATFORM") ? env.at("XBUILD_PLATFORM") + " " + stage : stage;
}

bool Plan::ready() const {
  return std::all_of(targets.begin(), targets.end(), [](const TargetPlan& t) { return t.problems.empty(); });
}

namespace {

void resolve_strategy(TargetPlan& target, Strategy requested, const Platform& host, const Toolchain* toolchain) {
  bool is_host = target.platform == host;
  std::string name = target.platform.str();
  switch (requested) {
    case Strategy::automatic:
      if (is_host && toolchain) {
        target.strategy = Strategy::native;
        target.reason = "auto: the target is the host platform";
      } else if (toolchain) {
        target.strategy = Strategy::cross;
        target.reason = "auto: cross toolchain " + toolchain->triple + " (toolchains/" + toolchain->id + ".toml)";
      } else {
        target.strategy = Strategy::emulate;
        target.reason = "auto: no cross toolchain for " + name;
      }
      return;
    case Strategy::native:
      target.strategy = Strategy::native;
      target.reason = "requested in [platform.\"" + name + "\"]";
      if (!is_host)
        target.problems.push_back("strategy \"native\" needs the target to be the host platform " + host.str() +
                                  "; use \"cross\" or \"auto\"");
      else if (!toolchain)
        target.problems.push_back("no toolchain in toolchains/ describes the host platform " + name);
      return;
    case Strategy::cross:
      target.strategy = Strategy::cross;
      target.reason = "requested in [platform.\"" + name + "\"]";
      if (!toolchain) target.problems.push_back("no toolchain in toolchains/ builds " + name + "; use \"auto\"");
      return;
    case Strategy::emulate:
      target.strategy = Strategy::emulate;
      target.reason = "requested in [platform.\"" + name + "\"]";
      return;
  }
}

// What an emulated target needs: a root filesystem, QEMU for its architecture, and root.
void plan_emulation(TargetPlan& target, const PlatformOverride* override_spec, const Config& config,
                    const PlanOptions& options, const fs::path& state_dir) {
  std::string name = target.platform.str();
  if (!override_spec || !override_spec->rootfs) {
    target.problems.push_back(
        "strategy \"emulate\" needs a root filesystem of the target: set rootfs = \"DIR\" in [platform.\"" + name +
        "\"]");
  } else {
    Result<RootfsPlan> rootfs = plan_rootfs(*override_spec->rootfs, config.directory, state_dir, target.platform);
    if (rootfs) {
      target.rootfs = rootfs.value().dir;
      target.rootfs_image = rootfs.value().image;
      target.rootfs_layers = rootfs.value().layers;
    } else
      target.problems.push_back(rootfs.error());
  }
  const QemuArch* arch = options.qemu ? options.qemu->find(target.platform) : nullptr;
  if (!arch) {
    target.problems.push_back("no qemu/*.toml describes " + name + ", so QEMU cannot run its binaries");
  } else {
    target.qemu_arch = arch->arch;
    target.qemu_interpreter = arch->interpreter;
    std::error_code ec;
    if (!fs::exists(arch->interpreter, ec)) {
      target.problems.push_back("missing " + arch->interpreter.string() + " (install " + arch->package + ")");
      target.status.missing_packages.push_back(arch->package);
    }
  }
  if (!options.root)
    target.problems.push_back(
        "strategy \"emulate\" needs root (binfmt_misc, mounts and chroot): run xbuild as root, or use strategy "
        "\"cross\"");
}

// A bare-metal target: its data file, a Toolchain standing for its compiler (discovery, the
// compiler's identity in cache keys, `xbuild plan`), and qemu-system-arm for its tests.
void plan_firmware(TargetPlan& target, const Config& config, const PlanOptions& options,
                   const Result<std::vector<firmware::Target>>& known, ToolFinder& finder) {
  target.strategy = Strategy::cross;
  target.reason = "bare metal";
  const std::string& name = target.platform.variant;
  if (!known) {
    target.problems.push_back(known.error());
    return;
  }
  std::vector<std::string> names;
  const firmware::Target* found = nullptr;
  for (const firmware::Target& candidate : known.value()) {
    names.push_back(candidate.name);
    if (candidate.name == name) found = &candidate;
  }
  if (!found || target.platform.architecture != "arm") {
    std::string hint = closest_match(name, names);
    std::string example = !hint.empty() ? hint : !names.empty() ? names.front() : "cortex-m4";
    target.problems.push_back("no bare-metal target " + target.platform.str() + " in " + options.firmware_dir.string() +
                              (hint.empty() ? "" : "; did you mean " + hint + "?") + " (known: " + join(names, ", ") +
                              "; write them as [targets] firmware = [\"" + example + "\"])");
    return;
  }
  const firmware::Target& chosen = *found;
  target.reason = "bare metal: " + chosen.triple + " for " + chosen.cpu + " (toolchains/firmware/" + chosen.name +
                  ".toml), tests on qemu-system-arm -M " + chosen.machine;
  Toolchain toolchain;
  toolchain.id = "firmware/" + chosen.name;
  toolchain.platform = target.platform;
  toolchain.triple = chosen.triple;
  toolchain.sysroot = "/usr/lib/" + chosen.triple;  // newlib: <sysroot>/include/stdio.h
  std::map<std::string, std::string> env = firmware::stage_environment(chosen, "xbuild", {}, {});
  for (const char* tool : {"CC", "CXX", "AR", "RANLIB", "STRIP", "LD", "OBJCOPY", "NM", "SIZE"})
    toolchain.tools[tool] = env[tool];
  toolchain.runner = {"qemu-system-arm"};
  toolchain.meson = {"none", "arm", chosen.cpu, "little"};
  toolchain.cmake = {"Generic", "arm"};
  toolchain.packages = chosen.packages;
  toolchain.source = options.firmware_dir / (chosen.name + ".toml");
  target.status = discover(toolchain, finder);
  for (const std::string& missing : target.status.missing) target.problems.push_back("missing " + missing);
  target.toolchain = std::move(toolchain);
  fs::path xbuild = options.xbuild_binary.empty() ? fs::path("xbuild") : options.xbuild_binary;
  target.exec_prefix = {xbuild.string(), "firmware", "test", "--target", chosen.name};
  target.firmware = chosen;
  target.firmware_elf = target.output_dir / config.firmware.elf;
}

}  // namespace

Plan make_plan(const Config& config, const ToolchainCatalog& catalog, ToolFinder& finder, const PlanOptions& options) {
  Plan plan;
  plan.state_dir = options.state_dir.empty() ? config.directory / ".xbuild" : options.state_dir;
  plan.source_date_epoch = options.source_date_epoch;
  plan.host = options.host;

  std::optional<Result<std::vector<firmware::Target>>> firmware_targets;  // read for the first bare-metal target
  for (const Platform& platform : config.platforms) {
    TargetPlan target;
    target.platform = platform;
    const PlatformOverride* override_spec = nullptr;
    if (auto it = config.overrides.find(platform.str()); it != config.overrides.end()) override_spec = &it->second;
    target.output_dir = plan.state_dir / "out" / platform.slug();
    if (is_bare_metal(platform)) {
      if (!firmware_targets) firmware_targets.emplace(firmware::load_targets(options.firmware_dir));
      plan_firmware(target, config, options, *firmware_targets, finder);
    } else {
      const Toolchain* toolchain = catalog.find(platform);
      Strategy requested = override_spec && override_spec->strategy ? *override_spec->strategy : Strategy::automatic;
      resolve_strategy(target, requested, options.host, toolchain);
      if (toolchain && target.strategy != Strategy::emulate) {
        target.toolchain = *toolchain;
        target.status = discover(*toolchain, finder);
        for (const std::string& missing : target.status.missing) target.problems.push_back("missing " + missing);
        target.exec_prefix = exec_prefix(*toolchain, target.strategy);
        if (target.strategy == Strategy::cross && !toolchain->runner_setup.command.empty()) {
          target.runner_setup = toolchain->runner_setup.command;
          target.runner_setup_creates = expand_state_dir(toolchain->runner_setup.creates, plan.state_dir);
        }
      }
      if (override_spec && override_spec->os_version) target.os_version = *override_spec->os_version;
      if (override_spec) target.entrypoint = override_spec->entrypoint;
      if (target.strategy == Strategy::emulate) plan_emulation(target, override_spec, config, options, plan.state_dir);
    }
    if (target.strategy == Strategy::cross) {
      target.meson_cross_file = plan.state_dir / "toolchains" / (platform.slug() + ".meson.ini");
      target.cmake_toolchain_file = plan.state_dir / "toolchains" / (platform.slug() + ".cmake");
    }
    plan.targets.push_back(std::move(target));
  }

  for (std::size_t t = 0; t < plan.targets.size(); ++t) {
    const TargetPlan& target = plan.targets[t];
    const PlatformOverride* override_spec = nullptr;
    if (auto it = config.overrides.find(target.platform.str()); it != config.overrides.end())
      override_spec = &it->second;

    std::map<std::string, std::string> base_env;
    if (target.strategy == Strategy::emulate) {
      StageEnvironmentInput input;
      input.target = target.platform;
      input.build = options.host;
      input.strategy = target.strategy;
      input.source_dir = "/xbuild/src";
      input.output_dir = "/xbuild/out";
      input.source_date_epoch = plan.source_date_epoch;
      base_env = stage_environment(input);
      if (const Toolchain* known = catalog.find(target.platform)) base_env["XBUILD_TRIPLE"] = known->triple;
      // The target's own tools, found on the root filesystem's PATH.
      for (const char* tool :
           {"CC=gcc", "CXX=g++", "AR=ar", "RANLIB=ranlib", "STRIP=strip", "LD=ld", "OBJCOPY=objcopy", "NM=nm"}) {
        std::string pair(tool);
        base_env[pair.substr(0, pair.find('='))] = pair.substr(pair.find('=') + 1);
      }
      base_env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    } else if (target.toolchain) {
      StageEnvironmentInput input;
      input.target = target.platform;
      input.build = options.host;
      input.strategy = target.strategy;
      input.toolchain = &*target.toolchain;
      input.source_dir = config.directory;
      input.output_dir = target.output_dir;
      input.meson_cross_file = target.meson_cross_file;
      input.cmake_toolchain_file = target.cmake_toolchain_file;
      input.state_dir = plan.state_dir;
      input.source_date_epoch = plan.source_date_epoch;
      base_env = stage_environment(input);
      if (target.firmware) {
        for (auto& [key, value] : firmware::stage_environment(*target.firmware, target.exec_prefix.front(),
                                                              target.meson_cross_file, target.cmake_toolchain_file))
          base_env[key] = value;
        // Read by `xbuild firmware test` (XBUILD_EXEC) when its command line does not say.
        if (config.firmware.test_timeout_seconds > 0)
          base_env["XBUILD_FIRMWARE_TIMEOUT"] = std::to_string(config.firmware.test_timeout_seconds);
        if (!config.firmware.pass_pattern.empty())
          base_env["XBUILD_FIRMWARE_PASS_PATTERN"] = config.firmware.pass_pattern;
      }
    } else {
      base_env["XBUILD_PLATFORM"] = target.platform.str();
      base_env["XBUILD_SRC"] = config.directory.string();
      base_env["XBUILD_OUT"] = target.output_dir.string();
    }
    if (override_spec)
      for (const auto& [key, value] : override_spec->env) base_env[key] = value;

    std::size_t first_job = plan.jobs.size();
    for (const StageSpec& stage : config.stages) {
      JobPlan job;
      job.target = t;
      job.stage = stage.name;
      job.command = stage.run;
      job.env = base_env;
      for (const auto& [key, value] : stage.env) job.env[key] = value;
      if (override_spec) {
        if (auto it = override_spec->stages.find(stage.name); it != override_spec->stages.end()) {
          if (it->second.run) job.command = *it->second.run;
          for (const auto& [key, value] : it->second.env) job.env[key] = value;
        }
      }
      job.timeout_seconds = stage.timeout_seconds;
      job.log_file = plan.state_dir / "logs" / target.platform.slug() / (stage.name + ".log");
      if (target.strategy == Strategy::emulate) {
        SandboxSpec sandbox;
        sandbox.root = target.rootfs;
        sandbox.binds = {{config.directory, "/xbuild/src"}, {target.output_dir, "/xbuild/out"}};
        sandbox.workdir = "/xbuild/src";
        sandbox.command = {"/bin/sh", "-c", job.command};
        job.command = shell_join(sandbox_argv(options.xbuild_binary, sandbox));
        job.working_directory = config.directory;
      }
      for (const std::string& need : stage.needs) {
        for (std::size_t s = 0; s < config.stages.size(); ++s)
          if (config.stages[s].name == need) job.needs.push_back(first_job + s);
      }
      plan.jobs.push_back(std::move(job));
    }
  }
  return plan;
}

std::string render_plan(const Plan& plan) {
  std::vector<std::vector<std::string>> rows = {{"PLATFORM", "STRATEGY", "TOOLCHAIN", "RUNS TARGET BINARIES WITH"}};
  for (const TargetPlan& target : plan.targets) {
    std::string toolchain = "-";
    if (target.toolchain) {
      toolchain = target.toolchain->tools.count("CC") ? target.toolchain->tools.at("CC") : target.toolchain->triple;
      if (!target.status.compiler_version.empty()) toolchain += " " + target.status.compiler_version;
    }
    std::string runner =
        target.exec_prefix.empty() ? (target.toolchain ? "the host (directly)" : "-") : shell_join(target.exec_prefix);
    if (target.firmware)
      runner = "qemu-system-arm -M " + target.firmware->machine + " -cpu " + target.firmware->cpu +
               " (xbuild firmware test)";
    if (target.strategy == Strategy::emulate) {
      toolchain = target.rootfs.empty() ? "-" : "rootfs " + target.rootfs.string();
      runner = target.qemu_interpreter.empty()
                   ? "-"
                   : "QEMU via binfmt_misc (" + target.qemu_interpreter.filename().string() + ")";
    }
    if (!target.builder.empty()) toolchain = runner = "builder " + target.builder;
    rows.push_back({target.platform.str(), strategy_name(target.strategy), toolchain, runner});
  }
  std::string out = render_columns(rows);

  out += "\nwhy:\n";
  for (const TargetPlan& target : plan.targets) out += "  " + target.platform.str() + ": " + target.reason + "\n";

  std::string stages;
  for (const JobPlan& job : plan.jobs) {
    if (job.target != 0) break;
    std::vector<std::string> needs;
    for (std::size_t n : job.needs) needs.push_back(plan.jobs[n].stage);
    stages += "  " + job.stage + (needs.empty() ? "" : " (needs " + join(needs, ", ") + ")") + "\n";
  }
  if (!stages.empty()) out += "\nstages, on every platform:\n" + stages;

  std::vector<std::string> packages;
  std::string problems;
  for (const TargetPlan& target : plan.targets) {
    for (const std::string& problem : target.problems) problems += "  " + target.platform.str() + ": " + problem + "\n";
    for (const std::string& package : target.status.missing_packages)
      if (std::find(packages.begin(), packages.end(), package) == packages.end()) packages.push_back(package);
  }
  if (!problems.empty()) {
    out += "\nmissing:\n" + problems;
    if (!packages.empty()) out += "  to install: apt-get install --no-install-recommends " + join(packages, " ") + "\n";
  }
  return out;
}

namespace {

// A generated file (Meson cross file, CMake toolchain file) is written again by every run from
// the catalog, so it is left alone when unchanged and replaced by a rename (a stage never sees
// half a file) but not fsynced: one lost in a crash is written again by the next run, and ten
// fsyncs cost more than the rest of preparing the state directory.
Status write_generated_file(const fs::path& path, const std::string& content) {
  Result<std::string> existing = read_file(path);
  if (existing && existing.value() == content) return Ok{};
  fs::path temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) return fail("cannot write " + temp.string() + ": " + std::strerror(errno));
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) return fail("cannot rename " + temp.string() + " to " + path.string() + ": " + ec.message());
  return Ok{};
}

}  // namespace

Status prepare_state_dir(const Plan& plan, const std::vector<bool>& keep_output) {
  std::error_code ec;
  for (std::size_t index = 0; index < plan.targets.size(); ++index) {
    const TargetPlan& target = plan.targets[index];
    if (index >= keep_output.size() || !keep_output[index]) fs::remove_all(target.output_dir, ec);
    if (ec) return fail("cannot empty " + target.output_dir.string() + ": " + ec.message());
    fs::create_directories(target.output_dir, ec);
    if (ec) return fail("cannot create " + target.output_dir.string() + ": " + ec.message());
    if (!target.toolchain || target.meson_cross_file.empty()) continue;
    fs::create_directories(target.meson_cross_file.parent_path(), ec);
    if (ec) return fail("cannot create " + target.meson_cross_file.parent_path().string() + ": " + ec.message());
    Status written = write_generated_file(
        target.meson_cross_file, target.firmware ? firmware::meson_cross_file(*target.firmware, target.exec_prefix)
                                                 : meson_cross_file(*target.toolchain, target.exec_prefix));
    if (!written) return written;
    written =
        write_generated_file(target.cmake_toolchain_file,
                             target.firmware ? firmware::cmake_toolchain_file(*target.firmware, target.exec_prefix)
                                             : cmake_toolchain_file(*target.toolchain, target.exec_prefix));
    if (!written) return written;
  }
  for (const JobPlan& job : plan.jobs) {
    fs::create_directories(job.log_file.parent_path(), ec);
    if (ec) return fail("cannot create " + job.log_file.parent_path().string() + ": " + ec.message());
  }
  return Ok{};
}

}  // namespace xb
