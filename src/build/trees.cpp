// Sysroots, root filesystems and pulled image root filesystems: see trees.h.
#include "build/trees.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "debian/archive.h"
#include "emulate/rootfs.h"
#include "oci/document.h"
#include "plan/planner.h"
#include "registry/operations.h"
#include "run/terminal.h"
#include "util/interrupt.h"
#include "util/probe.h"
#include "util/strings.h"
#include "util/thread_pool.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// A target's packages: [targets] packages, then its [platform.X] packages.
std::vector<std::string> target_packages(const Config& config, const Platform& platform) {
  std::vector<std::string> packages = config.packages.packages;
  if (const PlatformOverride* override_spec = override_of(config, platform))
    for (const std::string& package : override_spec->packages)
      if (std::find(packages.begin(), packages.end(), package) == packages.end()) packages.push_back(package);
  return packages;
}

// Where the packages of a target's tree are declared, for messages: each place that names some.
std::string declared_in(const Config& config, const Platform& platform, bool rootfs) {
  const PlatformOverride* override_spec = override_of(config, platform);
  const std::string scope = "[platform.\"" + platform.str() + "\"]";
  std::vector<std::string> places;
  if (rootfs) places.push_back("the rootfs of " + scope);
  if (!config.packages.packages.empty()) places.push_back("[targets] packages");
  if (override_spec && !override_spec->packages.empty()) places.push_back(scope + " packages");
  std::string last = places.back();
  places.pop_back();
  return (places.empty() ? "" : join(places, ", ") + " and ") + last + " in " + config.file.string();
}

// The suite: the rootfs table's, else [platform.X] suite, else [targets] suite, else the one
// that has the platform's port and matches the host (debian::default_suite).
std::string target_suite(const Config& config, const Platform& platform, const std::string& host_suite,
                         const std::optional<std::string>& rootfs_suite) {
  if (rootfs_suite) return *rootfs_suite;
  const PlatformOverride* override_spec = override_of(config, platform);
  if (override_spec && override_spec->suite) return *override_spec->suite;
  if (!config.packages.suite.empty()) return config.packages.suite;
  return debian::default_suite(platform, host_suite);
}

std::string package_list(const std::vector<std::string>& packages) {
  return packages.empty() ? "its base packages" : join(packages, ", ");
}

// One tree to resolve, and where its result goes.
struct TreeWant {
  debian::TreeSpec spec;
  std::vector<std::string> platforms;
  std::string declared_in;
};

// One image root filesystem to resolve.
struct ImageWant {
  std::string platform;
  Platform wanted;
  std::string text;  // as written in the config
};

void want_tree(std::vector<TreeWant>& wants, debian::TreeSpec spec, const std::string& platform, std::string where) {
  // One tree for one set of packages, however each target's declarations order them; a spec
  // that does not normalize is kept as written, for resolve_tree() to say why.
  if (Result<debian::TreeSpec> normalized = debian::normalize_spec(spec); normalized)
    spec = std::move(normalized.value());
  for (TreeWant& want : wants) {
    if (want.spec.kind == spec.kind && want.spec.suite == spec.suite && want.spec.architecture == spec.architecture &&
        want.spec.mirror == spec.mirror && want.spec.packages == spec.packages) {
      want.platforms.push_back(platform);
      return;
    }
  }
  wants.push_back({std::move(spec), {platform}, std::move(where)});
}

