// emulate: the stages run chrooted in a root filesystem of the target (`rootfs` in
// [platform.X]: a directory, or an image in an OCI layout that the run unpacks), every binary
// run by QEMU through a binfmt_misc handler, which the run registers. Each job's command becomes
// `xbuild-stage __sandbox --root R --bind SRC:/xbuild/src --bind OUT:/xbuild/out --bind
// WORK:/xbuild/work ... -- /bin/sh -c <stage>`, and the environment names the guest paths and
// the target's own tools on its PATH.
// It needs root: chroot, mounts and binfmt_misc. With [targets] ccache the compiles run the
// root filesystem's own ccache on the target's cache directory, bound at /xbuild/ccache: a root
// filesystem made from packages gets the package (build/trees.cpp), a directory must hold
// /usr/bin/ccache, and an image's content is not known when planning, so it compiles without
// ccache (the plan's notes say so and how to change it).
#include "emulate/qemu_catalog.h"
#include "emulate/rootfs.h"
#include "emulate/sandbox.h"
#include "plan/planner.h"
#include "toolchain/ccache.h"
#include "toolchain/environment.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

constexpr const char* kGuestSource = "/xbuild/src";
constexpr const char* kGuestOutput = "/xbuild/out";
constexpr const char* kGuestWork = "/xbuild/work";
constexpr const char* kGuestCcache = "/xbuild/ccache";

class EmulatePlanner final : public TargetPlanner {
 public:
  EmulatePlanner(PlanContext& context, std::string reason) : context_(context), reason_(std::move(reason)) {}

  void plan(TargetPlan& target) override {
    target.strategy = Strategy::emulate;
    target.reason = reason_;
    EmulationPlan emulation;
    const std::string name = target.platform.str();
    const PlatformOverride* override_spec = override_of(context_.config, target.platform);
    auto resolved = context_.options.rootfs.find(name);
    if (resolved != context_.options.rootfs.end()) {
      emulation.rootfs = resolved->second.dir;
      emulation.rootfs_image = resolved->second.image;
      emulation.rootfs_layers = resolved->second.layers;
      emulation.rootfs_description = resolved->second.description;
    } else if (!override_spec || !override_spec->rootfs) {
      target.problems.push_back(
          "strategy \"emulate\" needs a root filesystem of the target: set rootfs = { packages = [\"build-essential\"] "
          "} in [platform.\"" +
          name + "\"] (xbuild makes it), or rootfs = \"DIR\", \"oci:DIR[:TAG]\" or an image reference");
    } else if (override_spec->rootfs->made_from_packages() ||
               is_rootfs_reference(override_spec->rootfs->location, context_.config.directory)) {
      // Made or pulled by the run (build/trees.h): when it could not be resolved, the problems
      // given to the plan say why.
      if (!context_.options.problems.count(name))
        target.problems.push_back("the root filesystem of " + name + " was not resolved");
    } else {
      Result<RootfsPlan> rootfs =
          plan_rootfs(override_spec->rootfs->location, context_.config.directory, context_.state_dir, target.platform);
      if (rootfs) {
        emulation.rootfs = rootfs.value().dir;
        emulation.rootfs_image = rootfs.value().image;
        emulation.rootfs_layers = rootfs.value().layers;
      } else {
        target.problems.push_back(rootfs.error());
      }
    }
    const QemuArch* arch = context_.options.qemu ? context_.options.qemu->find(target.platform) : nullptr;
    if (!arch) {
      target.problems.push_back("no qemu/*.toml describes " + name + ", so QEMU cannot run its binaries");
    } else {
      emulation.qemu_arch = arch->arch;
      emulation.qemu_interpreter = arch->interpreter;
      if (!context_.finder.exists(arch->interpreter)) {
        target.problems.push_back("missing " + arch->interpreter.string() + " (install " + arch->package + ")");
        target.status.missing_packages.push_back(arch->package);
      }
    }
    if (!context_.options.root)
      target.problems.push_back(
          "strategy \"emulate\" needs root (binfmt_misc, mounts and chroot): run xbuild as root, or use strategy "
          "\"cross\"");
    if (!emulation.rootfs_image.empty()) emulation.overlay = context_.state_dir / "overlay" / target.platform.slug();
    plan_guest_ccache(target, override_spec, emulation);
    target.emulation = std::move(emulation);
  }

