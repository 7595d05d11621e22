#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "build/run.h"
#include "build_paths.h"
#include "cli/cache_commands.h"
#include "cli/commands.h"
#include "cli/completion.h"
#include "cli/firmware_command.h"
#include "cli/init_command.h"
#include "cli/merge_command.h"
#include "cli/registry_commands.h"
#include "cli/schema_command.h"
#include "cli/targets_command.h"
#include "run/terminal.h"
#include "util/strings.h"

namespace xb {

namespace {

// The options `run` and `plan` share: the config as -f/--file too, --platform, -t/--tag and --set.
void add_selection_options(CLI::App* command, std::filesystem::path& file, std::vector<std::string>& platforms,
                           std::vector<std::string>& tags, std::vector<std::string>& settings) {
  CLI::Option* positional = command->add_option("file", file, "The project's config")->capture_default_str();
  command->add_option("-f,--file", file, "The project's config (as the FILE argument)")->excludes(positional);
  command
      ->add_option("--platform", platforms,
                   "Only these of the config's platforms, comma-separated or repeated (linux/arm64, or a firmware "
                   "target such as cortex-m4)")
      ->envname("XBUILD_PLATFORMS")
      ->allow_extra_args(false);  // one value an occurrence: `--platform linux/arm64 FILE` leaves FILE alone
  command->add_option("-t,--tag", tags, "A tag of the image instead of [image] tags (repeat for more)")
      ->allow_extra_args(false);
  command
      ->add_option("--set", settings,
                   "KEY=VALUE over the config file: a dotted key (image.name, stage.test.timeout) and a TOML value "
                   "(a bare word is a string), checked as the file is (repeat for more)")
      ->allow_extra_args(false);
}

// `xbuild help [COMMAND]` is `xbuild [COMMAND] --help`, `xbuild version` and `-V` are --version.
std::vector<std::string> with_aliases(std::vector<std::string> args) {
  if (args.size() >= 2 && (args[1] == "version" || args[1] == "-V")) return {args[0], "--version"};
  if (args.size() >= 2 && args[1] == "help") {
    std::vector<std::string> help = {args[0]};
    help.insert(help.end(), args.begin() + 2, args.end());
    help.push_back("--help");
    return help;
  }
  return args;
}

// A first word that is no command: what was probably meant, instead of CLI11's "not expected".
std::optional<std::string> unknown_command(const CLI::App& app, const std::vector<std::string>& args) {
  if (args.size() < 2 || args[1].empty() || args[1][0] == '-') return std::nullopt;
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (command->get_name() == args[1]) return std::nullopt;
    if (command->get_name().rfind("__", 0) != 0) names.push_back(command->get_name());  // hidden ones unnamed
  }
  std::string meant = closest_match(args[1], names);
  return "\"" + args[1] + "\" is not an xbuild command" + (meant.empty() ? "" : "; did you mean \"" + meant + "\"?") +
         " The commands are " + join(names, ", ") + "; xbuild help COMMAND says more.";
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"xbuild: build one project for many platforms at once and ship it as a multi-arch OCI image"};
  app.name("xbuild");
  app.set_version_flag("--version", std::string("xbuild ") + XBUILD_VERSION);
  app.require_subcommand(1);

  RunOptions run;
  CLI::App* run_app = app.add_subcommand("run", "Build every platform's stages and write the images and their index");
  add_selection_options(run_app, run.config_file, run.platforms, run.tags, run.settings);
  run_app->add_option("-j,--jobs", run.jobs, "Jobs to run at once (default: the number of cores)")
      ->check(CLI::Range(1u, 1024u))
      ->envname("XBUILD_JOBS");
  run_app
      ->add_option("-o,--output", run.output,
                   "Where the output goes: oci:DIR (an OCI layout), oci-archive:FILE, or local:DIR (plain files: "
                   "DIR/<os>-<arch>[-<variant>]/ per platform or firmware target, e.g. linux-arm-v7, "
                   "none-arm-cortex-m4, and DIR/xbuild.json listing them; DIR is replaced as a whole) "
                   "(default: oci:<state dir>/oci)")
      ->envname("XBUILD_OUTPUT");
  run_app->add_option("--state-dir", run.state_dir, "Logs, outputs and generated files (default: <project>/.xbuild)")
      ->envname("XBUILD_STATE_DIR");
  run_app->add_flag("-k,--keep-going", run.keep_going, "Let the other platforms finish after a stage fails");
  run_app->add_flag("--skip-unavailable", run.skip_unavailable,
                    "Build the platforms this machine can (a cross compiler, QEMU, ... present) and report the others "
                    "skipped, exit status 0");
  run_app->add_flag("--fail-on-skip", run.fail_on_skip,
                    "With --skip-unavailable: exit status 3 when a platform was skipped (after building the others)");

