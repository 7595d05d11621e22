// Inside oci/: where a layer's tar stream goes. BlobSink hashes the tar (the diff_id), deflates
// it with zlib in gzip mode (the level asked; gzip header mtime 0, no name, OS byte 255
// "unknown" as Go's compress/gzip writes it, so the header does not depend on the host) and
// writes the compressed bytes to a temporary file in the blob directory while hashing them too
// (the digest). Everything streams through fixed-size buffers, so memory use does not depend on
// the layer's size. finish() renames the file to its digest's hex, or drops it when a blob with
// that name is there already.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "oci/layer.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::oci {

class BlobSink {
 public:
  BlobSink(std::filesystem::path directory, int level);
  BlobSink(const BlobSink&) = delete;
  BlobSink& operator=(const BlobSink&) = delete;
  ~BlobSink();

  // Creates the blob directory and the temporary file, and starts the gzip stream.
  Status open();
  // Takes the next bytes of the tar. Returns false with error() set on failure.
  bool write(const void* data, std::size_t size);
  // Ends the gzip stream and puts the blob in place.
  Result<LayerBlob> finish();
  const std::string& error() const { return error_; }

 private:
  bool deflate_all(int flush);
  bool write_out(std::size_t size);

  std::filesystem::path directory_;
  int level_;
  std::optional<TempFile> temp_;  // removed with the sink unless renamed to its digest
  z_stream stream_;
  gz_header header_;
  bool deflating_ = false;
  std::vector<Bytef> output_;
  Sha256 diff_id_;
  Sha256 digest_;
  std::int64_t size_ = 0;
  std::string error_;
};

}  // namespace xb::oci
