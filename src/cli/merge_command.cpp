// The pipeline of `xbuild merge`: check the arguments -> merge the layouts into a staging
// directory next to the output -> publish it in one step -> push (--push) -> report. A refused
// merge leaves the output as it was.
#include "cli/merge_command.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <memory>

#include "build/publish.h"
#include "oci/merge.h"
#include "package/package.h"
#include "registry/reference.h"
#include "run/terminal.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

struct MergeCommandOptions {
  std::vector<std::string> layouts;  // "oci:DIR" or DIR
  std::string output;
  std::vector<std::string> push;
  std::vector<std::string> expect;  // platforms, comma-separated or repeated
  bool allow_partial = false;
  std::vector<std::string> insecure_registries;
};

std::vector<fs::path> input_layouts(const std::vector<std::string>& texts) {
  std::vector<fs::path> layouts;
  for (const std::string& text : texts) {
    if (starts_with(text, "oci-archive:"))
      throw Error(fmt::format("{}: merge reads OCI layouts (oci:DIR), not archives; unpack it with tar first", text),
                  2);
    fs::path path = fs::absolute(starts_with(text, "oci:") ? text.substr(4) : text);
    std::error_code ec;
    if (!fs::is_regular_file(path / "index.json", ec))
      throw Error(fmt::format("{} is not an OCI layout (no index.json there)", text), 2);
    layouts.push_back(path);
  }
  return layouts;
}

std::vector<Platform> expected_platforms(const std::vector<std::string>& texts) {
  std::vector<Platform> platforms;
  for (const std::string& text : texts)
    for (std::size_t start = 0; start <= text.size();) {
      std::size_t comma = std::min(text.find(',', start), text.size());
      std::string name(trim(text.substr(start, comma - start)));
      start = comma + 1;
      if (name.empty()) continue;
      Result<Platform> platform = parse_platform(name);
      if (!platform) throw Error(fmt::format("--expect: {}", platform.error()), 2);
      platforms.push_back(platform.value());
    }
  return platforms;
}

int merge_command(const MergeCommandOptions& options) {
  std::unique_ptr<Terminal> terminal = make_stdout_terminal();
  std::vector<fs::path> inputs = input_layouts(options.layouts);
  Result<OutputTarget> output = parse_output(options.output, fs::current_path());
  if (!output) throw Error(output.error(), 2);
  if (!options.push.empty() && output.value().kind != OutputTarget::Kind::layout)
    throw Error(fmt::format("--push pushes from an OCI layout, not from {}; use -o oci:DIR", output.value().str()), 2);
  for (const std::string& reference : options.push)
    if (Result<registry::Reference> parsed = registry::parse_reference(reference); !parsed)
      throw Error(parsed.error(), 2);
  oci::MergeOptions merge;
  merge.expected = expected_platforms(options.expect);
  merge.allow_partial = options.allow_partial;

  Result<fs::path> staging_root = make_sibling_temp_dir(output.value().path);
  if (!staging_root) throw Error(staging_root.error());
  TempDir cleanup(staging_root.value());
  fs::path staging = staging_root.value() / "oci";
  Result<oci::LayoutWriter> layout = oci::LayoutWriter::create(staging);
  if (!layout) throw Error(layout.error());
  Result<oci::MergeResult> merged = oci::merge_layouts(inputs, merge, layout.value());
  if (!merged) throw Error("cannot merge: " + merged.error());
  Status published = output.value().kind == OutputTarget::Kind::layout
                         ? oci::publish_layout(staging, output.value().path)
                         : oci::publish_archive(staging, output.value().path);
  if (!published) throw Error(published.error());

  const oci::MergeResult& result = merged.value();
  if (!options.push.empty()) {
    registry::RegistryOptions registry;
    registry.insecure_registries = options.insecure_registries;
    push_layout_step(options.push, output.value(), registry, *terminal);
  }
  terminal->output_line(fmt::format("xbuild: merged {} layout{} ({} platform{}); wrote {} (tag {})", inputs.size(),
                                    inputs.size() == 1 ? "" : "s", result.images.size(),
                                    result.images.size() == 1 ? "" : "s", output.value().str(), result.ref_name));
  std::size_t width = 5;
  for (const oci::MergedImage& image : result.images) width = std::max(width, image.platform.size());
  for (const oci::MergedImage& image : result.images)
    terminal->output_line(fmt::format("  {:<{}}  {}", image.platform, width, image.digest));
  terminal->output_line(fmt::format("  {:<{}}  {}", "index", width, result.index.digest));
  for (const std::string& platform : result.missing)
    terminal->output_line(fmt::format("xbuild: warning: {} is missing (--allow-partial)", platform));
  return 0;
}

}  // namespace

std::function<int()> add_merge_command(CLI::App& app) {
  auto options = std::make_shared<MergeCommandOptions>();
  CLI::App* merge =
      app.add_subcommand("merge", "Merge the OCI layouts of a sharded run (run --shard I/N) into one index");
  merge->add_option("layouts", options->layouts, "The shards' layouts: oci:DIR or DIR")->required();
  merge->add_option("-o,--output", options->output, "Where the merged image goes: oci:DIR or oci-archive:FILE")
      ->required();
  merge->add_option("--push", options->push, "Also push the merged image to this reference (repeatable)");
  merge->add_option("--expect", options->expect,
                    "The platforms the index must hold, in order (default: the ones the shards were built for)");
  merge->add_flag("--allow-partial", options->allow_partial, "Merge even when expected platforms are missing");
  merge->add_option("--insecure-registry", options->insecure_registries,
                    "Use plain http for this registry (HOST or HOST:PORT)");
  return [merge, options]() { return merge->parsed() ? merge_command(*options) : -1; };
}

}  // namespace xb
