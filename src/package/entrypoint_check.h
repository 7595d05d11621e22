// Whether a Linux image can start its program: the first word of its entrypoint (of its cmd
// when it has no entrypoint), found in the image (oci/image_files.h), and, when it is an ELF
// program linked dynamically, the dynamic loader it names (util/executable.h). An image built
// FROM scratch around a dynamically linked binary has no loader, and the container fails at
// start with a bare "no such file or directory".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "oci/base_image.h"
#include "oci/image.h"
#include "oci/layer.h"

namespace xb {

// The warning for one image (without "xbuild: warning: "), or nothing: `sources` are the image's
// own layer, `config` its final config (the base's inherited), `base` its base image or null.
// Only the program's headers are read, and the base's layers are listed only when the program
// is our own and needs a loader our layer does not have. A program our layer does not have is
// the base image's (not checked), or, FROM scratch, missing (a warning of its own). Windows and
// bare-metal images are not Linux: nothing.
std::optional<std::string> entrypoint_warning(const std::vector<oci::LayerSource>& sources,
                                              const oci::ImageConfig& config, const oci::BaseImage* base);

}  // namespace xb
