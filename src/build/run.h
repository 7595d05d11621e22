// The application layer: `xbuild run`, `xbuild plan` and `xbuild merge` as pipelines of named
// passes (build/pipeline.cpp), each a function from plain values to plain values. The command
// line (cli/) turns argv into these options and calls them.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exec/process.h"
#include "platform/platform.h"

namespace xb {

class Terminal;
class ToolFinder;
namespace registry {
class HttpClient;
}
namespace debian {
struct TreeSpec;
}

struct RunOptions {
  std::filesystem::path config_file = "xbuild.toml";
  unsigned jobs = 0;                  // 0: the number of cores
  std::optional<std::string> output;  // "oci:DIR" / "oci-archive:FILE" / "local:DIR"
  std::optional<std::filesystem::path> state_dir;
  bool keep_going = false;
  bool push = false;  // --push: to image.name, every tag
  std::vector<std::string> insecure_registries;
  unsigned registry_connect_timeout = 0;  // --registry-connect-timeout, seconds (0: the default)
  unsigned registry_timeout = 0;          // --registry-timeout, seconds (0: the default)
  bool no_cache = false;                  // --no-cache: run every stage, store nothing
  bool clean = false;                     // --clean: kept directories start empty, every stage runs (and is stored)
  std::optional<std::filesystem::path> cache_dir;      // --cache-dir (default: default_cache_dir())
  std::vector<std::string> cache_from;                 // --cache-from: registry caches read (replace [cache] from)
  std::optional<std::string> cache_to;                 // --cache-to: the registry cache written (replaces [cache] to)
  std::optional<std::filesystem::path> metadata_file;  // --metadata-file: digests as JSON
  std::optional<std::filesystem::path> junit_file;     // --junit: a testcase per test a log reports, else per stage
  std::string progress = "auto";                       // --progress auto|tty|plain|json
  std::optional<std::string> shard;                    // --shard I/N: only that shard's platforms
  std::optional<std::filesystem::path> durations;      // --durations: an earlier --metadata-file, packs the shards
  std::optional<std::filesystem::path> size_baseline;  // --size-baseline: firmware sizes to compare with
  std::optional<std::filesystem::path> html_file;      // --report-html: matrix, timeline, failures as a page
  std::optional<std::filesystem::path> markdown_file;  // --report-markdown: the matrix as Markdown
  std::vector<std::string> platforms;                  // --platform: only these of the config's platforms (empty: all)
  std::vector<std::string> tags;                       // -t/--tag: the image's tags instead of [image] tags
  bool skip_unavailable = false;      // --skip-unavailable: platforms this machine cannot build are reported skipped
  bool fail_on_skip = false;          // --fail-on-skip: exit status 3 when one was
  std::vector<std::string> settings;  // --set KEY=VALUE: over the config file's values
  std::optional<std::string> source_date_epoch;  // --source-date-epoch now|git|N (default: build/inputs.h)
};

struct PlanCommandOptions {
  std::filesystem::path config_file = "xbuild.toml";
  std::optional<std::filesystem::path> state_dir;
  std::optional<std::string> shard;                // --shard I/N: the plan of that shard
  std::optional<std::filesystem::path> durations;  // --durations, as `run` takes it: every shard shown
  std::optional<std::filesystem::path> cache_dir;  // where the trees the plan names are
  std::optional<std::string> output;               // -o as `run` takes it: shown, and checked
  std::vector<std::string> platforms;              // --platform, as `run` takes it
  std::vector<std::string> tags;                   // -t/--tag, as `run` takes it
  bool skip_unavailable = false;                   // --skip-unavailable, as `run` takes it
  bool fail_on_skip = false;                       // --fail-on-skip, as `run` takes it
  std::vector<std::string> settings;               // --set, as `run` takes it
  std::optional<std::string> source_date_epoch;    // --source-date-epoch, as `run` takes it
};

// What a run learns from this machine and reaches it through: the real ones by default
// (machine_services()); tests put fakes in (FakeToolFinder, FakeProcessRunner, a scratch data
// directory).
struct Services {
  std::filesystem::path data_dir;       // toolchains/, qemu/ (data_directory())
  Platform host;                        // host_platform()
  bool root = false;                    // the run is root
  std::filesystem::path xbuild_binary;  // this binary (/proc/self/exe): firmware tests
  // xbuild-stage (src/stage_commands.h), which every stage is started through; empty: xbuild_binary,
  // which takes the same commands.
  std::filesystem::path stage_binary;
  const std::filesystem::path& stage_program() const { return stage_binary.empty() ? xbuild_binary : stage_binary; }
  // Compiler versions feed cache keys only: asked and remembered next to the cache, or (with
  // --no-cache) not asked at all. Null: chosen that way from the options.
  ToolFinder* finder = nullptr;
  // make_uv_process_runner; `containment` (the run's, or null) keeps the stages within the run.
  std::function<std::unique_ptr<ProcessRunner>(uv_loop_t* loop, StageContainment* containment)> process_runner;
  // Whether a stage can have binfmt_misc handlers of its own (emulate/private_binfmt.h): asked
  // only when a crossing target runs its binaries under QEMU. Empty: no.
  std::function<bool()> private_binfmt;
  // The HTTP client of registry operations (base images, --push); empty: libcurl's.
  std::function<std::unique_ptr<registry::HttpClient>(uv_loop_t* loop)> http_client;
  // Trees from Debian packages (build/trees.h): this machine's suite and mirror (empty: read from
  // /etc), which of a native target's packages it lacks (empty: dpkg says), and what fills a
  // tree (empty: mmdebstrap).
  std::string debian_suite;
  std::string debian_mirror;
  std::function<std::vector<std::string>(const std::vector<std::string>& names)> missing_host_packages;
  std::function<std::vector<std::string>(const debian::TreeSpec& spec, const std::filesystem::path& dir)>
      make_tree_command;
};
Services machine_services();

// `xbuild run`: parse -> lock -> plan -> base images -> cache -> prepare -> schedule -> publish
// -> report. Returns the exit status; a failure throws xb::Error with the message and status.
int run_build(const RunOptions& options, Services& services, Terminal& terminal);
// `xbuild plan`: prints the plan of the config (and of a shard); exit status 2 when not ready.
int plan_build(const PlanCommandOptions& options, Services& services);

}  // namespace xb
