// `xbuild cache info` (where the cache is, its entries and size) and `xbuild cache prune`
// (least recently used entries first).
#include "cli/cache_commands.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include "cache/store.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

struct CacheCommandOptions {
  std::optional<fs::path> dir;
  std::string max_size = "0";
};

int cache_info_command(const CacheCommandOptions& options) {
  CacheStore store(options.dir ? fs::absolute(*options.dir) : default_cache_dir());
  CacheInfo info = store.info().value_or_throw();
  std::printf("cache: %s\nentries: %zu\nobjects: %zu\nsize: %s\n", store.dir().c_str(), info.entries, info.objects,
              format_size(info.bytes).c_str());
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
  CacheInfo before = store.info().value_or_throw();
  CacheInfo after = store.prune(*max_bytes).value_or_throw();
  std::printf("pruned %s: %zu %s and %s removed; %zu %s, %s left\n", store.dir().c_str(),
              before.entries - std::min(before.entries, after.entries),
              before.entries - std::min(before.entries, after.entries) == 1 ? "entry" : "entries",
              format_size(before.bytes - std::min(before.bytes, after.bytes)).c_str(), after.entries,
              after.entries == 1 ? "entry" : "entries", format_size(after.bytes).c_str());
  return 0;
}

}  // namespace

std::function<int()> add_cache_commands(CLI::App& app) {
  auto options = std::make_shared<CacheCommandOptions>();
  CLI::App* cache = app.add_subcommand("cache", "Show or shrink the cache of stage outputs");
  cache->require_subcommand(1);
  cache->add_option("--cache-dir", options->dir, "The cache (default: $XBUILD_CACHE_DIR or ~/.cache/xbuild)");
  CLI::App* info = cache->add_subcommand("info", "Where the cache is, its entries and its size");
  CLI::App* prune = cache->add_subcommand("prune", "Remove the least recently used entries");
  prune->add_option("--max-size", options->max_size, "Keep at most this much (500M, 2G; default 0: empty it)")
      ->capture_default_str();
  return [=]() -> int {
    if (info->parsed()) return cache_info_command(*options);
    if (prune->parsed()) return cache_prune_command(*options);
    return -1;
  };
}

}  // namespace xb
