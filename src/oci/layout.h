// OCI image layouts (oci-layout + index.json + blobs/sha256/<hex>) and OCI archives (the same
// tree in one tar). A layout is built in a staging directory and published in one step, so a
// failed or interrupted run leaves the previous layout (or archive) exactly as it was.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oci/descriptor.h"
#include "util/error.h"

namespace xb::oci {

class LayoutWriter {
 public:
  // Creates `staging` (which must not exist yet) with blobs/sha256 and the oci-layout file.
  static Result<LayoutWriter> create(const std::filesystem::path& staging);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path blobs_dir() const { return root_ / "blobs"; }

  // Stores a document or blob by its SHA-256 and returns its descriptor.
  Result<Descriptor> add_blob(std::string_view content, const std::string& media_type);
  // Writes index.json holding one descriptor: `root` annotated with ref name `ref_name` (and,
  // when given, its full name `image_name`, "registry.example/app:1.0"), then syncs to disk every
  // file the writer wrote (oci-layout, the blobs of add_blob, index.json): they are written
  // without an fsync each, and synced here together, which is cheaper. `annotations` go on
  // index.json itself (xbuild run's identity of the run, oci/merge.h): they are not part of any
  // image, so no digest depends on them.
  Status finish(Descriptor root, const std::string& ref_name, const std::string& image_name = "",
                const std::map<std::string, std::string>& annotations = {});
  // Writes index.json listing no image, only `annotations` (a failed run's result), and syncs.
  Status finish_empty(const std::map<std::string, std::string>& annotations);

 private:
  explicit LayoutWriter(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;
  std::vector<std::filesystem::path> unsynced_;  // written, to be synced by finish()
};

// Publishes a finished staging layout as the directory `target` (atomic replace).
Status publish_layout(const std::filesystem::path& staging, const std::filesystem::path& target);
// Publishes a finished staging layout as the tar archive `target` (temp file + rename);
// entries sorted with fixed metadata, so equal layouts give equal archives.
Status publish_archive(const std::filesystem::path& staging, const std::filesystem::path& target);

}  // namespace xb::oci
