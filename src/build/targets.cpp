// `xbuild targets`: the catalog's targets written as one config (every platform of
// toolchains/*.toml under [targets] platforms, every bare-metal target under firmware, the
// given stages) and planned by plan_targets(), exactly as `xbuild plan` plans a project. Each
// target's row is read off its TargetPlan: strategy, compiler, runner, problems with their
// packages, notes (binfmt_misc handlers). No availability check lives here.
#include "build/targets.h"

#include <algorithm>
#include <cstdio>

#include "build/planning.h"
#include "config/config.h"
#include "toolchain/firmware_target.h"
#include "toolchain/toolchain.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

std::string toml_list(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  for (const std::string& name : names) quoted.push_back(json_quote(name));
  return "[" + join(quoted, ", ") + "]";
}

namespace {

std::string strategy_word(const TargetPlan& target) {
  if (target.firmware || is_bare_metal(target.platform)) return "bare metal";
  return strategy_name(target.strategy);
}

// How the target's own binaries run when a stage starts them by their path (ctest, make check).
std::string by_path(const TargetPlan& target) {
  if (!target.binaries) return "";
  switch (target.binaries->handler) {
    case TargetBinaries::Handler::private_instance:
      return "by their path through a binfmt_misc handler of the stage's own";
    case TargetBinaries::Handler::host:
      return "by their path through the host's binfmt_misc handler";
    case TargetBinaries::Handler::none:
      return "";
  }
  return "";
}

TargetAvailability availability(const TargetPlan& target) {
  TargetAvailability row;
  row.platform = target.platform.str();
  row.firmware = is_bare_metal(target.platform);
  row.strategy = strategy_word(target);
  row.toolchain = toolchain_cell(target);
  row.runner = runner_cell(target);
  if (std::string path = by_path(target); !path.empty()) row.runner += ", " + path;
  row.reason = target.reason;
  row.missing = target.problems;
  row.packages = target.status.missing_packages;
  row.notes = target.notes;
  return row;
}

std::string json_list(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& item : items) quoted.push_back(json_quote(item));
  return "[" + join(quoted, ", ") + "]";
}

}  // namespace

std::vector<std::string> catalog_platforms(const fs::path& data_dir) {
  Result<ToolchainCatalog> catalog = ToolchainCatalog::load(data_dir / "toolchains");
  if (!catalog) throw Error(catalog.error());
  std::vector<std::string> names;
  for (const Toolchain& toolchain : catalog.value().all()) names.push_back(toolchain.platform.str());
  return names;
}

std::vector<std::string> firmware_target_names(const fs::path& data_dir) {
  Result<std::vector<firmware::Target>> targets = firmware::load_targets(data_dir / "toolchains" / "firmware");
  if (!targets) throw Error(targets.error());
  std::vector<std::string> names;
  for (const firmware::Target& target : targets.value()) names.push_back(target.name);
  return names;
}

std::vector<TargetAvailability> survey_targets(const std::vector<std::string>& platforms,
                                               const std::vector<std::string>& firmware, const std::string& stages,
                                               const fs::path& project_dir, Services& services) {
  std::string text = "[project]\nname = \"targets\"\n[targets]\nplatforms = " + toml_list(platforms) +
                     "\nfirmware = " + toml_list(firmware) + "\n" + stages;
  ConfigResult parsed = parse_config(text, fs::absolute(project_dir) / "xbuild.toml");
  if (auto* errors = std::get_if<ConfigErrors>(&parsed)) throw Error(errors->render());
  const Config& config = std::get<Config>(parsed);
  std::unique_ptr<ToolFinder> finder = make_system_tool_finder();
  PlanRequest request{config, config.directory / ".xbuild", 0, {}, {}};
  Plan plan = plan_targets(request, services, services.finder ? *services.finder : *finder);
  std::vector<TargetAvailability> rows;
  for (const TargetPlan& target : plan.targets) rows.push_back(availability(target));
  return rows;
}

std::string render_targets(const std::vector<TargetAvailability>& targets, const std::string& host) {
  std::vector<std::vector<std::string>> table = {
      {"TARGET", "STRATEGY", "READY", "TOOLCHAIN", "RUNS TARGET BINARIES WITH"}};
  for (const TargetAvailability& target : targets)
    table.push_back({target.platform, target.strategy, target.ready() ? "yes" : "no", target.toolchain, target.runner});
  std::string out = "targets on this machine (" + host + "):\n" + render_columns(table);
  std::string missing, notes;
  std::vector<std::string> packages;
  for (const TargetAvailability& target : targets) {
    for (const std::string& problem : target.missing) missing += "  " + target.platform + ": " + problem + "\n";
    for (const std::string& note : target.notes) notes += "  " + target.platform + ": " + note + "\n";
    for (const std::string& package : target.packages)
      if (std::find(packages.begin(), packages.end(), package) == packages.end()) packages.push_back(package);
  }
  if (!notes.empty()) out += "\nnotes:\n" + notes;
  if (!missing.empty()) {
    out += "\nmissing:\n" + missing;
    if (!packages.empty()) out += "  to install: apt-get install --no-install-recommends " + join(packages, " ") + "\n";
  }
  return out;
}

std::string render_targets_json(const std::vector<TargetAvailability>& targets, const std::string& host) {
  std::string out = "{\"host\": " + json_quote(host) + ", \"targets\": [";
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const TargetAvailability& target = targets[i];
    out += std::string(i == 0 ? "" : ",") + "\n  {\"platform\": " + json_quote(target.platform) +
           ", \"firmware\": " + (target.firmware ? "true" : "false") +
           ", \"strategy\": " + json_quote(target.strategy) + ", \"ready\": " + (target.ready() ? "true" : "false") +
           ", \"toolchain\": " + json_quote(target.toolchain) + ", \"runner\": " + json_quote(target.runner) +
           ", \"reason\": " + json_quote(target.reason) + ", \"missing\": " + json_list(target.missing) +
           ", \"packages\": " + json_list(target.packages) + ", \"notes\": " + json_list(target.notes) + "}";
  }
  return out + "\n]}\n";
}

int list_targets(const TargetsOptions& options, Services& services) {
  std::vector<TargetAvailability> targets =
      survey_targets(catalog_platforms(services.data_dir), firmware_target_names(services.data_dir),
                     "[stage.build]\nrun = \"true\"\n", fs::current_path(), services);
  std::string text =
      options.json ? render_targets_json(targets, services.host.str()) : render_targets(targets, services.host.str());
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace xb
