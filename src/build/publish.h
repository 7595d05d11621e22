// The publish pass: each target's outputs become its image (a bare-metal target's its firmware
// artifact), the images one index, published to the output in one step; then pushed with --push.
// A run whose every job came from the cache, and whose output still holds what the last run
// with the same package key published, is not packaged again.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "build/cache_pass.h"
#include "oci/base_image.h"
#include "package/package.h"
#include "registry/registry_client.h"

namespace xb {

class Terminal;

struct PublishRequest {
  const Config& config;
  const Plan& plan;
  const OutputTarget& output;
  const std::vector<oci::BaseImage>& bases;
  const CacheLookup& cache;
  std::vector<std::string> push_references;  // run --push
  registry::RegistryOptions registry;
};

// Packages (the layers `packer` packed already are used; it may be null) and publishes, or
// reuses what the last run published; then records what was published, prints a warning line
// for each image that cannot start its program (the reused ones too), and pushes.
PackageResult publish(const PublishRequest& request, LayerPacker* packer, Terminal& terminal);

// What the last run with the same package key (the cache's, the output, the base images)
// published, when every job was restored and the output still holds it: a layout that index,
// a local:DIR the very tree that was written (an archive is always written again).
std::optional<PackageResult> reusable_package(const PublishRequest& request);

// run --shard, after a failure: the output (a layout or an archive) is replaced by one that
// holds no image, only this run's identity with result "failed" (oci/merge.h), so that the
// previous image cannot pass for this run's (`xbuild merge` refuses it and names it; a push or
// skopeo finds nothing). A local:DIR output is left as it is. A failure to do so is a warning.
void publish_failed_run(const Plan& plan, const OutputTarget& output, Terminal& terminal);

// Marks a shard's output failed (publish_failed_run) when the run ends by an error after it
// started writing, or when mark() is called; done() once the output is published.
class ShardFailureMark {
 public:
  ShardFailureMark(const Plan& plan, const OutputTarget& output, bool shard, Terminal& terminal)
      : plan_(plan), output_(output), terminal_(terminal), armed_(shard) {}
  ShardFailureMark(const ShardFailureMark&) = delete;
  ShardFailureMark& operator=(const ShardFailureMark&) = delete;
  ~ShardFailureMark();
  void mark();
  void done() { armed_ = false; }

 private:
  const Plan& plan_;
  const OutputTarget& output_;
  Terminal& terminal_;
  bool armed_;
  int exceptions_ = std::uncaught_exceptions();
};

// The run's safe points for SIGINT and SIGTERM (util/interrupt.h): when one was caught, throws
// the interruption (exit status 130) saying what became of the output. Before publishing, the
// output is as it was (a shard's holds only its failed result: ShardFailureMark).
void stop_if_interrupted(const Plan& plan, const OutputTarget& output);
// After publishing: the output was written, what was left (the push, the reports) was not done.
void stop_if_interrupted_after_publishing(const OutputTarget& output);

// What `xbuild plan` shows of the output: "output: <spec>", and for local:DIR the directory
// of each platform and the summary file, one line each.
std::string render_output(const Plan& plan, const OutputTarget& output);

// Pushes the published layout to each reference; a line per reference and one for the blobs.
void push_layout_step(const std::vector<std::string>& references, const OutputTarget& output,
                      const registry::RegistryOptions& registry, Terminal& terminal);

}  // namespace xb
