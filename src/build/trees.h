// The trees a run needs besides the project, from what the config declares by Debian package
// name ([targets] packages, [platform.X] packages and suite, rootfs = { suite, packages }) or by
// image reference (rootfs = "REF"):
//   a crossing Linux target with packages    a sysroot of them (debian/tree.h), for --sysroot,
//                                            pkg-config and QEMU_LD_PREFIX;
//   an emulated target, rootfs from packages a root filesystem of them and the target's packages;
//   an emulated target, rootfs = "REF"       the image for the platform, pulled into the cache;
//   a native target with packages            nothing is made: which of them this machine lacks
//                                            (dpkg), a problem of the plan with the apt line.
// resolve_trees() runs between the two plannings of a run (the first says each target's
// strategy, the second uses the trees' paths): one GET of each suite's release file and of each
// image's manifest (and of a single image's config, for its platform), nothing written. make_trees() runs under the
// state lock: the trees not made yet, side by side, each line of progress printed as it comes.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "debian/tree.h"
#include "plan/plan.h"
#include "registry/reference.h"
#include "registry/registry_client.h"
#include "util/file_lock.h"

namespace xb {

class Terminal;

// A tree made from Debian packages, and the targets that use it.
struct TreeUse {
  debian::ResolvedTree tree;
  std::vector<std::string> platforms;
  std::string declared_in;  // where the packages are declared: "[targets] packages in FILE"
};

// An image root filesystem pulled from a registry when it is not in the cache yet.
struct ImagePull {
  std::string platform;
  Platform wanted;
  registry::Reference reference;   // the image manifest, by digest
  std::filesystem::path layout;    // <cache>/images/<manifest hex>: an OCI layout of that image
  std::filesystem::path unpacked;  // the rootfs directory: when it exists, nothing is pulled
};

struct ResolvedTrees {
  std::map<std::string, SysrootPlan> sysroots;                            // by platform
  std::map<std::string, RootfsPlan> rootfs;                               // by platform
  std::map<std::string, std::vector<std::string>> missing_host_packages;  // native targets, by platform
  std::map<std::string, std::vector<std::string>> problems;               // what could not be resolved, by platform
  std::vector<TreeUse> trees;                                             // made by make_trees() when missing
  std::vector<ImagePull> pulls;                                           // images not in the cache yet
  std::vector<std::string> warnings;  // the mirror could not be reached: an older tree stands in
};

struct TreeOptions {
  std::filesystem::path cache_dir;  // trees under <cache>/debian, pulled images under <cache>/images
  std::filesystem::path state_dir;  // a pulled image's root filesystem is unpacked under <state>/rootfs
  std::string host_suite;           // debian::host_suite()
  std::string mirror;               // debian::default_mirror(), unless [targets] mirror
  registry::HttpGetOptions http;    // the Debian mirror's release files
  registry::RegistryOptions registry;
  // The packages among `names` this machine has not installed (dpkg-query); empty: asks dpkg.
  std::function<std::vector<std::string>(const std::vector<std::string>& names)> missing_host_packages;
  // What fills a tree (debian::MakeOptions::command); empty: mmdebstrap.
  std::function<std::vector<std::string>(const debian::TreeSpec&, const std::filesystem::path&)> make_command;
};

// The trees the targets of `plan` need. What cannot be resolved (a suite the mirror lacks, a
// mirror or a registry that cannot be reached with no tree made before to stand in, an image
// without the platform) is a problem of its targets, for the plan to show.
ResolvedTrees resolve_trees(const Config& config, const Plan& plan, const TreeOptions& options);

// What the second planning gets from the trees.
void add_trees(const ResolvedTrees& trees, PlanOptions& options);

// The trees held in use while the run uses them (`cache prune` leaves them alone).
struct TreesInUse {
  std::vector<FileLock> locks;
};

// Makes every tree not made yet and pulls every image not in the cache that a target in
// `running` uses (the platforms with stages to run: nothing is made for a target the stage
// cache restores whole), side by side; a line for each ("xbuild: sysroot of linux/arm64: making
// bookworm/arm64 with zlib1g-dev (mmdebstrap)") and each line of their progress. A package the
// suite lacks fails naming it and where it is declared.
TreesInUse make_trees(const ResolvedTrees& trees, const std::set<std::string>& running, const TreeOptions& options,
                      Terminal& terminal);

// The packages among `names` this machine lacks, by `dpkg-query`; all of them without dpkg.
std::vector<std::string> missing_host_packages(const std::vector<std::string>& names);

}  // namespace xb
