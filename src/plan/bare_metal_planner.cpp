// Bare metal (none/arm/<name>): always crosses. The project's own [firmware.target.<name>]
// (found first) or else the data file toolchains/firmware/<name>.toml gives the compiler, its
// flags and the QEMU board; a Toolchain standing for that compiler goes through the same
// discovery as the others (compiler, newlib headers, qemu-system-arm) and feeds cache keys and
// `xbuild plan`; a project target's definition and linker script digest are in its stages'
// environment, so in their cache keys. Tests run through `xbuild firmware test` (XBUILD_EXEC), and the
// target's [firmware] elf becomes its firmware artifact.
#include "plan/planner.h"
#include "toolchain/ccache.h"
#include "toolchain/cross_files.h"
#include "toolchain/environment.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

class BareMetalPlanner final : public TargetPlanner {
 public:
  explicit BareMetalPlanner(PlanContext& context) : context_(context) {}

  void plan(TargetPlan& target) override {
    target.strategy = Strategy::cross;
    target.reason = "bare metal";
    const firmware::Target* found = find(target);
    if (!found) return;
    // The project's startup ([firmware] startup), which the run compiles before the stages.
    firmware::Target with_startup = *found;
    const FirmwareSpec& spec = context_.config.firmware;
    if (spec.startup) {
      Result<firmware::Startup> startup =
          firmware::resolve_startup(*found, context_.options.firmware_dir, spec.startup_source, context_.state_dir);
      if (startup)
        with_startup.startup = startup.value();
      else
        target.problems.push_back(startup.error() + "; fix [firmware] startup in " + context_.config.file.string());
    }
    const firmware::Target* chosen = &with_startup;
    target.reason = "bare metal: " + chosen->triple + " for " + chosen->cpu + " (" + chosen->definition +
                    (chosen->linker_script.empty() ? "" : ", linked with " + chosen->link) +
                    "), tests on qemu-system-arm -M " + chosen->machine;
    Toolchain toolchain;
    toolchain.id = "firmware/" + chosen->name;
    toolchain.platform = target.platform;
    toolchain.triple = chosen->triple;
    toolchain.sysroot = "/usr/lib/" + chosen->triple;  // newlib: <sysroot>/include/stdio.h
    std::map<std::string, std::string> env = firmware::stage_environment(*chosen, "xbuild", {}, {});
    for (const char* tool : {"CC", "CXX", "AR", "RANLIB", "STRIP", "LD", "OBJCOPY", "NM", "SIZE"})
      toolchain.tools[tool] = env[tool];
    toolchain.runner = {"qemu-system-arm"};
    toolchain.meson = {"none", "arm", chosen->cpu, "little"};
    toolchain.cmake = {"Generic", "arm"};
    toolchain.packages = chosen->packages;
    toolchain.source =
        chosen->config.empty() ? context_.options.firmware_dir / (chosen->name + ".toml") : chosen->config;
    target.status = discover(toolchain, context_.finder);
    for (const std::string& missing : target.status.missing) target.problems.push_back("missing " + missing);
    check_requirements(context_, toolchain, target);
    plan_ccache(context_, target);
    target.toolchain = std::move(toolchain);
    target.exec_prefix = firmware::firmware_command(*chosen, xbuild(), "test");
    // Meson and CMake judge what they run by its exit status: `firmware exec`, not the test's verdict.
    const std::vector<std::string> wrapper = firmware::firmware_command(*chosen, xbuild(), "exec");
    const std::vector<std::string> launcher = compiler_launcher(target);
    target.files.push_back({meson_cross_path(context_.state_dir, target.platform),
                            firmware::meson_cross_file(*chosen, wrapper, launcher)});
    target.files.push_back({cmake_toolchain_path(context_.state_dir, target.platform),
                            firmware::cmake_toolchain_file(*chosen, wrapper, launcher)});
    target.firmware = FirmwarePlan{*chosen, target.output_dir / context_.config.firmware.elf};
  }

