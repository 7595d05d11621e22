// How a merge works. Each input must be a layout as `xbuild run` writes it: index.json holding
// one tagged image index, and on index.json itself the run's result and identity. First the
// inputs are screened by those: no identity, a failed run, or an identity other than the one
// most inputs share (config digest, commit, dirty flag, created time, shard count: stale) is a
// refusal, or with allow_partial an input left out; a shard number given twice is always a
// refusal. Then every kept input's index is read and its digest checked; the tags and the
// index annotations (apart from the shard's own dev.xbuild.* ones) must agree, since shards of
// one build share SOURCE_DATE_EPOCH and tags. The manifests are gathered by platform name: the
// same digest twice is one image, two digests for one platform is a refusal. The expected
// platforms (given, or read from the shards' dev.xbuild.platforms annotation) fix the order of
// the merged index, so a merge of every shard is byte-identical to the index an unsharded run
// writes; without them the order is by platform name. Each chosen manifest's blobs (manifest,
// config, layers; non-distributable layers are not in the layouts and stay out) are verified
// against their digests and hard-linked (or copied) into the output, then the index is written
// by oci/image.cpp from the descriptors as the shards wrote them. Reading goes through
// LayoutReader, which checks every document it reads against its digest.
#include "oci/merge.h"

#include <algorithm>
#include <map>
#include <optional>

#include "oci/image.h"
#include "oci/layout_reader.h"
#include "util/strings.h"

namespace xb::oci {

namespace fs = std::filesystem;

namespace {

struct Input {
  LayoutReader reader;
  std::string ref_name;
  std::string image_name;                          // io.containerd.image.name
  std::map<std::string, std::string> annotations;  // without the dev.xbuild.* shard keys
  std::optional<std::string> platforms;            // dev.xbuild.platforms
  std::vector<Descriptor> manifests;

