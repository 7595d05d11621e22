#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace xb {

int run_cli(int argc, char** argv) {
  CLI::App app{"xbuild: build one project for many platforms at once and ship it as a multi-arch OCI image"};
  app.name("xbuild");
  app.set_version_flag("--version", std::string("xbuild ") + XBUILD_VERSION);
  app.require_subcommand(1);

  RunCommandOptions run;
  CLI::App* run_app = app.add_subcommand("run", "Build every platform's stages and write the images and their index");
  run_app->add_option("file", run.config_file, "The project's config")->capture_default_str();
  run_app->add_option("-j,--jobs", run.jobs, "Jobs to run at once (default: the number of cores)")
      ->check(CLI::Range(1u, 1024u));
  run_app->add_option("-o,--output", run.output,
                      "Where the image goes: oci:DIR or oci-archive:FILE (default: oci:<state dir>/oci)");
  run_app->add_option("--state-dir", run.state_dir, "Logs, outputs and generated files (default: <project>/.xbuild)");
  run_app->add_flag("-k,--keep-going", run.keep_going, "Let the other platforms finish after a stage fails");

  PlanCommandOptions plan;
  CLI::App* plan_app = app.add_subcommand("plan", "Print, per platform, the strategy, toolchain and runner, and what is missing");
  plan_app->add_option("file", plan.config_file, "The project's config")->capture_default_str();
  plan_app->add_option("--state-dir", plan.state_dir, "Logs, outputs and generated files (default: <project>/.xbuild)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e);
    return status == 0 ? 0 : 2;
  }
  if (run_app->parsed()) return run_command(run);
  if (plan_app->parsed()) return plan_command(plan);
  return 2;
}

}  // namespace xb