  PlanCommandOptions plan;
  CLI::App* plan_app =
      app.add_subcommand("plan", "Print, per platform, the strategy, toolchain and runner, and what is missing");
  add_selection_options(plan_app, plan.config_file, plan.platforms, plan.tags, plan.settings);
  plan_app->add_option("--state-dir", plan.state_dir, "Logs, outputs and generated files (default: <project>/.xbuild)")
      ->envname("XBUILD_STATE_DIR");
  plan_app->add_option("--shard", plan.shard, "Only the platforms of shard I of N (I/N)");
  plan_app->add_option("--durations", plan.durations,
                       "With --shard: pack the shards by an earlier run's --metadata-file and show every shard");
  plan_app->add_flag("--skip-unavailable", plan.skip_unavailable,
                     "Exit status 0 when some platforms can be built here, naming the ones a run would skip");
  plan_app->add_flag("--fail-on-skip", plan.fail_on_skip,
                     "With --skip-unavailable: exit status 3 when one would be skipped");
  plan_app->add_option("-o,--output", plan.output, "The output as run takes it: shown with where each platform goes");
  plan_app->add_option("--cache-dir", plan.cache_dir,
                       "Where the sysroots and root filesystems are (default: $XBUILD_CACHE_DIR or ~/.cache/xbuild)");

  BinfmtCommandOptions binfmt;
  CLI::App* binfmt_app = app.add_subcommand("binfmt", "QEMU binfmt_misc handlers: status, install, uninstall");
  binfmt_app->require_subcommand(1);
  binfmt_app->add_subcommand(
      "status", "Each architecture in qemu/: its handler, interpreter, flags, and whether its binaries run");
  CLI::App* binfmt_install =
      binfmt_app->add_subcommand("install", "Register qemu-*-static handlers (F flag); needs root");
  binfmt_install->add_option("--arch", binfmt.arches, "Architectures, comma-separated, or all")->capture_default_str();
  binfmt_install->add_flag("--persistent", binfmt.persistent, "Also write /etc/binfmt.d/xbuild-qemu-<arch>.conf");
  CLI::App* binfmt_uninstall =
      binfmt_app->add_subcommand("uninstall", "Remove the handlers xbuild registered (never others)");
  binfmt_uninstall->add_option("--arch", binfmt.arches, "Architectures, comma-separated, or all")
      ->capture_default_str();

