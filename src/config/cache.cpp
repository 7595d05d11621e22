// [cache]: the registry cache of `xbuild run` (build/registry_cache_pass.h). `from` lists the
// caches read, in order (first hit wins), `to` the one written, `mode` what is written to it:
// "min" (the default) one entry per target, "max" one per stage. A cache is a repository of a
// registry, HOST[:PORT]/PATH, written either bare or as buildx writes it
// (type=registry,ref=HOST/PATH), with ",mode=min|max" after `to`'s only. Only the text is checked
// here (util/cache_ref.h, the command line's grammar too); the registry is asked only by a run,
// which treats a cache it cannot reach as a warning.
#include <optional>

#include "config/keys.h"
#include "config/sections.h"
#include "util/cache_ref.h"
#include "util/strings.h"

namespace xb {

void read_cache(TomlReader& reader, const TomlTable& root, Config& config) {
  const std::string scope = "[cache]";
  const TomlTable* table = reader.table(root, "cache", "");
  if (!table) return;
  reader.check_keys(*table, key_names(kCacheSection), scope);
  RegistryCacheSpec& cache = config.cache;
  if (std::optional<std::vector<TomlString>> from = reader.string_or_strings(*table, "from", scope)) {
    for (const TomlString& ref : *from) {
      if (Result<CacheRefText> parsed = parse_cache_ref_text(ref.value, false); !parsed)
        reader.report(ref.at, "cache " + in_quotes(ref.value) + " in [cache] from: " + parsed.error());
      else
        cache.from.push_back(ref.value);
    }
  }
  if (std::optional<std::string> to = reader.non_blank_string(*table, "to", scope)) {
    if (Result<CacheRefText> parsed = parse_cache_ref_text(*to, true); !parsed)
      reader.report(*table->get("to"), "cache " + in_quotes(*to) + " in [cache] to: " + parsed.error());
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
