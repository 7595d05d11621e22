// [cache]: the registry cache of `xbuild run` (build/registry_cache_pass.h). `from` lists the
// caches read, in order (first hit wins), `to` the one written, `mode` what is written to it:
// "min" (the default) one entry per target, "max" one per stage. A cache is a repository of a
// registry, HOST[:PORT]/PATH, written either bare or as buildx writes it
// (type=registry,ref=HOST/PATH), with ",mode=min|max" after `to`'s only. Only the text is checked
// here (the image name grammar of util/image_name.h, no tag, no digest); the registry is asked
// only by a run, which treats a cache it cannot reach as a warning.
#include <optional>

#include "config/sections.h"
#include "util/image_name.h"
#include "util/strings.h"

namespace xb {

namespace {

const std::vector<std::string> kCacheKeys = {"from", "to", "mode"};
const std::vector<std::string> kModes = {"min", "max"};

const char* const kForms =
    "write the registry's repository as \"HOST[:PORT]/PATH\" (or \"type=registry,ref=HOST[:PORT]/PATH\")";

// Why `name` is not a cache's repository, or "".
std::string repository_problem(const std::string& name) {
  if (name.empty()) return "names no repository";
  if (std::size_t at = name.find('@'); at != std::string::npos)
    return "names a digest (" + name.substr(at) + "): a cache is a repository, each entry is tagged by its key";
  std::size_t slash = name.rfind('/');
  if (std::size_t colon = name.rfind(':'); colon != std::string::npos && (slash == std::string::npos || colon > slash))
    if (slash != std::string::npos)
      return "names a tag (" + name.substr(colon) + "): a cache is a repository, each entry is tagged by its key";
  std::string host = name.substr(0, name.find('/'));
  if (slash == std::string::npos ||
      (host.find('.') == std::string::npos && host.find(':') == std::string::npos && host != "localhost"))
    return "names no registry";
  if (std::string problem = image_name_problem(name); !problem.empty()) return problem;
  return "";
}

// Why `text` (a cache as [cache] from or to writes it) is not one, or "".
std::string cache_ref_problem(const std::string& text, bool for_upload) {
  std::string repository;
  bool bare_seen = false;
  for (const std::string& option : split(text, ',')) {
    std::size_t equals = option.find('=');
    if (equals == std::string::npos) {
      if (bare_seen || !repository.empty()) return "names more than one repository";
      bare_seen = true;
      repository = option;
      continue;
    }
    std::string name = option.substr(0, equals), value = option.substr(equals + 1);
    if (name == "type") {
      if (value != "registry") return "has type=" + value + ": the only type is \"registry\"";
    } else if (name == "ref") {
      if (bare_seen || !repository.empty()) return "names more than one repository";
      repository = value;
    } else if (name == "mode") {
      if (!for_upload) return "has a mode: only the cache written (to) has one";
      if (value != "min" && value != "max") return "has mode=" + value + ": the mode is \"min\" or \"max\"";
    } else {
      return "has an unknown option " + in_quotes(name) + ": the options are \"type\", \"ref\" and \"mode\"";
    }
  }
  if (std::string problem = repository_problem(repository); !problem.empty()) return problem + "; " + kForms;
  return "";
}

}  // namespace

void read_cache(TomlReader& reader, const TomlTable& root, Config& config) {
  const std::string scope = "[cache]";
  const TomlTable* table = reader.table(root, "cache", "");
  if (!table) return;
  reader.check_keys(*table, kCacheKeys, scope);
  RegistryCacheSpec& cache = config.cache;
  if (std::optional<std::vector<TomlString>> from = reader.string_or_strings(*table, "from", scope)) {
    for (const TomlString& ref : *from) {
      if (std::string problem = cache_ref_problem(ref.value, false); !problem.empty())
        reader.report(ref.at, "cache " + in_quotes(ref.value) + " in [cache] from " + problem);
      else
        cache.from.push_back(ref.value);
    }
  }
  if (std::optional<std::string> to = reader.non_blank_string(*table, "to", scope)) {
    if (std::string problem = cache_ref_problem(*to, true); !problem.empty())
      reader.report(*table->get("to"), "cache " + in_quotes(*to) + " in [cache] to " + problem);
    else
      cache.to = *to;
  }
  if (std::optional<std::string> mode = reader.string(*table, "mode", scope)) {
    if (*mode != "min" && *mode != "max")
      reader.report(*table->get("mode"),
                    "\"mode\" in [cache] must be \"min\" (one entry per target) or \"max\" "
                    "(one entry per stage), got " +
                        in_quotes(*mode));
    else if (cache.to.find(",mode=" + (*mode == "min" ? std::string("max") : std::string("min"))) != std::string::npos)
      reader.report(*table->get("mode"), "\"mode\" in [cache] is " + in_quotes(*mode) + " but \"to\" says " +
                                             in_quotes(cache.to) + ": give the mode once");
    else
      cache.mode = *mode;
  }
}

}  // namespace xb
