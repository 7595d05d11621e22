// `xbuild targets`'s command line; the command is build/targets.cpp.
#include "cli/targets_command.h"

#include <CLI/CLI.hpp>

#include <memory>

#include "build/targets.h"

namespace xb {

std::function<int()> add_targets_command(CLI::App& app) {
  auto options = std::make_shared<TargetsOptions>();
  CLI::App* targets = app.add_subcommand(
      "targets", "List every target xbuild knows, the strategy it would take here, and what is missing");
  targets->add_flag("--json", options->json, "As JSON: {host, targets: [{platform, strategy, ready, missing, ...}]}");
  return [targets, options]() {
    if (!targets->parsed()) return -1;
    Services services = machine_services();
    return list_targets(*options, services);
  };
}

}  // namespace xb