// The image manifest a reference names for `wanted`, with its layers.
Result<oci::Manifest> image_for(const registry::Reference& reference, const Platform& wanted,
                                const registry::RegistryOptions& options) {
  Result<oci::Manifest> top = registry::fetch_manifest(reference, options);
  if (!top) return top;
  if (!top.value().is_index()) {
    // A single image: its config says its platform.
    Result<std::string> config = registry::fetch_blob_text(reference, top.value().config, options);
    if (!config) return fail(config.error());
    Result<Platform> platform = oci::platform_of_config(config.value(), reference.str());
    if (!platform) return fail(platform.error());
    if (!PlatformMatcher(wanted).matches(platform.value()))
      return fail(fmt::format("{} has no image for {} (it is a single image, for {})", reference.str(), wanted.str(),
                              platform.value().str()));
    return top;
  }
  std::vector<Platform> offered;
  for (const oci::Descriptor& entry : top.value().manifests) offered.push_back(entry.platform.value_or(Platform{}));
  std::optional<std::size_t> best = PlatformMatcher(wanted).best(offered);
  if (!best) {
    std::vector<std::string> names;
    for (const Platform& platform : offered)
      if (!platform.os.empty()) names.push_back(platform.str());
    return fail(fmt::format("{} has no image for {} (it offers {})", reference.str(), wanted.str(),
                            names.empty() ? "none" : join(names, ", ")));
  }
  return registry::fetch_manifest(reference.with_digest(top.value().manifests[*best].digest), options);
}

std::string hex_of(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

}  // namespace

std::vector<std::string> missing_host_packages(const std::vector<std::string>& names) {
  if (names.empty()) return {};
  std::vector<std::string> argv = {"dpkg-query", "--show", "--showformat=${db:Status-Status} ${Package}\\n"};
  argv.insert(argv.end(), names.begin(), names.end());
  std::string out;
  CommandOptions options;
  options.stdout_text = &out;
  options.timeout = std::chrono::seconds(30);
  std::vector<std::string> installed;
  if (Result<CommandExit> ran = run_sync(argv, options); ran) {
    for (const std::string& line : split(out, '\n')) {
      if (starts_with(line, "installed ")) installed.push_back(line.substr(10));
    }
  }
  std::vector<std::string> missing;
  for (const std::string& name : names)
    if (std::find(installed.begin(), installed.end(), name) == installed.end()) missing.push_back(name);
  return missing;
}

