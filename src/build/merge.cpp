// The pipeline of `xbuild merge`: check the arguments -> merge the layouts into a staging
// directory next to the output -> publish it in one step -> push (--push) -> report. A refused
// merge leaves the output as it was.
#include "build/merge.h"

#include <fmt/format.h>

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

}  // namespace

int merge_build(const MergeOptions& options, Terminal& terminal) {
  std::vector<fs::path> inputs = input_layouts(options.layouts);
  Result<OutputTarget> output = parse_output(options.output, fs::current_path());
  if (!output) throw Error(output.error(), 2);
  if (output.value().kind == OutputTarget::Kind::local)
    throw Error(fmt::format("{}: xbuild merge writes an OCI layout or archive (oci:DIR, oci-archive:FILE), not files; "
                            "a local output is written by xbuild run: run -o local:DIR without --shard, or with "
                            "--shard I/N for that shard's platforms",
                            output.value().str()),
                2);
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
    push_layout_step(options.push, output.value(), registry, terminal);
  }
  terminal.output_line(fmt::format("xbuild: merged {} layout{} ({} platform{}); wrote {} (tag {})", inputs.size(),
                                   inputs.size() == 1 ? "" : "s", result.images.size(),
                                   result.images.size() == 1 ? "" : "s", output.value().str(), result.ref_name));
  std::size_t width = 5;
  for (const oci::MergedImage& image : result.images) width = std::max(width, image.platform.size());
  for (const oci::MergedImage& image : result.images)
    terminal.output_line(fmt::format("  {:<{}}  {}", image.platform, width, image.digest));
  terminal.output_line(fmt::format("  {:<{}}  {}", "index", width, result.index.digest));
  for (const std::string& platform : result.missing)
    terminal.output_line(fmt::format("xbuild: warning: {} is missing (--allow-partial)", platform));
  return 0;
}

}  // namespace xb
