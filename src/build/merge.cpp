// The pipeline of `xbuild merge`: check the arguments -> merge the layouts into a staging
// directory next to the output (oci/merge.h refuses failed, stale, missing and duplicate
// shards, or leaves them out with --allow-partial) -> merge the shards' reports in memory ->
// publish the layout in one step -> write the reports -> push (--push) -> report. A refused
// merge leaves the output and the report files as they were.
#include "build/merge.h"

#include <fmt/format.h>

#include <algorithm>

#include "build/inputs.h"
#include "build/publish.h"
#include "build/shard.h"
#include "oci/layout_reader.h"
#include "oci/merge.h"
#include "package/package.h"
#include "registry/reference.h"
#include "report/merged_reports.h"
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

// The report a shard's run wrote into its layout, or an error saying how to get one.
ReportSource shard_report(const fs::path& layout, const char* name, const char* option) {
  Result<std::string> text = read_file(layout / name);
  if (!text)
    throw Error(
        fmt::format("{} has no {} (xbuild run --shard writes its reports into its layout); run that shard "
                    "again with this xbuild, or merge without {}",
                    layout.string(), name, option));
  return {(layout / name).string(), std::move(text).value()};
}

// The image index a layout's index.json names, "" when none (a failed shard's).
std::string index_digest_of(const fs::path& layout) {
  Result<oci::LayoutReader> reader = oci::LayoutReader::read_index(layout);
  if (!reader || reader.value().roots().empty()) return "";
  return reader.value().roots().front().digest;
}

struct MergedReports {
  std::optional<std::string> junit;
  std::optional<std::string> metadata;
};

// Both reports of the merged shards, and of the failed ones left out, in the inputs' order.
MergedReports merge_reports(const MergeOptions& options, const std::vector<fs::path>& inputs,
                            const oci::MergeResult& result) {
  std::vector<fs::path> layouts;
  for (const fs::path& layout : inputs) {
    bool merged = std::find(result.merged.begin(), result.merged.end(), layout) != result.merged.end();
    bool failed = std::any_of(result.left_out.begin(), result.left_out.end(),
                              [&](const oci::LeftOut& left) { return left.layout == layout && left.failed; });
    if (merged || failed) layouts.push_back(layout);
  }
  MergedReports reports;
  if (options.junit_file) {
    std::vector<ReportSource> sources;
    for (const fs::path& layout : layouts) sources.push_back(shard_report(layout, kShardJunitFile, "--junit"));
    Result<std::string> junit = merge_junit(sources);
    if (!junit) throw Error("cannot merge the JUnit reports: " + junit.error());
    reports.junit = junit.value();
  }
  if (options.metadata_file) {
    std::vector<MetadataSource> sources;
    for (const fs::path& layout : layouts)
      sources.push_back({shard_report(layout, kShardMetadataFile, "--metadata-file"), index_digest_of(layout)});
    Result<std::string> metadata = merge_metadata(sources, {result.index.digest, result.index.size});
    if (!metadata) throw Error("cannot merge the metadata files: " + metadata.error());
    reports.metadata = metadata.value();
  }
  return reports;
}

void write_report(const std::optional<fs::path>& file, const std::optional<std::string>& text) {
  if (!file || !text) return;
  if (Status written = write_file_atomic(fs::absolute(*file), *text); !written) throw Error(written.error());
}

}  // namespace

int merge_build(const MergeOptions& options, Terminal& terminal) {
  check_report_file("--junit", options.junit_file);
  check_report_file("--metadata-file", options.metadata_file);
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
  MergedReports reports = merge_reports(options, inputs, merged.value());
  Status published = output.value().kind == OutputTarget::Kind::layout
                         ? oci::publish_layout(staging, output.value().path)
                         : oci::publish_archive(staging, output.value().path);
  if (!published) throw Error(published.error());
  write_report(options.junit_file, reports.junit);
  write_report(options.metadata_file, reports.metadata);

  const oci::MergeResult& result = merged.value();
  if (!options.push.empty()) {
    registry::RegistryOptions registry;
    registry.insecure_registries = options.insecure_registries;
    registry::set_timeouts(registry, options.registry_connect_timeout, options.registry_timeout);
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
  for (const oci::LeftOut& left : result.left_out)
    terminal.output_line(fmt::format("xbuild: warning: left out {}{}: {} (--allow-partial)", left.layout.string(),
                                     left.shard.empty() ? "" : " (shard " + left.shard + ")", left.reason));
  for (const std::string& platform : result.missing)
    terminal.output_line(fmt::format("xbuild: warning: {} is missing (--allow-partial)", platform));
  return 0;
}

}  // namespace xb
