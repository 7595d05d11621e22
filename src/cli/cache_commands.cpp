// `xbuild cache info` (where the cache is, its entries and size and a row per entry, then the
// Debian sysroots and root filesystems made there, then each target's ccache and its hit rate),
// `xbuild cache prune` (least recently used entries and trees first), and `xbuild cache push|pull
// REF`, which copy entries to and from a registry cache (shared_cache/registry_cache.h).
#include "cli/cache_commands.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "cache/store.h"
#include "cli/registry_commands.h"
#include "debian/tree.h"
#include "shared_cache/registry_cache.h"
#include "toolchain/ccache.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

struct CacheCommandOptions {
  std::optional<fs::path> dir;
  std::string max_size = "0";
  bool json = false;
  std::string ref;                // push, pull
  std::vector<std::string> keys;  // push --key
  std::vector<std::string> insecure_registries;
  unsigned connect_timeout = 0, timeout = 0;
};

CacheStore open_store(const CacheCommandOptions& options) {
  return CacheStore(options.dir ? fs::absolute(*options.dir) : default_cache_dir());
}

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

std::string stage_column(const EntryListing& entry) {
  if (entry.meta.platform.empty()) return "-";  // written before entries recorded their stage
  return entry.meta.stage.empty() ? "(target)" : entry.meta.stage;
}

// After the totals, a row per entry, least recently used last:
//     PLATFORM     STAGE  KEY           SIZE      LAST-USE
//     linux/amd64  build  3f2a9c0b1d7e  12.0 KiB  2026-12-04 20:31 UTC
void print_entries(const std::vector<EntryListing>& entries) {
  if (entries.empty()) return;
  std::vector<const EntryListing*> order;
  for (const EntryListing& entry : entries) order.push_back(&entry);
  std::stable_sort(order.begin(), order.end(), [](const EntryListing* a, const EntryListing* b) {
    return std::tie(a->meta.platform, a->meta.stage) < std::tie(b->meta.platform, b->meta.stage);
  });
  std::vector<std::vector<std::string>> rows = {{"PLATFORM", "STAGE", "KEY", "SIZE", "LAST-USE"}};
  for (const EntryListing* entry : order)
    rows.push_back({entry->meta.platform.empty() ? "-" : entry->meta.platform, stage_column(*entry),
                    entry->key.substr(entry->key.rfind(':') + 1, 12), format_size(entry->bytes),
                    format_used(entry->used)});
  for (const std::string& line : split(render_columns(rows), '\n'))
    if (!line.empty()) std::printf("  %s\n", line.c_str());
}

// `cache info --json`: the totals and every entry, one object.
void print_info_json(const CacheStore& store, const CacheInfo& info, const std::vector<EntryListing>& entries) {
  std::string text = fmt::format("{{\"cache\":{},\"entries\":{},\"objects\":{},\"bytes\":{},\"list\":[",
                                 json_quote(store.dir().string()), info.entries, info.objects, info.bytes);
  for (std::size_t index = 0; index < entries.size(); ++index) {
    const EntryListing& entry = entries[index];
    text += fmt::format(
        "{}{{\"key\":{},\"platform\":{},\"stage\":{},\"seconds\":{:.3f},\"bytes\":{},\"objects\":{},"
        "\"last_use\":{}}}",
        index ? "," : "", json_quote(entry.key), json_quote(entry.meta.platform), json_quote(entry.meta.stage),
        entry.meta.seconds, entry.bytes, entry.objects.size(), json_quote(format_used(entry.used)));
  }
  std::printf("%s]}\n", text.c_str());
}

