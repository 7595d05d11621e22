// xbuild push / pull / manifest inspect / manifest create.
// Each command parses its references first (bad input changes nothing), then runs one
// registry operation (src/registry/operations.h) and prints what it did.
#include "cli/registry_commands.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "oci/document.h"
#include "oci/layout_reader.h"
#include "registry/operations.h"
#include "registry/reference.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;
using registry::Reference;

namespace {

struct RegistryCommandOptions {
  std::string source;
  std::string reference;
  std::vector<std::string> sources;
  std::string platform;
  std::string output;
  bool raw = false;
  bool dry_run = false;
  std::vector<std::string> insecure_registries;
  unsigned connect_timeout = 0;  // seconds; 0: the default
  unsigned timeout = 0;
};

Reference reference_or_throw(const std::string& text) {
  Result<Reference> reference = registry::parse_reference(text);
  if (!reference) throw Error(reference.error(), 2);
  return reference.value();
}

fs::path layout_or_throw(const std::string& text, const std::string& what) {
  if (!starts_with(text, "oci:") || text.size() == 4)
    throw Error(fmt::format("{} \"{}\" is not an OCI layout; write oci:DIR", what, text), 2);
  return fs::absolute(text.substr(4));
}

registry::RegistryOptions registry_options(const RegistryCommandOptions& command) {
  registry::RegistryOptions options;
  options.insecure_registries = command.insecure_registries;
  registry::set_timeouts(options, command.connect_timeout, command.timeout);
  return options;
}

int push_command(const RegistryCommandOptions& options) {
  fs::path layout = layout_or_throw(options.source, "the source");
  Reference target = reference_or_throw(options.reference);
  Result<registry::PushSummary> pushed = registry::push_layout(layout, {target}, registry_options(options));
  if (!pushed) throw Error(pushed.error());
  std::printf("xbuild: pushed %s (%s)\n  %s\n", target.str().c_str(), pushed.value().root.digest.c_str(),
              registry::describe_push(pushed.value()).c_str());
  return 0;
}

int pull_command(const RegistryCommandOptions& options) {
  Reference reference = reference_or_throw(options.reference);
  Platform platform = host_platform();
  if (!options.platform.empty()) {
    Result<Platform> parsed = parse_platform(options.platform);
    if (!parsed) throw Error(parsed.error(), 2);
    platform = parsed.value();
  }
  fs::path output = layout_or_throw(options.output, "the output");
  Result<registry::PullSummary> pulled = registry::pull_image(reference, platform, output, registry_options(options));
  if (!pulled) throw Error(pulled.error());
  std::string skipped;
  if (pulled.value().non_distributable > 0)
    skipped = fmt::format(", {} non-distributable layer{} not downloaded", pulled.value().non_distributable,
                          pulled.value().non_distributable == 1 ? "" : "s");
  std::printf("xbuild: pulled %s for %s (%s, %d blobs verified%s) into oci:%s\n", reference.str().c_str(),
              pulled.value().platform.str().c_str(), pulled.value().manifest.digest.c_str(), pulled.value().blobs,
              skipped.c_str(), output.c_str());
  return 0;
}

// The table of an index (one row per platform) or of an image (one row per layer).
void print_manifest(const std::string& name, const oci::Manifest& manifest, const std::string& platform) {
  std::printf("%s\n  media type  %s\n  digest      %s\n  size        %lld\n", name.c_str(), manifest.media_type.c_str(),
              manifest.digest.c_str(), static_cast<long long>(manifest.size()));
  if (!platform.empty()) std::printf("  platform    %s\n", platform.c_str());
  std::vector<std::vector<std::string>> rows;
  if (manifest.is_index()) {
    rows.push_back({"PLATFORM", "DIGEST", "SIZE", "MEDIA TYPE"});
    for (const oci::Descriptor& entry : manifest.manifests)
      rows.push_back({entry.platform ? entry.platform->str() : "-", entry.digest, std::to_string(entry.size),
                      entry.artifact_type.empty() ? entry.media_type
                                                  : entry.media_type + " (artifact " + entry.artifact_type + ")"});
  } else {
    rows.push_back({"LAYER", "DIGEST", "SIZE", "MEDIA TYPE"});
    rows.push_back(
        {"config", manifest.config.digest, std::to_string(manifest.config.size), manifest.config.media_type});
    for (std::size_t i = 0; i < manifest.layers.size(); ++i)
      rows.push_back({std::to_string(i + 1), manifest.layers[i].digest, std::to_string(manifest.layers[i].size),
                      manifest.layers[i].media_type});
  }
  std::size_t first = 0, size = 0;
  for (const auto& row : rows) {
    first = std::max(first, row[0].size());
    size = std::max(size, row[2].size());
  }
  for (const auto& row : rows)
    std::printf("  %s\n",
                fmt::format("{:<{}}  {:<71}  {:>{}}  {}", row[0], first, row[1], row[2], size, row[3]).c_str());
}

int inspect_command(const RegistryCommandOptions& options) {
  oci::Manifest manifest;
  std::string name, platform;
  if (starts_with(options.reference, "oci:")) {
    fs::path layout = layout_or_throw(options.reference, "the layout");
    Result<oci::LayoutReader> source = oci::LayoutReader::open(layout);
    if (!source) throw Error(source.error());
    Result<oci::Descriptor> root = source.value().root("latest");
    if (!root) throw Error(root.error());
    Result<oci::Manifest> read = source.value().manifest(root.value());
    if (!read) throw Error(read.error());
    manifest = std::move(read).value();
    name = options.reference;
    if (!manifest.is_index()) {
      Result<std::string> config = source.value().blob(manifest.config.digest);
      if (!config) throw Error(config.error());
      Result<Platform> read_platform = oci::platform_of_config(config.value(), name);
      if (read_platform) platform = read_platform.value().str();
    }
  } else {
    Reference reference = reference_or_throw(options.reference);
    registry::RegistryOptions registry = registry_options(options);
    Result<oci::Manifest> fetched = registry::fetch_manifest(reference, registry);
    if (!fetched) throw Error(fetched.error());
    manifest = std::move(fetched).value();
    name = reference.str();
    if (!manifest.is_index() && !options.raw) {
      Result<std::string> config = registry::fetch_blob_text(reference, manifest.config, registry);
      if (!config) throw Error(config.error());
      Result<Platform> read_platform = oci::platform_of_config(config.value(), name);
      if (read_platform) platform = read_platform.value().str();
    }
  }
  if (options.raw) {
    std::fwrite(manifest.body.data(), 1, manifest.body.size(), stdout);
    std::fputc('\n', stdout);
    return 0;
  }
  print_manifest(name, manifest, platform);
  return 0;
}

// SRC is REF, or PLATFORM=REF to list the image under that platform.
registry::IndexSource index_source(const std::string& text) {
  registry::IndexSource source;
  std::string reference = text;
  if (std::size_t equals = text.find('='); equals != std::string::npos) {
    Result<Platform> platform = parse_platform(text.substr(0, equals));
    if (!platform) throw Error(platform.error(), 2);
    source.platform = platform.value();
    reference = text.substr(equals + 1);
  }
  source.reference = reference_or_throw(reference);
  return source;
}

int create_command(const RegistryCommandOptions& options) {
  Reference target = reference_or_throw(options.reference);
  std::vector<registry::IndexSource> sources;
  for (const std::string& text : options.sources) sources.push_back(index_source(text));
  Result<oci::Manifest> index = registry::create_index(target, sources, options.dry_run, registry_options(options));
  if (!index) throw Error(index.error());
  if (options.dry_run) {
    std::printf("%s\n", index.value().body.c_str());
    return 0;
  }
  std::vector<std::string> platforms;
  for (const oci::Descriptor& entry : index.value().manifests) platforms.push_back(entry.platform->str());
  std::printf("xbuild: pushed index %s (%s) with %zu platform%s: %s\n", target.str().c_str(),
              index.value().digest.c_str(), platforms.size(), platforms.size() == 1 ? "" : "s",
              join(platforms, ", ").c_str());
  return 0;
}

void add_insecure_option(CLI::App* command, RegistryCommandOptions& options) {
  command->add_option("--insecure-registry", options.insecure_registries,
                      "Use plain http for this registry (HOST or HOST:PORT); localhost needs no flag");
  add_registry_timeout_options(command, options.connect_timeout, options.timeout);
}

}  // namespace

