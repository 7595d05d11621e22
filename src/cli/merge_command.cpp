// `xbuild merge`'s command line; its pipeline is build/merge.cpp.
#include "cli/merge_command.h"

#include <CLI/CLI.hpp>

#include <memory>

#include "build/merge.h"
#include "cli/registry_commands.h"
#include "run/terminal.h"

namespace xb {

std::function<int()> add_merge_command(CLI::App& app) {
  auto options = std::make_shared<MergeOptions>();
  CLI::App* merge =
      app.add_subcommand("merge", "Merge the OCI layouts of a sharded run (run --shard I/N) into one index");
  merge->add_option("layouts", options->layouts, "The shards' layouts: oci:DIR or DIR")->required();
  merge->add_option("-o,--output", options->output, "Where the merged image goes: oci:DIR or oci-archive:FILE")
      ->required();
  merge->add_option("--push", options->push, "Also push the merged image to this reference (repeatable)");
  merge->add_option("--expect", options->expect,
                    "The platforms the index must hold, in order (default: the ones the shards were built for)");
  merge->add_flag("--allow-partial", options->allow_partial,
                  "Merge what is good: leave out failed, stale or unidentified shards and missing platforms, "
                  "with a warning each");
  merge->add_option("--junit", options->junit_file,
                    "Also write the shards' JUnit reports (each in its layout) as one file here");
  merge->add_option("--metadata-file", options->metadata_file,
                    "Also write the shards' metadata files (each in its layout) as one, with the merged index");
  merge->add_option("--insecure-registry", options->insecure_registries,
                    "Use plain http for this registry (HOST or HOST:PORT)");
  add_registry_timeout_options(merge, options->registry_connect_timeout, options->registry_timeout);
  return [merge, options]() {
    if (!merge->parsed()) return -1;
    std::unique_ptr<Terminal> terminal = make_stdout_terminal();
    return merge_build(*options, *terminal);
  };
}

}  // namespace xb
