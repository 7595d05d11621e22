// ccache in front of a target's C and C++ compilers ([targets] ccache): the variables a stage
// gets, where each target's cache is, the counters ccache keeps of it (`ccache --print-stats`),
// and whether its remote storage answers.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "platform/platform.h"
#include "util/error.h"

namespace xb {

// The launcher the compilers, CMake and Meson are given.
inline const std::string kCcacheProgram = "ccache";

// One target's ccache as its stages see it.
struct CcacheSetup {
  std::filesystem::path dir;       // CCACHE_DIR
  std::filesystem::path base_dir;  // CCACHE_BASEDIR: the project's directory
  std::string remote;              // CCACHE_REMOTE_STORAGE; empty: none
};

// Adds CCACHE_DIR, CCACHE_BASEDIR, CCACHE_NOHASHDIR, CCACHE_REMOTE_STORAGE (with a remote),
// CMAKE_C_COMPILER_LAUNCHER and CMAKE_CXX_COMPILER_LAUNCHER to `env`, and puts ccache in front
// of its CC and CXX ("ccache aarch64-linux-gnu-gcc --sysroot=...").
void add_ccache_environment(std::map<std::string, std::string>& env, const CcacheSetup& setup);

// A target's ccache directory: <root>/<platform slug> (root: <cache dir>/ccache).
std::filesystem::path ccache_dir(const std::filesystem::path& root, const Platform& platform);

// The counters of one ccache directory that say how compiles went.
struct CcacheCounts {
  std::uint64_t direct_hits = 0;        // direct_cache_hit
  std::uint64_t preprocessed_hits = 0;  // preprocessed_cache_hit
  std::uint64_t misses = 0;             // cache_miss
  std::uint64_t remote_hits = 0;        // remote_storage_hit (counted among the hits too)
  std::uint64_t hits() const { return direct_hits + preprocessed_hits; }
  // What happened between `before` and these counters (a counter that went down, zeroed by
  // `ccache -z` meanwhile, counts from zero).
  CcacheCounts since(const CcacheCounts& before) const;
  bool operator==(const CcacheCounts&) const = default;
};

// `ccache --print-stats`: one "name<TAB>value" line per counter.
Result<CcacheCounts> parse_ccache_stats(std::string_view text);

// The counters of `dir` (`ccache -d DIR --print-stats`); zeros when the directory does not exist
// yet. Fails when ccache cannot be run or answers something else.
Result<CcacheCounts> read_ccache_stats(const std::filesystem::path& dir);

// "40 hits / 45 (89%)", with ", 12 remote" when some hits came from the remote storage.
std::string describe_ccache_counts(const CcacheCounts& counts);

// Whether ccache's remote storage `url` answers: a connection to its host and port (redis://
// defaults to 6379, http:// to 80, https:// to 443) or to its socket (redis+unix://), within
// `timeout`. The failure says why not ("connection refused").
Status probe_ccache_remote(const std::string& url, std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

}  // namespace xb
