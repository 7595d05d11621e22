#include "build/inputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "build/shard.h"
#include "config/config.h"
#include "registry/reference.h"
#include "util/fs.h"
#include "util/image_name.h"
#include "util/probe.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

void check_report_file(const char* option, const std::optional<fs::path>& file) {
  if (!file) return;
  fs::path directory = fs::absolute(*file).parent_path();
  std::error_code error;
  if (file->empty() || fs::is_directory(*file, error))
    throw Error(fmt::format("{} \"{}\" is not a file name: name the file to write", option, file->string()), 2);
  if (!fs::is_directory(directory, error))
    throw Error(fmt::format("{} {}: the directory {} does not exist; create it first", option, file->string(),
                            directory.string()),
                2);
}

namespace {

// The config's platform that `name` means ("linux/arm64", "linux/aarch64", "cortex-m4" for
// none/arm/cortex-m4), or an error naming the ones it has.
Platform chosen_platform(const Config& config, const std::string& name) {
  std::vector<std::string> names;
  for (const Platform& platform : config.platforms) {
    names.push_back(platform.str());
    if (is_bare_metal(platform) && platform.variant == name) return platform;
  }
  Result<Platform> parsed = parse_platform(name);
  if (parsed)
    for (const Platform& platform : config.platforms)
      if (platform == parsed.value()) return platform;
  std::string suggestion = closest_match(name, names);
  throw Error(fmt::format("--platform {}: not a platform of {}{}; its platforms are {}", name, config.file.string(),
                          suggestion.empty() ? "" : " (did you mean " + suggestion + "?)", join(names, ", ")),
              2);
}

}  // namespace

void apply_command_line(Config& config, const std::vector<std::string>& platforms,
                        const std::vector<std::string>& tags) {
  std::vector<Platform> chosen;
  for (const std::string& list : platforms)
    for (const std::string& word : split(list, ',')) {
      std::string name(trim(word));
      if (name.empty()) throw Error("--platform " + list + ": an empty platform name; separate names with one ','", 2);
      chosen.push_back(chosen_platform(config, name));
    }
  if (!chosen.empty())
    std::erase_if(config.platforms, [&](const Platform& platform) {
      return std::find(chosen.begin(), chosen.end(), platform) == chosen.end();
    });
  for (auto tag = tags.begin(); tag != tags.end(); ++tag) {
    if (!is_tag(*tag))
      throw Error(fmt::format("-t/--tag \"{}\" is not a valid tag: use letters, digits, '_', '.' and '-' (at most "
                              "128, not starting with '.' or '-')",
                              *tag),
                  2);
    if (std::find(tags.begin(), tag, *tag) != tag)
      throw Error(fmt::format("-t/--tag \"{}\" is given twice: name each tag once", *tag), 2);
  }
  if (!tags.empty()) config.image.tags = tags;
}

Config read_config(const fs::path& file, const std::vector<std::string>& settings) {
  ConfigResult result = load_config(file, settings);
  if (auto* errors = std::get_if<ConfigErrors>(&result)) {
    std::fputs(errors->render_shown().c_str(), stderr);
    throw Error(errors->count() + "; nothing was run", 2);
  }
  return std::get<Config>(std::move(result));
}

long long source_date_epoch(const fs::path& project_dir) {
  if (const char* value = std::getenv("SOURCE_DATE_EPOCH"); value && *value) {
    char* end = nullptr;
    long long seconds = std::strtoll(value, &end, 10);
    if (*end != '\0' || seconds < 0)
      throw Error(fmt::format("SOURCE_DATE_EPOCH=\"{}\" is not a non-negative whole number of seconds", value), 2);
    return seconds;
  }
  ProbeOptions probe;
  probe.working_directory = project_dir;
  Result<std::string> commit_time = probe_output({"git", "log", "-1", "--format=%ct"}, probe);
  if (commit_time.ok() && !trim(commit_time.value()).empty())
    return std::strtoll(std::string(trim(commit_time.value())).c_str(), nullptr, 10);
  return 0;
}

