// Packing firmware: the .bin and .hex come from `<triple>-objcopy -O binary|ihex` into a
// temporary directory, the size report from `<triple>-size` (Berkeley format: one header line,
// then text data bss dec hex filename). Each file becomes one blob whose descriptor carries
// org.opencontainers.image.title (the file name, as ORAS names them); the manifest (image-spec
// 1.1 artifact form) has artifactType application/vnd.xbuild.firmware.v1, the empty config
// ({} as application/vnd.oci.empty.v1+json) and annotations for target, CPU, board (the QEMU
// machine), link (the project's linker script as written, or xbuild:<target> for a bundled
// target's layout), triple and the text/data/bss sizes. An ELF whose loadable sections lie far
// apart (code in flash, data loaded in RAM) gets a .bin per region instead of one
// (bin_regions.h); every .bin's descriptor says where its first byte goes
// (xbuild.firmware.load-address). index.json lists that one manifest with a ref name, so
// `skopeo inspect --raw oci:DIR` and `skopeo copy oci:DIR docker://...` take it.
#include "firmware/artifact.h"

#include <map>
#include <sstream>

#include "firmware/bin_regions.h"

#include "oci/image.h"
#include "oci/layout.h"
#include "util/fs.h"
#include "util/probe.h"
#include "util/strings.h"

namespace xb::firmware {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMediaTypeElf = "application/vnd.xbuild.firmware.elf";
constexpr const char* kMediaTypeBin = "application/vnd.xbuild.firmware.bin";
constexpr const char* kMediaTypeHex = "application/vnd.xbuild.firmware.ihex";
constexpr const char* kMediaTypeSize = "text/plain; charset=utf-8";

std::string install_hint(const Target& target) {
  return "; install " + join(target.packages.at("compiler"), " ") + " (target " + target.name + ")";
}

}  // namespace

Result<SizeReport> size_report(const Target& target, const fs::path& elf) {
  // Run next to the ELF: the report names the file without the directory it was built in, so
  // the same firmware gives the same report wherever it was built.
  ProbeOptions options;
  options.working_directory = fs::absolute(elf).parent_path();
  Result<std::string> output = probe_output({target.triple + "-size", elf.filename().string()}, options);
  if (!output) return Failure{output.error() + install_hint(target)};
  SizeReport report;
  report.text_report = output.value();
  std::vector<std::string> lines = split(output.value(), '\n');
  if (lines.size() < 2) return Failure{"unexpected output from " + target.triple + "-size: " + output.value()};
  std::istringstream numbers(lines[1]);
  if (!(numbers >> report.text >> report.data >> report.bss))
    return Failure{"unexpected output from " + target.triple + "-size: " + output.value()};
  return report;
}

namespace {

// The .bin regions of the ELF's loadable sections, read with `<triple>-objdump -h`.
Result<std::vector<BinRegion>> bin_regions_of(const Target& target, const fs::path& elf, const std::string& name) {
  Result<std::string> headers = probe_output({target.triple + "-objdump", "-h", elf.string()});
  if (!headers) return Failure{headers.error() + install_hint(target)};
  Result<std::vector<Section>> sections = parse_section_headers(headers.value());
  if (!sections) return Failure{sections.error()};
  return bin_regions(sections.value(), name);
}

}  // namespace