  const fs::path& layout() const { return reader.directory(); }
};

struct Chosen {
  Descriptor descriptor;
  const Input* input = nullptr;
};

std::string platform_name(const Descriptor& descriptor) {
  return descriptor.platform ? descriptor.platform->str() : std::string();
}

std::string render(const std::map<std::string, std::string>& annotations) {
  std::vector<std::string> items;
  for (const auto& [key, value] : annotations) items.push_back(key + "=" + value);
  return items.empty() ? "none" : join(items, ", ");
}

Result<Input> read_input(const fs::path& layout) {
  Result<LayoutReader> reader = LayoutReader::read_index(layout);
  if (!reader) return fail("cannot read the OCI layout " + layout.string() + ": " + reader.error());
  const std::vector<Descriptor>& roots = reader.value().roots();
  if (roots.size() != 1 || roots.front().media_type != kMediaTypeIndex)
    return fail("the OCI layout " + layout.string() +
                " does not hold exactly one image index; merge layouts written by xbuild run");
  Result<Manifest> image_index = reader.value().manifest(roots.front());
  if (!image_index) return fail(image_index.error());
  Input input{std::move(reader).value(), "", "", {}, std::nullopt, image_index.value().manifests};
  const std::map<std::string, std::string>& root_annotations = input.reader.roots().front().annotations;
  if (auto name = root_annotations.find(kAnnotationRefName); name != root_annotations.end())
    input.ref_name = name->second;
  if (auto name = root_annotations.find(kAnnotationImageName); name != root_annotations.end())
    input.image_name = name->second;
  for (const auto& [key, value] : image_index.value().annotations) {
    if (key == kAnnotationPlatforms)
      input.platforms = value;
    else if (key != kAnnotationShard)
      input.annotations[key] = value;
  }
  return input;
}

// Hard-links (or copies) one blob, verified against its descriptor's size and digest, into the
// output; false when it was there already.
Result<bool> transfer_blob(const Input& input, const Descriptor& blob, LayoutWriter& out) {
  Result<fs::path> source = input.reader.blob_path(blob.digest);
  if (!source) return fail(source.error());
  fs::path target = out.blobs_dir() / "sha256" / blob.digest.substr(7);
  std::error_code ec;
  if (fs::exists(target, ec)) return false;
  Result<fs::path> verified = input.reader.verified_blob_file(blob);
  if (!verified) return fail(verified.error());
  fs::create_hard_link(source.value(), target, ec);
  if (ec) {
    ec.clear();
    fs::copy_file(source.value(), target, ec);
    if (ec) return fail("cannot copy " + source.value().string() + " to " + target.string() + ": " + ec.message());
  }
  return true;
}

// The manifest, its config and its layers, but not non-distributable layers: layouts xbuild
// writes never hold them (the manifest points at them by their urls).
Result<std::size_t> transfer_image(const Chosen& chosen, LayoutWriter& out) {
  Result<Manifest> manifest = chosen.input->reader.manifest(chosen.descriptor);
  if (!manifest) return fail(manifest.error());
  std::vector<Descriptor> blobs = {chosen.descriptor};
  if (!manifest.value().is_index()) blobs.push_back(manifest.value().config);
  for (const Descriptor& layer : manifest.value().layers)
    if (!is_non_distributable(layer.media_type)) blobs.push_back(layer);
  std::size_t added = 0;
  for (const Descriptor& blob : blobs) {
    Result<bool> moved = transfer_blob(*chosen.input, blob, out);
    if (!moved) return fail(moved.error());
    added += moved.value() ? 1 : 0;
  }
  return added;
}

Result<std::vector<std::string>> expected_platforms(const std::vector<Input>& inputs, const MergeOptions& options) {
  std::vector<std::string> expected;
  for (const Platform& platform : options.expected) expected.push_back(platform.str());
  if (!expected.empty()) return expected;
  const Input* first = nullptr;
  for (const Input& input : inputs) {
    if (!input.platforms) continue;
    if (first && *first->platforms != *input.platforms)
      return fail("the layouts were built from different platform lists: " + *first->platforms + " in " +
                  first->layout().string() + " and " + *input.platforms + " in " + input.layout().string() +
                  "; build every shard from the same xbuild.toml");
    if (!first) first = &input;
  }
  if (!first) return expected;
  std::string list = *first->platforms;
  for (std::size_t start = 0; start <= list.size();) {
    std::size_t comma = std::min(list.find(',', start), list.size());
    if (comma > start) expected.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return expected;
}

std::string annotation(const std::map<std::string, std::string>& annotations, const char* key) {
  auto it = annotations.find(key);
  return it == annotations.end() ? std::string() : it->second;
}

std::string shard_count(const std::string& shard) {
  std::size_t slash = shard.find('/');
  return slash == std::string::npos ? std::string() : shard.substr(slash + 1);
}

// What two shards of one build share, as (what it is, value) pairs, in the order a refusal
// names them.
std::vector<std::pair<std::string, std::string>> identity_of(const std::map<std::string, std::string>& annotations) {
  return {{"config digest", annotation(annotations, kAnnotationConfigDigest)},
          {"commit", annotation(annotations, kAnnotationRevision)},
          {"uncommitted changes", annotation(annotations, kAnnotationDirty)},
          {"created (SOURCE_DATE_EPOCH)", annotation(annotations, kAnnotationCreated)},
          {"shard count", shard_count(annotation(annotations, kAnnotationShard))}};
}

std::string shown(const std::string& value) { return value.empty() ? "none" : value; }

std::string named(const fs::path& layout, const std::string& shard) {
  return layout.string() + (shard.empty() ? "" : " (shard " + shard + ")");
}

struct Screened {
  std::vector<fs::path> kept;
  std::vector<LeftOut> left_out;
  std::map<std::string, std::string> identity;  // the shared one, without result and shard keys
};

// Sorts the inputs into kept and left out by their index.json's result and identity; the
// identity most inputs share (the first input's on a tie) is the build's.
Result<Screened> screen_inputs(const std::vector<fs::path>& inputs, const MergeOptions& options) {
  std::vector<std::map<std::string, std::string>> identities;
  for (const fs::path& layout : inputs) {
    Result<LayoutReader> reader = LayoutReader::read_index(layout);
    if (!reader) return fail("cannot read the OCI layout " + layout.string() + ": " + reader.error());
    identities.push_back(reader.value().annotations());
  }
  std::map<std::string, std::size_t> first_with_shard;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    std::string shard = annotation(identities[i], kAnnotationShard);
    if (shard.empty()) continue;
    auto [it, inserted] = first_with_shard.try_emplace(shard, i);
    if (!inserted)
      return fail("shard " + shard + " is given twice: " + inputs[it->second].string() + " and " + inputs[i].string() +
                  "; name each shard's layout once");
  }
  std::vector<std::pair<std::string, std::string>> build;
  std::size_t votes = 0;
  std::size_t reference = 0;  // the first input with the build's identity
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (annotation(identities[i], kAnnotationResult).empty()) continue;
    std::size_t same = 0;
    for (const auto& other : identities)
      if (!annotation(other, kAnnotationResult).empty() && identity_of(other) == identity_of(identities[i])) ++same;
    if (same > votes) {
      votes = same;
      build = identity_of(identities[i]);
      reference = i;
    }
  }
  Screened screened;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::map<std::string, std::string>& identity = identities[i];
    std::string shard = annotation(identity, kAnnotationShard);
    std::string result = annotation(identity, kAnnotationResult);
    LeftOut left{inputs[i], shard, "", false};
    std::string fix;
    if (result.empty()) {
      left.reason = "it has no run identity (no " + std::string(kAnnotationResult) +
                    " on its index.json): it was not written by xbuild run, or by an older one";
      fix = "build it again with this xbuild";
    } else if (identity_of(identity) != build) {
      std::vector<std::string> differences;
      std::vector<std::pair<std::string, std::string>> own = identity_of(identity);
      for (std::size_t k = 0; k < own.size(); ++k)
        if (own[k].second != build[k].second)
          differences.push_back(own[k].first + " " + shown(own[k].second) + " instead of " + shown(build[k].second));
      left.reason = "it is stale: " + join(differences, ", ") + " (as in " + inputs[reference].string() +
                    (votes > 1 ? " and " + std::to_string(votes - 1) + " more" : "") + ")";
      fix = "run " + (shard.empty() ? std::string("it") : "shard " + shard) +
            " again from the same commit, xbuild.toml and command line as the others";
    } else if (result != kResultOk) {
      left.reason = "its run " + (result == kResultFailed ? std::string("failed") : "ended \"" + result + "\"");
      left.failed = true;
      fix = "fix the failure and run " + (shard.empty() ? std::string("it") : "shard " + shard) + " again";
    } else {
      screened.kept.push_back(inputs[i]);
      continue;
    }
    if (!options.allow_partial)
      return fail(named(inputs[i], shard) + " cannot be merged: " + left.reason + "; " + fix +
                  ", or pass --allow-partial to merge the others without it");
    screened.left_out.push_back(std::move(left));
  }
  if (screened.kept.empty()) return fail("nothing to merge: every layout was left out");
  for (const auto& [key, value] :
       identities[std::find(inputs.begin(), inputs.end(), screened.kept.front()) - inputs.begin()])
    if (key != kAnnotationShard && key != kAnnotationPlatforms) screened.identity[key] = value;
  return screened;
}

}  // namespace

