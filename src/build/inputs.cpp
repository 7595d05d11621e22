#include "build/inputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>

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

namespace {

// A whole number of seconds, at least 0, or nullopt.
std::optional<long long> whole_seconds(const std::string& text) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::strtoll(text.c_str(), nullptr, 10);
}

std::optional<long long> last_commit_time(const fs::path& project_dir) {
  ProbeOptions probe;
  probe.working_directory = project_dir;
  Result<std::string> commit_time = probe_output({"git", "log", "-1", "--format=%ct"}, probe);
  if (!commit_time.ok()) return std::nullopt;
  return whole_seconds(std::string(trim(commit_time.value())));
}

}  // namespace

void check_source_date_epoch(const std::optional<std::string>& option) {
  if (!option || *option == "now" || *option == "git" || whole_seconds(*option)) return;
  throw Error(fmt::format("--source-date-epoch \"{}\": use now (the current time), git (the time of the last "
                          "commit) or a whole number of seconds since 1970-01-01 UTC, such as 1700000000",
                          *option),
              2);
}

SourceDateEpoch source_date_epoch(const fs::path& project_dir, const std::optional<std::string>& option) {
  check_source_date_epoch(option);
  if (option && *option == "now") return {static_cast<long long>(std::time(nullptr)), ""};
  if (option && *option == "git") {
    std::optional<long long> commit = last_commit_time(project_dir);
    if (!commit)
      throw Error(fmt::format("--source-date-epoch git: {} is not in a git checkout with a commit; commit first "
                              "(git init && git add -A && git commit), or use --source-date-epoch now or N",
                              project_dir.string()),
                  2);
    return {*commit, ""};
  }
  if (option) return {*whole_seconds(*option), ""};
  if (const char* value = std::getenv("SOURCE_DATE_EPOCH"); value && *value) {
    std::optional<long long> seconds = whole_seconds(value);
    if (!seconds)
      throw Error(fmt::format("SOURCE_DATE_EPOCH=\"{}\" is not a non-negative whole number of seconds", value), 2);
    return {*seconds, ""};
  }
  if (std::optional<long long> commit = last_commit_time(project_dir)) return {*commit, ""};
  return {0, "the images are dated 1970-01-01 (SOURCE_DATE_EPOCH 0): " + project_dir.string() +
                 " is not in a git checkout, whose last commit would date them, and a fixed date keeps two builds of "
                 "the same sources identical; --source-date-epoch now, git or N (or SOURCE_DATE_EPOCH) sets another"};
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
  check_source_date_epoch(options.source_date_epoch);
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
  SourceDateEpoch epoch = source_date_epoch(inputs.config.directory, options.source_date_epoch);
  inputs.source_date_epoch = epoch.seconds;
  inputs.source_date_epoch_note = epoch.note;
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