Result<Artifact> write_artifact(const Target& target, const ArtifactOptions& options, oci::LayoutWriter& layout,
                                const fs::path& scratch) {
  if (!fs::is_regular_file(options.elf))
    return Failure{"the firmware image " + options.elf.string() + " does not exist; build it first"};
  const std::string name = options.name.empty() ? options.elf.stem().string() : options.name;
  Result<std::vector<BinRegion>> regions = bin_regions_of(target, options.elf, name);
  if (!regions) return Failure{regions.error()};
  // One region: the .bin objcopy writes of the whole ELF. Several: one each, of its sections.
  std::vector<std::vector<std::string>> objcopy;
  const std::string objcopy_tool = target.triple + "-objcopy";
  if (regions.value().size() <= 1) {
    objcopy.push_back({objcopy_tool, "-O", "binary", options.elf.string(), (scratch / (name + ".bin")).string()});
  } else {
    for (const BinRegion& region : regions.value()) {
      std::vector<std::string> command = {objcopy_tool, "-O", "binary"};
      for (const std::string& section : region.sections) command.insert(command.end(), {"-j", section});
      command.insert(command.end(), {options.elf.string(), (scratch / region.file).string()});
      objcopy.push_back(command);
    }
  }
  const fs::path hex = scratch / (name + ".hex");
  objcopy.push_back({objcopy_tool, "-O", "ihex", options.elf.string(), hex.string()});
  for (const std::vector<std::string>& command : objcopy) {
    Result<std::string> done = probe_output(command);
    if (!done) return Failure{done.error() + install_hint(target)};
  }
  Result<SizeReport> size = size_report(target, options.elf);
  if (!size) return Failure{size.error()};

  std::vector<oci::Descriptor> layers;
  struct File {
    std::string title, media_type;
    Result<std::string> content;
    std::string load_address;  // a .bin's first byte's address
  };
  std::vector<File> files;
  std::vector<BinFile> bins;
  files.push_back({name + ".elf", kMediaTypeElf, read_file(options.elf), ""});
  // One region (or none: nothing loaded, an empty .bin) is NAME.bin; several, NAME.0x<start>.bin each.
  const std::vector<BinRegion> bin_files =
      regions.value().size() <= 1
          ? std::vector<BinRegion>{{regions.value().empty() ? 0 : regions.value().front().start, 0, {}, name + ".bin"}}
          : regions.value();
  for (const BinRegion& region : bin_files) {
    Result<std::string> content = read_file(scratch / region.file);
    if (content) bins.push_back({region.file, region.start, content.value().size()});
    files.push_back({region.file, kMediaTypeBin, std::move(content), hex_address(region.start)});
  }
  files.push_back({name + ".hex", kMediaTypeHex, read_file(hex), ""});
  files.push_back({name + ".size.txt", kMediaTypeSize, size.value().text_report, ""});
  for (File& file : files) {
    if (!file.content) return Failure{file.content.error()};
    Result<oci::Descriptor> blob = layout.add_blob(file.content.value(), file.media_type);
    if (!blob) return Failure{blob.error()};
    blob.value().annotations["org.opencontainers.image.title"] = file.title;
    if (!file.load_address.empty()) blob.value().annotations[kAnnotationLoadAddress] = file.load_address;
    layers.push_back(blob.value());
  }
  Result<oci::Descriptor> config = layout.add_blob(oci::kEmptyConfig, oci::kMediaTypeEmpty);
  if (!config) return Failure{config.error()};
  std::map<std::string, std::string> annotations = {{"xbuild.firmware.target", target.name},
                                                    {"xbuild.firmware.cpu", target.cpu},
                                                    {"xbuild.firmware.board", target.machine},
                                                    {"xbuild.firmware.link", target.link},
                                                    {"xbuild.firmware.triple", target.triple},
                                                    {"xbuild.firmware.size.text", std::to_string(size.value().text)},
                                                    {"xbuild.firmware.size.data", std::to_string(size.value().data)},
                                                    {"xbuild.firmware.size.bss", std::to_string(size.value().bss)}};
  if (options.source_date_epoch >= 0) annotations[oci::kAnnotationCreated] = oci::rfc3339(options.source_date_epoch);
  std::string manifest = oci::manifest_json(config.value(), layers, annotations, kArtifactType);
  Result<oci::Descriptor> root = layout.add_blob(manifest, oci::kMediaTypeManifest);
  if (!root) return Failure{root.error()};
  root.value().artifact_type = kArtifactType;
  return Artifact{root.value(), size.value(), bins};
}

Result<PackResult> pack(const Target& target, const PackOptions& options) {
  if (!fs::is_regular_file(options.elf))
    return Failure{"the firmware image " + options.elf.string() + " does not exist; build it first"};
  const bool archive = starts_with(options.output, "oci-archive:");
  if (!archive && !starts_with(options.output, "oci:"))
    return Failure{"output \"" + options.output + "\" must be oci:DIR or oci-archive:FILE"};
  const fs::path destination = options.output.substr(archive ? 12 : 4);
  if (destination.empty()) return Failure{"output \"" + options.output + "\" names no path"};

  Result<fs::path> staging = make_sibling_temp_dir(fs::absolute(destination));
  if (!staging) return Failure{staging.error()};
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{staging.value()};
  const fs::path work = staging.value() / "files";
  fs::create_directories(work);
  Result<oci::LayoutWriter> writer = oci::LayoutWriter::create(staging.value() / "layout");
  if (!writer) return Failure{writer.error()};
  Result<Artifact> artifact =
      write_artifact(target, {options.elf, options.name, options.source_date_epoch}, writer.value(), work);
  if (!artifact) return Failure{artifact.error()};
  // index.json's entry for an artifact carries its artifactType too.
  Status finished =
      writer.value().finish(artifact.value().manifest, options.ref_name.empty() ? target.name : options.ref_name);
  if (!finished) return Failure{finished.error()};
  Status published = archive ? oci::publish_archive(writer.value().root(), destination)
                             : oci::publish_layout(writer.value().root(), destination);
  if (!published) return Failure{published.error()};
  return PackResult{artifact.value().manifest.digest, artifact.value().size, artifact.value().bins};
}

}  // namespace xb::firmware
