// Packaging: each target's outputs become a layer, an image config and a manifest; the
// manifests become one index. Then the layout is published where --output says.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/model.h"
#include "oci/base_image.h"
#include "oci/descriptor.h"
#include "oci/layout.h"
#include "plan/plan.h"

namespace xb {

struct OutputTarget {
  // An OCI layout, an OCI archive, or plain files (package/local_output.h).
  enum class Kind { layout, archive, local } kind = Kind::layout;
  std::filesystem::path path;
  std::string str() const;  // "oci:DIR" / "oci-archive:FILE" / "local:DIR"
};

// Parses "oci:DIR", "oci-archive:FILE" or "local:DIR" (relative paths against `base`).
// Reads nothing on disk: check_output does.
Result<OutputTarget> parse_output(const std::string& text, const std::filesystem::path& base);

// Whether the output can be written where it names (nothing is written): for local:DIR,
// check_local_destination's checks; the other kinds are checked when they are published.
Status check_output(const OutputTarget& output);

struct PackagedImage {
  Platform platform;
  oci::Descriptor manifest;
};

struct PackageResult {
  oci::Descriptor index;
  std::vector<PackagedImage> images;  // in the order of Plan::targets
  std::string ref_name;               // the tag written as org.opencontainers.image.ref.name
  // A line per Linux image that cannot start its program (package/entrypoint_check.h), in plan
  // order, without "xbuild: warning: ": the caller prints them.
  std::vector<std::string> warnings;
  std::string local_tree;  // local:DIR: local_tree_digest of what was published
};

// Builds every image and the index into `layout` and finishes it. `bases` is empty (FROM
// scratch) or holds each target's base image, in the order of Plan::targets: its layers come
// first, its config is inherited (env, entrypoint/cmd unless set, workdir, user, os.version).
Result<PackageResult> package_images(const Config& config, const Plan& plan, oci::LayoutWriter& layout,
                                     const std::vector<oci::BaseImage>& bases = {});

// Packs targets' layers on worker threads while the other targets' stages still run, so the
// compression overlaps them: start(i) once target i's last stage has succeeded (its $XBUILD_OUT
// is final). The layers go into the staging layout next to the output, made on the first
// start(); package_and_publish then uses them and packs the rest. Destroying a packer that
// was not published drops what is still queued, waits for the layers being packed and removes
// the staging directory.
class LayerPacker {
 public:
  LayerPacker(const Config& config, const Plan& plan, const OutputTarget& output);
  ~LayerPacker();
  LayerPacker(const LayerPacker&) = delete;
  LayerPacker& operator=(const LayerPacker&) = delete;

  void start(std::size_t target);

  struct State;  // package.cpp

 private:
  friend Result<PackageResult> package_and_publish(const Config&, const Plan&, const OutputTarget&,
                                                   const std::vector<oci::BaseImage>&, LayerPacker*);
  std::unique_ptr<State> state_;
};

// Packages into a staging directory next to the output, then publishes it in one step. With a
// packer (made for the same config, plan and output), its staging layout and the layers it
// packed are used.
Result<PackageResult> package_and_publish(const Config& config, const Plan& plan, const OutputTarget& output,
                                          const std::vector<oci::BaseImage>& bases = {}, LayerPacker* packer = nullptr);

}  // namespace xb