ResolvedTrees resolve_trees(const Config& config, const Plan& plan, const TreeOptions& options) {
  ResolvedTrees resolved;
  const std::string mirror = config.packages.mirror.empty() ? options.mirror : config.packages.mirror;
  std::vector<TreeWant> wants;
  std::vector<ImageWant> images;
  for (const TargetPlan& target : plan.targets) {
    if (!target.builder.empty() || is_bare_metal(target.platform)) continue;  // a builder has its own
    const std::string name = target.platform.str();
    std::vector<std::string> packages = target_packages(config, target.platform);
    std::optional<std::string> architecture = debian::debian_architecture(target.platform);
    if (target.strategy == Strategy::native && !packages.empty()) {
      std::vector<std::string> missing =
          options.missing_host_packages ? options.missing_host_packages(packages) : missing_host_packages(packages);
      if (!missing.empty()) resolved.missing_host_packages[name] = missing;
    } else if (target.strategy == Strategy::cross && !packages.empty() && architecture) {
      debian::TreeSpec spec{debian::TreeSpec::Kind::sysroot,
                            target_suite(config, target.platform, options.host_suite, std::nullopt), *architecture,
                            mirror, packages};
      want_tree(wants, std::move(spec), name, declared_in(config, target.platform, false));
    } else if (target.strategy == Strategy::emulate) {
      const PlatformOverride* override_spec = override_of(config, target.platform);
      if (!override_spec || !override_spec->rootfs) continue;
      const RootfsSpec& rootfs = *override_spec->rootfs;
      if (rootfs.made_from_packages()) {
        if (!architecture) {
          resolved.problems[name].push_back("Debian has no port for " + name +
                                            ", so no root filesystem can be made from its packages");
          continue;
        }
        std::vector<std::string> all = rootfs.packages;
        for (const std::string& package : packages)
          if (std::find(all.begin(), all.end(), package) == all.end()) all.push_back(package);
        // The stages' compiles run the root filesystem's own ccache.
        if (ccache_enabled(config, target.platform) && std::find(all.begin(), all.end(), "ccache") == all.end())
          all.push_back("ccache");
        debian::TreeSpec spec{debian::TreeSpec::Kind::rootfs,
                              target_suite(config, target.platform, options.host_suite, rootfs.suite), *architecture,
                              mirror, all};
        want_tree(wants, std::move(spec), name, declared_in(config, target.platform, true));
      } else if (is_rootfs_reference(rootfs.location, config.directory)) {
        images.push_back({name, target.platform, rootfs.location});
      }
    }
  }

  // Each suite's release file and each image's manifests, side by side.
  std::vector<Result<debian::ResolvedTree>> trees(wants.size(), fail("not resolved"));
  std::vector<Result<oci::Manifest>> manifests(images.size(), fail("not resolved"));
  std::vector<registry::Reference> references(images.size());
  const std::size_t total = wants.size() + images.size();
  parallel_for(total, std::min<std::size_t>(total, 8), [&](std::size_t index) {
    if (index < wants.size()) {
      trees[index] = debian::resolve_tree(wants[index].spec, options.cache_dir, options.http);
      return;
    }
    std::size_t image = index - wants.size();
    Result<registry::Reference> reference = registry::parse_reference(images[image].text);
    if (!reference) {
      manifests[image] = fail(reference.error());
      return;
    }
    references[image] = reference.value();
    manifests[image] = image_for(reference.value(), images[image].wanted, options.registry);
  });

  for (std::size_t index = 0; index < wants.size(); ++index) {
    TreeWant& want = wants[index];
    if (!trees[index]) {
      for (const std::string& platform : want.platforms)
        resolved.problems[platform].push_back(fmt::format("{} with {} ({}): {}", debian::describe(want.spec),
                                                          package_list(want.spec.packages), want.declared_in,
                                                          trees[index].error()));
      continue;
    }
    const debian::ResolvedTree& tree = trees[index].value();
    if (!tree.warning.empty()) resolved.warnings.push_back(tree.warning);
    std::error_code ec;
    const bool made = fs::is_directory(tree.dir, ec);  // else make_trees() makes it
    for (const std::string& platform : want.platforms) {
      if (tree.spec.kind == debian::TreeSpec::Kind::sysroot) {
        resolved.sysroots[platform] = {
            tree.dir, fmt::format("{} with {}{}", debian::describe(tree.spec), package_list(tree.spec.packages),
                                  made ? "" : ", made by the run (mmdebstrap)")};
      } else {
        resolved.rootfs[platform] =
            RootfsPlan{tree.dir,
                       "debian:" + tree.key,
                       {},
                       fmt::format("{} with {}{}", debian::describe(tree.spec), package_list(tree.spec.packages),
                                   made ? "" : ", made by the run (mmdebstrap)")};
      }
    }
    resolved.trees.push_back({tree, want.platforms, want.declared_in});
  }

  for (std::size_t index = 0; index < images.size(); ++index) {
    const ImageWant& image = images[index];
    if (!manifests[index]) {
      resolved.problems[image.platform].push_back("rootfs \"" + image.text + "\": " + manifests[index].error());
      continue;
    }
    const oci::Manifest& manifest = manifests[index].value();
    RootfsPlan rootfs;
    rootfs.image = manifest.digest;
    rootfs.dir = options.state_dir / "rootfs" / hex_of(manifest.digest);
    fs::path layout = options.cache_dir / "images" / hex_of(manifest.digest);
    for (const oci::Descriptor& layer : manifest.layers)
      rootfs.layers.push_back({layout / "blobs" / "sha256" / hex_of(layer.digest), layer.digest, layer.size});
    std::error_code ec;
    const bool pulled = fs::is_directory(rootfs.dir, ec) || fs::is_directory(layout, ec);
    rootfs.description = "the image " + image.text + " for " + image.platform + " (" + manifest.digest + ")" +
                         (pulled ? "" : ", pulled by the run");
    resolved.rootfs[image.platform] = rootfs;
    if (!pulled)
      resolved.pulls.push_back(
          {image.platform, image.wanted, references[index].with_digest(manifest.digest), layout, rootfs.dir});
  }
  return resolved;
}

