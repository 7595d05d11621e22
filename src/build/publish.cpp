#include "build/publish.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "oci/layout.h"
#include "oci/layout_reader.h"
#include "oci/merge.h"
#include "package/local_output.h"
#include "registry/operations.h"
#include "registry/reference.h"
#include "run/terminal.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// <state dir>/package-key: the full package key, then the index digest and size, the ref name,
// a line "platform digest size" per image, a line "warning TEXT" per warning, so that a run
// that reuses the package still prints them, and for local:DIR a line "local-tree DIGEST": the
// local_tree_digest of the tree it published, which DIR must still have to be reused.
fs::path package_key_file(const Plan& plan) { return plan.state_dir / "package-key"; }
const std::string kWarningPrefix = "warning ";
const std::string kLocalTreePrefix = "local-tree ";

bool reusable_kind(const OutputTarget& output) { return output.kind != OutputTarget::Kind::archive; }

std::string full_package_key(const PublishRequest& request) {
  std::string key = request.cache.package_key + "\n" + request.output.str() + "\n";
  for (const oci::BaseImage& base : request.bases) key += base.name + "@" + base.digest + "\n";
  // The run's identity is written on index.json: another commit or config writes it again.
  for (const auto& [name, value] : request.plan.layout_annotations) key += name + "=" + value + "\n";
  return sha256_digest(key);
}

// Remembers what was published for reusable_package (only an optimization: a failure costs
// the next run a repack).
void record_package(const PublishRequest& request, const PackageResult& images) {
  std::error_code error;
  fs::path file = package_key_file(request.plan);
  if (request.cache.package_key.empty() || !reusable_kind(request.output)) {
    fs::remove(file, error);
    return;
  }
  std::string text = full_package_key(request) + "\n" + images.index.digest + "\n" + std::to_string(images.index.size) +
                     "\n" + images.ref_name + "\n";
  for (const PackagedImage& image : images.images)
    text += image.platform.str() + " " + image.manifest.digest + " " + std::to_string(image.manifest.size) + "\n";
  for (const std::string& warning : images.warnings) text += kWarningPrefix + warning + "\n";
  if (!images.local_tree.empty()) text += kLocalTreePrefix + images.local_tree + "\n";
  (void)write_file_atomic(file, text);
}

}  // namespace

std::optional<PackageResult> reusable_package(const PublishRequest& request) {
  const Plan& plan = request.plan;
  const std::vector<bool>& cached = request.cache.cached;
  if (request.cache.package_key.empty() || !reusable_kind(request.output)) return std::nullopt;
  if (std::find(cached.begin(), cached.end(), false) != cached.end()) return std::nullopt;
  Result<std::string> recorded = read_file(package_key_file(plan));
  if (!recorded) return std::nullopt;
  std::vector<std::string> lines = split(recorded.value(), '\n');
  if (lines.size() < 4 + plan.targets.size() || lines[0] != full_package_key(request)) return std::nullopt;
  PackageResult result;
  result.index = {oci::kMediaTypeIndex, lines[1], std::strtoll(lines[2].c_str(), nullptr, 10), {}, {}};
  result.ref_name = lines[3];
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    std::vector<std::string> fields = split(lines[4 + target], ' ');
    if (fields.size() != 3 || fields[0] != plan.targets[target].platform.str()) return std::nullopt;
    result.images.push_back({plan.targets[target].platform,
                             {oci::kMediaTypeManifest,
                              fields[1],
                              std::strtoll(fields[2].c_str(), nullptr, 10),
                              plan.targets[target].platform,
                              {}}});
  }
  for (std::size_t line = 4 + plan.targets.size(); line < lines.size(); ++line) {
    if (starts_with(lines[line], kWarningPrefix)) result.warnings.push_back(lines[line].substr(kWarningPrefix.size()));
    if (starts_with(lines[line], kLocalTreePrefix)) result.local_tree = lines[line].substr(kLocalTreePrefix.size());
  }
  if (request.output.kind == OutputTarget::Kind::local) {
    // Every file as it was published, nothing added or removed: else the tree is written again.
    Result<std::string> tree = local_tree_digest(request.output.path);
    if (result.local_tree.empty() || !tree || tree.value() != result.local_tree) return std::nullopt;
    return result;
  }
  if (!oci::layout_holds_root_index(request.output.path, result.index.digest)) return std::nullopt;
  return result;
}