void add_registry_timeout_options(CLI::App* command, unsigned& connect_seconds, unsigned& stall_seconds) {
  registry::HttpClientOptions defaults;
  connect_seconds = static_cast<unsigned>(defaults.connect_timeout.count());
  stall_seconds = static_cast<unsigned>(defaults.low_speed_timeout.count());
  command
      ->add_option("--registry-connect-timeout", connect_seconds,
                   "Seconds to wait for a connection to a registry before trying once more, then failing")
      ->check(CLI::Range(1u, 3600u))
      ->capture_default_str()
      ->envname("XBUILD_REGISTRY_CONNECT_TIMEOUT");
  command
      ->add_option("--registry-timeout", stall_seconds,
                   "Seconds a registry may send nothing (no answer, or a transfer stalled) before a request is "
                   "tried once more, then fails")
      ->check(CLI::Range(1u, 3600u))
      ->capture_default_str()
      ->envname("XBUILD_REGISTRY_TIMEOUT");
}

std::function<int()> add_registry_commands(CLI::App& app) {
  auto options = std::make_shared<RegistryCommandOptions>();

  CLI::App* push = app.add_subcommand("push", "Push an OCI layout's image or index to a registry");
  push->add_option("source", options->source, "The layout: oci:DIR")->required();
  push->add_option("reference", options->reference, "Where to: HOST[:PORT]/REPOSITORY[:TAG]")->required();
  add_insecure_option(push, *options);

  CLI::App* pull = app.add_subcommand("pull", "Pull the image for one platform from a registry into an OCI layout");
  pull->add_option("reference", options->reference, "What: HOST[:PORT]/REPOSITORY[:TAG][@DIGEST]")->required();
  pull->add_option("--platform", options->platform, "os/arch[/variant] (default: this machine's)");
  pull->add_option("-o,--output", options->output, "Where: oci:DIR")->required();
  add_insecure_option(pull, *options);

  CLI::App* manifest = app.add_subcommand("manifest", "Inspect an index or image, or create an index from images");
  manifest->require_subcommand(1);
  CLI::App* inspect = manifest->add_subcommand("inspect", "Show an index's platforms or an image's layers");
  inspect->add_option("reference", options->reference, "A registry reference or oci:DIR")->required();
  inspect->add_flag("--raw", options->raw, "Print the document itself (JSON)");
  add_insecure_option(inspect, *options);
  CLI::App* create = manifest->add_subcommand("create", "Push an index listing images already in the registry");
  create->add_option("reference", options->reference, "The index to push: HOST[:PORT]/REPOSITORY[:TAG]")->required();
  create->add_option("sources", options->sources, "The images: REF, or PLATFORM=REF to set its platform")->required();
  create->add_flag("--dry-run", options->dry_run, "Print the index instead of pushing it");
  add_insecure_option(create, *options);

  return [=]() -> int {
    if (push->parsed()) return push_command(*options);
    if (pull->parsed()) return pull_command(*options);
    if (inspect->parsed()) return inspect_command(*options);
    if (create->parsed()) return create_command(*options);
    return -1;
  };
}

}  // namespace xb