  std::map<std::string, std::string> base_environment(const TargetPlan& target) const override {
    if (!target.firmware)
      return {{"XBUILD_PLATFORM", target.platform.str()},
              {"XBUILD_SRC", context_.config.directory.string()},
              {"XBUILD_OUT", target.output_dir.string()},
              {"XBUILD_WORK", target.work_dir.string()}};
    StageEnvironmentInput input;
    input.target = target.platform;
    input.build = context_.options.host;
    input.strategy = Strategy::cross;
    input.toolchain = &*target.toolchain;
    input.source_dir = context_.config.directory;
    input.output_dir = target.output_dir;
    input.work_dir = target.work_dir;
    input.meson_cross_file = meson_cross_path(context_.state_dir, target.platform);
    input.cmake_toolchain_file = cmake_toolchain_path(context_.state_dir, target.platform);
    input.state_dir = context_.state_dir;
    input.source_date_epoch = context_.options.source_date_epoch;
    std::map<std::string, std::string> env = stage_environment(input);
    for (auto& [key, value] : firmware::stage_environment(target.firmware->target, xbuild(), input.meson_cross_file,
                                                          input.cmake_toolchain_file))
      env[key] = value;
    // Read by `xbuild firmware test` (XBUILD_EXEC) when its command line does not say.
    const FirmwareSpec& spec = context_.config.firmware;
    if (spec.test_timeout_seconds > 0) env["XBUILD_FIRMWARE_TIMEOUT"] = std::to_string(spec.test_timeout_seconds);
    if (!spec.pass_pattern.empty()) env["XBUILD_FIRMWARE_PASS_PATTERN"] = spec.pass_pattern;
    if (spec.hang_timeout_seconds > 0) env["XBUILD_FIRMWARE_HANG_TIMEOUT"] = std::to_string(spec.hang_timeout_seconds);
    if (!spec.icount.empty()) env["XBUILD_FIRMWARE_ICOUNT"] = spec.icount;
    if (target.ccache)
      add_ccache_environment(env, {target.ccache->dir, context_.config.directory, target.ccache->remote});
    return env;
  }

  void finish_job(const TargetPlan&, JobPlan&) const override {}

 private:
  fs::path xbuild() const {
    return context_.options.xbuild_binary.empty() ? fs::path("xbuild") : context_.options.xbuild_binary;
  }

  // The project's own target ([firmware.target.NAME]) or the bundled data file, or nullptr with
  // a problem that names the known ones.
  const firmware::Target* find(TargetPlan& target) {
    if (!context_.firmware_targets)
      context_.firmware_targets.emplace(firmware::load_targets(context_.options.firmware_dir));
    const Result<std::vector<firmware::Target>>& known = *context_.firmware_targets;
    if (!known) {
      target.problems.push_back(known.error());
      return nullptr;
    }
    const std::string& name = target.platform.variant;
    std::vector<std::string> names;
    for (const FirmwareTargetSpec& spec : context_.config.firmware.targets) {
      names.push_back(spec.name);
      if (spec.name != name || target.platform.architecture != "arm") continue;
      Result<firmware::Target> own = firmware::project_target(spec, context_.config.file, known.value());
      if (!own) {
        target.problems.push_back(own.error());
        return nullptr;
      }
      project_target_ = std::move(own.value());
      return &*project_target_;
    }
    const firmware::Target* found = nullptr;
    for (const firmware::Target& candidate : known.value()) {
      names.push_back(candidate.name);
      if (candidate.name == name) found = &candidate;
    }
    if (found && target.platform.architecture == "arm") return found;
    std::string hint = closest_match(name, names);
    std::string example = !hint.empty() ? hint : !names.empty() ? names.front() : "cortex-m4";
    target.problems.push_back("no bare-metal target " + target.platform.str() + " in " +
                              context_.options.firmware_dir.string() +
                              (hint.empty() ? "" : "; did you mean " + hint + "?") + " (known: " + join(names, ", ") +
                              "; write them as [targets] firmware = [\"" + example + "\"])");
    return nullptr;
  }

  PlanContext& context_;
  std::optional<firmware::Target> project_target_;  // the last project target found
};

}  // namespace

std::unique_ptr<TargetPlanner> make_bare_metal_planner(PlanContext& context) {
  return std::make_unique<BareMetalPlanner>(context);
}

}  // namespace xb