int cache_info_command(const CacheCommandOptions& options) {
  CacheStore store = open_store(options);
  CacheInfo info = store.info().value_or_throw();
  std::vector<EntryListing> entries = store.entries();
  if (options.json) {
    print_info_json(store, info, entries);
    return 0;
  }
  std::printf("cache: %s\nentries: %zu\nobjects: %zu\nsize: %s\n", store.dir().c_str(), info.entries, info.objects,
              format_size(info.bytes).c_str());
  print_entries(entries);
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
  CacheStore store = open_store(options);
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

registry::RegistryOptions registry_options(const CacheCommandOptions& command) {
  registry::RegistryOptions options;
  options.insecure_registries = command.insecure_registries;
  registry::set_timeouts(options, command.connect_timeout, command.timeout);
  return options;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Prints the warnings of a transfer, and fails when an entry could not be moved: these commands
// exist to copy entries, so unlike `run` they do not carry on quietly.
void finish_transfer(const CacheTransfer& transfer, const std::string& what) {
  for (const std::string& warning : transfer.warnings) std::fprintf(stderr, "xbuild: warning: %s\n", warning.c_str());
  if (!transfer.warnings.empty())
    throw Error(what +
                " did not copy every entry (the warnings above say why); run it again once the registry "
                "answers, or check the ref and --insecure-registry");
}

CacheRef parsed_ref(const std::string& text, bool for_upload) {
  Result<CacheRef> ref = parse_cache_ref(text, for_upload);
  if (!ref) throw Error(ref.error(), 2);
  return std::move(ref).value();
}

int cache_push_command(const CacheCommandOptions& options) {
  CacheRef ref = parsed_ref(options.ref, true);
  CacheStore store = open_store(options);
  std::vector<std::string> keys = options.keys;
  if (keys.empty())
    for (const EntryListing& entry : store.entries()) keys.push_back(entry.key);
  for (std::string& key : keys) {
    if (key.rfind("sha256:", 0) != 0) key = "sha256:" + key;
    if (!store.contains(key))
      throw Error("--key " + key + ": the cache " + store.dir().string() +
                      " holds no such entry; `xbuild cache info --json` lists the keys it holds",
                  2);
  }
  if (keys.empty()) {
    std::printf("xbuild: the cache %s holds no entries; nothing to push to %s\n", store.dir().c_str(),
                ref.name().c_str());
    return 0;
  }
  auto start = std::chrono::steady_clock::now();
  CacheTransfer transfer = upload_cache_entries(ref, keys, store, registry_options(options));
  std::printf("xbuild: pushed %zu of %zu cache %s to %s (%zu blobs uploaded, %s, in %.1f s)\n", transfer.entries,
              keys.size(), keys.size() == 1 ? "entry" : "entries", ref.name().c_str(), transfer.blobs,
              format_size(transfer.bytes).c_str(), seconds_since(start));
  finish_transfer(transfer, "cache push to " + ref.name());
  return 0;
}

int cache_pull_command(const CacheCommandOptions& options) {
  CacheRef ref = parsed_ref(options.ref, false);
  CacheStore store = open_store(options);
  registry::RegistryOptions registry = registry_options(options);
  auto start = std::chrono::steady_clock::now();
  Result<std::vector<std::string>> keys = list_cache_keys(ref, registry);
  if (!keys)
    throw Error("cannot read the registry cache " + ref.name() + ": " + keys.error() +
                "\n  check that the registry runs and the ref is right (plain http needs --insecure-registry HOST)");
  std::size_t present = 0;
  for (const std::string& key : keys.value()) present += store.contains(key) ? 1 : 0;
  CacheTransfer transfer = fetch_cache_entries({ref}, keys.value(), store, registry);
  std::printf("xbuild: pulled %zu cache %s from %s (%zu blobs, %s, in %.1f s); %zu already here\n", transfer.entries,
              transfer.entries == 1 ? "entry" : "entries", ref.name().c_str(), transfer.blobs,
              format_size(transfer.bytes).c_str(), seconds_since(start), present);
  finish_transfer(transfer, "cache pull from " + ref.name());
  return 0;
}

}  // namespace

std::function<int()> add_cache_commands(CLI::App& app) {
  auto options = std::make_shared<CacheCommandOptions>();
  CLI::App* cache = app.add_subcommand("cache", "Show, shrink or share the cache of stage outputs and Debian trees");
  cache->require_subcommand(1);
  cache->add_option("--cache-dir", options->dir, "The cache (default: $XBUILD_CACHE_DIR or ~/.cache/xbuild)");
  CLI::App* info = cache->add_subcommand(
      "info",
      "Where the cache is, its entries and its size, its sysroots and root filesystems, each target's ccache hit rate");
  info->add_flag("--json", options->json, "One JSON object: the totals and every entry");
  CLI::App* prune =
      cache->add_subcommand("prune", "Remove the least recently used entries, sysroots and root filesystems");
  prune->add_option("--max-size", options->max_size, "Keep at most this much (500M, 2G; default 0: empty it)")
      ->capture_default_str();
  CLI::App* push = cache->add_subcommand("push", "Copy the cache's entries to a registry cache");
  CLI::App* pull = cache->add_subcommand("pull", "Copy the entries of a registry cache that this cache lacks");
  push->add_option("ref", options->ref, "The registry cache: HOST[:PORT]/PATH")->required();
  push->add_option("--key", options->keys, "Only this entry (a key as `cache info --json` lists it); repeatable");
  pull->add_option("ref", options->ref, "The registry cache: HOST[:PORT]/PATH")->required();
  for (CLI::App* command : {info, prune, push, pull})
    command->add_option("--cache-dir", options->dir, "The cache (default: $XBUILD_CACHE_DIR or ~/.cache/xbuild)");
  for (CLI::App* command : {push, pull}) {
    command->add_option("--insecure-registry", options->insecure_registries,
                        "Use plain http for this registry (HOST or HOST:PORT); localhost needs no flag");
    add_registry_timeout_options(command, options->connect_timeout, options->timeout);
  }
  return [=]() -> int {
    if (info->parsed()) return cache_info_command(*options);
    if (prune->parsed()) return cache_prune_command(*options);
    if (push->parsed()) return cache_push_command(*options);
    if (pull->parsed()) return cache_pull_command(*options);
    return -1;
  };
}

}  // namespace xb