  std::function<int()> registry_command = add_registry_commands(app);
  run_app->add_flag("--push", run.push, "Also push every platform's image, then the index, to image.name for each tag");
  run_app->add_option("--insecure-registry", run.insecure_registries,
                      "Use plain http for this registry (HOST or HOST:PORT)");
  add_registry_timeout_options(run_app, run.registry_connect_timeout, run.registry_timeout);
  run_app->add_flag("--no-cache", run.no_cache,
                    "Run every stage; neither read nor write the cache (kept directories start empty)");
  run_app->add_flag("--clean", run.clean,
                    "A clean build: kept directories start empty and every stage runs (the cache is written, not "
                    "read)");
  run_app->add_option("--cache-dir", run.cache_dir, "The cache (default: $XBUILD_CACHE_DIR or ~/.cache/xbuild)");
  run_app
      ->add_option("--cache-from", run.cache_from,
                   "Also look stages up in this registry cache, HOST[:PORT]/PATH (repeatable, first hit wins; "
                   "replaces [cache] from)")
      ->allow_extra_args(false);
  run_app->add_option("--cache-to", run.cache_to,
                      "Upload this run's cache entries to HOST[:PORT]/PATH[,mode=min|max] (min: one entry per "
                      "platform, max: one per stage; replaces [cache] to)");
  run_app->add_option("--metadata-file", run.metadata_file, "Write the image digests as JSON to this file");
  run_app->add_option("--junit", run.junit_file,
                      "Write a JUnit XML report (a testcase per test a stage's log reports: Unity, GoogleTest, "
                      "CppUTest; else per platform x stage)");
  run_app->add_option("--report-html", run.html_file,
                      "Write a self-contained HTML page: the platform x stage matrix, a timeline of the run, "
                      "digests and sizes, each failure's log excerpt");
  run_app->add_option("--report-markdown", run.markdown_file,
                      "Write the platform x stage matrix as GitHub-flavoured Markdown (also appended to "
                      "$GITHUB_STEP_SUMMARY when that is set, with or without this option)");
  run_app->add_option("--size-baseline", run.size_baseline,
                      "Print each firmware target's size change against an earlier run's --metadata-file or "
                      ".xbuild/firmware-size.txt, or arm-none-eabi-size output");
  run_app->add_option("--progress", run.progress, "auto (tty on a terminal, else plain), tty, plain or json")
      ->check(CLI::IsMember({"auto", "tty", "plain", "json"}))
      ->capture_default_str()
      ->envname("XBUILD_PROGRESS");
  std::function<int()> cache_command = add_cache_commands(app);
  std::function<int()> firmware_command = add_firmware_commands(app);
  run_app->add_option("--shard", run.shard,
                      "Build only shard I of N of the platforms (I/N); merge the layouts with xbuild merge");
  run_app->add_option("--durations", run.durations,
                      "With --shard: pack the shards by the stage durations of an earlier run's --metadata-file "
                      "(longest first onto the least-loaded shard)");
  std::function<int()> merge_command = add_merge_command(app);
  std::function<int()> init_command = add_init_command(app);
  std::function<int()> targets_command = add_targets_command(app);
  const char* epoch_help =
      "The images' creation time and files' mtime: now, git (the last commit's time) or N "
      "seconds (default: $SOURCE_DATE_EPOCH, else the last commit's time, else 0)";
  run_app->add_option("--source-date-epoch", run.source_date_epoch, epoch_help);
  plan_app->add_option("--source-date-epoch", plan.source_date_epoch, epoch_help);
  std::function<int()> schema_command = add_schema_command(app);
  // Last: the completion scripts and __cli-spec describe every command added above.
  std::function<int()> completion_command = add_completion_commands(app);

  std::vector<std::string> args = with_aliases(std::vector<std::string>(argv, argv + argc));
  if (std::optional<std::string> unknown = unknown_command(app, args)) {
    std::fprintf(stderr, "xbuild: error: %s\n", unknown->c_str());
    return 2;
  }
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);  // CLI11 takes them last first
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e);
    return status == 0 ? 0 : 2;
  }
  if (run_app->parsed()) {
    std::unique_ptr<Terminal> terminal = make_progress_terminal(run.progress);
    Services services = machine_services();
    return run_build(run, services, *terminal);
  }
  if (plan_app->parsed()) {
    Services services = machine_services();
    return plan_build(plan, services);
  }
  if (int status = registry_command(); status >= 0) return status;
  if (int status = cache_command(); status >= 0) return status;
  if (int status = firmware_command(); status >= 0) return status;
  if (int status = merge_command(); status >= 0) return status;
  if (int status = init_command(); status >= 0) return status;
  if (int status = targets_command(); status >= 0) return status;
  if (int status = schema_command(); status >= 0) return status;
  if (int status = completion_command(); status >= 0) return status;
  if (binfmt_app->parsed()) {
    for (CLI::App* action : binfmt_app->get_subcommands()) binfmt.action = action->get_name();
    return binfmt_command(binfmt);
  }
  return 2;
}

}  // namespace xb
