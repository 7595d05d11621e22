#include "build/shard.h"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>

#include "config/model.h"
#include "oci/image.h"
#include "oci/merge.h"
#include "util/error.h"
#include "util/probe.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {

namespace {

std::optional<unsigned> whole_number(std::string_view text) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

Shard parse_shard(const std::string& text) {
  std::size_t slash = text.find('/');
  std::optional<unsigned> index = slash == std::string::npos ? std::nullopt : whole_number(text.substr(0, slash));
  std::optional<unsigned> count = slash == std::string::npos ? std::nullopt : whole_number(text.substr(slash + 1));
  if (!index || !count)
    throw Error(
        fmt::format("--shard \"{}\" is not I/N: write the shard's number and the shard count, e.g. --shard 2/3", text),
        2);
  if (*count == 0) throw Error(fmt::format("--shard {}: the shard count must be at least 1", text), 2);
  if (*index < 1 || *index > *count)
    throw Error(fmt::format("--shard {}: the shard number must be from 1 to {}", text, *count), 2);
  return {*index, *count};
}

std::vector<Platform> shard_platforms(const std::vector<Platform>& platforms, Shard shard) {
  std::vector<std::string> names;
  for (const Platform& platform : platforms) names.push_back(platform.str());
  std::sort(names.begin(), names.end());
  std::vector<std::string> mine;
  for (std::size_t k = 0; k < names.size(); ++k)
    if (k % shard.count + 1 == shard.index) mine.push_back(names[k]);
  std::vector<Platform> result;
  for (const Platform& platform : platforms)
    if (std::find(mine.begin(), mine.end(), platform.str()) != mine.end()) result.push_back(platform);
  return result;
}

std::map<std::string, std::string> shard_step(Config& config, Shard shard) {
  std::string all;
  for (const Platform& platform : config.platforms) all += (all.empty() ? "" : ",") + platform.str();
  std::vector<Platform> mine = shard_platforms(config.platforms, shard);
  if (mine.empty())
    throw Error(
        fmt::format("--shard {}/{}: {} has {} platform{}, so shard {} would build nothing; use at most {} shard{}",
                    shard.index, shard.count, config.file.string(), config.platforms.size(),
                    config.platforms.size() == 1 ? "" : "s", shard.index, config.platforms.size(),
                    config.platforms.size() == 1 ? "" : "s"),
        2);
  config.platforms = mine;
  return {{oci::kAnnotationShard, fmt::format("{}/{}", shard.index, shard.count)}, {oci::kAnnotationPlatforms, all}};
}

std::string config_digest(std::string_view config_text, const std::vector<std::string>& command_line) {
  // The file by its digest, so that its bytes and the settings cannot run together.
  std::string text = sha256_digest(config_text) + "\n";
  for (const std::string& setting : command_line) text += setting + "\n";
  return sha256_digest(text);
}

std::optional<SourceRevision> source_revision(const std::filesystem::path& project_dir) {
  ProbeOptions probe;
  probe.working_directory = project_dir;
  Result<std::string> head = probe_output({"git", "rev-parse", "--verify", "HEAD"}, probe);
  if (!head.ok() || trim(head.value()).empty()) return std::nullopt;
  Result<std::string> status = probe_output({"git", "status", "--porcelain", "--untracked-files=no"}, probe);
  if (!status.ok()) return std::nullopt;
  return SourceRevision{std::string(trim(head.value())), !trim(status.value()).empty()};
}

std::map<std::string, std::string> run_identity(const std::string& config_digest,
                                                const std::optional<SourceRevision>& revision,
                                                long long source_date_epoch,
                                                const std::map<std::string, std::string>& shard_annotations) {
  std::map<std::string, std::string> identity = shard_annotations;
  identity[oci::kAnnotationConfigDigest] = config_digest;
  identity[oci::kAnnotationCreated] = oci::rfc3339(source_date_epoch);
  if (revision) {
    identity[oci::kAnnotationRevision] = revision->commit;
    identity[oci::kAnnotationDirty] = revision->dirty ? "true" : "false";
  }
  return identity;
}

std::string shard_plan_line(Config& config, Shard shard) {
  std::size_t all = config.platforms.size();
  shard_step(config, shard);
  std::string names;
  for (const Platform& platform : config.platforms) names += (names.empty() ? "" : ", ") + platform.str();
  return fmt::format("shard {}/{}: {} (of {} platform{})\n", shard.index, shard.count, names, all, all == 1 ? "" : "s");
}

}  // namespace xb