  std::map<std::string, std::string> base_environment(const TargetPlan& target) const override {
    StageEnvironmentInput input;
    input.target = target.platform;
    input.build = context_.options.host;
    input.strategy = Strategy::emulate;
    input.source_dir = kGuestSource;
    input.output_dir = kGuestOutput;
    input.work_dir = kGuestWork;
    input.source_date_epoch = context_.options.source_date_epoch;
    std::map<std::string, std::string> env = stage_environment(input);
    if (const Toolchain* known = context_.catalog.find(target.platform)) env["XBUILD_TRIPLE"] = known->triple;
    // The target's own tools, found on the root filesystem's PATH.
    for (const auto& [variable, tool] : {std::pair{"CC", "gcc"},
                                         {"CXX", "g++"},
                                         {"AR", "ar"},
                                         {"RANLIB", "ranlib"},
                                         {"STRIP", "strip"},
                                         {"LD", "ld"},
                                         {"OBJCOPY", "objcopy"},
                                         {"NM", "nm"}})
      env[variable] = tool;
    env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    if (target.ccache) add_ccache_environment(env, {kGuestCcache, kGuestSource, target.ccache->remote});
    return env;
  }

  // The stage's shell runs chrooted in the sandbox: the launcher is `xbuild-stage __sandbox ... --`.
  void finish_job(const TargetPlan& target, JobPlan& job) const override {
    SandboxSpec sandbox;
    sandbox.root = target.emulation ? target.emulation->rootfs : fs::path();
    if (target.emulation && !target.emulation->overlay.empty()) {
      sandbox.root = target.emulation->overlay;
      sandbox.lower = target.emulation->rootfs;
    }
    sandbox.binds = {
        {context_.config.directory, kGuestSource}, {target.output_dir, kGuestOutput}, {target.work_dir, kGuestWork}};
    if (target.ccache) sandbox.binds.push_back({target.ccache->dir, kGuestCcache});
    sandbox.workdir = kGuestSource;
    job.launcher = sandbox_argv(stage_binary(context_.options), sandbox);
  }

 private:
  // ccache inside the root filesystem: see the note at the top.
  void plan_guest_ccache(TargetPlan& target, const PlatformOverride* override_spec, const EmulationPlan& emulation) {
    if (context_.options.ccache_root.empty() || !ccache_enabled(context_.config, target.platform)) return;
    const std::string name = target.platform.str();
    const bool made = override_spec && override_spec->rootfs && override_spec->rootfs->made_from_packages();
    std::error_code error;
    if (!made && emulation.rootfs_image.empty() && !emulation.rootfs.empty() &&
        !fs::exists(emulation.rootfs / "usr/bin/ccache", error)) {
      target.notes.push_back("ccache is off for " + name + ": its root filesystem " + emulation.rootfs.string() +
                             " has no /usr/bin/ccache; install ccache in it, or let xbuild make it with rootfs = { "
                             "packages = [..., \"ccache\"] }");
      return;
    }
    if (!made && !emulation.rootfs_image.empty()) {
      target.notes.push_back("ccache is off for " + name +
                             ": whether its root filesystem image holds ccache is not known before it is unpacked; "
                             "let xbuild make it with rootfs = { packages = [..., \"ccache\"] } to compile through "
                             "ccache");
      return;
    }
    plan_ccache(context_, target, false);
  }

  PlanContext& context_;
  std::string reason_;
};

}  // namespace

std::unique_ptr<TargetPlanner> make_emulate_planner(PlanContext& context, std::string reason) {
  return std::make_unique<EmulatePlanner>(context, std::move(reason));
}

}  // namespace xb
