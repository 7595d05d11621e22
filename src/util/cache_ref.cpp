#include "util/cache_ref.h"

#include <vector>

#include "util/image_name.h"
#include "util/strings.h"

namespace xb {

Result<CacheRefText> parse_cache_ref_text(const std::string& text, bool for_upload) {
  if (text.empty()) return fail("it is empty; write HOST[:PORT]/PATH, for example localhost:5000/cache");
  std::vector<std::string> parts = split(text, ',');
  CacheRefText ref;
  std::size_t first_option = 1;
  if (parts.front().find('=') != std::string::npos)
    first_option = 0;  // buildx: type=registry,ref=...
  else
    ref.repository = parts.front();
  bool typed = false;
  for (std::size_t index = first_option; index < parts.size(); ++index) {
    const std::string& part = parts[index];
    std::size_t equals = part.find('=');
    std::string name = equals == std::string::npos ? part : part.substr(0, equals);
    std::string value = equals == std::string::npos ? "" : part.substr(equals + 1);
    if (name == "mode" && equals != std::string::npos) {
      ref.mode = value;
    } else if (name == "type" && equals != std::string::npos && first_option == 0) {
      if (value != "registry")
        return fail("type \"" + value + "\" is not supported; xbuild shares its cache through a registry: " +
                    "type=registry,ref=HOST[:PORT]/PATH");
      typed = true;
    } else if (name == "ref" && equals != std::string::npos && first_option == 0) {
      ref.repository = value;
    } else {
      return fail("unknown option \"" + redact_credentials(part) +
                  "\"; write HOST[:PORT]/PATH[,mode=min|max] or type=registry,ref=HOST[:PORT]/PATH[,mode=min|max]");
    }
  }
  if (first_option == 0 && (!typed || ref.repository.empty()))
    return fail("buildx's form needs type=registry and ref=HOST[:PORT]/PATH");
  if (ref.mode) {
    if (!for_upload)
      return fail("mode=" + *ref.mode + " applies only to the cache written (what is uploaded); remove it here");
    if (*ref.mode != "min" && *ref.mode != "max")
      return fail("mode \"" + *ref.mode + "\" is neither min (one entry per target) nor max (one per stage)");
  }
  const std::string& location = ref.repository;
  if (location.find('/') == std::string::npos)
    return fail("it names no registry; write HOST[:PORT]/PATH, for example localhost:5000/" + location);
  if (location.find('@') != std::string::npos)
    return fail("a cache is a repository, not a digest; write " + location.substr(0, location.find('@')));
  if (location.substr(location.rfind('/') + 1).find(':') != std::string::npos)
    return fail("a cache is a repository, not a tag (xbuild tags each entry itself); write " +
                location.substr(0, location.rfind(':')));
  if (std::string problem = image_name_problem(location); !problem.empty())
    return fail("the name \"" + redact_credentials(location) + "\" " + problem);
  return ref;
}

}  // namespace xb
