// `-o local:DIR`: a run's output as plain files, for people without OCI tooling. DIR holds a
// directory per platform, named by its slug as out/ and logs/ are (linux-arm-v7,
// none-arm-cortex-m4): an image's own layer as it is in the image ([image] copy applied; a
// base image's files are not there), a firmware artifact's files (.elf, .bin, .hex, .size.txt);
// and xbuild.json, the summary: project, version, the index and each platform's manifest
// digest (those of the OCI layout the same run writes), each file with its size and sha256.
// The tree is written from a finished staging layout into a new directory and published by
// one rename, as layouts are.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "oci/descriptor.h"
#include "platform/platform.h"
#include "util/error.h"

namespace xb {

inline constexpr const char* kLocalSummaryName = "xbuild.json";

struct LocalFile {
  std::string path;     // relative to the platform's directory, '/'-separated
  std::string symlink;  // a symlink's target; empty for a file
  std::int64_t size = 0;
  std::string sha256;  // 64 hex digits, as sha256sum prints them
  unsigned mode = 0;   // permission bits (0755); setuid, setgid and sticky are not kept
};

struct LocalPlatform {
  Platform platform;
  std::string directory;  // Platform::slug()
  bool firmware = false;
  oci::Descriptor manifest;            // digest and size as in the index
  std::string base_name, base_digest;  // [image] from; empty for FROM scratch
  std::vector<LocalFile> files;        // sorted by path
};

struct LocalSummary {
  std::string project, version, tag;
  oci::Descriptor index;
  std::vector<LocalPlatform> platforms;  // in plan order
};

// The summary as xbuild.json holds it (two-space indented, a newline at the end).
std::string local_summary_json(const LocalSummary& summary);

struct LocalTreeRequest {
  std::filesystem::path layout;  // a finished layout holding the index and every manifest
  std::string project, version, tag;
  oci::Descriptor index;
  std::vector<oci::Descriptor> manifests;  // each with its platform, in plan order
  long long source_date_epoch = 0;         // the mtime of a firmware artifact's files
};

// Writes each platform's files and xbuild.json into `tree`, which must not exist yet, and
// syncs them to disk. Fails naming the platform and the entry it could not write.
Result<LocalSummary> write_local_tree(const LocalTreeRequest& request, const std::filesystem::path& tree);

// A digest of everything under `dir` (each entry's type, path, permission bits, size and
// content hash or symlink target), so a run can tell that a published tree is unchanged.
Result<std::string> local_tree_digest(const std::filesystem::path& dir);

// Whether `dir` may become a local output (nothing is written): absent or empty, or a local
// output written before (xbuild.json at its top), or else a message with the fix; its parent
// must be a directory that can be written. `spec` is the option as given, for the message.
Status check_local_destination(const std::filesystem::path& dir, const std::string& spec);

}  // namespace xb