Result<MergeResult> merge_layouts(const std::vector<fs::path>& inputs, const MergeOptions& options, LayoutWriter& out) {
  if (inputs.empty()) return fail("nothing to merge: name at least one layout");
  Result<Screened> screened = screen_inputs(inputs, options);
  if (!screened) return fail(screened.error());
  std::vector<Input> read;
  for (const fs::path& layout : screened.value().kept) {
    Result<Input> input = read_input(layout);
    if (!input) return fail(input.error());
    read.push_back(std::move(input).value());
  }
  if (read.empty()) return fail("nothing to merge: name at least one layout");
  for (const Input& input : read) {
    if (input.ref_name != read.front().ref_name)
      return fail("the layouts carry different tags: \"" + read.front().ref_name + "\" in " +
                  read.front().layout().string() + " and \"" + input.ref_name + "\" in " + input.layout().string());
    if (input.image_name != read.front().image_name)
      return fail("the layouts name different images: \"" + read.front().image_name + "\" in " +
                  read.front().layout().string() + " and \"" + input.image_name + "\" in " + input.layout().string());
    if (input.annotations != read.front().annotations)
      return fail("the layouts' indexes differ: " + render(read.front().annotations) + " in " +
                  read.front().layout().string() + " but " + render(input.annotations) + " in " +
                  input.layout().string() + "; build every shard from the same commit and SOURCE_DATE_EPOCH");
  }

  std::map<std::string, Chosen> by_platform;
  for (const Input& input : read)
    for (const Descriptor& descriptor : input.manifests) {
      std::string platform = platform_name(descriptor);
      if (platform.empty())
        return fail("the index in " + input.layout().string() + " has a manifest without a platform");
      auto [it, inserted] = by_platform.try_emplace(platform, Chosen{descriptor, &input});
      if (inserted || it->second.descriptor == descriptor) continue;
      return fail(platform + " has two different images: " + it->second.descriptor.digest + " in " +
                  it->second.input->layout().string() + " and " + descriptor.digest + " in " + input.layout().string() +
                  "; merge only shards built from the same commit and SOURCE_DATE_EPOCH");
    }

  Result<std::vector<std::string>> expected = expected_platforms(read, options);
  if (!expected) return fail(expected.error());
  MergeResult result;
  std::vector<std::string> order = expected.value();
  if (order.empty()) {
    for (const auto& [platform, chosen] : by_platform) order.push_back(platform);
  } else {
    for (const auto& [platform, chosen] : by_platform)
      if (std::find(order.begin(), order.end(), platform) == order.end())
        return fail(chosen.input->layout().string() + " holds " + platform +
                    ", which is not one of the expected platforms (" + join(order, ", ") + ")");
    for (const std::string& platform : order)
      if (!by_platform.count(platform)) result.missing.push_back(platform);
    if (!result.missing.empty() && !options.allow_partial)
      return fail(std::to_string(result.missing.size()) + " of the " + std::to_string(order.size()) +
                  " expected platforms " + (result.missing.size() == 1 ? "is" : "are") +
                  " missing: " + join(result.missing, ", ") +
                  "; merge their shards too, or pass --allow-partial to merge what is there");
  }

  std::vector<Descriptor> manifests;
  for (const std::string& platform : order) {
    auto it = by_platform.find(platform);
    if (it == by_platform.end()) continue;
    Result<std::size_t> added = transfer_image(it->second, out);
    if (!added) return fail(added.error());
    result.blobs += added.value();
    manifests.push_back(it->second.descriptor);
    result.images.push_back({platform, it->second.descriptor.digest});
  }
  Result<Descriptor> index = out.add_blob(index_json(manifests, read.front().annotations), kMediaTypeIndex);
  if (!index) return fail(index.error());
  result.index = index.value();
  result.ref_name = read.front().ref_name;
  result.merged = screened.value().kept;
  result.left_out = screened.value().left_out;
  std::map<std::string, std::string> identity = screened.value().identity;
  identity[kAnnotationResult] = kResultOk;
  if (!result.missing.empty()) identity[kAnnotationMissing] = join(result.missing, ",");
  Status finished = out.finish(result.index, result.ref_name, read.front().image_name, identity);
  if (!finished) return fail(finished.error());
  return result;
}

}  // namespace xb::oci
