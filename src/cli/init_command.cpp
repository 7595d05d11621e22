// `xbuild init`'s command line; the command is build/init.cpp.
#include "cli/init_command.h"

#include <CLI/CLI.hpp>

#include <memory>

#include "build/init.h"

namespace xb {

std::function<int()> add_init_command(CLI::App& app) {
  auto options = std::make_shared<InitOptions>();
  CLI::App* init = app.add_subcommand(
      "init", "Write a commented xbuild.toml for the project in DIR, for the platforms this machine can build");
  init->add_option("directory", options->directory, "The project's directory")->capture_default_str();
  init->add_option("--platforms", options->platforms,
                   "These platforms, comma-separated (default: the ones this machine builds now; xbuild targets "
                   "lists them)")
      ->allow_extra_args(false);
  init->add_option("--firmware", options->firmware,
                   "Also these bare-metal targets, comma-separated (cortex-m4, ...), with a [firmware] table")
      ->allow_extra_args(false);
  init->add_option("--template", options->template_name,
                   "c, cmake, meson or autotools (default: from CMakeLists.txt, meson.build, configure(.ac) or "
                   "Makefile)");
  init->add_flag("--force", options->force, "Replace an existing xbuild.toml");
  return [init, options]() {
    if (!init->parsed()) return -1;
    Services services = machine_services();
    return init_project(*options, services);
  };
}

}  // namespace xb
