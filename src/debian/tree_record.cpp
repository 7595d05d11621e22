#include "debian/tree_record.h"

#include <fmt/format.h>

#include <cstdlib>

#include "util/strings.h"

namespace xb::debian {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kHeader = "xbuild-debian-tree-1";

}  // namespace

fs::path record_path(const fs::path& tree_dir) { return fs::path(tree_dir.string() + ".tree"); }
fs::path make_lock_path(const fs::path& tree_dir) { return fs::path(tree_dir.string() + ".make-lock"); }
fs::path use_lock_path(const fs::path& tree_dir) { return fs::path(tree_dir.string() + ".use-lock"); }

std::string format_record(const TreeRecord& record) {
  std::string text = std::string(kHeader) + "\n";
  text += fmt::format("kind\t{}\nsuite\t{}\narchitecture\t{}\nmirror\t{}\n", kind_name(record.spec.kind),
                      record.spec.suite, record.spec.architecture, record.spec.mirror);
  for (const std::string& package : record.spec.packages) text += "package\t" + package + "\n";
  text += fmt::format("release\t{}\nmade\t{}\nbytes\t{}\n", record.release, record.made_at, record.bytes);
  for (const auto& [package, version] : record.versions) text += "version\t" + package + "\t" + version + "\n";
  return text;
}

Result<TreeRecord> parse_record(const std::string& text) {
  std::vector<std::string> lines = split(text, '\n');
  if (lines.empty() || lines[0] != kHeader)
    return fail("not a tree record (its first line is not " + std::string(kHeader) + ")");
  TreeRecord record;
  bool has_kind = false;
  for (std::size_t index = 1; index < lines.size(); ++index) {
    if (lines[index].empty()) continue;
    std::vector<std::string> fields = split(lines[index], '\t');
    const std::string& name = fields[0];
    auto bad = [&] { return fail("line " + std::to_string(index + 1) + " of the tree record is damaged"); };
    if (name == "version") {
      if (fields.size() != 3) return bad();
      record.versions.emplace_back(fields[1], fields[2]);
      continue;
    }
    if (fields.size() != 2) return bad();
    const std::string& value = fields[1];
    if (name == "kind") {
      if (value != "sysroot" && value != "rootfs") return bad();
      record.spec.kind = value == "sysroot" ? TreeSpec::Kind::sysroot : TreeSpec::Kind::rootfs;
      has_kind = true;
    } else if (name == "suite") {
      record.spec.suite = value;
    } else if (name == "architecture") {
      record.spec.architecture = value;
    } else if (name == "mirror") {
      record.spec.mirror = value;
    } else if (name == "package") {
      record.spec.packages.push_back(value);
    } else if (name == "release") {
      record.release = value;
    } else if (name == "made") {
      record.made_at = std::strtoll(value.c_str(), nullptr, 10);
    } else if (name == "bytes") {
      record.bytes = std::strtoull(value.c_str(), nullptr, 10);
    }  // fields of later versions are skipped
  }
  if (!has_kind || record.spec.suite.empty() || record.spec.architecture.empty() || record.spec.mirror.empty())
    return fail("the tree record lacks its kind, suite, architecture or mirror");
  return record;
}

}  // namespace xb::debian
