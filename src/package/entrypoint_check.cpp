// The program is found as the container runtime finds it: a path with a "/" from the working
// directory (absolute ones from the root), a bare name in each directory of the image's PATH
// (the runtimes' default PATH when the config has none). It is looked up in our own layer
// only: a program the base image brings is the base's business and needs no listing of its
// layers. Our own program's ELF headers say whether it needs a dynamic loader; that path is
// then resolved in the whole image, our layer first, the base's layers only if ours lacks it.
#include "package/entrypoint_check.h"

#include "oci/image_files.h"
#include "util/executable.h"
#include "util/strings.h"

namespace xb {

namespace {

// What runc, containerd and Docker use when the image sets no PATH.
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string path_of(const oci::ImageConfig& config) {
  for (const std::string& variable : config.env)
    if (starts_with(variable, "PATH=")) return variable.substr(5);
  return kDefaultPath;
}

// The program's file in our layer, and where it was looked for when it is not there.
struct Lookup {
  std::optional<oci::ImageFile> file;
  std::string looked_in;  // " (looked up in PATH=...)" for a bare name
};

Lookup find_program(const oci::ImageFiles& files, const std::string& program, const oci::ImageConfig& config) {
  Lookup lookup;
  if (program.find('/') != std::string::npos) {
    std::string directory = config.working_dir.empty() ? "/" : config.working_dir;
    lookup.file = files.resolve_in_top_layer(program.front() == '/' ? program : directory + "/" + program);
    return lookup;
  }
  std::string path = path_of(config);
  for (const std::string& directory : split(path, ':')) {
    if (directory.empty()) continue;
    lookup.file = files.resolve_in_top_layer(directory + "/" + program);
    if (lookup.file && lookup.file->kind == oci::ImageFileKind::file) return lookup;
  }
  lookup.file.reset();
  lookup.looked_in = " (looked up in PATH=" + path + ")";
  return lookup;
}

}  // namespace

std::optional<std::string> entrypoint_warning(const std::vector<oci::LayerSource>& sources,
                                              const oci::ImageConfig& config, const oci::BaseImage* base) {
  if (config.platform.os != "linux") return std::nullopt;
  const bool from_entrypoint = !config.entrypoint.empty();
  const std::vector<std::string>& words = from_entrypoint ? config.entrypoint : config.cmd;
  if (words.empty() || words.front().empty()) return std::nullopt;
  const std::string& program = words.front();
  const std::string platform = config.platform.str();
  const std::string what = from_entrypoint ? "entrypoint" : "command";

  std::vector<std::filesystem::path> base_layers;
  if (base) base_layers = base->layer_files;
  oci::ImageFiles files(sources, std::move(base_layers));
  Lookup lookup = find_program(files, program, config);
  if (!lookup.file) {
    if (base) return std::nullopt;
    return platform + ": the " + what + " " + program + " is not in the image" + lookup.looked_in +
           ": a stage should write it to $XBUILD_OUT (where [image] copy takes it from), or [image] " +
           (from_entrypoint ? "entrypoint" : "cmd") + " should name a file the image has";
  }
  if (lookup.file->kind != oci::ImageFileKind::file) return std::nullopt;

  Result<ExecutableFormat> format = read_executable_format(lookup.file->disk_path);
  if (!format || format.value().kind != ExecutableFormat::Kind::elf || format.value().interpreter.empty())
    return std::nullopt;
  const std::string& loader = format.value().interpreter;
  Result<std::optional<oci::ImageFile>> found = files.resolve(loader);
  if (!found) return std::nullopt;  // a base layer that cannot be listed: no guess either way
  if (found.value() && found.value()->kind == oci::ImageFileKind::file) return std::nullopt;
  return platform + ": the " + what + " " + program + " is linked dynamically and needs " + loader +
         ", which the image does not have: link it statically (-static) or start from a base image that has it "
         "([image] from)";
}

}  // namespace xb
