// The first pass of `xbuild run`: everything the command line and the config say, checked
// before anything runs or is written. A mistake is an xb::Error with exit status 2.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "build/registry_cache_pass.h"
#include "build/run.h"
#include "build/shard.h"
#include "config/model.h"
#include "package/package.h"

namespace xb {

struct RunInputs {
  Config config;                                         // with the shard's platforms only
  std::map<std::string, std::string> index_annotations;  // run --shard: for `xbuild merge`
  std::string shard_line;                                // run --shard --durations: how the shard was chosen
  std::filesystem::path state_dir;                       // absolute
  long long source_date_epoch = 0;
  std::string source_date_epoch_note;  // why it is 0 and how to choose it; empty when chosen
  OutputTarget output;
  std::vector<std::string> push_references;  // run --push: image.name:TAG for every tag
  // The run's identity, for the output layout's index.json (build/shard.h run_identity).
  std::map<std::string, std::string> layout_annotations;
  RegistryCacheRefs registry_cache;  // --cache-from/--cache-to, else [cache]; none with --no-cache
};

// A report file to write (`option` names it, e.g. "--junit"): a file name whose directory
// exists, or an xb::Error with exit status 2.
void check_report_file(const char* option, const std::optional<std::filesystem::path>& file);

// Reads the config with the command line's --set KEY=VALUE put in (every diagnostic printed on
// stderr; exit status 2 when there is one).
Config read_config(const std::filesystem::path& file, const std::vector<std::string>& settings = {});

// What the command line says over the config: --platform keeps only the platforms it names
// (platforms or firmware target names of the config, comma-separated or repeated; in the
// config's order), -t/--tag replaces [image] tags. A name the config lacks, or a malformed tag,
// is an xb::Error with exit status 2.
void apply_command_line(Config& config, const std::vector<std::string>& platforms,
                        const std::vector<std::string>& tags);

// The images' creation time and every file's mtime, in seconds since the epoch, and where it
// came from.
struct SourceDateEpoch {
  long long seconds = 0;
  // Set when nothing chose it (no --source-date-epoch, no SOURCE_DATE_EPOCH, not a git
  // checkout): why it is 0 and how to choose another.
  std::string note;
};

// --source-date-epoch as given: "now", "git", or a whole number of seconds (at least 0);
// anything else is an xb::Error with exit status 2. Checked before anything runs.
void check_source_date_epoch(const std::optional<std::string>& option);

// --source-date-epoch: now (the current time), git (the project's last commit: an xb::Error with
// the fix when the project is not in a git checkout), or N seconds. Without it:
// SOURCE_DATE_EPOCH from the environment, else the time of the project's last git commit, else
// 0, with a note.
SourceDateEpoch source_date_epoch(const std::filesystem::path& project_dir,
                                  const std::optional<std::string>& option = std::nullopt);

// -o as given (absent: oci:<state dir>/oci), parsed and checked on disk (check_output), or an
// xb::Error with exit status 2.
OutputTarget read_output(const std::optional<std::string>& text, const std::filesystem::path& state_dir);

// --durations FILE without --shard is an xb::Error with exit status 2; else the costs it records
// (build/shard.h read_durations), nullopt without it.
std::optional<PlatformCosts> read_shard_durations(const std::optional<std::filesystem::path>& file,
                                                  const std::optional<Shard>& shard);

// The config, the shard's platforms, the state directory, the output, the push references; and
// the directories of --metadata-file, --junit, --report-html and --report-markdown must exist.
RunInputs read_run_inputs(const RunOptions& options);

// `run --push`: the references image.name:TAG of every tag, checked before anything runs.
std::vector<std::string> push_references(const Config& config, const OutputTarget& output);

}  // namespace xb
