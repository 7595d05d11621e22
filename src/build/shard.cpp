// Shards by name or by measured time. Without durations the platforms, sorted by name, are dealt
// round-robin: stable and machine-independent, but blind to cost (one shard may get every slow
// emulated target). With an earlier run's durations the split is LPT (Graham's "longest
// processing time first"): the platforms in descending cost, each put on the shard whose
// expected time is lowest so far. Its longest shard is within 4/3 - 1/(3N) of the best possible
// one, and in practice close to the mean. The costs are whole milliseconds (each at least one, so
// that a shard is never left empty while another holds two platforms), the order is total
// (cost, then name; load, then shard number), and so every shard, on any machine, computes the
// same assignment from the same file without talking to the others.
#include "build/shard.h"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "config/model.h"
#include "oci/image.h"
#include "oci/merge.h"
#include "report/report.h"
#include "util/error.h"
#include "util/fs.h"
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

using Millis = long long;

// At most 10^9 s (a file may hold any number): sums of thousands of platforms stay exact.
Millis to_millis(double seconds) { return std::max<Millis>(1, std::llround(std::min(seconds, 1e9) * 1000)); }

std::string seconds_text(double seconds) { return fmt::format("{:.1f} s", seconds); }

std::string joined(const std::vector<Platform>& platforms) {
  std::string names;
  for (const Platform& platform : platforms) names += (names.empty() ? "" : ", ") + platform.str();
  return names;
}

const char* const kDurationsFix =
    "pass the --metadata-file of an earlier run or of xbuild merge (xbuild run --metadata-file FILE), or leave "
    "--durations out to deal the shards round-robin by name";

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

PlatformCosts read_durations(const std::filesystem::path& file) {
  std::error_code error;
  if (std::filesystem::exists(file, error) && !std::filesystem::is_regular_file(file, error))
    throw Error(fmt::format("--durations {}: not a regular file; {}", file.string(), kDurationsFix), 2);
  Result<std::string> text = read_file(file);
  if (!text) throw Error(fmt::format("--durations {}: {}; {}", file.string(), text.error(), kDurationsFix), 2);
  Result<std::map<std::string, double>> costs = metadata_durations(text.value(), file.string());
  if (!costs) throw Error(fmt::format("--durations {}; {}", costs.error(), kDurationsFix), 2);
  return costs.value();
}

ShardAssignment assign_shards(const std::vector<Platform>& platforms, unsigned count, const PlatformCosts* costs) {
  ShardAssignment assignment;
  assignment.shards.resize(count);
  std::vector<std::pair<Millis, std::string>> known;
  std::vector<std::string> unknown;
  for (const Platform& platform : platforms) {
    std::optional<double> cost;
    if (costs)
      if (auto found = costs->find(platform.str()); found != costs->end()) cost = found->second;
    if (cost)
      known.emplace_back(to_millis(*cost), platform.str());
    else
      unknown.push_back(platform.str());
  }
  assignment.known = known.size();
  if (known.empty()) {
    for (unsigned index = 1; index <= count; ++index)
      assignment.shards[index - 1] = shard_platforms(platforms, {index, count});
    return assignment;
  }
  assignment.packed = true;
  Millis total = 0;
  for (const auto& [cost, name] : known) total += cost;
  const Millis mean = std::max<Millis>(1, (total + Millis(known.size()) / 2) / Millis(known.size()));
  assignment.unknown_cost = static_cast<double>(mean) / 1000;
  std::vector<std::pair<Millis, std::string>> jobs = known;
  for (const std::string& name : unknown) jobs.emplace_back(mean, name);
  std::sort(jobs.begin(), jobs.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::vector<Millis> load(count, 0);
  std::vector<std::set<std::string>> names(count);
  for (const auto& [cost, name] : jobs) {
    std::size_t least = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[least] += cost;
    names[least].insert(name);
  }
  for (unsigned index = 0; index < count; ++index) {
    for (const Platform& platform : platforms)
      if (names[index].count(platform.str())) assignment.shards[index].push_back(platform);
    assignment.expected.push_back(static_cast<double>(load[index]) / 1000);
  }
  return assignment;
}

std::map<std::string, std::string> shard_step(Config& config, Shard shard, const PlatformCosts* costs) {
  std::string all;
  for (const Platform& platform : config.platforms) all += (all.empty() ? "" : ",") + platform.str();
  std::vector<Platform> mine = assign_shards(config.platforms, shard.count, costs).shards[shard.index - 1];
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
  return fmt::format("shard {}/{}: {} (of {} platform{})\n", shard.index, shard.count, joined(config.platforms), all,
                     all == 1 ? "" : "s");
}

namespace {

// How the shards were chosen, for plan's first line and run's line.
std::string assignment_method(const ShardAssignment& assignment, std::size_t platforms,
                              const std::filesystem::path& file) {
  if (!assignment.packed)
    return fmt::format("dealt round-robin by name: {} measured none of these {} platform{}", file.string(), platforms,
                       platforms == 1 ? "" : "s");
  std::string measured =
      fmt::format("{} of {} platform{} measured", assignment.known, platforms, platforms == 1 ? "" : "s");
  if (assignment.known < platforms)
    measured += fmt::format(", the other{} counted at their mean, {}", platforms - assignment.known == 1 ? "" : "s",
                            seconds_text(assignment.unknown_cost));
  return fmt::format("packed by the durations in {} (longest first onto the least-loaded shard; {})", file.string(),
                     measured);
}

}  // namespace

std::string shard_run_line(const std::vector<Platform>& platforms, Shard shard, const PlatformCosts& costs,
                           const std::filesystem::path& file) {
  ShardAssignment assignment = assign_shards(platforms, shard.count, &costs);
  const std::vector<Platform>& mine = assignment.shards[shard.index - 1];
  if (!assignment.packed)
    return fmt::format("xbuild: warning: shard {}/{} {}: {}", shard.index, shard.count,
                       assignment_method(assignment, platforms.size(), file), joined(mine));
  double longest = *std::max_element(assignment.expected.begin(), assignment.expected.end());
  return fmt::format("xbuild: shard {}/{} {}: {} (expected {}; the longest shard {})", shard.index, shard.count,
                     assignment_method(assignment, platforms.size(), file), joined(mine),
                     seconds_text(assignment.expected[shard.index - 1]), seconds_text(longest));
}

std::string shard_plan_lines(Config& config, Shard shard, const PlatformCosts& costs,
                             const std::filesystem::path& file) {
  ShardAssignment assignment = assign_shards(config.platforms, shard.count, &costs);
  std::string out = fmt::format("shards {}\n", assignment_method(assignment, config.platforms.size(), file));
  for (unsigned index = 1; index <= shard.count; ++index) {
    const std::vector<Platform>& platforms = assignment.shards[index - 1];
    out += fmt::format("shard {}/{}: {}", index, shard.count, platforms.empty() ? "(nothing)" : joined(platforms));
    if (assignment.packed) out += " (expected " + seconds_text(assignment.expected[index - 1]) + ")";
    out += index == shard.index ? " <- this shard\n" : "\n";
  }
  shard_step(config, shard, &costs);
  return out;
}

}  // namespace xb
