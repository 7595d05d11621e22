// `xbuild cache info` (where the cache is, its entries and size, then the Debian sysroots and
// root filesystems made there, then each target's ccache and its hit rate) and `xbuild cache
// prune` (least recently used entries and trees first).
#include "cli/cache_commands.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>

#include "cache/store.h"
#include "debian/tree.h"
#include "toolchain/ccache.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

struct CacheCommandOptions {
  std::optional<fs::path> dir;
  std::string max_size = "0";
};

// "2026-12-04 20:31 UTC"
std::string format_used(fs::file_time_type used) {
  std::time_t when = std::chrono::system_clock::to_time_t(std::chrono::file_clock::to_sys(used));
  std::tm utc{};
  ::gmtime_r(&when, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

std::uint64_t bytes_of(const std::vector<debian::TreeRecord>& trees) {
  std::uint64_t bytes = 0;
  for (const debian::TreeRecord& tree : trees) bytes += tree.bytes;
  return bytes;
}

// After the stage cache's lines, when there are trees:
//   trees: 2, 438.1 MiB
//     sysroot  bookworm/arm64  54.0 MiB   used 2026-12-04 20:31 UTC  zlib1g-dev
void print_trees(const std::vector<debian::TreeRecord>& trees) {
  if (trees.empty()) return;
  std::printf("trees: %zu, %s\n", trees.size(), format_size(bytes_of(trees)).c_str());
  std::vector<std::vector<std::string>> rows;
  for (const debian::TreeRecord& tree : trees)
    rows.push_back({std::string(debian::kind_name(tree.spec.kind)), tree.spec.suite + "/" + tree.spec.architecture,
                    format_size(tree.bytes), "used " + format_used(tree.used),
                    tree.spec.packages.empty() ? "-" : join(tree.spec.packages, " ")});
  for (const std::string& line : split(render_columns(rows), '\n'))
    if (!line.empty()) std::printf("  %s\n", line.c_str());
}

// After the trees, when targets compiled through ccache ([targets] ccache), what ccache counted
// in each target's directory since it was made (or zeroed):
//   ccache: 2 targets
//     linux-amd64  40 hits / 45 (88%)
//     linux-arm64  45 hits / 45 (100%), 45 remote
void print_ccache(const fs::path& root) {
  std::vector<fs::path> dirs;
  std::error_code error;
  for (fs::directory_iterator it(root, error), end; !error && it != end; it.increment(error))
    if (it->is_directory(error)) dirs.push_back(it->path());
  if (dirs.empty()) return;
  std::sort(dirs.begin(), dirs.end());
  std::printf("ccache: %zu target%s\n", dirs.size(), dirs.size() == 1 ? "" : "s");
  std::vector<std::vector<std::string>> rows;
  for (const fs::path& dir : dirs) {
    Result<CcacheCounts> counts = read_ccache_stats(dir);
    rows.push_back({dir.filename().string(), counts ? describe_ccache_counts(counts.value()) : counts.error()});
  }
  for (const std::string& line : split(render_columns(rows), '\n'))
    if (!line.empty()) std::printf("  %s\n", line.c_str());
}

int cache_info_command(const CacheCommandOptions& options) {
  CacheStore store(options.dir ? fs::absolute(*options.dir) : default_cache_dir());
  CacheInfo info = store.info().value_or_throw();
  std::printf("cache: %s\nentries: %zu\nobjects: %zu\nsize: %s\n", store.dir().c_str(), info.entries, info.objects,
              format_size(info.bytes).c_str());
  print_trees(debian::list_trees(store.dir()));
  print_ccache(store.dir() / "ccache");
  return 0;
}

int cache_prune_command(const CacheCommandOptions& options) {
  std::optional<std::uint64_t> max_bytes = parse_size(options.max_size);
  if (!max_bytes)
    throw Error(fmt::format("--max-size \"{}\" is not a size: write a number of bytes with an optional unit K, M, G "
                            "or T (for example 500M)",
                            options.max_size),
                2);
  CacheStore store(options.dir ? fs::absolute(*options.dir) : default_cache_dir());
  if (Status cleaned = debian::remove_unfinished_trees(store.dir()); !cleaned) throw Error(cleaned.error());
  std::vector<debian::TreeRecord> trees = debian::list_trees(store.dir());
  std::vector<CacheStore::OtherItem> others;
  for (const debian::TreeRecord& tree : trees)
    others.push_back({tree.used, tree.bytes, [&tree] { return debian::remove_tree_if_unused(tree); }});
  CacheInfo before = store.info().value_or_throw();
  CacheInfo after = store.prune(*max_bytes, others).value_or_throw();
  std::printf("pruned %s: %zu %s and %s removed; %zu %s, %s left\n", store.dir().c_str(),
              before.entries - std::min(before.entries, after.entries),
              before.entries - std::min(before.entries, after.entries) == 1 ? "entry" : "entries",
              format_size(before.bytes - std::min(before.bytes, after.bytes)).c_str(), after.entries,
              after.entries == 1 ? "entry" : "entries", format_size(after.bytes).c_str());
  if (!trees.empty()) {
    std::vector<debian::TreeRecord> left = debian::list_trees(store.dir());
    std::uint64_t removed_bytes = bytes_of(trees) - std::min(bytes_of(trees), bytes_of(left));
    std::size_t removed = trees.size() - std::min(trees.size(), left.size());
    std::printf("trees: %zu removed (%s); %zu left (%s)\n", removed, format_size(removed_bytes).c_str(), left.size(),
                format_size(bytes_of(left)).c_str());
  }
  return 0;
}

}  // namespace

std::function<int()> add_cache_commands(CLI::App& app) {
  auto options = std::make_shared<CacheCommandOptions>();
  CLI::App* cache = app.add_subcommand("cache", "Show or shrink the cache of stage outputs and Debian trees");
  cache->require_subcommand(1);
  cache->add_option("--cache-dir", options->dir, "The cache (default: $XBUILD_CACHE_DIR or ~/.cache/xbuild)");
  CLI::App* info = cache->add_subcommand(
      "info",
      "Where the cache is, its entries and its size, its sysroots and root filesystems, each target's ccache hit rate");
  CLI::App* prune =
      cache->add_subcommand("prune", "Remove the least recently used entries, sysroots and root filesystems");
  prune->add_option("--max-size", options->max_size, "Keep at most this much (500M, 2G; default 0: empty it)")
      ->capture_default_str();
  return [=]() -> int {
    if (info->parsed()) return cache_info_command(*options);
    if (prune->parsed()) return cache_prune_command(*options);
    return -1;
  };
}

}  // namespace xb