void add_trees(const ResolvedTrees& trees, PlanOptions& options) {
  options.sysroots = trees.sysroots;
  options.rootfs = trees.rootfs;
  options.missing_host_packages = trees.missing_host_packages;
  options.problems = trees.problems;
}

TreesInUse make_trees(const ResolvedTrees& trees, const std::set<std::string>& running, const TreeOptions& options,
                      Terminal& terminal) {
  std::mutex output;
  auto say = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(output);
    terminal.output_line(line);
  };
  for (const std::string& warning : trees.warnings) say("xbuild: warning: " + warning);

  const std::size_t total = trees.trees.size() + trees.pulls.size();
  std::vector<std::string> errors(total);
  std::vector<std::optional<FileLock>> held(trees.trees.size());
  parallel_for(total, std::max<std::size_t>(1, std::min<std::size_t>(total, 4)), [&](std::size_t index) {
    if (index < trees.trees.size()) {
      const TreeUse& use = trees.trees[index];
      if (std::none_of(use.platforms.begin(), use.platforms.end(),
                       [&](const std::string& platform) { return running.count(platform) > 0; }))
        return;
      const std::string who =
          fmt::format("xbuild: {} of {}: ", debian::kind_name(use.tree.spec.kind), join(use.platforms, ", "));
      std::error_code ec;
      const bool made_before = fs::is_directory(use.tree.dir, ec);
      if (!made_before)
        say(who + "making " + debian::describe(use.tree.spec) + " with " + package_list(use.tree.spec.packages) +
            " (mmdebstrap)");
      debian::MakeOptions make;
      make.on_line = [&](std::string_view line) { say(who + std::string(line)); };
      make.command = options.make_command;
      std::string unknown;
      Result<debian::TreeMade> made = debian::make_tree(use.tree, make, &unknown);
      if (!made) {
        errors[index] = made.error() + (unknown.empty() ? "" : " (declared in " + use.declared_in + ")");
        return;
      }
      if (!made_before)
        say(who + (made.value().reused ? "made by another run: " : "made: ") + made.value().dir.string());
      held[index] = std::move(made.value().in_use);
      return;
    }
    const ImagePull& pull = trees.pulls[index - trees.trees.size()];
    if (!running.count(pull.platform)) return;
    const std::string who = "xbuild: rootfs of " + pull.platform + ": ";
    FileLock::Mode mode = FileLock::Mode::exclusive;
    Result<FileLock> lock = FileLock::acquire(pull.layout.string() + ".lock", mode);
    if (!lock) {
      errors[index] = lock.error();
      return;
    }
    std::error_code ec;
    if (fs::is_directory(pull.layout, ec)) return;  // another run pulled it meanwhile
    say(who + "pulling " + pull.reference.str());
    Result<registry::PullSummary> pulled =
        registry::pull_image(pull.reference, pull.wanted, pull.layout, options.registry);
    if (!pulled) errors[index] = "cannot pull the root filesystem of " + pull.platform + ": " + pulled.error();
  });
  std::vector<std::string> failed;
  for (const std::string& error : errors)
    if (!error.empty()) failed.push_back(error);
  if (int signal_number = interrupt_signal(); signal_number != 0)  // what was made is kept; nothing ran
    throw Error(std::string("interrupted by ") + interrupt_signal_name(signal_number) +
                    " while making sysroots and root filesystems; nothing was run or published",
                130);
  if (!failed.empty()) throw Error(join(failed, "\n"));
  TreesInUse in_use;
  for (std::optional<FileLock>& lock : held)
    if (lock) in_use.locks.push_back(std::move(*lock));
  return in_use;
}

}  // namespace xb