PackageResult publish(const PublishRequest& request, LayerPacker* packer, Terminal& terminal) {
  stop_if_interrupted(request.plan, request.output);
  std::optional<PackageResult> images = reusable_package(request);
  if (!images) {
    // Packing stops between two pieces of a file, and nothing is published once a signal came.
    Result<PackageResult> packaged =
        package_and_publish(request.config, request.plan, request.output, request.bases, packer);
    if (!packaged) {
      stop_if_interrupted(request.plan, request.output);
      throw Error(packaged.error());
    }
    images = std::move(packaged).value();
    record_package(request, *images);
  }
  stop_if_interrupted_after_publishing(request.output);
  for (const std::string& warning : images->warnings) terminal.status_line("xbuild: warning: " + warning);
  if (!request.push_references.empty())
    push_layout_step(request.push_references, request.output, request.registry, terminal);
  return *images;
}

void publish_failed_run(const Plan& plan, const OutputTarget& output, Terminal& terminal) {
  if (output.kind == OutputTarget::Kind::local) return;
  auto warn = [&](const std::string& why) {
    terminal.status_line("xbuild: warning: cannot mark " + output.str() + " failed: " + why);
  };
  Result<fs::path> staging_root = make_sibling_temp_dir(output.path);
  if (!staging_root) return warn(staging_root.error());
  TempDir cleanup(staging_root.value());
  fs::path staging = staging_root.value() / "oci";
  Result<oci::LayoutWriter> layout = oci::LayoutWriter::create(staging);
  if (!layout) return warn(layout.error());
  std::map<std::string, std::string> identity = plan.layout_annotations;
  identity[oci::kAnnotationResult] = oci::kResultFailed;
  if (Status finished = layout.value().finish_empty(identity); !finished) return warn(finished.error());
  Status published = output.kind == OutputTarget::Kind::layout ? oci::publish_layout(staging, output.path)
                                                               : oci::publish_archive(staging, output.path);
  if (!published) return warn(published.error());
  std::error_code ignored;
  fs::remove(package_key_file(plan), ignored);
  terminal.status_line("xbuild: " + output.str() +
                       " now holds no image, only this shard's result (failed): xbuild merge refuses it");
}

ShardFailureMark::~ShardFailureMark() {
  if (!armed_ || std::uncaught_exceptions() <= exceptions_) return;
  try {
    mark();
  } catch (...) {
    // The error on its way out is the one to report.
  }
}

void ShardFailureMark::mark() {
  if (!armed_) return;
  armed_ = false;
  publish_failed_run(plan_, output_, terminal_);
}

void stop_if_interrupted(const Plan& plan, const OutputTarget& output) {
  int signal_number = interrupt_signal();
  if (signal_number == 0) return;
  throw Error(fmt::format("interrupted by {}; nothing was published and {} {}", interrupt_signal_name(signal_number),
                          output.str(),
                          plan.index_annotations.empty() || output.kind == OutputTarget::Kind::local
                              ? "is unchanged"
                              : "holds only this shard's result (failed)"),
              130);
}

void stop_if_interrupted_after_publishing(const OutputTarget& output) {
  int signal_number = interrupt_signal();
  if (signal_number == 0) return;
  throw Error(fmt::format("interrupted by {} after {} was written", interrupt_signal_name(signal_number), output.str()),
              130);
}

std::string render_output(const Plan& plan, const OutputTarget& output) {
  if (output.kind != OutputTarget::Kind::local) return "output: " + output.str() + "\n";
  std::string text = "output: " + output.str() + " (files: a directory per platform and " + kLocalSummaryName + ")\n";
  std::size_t width = 7;
  for (const TargetPlan& target : plan.targets) width = std::max(width, target.platform.str().size());
  for (const TargetPlan& target : plan.targets)
    text +=
        fmt::format("  {:<{}}  {}/\n", target.platform.str(), width, (output.path / target.platform.slug()).string());
  text += fmt::format("  {:<{}}  {}\n", "summary", width, (output.path / kLocalSummaryName).string());
  return text;
}

void push_layout_step(const std::vector<std::string>& references, const OutputTarget& output,
                      const registry::RegistryOptions& registry, Terminal& terminal) {
  std::vector<registry::Reference> targets;
  for (const std::string& text : references) {
    Result<registry::Reference> reference = registry::parse_reference(text);
    if (!reference) throw Error(reference.error(), 2);
    targets.push_back(reference.value());
  }
  Result<registry::PushSummary> pushed = registry::push_layout(output.path, targets, registry);
  if (!pushed) throw Error(pushed.error());
  const registry::PushSummary& summary = pushed.value();
  for (const registry::Reference& target : targets)
    terminal.output_line(fmt::format("xbuild: pushed {} ({})", target.str(), summary.root.digest));
  terminal.output_line("  " + registry::describe_push(summary));
}

}  // namespace xb