std::vector<std::string> push_references(const Config& config, const OutputTarget& output) {
  if (config.image.name.empty())
    throw Error(fmt::format("--push needs the image's repository: add name = \"HOST/REPOSITORY\" to [image] in {}",
                            config.file.string()),
                2);
  if (output.kind != OutputTarget::Kind::layout)
    throw Error(fmt::format("--push pushes from an OCI layout, not from {}; use -o oci:DIR (or no -o)", output.str()),
                2);
  std::vector<std::string> references;
  std::vector<std::string> tags = config.image.tags.empty() ? std::vector<std::string>{"latest"} : config.image.tags;
  for (const std::string& tag : tags) {
    Result<registry::Reference> reference = registry::parse_reference(config.image.name + ":" + tag);
    if (!reference) throw Error(fmt::format("{} ([image] in {})", reference.error(), config.file.string()), 2);
    references.push_back(reference.value().str());
  }
  return references;
}

OutputTarget read_output(const std::optional<std::string>& text, const fs::path& state_dir) {
  Result<OutputTarget> output = parse_output(text ? *text : "oci:" + (state_dir / "oci").string(), fs::current_path());
  if (!output) throw Error(output.error(), 2);
  if (Status usable = check_output(output.value()); !usable) throw Error(usable.error(), 2);
  return output.value();
}

std::optional<PlatformCosts> read_shard_durations(const std::optional<fs::path>& file,
                                                  const std::optional<Shard>& shard) {
  if (!file) return std::nullopt;
  if (!shard)
    throw Error(
        fmt::format("--durations {} packs the shards of a sharded run: add --shard I/N, or leave --durations out",
                    file->string()),
        2);
  return read_durations(*file);
}

RunInputs read_run_inputs(const RunOptions& options) {
  check_report_file("--metadata-file", options.metadata_file);
  check_report_file("--junit", options.junit_file);
  check_report_file("--report-html", options.html_file);
  check_report_file("--report-markdown", options.markdown_file);
  std::optional<Shard> shard = options.shard ? std::optional<Shard>(parse_shard(*options.shard)) : std::nullopt;
  if (shard && options.push)
    throw Error(
        "--push with --shard would tag an index of one shard; merge the shards, then push: xbuild merge "
        "LAYOUT... -o oci:DIR --push REF",
        2);
  std::optional<PlatformCosts> costs = read_shard_durations(options.durations, shard);
  RunInputs inputs;
  inputs.config = read_config(options.config_file, options.settings);
  apply_command_line(inputs.config, options.platforms, options.tags);
  if (costs) inputs.shard_line = shard_run_line(inputs.config.platforms, *shard, *costs, *options.durations);
  if (shard) inputs.index_annotations = shard_step(inputs.config, *shard, costs ? &*costs : nullptr);
  inputs.state_dir = options.state_dir ? fs::absolute(*options.state_dir) : inputs.config.directory / ".xbuild";
  inputs.source_date_epoch = source_date_epoch(inputs.config.directory);
  // What the command line sets over the file (not what it selects: --shard, --platform).
  std::vector<std::string> settings;
  for (const std::string& setting : options.settings) settings.push_back("--set " + setting);
  for (const std::string& tag : options.tags) settings.push_back("--tag " + tag);
  Result<std::string> config_text = read_file(inputs.config.file);
  if (!config_text) throw Error(config_text.error(), 2);
  inputs.layout_annotations =
      run_identity(config_digest(config_text.value(), settings), source_revision(inputs.config.directory),
                   inputs.source_date_epoch, inputs.index_annotations);
  inputs.output = read_output(options.output, inputs.state_dir);
  if (options.push) inputs.push_references = push_references(inputs.config, inputs.output);
  inputs.registry_cache = registry_cache_refs(inputs.config.cache, options.cache_from, options.cache_to,
                                              options.no_cache, inputs.config.file.string());
  return inputs;
}

}  // namespace xb
