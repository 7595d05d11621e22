// The record kept next to each tree (<key>.tree), and the names around a tree: what debian/'s
// .cpp files share about the layout that tree.h describes. Not for callers outside debian/.
#pragma once

#include <filesystem>
#include <string>

#include "debian/tree.h"
#include "util/error.h"

namespace xb::debian {

// "<dir>.tree", "<dir>.make-lock", "<dir>.use-lock" for a tree's directory <dir>.
std::filesystem::path record_path(const std::filesystem::path& tree_dir);
std::filesystem::path make_lock_path(const std::filesystem::path& tree_dir);
std::filesystem::path use_lock_path(const std::filesystem::path& tree_dir);

// The record as text: a header line, then one "field<TAB>value..." line each:
//   xbuild-debian-tree-1
//   kind sysroot / suite bookworm / architecture arm64 / mirror http://...
//   package zlib1g-dev (one line each) / release sha256:... / made <epoch seconds> / bytes <n>
//   version <package> <version> (one line each)
std::string format_record(const TreeRecord& record);
// Reads what format_record() wrote; `used`, `dir` and `key` are the caller's to fill in.
Result<TreeRecord> parse_record(const std::string& text);

}  // namespace xb::debian
