// The text of a registry cache ref, as `--cache-from`/`--cache-to` and `[cache] from`/`to` write
// it: "HOST[:PORT]/PATH[,mode=min|max]" or buildx's "type=registry,ref=HOST[:PORT]/PATH[,mode=...]".
// One grammar for the command line (shared_cache/registry_cache.h) and the config (config/cache.cpp).
#pragma once

#include <optional>
#include <string>

#include "util/error.h"

namespace xb {

struct CacheRefText {
  std::string repository;           // "HOST[:PORT]/PATH": no tag, no digest
  std::optional<std::string> mode;  // "min" or "max", when given
};

// Splits and checks `text`. A tag or digest is refused (xbuild tags each entry itself), and so is
// `mode` unless `for_upload` (the cache written): a reader needs no mode. The repository follows
// the image name grammar (util/image_name.h). The error is why, to follow "invalid cache ref \"TEXT\": ".
Result<CacheRefText> parse_cache_ref_text(const std::string& text, bool for_upload);

}  // namespace xb
