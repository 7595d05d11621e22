#include "build/planning.h"

#include <algorithm>

#include "build/inputs.h"
#include "emulate/qemu_catalog.h"
#include "remote/builder.h"
#include "run/terminal.h"
#include "util/strings.h"
#include "util/thread_pool.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// The compilers not known yet, asked side by side.
void probe_compilers(const Config& config, const ToolchainCatalog& catalog, ToolFinder& finder) {
  std::vector<fs::path> unknown;
  for (const Platform& platform : config.platforms) {
    auto override_spec = config.overrides.find(platform.str());
    if (override_spec != config.overrides.end() && override_spec->second.strategy == Strategy::emulate) continue;
    const Toolchain* toolchain = catalog.find(platform);
    if (!toolchain || !toolchain->tools.count("CC")) continue;
    // A version the finder knows without asking (remembered from the last run) needs no thread:
    // starting one costs more than the lookup.
    std::optional<fs::path> compiler = finder.find_program(toolchain->tools.at("CC"));
    if (compiler && !finder.known_compiler_version(*compiler) &&
        std::find(unknown.begin(), unknown.end(), *compiler) == unknown.end())
      unknown.push_back(*compiler);
  }
  parallel_for(unknown.size(), unknown.size(), [&](std::size_t index) { finder.compiler_version(unknown[index]); });
}

// Whether a platform may cross with a toolchain whose binaries run under QEMU: only then is it
// worth asking whether stages can have binfmt_misc handlers of their own.
bool runs_binaries_under_qemu(const Config& config, const ToolchainCatalog& catalog) {
  return std::any_of(config.platforms.begin(), config.platforms.end(), [&](const Platform& platform) {
    const Toolchain* toolchain = catalog.find(platform);
    return toolchain && !toolchain->qemu_arch.empty() && !toolchain->runner.empty() &&
           starts_with(toolchain->runner.front(), "qemu-");
  });
}

}  // namespace

Plan plan_targets(const PlanRequest& request, Services& services, ToolFinder& finder) {
  Result<ToolchainCatalog> catalog = ToolchainCatalog::load(services.data_dir / "toolchains");
  if (!catalog) throw Error(catalog.error());
  Result<QemuCatalog> qemu = QemuCatalog::load(services.data_dir / "qemu");
  if (!qemu) throw Error(qemu.error());
  probe_compilers(request.config, catalog.value(), finder);
  PlanOptions options;
  options.state_dir = request.state_dir;
  options.source_date_epoch = request.source_date_epoch;
  options.host = services.host;
  options.qemu = &qemu.value();
  options.xbuild_binary = services.xbuild_binary;
  options.root = services.root;
  options.firmware_dir = services.data_dir / "toolchains" / "firmware";
  options.index_annotations = request.index_annotations;
  options.unreachable_builders = request.unreachable_builders;
  options.private_binfmt =
      services.private_binfmt && runs_binaries_under_qemu(request.config, catalog.value()) && services.private_binfmt();
  return make_plan(request.config, catalog.value(), finder, options);
}

Plan plan_run(const RunInputs& inputs, Services& services, ToolFinder& finder, Terminal& terminal) {
  PlanRequest request{inputs.config, inputs.state_dir, inputs.source_date_epoch, inputs.index_annotations, {}};
  request.unreachable_builders = reach_builders(inputs.config);
  Plan plan = plan_targets(request, services, finder);
  for (const auto& [name, error] : request.unreachable_builders) {
    for (const TargetPlan& target : plan.targets) {
      const BuilderSpec* builder = builder_for(inputs.config, target.platform);
      if (!builder || builder->name != name) continue;
      std::string line = "xbuild: " + describe_builder(*builder) + " is unreachable: " + error + "; ";
      if (!builder->fallback_local) {
        line += target.platform.str() + " fails (fallback = \"local\" in [builder." + name +
                "] would build it here instead)";
      } else {
        line += "building " + target.platform.str() + " here instead (fallback = \"local\")";
        if (!target.problems.empty()) line += "; but here it cannot: " + join(target.problems, "; ");
      }
      terminal.output_line(line);
    }
  }
  return plan;
}

void require_ready(const Plan& plan) {
  if (plan.ready()) return;
  std::string message = "cannot build every platform:\n" + render_plan(plan);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  throw Error(message, 2);
}

}  // namespace xb
