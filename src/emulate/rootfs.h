// Root filesystems for the emulate strategy: where one comes from (`rootfs = "DIR"` in the
// config) and the secure extraction of image layers into one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "platform/platform.h"
#include "util/error.h"

namespace xb {

// One layer to unpack: its file, and what the manifest says of it.
struct RootfsLayer {
  std::filesystem::path file;
  std::string digest;      // "sha256:<hex>" its bytes must hash to; empty: not checked
  std::int64_t size = -1;  // how many bytes it must hold; -1: not checked

  friend bool operator==(const RootfsLayer&, const RootfsLayer&) = default;
};

// Unpacks tar layers (any compression libarchive reads), in order, into `target`, which must
// not exist yet; its parent is made (or tightened to) 0700, so what an image holds (setuid
// files, world-writable directories) is out of other users' reach. Layers are extracted into a
// sibling temporary directory that is renamed to `target` only when every layer went in, so a
// refused or interrupted extraction leaves nothing behind. Each layer's file is read once: its
// bytes are hashed and counted as libarchive reads them, and a layer whose digest or size is
// not the manifest's fails before the rename. Refused, each with an error naming the layer and
// the entry: absolute paths, ".." components, an entry written through a symlink, a hard link
// that leaves the tree, device nodes, and whiteouts that name no entry of their directory
// (".wh.", ".wh..", ".wh..."). OCI whiteouts (".wh.NAME", ".wh..wh..opq") delete what lower
// layers put there, resolved inside the tree as writes are.
Status extract_layers(const std::vector<RootfsLayer>& layers, const std::filesystem::path& target);

// Where an emulated target's root filesystem comes from and where it ends up.
struct RootfsPlan {
  std::filesystem::path dir;        // what the sandbox chroots into
  std::string image;                // oci: the image's manifest digest; empty for a directory
  std::vector<RootfsLayer> layers;  // oci: unpacked into `dir` when it does not exist yet
  std::string description;          // made or pulled by the run: what, for the plan
};

// A `rootfs` value: "DIR" (see resolve_rootfs_dir) or "oci:DIR[:TAG]", the image for `platform`
// in an OCI layout, unpacked into <state_dir>/rootfs/<manifest hex> (kept and reused: the
// digest names the content).
Result<RootfsPlan> plan_rootfs(const std::string& spec, const std::filesystem::path& project_dir,
                               const std::filesystem::path& state_dir, const Platform& platform);

// Whether a `rootfs` string names an image in a registry ("127.0.0.1:5000/debian:bookworm",
// "registry.example/team/rootfs@sha256:..."), pulled for the platform by the run, rather than a
// directory: it is not "oci:...", no such directory exists, and its first part is a registry
// host (it holds '.' or ':', or is "localhost") or, without one, it has a tag or a digest.
bool is_rootfs_reference(const std::string& spec, const std::filesystem::path& project_dir);

// Unpacks an oci: root filesystem unless it is there already; true when it unpacked. Either
// way the directory holding unpacked root filesystems is left 0700.
Result<bool> ensure_rootfs(const RootfsPlan& plan);

// Checks a directory given as `rootfs = "DIR"` (relative to the project directory): it must
// exist and hold /bin/sh. Returns its absolute path.
Result<std::filesystem::path> resolve_rootfs_dir(const std::string& spec, const std::filesystem::path& project_dir);

}  // namespace xb
