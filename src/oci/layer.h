// Reproducible layers: a tar (libarchive) with sorted entries, explicit parent directories,
// uid/gid 0 with empty owner names and one fixed mtime, compressed with gzip (zlib, level 6,
// header mtime 0), both SHA-256 sums (diff_id of the tar, digest of the gzip) taken in the
// same pass that writes the blob.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/error.h"

namespace xb::oci {

// One tree or file to put into the layer: `source` on disk goes to `destination` in the image
// ("/app/hello", or "/" for the whole directory's content).
struct LayerSource {
  std::filesystem::path source;
  std::string destination;
};

struct LayerBlob {
  std::string digest;   // of the compressed blob
  std::string diff_id;  // of the uncompressed tar
  std::int64_t size = 0;
};

// Packs the sources into blobs_dir/sha256/<hex> (written to a temporary name, renamed when
// complete). Symlinks are kept as symlinks; hard links become separate files; sockets, FIFOs
// and devices are refused. A missing source is an error naming it.
Result<LayerBlob> write_layer(const std::vector<LayerSource>& sources, std::int64_t mtime,
                              const std::filesystem::path& blobs_dir);

}  // namespace xb::oci
