// `xbuild run --shard I/N`: which platforms shard I of N builds, and the index annotations
// that let `xbuild merge` put the shards back together.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/platform.h"

namespace xb {

struct Config;

struct Shard {
  unsigned index = 1;  // 1-based
  unsigned count = 1;
};

// Parses "I/N" (1 <= I <= N); throws Error (exit 2) naming the value and the fix.
Shard parse_shard(const std::string& text);

// The platforms of shard `shard`, in config order. The split: sort the platforms by their
// normalized name ("linux/amd64" < "linux/arm/v7" < "linux/arm64"); the k-th of them (from 0)
// goes to shard k mod N + 1. The same config gives the same split on every machine.
std::vector<Platform> shard_platforms(const std::vector<Platform>& platforms, Shard shard);

// Keeps only the shard's platforms in `config` and returns the annotations for its index:
// dev.xbuild.shard = "I/N", dev.xbuild.platforms = every platform, in config order. Throws
// Error (exit 2) when the shard would be empty (more shards than platforms).
std::map<std::string, std::string> shard_step(Config& config, Shard shard);

// `xbuild plan --shard`: shard_step, and the line saying which platforms the shard builds:
// "shard 2/3: linux/amd64, linux/riscv64 (of 5 platforms)\n".
std::string shard_plan_line(Config& config, Shard shard);

}  // namespace xb
