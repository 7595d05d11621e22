// Firmware as an OCI artifact: the .elf, .bin, .hex and a size report of one target, one blob
// each, under a manifest with artifactType application/vnd.xbuild.firmware.v1. `pack` writes it
// as an OCI layout (or archive) of its own; `write_artifact` adds it to a layout being built, so
// `xbuild run` puts firmware in the same index as the images of the other platforms.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "oci/descriptor.h"
#include "toolchain/firmware_target.h"
#include "util/error.h"

namespace xb::oci {
class LayoutWriter;
}

namespace xb::firmware {

// The artifact's type; its blobs are application/vnd.xbuild.firmware.{elf,bin,ihex} and the size
// report text/plain.
inline constexpr const char* kArtifactType = "application/vnd.xbuild.firmware.v1";
// On each .bin's descriptor: the address its first byte is written at ("0x08000000").
inline constexpr const char* kAnnotationLoadAddress = "xbuild.firmware.load-address";

struct SizeReport {
  std::uint64_t text = 0, data = 0, bss = 0;
  std::string text_report;  // the size tool's output as is
};

// `<triple>-size` (Berkeley format) on the ELF.
Result<SizeReport> size_report(const Target& target, const std::filesystem::path& elf);

struct ArtifactOptions {
  std::filesystem::path elf;
  std::string name;                  // file names inside the artifact: NAME.elf ...; empty: the ELF's stem
  long long source_date_epoch = -1;  // org.opencontainers.image.created; < 0: none
};

// A .bin of the artifact and the address a flasher writes its first byte at.
struct BinFile {
  std::string file;
  std::uint64_t load_address = 0, bytes = 0;
};

struct Artifact {
  oci::Descriptor manifest;  // artifact_type set, no platform
  SizeReport size;
  std::vector<BinFile> bins;  // in address order
};

// objcopy -O binary / -O ihex (into `scratch`, an existing directory) and the size tool, then
// the blobs (NAME.elf, the .bin, or one per region when the ELF's loadable sections lie more
// than 16 MiB apart, NAME.hex, NAME.size.txt), the empty config and the manifest into `layout`,
// which is not finished.
Result<Artifact> write_artifact(const Target& target, const ArtifactOptions& options, oci::LayoutWriter& layout,
                                const std::filesystem::path& scratch);

struct PackOptions {
  std::filesystem::path elf;
  std::string output;                // "oci:DIR" or "oci-archive:FILE"
  std::string name;                  // file names inside the artifact: NAME.elf ...; empty: the ELF's stem
  std::string ref_name;              // index.json's ref name; empty: the target's name
  long long source_date_epoch = -1;  // org.opencontainers.image.created; < 0: none
};

struct PackResult {
  std::string manifest_digest;
  SizeReport size;
  std::vector<BinFile> bins;
};

// objcopy -O binary / -O ihex and the size tool, then the layout, published atomically.
Result<PackResult> pack(const Target& target, const PackOptions& options);

}  // namespace xb::firmware
