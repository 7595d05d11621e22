// Reproducible layers: a tar (libarchive) with sorted entries, explicit parent directories,
// uid/gid 0 with empty owner names and one fixed mtime, compressed with gzip (zlib, level 1 by
// default, header mtime 0), both SHA-256 sums (diff_id of the tar, digest of the gzip) taken in
// the same pass that writes the blob.
//
// Windows images need the Windows layer format (what hcsshim imports, and ko and crane write):
// a directory "Hives", a directory "Files", then every entry under "Files/" ("/app/hello.exe"
// becomes "Files/app/hello.exe"), directory names without a trailing "/", and every entry a pax
// entry with the vendor record MSWINDOWS.rawsd: a security descriptor giving the file to
// BUILTIN\Users (owner and group), without which Windows may refuse to run the binaries.
// libarchive cannot write vendor pax records, so that format is written by hand (pax_tar.h)
// into the same gzip-and-hash pass. Windows layers hold no symlinks (Windows stores them as
// reparse points, which this format does not describe): a symlink is an error.
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

// The tar layout of a layer: plain (Linux and every other OS) or the Windows layer format.
// (The enumerator `linux` needs strict -std=c++20: GNU modes define a macro of that name.)
enum class LayerFormat { linux, windows };

// The gzip level of layers when none is asked for: zlib's fastest, as go-containerregistry's
// (ko's, crane's) layers. Level 6 makes a static binary's layer some 4% smaller and takes
// twice as long; [image] compression_level picks another.
inline constexpr int kDefaultGzipLevel = 1;

// Packs the sources into blobs_dir/sha256/<hex> (written to a temporary name, renamed when
// complete), compressed at `gzip_level` (0 stores, 9 is smallest). Symlinks are kept as
// symlinks (refused in the Windows format); hard links become separate files; sockets, FIFOs and
// devices are refused. A missing source is an error naming it. Windows layers also refuse names
// that are not UTF-8 and a time before 1970.
Result<LayerBlob> write_layer(const std::vector<LayerSource>& sources, std::int64_t mtime,
                              const std::filesystem::path& blobs_dir, LayerFormat format = LayerFormat::linux,
                              int gzip_level = kDefaultGzipLevel);

}  // namespace xb::oci
